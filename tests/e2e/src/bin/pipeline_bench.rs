//! Benchmark: the recruiting pipeline at scale.
//!   1. EVENTS pipeline events (4 applications to 1 stage change) in batches of 5,000 through
//!      `POST /v1/workspaces/{id}/pipeline/events` (validation, hashing, upsert, stages, the join
//!      to Meta by UTM values the taxonomy maps, the audit row, in local D1), against the same
//!      checks and the same statements (upserts, stages, join passes) straight into SQLite with
//!      the same schema and the same mappings and mirrors;
//!   2. `get_paid_media_to_pipeline_funnel` over them (by total and by ad): p50/p99 through the
//!      gateway, against the same funnel SQL's core (the stage counts) straight in SQLite.
//!
//! usage: pipeline_bench [EVENTS (default 1000000)] [RUNS (default 50)]

use adgate::ports::{Bind, Query};
use adgate::recruiting::{attribution, events, store};
use adgate_e2e::{json, repo_root, Connected, Value};
use std::time::Instant;

const TOKEN: &str = "bench-pipeline-token";
const A: &str = "555000888";
const BATCH: usize = 5_000;
/// Rows per upsert statement, as the gateway pages them.
const PAGE: usize = 150;

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[(((p / 100.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Event `i`: four applications, then a stage change for the second of them.
fn event(i: usize, days: &[String], campaign: &str, ads: &[String]) -> Value {
    let app = i - i % 5 + 1;
    if i % 5 == 4 {
        let stage = ["screened", "qualified", "interviewed", "offered", "hired"][(i / 5) % 5];
        return json!({"type": "stage", "source": "bench_ats", "application_id": format!("app-{app}"), "stage": stage, "at": format!("{}T18:00:00Z", days[(i / 5) % days.len()])});
    }
    json!({"type": "application", "source": "bench_ats", "application_id": format!("app-{i}"), "applied_at": format!("{}T09:00:00Z", days[(i / 5) % days.len()]),
           "email": format!("cand{i}@example.com"), "job_id": format!("req-{}", i % 40), "location": "Austin, TX",
           "utm_source": "facebook", "utm_campaign": campaign, "utm_content": ads[i % ads.len()]})
}

fn bind(b: &Bind) -> rusqlite::types::Value {
    match b {
        Bind::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Bind::Int(n) => rusqlite::types::Value::Integer(*n),
        Bind::Real(f) => rusqlite::types::Value::Real(*f),
        Bind::Null => rusqlite::types::Value::Null,
    }
}

fn run(db: &rusqlite::Connection, q: &Query) {
    let params: Vec<rusqlite::types::Value> = q.binds.iter().map(bind).collect();
    db.execute(&q.sql, rusqlite::params_from_iter(params)).unwrap_or_else(|e| panic!("{e}: {}", &q.sql[..q.sql.len().min(200)]));
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let total = args.first().copied().unwrap_or(1_000_000);
    let runs = args.get(1).copied().unwrap_or(50);
    let mut c = Connected::start("bench-pipeline", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 1, "adsets_per_campaign": 4, "ads_per_adset": 2, "days": 30, "timezone_name": "UTC", "access_token": TOKEN}),
    );
    let key = c.key("recruiter");
    c.bind_and_backfill(TOKEN, A);
    let r = c.gw.act(&key, "cross_role_paid_media_pipeline", "sync_campaign_taxonomy_to_pipeline", &json!({"ad_account_id": format!("act_{A}")}));
    assert_eq!(r.status, 200, "{}", r.text);
    let campaign = c.gw.query("SELECT name FROM meta_campaigns", &[])[0]["name"].as_str().unwrap().to_string();
    let ads: Vec<String> = c.gw.query("SELECT id FROM meta_ads ORDER BY id", &[]).iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let range = c.gw.query("SELECT MIN(date) AS since, MAX(date) AS until FROM insights_daily WHERE level = 'campaign'", &[]);
    let (since, until) = (range[0]["since"].as_str().unwrap().to_string(), range[0]["until"].as_str().unwrap().to_string());
    let days: Vec<String> =
        c.gw.query("SELECT DISTINCT date FROM insights_daily WHERE level = 'campaign' ORDER BY date", &[])
            .iter()
            .map(|r| r["date"].as_str().unwrap().to_string())
            .collect();

    // 1. Through the gateway.
    let auth = format!("Bearer {key}");
    let t = Instant::now();
    let (mut apps, mut stages, mut joined) = (0, 0, 0);
    for start in (0..total).step_by(BATCH) {
        let body = json!({"events": (start..(start + BATCH).min(total)).map(|i| event(i, &days, &campaign, &ads)).collect::<Vec<_>>()}).to_string();
        let r = c.gw.request("POST", &format!("/v1/workspaces/{}/pipeline/events", c.ws), &[("Authorization", &auth)], Some(&body));
        assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(500)]);
        assert_eq!(r.body["rejected"], 0, "{}", &r.text[..r.text.len().min(500)]);
        apps += r.body["applications"].as_i64().unwrap();
        stages += r.body["stage_changes"].as_i64().unwrap();
        joined += r.body["attribution"]["joined"]["utm_content"].as_i64().unwrap_or(0);
    }
    let secs = t.elapsed().as_secs_f64();
    let held = c.gw.query("SELECT COUNT(*) AS n, SUM(join_key = 'utm_content') AS j FROM pipeline_applications WHERE workspace_id = ?1", &[&c.ws]);
    assert_eq!(held[0]["n"].as_i64().unwrap(), apps);
    println!("== pipeline: {total} events ({apps} applications, {stages} stage changes) in batches of {BATCH}");
    println!(
        "adgate (HTTP, checks, hashing, upsert, stages, join, audit; local D1): {:.0} events/s ({secs:.1}s); {joined} joined by utm_content, {} held joined",
        total as f64 / secs,
        held[0]["j"]
    );

    // 2. The funnel through the gateway.
    let funnel = |by: &str| {
        let mut ms = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let r = c.gw.act(
                &key,
                "cross_role_paid_media_pipeline",
                "get_paid_media_to_pipeline_funnel",
                &json!({"ad_account_id": format!("act_{A}"), "since": since, "until": until, "by": by}),
            );
            assert_eq!(r.status, 200, "{}", r.text);
            ms.push(t.elapsed().as_secs_f64() * 1_000.0);
        }
        ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (pct(&ms, 50.0), pct(&ms, 99.0))
    };
    let (total_p50, total_p99) = funnel("total");
    let (ad_p50, ad_p99) = funnel("ad");

    // Baseline: the same schema, mappings and mirrors, the same checks and statements, in SQLite.
    c.gw.stop();
    let path = std::env::temp_dir().join(format!("adgate-pipeline-bench-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF;").unwrap();
    let mut migrations: Vec<_> = std::fs::read_dir(repo_root().join("migrations")).unwrap().map(|e| e.unwrap().path()).collect();
    migrations.sort();
    for m in migrations {
        db.execute_batch(&std::fs::read_to_string(m).unwrap()).unwrap();
    }
    let d1_path = c.gw.d1().path().unwrap().to_string();
    db.execute("ATTACH DATABASE ?1 AS d1", [d1_path]).unwrap();
    for t in ["workspaces", "ad_accounts", "meta_campaigns", "meta_ad_sets", "meta_ads", "pipeline_mappings"] {
        db.execute_batch(&format!("INSERT INTO main.{t} SELECT * FROM d1.{t}")).unwrap();
    }
    db.execute_batch("DETACH DATABASE d1").unwrap();
    let ws = c.ws.clone();
    let now = chrono::Utc::now();
    let stamp = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let t = Instant::now();
    for (b, start) in (0..total).step_by(BATCH).enumerate() {
        let tx = db.unchecked_transaction().unwrap();
        let (mut rows, mut stage_rows, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
        for i in start..(start + BATCH).min(total) {
            match events::event(i, &event(i, &days, &campaign, &ads), now).unwrap() {
                events::Event::Application(cols) => {
                    pairs.push(json!([cols[0], cols[1]]));
                    rows.push(Value::Array(cols));
                }
                events::Event::Stage { source, application_id, stage, at } => stage_rows.push(json!([source, application_id, stage.as_str(), at])),
            }
        }
        for page in rows.chunks(PAGE) {
            run(&tx, &store::upsert(&ws, Value::Array(page.to_vec()).to_string(), &stamp));
        }
        for page in stage_rows.chunks(PAGE) {
            run(&tx, &store::record_stages(&ws, Value::Array(page.to_vec()).to_string(), &stamp));
        }
        for q in attribution::passes(&ws, &format!("run-{b}"), &stamp, &attribution::Scope::Batch(Value::Array(pairs).to_string())) {
            run(&tx, &q);
        }
        tx.commit().unwrap();
    }
    let base_secs = t.elapsed().as_secs_f64();
    let base_joined: i64 = db.query_row("SELECT COUNT(*) FROM pipeline_applications WHERE join_key = 'utm_content'", [], |r| r.get(0)).unwrap();
    println!(
        "SQLite direct (same checks, schema, statements and join, no HTTP, no audit): {:.0} events/s ({base_secs:.1}s), {base_joined} joined; adgate {:.1}x slower",
        total as f64 / base_secs,
        secs / base_secs
    );
    // The funnel's stage counts (its heaviest statement) straight in SQLite, by total and by ad.
    let direct = |group: &str| {
        let q = format!(
            "SELECT {group}, COUNT(*), COUNT(qualified_at), COUNT(interviewed_at), COUNT(offered_at), COUNT(hired_at) FROM pipeline_applications \
             WHERE workspace_id = ?1 AND ad_account_id = ?2 AND applied_date BETWEEN ?3 AND ?4 GROUP BY 1"
        );
        let mut ms = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let mut stmt = db.prepare_cached(&q).unwrap();
            let n = stmt.query_map(rusqlite::params![ws, A, since, until], |_| Ok(())).unwrap().count();
            assert!(n >= 1);
            ms.push(t.elapsed().as_secs_f64() * 1_000.0);
        }
        ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (pct(&ms, 50.0), pct(&ms, 99.0))
    };
    let (d_total_p50, d_total_p99) = direct("'total'");
    let (d_ad_p50, d_ad_p99) = direct("ad_id");
    let _ = std::fs::remove_file(&path);
    println!("funnel over {apps} applications, {runs} runs each: by total p50 {total_p50:.1} ms, p99 {total_p99:.1} ms (SQLite stage counts alone: p50 {d_total_p50:.1} ms, p99 {d_total_p99:.1} ms; {:.1}x)", total_p50 / d_total_p50);
    println!("                                          by ad    p50 {ad_p50:.1} ms, p99 {ad_p99:.1} ms (SQLite stage counts alone: p50 {d_ad_p50:.1} ms, p99 {d_ad_p99:.1} ms; {:.1}x)", ad_p50 / d_ad_p50);
}
