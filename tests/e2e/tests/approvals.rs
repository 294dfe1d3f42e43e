//! execute_high actions: requested, not executed; decided by another admin; executed exactly
//! once; rejected; expired; and what they do (disable, rotate credentials, rebind).

use adgate_e2e::{json, Connected, Gateway, Resp, Simulator, Value, VAULT_KEYS};

const TOKEN: &str = "e2e-approvals-token-91c3";
const OTHER_TOKEN: &str = "e2e-approvals-token-second-4d2e";

fn act(gw: &Gateway, key: &str, action: &str, idem: &str, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    gw.request(
        "POST",
        &format!("/v1/actions/admin_meta_ads_governance/{action}"),
        &[("Authorization", &auth), ("Idempotency-Key", idem)],
        Some(&body.to_string()),
    )
}

fn decide(gw: &Gateway, key: &str, id: &str, verb: &str) -> Resp {
    gw.request("POST", &format!("/v1/approvals/{id}/{verb}"), &[("Authorization", &format!("Bearer {key}"))], None)
}

struct Setup {
    gw: Gateway,
    sim: Simulator,
    ws: String,
    alice: String,
    bob: String,
    iid: String,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[]);
    let (alice, bob) = (c.key("admin"), c.key("admin"));
    let iid = c.connect(TOKEN);
    Setup { gw: c.gw, sim: c.sim, ws: c.ws, alice, bob, iid }
}

fn integration_status(s: &Setup) -> String {
    s.gw.query("SELECT status FROM integrations WHERE id = ?1", &[&s.iid])[0]["status"].as_str().unwrap().to_string()
}

#[test]
fn high_risk_actions_wait_for_another_admin_and_run_exactly_once() {
    let s = setup("approvals-flow");
    let body = json!({"integration_id": s.iid, "reason": "vendor offboarded"});
    let asked = act(&s.gw, &s.alice, "disable_integration", "dis-1", body.clone());
    assert_eq!(asked.status, 202, "{}", asked.text);
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    assert_eq!(integration_status(&s), "active", "nothing happens before approval");
    let replay = act(&s.gw, &s.alice, "disable_integration", "dis-1", body.clone());
    assert_eq!((replay.status, replay.body["approval"]["id"].as_str()), (202, Some(id.as_str())), "the same request is the same approval");
    let pending = s.gw.query("SELECT outcome, approval_id FROM audit_log WHERE action = 'disable_integration'", &[]);
    assert_eq!(pending, vec![json!({"outcome": "pending_approval", "approval_id": id})]);

    let own = decide(&s.gw, &s.alice, &id, "approve");
    assert_eq!(own.status, 403, "no self-approval: {}", own.text);

    // Five concurrent approvals by Bob: one executes, the others find it decided.
    let results: Vec<Resp> = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..5).map(|_| scope.spawn(|| decide(&s.gw, &s.bob, &id, "approve"))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert_eq!(integration_status(&s), "disabled");
    let executed = s.gw.query("SELECT outcome, actor, approval_id FROM audit_log WHERE action = 'disable_integration' AND outcome = 'succeeded'", &[]);
    assert_eq!(executed.len(), 1, "executed exactly once");
    let requester = s.gw.query("SELECT requested_by, status, decided_by FROM approvals WHERE id = ?1", &[&id]);
    assert_eq!(executed[0]["actor"], requester[0]["requested_by"], "the action runs as the requester's");
    assert_eq!(requester[0]["status"], "executed");
    assert_ne!(requester[0]["decided_by"], requester[0]["requested_by"]);
    assert_eq!(decide(&s.gw, &s.bob, &id, "reject").status, 409);
}

