//! Governed actions: the registry, roles, input validation, Idempotency-Key semantics (replay,
//! mismatch, concurrent duplicates), audit rows with before/after, and the first governance actions.

use adgate_e2e::{json, Connected, Gateway, Resp, Simulator, Value};

const TOKEN: &str = "e2e-actions-token-77aa";

fn call(gw: &Gateway, key: &str, action: &str, idem: Option<&str>, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(k) = idem {
        headers.push(("Idempotency-Key", k));
    }
    gw.request("POST", &format!("/v1/actions/admin_meta_ads_governance/{action}"), &headers, Some(&body.to_string()))
}

struct Setup {
    gw: Gateway,
    _sim: Simulator,
    ws: String,
    admin: String,
    recruiter: String,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[]);
    let (admin, recruiter) = (c.key("admin"), c.key("recruiter"));
    let bind = json!({"account_id": "act_100200300", "name": "Demo", "currency": "USD", "timezone_name": "UTC"});
    assert_eq!(c.gw.admin("POST", &format!("/v1/workspaces/{}/ad-accounts", c.ws), Some(&bind)).status, 201);
    Setup { gw: c.gw, _sim: c.sim, ws: c.ws, admin, recruiter }
}

#[test]
fn the_registry_lists_actions_with_tiers_and_schemas_and_roles_are_enforced() {
    let s = setup("actions-registry");
    let auth = format!("Bearer {}", s.recruiter);
    let r = s.gw.request("GET", "/v1/actions", &[("Authorization", &auth)], None);
    assert_eq!(r.status, 200);
    let caps = r.body["data"].as_array().unwrap().iter().find(|a| a["action"] == "set_daily_budget_caps").unwrap().clone();
    assert_eq!((caps["risk_tier"].as_str(), caps["requires_idempotency_key"].as_bool()), (Some("execute_low"), Some(true)));
    assert_eq!(caps["input_schema"]["required"], json!(["caps"]));
    assert_eq!(s.gw.get("/v1/actions").status, 401);

    let denied = call(&s.gw, &s.recruiter, "list_meta_integrations", None, json!({}));
    assert_eq!(denied.status, 403, "{}", denied.text);
    let unknown = call(&s.gw, &s.admin, "launch_rockets", None, json!({}));
    assert_eq!(unknown.status, 404);
    let bad = call(&s.gw, &s.admin, "get_audit_events", None, json!({"limit": "ten"}));
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("limit")));
    let extra = call(&s.gw, &s.admin, "get_audit_events", None, json!({"colour": "red"}));
    assert_eq!((extra.status, extra.body["field"].as_str()), (422, Some("colour")));
    let no_key = call(&s.gw, &s.admin, "set_approval_thresholds", None, json!({"budget_increase_pct": 20}));
    assert_eq!((no_key.status, no_key.body["field"].as_str()), (400, Some("Idempotency-Key")));

    // The bootstrap key must say which workspace; another workspace's admin may not.
    let boot = s.gw.admin("POST", "/v1/actions/admin_meta_ads_governance/list_meta_integrations", Some(&json!({})));
    assert_eq!(boot.body["field"], "workspace_id");
    let other = s.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let other_admin = s.gw.member_key(&other, "admin");
    let cross = call(&s.gw, &other_admin, "get_audit_events", None, json!({"workspace_id": s.ws}));
    assert_eq!(cross.status, 403);
}

