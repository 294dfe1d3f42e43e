//! Benchmark of the sync half, through a real gateway (`wrangler dev`, local D1 and Queues) and
//! the simulator. Prints counts (Graph calls, rows) and ratios against a baseline measured in the
//! same run:
//!   1. mirror a CAMPAIGNSx10x10 account and DAYS days of ad-level insights: Graph calls and wall
//!      time against the lower bound (pages needed) and the per-parent walk of seed 004 (campaigns,
//!      then each campaign's ad sets, each set's ads, then each ad's insights), the walk made
//!      directly against the same simulator;
//!   2. ingest ROWS metric facts through adgate vs the same rows upserted straight into SQLite
//!      with the same schema; then p50/p99 of a dashboard query (30 days, one account, by
//!      campaign) over them;
//!   3. webhooks: signed notifications acknowledged per second at 1, 4 and 16 in flight, p50/p99,
//!      and none lost.
//!
//! usage: sync_bench [CAMPAIGNS DAYS ROWS WEBHOOKS]   (defaults 50 90 1000000 2000)

use adgate_e2e::{json, repo_root, Connected, Value};
use hmac::{Hmac, Mac};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-sync-token-9a1d";

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn graph_get(base: &str, path: &str, query: &str) -> Value {
    let url = format!("{base}/v26.0/{path}?{query}&access_token={TOKEN}");
    ureq::get(&url).call().map(|r| r.into_json().unwrap()).unwrap_or(Value::Null)
}

/// The per-parent walk, directly against the simulator: every page of every parent's edge.
fn walk_all(base: &str, path: &str, fields: &str) -> (Vec<Value>, usize) {
    let (mut out, mut calls, mut after) = (Vec::new(), 0, String::new());
    loop {
        let q = format!("fields={fields}&limit=25{after}");
        let body = graph_get(base, path, &q);
        calls += 1;
        out.extend(body["data"].as_array().cloned().unwrap_or_default());
        match (body["paging"]["next"].as_str(), body["paging"]["cursors"]["after"].as_str()) {
            (Some(_), Some(a)) => after = format!("&after={a}"),
            _ => return (out, calls),
        }
    }
}

fn mirror(campaigns: usize, days: i64) {
    let c = Connected::start("bench-sync-mirror", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("GATE_MAX_CALLS", "100000")]);
    let account = "555123000";
    c.sim.control("POST", "/accounts", json!({"account_id": account, "campaigns": campaigns, "adsets_per_campaign": 10, "ads_per_adset": 10, "days": days + 2, "access_token": TOKEN, "call_budget": 100_000_000}));
    c.sim.control("POST", "/config", json!({"app_call_budget": 100_000_000}));
    let admin = c.key("admin");
    let set = c.gw.request(
        "POST",
        "/v1/actions/admin_meta_ads_governance/set_insights_settings",
        &[("Authorization", &format!("Bearer {admin}")), ("Idempotency-Key", "bench-1")],
        Some(&json!({"backfill_days": days}).to_string()),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    let iid = c.connect(TOKEN);
    c.sim.control("DELETE", "/ledger", Value::Null);
    let t = Instant::now();
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{account}")})));
    assert_eq!(r.status, 201, "{}", r.text);
    let runs = c.gw.wait_for("the backfill", Duration::from_secs(3_600), || {
        let rows =
            c.gw.query("SELECT kind, status, graph_calls, pages, rows_written, started_at, finished_at FROM sync_runs WHERE ad_account_id = ?1", &[&account]);
        (rows.len() == 2 && rows.iter().all(|r| r["status"] == "succeeded" || r["status"] == "failed")).then_some(rows)
    });
    let secs = t.elapsed().as_secs_f64();
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    let ads = campaigns * 100;
    let get = |kind: &str, k: &str| runs.iter().find(|r| r["kind"] == kind).unwrap()[k].as_i64().unwrap();
    let (s_calls, i_calls, i_rows) = (get("structure", "graph_calls"), get("insights_resync", "graph_calls"), get("insights_resync", "rows_written"));
    let ledger_calls = c.sim.ledger().iter().filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with(&format!("/act_{account}")))).count();
    let facts = c.gw.facts_query("SELECT COUNT(*) AS n FROM insights_facts", &[])[0]["n"].as_i64().unwrap();
    let lb_structure = [campaigns, campaigns * 10, ads, 1].iter().map(|n| n.div_ceil(500)).sum::<usize>();
    let lb_insights = (ads * days as usize).div_ceil(2_000);
    // Per-parent walk (seed 004): campaigns, each campaign's ad sets, each set's ads, each ad's insights.
    let sim = &c.sim.base;
    let t = Instant::now();
    let (camps, mut walk_calls) = walk_all(sim, &format!("act_{account}/campaigns"), "id,name,status");
    let mut walked_ads = Vec::new();
    for camp in &camps {
        let (sets, n) = walk_all(sim, &format!("{}/adsets", camp["id"].as_str().unwrap()), "id,name,status");
        walk_calls += n;
        for set in &sets {
            let (a, n) = walk_all(sim, &format!("{}/ads", set["id"].as_str().unwrap()), "id,name,status,creative");
            walk_calls += n;
            walked_ads.extend(a);
        }
    }
    let structure_walk_calls = walk_calls;
    let until = c.gw.query("SELECT window_end, window_start FROM sync_runs WHERE kind = 'insights_resync'", &[]);
    let range = json!({"since": until[0]["window_start"], "until": until[0]["window_end"]}).to_string();
    let mut walk_rows = 0;
    for ad in &walked_ads {
        let q = format!("level=ad&time_increment=1&limit=500&fields={}&time_range={}", adgate::sync::insights::FIELDS, urlencode(&range));
        let body = graph_get(sim, &format!("{}/insights", ad["id"].as_str().unwrap()), &q);
        walk_calls += 1;
        walk_rows += body["data"].as_array().map(Vec::len).unwrap_or(0);
    }
    let walk_secs = t.elapsed().as_secs_f64();
    println!("== mirror: {campaigns} campaigns x 10 ad sets x 10 ads ({ads} ads), {days} days of ad-level daily insights");
    println!("adgate: {} Graph calls (structure {s_calls}, insights {i_calls}; the simulator's ledger shows {ledger_calls} on act_{account}/..., the bind's own read among them), {i_rows} insights rows, {facts} facts in D1, {secs:.1}s bind to done", s_calls + i_calls);
    println!(
        "lower bound: {} calls (structure {lb_structure} pages of 500; insights {lb_insights} pages of 2,000 + 1 validation call)",
        lb_structure + lb_insights + 1
    );
    println!("adgate / lower bound: {:.2}x the calls", (s_calls + i_calls) as f64 / (lb_structure + lb_insights + 1) as f64);
    println!("per-parent walk, direct to the simulator, no writes: {walk_calls} calls (structure {structure_walk_calls}, insights {}), {walk_rows} rows, {walk_secs:.1}s", walk_calls - structure_walk_calls);
    println!("per-parent walk / adgate: {:.1}x the calls, {:.2}x the wall time", walk_calls as f64 / (s_calls + i_calls) as f64, walk_secs / secs);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// ROWS facts: 100 campaigns x 50 ads, over ROWS / 5,000 days.
