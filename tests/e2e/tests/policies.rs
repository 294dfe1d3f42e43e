//! Workspace policies on campaign changes: guardrails and budget caps refuse outright; the first
//! launch on an ad account, a budget increase above the threshold, a deletion and a copy into
//! another account wait for an admin's approval, and then reach Meta exactly once.

use adgate_e2e::{json, Connected, Resp, Value};

const TOKEN: &str = "e2e-policies-token-5e7a";
const A: &str = "555000111";
const B: &str = "555000222";

struct Setup {
    c: Connected,
    recruiter: String,
    alice: String,
    bob: String,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[]);
    for id in [A, B] {
        c.sim.control("POST", "/accounts", json!({"account_id": id, "campaigns": 2, "adsets_per_campaign": 1, "ads_per_adset": 1, "access_token": TOKEN}));
    }
    let iid = c.connect(TOKEN);
    for id in [A, B] {
        let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{id}")})));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let (recruiter, alice, bob) = (c.key("recruiter"), c.key("admin"), c.key("admin"));
    Setup { c, recruiter, alice, bob }
}

fn act(s: &Setup, key: &str, router: &str, action: &str, idem: &str, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    s.c.gw.request("POST", &format!("/v1/actions/{router}/{action}"), &[("Authorization", &auth), ("Idempotency-Key", idem)], Some(&body.to_string()))
}

fn recruit(s: &Setup, action: &str, idem: &str, body: Value) -> Resp {
    act(s, &s.recruiter, "recruiter_paid_media", action, idem, body)
}

fn approve(s: &Setup, id: &str) -> Resp {
    s.c.gw.request("POST", &format!("/v1/approvals/{id}/approve"), &[("Authorization", &format!("Bearer {}", s.alice))], None)
}

fn govern(s: &Setup, action: &str, idem: &str, body: Value) -> Resp {
    act(s, &s.bob, "admin_meta_ads_governance", action, idem, body)
}

/// The account's campaigns as Meta has them: (id, name, status).
fn campaigns(s: &Setup, account: &str) -> Vec<(String, String, String)> {
    let r = s.c.sim.graph_get(&format!("act_{account}/campaigns?fields=id,name,status&limit=100"), TOKEN);
    r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().into(), c["name"].as_str().unwrap().into(), c["status"].as_str().unwrap().into()))
        .collect()
}

fn writes_to(s: &Setup, id: &str) -> usize {
    s.c.sim.ledger().iter().filter(|e| e["method"] != "GET" && e["path"].as_str().is_some_and(|p| p.ends_with(&format!("/{id}")))).count()
}

