//! Does optimisation help? DAYS simulated days of one seeded account with the simulator's
//! delivery model (spend follows budgets and pauses, leads follow spend with diminishing returns
//! that differ by ad set, creatives tire), run three ways from the same seed and the same frozen
//! start, each through a real gateway whose clock follows the simulator's:
//!   1. no action;
//!   2. adgate's suggestions applied daily (`suggest_budget_reallocation`, then
//!      `apply_budget_reallocation` with its id), after each day's insights sync;
//!   3. a naive rule (`create_rule`: pause an ad set when its 3-day CPL is above the target),
//!      run by the gateway after each insights sync.
//!
//! Prints leads, spend and CPL for each over the DAYS days, from the simulator's truth.
//!
//! usage: delivery_bench [DAYS]   (default 28)

use adgate_e2e::{json, Connected, Gateway, Simulator, Value};
use std::time::Duration;

const TOKEN: &str = "bench-delivery-token-6a2f";
const A: &str = "555777111";
/// The frozen start: the same instant for every arm, so every number is the same until the
/// arms act differently.
const START: i64 = 1_780_315_200; // 2026-06-01T12:00:00Z

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arm {
    NoAction,
    Suggestions,
    NaiveRule,
}

struct Outcome {
    leads: i64,
    spend: i64,
    actions: usize,
}

fn start(arm: Arm) -> Connected {
    let sim = Simulator::start("bench-delivery-demo");
    sim.control("POST", "/time/freeze", json!({"at": START}));
    let clock = format!("{}/__control/time", sim.base);
    let mut vars = sim.gateway_vars();
    vars.push(("ADGATE_SIM_CLOCK_URL".into(), clock));
    vars.push(("BACKFILL_ON_BIND".into(), "true".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let gw = Gateway::start_with(&format!("delivery-bench-{arm:?}").to_lowercase(), &vars);
    let r = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Bench", "currency": "USD"})));
    assert_eq!(r.status, 201, "{}", r.text);
    let ws = r.body["id"].as_str().unwrap().to_string();
    let c = Connected { sim, gw, ws };
    let seeded = c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 1, "adsets_per_campaign": 4, "ads_per_adset": 2, "days": 14, "timezone_name": "UTC",
               "access_token": TOKEN, "delivery_model": true}),
    );
    assert_eq!(seeded["delivery_model"], true, "{seeded}");
    c.bind_and_backfill(TOKEN, A);
    c
}

fn sync(c: &Connected) {
    let done = |c: &Connected| {
        c.gw.query("SELECT COUNT(*) AS n FROM sync_runs WHERE ad_account_id = ?1 AND status IN ('succeeded', 'failed')", &[&A])[0]["n"].as_i64().unwrap()
    };
    let before = done(c);
    let r = c.gw.admin("POST", &format!("/v1/accounts/act_{A}/sync"), Some(&json!({"kind": "insights"})));
    assert_eq!(r.status, 202, "{}", r.text);
    c.gw.wait_for("the day's sync", Duration::from_secs(300), || (done(c) > before).then_some(()));
}

fn rule_runs_settled(c: &Connected, expected: usize) {
    c.gw.wait_for("the rule's run", Duration::from_secs(300), || {
        let n = c.gw.query("SELECT COUNT(*) AS n FROM rule_runs WHERE status != 'queued'", &[])[0]["n"].as_i64().unwrap();
        (n as usize >= expected).then_some(())
    });
}

