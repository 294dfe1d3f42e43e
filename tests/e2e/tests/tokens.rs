//! Token refresh (by action and by the daily cron), tokens Meta stopped accepting marked
//! expired, and the error digest and rate-limit posture built from what Meta answered.

use adgate_e2e::{json, Connected, Gateway, Resp, Value};
use std::time::Duration;

const SHORT: &str = "e2e-user-token-expiring-soon";
const DOOMED: &str = "e2e-user-token-to-be-revoked";

fn act(gw: &Gateway, key: &str, action: &str, idem: Option<&str>, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    let mut h = vec![("Authorization", auth.as_str())];
    if let Some(i) = idem {
        h.push(("Idempotency-Key", i));
    }
    gw.request("POST", &format!("/v1/actions/admin_meta_ads_governance/{action}"), &h, Some(&body.to_string()))
}

fn setup(name: &str) -> (Connected, String) {
    let c = Connected::start(name, "e2e-demo-system-user", &[]);
    let admin = c.key("admin");
    (c, admin)
}

#[test]
fn the_daily_tick_refreshes_expiring_tokens_and_marks_refused_ones_expired() {
    let (c, admin) = setup("tokens-refresh");
    let (sim, gw) = (&c.sim, &c.gw);
    for t in [SHORT, DOOMED] {
        sim.control("POST", "/tokens", json!({"access_token": t, "accounts": ["100200300"], "expires_in": 3 * 86_400}));
    }
    let (soon, doomed) = (c.connect(SHORT), c.connect(DOOMED));
    let rows = gw.query("SELECT id, kind, token_expires_at, token_ciphertext FROM integrations ORDER BY created_at", &[]);
    assert!(rows.iter().all(|r| r["kind"] == "oauth_user"), "Meta says these are a person's tokens");
    let old_cipher = rows[0]["token_ciphertext"].as_str().unwrap().to_string();
    sim.control("POST", "/tokens/revoke", json!({"access_token": DOOMED}));

    gw.get("/__scheduled?cron=17+3+*+*+*");
    let run = gw.wait_for("the daily tick", Duration::from_secs(30), || {
        gw.query("SELECT * FROM cron_runs WHERE tick_kind = 'daily_maintenance' AND status != 'running'", &[]).pop()
    });
    assert!(run["detail"].as_str().unwrap().starts_with("tokens refreshed: 1; marked expired: 1; "), "{run}");
    // The expired integration is a service alert of its workspace; the refreshed one is not.
    let alerts = gw.query("SELECT kind, subject_id FROM service_alerts WHERE status = 'open'", &[]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0]["kind"].as_str(), alerts[0]["subject_id"].as_str()), (Some("token_expiring"), Some(doomed.as_str())));
    let now = sim.control("GET", "/time", Value::Null)["now"].as_i64().unwrap();
    let fresh = &gw.query("SELECT * FROM integrations WHERE id = ?1", &[&soon])[0];
    assert_eq!(fresh["status"], "active");
    assert_ne!(fresh["token_ciphertext"].as_str().unwrap(), old_cipher, "a new token, sealed");
    let expires = chrono_like_secs(fresh["token_expires_at"].as_str().unwrap());
    assert!(expires - now > 59 * 86_400, "extended to a long-lived token");
    assert_eq!(gw.query("SELECT status FROM integrations WHERE id = ?1", &[&doomed])[0]["status"], "expired");
    let exchanges = sim.ledger().into_iter().filter(|e| e["endpoint"] == "/oauth/access_token").count();
    assert_eq!(exchanges, 1, "only the expiring, valid token was exchanged");
    let audit = gw.query("SELECT actor FROM audit_log WHERE action = 'refresh_system_user_token'", &[]);
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|a| a["actor"] == "cron"));

    // The same through the action, on demand.
    let r = act(gw, &admin, "refresh_system_user_token", Some("refresh-1"), json!({"integration_id": soon}));
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("active")), "{}", r.text);
}

