//! The Graph client inside the worker: fetch through workerd to the simulator, with
//! appsecret_proof, retries, and Meta's errors surfaced as problem+json without the token.

use adgate_e2e::{json, Gateway, Simulator};

const TOKEN: &str = "e2e-system-user-token-5b1f";

fn start(name: &str, sim: &Simulator) -> Gateway {
    let vars = sim.gateway_vars(TOKEN);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Gateway::start_with(name, &vars)
}

#[test]
fn the_worker_lists_ad_accounts_through_the_graph_client() {
    let sim = Simulator::start(TOKEN);
    sim.control("POST", "/config", json!({"require_proof": true}));
    sim.control("POST", "/accounts", json!({"account_id": "555000111", "campaigns": 1, "timezone_name": "Asia/Kolkata", "access_token": TOKEN}));
    let gw = start("graph-list-accounts", &sim);

    let r = gw.admin("GET", "/v1/meta/adaccounts", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let mut ids: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|a| a["account_id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["100200300", "555000111"]);
    let kolkata = r.body["data"].as_array().unwrap().iter().find(|a| a["account_id"] == "555000111").unwrap();
    assert_eq!(kolkata["timezone_name"], "Asia/Kolkata");

    let calls: Vec<_> = sim.ledger().into_iter().filter(|e| e["endpoint"] == "/me/adaccounts").collect();
    assert_eq!(calls.len(), 1, "one page, one call");
    assert_eq!(calls[0]["status"], 200);
    assert_eq!(calls[0]["params"]["appsecret_proof"], "<redacted>", "the proof was sent (and checked: require_proof is on)");
    assert!(calls[0]["params"].get("access_token").is_none(), "the token travels in the Authorization header, not the URL");
    assert!(!r.text.contains(TOKEN));
}

#[test]
fn transient_graph_failures_are_retried_and_auth_failures_become_problems() {
    let sim = Simulator::start(TOKEN);
    let gw = start("graph-errors", &sim);
    sim.control("POST", "/faults", json!({"kind": "status", "status": 503, "count": 2}));
    let r = gw.admin("GET", "/v1/meta/adaccounts", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let statuses: Vec<i64> = sim.ledger().iter().map(|e| e["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [503, 503, 200], "two failures, then the retry that worked");

    sim.control("POST", "/faults", json!({"kind": "token_expired"}));
    let r = gw.admin("GET", "/v1/meta/adaccounts", None);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["graph_code"], 190);
    assert_eq!(r.body["graph_subcode"], 463);
    assert_eq!(r.body["graph_error_class"], "auth");
    assert!(r.body["fbtrace_id"].as_str().is_some_and(|t| t.starts_with('A')));
    assert!(!r.text.contains(TOKEN), "never the token");
    let log = gw.log_text();
    assert!(!log.contains(TOKEN), "not in the worker's log either");
}