#[test]
fn rejected_and_expired_approvals_do_nothing() {
    let s = setup("approvals-reject-expire");
    let asked = act(&s.gw, &s.alice, "disable_integration", "dis-2", json!({"integration_id": s.iid, "reason": "test"}));
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    assert_eq!(decide(&s.gw, &s.bob, &id, "reject").body["status"], "rejected");
    assert_eq!(decide(&s.gw, &s.bob, &id, "approve").status, 409);
    assert_eq!(integration_status(&s), "active");
    assert_eq!(s.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'disable_integration' AND outcome = 'rejected'", &[])[0]["n"], 1);

    assert_eq!(act(&s.gw, &s.alice, "set_approval_thresholds", "ttl-1", json!({"approval_ttl_seconds": 1})).status, 200);
    let asked = act(&s.gw, &s.alice, "disable_integration", "dis-3", json!({"integration_id": s.iid, "reason": "test"}));
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let late = decide(&s.gw, &s.bob, &id, "approve");
    assert_eq!(late.status, 410, "{}", late.text);
    assert_eq!(s.gw.query("SELECT status FROM approvals WHERE id = ?1", &[&id])[0]["status"], "expired");
    assert_eq!(integration_status(&s), "active");
}

#[test]
fn rotate_credentials_reseals_tokens_under_the_new_vault_key() {
    let mut s = setup("approvals-rotate");
    assert!(s.gw.query("SELECT token_ciphertext FROM integrations", &[])[0]["token_ciphertext"].as_str().unwrap().starts_with("v1.e2e1."));
    let keys = format!("e2e2:{},{VAULT_KEYS}", "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=");
    s.gw.restart_with(&[("TOKEN_VAULT_KEYS", &keys)]);
    let asked = act(&s.gw, &s.alice, "rotate_credentials", "rot-1", json!({"reason": "yearly rotation"}));
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    let done = decide(&s.gw, &s.bob, &id, "approve");
    assert_eq!(done.body["result"]["resealed"], 1, "{}", done.text);
    let row = &s.gw.query("SELECT token_ciphertext, token_key_id FROM integrations", &[])[0];
    assert_eq!(row["token_key_id"], "e2e2");
    assert!(row["token_ciphertext"].as_str().unwrap().starts_with("v1.e2e2."));
    // The re-sealed token still works against Meta.
    let found = s.gw.admin("GET", &format!("/v1/workspaces/{}/integrations/{}/adaccounts", s.ws, s.iid), None);
    assert_eq!(found.status, 200, "{}", found.text);
    let audit = s.gw.query("SELECT before_json, after_json FROM audit_log WHERE action = 'rotate_credentials' AND outcome = 'succeeded'", &[]);
    assert!(audit[0]["before_json"].as_str().unwrap().contains("e2e1") && audit[0]["after_json"].as_str().unwrap().contains("e2e2"));
    assert!(!audit[0].to_string().contains(TOKEN));
}

#[test]
fn rebind_moves_an_account_only_to_an_integration_that_sees_it() {
    let s = setup("approvals-rebind");
    s.sim.control("POST", "/tokens", json!({"access_token": OTHER_TOKEN, "accounts": ["100200300"], "system_user": true}));
    let second = s.gw.admin("POST", &format!("/v1/workspaces/{}/integrations", s.ws), Some(&json!({"access_token": OTHER_TOKEN}))).body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(s.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{}/bind", s.ws, s.iid), Some(&json!({"account_id": "act_100200300"}))).status, 201);

    let asked = act(&s.gw, &s.alice, "rebind_ad_account", "rb-1", json!({"ad_account_id": "act_100200300", "integration_id": second}));
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    assert_eq!(decide(&s.gw, &s.bob, &id, "approve").body["status"], "executed");
    assert_eq!(s.gw.query("SELECT integration_id FROM ad_accounts", &[])[0]["integration_id"], second.as_str());

    // A token that cannot see the account: the approved action fails and changes nothing.
    let blind = "e2e-blind-token-0000";
    s.sim.control("POST", "/tokens", json!({"access_token": blind, "accounts": [], "system_user": true}));
    let third = s.gw.admin("POST", &format!("/v1/workspaces/{}/integrations", s.ws), Some(&json!({"access_token": blind}))).body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let asked = act(&s.gw, &s.alice, "rebind_ad_account", "rb-2", json!({"ad_account_id": "act_100200300", "integration_id": third}));
    let id = asked.body["approval"]["id"].as_str().unwrap().to_string();
    let failed = decide(&s.gw, &s.bob, &id, "approve");
    assert_eq!(failed.body["status"], "failed", "{}", failed.text);
    assert_eq!(failed.body["result"]["graph_code"], 100);
    assert_eq!(s.gw.query("SELECT integration_id FROM ad_accounts", &[])[0]["integration_id"], second.as_str());
}