/// Seconds since the epoch for our ISO-8601 text (2026-11-23T11:30:00.000Z).
fn chrono_like_secs(iso: &str) -> i64 {
    let out = std::process::Command::new("date").args(["-u", "-d", iso, "+%s"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

#[test]
fn meta_errors_and_usage_feed_the_digest_and_the_posture() {
    let (c, admin) = setup("tokens-digest");
    let (sim, gw, ws) = (&c.sim, &c.gw, &c.ws);
    let iid = c.connect("e2e-demo-system-user");
    assert_eq!(gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": "act_100200300"}))).status, 201);
    assert_eq!(gw.admin("GET", &format!("/v1/workspaces/{ws}/integrations/{iid}/adaccounts"), None).status, 200);
    sim.control("POST", "/faults", json!({"kind": "throttle", "code": 80004}));
    let throttled = gw.admin("GET", &format!("/v1/workspaces/{ws}/integrations/{iid}/adaccounts"), None);
    assert_eq!(throttled.status, 429, "{}", throttled.text);
    let missing = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": "act_424242"})));
    assert_eq!(missing.body["graph_code"], 100);

    let digest = act(gw, &admin, "get_meta_api_error_digest", None, json!({"since_hours": 1}));
    assert_eq!(digest.status, 200, "{}", digest.text);
    let groups = digest.body["groups"].as_array().unwrap();
    let find = |code: i64| groups.iter().find(|g| g["graph_code"] == code).unwrap_or_else(|| panic!("{code} in {groups:?}")).clone();
    assert_eq!((find(80004)["kind"].as_str(), find(80004)["count"].as_i64()), (Some("throttle"), Some(1)));
    assert_eq!(find(100)["error_class"], "permanent");
    assert!(find(100)["last_fbtrace_id"].as_str().is_some_and(|t| t.starts_with('A')));
    assert_eq!(digest.body["total"], 2);

    let posture = act(gw, &admin, "get_rate_limit_posture", None, json!({}));
    let accounts = posture.body["accounts"].as_array().unwrap();
    let acct = accounts.iter().find(|a| a["ad_account_id"] == "100200300").expect("usage seen for the bound account");
    assert!(acct["usage"]["account_util_pct"].is_number(), "{acct}");
    let unscoped = accounts.iter().find(|a| a["ad_account_id"].is_null()).expect("calls without an account");
    assert_eq!(unscoped["throttled_since"], 1);
}

#[test]
fn a_190_mid_call_gets_one_just_in_time_recovery_then_marks_the_integration_expired() {
    let (c, _) = setup("tokens-jit");
    let (sim, gw, ws) = (&c.sim, &c.gw, &c.ws);
    sim.control("POST", "/tokens", json!({"access_token": SHORT, "accounts": ["100200300"], "expires_in": 30 * 86_400}));
    let iid = c.connect(SHORT);
    assert_eq!(gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": "act_100200300"}))).status, 201);

    // Meta drops the session once, but the token can still be exchanged: recovered, and served.
    let mark = sim.ledger().len();
    sim.control("POST", "/faults", json!({"kind": "session_invalidated"}));
    let r = gw.admin("GET", "/v1/ad-accounts/act_100200300/meta", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let seen: Vec<String> = sim.ledger()[mark..].iter().map(|e| format!("{} {}", e["endpoint"].as_str().unwrap(), e["status"])).collect();
    assert_eq!(seen, ["/act_{id} 400", "/debug_token 200", "/oauth/access_token 200", "/debug_token 200", "/act_{id} 200"], "{seen:?}");
    assert_eq!(gw.query("SELECT status FROM integrations", &[])[0]["status"], "active");
    assert_eq!(gw.query("SELECT actor FROM audit_log WHERE action = 'refresh_system_user_token'", &[])[0]["actor"], "jit-recovery");

    // The token itself has expired: the one recovery fails, the integration is marked expired.
    sim.control("POST", "/faults", json!({"kind": "token_expired"}));
    let r = gw.admin("GET", "/v1/ad-accounts/act_100200300/meta", None);
    assert_eq!((r.status, r.body["graph_code"].as_i64()), (401, Some(190)), "{}", r.text);
    assert_eq!(gw.query("SELECT status FROM integrations", &[])[0]["status"], "expired");
    let again = gw.admin("GET", "/v1/ad-accounts/act_100200300/meta", None);
    assert_eq!(again.status, 409, "an expired integration makes no more Graph calls");
}
