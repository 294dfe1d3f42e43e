//! The security suite: one regression test for each hole the outside probe found, and the
//! promises that held (tenant isolation on every route and action, roles, four-eyes between
//! people, bounded input, no secret in D1, logs, responses, URLs or the simulator's ledger).
//! SECURITY.md maps each promise to the test here that keeps it.

use adgate_e2e::{json, sign_webhook, Connected, Gateway, Resp, Simulator, Value, BOOTSTRAP_KEY, VAULT_KEYS};
use std::time::Duration;

const TOKEN: &str = "e2e-security-token-a-7f3c";
const TOKEN_B: &str = "e2e-security-token-b-91d0";
const DEMO: &str = "100200300";
const MAX_BUDGET_MINOR: i64 = 100_000_000_000;

fn with_key(gw: &Gateway, key: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
    let auth = format!("Bearer {key}");
    let text = body.map(|b| b.to_string());
    gw.request(method, path, &[("Authorization", &auth)], text.as_deref())
}

fn act(gw: &Gateway, key: &str, router: &str, action: &str, idem: &str, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    gw.request("POST", &format!("/v1/actions/{router}/{action}"), &[("Authorization", &auth), ("Idempotency-Key", idem)], Some(&body.to_string()))
}

fn govern(gw: &Gateway, key: &str, action: &str, idem: &str, body: Value) -> Resp {
    act(gw, key, "admin_meta_ads_governance", action, idem, body)
}

fn bind(c: &Connected, iid: &str, account: &str) -> Resp {
    c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{account}")})))
}

fn decide(gw: &Gateway, key: &str, id: &str, verb: &str) -> Resp {
    with_key(gw, key, "POST", &format!("/v1/approvals/{id}/{verb}"), None)
}

/// Ledger entries that reached this object on the simulator, writes only.
fn writes_to(sim: &Simulator, id: &str) -> Vec<Value> {
    sim.ledger().into_iter().filter(|e| e["method"] != "GET" && e["path"] == format!("/{id}")).collect()
}

/// A second workspace in the same gateway, with its own admin and its own Meta integration.
fn second_workspace(c: &Connected, token: &str) -> (String, String, String) {
    let r = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Intruder", "currency": "USD"})));
    let ws = r.body["id"].as_str().unwrap().to_string();
    let admin = c.gw.member_key(&ws, "admin");
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations"), Some(&json!({"access_token": token})));
    assert_eq!(r.status, 201, "{}", r.text);
    (ws, admin, r.body["integration"]["id"].as_str().unwrap().to_string())
}

// 1. A budget rise of any size skips approval.
#[test]
fn budgets_are_bounded_and_no_rise_overflows_past_approval() {
    let c = Connected::start("security-budgets", TOKEN, &[]);
    let iid = c.connect(TOKEN);
    assert_eq!(bind(&c, &iid, DEMO).status, 201);
    let recruiter = c.key("recruiter");
    let set = c.sim.graph_get(&format!("act_{DEMO}/adsets?fields=id,daily_budget&limit=1"), TOKEN)["data"][0].clone();
    let set_id = set["id"].as_str().unwrap().to_string();
    assert_eq!(set["daily_budget"], "5000");
    let budget = |idem: &str, minor: i64| {
        act(
            &c.gw,
            &recruiter,
            "recruiter_paid_media",
            "update_ad_set_budget",
            idem,
            json!({"ad_account_id": format!("act_{DEMO}"), "ad_set_id": set_id, "daily_budget_minor": minor}),
        )
    };
    // The probe's amount (i64 wraps on `rise * 100`) and anything past the bound: refused by the schema.
    for (idem, minor) in [("b-1", 100_000_000_000_000_000_i64), ("b-2", MAX_BUDGET_MINOR + 1), ("b-3", i64::MAX), ("b-4", 0)] {
        let r = budget(idem, minor);
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some("daily_budget_minor")), "{minor}: {}", r.text);
    }
    // The largest amount allowed is a rise far above the threshold: it waits for an approval.
    let r = budget("b-5", MAX_BUDGET_MINOR);
    assert_eq!((r.status, r.body["status"].as_str()), (202, Some("pending_approval")), "{}", r.text);
    assert!(r.body["approval"]["reasons"][0].as_str().unwrap().contains("budget increase"), "{}", r.text);
    assert!(writes_to(&c.sim, &set_id).is_empty(), "Meta received nothing");
    // The schema publishes the bounds.
    let listed = c.gw.admin("GET", "/v1/actions", None);
    let spec = listed.body["data"].as_array().unwrap().iter().find(|a| a["action"] == "update_ad_set_budget").unwrap().clone();
    let field = &spec["input_schema"]["properties"]["daily_budget_minor"];
    assert_eq!((field["minimum"].as_i64(), field["maximum"].as_i64()), (Some(1), Some(MAX_BUDGET_MINOR)));
    // A small rise within the threshold runs at once and reaches Meta once.
    let r = budget("b-6", 5_500);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(writes_to(&c.sim, &set_id).len(), 1);
    // Meta's own cap (1M USD): an approved amount above it is refused by Meta, and audited as failed.
    let alice = c.key("admin");
    let id = r_id(&budget("b-7", 200_000_000));
    let done = decide(&c.gw, &alice, &id, "approve");
    assert_eq!(done.body["status"], "failed", "{}", done.text);
    assert_eq!(done.body["result"]["graph_subcode"], 1_885_261, "{}", done.text);
    assert_eq!(c.sim.graph_get(&format!("{set_id}?fields=daily_budget"), TOKEN)["daily_budget"], "5500");
}

fn r_id(r: &Resp) -> String {
    r.body["approval"]["id"].as_str().unwrap_or_else(|| panic!("{}", r.text)).to_string()
}