fn run(arm: Arm, days: i64) -> Outcome {
    let c = start(arm);
    let recruiter = c.key("recruiter");
    let admin = c.key("admin");
    // Budget moves are the loop's own: no approval holds a daily reallocation.
    let t = c.gw.act(&admin, "admin_meta_ads_governance", "set_approval_thresholds", &json!({"budget_increase_pct": 1000}));
    assert_eq!(t.status, 200, "{}", t.text);
    let s = c.gw.act(
        &admin,
        "admin_meta_ads_governance",
        "set_optimization_settings",
        &json!({"freshness_max_minutes": 1440, "cooldown_minutes": 60, "daily_change_cap": 100}),
    );
    assert_eq!(s.status, 200, "{}", s.text);
    let truth = |since: &str, until: &str| c.sim.control("GET", &format!("/truth?account_id={A}&since={since}&until={until}"), Value::Null);
    let first = c.sim.control("GET", "/time", Value::Null)["iso"].as_str().unwrap()[..10].to_string();
    if arm == Arm::NaiveRule {
        // The target: the account's CPL over the week before the start.
        let t = truth("2026-05-25", "2026-05-31");
        let target = t["totals"]["spend_cents"].as_i64().unwrap() / t["totals"]["leads"].as_i64().unwrap().max(1);
        let spec = json!({ "level": "adset", "window_days": 3, "match": "all", "conditions": [{"metric": "cpl", "op": "gt", "value": target}],
            "action": {"kind": "pause"}, "schedule": {"every": "sync"}, "cooldown_minutes": 0 });
        let r = c.gw.act(
            &recruiter,
            "recruiter_paid_media_analytics",
            "create_rule",
            &json!({"ad_account_id": format!("act_{A}"), "name": "pause dear", "rule": spec}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        eprintln!("naive rule: pause an ad set when its 3-day CPL is above {target} (the CPL of the week before)");
    }
    let mut actions = 0;
    for day in 1..=days {
        c.sim.control("POST", "/time/advance", json!({"days": 1}));
        sync(&c);
        match arm {
            Arm::NoAction => {}
            Arm::Suggestions => {
                let s = c.gw.act(
                    &recruiter,
                    "recruiter_paid_media_analytics",
                    "suggest_budget_reallocation",
                    &json!({"ad_account_id": format!("act_{A}"), "look_back_days": 7}),
                );
                assert_eq!(s.status, 200, "day {day}: {}", s.text);
                if let Some(id) = s.body["suggestion_id"].as_str() {
                    let a = c.gw.act(
                        &recruiter,
                        "recruiter_paid_media_analytics",
                        "apply_budget_reallocation",
                        &json!({"ad_account_id": format!("act_{A}"), "suggestion_id": id}),
                    );
                    assert_eq!(a.status, 200, "day {day}: {}", a.text);
                    actions += a.body["changes"].as_array().map_or(0, Vec::len);
                }
            }
            Arm::NaiveRule => {
                rule_runs_settled(&c, day as usize);
            }
        }
    }
    if arm == Arm::NaiveRule {
        actions = c.gw.query("SELECT COUNT(*) AS n FROM rule_actions WHERE outcome = 'done'", &[])[0]["n"].as_i64().unwrap() as usize;
    }
    let last = c.sim.control("GET", "/time", Value::Null)["iso"].as_str().unwrap()[..10].to_string();
    let until = (chrono::NaiveDate::parse_from_str(&last, "%Y-%m-%d").unwrap() - chrono::Duration::days(1)).to_string();
    let t = truth(&first, &until);
    Outcome { leads: t["totals"]["leads"].as_i64().unwrap(), spend: t["totals"]["spend_cents"].as_i64().unwrap(), actions }
}

fn main() {
    let days: i64 = std::env::args().nth(1).and_then(|d| d.parse().ok()).unwrap_or(28);
    println!("delivery benchmark: {days} simulated days, 1 campaign, 4 ad sets of 50.00 a day, 2 ads each, the same seed and start for every arm");
    let mut rows = Vec::new();
    for arm in [Arm::NoAction, Arm::Suggestions, Arm::NaiveRule] {
        let o = run(arm, days);
        rows.push((arm, o));
    }
    let base_cpl = rows[0].1.spend as f64 / rows[0].1.leads.max(1) as f64;
    println!("{:<40} {:>8} {:>12} {:>10} {:>10} {:>8}", "arm", "leads", "spend", "CPL", "CPL/none", "changes");
    for (arm, o) in &rows {
        let cpl = o.spend as f64 / o.leads.max(1) as f64;
        let name = match arm {
            Arm::NoAction => "no action",
            Arm::Suggestions => "adgate suggestions, applied daily",
            Arm::NaiveRule => "naive rule (pause when CPL > target)",
        };
        println!("{name:<40} {:>8} {:>12.2} {:>10.2} {:>10.3} {:>8}", o.leads, o.spend as f64 / 100.0, cpl / 100.0, cpl / base_cpl, o.actions);
    }
}
