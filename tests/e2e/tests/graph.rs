//! Connecting Meta through the worker's Graph client, against the simulator: a system-user token
//! checked with debug_token and sealed in the vault, the OAuth dialog and callback, account
//! discovery (all pages) and binding with the currency rule, token health, retries and Meta's
//! errors as problem+json, and the token nowhere in D1, responses or logs.

use adgate_e2e::{json, Gateway, Simulator, Value};

const TOKEN: &str = "e2e-system-user-token-5b1f";

fn start(name: &str, sim: &Simulator) -> Gateway {
    let vars = sim.gateway_vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Gateway::start_with(name, &vars)
}

fn workspace(gw: &Gateway) -> String {
    let r = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Fleet", "currency": "USD"})));
    r.body["id"].as_str().unwrap().to_string()
}

fn connect(gw: &Gateway, ws: &str, token: &str) -> adgate_e2e::Resp {
    gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations"), Some(&json!({"access_token": token})))
}

fn assert_no_token_anywhere(gw: &Gateway, token: &str) {
    gw.assert_nowhere(token);
}

#[test]
fn a_system_user_token_is_checked_sealed_and_used_to_discover_and_bind_accounts() {
    let sim = Simulator::start(TOKEN);
    sim.control("POST", "/config", json!({"require_proof": true}));
    for (id, cur, tz) in [("555000111", "USD", "Asia/Kolkata"), ("555000222", "EUR", "Europe/Berlin")] {
        sim.control("POST", "/accounts", json!({"account_id": id, "campaigns": 1, "currency": cur, "timezone_name": tz, "access_token": TOKEN}));
    }
    let gw = start("graph-connect", &sim);
    let ws = workspace(&gw);

    let refused = connect(&gw, &ws, "not-a-meta-token");
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("access_token")), "{}", refused.text);
    assert_eq!(gw.query("SELECT COUNT(*) AS n FROM integrations", &[])[0]["n"], 0);

    let r = connect(&gw, &ws, TOKEN);
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(!r.text.contains(TOKEN));
    let iid = r.body["integration"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["token_health"]["missing_scopes"], json!([]));
    let row = &gw.query("SELECT * FROM integrations WHERE id = ?1", &[&iid])[0];
    assert!(row["token_ciphertext"].as_str().unwrap().starts_with("v1.e2e1."), "sealed under the vault key");
    assert_eq!(row["kind"], "system_user");
    let audit = gw.query("SELECT * FROM audit_log WHERE action = 'connect_meta'", &[]);
    assert_eq!(audit.len(), 1);

    let found = gw.admin("GET", &format!("/v1/workspaces/{ws}/integrations/{iid}/adaccounts"), None);
    assert_eq!(found.status, 200, "{}", found.text);
    let accounts = found.body["data"].as_array().unwrap();
    assert_eq!(accounts.len(), 3, "the demo account and the two seeded ones");
    let eur = accounts.iter().find(|a| a["account_id"] == "555000222").unwrap();
    assert_eq!(eur["bindable"], false);
    assert!(eur["reason"].as_str().unwrap().contains("EUR"));

    let bound = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": "act_555000111"})));
    assert_eq!(bound.status, 201, "{}", bound.text);
    let acct = &gw.query("SELECT * FROM ad_accounts WHERE id = '555000111'", &[])[0];
    assert_eq!((acct["timezone_name"].as_str(), acct["integration_id"].as_str()), (Some("Asia/Kolkata"), Some(iid.as_str())), "Meta's time zone is stored");
    let eur_bind = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": "act_555000222"})));
    assert_eq!((eur_bind.status, eur_bind.body["field"].as_str()), (422, Some("currency")));

    let health = gw.admin("GET", &format!("/v1/workspaces/{ws}/integrations/{iid}/token-health"), None);
    assert_eq!(health.body["token_health"]["is_valid"], true, "{}", health.text);
    assert_eq!(health.body["token_health"]["expires_at"], Value::Null, "system-user tokens do not expire");

    // What "Meta" received: every call signed, the token never in a URL.
    for e in sim.ledger() {
        assert!(e["params"].get("access_token").is_none_or(|t| t != TOKEN), "{e}");
        if e["endpoint"] != "/debug_token" {
            assert_eq!(e["params"]["appsecret_proof"], "<redacted>", "{e}");
        }
    }
    assert_no_token_anywhere(&gw, TOKEN);
}

