//! Benchmark: the gateway's overhead on Graph calls, and the gate's throughput for one account.
//!   - storage round trips (D1 queries and batches, Durable Object calls) per kind of request, as
//!     the worker counts them (`X-Adgate-Storage-Trips`, sent only by a local gateway);
//!   - p50/p99 of `/health` and of a read action that only reads D1 (get_audit_events), and
//!     their ratio, on the same workerd;
//!   - p50/p99 of a read action (get_token_health: one debug_token call) and an execute_low
//!     action (refresh_system_user_token: idempotency record, debug_token, D1 write with audit)
//!     through adgate, against the same debug_token call made straight to the simulator;
//!   - admitted Graph calls per second for one ad account with 200 concurrent callers.
//!
//! usage: gateway_bench [REQUESTS (default 300)] [GATE_REQUESTS (default 2000)]

use adgate_e2e::{json, Gateway, Simulator};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-system-user-token";

/// One kind of request, made the `i`th time.
type Probe<'a> = Box<dyn Fn(usize) -> adgate_e2e::Resp + 'a>;

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[(((p / 100.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn measure(n: usize, mut f: impl FnMut(usize) -> u16) -> (f64, f64) {
    let mut ms = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let status = f(i);
        assert!(status < 300, "request {i} answered {status}");
        ms.push(t.elapsed().as_secs_f64() * 1_000.0);
    }
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (pct(&ms, 50.0), pct(&ms, 99.0))
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let n = args.first().copied().unwrap_or(300);
    let gate_n = args.get(1).copied().unwrap_or(2_000);
    let sim = Simulator::start(TOKEN);
    // A second account whose Meta budget is out of reach, so the gate's own throughput shows.
    sim.control("POST", "/accounts", json!({"account_id": "100200301", "campaigns": 1, "access_token": TOKEN, "call_budget": 10_000_000}));
    let mut vars = sim.gateway_vars();
    vars.push(("GATE_MAX_CALLS".into(), "1000000".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let gw = Gateway::start_with("bench-gateway", &vars);
    let ws = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Bench", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let key = gw.member_key(&ws, "admin");
    let iid = gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations"), Some(&json!({"access_token": TOKEN}))).body["integration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for account in ["act_100200300", "act_100200301"] {
        assert_eq!(gw.admin("POST", &format!("/v1/workspaces/{ws}/integrations/{iid}/bind"), Some(&json!({"account_id": account}))).status, 201);
    }
    let auth = format!("Bearer {key}");
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
    let direct_url = format!("{}/v26.0/debug_token", sim.base);
    let direct = |_: usize| {
        agent.get(&direct_url).query("input_token", TOKEN).query("access_token", "1000000000000001|sim-app-secret").call().map(|r| r.status()).unwrap_or(599)
    };
    let body = json!({ "integration_id": iid }).to_string();
    let action = |name: &str, idem: Option<String>| {
        let mut h: Vec<(&str, String)> = vec![("Authorization", auth.clone())];
        if let Some(k) = idem {
            h.push(("Idempotency-Key", k));
        }
        let hs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        gw.request("POST", &format!("/v1/actions/admin_meta_ads_governance/{name}"), &hs, Some(&body)).status
    };
    let call = |router: &str, name: &str, idem: Option<String>, body: &str| {
        let mut h: Vec<(&str, String)> = vec![("Authorization", auth.clone())];
        if let Some(k) = idem {
            h.push(("Idempotency-Key", k));
        }
        let hs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        gw.request("POST", &format!("/v1/actions/{router}/{name}"), &hs, Some(body))
    };
    let health = |_: usize| gw.request("GET", "/health", &[], None).status;
    let audit = |_: usize| call("admin_meta_ads_governance", "get_audit_events", None, r#"{"limit": 10}"#).status;

    // Round trips per kind of request (counted by the worker; "n/a" when it does not say).
    let campaign = sim.graph_get("act_100200300/campaigns?fields=id&limit=1", TOKEN)["data"][0]["id"].as_str().map(str::to_string);
    let trips = |r: adgate_e2e::Resp| format!("{} (status {})", r.header("X-Adgate-Storage-Trips").unwrap_or("n/a"), r.status);
    println!("storage round trips per request (D1 queries and batches, Durable Object calls; the second of two, so no first-use writes):");
    let kinds: Vec<(&str, Probe)> = vec![
        ("GET /health", Box::new(|_| gw.request("GET", "/health", &[], None))),
        ("read, D1 only (get_audit_events)", Box::new(|_| call("admin_meta_ads_governance", "get_audit_events", None, r#"{"limit": 10}"#))),
        ("read, one Graph call (get_token_health)", Box::new(|_| call("admin_meta_ads_governance", "get_token_health", None, &body))),
        (
            "execute_low, D1 only (set_approval_thresholds)",
            Box::new(|i| {
                call("admin_meta_ads_governance", "set_approval_thresholds", Some(format!("trip-t-{i}")), &format!(r#"{{"budget_increase_pct": {}}}"#, 20 + i))
            }),
        ),
        (
            "execute_low, one Graph call (refresh_system_user_token)",
            Box::new(|i| call("admin_meta_ads_governance", "refresh_system_user_token", Some(format!("trip-r-{i}")), &body)),
        ),
        (
            "execute_low, Graph read + write + read back (pause_campaign)",
            Box::new(|i| {
                let c = campaign.clone().unwrap_or_default();
                call(
                    "recruiter_paid_media",
                    "pause_campaign",
                    Some(format!("trip-p-{i}")),
                    &json!({"ad_account_id": "act_100200300", "campaign_id": c}).to_string(),
                )
            }),
        ),
    ];
    for (label, f) in &kinds {
        f(0);
        println!("  {label:<62} {}", trips(f(1)));
    }

    measure(20, direct);
    measure(20, health);
    measure(20, audit);
    measure(20, |_| action("get_token_health", None));
    let (h50, h99) = measure(n, health);
    let (a50, a99) = measure(n, audit);
    println!("read action against /health, {n} sequential requests each (milliseconds):");
    println!("  GET /health:                     p50 {h50:.2}  p99 {h99:.2}");
    println!("  read action get_audit_events:    p50 {a50:.2}  p99 {a99:.2}  ratio p50 {:.2}x  p99 {:.2}x", a50 / h50, a99 / h99);
    let (d50, d99) = measure(n, direct);
    let (r50, r99) = measure(n, |_| action("get_token_health", None));
    let (w50, w99) = measure(n, |i| action("refresh_system_user_token", Some(format!("bench-{i}"))));
    println!("gateway overhead, {n} sequential requests each (milliseconds; overhead = adgate minus direct):");
    println!("  direct Graph call (debug_token to the simulator): p50 {d50:.2}  p99 {d99:.2}");
    println!(
        "  read action get_token_health:                     p50 {r50:.2}  p99 {r99:.2}  overhead p50 {:.2} p99 {:.2}  ratio p50 {:.1}x",
        r50 - d50,
        r99 - d99,
        r50 / d50
    );
    println!(
        "  execute_low refresh_system_user_token:            p50 {w50:.2}  p99 {w99:.2}  overhead p50 {:.2} p99 {:.2}  ratio p50 {:.1}x",
        w50 - d50,
        w99 - d99,
        w50 / d50
    );

    let before = sim.ledger().iter().filter(|e| e["path"] == "/act_100200301").count();
    let next = AtomicUsize::new(0);
    let (admitted, held, failed) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let url = format!("{}/v1/ad-accounts/act_100200301/meta", gw.base);
    let slow = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
    let t = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..200 {
            scope.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < gate_n {
                    let r = slow.get(&url).set("Authorization", &auth).call();
                    match r {
                        Ok(r) if r.status() == 200 => admitted.fetch_add(1, Ordering::Relaxed),
                        Err(ureq::Error::Status(429, _)) => held.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let graph_calls = sim.ledger().iter().filter(|e| e["path"] == "/act_100200301").count() - before;
    let admitted = admitted.into_inner();
    println!("gate, one ad account, 200 concurrent callers, {gate_n} requests:");
    println!(
        "  admitted {admitted} ({:.1}/s), refused {}, failed {}, Graph calls made {graph_calls}, wall {secs:.2}s",
        admitted as f64 / secs,
        held.into_inner(),
        failed.into_inner()
    );
}