// 2. Four-eyes is one person with two keys.
#[test]
fn four_eyes_compares_people_not_keys() {
    let c = Connected::start("security-four-eyes", TOKEN, &[]);
    c.connect(TOKEN);
    let (alice_member, alice) = c.gw.new_member(&c.ws, "admin");
    let (bob_member, bob) = c.gw.new_member(&c.ws, "admin");
    let (rita_member, _) = c.gw.new_member(&c.ws, "recruiter");
    let asked = govern(&c.gw, &alice, "rotate_credentials", "rot-1", json!({"reason": "yearly"}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    let id = r_id(&asked);

    // Alice mints a second key for herself: allowed, and still Alice.
    let second = with_key(&c.gw, &alice, "POST", &format!("/v1/workspaces/{}/api-keys", c.ws), Some(json!({"label": "laptop"})));
    assert_eq!((second.status, second.body["member_id"].as_str()), (201, Some(alice_member.as_str())), "{}", second.text);
    let alice2 = second.body["key"].as_str().unwrap().to_string();
    let own = decide(&c.gw, &alice2, &id, "approve");
    assert_eq!(own.status, 403, "a second key of the requester is the requester: {}", own.text);
    // Nor can she mint a key for Bob, or a new admin of her own making.
    let for_bob = with_key(&c.gw, &alice, "POST", &format!("/v1/workspaces/{}/api-keys", c.ws), Some(json!({"member_id": bob_member})));
    assert_eq!(for_bob.status, 403, "{}", for_bob.text);
    let for_rita = with_key(&c.gw, &alice, "POST", &format!("/v1/workspaces/{}/api-keys", c.ws), Some(json!({"member_id": rita_member})));
    assert_eq!(for_rita.status, 403, "{}", for_rita.text);
    let puppet = with_key(
        &c.gw,
        &alice,
        "POST",
        &format!("/v1/workspaces/{}/members", c.ws),
        Some(json!({"name": "Sock", "email": "sock@example.test", "role": "admin"})),
    );
    assert_eq!(puppet.status, 403, "only the bootstrap key adds admins: {}", puppet.text);
    assert_eq!(c.gw.query("SELECT status FROM approvals WHERE id = ?1", &[&id])[0]["status"], "pending");

    // Bob is another person.
    let done = decide(&c.gw, &bob, &id, "approve");
    assert_eq!((done.status, done.body["status"].as_str()), (200, Some("executed")), "{}", done.text);
    let row = &c.gw.query("SELECT requested_by_member, decided_by_member FROM approvals WHERE id = ?1", &[&id])[0];
    assert_eq!((row["requested_by_member"].as_str(), row["decided_by_member"].as_str()), (Some(alice_member.as_str()), Some(bob_member.as_str())));
    let audit = c.gw.query("SELECT outcome, actor_member_id FROM audit_log WHERE action = 'rotate_credentials' ORDER BY occurred_at", &[]);
    assert!(audit.iter().all(|a| a["actor_member_id"] == alice_member.as_str()), "every row names the person: {audit:?}");
    let minted =
        c.gw.query("SELECT actor_member_id FROM audit_log WHERE action = 'create_api_key' AND external_id = ?1", &[&second.body["id"].as_str().unwrap()]);
    assert_eq!(minted[0]["actor_member_id"], alice_member.as_str());
    let listed = with_key(&c.gw, &bob, "GET", &format!("/v1/workspaces/{}/members", c.ws), None);
    let alice_row = listed.body["data"].as_array().unwrap().iter().find(|m| m["id"] == alice_member.as_str()).unwrap().clone();
    assert_eq!(alice_row["live_keys"], 2);
}

// 3 and 4. Binding: no workspace spends another's budget, and nobody squats an account.
#[test]
fn binds_prove_access_first_cost_the_owner_nothing_and_never_squat() {
    let c = Connected::start("security-binds", TOKEN, &[("GATE_MAX_CALLS", "5"), ("GATE_WINDOW_SECONDS", "60")]);
    // B's token sees its own account only.
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": "100200999", "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "access_token": TOKEN_B}),
    );
    let (ws_b, admin_b, iid_b) = second_workspace(&c, TOKEN_B);

    // B squats the demo account by hand before its owner binds it: unverified.
    let manual = json!({"account_id": format!("act_{DEMO}"), "name": "Squat", "currency": "USD", "timezone_name": "UTC"});
    let squat = with_key(&c.gw, &admin_b, "POST", &format!("/v1/workspaces/{ws_b}/ad-accounts"), Some(manual.clone()));
    assert_eq!(squat.status, 201, "{}", squat.text);
    assert_eq!(c.gw.query("SELECT verified FROM ad_accounts WHERE id = ?1", &[&DEMO])[0]["verified"], 0);

    // The owner binds through its own integration: Meta shows it the account, so it takes over.
    let iid = c.connect(TOKEN);
    let owned = bind(&c, &iid, DEMO);
    assert_eq!(owned.status, 201, "{}", owned.text);
    let row = &c.gw.query("SELECT workspace_id, verified, integration_id FROM ad_accounts WHERE id = ?1", &[&DEMO])[0];
    assert_eq!((row["workspace_id"].as_str(), row["verified"].as_i64(), row["integration_id"].as_str()), (Some(c.ws.as_str()), Some(1), Some(iid.as_str())));
    let told = c.gw.query("SELECT action FROM audit_log WHERE workspace_id = ?1 AND action = 'unbind_ad_account'", &[&ws_b]);
    assert_eq!(told.len(), 1, "the squatter's workspace is told why");

    // Now nobody else can bind it, and the 409 does not name the owner.
    let again = with_key(&c.gw, &admin_b, "POST", &format!("/v1/workspaces/{ws_b}/ad-accounts"), Some(manual));
    assert_eq!(again.status, 409);
    assert!(!again.text.contains(&c.ws) && again.text.contains("another workspace"), "{}", again.text);
    let before = c.gw.admin("GET", &format!("/v1/ad-accounts/act_{DEMO}/gate"), None).body["state"].clone();
    let ledger_before = c.sim.ledger().len();
    for i in 0..12 {
        let r =
            with_key(&c.gw, &admin_b, "POST", &format!("/v1/workspaces/{ws_b}/integrations/{iid_b}/bind"), Some(json!({"account_id": format!("act_{DEMO}")})));
        assert_eq!(r.status, 409, "attempt {i}: {}", r.text);
        assert!(!r.text.contains(&c.ws));
    }
    let after = c.gw.admin("GET", &format!("/v1/ad-accounts/act_{DEMO}/gate"), None).body["state"].clone();
    assert_eq!(
        (after["admitted_total"].clone(), after["rejected_total"].clone()),
        (before["admitted_total"].clone(), before["rejected_total"].clone()),
        "refused binds cost the owner's gate nothing"
    );
    assert_eq!(c.sim.ledger().len(), ledger_before, "refused from D1, without a Graph call");
    let own_read = c.gw.admin("GET", &format!("/v1/ad-accounts/act_{DEMO}/meta"), None);
    assert_eq!(own_read.status, 200, "the owner's budget is intact: {}", own_read.text);

    // An account B's token cannot see: the proof fails against B's own budget, not the account's.
    c.sim.control("POST", "/accounts", json!({"account_id": "100200777", "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "access_token": TOKEN}));
    for _ in 0..8 {
        let r = with_key(&c.gw, &admin_b, "POST", &format!("/v1/workspaces/{ws_b}/integrations/{iid_b}/bind"), Some(json!({"account_id": "act_100200777"})));
        assert!(matches!(r.status, 422 | 429), "{}", r.text);
    }
    let untouched = c.gw.admin("GET", "/v1/ad-accounts/act_100200777/gate", None).body["state"].clone();
    assert_eq!(untouched["admitted_total"].as_i64().unwrap_or(0) + untouched["rejected_total"].as_i64().unwrap_or(0), 0, "{untouched}");
    assert_eq!(bind(&c, &iid, "100200777").status, 201, "the real owner binds it at once");

    // A manual bind never displaces anyone, verified or not.
    let manual_c = json!({"account_id": "act_555", "name": "Ingest", "currency": "USD", "timezone_name": "UTC"});
    assert_eq!(c.gw.admin("POST", &format!("/v1/workspaces/{}/ad-accounts", c.ws), Some(&manual_c)).status, 201);
    assert_eq!(with_key(&c.gw, &admin_b, "POST", &format!("/v1/workspaces/{ws_b}/ad-accounts"), Some(manual_c)).status, 409);
}

// 5. Large signed webhooks.
#[test]
fn signed_webhooks_of_any_size_up_to_the_limit_are_kept_whole() {
    let gw = Gateway::start("security-webhooks");
    let changes: Vec<Value> = (0..1_000)
        .map(|i| json!({"field": "with_issues_ad_objects", "value": {"id": format!("{}", 120_000_000 + i), "level": "AD", "error_code": 1_487_000, "error_summary": "Ad rejected: the text in the image does not meet our policy on employment ads; see the details", "error_message": "Your ad was rejected because its text does not follow the Advertising Policies for employment"}}))
        .collect();
    let body = json!({"object": "ad_account", "entry": [{"id": DEMO, "time": 1_795_428_000, "changes": changes}]}).to_string();
    assert!(body.len() > 300_000, "{}", body.len());
    let r = gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sign_webhook(&body))], Some(&body));
    assert_eq!((r.status, r.body["received"].as_i64()), (200, Some(1_000)), "{}", r.text);
    gw.wait_for("all 1,000 changes stored", Duration::from_secs(60), || {
        (gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"] == 1_000).then_some(())
    });
    // Redelivered (Meta retries): still 1,000.
    assert_eq!(gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sign_webhook(&body))], Some(&body)).status, 200);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"], 1_000);
    // Past the documented maximum (4 MiB): 413, nothing stored.
    let huge = format!("{{\"object\":\"ad_account\",\"entry\":[],\"pad\":\"{}\"}}", "x".repeat(4 * 1024 * 1024));
    let r = gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sign_webhook(&huge))], Some(&huge));
    assert_eq!((r.status, r.content_type.as_str()), (413, "application/problem+json"), "{}", r.text);
}