#[test]
fn idempotency_keys_replay_refuse_mismatches_and_collapse_concurrent_duplicates() {
    let s = setup("actions-idempotency");
    let caps = json!({"caps": {"act_100200300": 250_000}});
    let first = call(&s.gw, &s.admin, "set_daily_budget_caps", Some("caps-1"), caps.clone());
    assert_eq!(first.status, 200, "{}", first.text);
    let policy = s.gw.query("SELECT value_json FROM governance_policies WHERE kind = 'daily_budget_caps'", &[]);
    assert_eq!(serde_json::from_str::<Value>(policy[0]["value_json"].as_str().unwrap()).unwrap(), json!({"caps": {"100200300": 250_000}}));

    let again = call(&s.gw, &s.admin, "set_daily_budget_caps", Some("caps-1"), caps.clone());
    assert_eq!((again.status, again.header("idempotent-replayed")), (200, Some("true")));
    assert_eq!(again.body, first.body, "the first result, replayed");
    let audits = |action: &str| s.gw.query("SELECT * FROM audit_log WHERE action = ?1", &[&action.to_string()]);
    assert_eq!(audits("set_daily_budget_caps").len(), 1, "a replay changes nothing");
    assert_eq!(audits("set_daily_budget_caps")[0]["idempotency_key"], "caps-1");

    let reused = call(&s.gw, &s.admin, "set_daily_budget_caps", Some("caps-1"), json!({"caps": {"act_100200300": 1}}));
    assert_eq!((reused.status, reused.body["type"].as_str()), (422, Some("https://adgate.dev/problems/idempotency-key-reused")));

    let unbound = call(&s.gw, &s.admin, "set_daily_budget_caps", Some("caps-2"), json!({"caps": {"act_999": 5}}));
    assert_eq!((unbound.status, unbound.body["field"].as_str()), (422, Some("caps")));
    let replayed_error = call(&s.gw, &s.admin, "set_daily_budget_caps", Some("caps-2"), json!({"caps": {"act_999": 5}}));
    assert_eq!((replayed_error.status, replayed_error.header("idempotent-replayed")), (422, Some("true")));

    // Eight concurrent copies of one request: one executes, the rest replay or are told it is in flight.
    let body = json!({"budget_increase_pct": 25, "approval_ttl_seconds": 48});
    let results: Vec<Resp> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| call(&s.gw, &s.admin, "set_approval_thresholds", Some("thr-1"), body.clone()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|r| r.status == 200 || r.status == 409), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(results.iter().any(|r| r.status == 200 && r.header("idempotent-replayed").is_none()));
    let bodies: Vec<&Value> = results.iter().filter(|r| r.status == 200).map(|r| &r.body).collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "every success carries the same result");
    assert_eq!(audits("set_approval_thresholds").len(), 1, "exactly one execution");

    // A second change records before and after.
    let next = call(&s.gw, &s.admin, "set_approval_thresholds", Some("thr-2"), json!({"budget_increase_pct": 10}));
    assert_eq!(next.status, 200);
    let rows = s.gw.query("SELECT before_json, after_json FROM audit_log WHERE action = 'set_approval_thresholds' ORDER BY occurred_at", &[]);
    let before: Value = serde_json::from_str(rows[1]["before_json"].as_str().unwrap()).unwrap();
    assert_eq!(before["budget_increase_pct"], 25);

    let events = call(&s.gw, &s.admin, "get_audit_events", None, json!({"action": "set_approval_thresholds"}));
    assert_eq!(events.body["data"].as_array().unwrap().len(), 2);
}

#[test]
fn integrations_are_listed_checked_and_quarantined_through_actions() {
    let s = setup("actions-integrations");
    let connected = s.gw.admin("POST", &format!("/v1/workspaces/{}/integrations", s.ws), Some(&json!({"access_token": TOKEN})));
    let iid = connected.body["integration"]["id"].as_str().unwrap().to_string();
    let listed = call(&s.gw, &s.admin, "list_meta_integrations", None, json!({}));
    assert_eq!(listed.body["data"][0]["id"], iid.as_str());
    assert!(!listed.text.contains(TOKEN) && !listed.text.contains("token_ciphertext"));
    let health = call(&s.gw, &s.admin, "get_token_health", None, json!({"integration_id": iid}));
    assert_eq!(health.body["token_health"]["is_valid"], true, "{}", health.text);

    let q = call(&s.gw, &s.admin, "quarantine_integration", Some("q-1"), json!({"integration_id": iid, "reason": "suspicious spend"}));
    assert_eq!(q.body["status"], "quarantined", "{}", q.text);
    assert_eq!(s.gw.query("SELECT status FROM integrations", &[])[0]["status"], "quarantined");
    let blocked = s.gw.admin("GET", &format!("/v1/workspaces/{}/integrations/{iid}/adaccounts", s.ws), None);
    assert_eq!(blocked.status, 409, "a quarantined integration makes no Graph calls");
    let audit = s.gw.query("SELECT before_json, after_json, risk_tier FROM audit_log WHERE action = 'quarantine_integration'", &[]);
    assert_eq!(audit[0]["risk_tier"], "execute_low");
    assert!(audit[0]["before_json"].as_str().unwrap().contains("active"));
}

#[test]
fn concurrent_duplicates_of_a_meta_mutation_reach_meta_once() {
    let s = setup("actions-meta-once");
    let user_token = "e2e-actions-user-token-5e6f";
    s._sim.control("POST", "/tokens", json!({"access_token": user_token, "accounts": ["100200300"], "expires_in": 86_400}));
    let iid = s.gw.admin("POST", &format!("/v1/workspaces/{}/integrations", s.ws), Some(&json!({"access_token": user_token}))).body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = s._sim.ledger().iter().filter(|e| e["endpoint"] == "/oauth/access_token").count();
    let body = json!({"integration_id": iid});
    let results: Vec<Resp> = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..6).map(|_| scope.spawn(|| call(&s.gw, &s.admin, "refresh_system_user_token", Some("refresh-once"), body.clone()))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|r| r.status == 200 || r.status == 409), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    let exchanges = s._sim.ledger().iter().filter(|e| e["endpoint"] == "/oauth/access_token").count() - before;
    assert_eq!(exchanges, 1, "the simulator's ledger shows one token exchange");
    let again = call(&s.gw, &s.admin, "refresh_system_user_token", Some("refresh-once"), body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(s._sim.ledger().iter().filter(|e| e["endpoint"] == "/oauth/access_token").count() - before, 1);
}
