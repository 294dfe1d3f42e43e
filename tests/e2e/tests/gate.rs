//! The per-account gate under load: every Graph call for an ad account passes its
//! AdAccountGate, which holds calls on its own window and on what Meta's usage headers say, so
//! 200 concurrent requests never push the simulator into throttling.

use adgate_e2e::{json, Gateway, Resp, Simulator};

const TOKEN: &str = "e2e-gate-token-1a2b";

fn setup(name: &str, sim_budget: u32, gate_max: &str) -> (Simulator, Gateway, String) {
    let sim = Simulator::start(TOKEN);
    sim.control("POST", "/accounts", json!({"account_id": "777000111", "campaigns": 1, "access_token": TOKEN, "call_budget": sim_budget}));
    let mut vars = sim.gateway_vars();
    vars.push(("GATE_MAX_CALLS".into(), gate_max.into()));
    vars.push(("GATE_WINDOW_SECONDS".into(), "3600".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let gw = Gateway::start_with(name, &vars);
    let ws = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Fleet", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let iid = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations"), Some(&json!({"access_token": TOKEN}))).body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bound = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": "act_777000111"})));
    assert_eq!(bound.status, 201, "{}", bound.text);
    (sim, gw, ws)
}

fn burst(gw: &Gateway, n: usize) -> Vec<Resp> {
    std::thread::scope(|scope| {
        let hs: Vec<_> = (0..n).map(|_| scope.spawn(|| gw.admin("GET", "/v1/ad-accounts/act_777000111/meta", None))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn account_calls(sim: &Simulator) -> Vec<adgate_e2e::Value> {
    sim.ledger().into_iter().filter(|e| e["path"] == "/act_777000111").collect()
}

#[test]
fn two_hundred_concurrent_requests_stay_inside_the_gates_window() {
    // Meta would throttle this account after 100 calls an hour; the gate allows 60.
    let (sim, gw, _) = setup("gate-window", 100, "60");
    let before = account_calls(&sim).len();
    let results = burst(&gw, 200);
    let ok = results.iter().filter(|r| r.status == 200).count();
    let held = results.iter().filter(|r| r.status == 429).count();
    assert_eq!(ok + held, 200, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    let calls = account_calls(&sim);
    assert_eq!(calls.len() - before, ok, "every admitted request made one Graph call, no more");
    // The bind's proof call (`before`) was charged to the binding integration's own budget, so a
    // refused bind can cost an account's owner nothing; the account's window holds the rest.
    assert!(ok <= 60, "the window holds: {ok} calls");
    assert!(calls.iter().all(|e| e["status"] == 200), "the simulator never throttled");
    assert!(results.iter().filter(|r| r.status == 429).all(|r| r.header("retry-after").is_some() && r.body["held_by"] == "window"));
}

#[test]
fn metas_usage_headers_hold_calls_before_meta_throttles() {
    // The gate's own window is wide; Meta's budget (20 calls) is what binds.
    let (sim, gw, _) = setup("gate-usage", 20, "1000");
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(gw.admin("GET", "/v1/ad-accounts/act_777000111/meta", None));
    }
    let first_hold = statuses.iter().position(|r| r.status == 429).expect("the gate held calls");
    assert_eq!(statuses[first_hold].body["held_by"], "meta", "{}", statuses[first_hold].text);
    assert!(account_calls(&sim).iter().all(|e| e["status"] == 200), "Meta never had to throttle");
    let total = account_calls(&sim).len();
    assert!(total < 20, "held at 90% of Meta's budget, not at 100%: {total} calls");
    let state = gw.admin("GET", "/v1/ad-accounts/act_777000111/gate", None);
    assert!(state.body["pressure"]["ads_management"]["usage_pct"].as_f64().unwrap() >= 90.0, "{}", state.text);
}

#[test]
fn an_insights_budget_at_its_limit_holds_insights_calls_only() {
    // Meta keeps a budget per business use case: this account's insights budget is 2 calls an
    // hour while its ads management budget is Meta's standard one. The backfill's two insights
    // reads spend the first; the next insights sync is held, while reading the account (ads
    // management) still goes through.
    let c = adgate_e2e::Connected::start("gate-use-cases", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("GATE_MAX_CALLS", "1000")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": "777000222", "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 10, "access_token": TOKEN, "budgets": {"ads_insights": 2}}),
    );
    c.bind_and_backfill(TOKEN, "777000222");
    let gate = || c.gw.admin("GET", "/v1/ad-accounts/act_777000222/gate", None).body;
    let insights = || c.sim.ledger().into_iter().filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/insights"))).count();
    assert_eq!(insights(), 2, "the backfill's insights reads");
    let state = gate();
    assert!(state["pressure"]["ads_insights"]["usage_pct"].as_f64().unwrap_or(0.0) >= 90.0, "{state}");
    let rejected = state["state"]["rejected_total"].as_i64().unwrap_or(0);
    let r = c.gw.admin("POST", "/v1/accounts/act_777000222/sync", Some(&json!({"kind": "insights"})));
    assert_eq!(r.status, 202, "{}", r.text);
    c.gw.wait_for("the insights sync held by the gate", std::time::Duration::from_secs(60), || {
        (gate()["state"]["rejected_total"].as_i64().unwrap_or(0) > rejected).then_some(())
    });
    let r = c.gw.admin("GET", "/v1/ad-accounts/act_777000222/meta", None);
    assert_eq!(r.status, 200, "ads management is another budget: {}", r.text);
    let state = gate();
    assert!(state["pressure"]["ads_management"]["usage_pct"].as_f64().unwrap_or(100.0) < 90.0, "{state}");
    assert_eq!(insights(), 2, "no insights call reached Meta past its budget");
    assert!(c.sim.ledger().iter().all(|e| e["status"] == 200), "Meta never had to throttle");
}

#[test]
fn a_quarantined_account_makes_no_graph_calls_until_released() {
    let (sim, gw, ws) = setup("gate-quarantine", 1_000, "1000");
    let auth = format!("Bearer {}", adgate_e2e::BOOTSTRAP_KEY);
    let act = |action: &str, idem: &str, body: adgate_e2e::Value| {
        gw.request(
            "POST",
            &format!("/v1/actions/admin_meta_ads_governance/{action}"),
            &[("Authorization", &auth), ("Idempotency-Key", idem)],
            Some(&body.to_string()),
        )
    };
    let q = act("quarantine_ad_account", "q-1", json!({"workspace_id": ws, "ad_account_id": "act_777000111", "reason": "runaway spend"}));
    assert_eq!(q.status, 200, "{}", q.text);
    let before = account_calls(&sim).len();
    let held = gw.admin("GET", "/v1/ad-accounts/act_777000111/meta", None);
    assert_eq!((held.status, held.body["type"].as_str()), (423, Some("https://adgate.dev/problems/ad-account-quarantined")), "{}", held.text);
    assert!(held.body["detail"].as_str().unwrap().contains("runaway spend"));
    assert_eq!(account_calls(&sim).len(), before, "nothing reached Meta");
    assert_eq!(gw.admin("GET", "/v1/ad-accounts/act_777000111/gate", None).body["quarantine"]["reason"], "runaway spend");
    assert_eq!(act("release_ad_account", "r-1", json!({"workspace_id": ws, "ad_account_id": "act_777000111"})).status, 200);
    assert_eq!(gw.admin("GET", "/v1/ad-accounts/act_777000111/meta", None).status, 200);
    let audit = gw.query(
        "SELECT action FROM audit_log WHERE ad_account_id = '777000111' AND action IN ('quarantine_ad_account', 'release_ad_account') ORDER BY occurred_at",
        &[],
    );
    assert_eq!(audit, vec![json!({"action": "quarantine_ad_account"}), json!({"action": "release_ad_account"})]);
}
