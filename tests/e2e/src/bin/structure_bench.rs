//! Benchmark: read the full structure (campaigns, ad sets, ads, creatives) of a seeded account
//! through the gateway's Graph client, two ways, against the same in-process simulator:
//!   - account-level edges at the largest page size (what adgate does);
//!   - the per-parent walk (account -> campaigns -> each campaign's ad sets -> each set's ads).
//!
//! Prints Graph calls (counted by the simulator) and wall time, with the lower bound.
//!
//! usage: structure_bench [CAMPAIGNS ADSETS_PER_CAMPAIGN ADS_PER_ADSET PAGE_SIZE LATENCY_MS]
//! LATENCY_MS (default 0) is added by the simulator to every call, standing in for the network.

use adgate::graph::native::{ThreadSleep, UreqTransport};
use adgate::graph::{GraphClient, GraphConfig, RetryPolicy};
use futures::executor::block_on;
use graph_sim::Config;
use serde_json::{json, Value};
use std::time::Instant;

type Client = GraphClient<UreqTransport, ThreadSleep>;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn read_all(client: &Client, path: &str, fields: &str, limit: usize) -> Vec<Value> {
    let limit = limit.to_string();
    let mut pager =
        client.pages(path, &params(&[("fields", fields), ("limit", &limit), ("effective_status", "[\"ACTIVE\",\"PAUSED\",\"ARCHIVED\",\"DELETED\"]")]));
    block_on(pager.collect_all()).expect("read")
}

fn calls(base: &str) -> u64 {
    let v: Value = ureq::get(&format!("{base}/__control/counters")).call().unwrap().into_json().unwrap();
    v["total"].as_u64().unwrap()
}

fn reset_counters(base: &str) {
    ureq::delete(&format!("{base}/__control/ledger")).call().unwrap();
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (c, s, a, page, latency) = match args[..] {
        [c, s, a, p, l] => (c, s, a, p, l),
        [c, s, a, p] => (c, s, a, p, 0),
        [] => (50, 10, 10, 500, 0),
        _ => panic!("usage: structure_bench [CAMPAIGNS ADSETS_PER_CAMPAIGN ADS_PER_ADSET PAGE_SIZE [LATENCY_MS]]"),
    };
    let (base, _) = graph_sim::spawn_background(Config::default());
    let seeded: Value = ureq::post(&format!("{base}/__control/accounts"))
        .send_json(json!({ "campaigns": c, "adsets_per_campaign": s, "ads_per_adset": a, "days": 1, "call_budget": 1_000_000 }))
        .unwrap()
        .into_json()
        .unwrap();
    ureq::post(&format!("{base}/__control/config")).send_json(json!({ "base_latency_ms": latency })).unwrap();
    let account = format!("act_{}", seeded["account_id"].as_str().unwrap());
    let token = seeded["access_token"].as_str().unwrap();
    let cfg = GraphConfig {
        base_url: base.clone(),
        version: "v26.0".into(),
        app_secret: "sim-app-secret".into(),
        policy: RetryPolicy::default(),
        retry_mutations: false,
    };
    let client = GraphClient::new(cfg, token, UreqTransport::default(), ThreadSleep, 1);
    let (n_c, n_s, n_a) = (c, c * s, c * s * a);
    let lower_bound = [n_c, n_s, n_a, 1].iter().map(|n| n.div_ceil(page).max(1)).sum::<usize>();

    reset_counters(&base);
    let t = Instant::now();
    let campaigns = read_all(&client, &format!("{account}/campaigns"), "id,name,status,effective_status,objective,daily_budget,updated_time", page);
    let adsets = read_all(&client, &format!("{account}/adsets"), "id,name,campaign_id,status,effective_status,daily_budget,targeting,updated_time", page);
    let ads = read_all(&client, &format!("{account}/ads"), "id,name,adset_id,campaign_id,status,effective_status,creative,updated_time", page);
    let creatives = read_all(&client, &format!("{account}/adcreatives"), "id,name,object_story_spec", page);
    let edge_secs = t.elapsed().as_secs_f64();
    let edge_calls = calls(&base);
    assert_eq!((campaigns.len(), adsets.len(), ads.len(), creatives.len()), (n_c, n_s, n_a, 1));

    reset_counters(&base);
    let t = Instant::now();
    let mut walked = 0;
    for camp in read_all(&client, &format!("{account}/campaigns"), "id,name,status", 25) {
        for set in read_all(&client, &format!("{}/adsets", camp["id"].as_str().unwrap()), "id,name,status", 25) {
            walked += read_all(&client, &format!("{}/ads", set["id"].as_str().unwrap()), "id,name,status,creative", 25).len();
        }
    }
    let walk_secs = t.elapsed().as_secs_f64();
    let walk_calls = calls(&base);
    assert_eq!(walked, n_a);

    println!("structure of {n_c} campaigns x {s} ad sets x {a} ads ({n_a} ads), page size {page}, {latency} ms per call:");
    println!(
        "  account-level edges: {edge_calls} Graph calls, {edge_secs:.3}s  (lower bound {lower_bound} calls; ratio {:.2})",
        edge_calls as f64 / lower_bound as f64
    );
    println!("  per-parent walk:     {walk_calls} Graph calls, {walk_secs:.3}s");
    println!("  per-parent / edges:  {:.1}x the calls, {:.1}x the wall time", walk_calls as f64 / edge_calls as f64, walk_secs / edge_secs);
}