// 6. Huge values crash actions and jam their idempotency key.
#[test]
fn huge_values_are_refused_briefly_and_never_jam_a_key() {
    let c = Connected::start("security-huge", TOKEN, &[]);
    let admin = c.key("admin");
    let ten_mb = "9".repeat(10 * 1024 * 1024);
    for (action, body) in [
        ("set_daily_budget_caps", format!("{{\"caps\":{{\"{ten_mb}\":1}}}}")),
        ("set_campaign_guardrails", format!("{{\"naming_pattern\":\"{ten_mb}\"}}")),
        ("set_insights_settings", format!("{{\"breakdown_sets\":[\"{ten_mb}\"]}}")),
    ] {
        let auth = format!("Bearer {admin}");
        let r = c.gw.request(
            "POST",
            &format!("/v1/actions/admin_meta_ads_governance/{action}"),
            &[("Authorization", &auth), ("Idempotency-Key", action)],
            Some(&body),
        );
        assert_eq!((r.status, r.content_type.as_str()), (413, "application/problem+json"), "{action}: {}", &r.text[..r.text.len().min(300)]);
        // Under the body limit, the value is still refused, with a short message, and recorded.
        let big = "7".repeat(900_000);
        let small_body = match action {
            "set_daily_budget_caps" => json!({"caps": {big.clone(): 1}}),
            "set_campaign_guardrails" => json!({"required_special_ad_categories": [big.clone()]}),
            _ => json!({"attribution_windows": [big.clone()]}),
        };
        let first = govern(&c.gw, &admin, action, &format!("{action}-2"), small_body.clone());
        assert_eq!(first.status, 422, "{action}: {}", &first.text[..first.text.len().min(300)]);
        assert!(first.text.len() < 2_000, "{action}: the message quotes no more than an excerpt ({} bytes)", first.text.len());
        let again = govern(&c.gw, &admin, action, &format!("{action}-2"), small_body);
        assert_eq!(again.status, 422, "{action}: the key is not left claimed (no 409): {}", &again.text[..again.text.len().min(300)]);
        // The same key and a good body is a different request (422), and a new key works.
        let good = match action {
            "set_daily_budget_caps" => json!({"caps": {}}),
            "set_campaign_guardrails" => json!({"max_daily_budget_minor": 50_000}),
            _ => json!({"attribution_windows": ["7d_click"]}),
        };
        let fresh = govern(&c.gw, &admin, action, &format!("{action}-3"), good);
        assert!(fresh.status == 200 || (action == "set_daily_budget_caps" && fresh.status == 422), "{action}: {}", fresh.text);
    }
    // A refusal decided after the key was claimed is recorded and replayed, never left claimed.
    let unbound = json!({"caps": {"act_9999": 1_000}});
    let first = govern(&c.gw, &admin, "set_daily_budget_caps", "caps-unbound", unbound.clone());
    assert_eq!((first.status, first.body["field"].as_str()), (422, Some("caps")), "{}", first.text);
    let replay = govern(&c.gw, &admin, "set_daily_budget_caps", "caps-unbound", unbound);
    assert_eq!((replay.status, replay.header("idempotent-replayed")), (422, Some("true")), "{}", replay.text);
    // Every duration and count is range-checked.
    for (i, bad) in [
        json!({"approval_ttl_seconds": i64::MAX}),
        json!({"approval_ttl_seconds": 0}),
        json!({"approval_ttl_seconds": 30 * 86_400 + 1}),
        json!({"budget_increase_pct": -1}),
        json!({"budget_increase_minor": MAX_BUDGET_MINOR + 1}),
    ]
    .into_iter()
    .enumerate()
    {
        let field = bad.as_object().unwrap().keys().next().unwrap().clone();
        let r = govern(&c.gw, &admin, "set_approval_thresholds", &format!("t-{i}"), bad);
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field.as_str())), "{}", r.text);
    }
    for (action, bad) in [
        ("get_audit_events", json!({"limit": 501})),
        ("get_meta_api_error_digest", json!({"since_hours": 0})),
        ("set_insights_settings", json!({"backfill_days": 1_000_000})),
    ] {
        let r = govern(&c.gw, &admin, action, &format!("{action}-range"), bad);
        assert_eq!(r.status, 422, "{action}: {}", r.text);
    }
    assert!(c.gw.query("SELECT value_json FROM governance_policies WHERE kind = 'approval_thresholds'", &[]).is_empty(), "nothing out of range was stored");
}