#[test]
fn first_launch_and_deletion_wait_for_approval_then_run_once() {
    let s = setup("policies-launch-delete");
    let listed = campaigns(&s, A);
    let (c1, c2) = (listed[0].0.clone(), listed[1].0.clone());
    let body = json!({"ad_account_id": format!("act_{A}"), "campaign_id": c1});

    // Pausing is never held.
    let paused = recruit(&s, "pause_campaign", "p-1", body.clone());
    assert_eq!(paused.status, 200, "{}", paused.text);
    assert_eq!(paused.body["object"]["status"], "PAUSED");
    assert_eq!(campaigns(&s, A)[0].2, "PAUSED");

    // The first launch on the account waits; Meta is not touched until an admin approves.
    let asked = recruit(&s, "resume_campaign", "r-1", body.clone());
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.body["approval"]["policy_flags"][0]["flag"], "first_launch");
    assert_eq!(campaigns(&s, A)[0].2, "PAUSED");
    let writes_before = writes_to(&s, &c1);
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    let done = approve(&s, &id);
    assert_eq!((done.status, done.body["status"].as_str()), (200, Some("executed")), "{}", done.text);
    assert_eq!(campaigns(&s, A)[0].2, "ACTIVE");
    assert_eq!(writes_to(&s, &c1), writes_before + 1, "one write to Meta");
    assert_eq!(approve(&s, &id).status, 409, "exactly once");
    let audit = s
        .c
        .gw
        .query("SELECT outcome, ad_account_id, approval_id, before_json, after_json FROM audit_log WHERE action = 'resume_campaign' ORDER BY occurred_at", &[]);
    assert_eq!(audit.iter().map(|r| r["outcome"].as_str().unwrap()).collect::<Vec<_>>(), ["pending_approval", "succeeded"]);
    assert!(audit.iter().all(|r| r["ad_account_id"] == A && r["approval_id"] == id.as_str()));
    let (before, after): (Value, Value) =
        (serde_json::from_str(audit[1]["before_json"].as_str().unwrap()).unwrap(), serde_json::from_str(audit[1]["after_json"].as_str().unwrap()).unwrap());
    assert_eq!((before["status"].as_str(), after["status"].as_str()), (Some("PAUSED"), Some("ACTIVE")));

    // After the first launch, a launch on the same account runs at once.
    recruit(&s, "pause_campaign", "p-2", body.clone());
    let again = recruit(&s, "resume_campaign", "r-2", body.clone());
    assert_eq!(again.status, 200, "{}", again.text);
    // But the other account has never launched.
    let (b1, _, _) = campaigns(&s, B)[0].clone();
    recruit(&s, "pause_campaign", "p-3", json!({"ad_account_id": B, "campaign_id": b1}));
    assert_eq!(recruit(&s, "resume_campaign", "r-3", json!({"ad_account_id": B, "campaign_id": b1})).status, 202);

    // Deletion always waits.
    let del = recruit(&s, "delete_campaign", "d-1", body.clone());
    assert_eq!(del.status, 202, "{}", del.text);
    assert_eq!(del.body["approval"]["policy_flags"][0]["flag"], "deletion");
    assert_eq!(campaigns(&s, A)[0].2, "ACTIVE");
    let done = approve(&s, del.body["approval"]["id"].as_str().unwrap());
    assert_eq!(done.body["status"], "executed", "{}", done.text);
    let status = s.c.sim.graph_get(&format!("{c1}?fields=status"), TOKEN);
    assert_eq!(status["status"], "DELETED");

    // A write Meta fails is audited as failed, with Meta's error.
    s.c.sim.control("POST", "/faults", json!({"kind": "status", "status": 500, "method": "POST", "path_contains": c2}));
    let failed = recruit(&s, "pause_campaign", "p-5", json!({"ad_account_id": A, "campaign_id": c2}));
    assert_eq!(failed.status, 502, "{}", failed.text);
    let row = s.c.gw.query("SELECT outcome, external_id, graph_error FROM audit_log WHERE action = 'pause_campaign' AND outcome = 'failed'", &[]);
    assert_eq!((row.len(), row[0]["external_id"].as_str()), (1, Some(c2.as_str())));
    assert!(row[0]["graph_error"].as_str().unwrap().contains("\"status\":502"), "{}", row[0]["graph_error"]);
    assert_eq!(s.c.sim.graph_get(&c2, TOKEN)["id"], c2.as_str());
    assert_eq!(s.c.sim.graph_get(&format!("{c2}?fields=status"), TOKEN)["status"], "ACTIVE", "nothing changed on Meta");

    // A campaign of another account is refused with the field named.
    let wrong = recruit(&s, "pause_campaign", "p-4", json!({"ad_account_id": A, "campaign_id": b1}));
    assert_eq!((wrong.status, wrong.body["field"].as_str()), (422, Some("campaign_id")), "{}", wrong.text);
}