fn fact(i: usize) -> Value {
    let ad = i % 5_000;
    let day = i / 5_000;
    let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(day as i64);
    json!({"external_entity_id": format!("{}", 900_000 + ad), "level": "ad", "ad_account_id": "act_777", "campaign_id": format!("{}", 800_000 + ad / 50),
           "date": date.to_string(), "spend_minor": (i * 37) % 10_000, "impressions": (i * 13) % 5_000, "clicks": i % 97, "leads": i % 7})
}

fn ingest(rows: usize) {
    let mut c = Connected::start("bench-sync-ingest", TOKEN, &[]);
    let r = c.gw.admin(
        "POST",
        &format!("/v1/workspaces/{}/ad-accounts", c.ws),
        Some(&json!({"account_id": "act_777", "name": "Ingest", "currency": "USD", "timezone_name": "UTC"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let key = c.key("recruiter");
    let batch = 5_000;
    let t = Instant::now();
    let mut accepted = 0;
    for start in (0..rows).step_by(batch) {
        let body = json!({"rows": (start..(start + batch).min(rows)).map(fact).collect::<Vec<_>>()}).to_string();
        let r = c.gw.request("POST", &format!("/v1/workspaces/{}/metrics/ingest", c.ws), &[("Authorization", &format!("Bearer {key}"))], Some(&body));
        assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(500)]);
        accepted += r.body["accepted"].as_i64().unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(accepted as usize, rows);

    // Baseline: the same rows, the same schema and the same upsert statement, straight into SQLite.
    let path = std::env::temp_dir().join(format!("adgate-bench-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF;").unwrap();
    for m in ["0001_foundation.sql", "0006_mirrors_insights.sql"] {
        let sql = std::fs::read_to_string(repo_root().join("migrations").join(m)).unwrap();
        let sql: String = sql.lines().filter(|l| !l.starts_with("ALTER TABLE")).collect::<Vec<_>>().join("\n");
        db.execute_batch(&sql).unwrap();
    }
    db.execute("INSERT INTO workspaces VALUES ('ws', 'w', 'USD', 'UTC', 'now', 'now')", []).unwrap();
    let sql = adgate::ingest::upsert_sql();
    let accounts = |_: &str| Some(adgate::ingest::AccountInfo { currency: "USD".into(), timezone_name: "UTC".into() });
    let t = Instant::now();
    for start in (0..rows).step_by(batch) {
        let good: Vec<Value> = (start..(start + batch).min(rows)).map(|i| adgate::ingest::row(i, &fact(i), "ws", &accounts, "now").unwrap()).collect();
        let tx = db.unchecked_transaction().unwrap();
        for chunk in good.chunks(1_000) {
            tx.execute(&sql, [Value::Array(chunk.to_vec()).to_string()]).unwrap();
        }
        tx.commit().unwrap();
    }
    let base_secs = t.elapsed().as_secs_f64();
    let n: i64 = db.query_row("SELECT COUNT(*) FROM metric_facts", [], |r| r.get(0)).unwrap();
    assert_eq!(n as usize, rows);
    let _ = std::fs::remove_file(&path);
    println!("== ingest: {rows} metric facts in batches of {batch}");
    println!("adgate (HTTP, validation, local D1): {:.0} rows/s ({secs:.1}s); SQLite direct, same schema and statement: {:.0} rows/s ({base_secs:.1}s); ratio {:.1}x slower", rows as f64 / secs, rows as f64 / base_secs, secs / base_secs);

    // The dashboard query, on the D1 file the gateway wrote (stopped, so nothing else holds it).
    c.gw.stop();
    let d1 = c.gw.d1();
    let q = "SELECT campaign_id, SUM(spend_minor), SUM(impressions), SUM(clicks), SUM(leads) FROM metric_facts WHERE ad_account_id = ?1 AND date BETWEEN ?2 AND ?3 GROUP BY campaign_id";
    let mut times = Vec::new();
    let days = (rows / 5_000).max(1) as i64;
    for i in 0..200 {
        let end = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days((i * 7) % days);
        let start = end - chrono::Duration::days(29);
        let t = Instant::now();
        let mut stmt = d1.prepare_cached(q).unwrap();
        let n = stmt.query_map(rusqlite::params!["777", start.to_string(), end.to_string()], |_| Ok(())).unwrap().count();
        assert!(n <= 100);
        times.push(t.elapsed().as_secs_f64() * 1_000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "dashboard query (30 days, one account, by campaign) over {rows} rows: p50 {:.2} ms, p99 {:.2} ms (200 runs)",
        pct(&times, 0.5),
        pct(&times, 0.99)
    );
}

fn webhooks(n: usize) {
    let c = Connected::start("bench-sync-webhooks", TOKEN, &[]);
    let account = "555123999";
    c.sim.control("POST", "/accounts", json!({"account_id": account, "campaigns": 2, "access_token": TOKEN}));
    let iid = c.connect(TOKEN);
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{account}")})));
    assert_eq!(r.status, 201);
    let ads = graph_get(&c.sim.base, &format!("act_{account}/ads"), "fields=id");
    let ad_ids: Vec<String> = ads["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
    println!("== webhooks: {n} signed notifications per level of concurrency (each names one ad, so each starts a targeted re-sync)");
    let mut offset = 0;
    for in_flight in [1, 4, 16] {
        let (rate, p50, p99, lost) = webhook_round(&c, account, &ad_ids, n, offset, in_flight);
        offset += n;
        println!(
            "{in_flight:>2} in flight: acknowledged {rate:.0}/s; p50 {p50:.1} ms, p99 {p99:.1} ms{}; lost {lost}",
            if p99 < 50.0 { " (under 50 ms)" } else { "" }
        );
    }
}

/// Sends `n` distinct notifications with `in_flight` senders; returns rate, p50, p99 and how many
/// were acknowledged but not stored.
fn webhook_round(c: &Connected, account: &str, ad_ids: &[String], n: usize, offset: usize, in_flight: usize) -> (f64, f64, f64, i64) {
    let before = c.gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"].as_i64().unwrap();
    let bodies: Vec<(String, String)> = (offset..offset + n)
        .map(|i| {
            let body = json!({"object": "ad_account", "entry": [{"id": account, "time": 1_795_428_000 + i, "changes": [{"field": "in_process_ad_objects", "value": {"id": ad_ids[i % ad_ids.len()], "level": "AD", "status_name": "ACTIVE"}}]}]}).to_string();
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"sim-app-secret").unwrap();
            mac.update(body.as_bytes());
            (format!("sha256={}", hex::encode(mac.finalize().into_bytes())), body)
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let t = Instant::now();
    let mut times: Vec<f64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..in_flight)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= n {
                            return mine;
                        }
                        let (sig, body) = &bodies[i];
                        let t = Instant::now();
                        let r = c.gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", sig)], Some(body));
                        assert_eq!(r.status, 200, "{}", r.text);
                        mine.push(t.elapsed().as_secs_f64() * 1_000.0);
                    }
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let secs = t.elapsed().as_secs_f64();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // Stored by the queue's consumer after the acknowledgement: wait until all are, or 60 s pass.
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored = loop {
        let stored = c.gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"].as_i64().unwrap() - before;
        if stored >= n as i64 || Instant::now() > deadline {
            break stored;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    (n as f64 / secs, pct(&times, 0.5), pct(&times, 0.99), n as i64 - stored)
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (campaigns, days, rows, hooks) = match args[..] {
        [c, d, r, w] => (c, d as i64, r, w),
        [] => (50, 90, 1_000_000, 2_000),
        _ => panic!("usage: sync_bench [CAMPAIGNS DAYS ROWS WEBHOOKS]"),
    };
    mirror(campaigns, days);
    ingest(rows);
    webhooks(hooks);
}