// 7. A Meta token travels in a URL; and the ledger, logs and D1 hold no secret.
#[test]
fn no_token_or_secret_travels_in_a_url_or_lands_anywhere() {
    let c = Connected::start("security-secrets", TOKEN, &[]);
    let iid = c.connect(TOKEN);
    let admin = c.key("admin");
    assert_eq!(c.gw.admin("GET", &format!("/v1/workspaces/{}/integrations/{iid}/token-health", c.ws), None).status, 200);
    assert_eq!(govern(&c.gw, &admin, "get_token_health", "h", json!({"integration_id": iid})).status, 200);
    assert_eq!(govern(&c.gw, &admin, "refresh_system_user_token", "r", json!({"integration_id": iid})).status, 200);
    let ledger = c.sim.ledger();
    let debug: Vec<&Value> = ledger.iter().filter(|e| e["endpoint"] == "/debug_token").collect();
    assert!(debug.len() >= 3, "{}", debug.len());
    for e in &ledger {
        let in_url: Vec<&str> = e["query_keys"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for secret in ["access_token", "input_token", "client_secret", "fb_exchange_token", "code"] {
            assert!(!in_url.contains(&secret), "{secret} in the URL of {e}");
        }
    }
    let everything = serde_json::to_string(&ledger).unwrap();
    let vault_key = VAULT_KEYS.split(':').nth(1).unwrap();
    for secret in [TOKEN, "sim-app-secret", BOOTSTRAP_KEY, admin.as_str(), vault_key] {
        assert!(!everything.contains(secret), "a secret in the simulator's ledger");
        c.gw.assert_not_in_d1(secret);
    }
    // What the worker itself logs: the tokens and keys it handles at run time. (The settings
    // the harness passes on wrangler's command line are wrangler's to print.)
    for secret in [TOKEN, admin.as_str()] {
        c.gw.assert_nowhere(secret);
    }
}

// The second list: smaller holes.
#[test]
fn smaller_holes_stay_closed() {
    let c = Connected::start("security-small", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    let iid = c.connect(TOKEN);
    assert_eq!(bind(&c, &iid, DEMO).status, 201);
    let (admin, recruiter) = (c.key("admin"), c.key("recruiter"));
    c.gw.wait_for("the structure mirror", Duration::from_secs(120), || {
        (c.gw.query("SELECT COUNT(*) AS n FROM meta_campaigns WHERE ad_account_id = ?1", &[&DEMO])[0]["n"].as_i64() > Some(0)).then_some(())
    });
    let campaign_a = c.gw.query("SELECT id FROM meta_campaigns WHERE ad_account_id = ?1 LIMIT 1", &[&DEMO])[0]["id"].as_str().unwrap().to_string();

    // Another workspace's object ids are refused from the mirrors, with no Graph call.
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": "100200888", "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "access_token": TOKEN_B}),
    );
    let (ws_b, _admin_b, iid_b) = second_workspace(&c, TOKEN_B);
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{ws_b}/integrations/{iid_b}/bind"), Some(&json!({"account_id": "act_100200888"})));
    assert_eq!(r.status, 201, "{}", r.text);
    let recruiter_b = c.gw.member_key(&ws_b, "recruiter");
    let before = c.sim.ledger().len();
    let r = act(&c.gw, &recruiter_b, "recruiter_paid_media", "pause_campaign", "x-1", json!({"ad_account_id": "act_100200888", "campaign_id": campaign_a}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("campaign_id")), "{}", r.text);
    assert!(c.sim.ledger()[before..].iter().all(|e| !e["path"].as_str().unwrap_or_default().contains(&campaign_a)), "no Graph call for it");
    let r =
        act(&c.gw, &recruiter_b, "recruiter_paid_media", "pause_campaign", "x-2", json!({"ad_account_id": format!("act_{DEMO}"), "campaign_id": campaign_a}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("ad_account_id")), "{}", r.text);

    // Unknown workspaces are 404 on every workspace route, approvals included.
    for path in ["/v1/workspaces/ws_nope", "/v1/workspaces/ws_nope/approvals", "/v1/workspaces/ws_nope/members", "/v1/workspaces/ws_nope/api-keys"] {
        assert_eq!(c.gw.admin("GET", path, None).status, 404, "{path}");
    }

    // Metrics ingest: unknown top-level fields named; an all-bad batch is a problem with the rows inside.
    let ingest = |body: Value| with_key(&c.gw, &recruiter, "POST", &format!("/v1/workspaces/{}/metrics/ingest", c.ws), Some(body));
    let r = ingest(json!({"rows": [], "dry_run": true}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("dry_run")), "{}", r.text);
    let r = ingest(json!({"rows": [{"external_entity_id": "1", "level": "ad", "ad_account_id": "act_1", "date": "2026-11-20"}]}));
    assert_eq!((r.status, r.content_type.as_str()), (422, "application/problem+json"), "{}", r.text);
    assert_eq!((r.body["rejected"].as_i64(), r.body["errors"][0]["field"].as_str()), (Some(1), Some("ad_account_id")), "{}", r.text);

    // JSON routes need a JSON body.
    let auth = format!("Bearer {admin}");
    let r = c.gw.request_raw(
        "POST",
        "/v1/actions/admin_meta_ads_governance/set_approval_thresholds",
        &[("Authorization", &auth), ("Idempotency-Key", "ct"), ("Content-Type", "text/plain")],
        "{\"budget_increase_pct\": 10}",
    );
    assert_eq!(r.status, 415, "{}", r.text);
    let r = c.gw.request_raw(
        "POST",
        "/v1/workspaces",
        &[("Authorization", &format!("Bearer {BOOTSTRAP_KEY}")), ("Content-Type", "application/x-www-form-urlencoded")],
        "{\"name\":\"x\",\"currency\":\"USD\"}",
    );
    assert_eq!(r.status, 415, "{}", r.text);
    let r = c.gw.request_raw(
        "POST",
        "/v1/workspaces",
        &[("Authorization", &format!("Bearer {BOOTSTRAP_KEY}")), ("Content-Type", "application/json")],
        &"{\"name\":\"".repeat(300_000),
    );
    assert_eq!(r.status, 413, "a body over 1 MiB: {}", r.text);

    // Only operators admit calls by hand.
    for key in [&recruiter, &admin] {
        assert_eq!(with_key(&c.gw, key, "POST", &format!("/v1/ad-accounts/act_{DEMO}/gate/admit"), None).status, 403);
    }

    // Wrong keys: a budget per client, 429 once spent, while a valid key still works.
    let mut statuses = Vec::new();
    for i in 0..25 {
        statuses.push(with_key(&c.gw, &format!("adg_00000000_wrong{i:027}"), "GET", &format!("/v1/workspaces/{}", c.ws), None));
        if i == 22 {
            assert_eq!(with_key(&c.gw, &admin, "GET", &format!("/v1/workspaces/{}", c.ws), None).status, 200, "a valid key is never locked out");
        }
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status).collect();
    assert!(codes[..20].iter().all(|s| *s == 401), "{codes:?}");
    assert!(codes[20..].iter().all(|s| *s == 429), "{codes:?}");
    assert!(statuses[24].header("retry-after").and_then(|v| v.parse::<u64>().ok()).is_some_and(|s| (1..=60).contains(&s)), "{:?}", statuses[24].headers);
    let other_client =
        c.gw.request("GET", &format!("/v1/workspaces/{}", c.ws), &[("Authorization", "Bearer adg_00000000_nope"), ("CF-Connecting-IP", "203.0.113.7")], None);
    assert!(matches!(other_client.status, 401 | 429), "{}", other_client.text);

    // The OAuth flow completes only in the browser that started it.
    let start = with_key(&c.gw, &admin, "GET", &format!("/v1/meta/connect/start?workspace_id={}", c.ws), None);
    let cookie = start.header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let dialog = start.body["url"].as_str().unwrap().to_string();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let back = agent.get(&dialog).call().unwrap();
    let callback = back.header("location").unwrap().to_string();
    let path = callback.split_once("/v1/").map(|(_, p)| format!("/v1/{p}")).unwrap();
    let stolen = c.gw.request("GET", &path, &[("Cookie", "adgate_oauth_binding=someone-elses")], None);
    assert_eq!((stolen.status, stolen.body["field"].as_str()), (422, Some("state")), "{}", stolen.text);
    let bare = c.gw.get(&path);
    assert_eq!(bare.status, 422);
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM integrations WHERE workspace_id = ?1", &[&c.ws])[0]["n"], 1, "no integration from a stolen flow");
}

