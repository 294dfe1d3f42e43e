//! Benchmark: validating and launching a campaign draft of 1 campaign x 10 ad sets x 3 creatives x
//! 30 ads, with 20 ms per Graph request in the simulator. Prints the Graph calls each step made
//! (from the simulator's ledger, by kind; a batch's calls each count) and the HTTP requests they
//! went in, against the lower bound (one validate_only or create per object Meta can check or
//! create, one read back for the audit), and the wall time of each step against the same number
//! of calls made one after another straight to the simulator.
//!
//! usage: draft_bench [LATENCY_MS (default 20)]

use adgate_e2e::{json, Gateway, Simulator, Value};
use std::time::Instant;

const TOKEN: &str = "bench-draft-token";
const A: &str = "100200399";

fn main() {
    let latency: u64 = std::env::args().nth(1).map(|a| a.parse().expect("a number")).unwrap_or(20);
    let sim = Simulator::start(TOKEN);
    sim.control("POST", "/accounts", json!({"account_id": A, "campaigns": 0, "access_token": TOKEN, "call_budget": 10_000_000}));
    let mut vars = sim.gateway_vars();
    vars.push(("GATE_MAX_CALLS".into(), "1000000".into()));
    let gw = Gateway::start_with("bench-drafts", &vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    let ws = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Bench", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let iid = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations"), Some(&json!({"access_token": TOKEN}))).body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": format!("act_{A}")}))).status, 201);
    let recruiter = gw.member_key(&ws, "recruiter");
    let admin = gw.member_key(&ws, "admin");
    let mut n = 0;
    let mut call = |action: &str, body: Value| {
        n += 1;
        let r = gw.request(
            "POST",
            &format!("/v1/actions/recruiter_paid_media/{action}"),
            &[("Authorization", &format!("Bearer {recruiter}")), ("Idempotency-Key", &format!("b{n}"))],
            Some(&body.to_string()),
        );
        assert!(r.status < 300, "{action}: {} {}", r.status, r.text);
        r
    };
    let campaign =
        json!({ "name": "Bench drivers", "objective": "OUTCOME_TRAFFIC", "special_ad_categories": ["EMPLOYMENT"], "special_ad_category_country": ["US"] });
    let d = call("create_campaign_draft", json!({"ad_account_id": format!("act_{A}"), "campaign": campaign})).body;
    let id = d["draft_id"].as_str().unwrap().to_string();
    let mut rev = d["revision"].as_i64().unwrap();
    for c in 0..3 {
        let creative = json!({ "name": format!("Creative {c}"), "page_id": "4242", "link": "https://jobs.example.com/drivers", "message": format!("Drive with us {c}"), "call_to_action": "APPLY_NOW" });
        rev = call("create_creative_draft", json!({"draft_id": id, "revision": rev, "key": format!("c{c}"), "creative": creative})).body["revision"]
            .as_i64()
            .unwrap();
    }
    for s in 0..10 {
        let set = json!({ "name": format!("Set {s}"), "optimization_goal": "LINK_CLICKS", "billing_event": "IMPRESSIONS", "daily_budget_minor": 5000,
            "targeting": { "geo_locations": { "countries": ["US"] } }, "destination_type": "WEBSITE" });
        let ads: Vec<Value> = (0..3).map(|a| json!({ "key": format!("s{s}-a{a}"), "name": format!("Ad {s}.{a}"), "creative_key": format!("c{a}") })).collect();
        rev = call("create_ad_set_draft", json!({"draft_id": id, "revision": rev, "key": format!("s{s}"), "ad_set": set, "ads": ads})).body["revision"]
            .as_i64()
            .unwrap();
    }
    sim.control("POST", "/config", json!({"base_latency_ms": latency}));
    let counts = |from: usize| {
        let ledger = sim.ledger();
        let new = &ledger[from..];
        let envelope = |e: &&Value| e["path"] == "/" && e["batch"] == false;
        let calls: Vec<&Value> = new.iter().filter(|e| !envelope(e)).collect();
        let posts = calls.iter().filter(|e| e["method"] != "GET").count();
        let requests = new.iter().filter(|e| e["batch"] == false).count();
        (calls.len(), posts, calls.len() - posts, requests)
    };
    let mut step = |name: &str, action: &str, body: Value, lower: usize, lower_requests: usize, approve: bool| {
        let from = sim.ledger().len();
        let t = Instant::now();
        let mut r = call(action, body);
        if approve {
            assert_eq!(r.status, 202, "{}", r.text);
            let aid = r.body["approval"]["id"].as_str().unwrap().to_string();
            r = gw.request("POST", &format!("/v1/approvals/{aid}/approve"), &[("Authorization", &format!("Bearer {admin}"))], None);
            assert_eq!((r.status, r.body["status"].as_str()), (200, Some("executed")), "{}", r.text);
        }
        let wall = t.elapsed().as_secs_f64();
        let (total, writes, reads, requests) = counts(from);
        println!(
            "{name:<28} graph calls {total:>3} ({writes} writes, {reads} reads), lower bound {lower:>3}, ratio {:.2}; in {requests} requests, lower bound {lower_requests}; wall {:.2} s vs {:.2} s for {lower} calls at {latency} ms each (ratio {:.2})",
            total as f64 / lower as f64,
            wall,
            lower as f64 * latency as f64 / 1000.0,
            wall / (lower as f64 * latency as f64 / 1000.0)
        );
    };
    // Meta checks the campaign, each ad set (with the campaign inline) and each creative: one batch.
    step("validate_campaign_draft", "validate_campaign_draft", json!({"draft_id": id}), 1 + 10 + 3, 1, false);
    // One create per object, one read back of the campaign for the audit: 44 creates fit one batch.
    step("launch (build, PAUSED)", "launch_campaign_draft", json!({"draft_id": id, "revision": rev, "activate": false}), 1 + 10 + 3 + 30 + 1, 2, false);
    // Activation: one status write per ad, ad set and campaign; the campaign goes last on its own.
    step("launch (activate, approved)", "launch_campaign_draft", json!({"draft_id": id, "revision": rev}), 30 + 10 + 1, 2, true);
    let ledger = sim.ledger();
    let created = |suffix: &str| {
        ledger
            .iter()
            .filter(|e| {
                e["method"] == "POST"
                    && e["status"] == 200
                    && e["path"].as_str().is_some_and(|p| p.ends_with(suffix))
                    && !e["params"].to_string().contains("validate_only")
            })
            .count()
    };
    println!(
        "objects created: campaigns {}, ad sets {}, creatives {}, ads {} (each exactly once)",
        created("/campaigns"),
        created("/adsets"),
        created("/adcreatives"),
        created("/ads")
    );
}