#[test]
fn the_oauth_dialog_and_callback_store_a_long_lived_token() {
    let sim = Simulator::start(TOKEN);
    let gw = start("graph-oauth", &sim);
    let ws = workspace(&gw);
    let start = gw.admin("GET", &format!("/v1/meta/connect/start?workspace_id={ws}"), None);
    assert_eq!(start.status, 200, "{}", start.text);
    let dialog = start.body["url"].as_str().unwrap().to_string();
    assert!(dialog.starts_with(&sim.base) && dialog.contains("client_id=1000000000000001"), "{dialog}");

    // The admin's browser: Meta's dialog redirects back to adgate with a code and the state.
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let back = agent.get(&dialog).call().unwrap();
    assert_eq!(back.status(), 302);
    let callback = back.header("location").unwrap().to_string();
    let path = callback.split_once("/v1/").map(|(_, p)| format!("/v1/{p}")).unwrap();

    // The browser that asked carries the binding cookie back; nobody else has it.
    let cookie = start.header("set-cookie").and_then(|c| c.split(';').next()).unwrap().to_string();
    let browser = |p: &str| gw.request("GET", p, &[("Cookie", &cookie)], None);
    let tampered = path.replace("state=", "state=x");
    assert_eq!(browser(&tampered).status, 422);
    let stolen = gw.get(&path);
    assert_eq!((stolen.status, stolen.body["field"].as_str()), (422, Some("state")), "a dialog URL completed elsewhere: {}", stolen.text);
    let done = browser(&path);
    assert_eq!(done.status, 201, "{}", done.text);
    assert_eq!(done.body["integration"]["kind"], "oauth_user");
    let expires = done.body["token_health"]["expires_at"].as_i64().unwrap();
    let now = sim.control("GET", "/time", Value::Null)["now"].as_i64().unwrap();
    assert!(expires - now > 59 * 86_400, "the long-lived token was stored, not the 2-hour one");
    let exchanges: Vec<_> = sim.ledger().into_iter().filter(|e| e["endpoint"] == "/oauth/access_token").collect();
    assert_eq!(exchanges.len(), 2, "code exchange, then fb_exchange_token");
    assert!(exchanges.iter().all(|e| e["method"] == "POST" && e["params"]["client_secret"] == "<redacted>"), "the app secret travels in a POST body");
    assert_eq!(browser(&path).status, 400, "a code works once");

    let other = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    let other_ws = other.body["id"].as_str().unwrap();
    let auth = format!("Bearer {}", gw.member_key(other_ws, "admin"));
    let r = gw.request("GET", &format!("/v1/meta/connect/start?workspace_id={ws}"), &[("Authorization", &auth)], None);
    assert_eq!(r.status, 403, "another workspace's admin cannot connect this one");
}

#[test]
fn transient_graph_failures_are_retried_and_auth_failures_become_problems() {
    let sim = Simulator::start(TOKEN);
    let gw = start("graph-errors", &sim);
    let ws = workspace(&gw);
    let iid = connect(&gw, &ws, TOKEN).body["integration"]["id"].as_str().unwrap().to_string();
    let discover = format!("/v1/workspaces/{ws}/integrations/{iid}/adaccounts");
    let before = sim.ledger().len();
    sim.control("POST", "/faults", json!({"kind": "status", "status": 503, "count": 2}));
    let r = gw.admin("GET", &discover, None);
    assert_eq!(r.status, 200, "{}", r.text);
    let statuses: Vec<i64> = sim.ledger()[before..].iter().map(|e| e["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [503, 503, 200], "two failures, then the retry that worked");

    sim.control("POST", "/faults", json!({"kind": "token_expired"}));
    let r = gw.admin("GET", &discover, None);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!((r.body["graph_code"].as_i64(), r.body["graph_subcode"].as_i64()), (Some(190), Some(463)));
    assert_eq!(r.body["graph_error_class"], "auth");
    assert!(r.body["fbtrace_id"].as_str().is_some_and(|t| t.starts_with('A')));
    assert_no_token_anywhere(&gw, TOKEN);
}
