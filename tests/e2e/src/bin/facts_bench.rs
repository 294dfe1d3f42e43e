//! Benchmark of facts past one D1, through real gateways (`wrangler dev`, local D1, Durable
//! Objects and Queues) and the simulator, both paths in the same run:
//!   1. ACCOUNTS accounts of ADS ads each backfilled over DAYS days with the country and hourly
//!      breakdowns, all bound at once so their syncs run concurrently: partitioned fact rows
//!      written per second with every fact in D1 (`FACTS_STORE=d1`, the baseline) and with the
//!      breakdown and hourly facts in each account's fact object;
//!   2. an account-level dashboard question (`get_insights_with_breakdowns`, by country and day,
//!      the whole window) asked QUERIES times on each: p50/p99 and the ratio.
//!
//! usage: facts_bench [ACCOUNTS ADS DAYS QUERIES]   (defaults 20 200 86 200: about 10M rows)

use adgate_e2e::{json, Connected};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-facts-token-3c9e";

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Run {
    rows: i64,
    secs: f64,
    graph_calls: i64,
    p50: f64,
    p99: f64,
}

fn run(store: &str, accounts: usize, ads: usize, days: i64, queries: usize) -> Run {
    let name = format!("bench-facts-{store}");
    let c = Connected::start(&name, TOKEN, &[("BACKFILL_ON_BIND", "true"), ("GATE_MAX_CALLS", "1000000"), ("ASYNC_POLL_SECONDS", "1"), ("FACTS_STORE", store)]);
    let ids =
        c.seed_fleet("7700", accounts, TOKEN, json!({"campaigns": ads.div_ceil(10), "adsets_per_campaign": 1, "ads_per_adset": 10.min(ads), "days": days + 2}));
    c.set_insights(json!({"breakdown_sets": ["country", "hourly_stats_aggregated_by_advertiser_time_zone"], "backfill_days": days}));
    let iid = c.connect(TOKEN);
    let t = Instant::now();
    for id in &ids {
        let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{id}")})));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let runs = c.gw.wait_for("every backfill", Duration::from_secs(6 * 3_600), || {
        let rows = c.gw.query("SELECT kind, status, graph_calls, rows_written FROM sync_runs WHERE kind = 'insights_resync'", &[]);
        (rows.len() == accounts && rows.iter().all(|r| r["status"] == "succeeded" || r["status"] == "failed")).then_some(rows)
    });
    let secs = t.elapsed().as_secs_f64();
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    let sum = |k: &str| runs.iter().map(|r| r[k].as_i64().unwrap_or(0)).sum::<i64>();
    // Partitioned rows wherever they live (D1, or the objects).
    let rows = c.gw.facts_query("SELECT COUNT(*) AS n FROM insights_facts WHERE breakdown_set <> ''", &[])[0]["n"].as_i64().unwrap_or(0);
    let in_d1 = c.gw.query("SELECT COUNT(*) AS n FROM insights_facts WHERE breakdown_set <> ''", &[])[0]["n"].as_i64().unwrap_or(0);
    println!(
        "   {store}: {rows} partitioned rows ({in_d1} in D1), {} rows written by {accounts} syncs, {} Graph calls, {secs:.1}s",
        sum("rows_written"),
        sum("graph_calls")
    );
    let w = c.gw.query("SELECT MIN(date) AS lo, MAX(date) AS hi FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set = ''", &[&ids[0]]);
    let (since, until) = (w[0]["lo"].as_str().unwrap().to_string(), w[0]["hi"].as_str().unwrap().to_string());
    let recruiter = c.key("recruiter");
    let body = json!({"ad_account_id": format!("act_{}", ids[0]), "since": since, "until": until, "breakdowns": ["country"], "time_increment": "day", "level": "campaign", "limit": 500});
    let mut times = Vec::with_capacity(queries);
    for _ in 0..queries {
        let t = Instant::now();
        let r = c.gw.act(&recruiter, "recruiter_paid_media_analytics", "get_insights_with_breakdowns", &body);
        times.push(t.elapsed().as_secs_f64() * 1_000.0);
        assert_eq!(r.status, 200, "{}", r.text);
    }
    times.sort_by(f64::total_cmp);
    Run { rows, secs, graph_calls: sum("graph_calls"), p50: pct(&times, 0.5), p99: pct(&times, 0.99) }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (accounts, ads, days, queries) = (arg(0, 20), arg(1, 200), arg(2, 86) as i64, arg(3, 200));
    println!("== facts past one D1: {accounts} accounts x {ads} ads x {days} days, country and hourly breakdowns, synced concurrently");
    let d1 = run("d1", accounts, ads, days, queries);
    let objects = run("partitioned", accounts, ads, days, queries);
    let rate = |r: &Run| r.rows as f64 / r.secs;
    println!(
        "   rows/s: single D1 {:.0}, fact objects {:.0}; ratio {:.2}x (same rows: {})",
        rate(&d1),
        rate(&objects),
        rate(&objects) / rate(&d1),
        d1.rows == objects.rows
    );
    println!("   Graph calls: single D1 {}, fact objects {}", d1.graph_calls, objects.graph_calls);
    println!(
        "   dashboard question ({queries} asks): single D1 p50 {:.1} ms p99 {:.1} ms; fact objects p50 {:.1} ms p99 {:.1} ms; p50 ratio {:.2}x",
        d1.p50,
        d1.p99,
        objects.p50,
        objects.p99,
        objects.p50 / d1.p50
    );
}