#[test]
fn guardrails_refuse_and_budget_increases_above_threshold_wait() {
    let s = setup("policies-budget-guardrails");
    let (c1, name, _) = campaigns(&s, A)[0].clone();
    let g = govern(&s, "set_campaign_guardrails", "g-1", json!({"naming_pattern": "{role}_{geo}_{yyyymm}", "max_daily_budget_minor": 100_000}));
    assert_eq!(g.status, 200, "{}", g.text);
    recruit(&s, "pause_campaign", "p-1", json!({"ad_account_id": A, "campaign_id": c1}));
    let refused = recruit(&s, "resume_campaign", "r-1", json!({"ad_account_id": A, "campaign_id": c1}));
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("name")), "{}", refused.text);
    assert!(refused.body["detail"].as_str().unwrap().contains(&name));
    assert_eq!(campaigns(&s, A)[0].2, "PAUSED", "a refused launch reaches no approval and no Meta write");
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM approvals", &[])[0]["n"], 0);

    // Budgets: the seeded ad sets spend 5000 a day. The cap for A is 8000.
    let adsets = s.c.sim.graph_get(&format!("act_{A}/adsets?fields=id,daily_budget"), TOKEN);
    let set = adsets["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(adsets["data"][0]["daily_budget"], "5000");
    govern(&s, "set_daily_budget_caps", "c-1", json!({"caps": {A: 8_000}}));
    govern(&s, "set_approval_thresholds", "t-1", json!({"budget_increase_pct": 10}));
    let budget = |idem: &str, n: i64| recruit(&s, "update_ad_set_budget", idem, json!({"ad_account_id": A, "ad_set_id": set, "daily_budget_minor": n}));
    let over_cap = budget("b-1", 9_000);
    assert_eq!((over_cap.status, over_cap.body["field"].as_str()), (422, Some("daily_budget_minor")), "{}", over_cap.text);
    let small = budget("b-2", 5_400);
    assert_eq!(small.status, 200, "8% is under the 10% threshold: {}", small.text);
    let big = budget("b-3", 7_000);
    assert_eq!(big.status, 202, "{}", big.text);
    assert_eq!(big.body["approval"]["policy_flags"][0], json!({"flag": "budget_increase", "from_minor": 5400, "to_minor": 7000, "threshold": "10%"}));
    let cut = budget("b-4", 3_000);
    assert_eq!(cut.status, 200, "decreases run at once: {}", cut.text);
    let writes = writes_to(&s, &set);
    // The approval runs later against the budget as it is then, and is still held to the cap.
    let done = approve(&s, big.body["approval"]["id"].as_str().unwrap());
    assert_eq!(done.body["status"], "executed", "{}", done.text);
    assert_eq!(s.c.sim.graph_get(&format!("{set}?fields=daily_budget"), TOKEN)["daily_budget"], "7000");
    assert_eq!(writes_to(&s, &set), writes + 1);
    let audit = s.c.gw.query(
        "SELECT outcome, before_json, after_json FROM audit_log WHERE action = 'update_ad_set_budget' AND outcome = 'succeeded' ORDER BY occurred_at",
        &[],
    );
    let budgets: Vec<(String, String)> = audit
        .iter()
        .map(|r| {
            let b: Value = serde_json::from_str(r["before_json"].as_str().unwrap()).unwrap();
            let a: Value = serde_json::from_str(r["after_json"].as_str().unwrap()).unwrap();
            (b["daily_budget"].as_str().unwrap().to_string(), a["daily_budget"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(budgets, [("5000".into(), "5400".into()), ("5400".into(), "3000".into()), ("3000".into(), "7000".into())]);
}

#[test]
fn copies_into_another_account_wait_for_approval() {
    let s = setup("policies-duplicate");
    let (c1, name, _) = campaigns(&s, A)[0].clone();
    let same = recruit(&s, "duplicate_campaign", "dup-1", json!({"ad_account_id": A, "campaign_id": c1}));
    assert_eq!(same.status, 201, "{}", same.text);
    assert_eq!(same.body["object"]["status"], "PAUSED");
    assert!(campaigns(&s, A).iter().any(|c| c.1 == format!("{name} (copy)")));

    let before_b = campaigns(&s, B).len();
    let cross =
        recruit(&s, "duplicate_campaign", "dup-2", json!({"ad_account_id": A, "campaign_id": c1, "target_ad_account_id": B, "name": "driver_TX_202612"}));
    assert_eq!(cross.status, 202, "{}", cross.text);
    assert_eq!(cross.body["approval"]["policy_flags"][0]["flag"], "cross_account_duplication");
    assert_eq!(campaigns(&s, B).len(), before_b, "nothing copied before approval");
    let done = approve(&s, cross.body["approval"]["id"].as_str().unwrap());
    assert_eq!(done.body["status"], "executed", "{}", done.text);
    let copies: Vec<_> = campaigns(&s, B).into_iter().filter(|c| c.1 == "driver_TX_202612").collect();
    assert_eq!(copies.len(), 1, "one copy");
    let copy = s.c.sim.graph_get(&format!("{}?fields=special_ad_categories,objective,account_id", copies[0].0), TOKEN);
    assert_eq!((copy["special_ad_categories"].clone(), copy["account_id"].as_str()), (json!(["EMPLOYMENT"]), Some(B)));
    let audit =
        s.c.gw
            .query("SELECT external_id, ad_account_id FROM audit_log WHERE action = 'duplicate_campaign' AND outcome = 'succeeded' ORDER BY occurred_at", &[]);
    assert_eq!(audit[1], json!({"external_id": copies[0].0, "ad_account_id": B}));

    // Admin-only governance stays out of a recruiter's reach.
    let r = act(&s, &s.recruiter, "admin_meta_ads_governance", "set_daily_budget_caps", "x-1", json!({"caps": {}}));
    assert_eq!(r.status, 403);
}