// The promises that held: tenant isolation on every route and action, and roles.
#[test]
fn every_route_and_action_is_isolated_by_workspace_and_role() {
    let c = Connected::start("security-isolation", TOKEN, &[]);
    let iid = c.connect(TOKEN);
    assert_eq!(bind(&c, &iid, DEMO).status, 201);
    let (admin_a, recruiter_a) = (c.key("admin"), c.key("recruiter"));
    let (member_a, _) = c.gw.new_member(&c.ws, "recruiter");
    let key_a = c.gw.query("SELECT id FROM api_keys WHERE member_id = ?1", &[&member_a])[0]["id"].as_str().unwrap().to_string();
    let pending = govern(&c.gw, &admin_a, "disable_integration", "d-1", json!({"integration_id": iid, "reason": "test"}));
    let approval_a = r_id(&pending);
    assert_eq!(c.gw.admin("POST", &format!("/v1/accounts/act_{DEMO}/sync"), Some(&json!({"kind": "structure"}))).status, 202);
    let run_a = c.gw.query("SELECT id FROM sync_runs WHERE ad_account_id = ?1 LIMIT 1", &[&DEMO])[0]["id"].as_str().unwrap().to_string();

    let other = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let (admin_b, recruiter_b) = (c.gw.member_key(&other, "admin"), c.gw.member_key(&other, "recruiter"));
    let ws = c.ws.clone();
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/v1/workspaces/{ws}"), None),
        ("GET", format!("/v1/workspaces/{ws}/ad-accounts"), None),
        ("POST", format!("/v1/workspaces/{ws}/ad-accounts"), Some(json!({"account_id": "act_1", "name": "x", "currency": "USD", "timezone_name": "UTC"}))),
        ("GET", format!("/v1/workspaces/{ws}/api-keys"), None),
        ("POST", format!("/v1/workspaces/{ws}/api-keys"), Some(json!({"member_id": member_a}))),
        ("POST", format!("/v1/workspaces/{ws}/api-keys/{key_a}/revoke"), None),
        ("GET", format!("/v1/workspaces/{ws}/members"), None),
        ("POST", format!("/v1/workspaces/{ws}/members"), Some(json!({"name": "x", "email": "x@y.test", "role": "recruiter"}))),
        ("GET", format!("/v1/workspaces/{ws}/approvals"), None),
        ("POST", format!("/v1/approvals/{approval_a}/approve"), None),
        ("POST", format!("/v1/approvals/{approval_a}/reject"), None),
        ("GET", format!("/v1/workspaces/{ws}/integrations"), None),
        ("POST", format!("/v1/workspaces/{ws}/integrations"), Some(json!({"access_token": TOKEN}))),
        ("GET", format!("/v1/workspaces/{ws}/integrations/{iid}/token-health"), None),
        ("GET", format!("/v1/workspaces/{ws}/integrations/{iid}/adaccounts"), None),
        ("POST", format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(json!({"account_id": "act_1"}))),
        (
            "POST",
            format!("/v1/workspaces/{ws}/metrics/ingest"),
            Some(json!({"rows": [{"external_entity_id": "1", "level": "ad", "ad_account_id": format!("act_{DEMO}"), "date": "2026-11-20"}]})),
        ),
        (
            "POST",
            format!("/v1/workspaces/{ws}/pipeline/events"),
            Some(json!({"events": [{"type": "application", "source": "ats", "application_id": "theirs-1", "applied_at": "2026-11-20"}]})),
        ),
        ("GET", format!("/v1/meta/connect/start?workspace_id={ws}"), None),
        ("GET", format!("/v1/ad-accounts/act_{DEMO}/meta"), None),
        ("GET", format!("/v1/ad-accounts/act_{DEMO}/gate"), None),
        ("POST", format!("/v1/ad-accounts/act_{DEMO}/gate/admit"), None),
        ("POST", format!("/v1/accounts/act_{DEMO}/sync"), Some(json!({"kind": "structure"}))),
        ("GET", format!("/v1/accounts/act_{DEMO}/sync/{run_a}"), None),
        ("GET", "/v1/cron-runs".to_string(), None),
        ("GET", "/v1/dead-letters".to_string(), None),
        ("POST", "/v1/workspaces".to_string(), Some(json!({"name": "x", "currency": "USD"}))),
    ];
    let writes_before = c.gw.query("SELECT COUNT(*) AS n FROM audit_log", &[])[0]["n"].clone();
    for key in [&admin_b, &recruiter_b] {
        for (method, path, body) in &routes {
            let r = with_key(&c.gw, key, method, path, body.clone());
            assert!(matches!(r.status, 403 | 404), "{method} {path} with another workspace's key: {} {}", r.status, r.text);
            let mut said = r.body.clone();
            said.as_object_mut().map(|o| o.remove("instance"));
            assert!(!said.to_string().contains(&iid) && !r.text.contains(TOKEN), "{method} {path} leaked: {}", r.text);
        }
        // Ledgers a workspace key may read show only its own rows.
        let runs = with_key(&c.gw, key, "GET", &format!("/v1/sync-runs?ad_account_id=act_{DEMO}"), None);
        assert_eq!(runs.body["data"], json!([]), "{}", runs.text);
    }
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM audit_log", &[])[0]["n"], writes_before, "nothing written by the other workspace");
    assert_eq!(c.gw.query("SELECT status FROM approvals WHERE id = ?1", &[&approval_a])[0]["status"], "pending");

    // Every action in the catalogue: another workspace's keys are refused before anything runs.
    let actions = c.gw.admin("GET", "/v1/actions", None).body["data"].as_array().unwrap().clone();
    assert!(actions.len() >= 21);
    for a in &actions {
        let (router, name) = (a["router"].as_str().unwrap(), a["action"].as_str().unwrap());
        for key in [&admin_b, &recruiter_b] {
            let r = act(&c.gw, key, router, name, &format!("iso-{name}"), json!({"workspace_id": ws}));
            assert_eq!(r.status, 403, "{router}/{name}: {}", r.text);
        }
        // Roles: a recruiter of the workspace itself cannot run an admin action.
        if !a["roles"].as_array().unwrap().iter().any(|r| r == "recruiter") {
            let r = act(&c.gw, &recruiter_a, router, name, &format!("role-{name}"), json!({}));
            assert_eq!(r.status, 403, "{router}/{name} as a recruiter: {}", r.text);
        }
    }
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM audit_log", &[])[0]["n"], writes_before);

    // Every action with this workspace's objects named in its input (its ad account, campaign,
    // ad set, ad, creative, audience, draft, integration, approval) by the other workspace's keys,
    // in their own workspace, with every other field valid so the input decodes: refused, or
    // answered from their own workspace, never acting on or showing ours.
    let first = |edge: &str| c.sim.graph_get(&format!("act_{DEMO}/{edge}?fields=id&limit=1"), TOKEN)["data"][0]["id"].as_str().unwrap().to_string();
    let (campaign, ad_set, ad, creative) = (first("campaigns"), first("adsets"), first("ads"), first("adcreatives"));
    let campaign_spec =
        json!({ "name": "probe", "objective": "OUTCOME_LEADS", "special_ad_categories": ["EMPLOYMENT"], "special_ad_category_country": ["US"] });
    let ad_set_spec = json!({ "name": "probe", "optimization_goal": "LINK_CLICKS", "billing_event": "IMPRESSIONS", "daily_budget_minor": 5000, "targeting": { "geo_locations": { "countries": ["US"] } } });
    let creative_spec = json!({ "name": "probe", "page_id": "4242", "link": "https://jobs.example.com/a", "message": "probe" });
    let draft = act(
        &c.gw,
        &recruiter_a,
        "recruiter_paid_media",
        "create_campaign_draft",
        "ours-draft",
        json!({"ad_account_id": format!("act_{DEMO}"), "campaign": campaign_spec}),
    );
    assert_eq!(draft.status, 201, "{}", draft.text);
    let draft_id = draft.body["draft_id"].as_str().unwrap().to_string();
    let audience = act(
        &c.gw,
        &recruiter_a,
        "recruiter_paid_media",
        "create_custom_audience",
        "ours-aud",
        json!({"ad_account_id": format!("act_{DEMO}"), "name": "ours", "customer_file_source": "USER_PROVIDED_ONLY"}),
    );
    assert_eq!(audience.status, 201, "{}", audience.text);
    let audience_id = audience.body["audience"]["id"].as_str().unwrap().to_string();
    // An optimisation made in our workspace, as an apply action records it.
    c.gw.plant(
        "INSERT INTO optimizations (id, workspace_id, ad_account_id, action, object_kind, object_id, field, before_value, after_value, applied_by, applied_at, applied_at_ms) \
         VALUES ('opt_ours_probe', ?1, ?2, 'apply_bid_adjustment', 'adset', ?3, 'bid_amount', '400', '460', 'mem_x', '2026-01-01T00:00:00Z', 0)",
        &[&ws, &DEMO, &ad_set],
    );
    // A report and a repeating one of ours.
    c.gw.plant(
        "INSERT INTO report_jobs (id, workspace_id, ad_account_id, spec_json, status, created_by, created_at, updated_at) \
         VALUES ('rpt_ours_probe', ?1, ?2, '{}', 'succeeded', 'mem_x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        &[&ws, &DEMO],
    );
    c.gw.plant(
        "INSERT INTO report_schedules (id, workspace_id, ad_account_id, spec_json, every, last_days, next_run_at, status, created_by, created_at, updated_at) \
         VALUES ('rsc_ours_probe', ?1, ?2, '{}', 'day', 7, '2030-01-01T00:00:00.000Z', 'active', 'mem_x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        &[&ws, &DEMO],
    );
    // A rule of ours.
    c.gw.plant(
        "INSERT INTO rules (id, workspace_id, ad_account_id, name, owner_member_id, spec, every, status, created_at, updated_at) \
         VALUES ('rul_ours_probe', ?1, ?2, 'ours', 'mem_x', '{}', 'sync', 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        &[&ws, &DEMO],
    );
    // A recruiting system's connection of ours.
    c.gw.plant(
        "INSERT INTO ats_connections (id, workspace_id, kind, secret_sealed, stages, status, created_by, created_at, updated_at) \
         VALUES ('ats_ours_probe', ?1, 'greenhouse', 'sealed', '{}', 'active', 'key_x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        &[&ws],
    );
    let ours = json!({
        "ad_account_id": format!("act_{DEMO}"), "target_ad_account_id": format!("act_{DEMO}"), "campaign_id": campaign, "ad_set_id": ad_set,
        "ad_id": ad, "creative_id": creative, "audience_id": audience_id, "origin_audience_id": audience_id, "draft_id": draft_id,
        "integration_id": iid, "approval_id": approval_a, "caps": { format!("act_{DEMO}"): 100 }, "optimization_id": "opt_ours_probe",
        // Valid values for every other field an action may require.
        "daily_budget_minor": 100, "bid_amount_minor": 100, "reason": "probe", "name": "probe", "message": "probe", "campaign": campaign_spec, "ad_set": ad_set_spec,
        "creative": creative_spec, "targeting": { "geo_locations": { "countries": ["US"] } }, "ads": [], "key": "probe", "revision": 1,
        "kind": "interest", "q": "nurse", "page_id": "4242", "end_time": "2027-01-01T00:00:00Z", "country": "US", "ratio_percent": 1, "schema": ["EMAIL"], "rows": [["a@example.com"]],
        "since": "2026-11-01", "until": "2026-11-07", "breakdowns": ["country"],
        "customer_file_source": "USER_PROVIDED_ONLY", "bytes_base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    });
    // The json! macro nests too deep for one literal of every field.
    let mut ours = ours;
    for (k, v) in [
        ("report_id", "rpt_ours_probe"),
        ("schedule_id", "rsc_ours_probe"),
        ("rule_id", "rul_ours_probe"),
        ("connection_id", "ats_ours_probe"),
        ("decision_id", "probe-decision"),
        ("url", "https://hooks.example.com/theirs"),
        ("secret", "their-own-secret-0123456789abcdefghij"),
        ("by", "campaign"),
    ] {
        ours[k] = json!(v);
    }
    ours["months"] = json!([{"month": "2026-11", "internal_minor": 100}]);
    ours["to_version"] = json!("v27.0");
    // An upgrade plan of ours that found nothing blocking.
    c.gw.plant(
        "INSERT INTO api_upgrade_plans (id, workspace_id, from_version, to_version, report_json, created_by, created_at) \
         VALUES ('avp_ours_probe', ?1, 'v26.0', 'v27.0', '{\"safe\":true,\"blocking\":[]}', 'probe', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        &[&ws],
    );
    ours["plan_id"] = json!("avp_ours_probe");
    ours["rule"] = json!({ "level": "adset", "window_days": 7, "match": "all", "conditions": [{"metric": "spend", "op": "gt", "value": 0}],
        "action": {"kind": "pause"}, "schedule": {"every": "sync"} });
    let id_fields = [
        "ad_account_id",
        "target_ad_account_id",
        "campaign_id",
        "ad_set_id",
        "ad_id",
        "creative_id",
        "audience_id",
        "origin_audience_id",
        "draft_id",
        "integration_id",
        "approval_id",
        "caps",
        "optimization_id",
        "report_id",
        "schedule_id",
        "rule_id",
        "decision_id",
        "connection_id",
        "plan_id",
    ];
    let meta_calls_before = c.sim.ledger().len();
    let ours_audited = || c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE workspace_id = ?1", &[&ws])[0]["n"].clone();
    let audited_before = ours_audited();
    for a in &actions {
        let (router, name) = (a["router"].as_str().unwrap(), a["action"].as_str().unwrap());
        let fields = a["input_schema"]["properties"].as_object().unwrap();
        let mut body: serde_json::Map<String, Value> = fields.keys().filter_map(|f| ours.get(f).map(|v| (f.clone(), v.clone()))).collect();
        // `kind` is a targeting search's kind above; list_alerts filters by an alert's kind, and
        // connect_ats names a recruiting system's.
        if name == "list_alerts" || name == "connect_ats" {
            body.remove("kind");
        }
        let names_ours = body.keys().any(|f| id_fields.contains(&f.as_str()));
        let recruiter_may = a["roles"].as_array().unwrap().iter().any(|r| r == "recruiter");
        for key in [Some(&admin_b), recruiter_may.then_some(&recruiter_b)].into_iter().flatten() {
            let r = act(&c.gw, key, router, name, &format!("theirs-{name}"), Value::Object(body.clone()));
            // A refusal may quote what the caller sent; an answer shows nothing of ours.
            let shows_ours = [
                iid.as_str(),
                approval_a.as_str(),
                campaign.as_str(),
                ad_set.as_str(),
                ad.as_str(),
                creative.as_str(),
                audience_id.as_str(),
                draft_id.as_str(),
                DEMO,
            ]
            .iter()
            .any(|id| r.text.contains(id));
            assert!(r.status >= 400 || !shows_ours, "{router}/{name} showed another workspace's object: {}", r.text);
            // Reads of the mirrors by account are refused too (a list answers from the caller's own).
            let refuses = ["recruiter_paid_media_analytics", "cross_role_paid_media_pipeline"].contains(&router)
                || (!name.starts_with("get_") && !name.starts_with("list_"));
            if names_ours && refuses {
                assert!((400..500).contains(&r.status), "{router}/{name} with another workspace's objects: {}", r.text);
                // Refused for naming ours, not for some other field: the input decoded.
                let field = r.body["field"].as_str().unwrap_or_default();
                assert!(r.status != 422 || id_fields.contains(&field), "{router}/{name} refused {field}, not our object: {}", r.text);
            }
        }
    }
    assert_eq!(ours_audited(), audited_before, "nothing was done in our workspace");
    assert_eq!(c.gw.query("SELECT status FROM approvals WHERE id = ?1", &[&approval_a])[0]["status"], "pending");
    assert_eq!(c.gw.query("SELECT rolled_back_at FROM optimizations WHERE id = 'opt_ours_probe'", &[])[0]["rolled_back_at"], Value::Null);
    assert_eq!(c.gw.query("SELECT status FROM report_schedules WHERE id = 'rsc_ours_probe'", &[])[0]["status"], "active");
    assert_eq!(c.gw.query("SELECT status FROM rules WHERE id = 'rul_ours_probe'", &[])[0]["status"], "active");
    assert_eq!(
        c.gw.query("SELECT status, secret_sealed FROM ats_connections WHERE id = 'ats_ours_probe'", &[])[0],
        json!({"status": "active", "secret_sealed": "sealed"})
    );
    assert!(c.gw.query("SELECT 1 FROM notification_endpoints WHERE workspace_id = ?1", &[&ws]).is_empty(), "their endpoint is theirs");
    assert!(c.gw.query("SELECT 1 FROM api_version_pins", &[]).is_empty(), "no workspace was pinned to our plan's version");
    assert_eq!(c.gw.query("SELECT status FROM integrations WHERE id = ?1", &[&iid])[0]["status"], "active");
    assert_eq!(c.gw.query("SELECT revision, status FROM campaign_drafts WHERE id = ?1", &[&draft_id])[0], json!({"revision": 1, "status": "draft"}));
    // The other workspace has no integration: nothing it asked for may reach Meta at all.
    let reached_meta: Vec<Value> = c.sim.ledger().into_iter().skip(meta_calls_before).collect();
    assert!(reached_meta.is_empty(), "reached Meta through another workspace's objects: {reached_meta:?}");

    // Admin routes refuse the workspace's own recruiter.
    for (method, path) in [
        ("GET", format!("/v1/workspaces/{ws}/api-keys")),
        ("GET", format!("/v1/workspaces/{ws}/members")),
        ("GET", format!("/v1/workspaces/{ws}/approvals")),
        ("GET", format!("/v1/workspaces/{ws}/integrations")),
    ] {
        assert_eq!(with_key(&c.gw, &recruiter_a, method, &path, None).status, 403, "{path}");
    }
}

// Every action refuses, by name, an unknown field, an oversized text and an out-of-range number,
// whatever its schema: generated from the schemas /v1/actions publishes.
#[test]
fn every_action_refuses_unknown_oversized_and_out_of_range_input_by_name() {
    let c = Connected::start("security-inputs", TOKEN, &[]);
    let actions = c.gw.admin("GET", "/v1/actions", None).body["data"].as_array().unwrap().clone();
    let before = c.gw.query("SELECT COUNT(*) AS n FROM audit_log", &[])[0]["n"].clone();
    let mut checked = 0;
    for a in &actions {
        let (router, name) = (a["router"].as_str().unwrap(), a["action"].as_str().unwrap());
        let send = |body: Value| {
            let mut body = body;
            body["workspace_id"] = json!(c.ws);
            let auth = format!("Bearer {BOOTSTRAP_KEY}");
            c.gw.request("POST", &format!("/v1/actions/{router}/{name}"), &[("Authorization", &auth), ("Idempotency-Key", "inputs")], Some(&body.to_string()))
        };
        let r = send(json!({"zz_not_a_field": 1}));
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some("zz_not_a_field")), "{name}: {}", r.text);
        for (field, p) in a["input_schema"]["properties"].as_object().unwrap() {
            let types = p["type"].to_string();
            let bad = if types.contains("integer") {
                json!(p["maximum"].as_i64().unwrap().saturating_add(1))
            } else if let Some(max) = p["maxLength"].as_u64() {
                json!("x".repeat(max as usize + 1))
            } else if let Some(max) = p["maxItems"].as_u64() {
                json!(vec!["x"; max as usize + 1])
            } else if p["pattern"].is_string() {
                json!("not/an id")
            } else {
                continue;
            };
            let r = send(json!({ field.clone(): bad }));
            assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field.as_str())), "{name}.{field}: {}", r.text);
            assert!(r.text.len() < 2_000, "{name}.{field}: a short message");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} fields checked");
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM audit_log", &[])[0]["n"], before, "nothing ran");
}
