//! Benchmark of analytics reads over a million fact rows, through a real gateway (`wrangler dev`,
//! local D1) against the same SQL run straight in SQLite on the same database file:
//!   1. `get_insights_with_breakdowns` (country, by campaign, 30 days) over ROWS rows of
//!      `insights_facts`;
//!   2. `get_insights_ad_level` (30 days, top 100 ads by spend) over ROWS rows of `insights_daily`;
//!   3. a report of every ad and day over the ROWS daily rows: wall time, CSV bytes, worker memory.
//!
//! Each action is asked RUNS times (p50/p99 of the whole request) and its heaviest two statements
//! (the page of rows and the totals) are run RUNS times in SQLite: the ratio is what the gateway
//! (HTTP, auth, D1 in workerd, the other statements of the answer) costs over the bare queries.
//!
//! usage: insights_bench [ROWS RUNS]   (defaults 1000000 200)

use adgate::db::insights_read::{Ask, Level, Source};
use adgate::ports::Bind;
use adgate_e2e::{json, Connected, Value};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-insights-token-3f8e";
const A: &str = "555444333";

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1_000.0
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

fn params(binds: &[Bind]) -> Vec<rusqlite::types::Value> {
    binds
        .iter()
        .map(|b| match b {
            Bind::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Bind::Int(n) => rusqlite::types::Value::Integer(*n),
            Bind::Real(f) => rusqlite::types::Value::Real(*f),
            Bind::Null => rusqlite::types::Value::Null,
        })
        .collect()
}

/// p50 and p99 (ms) of the page and totals statements of `ask`, straight in SQLite.
fn direct(db: &rusqlite::Connection, ask: &Ask, runs: usize) -> (f64, f64) {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        for q in [ask.rows_query(), ask.totals_query()] {
            let mut stmt = db.prepare_cached(&q.sql).unwrap();
            let n = stmt.query_map(rusqlite::params_from_iter(params(&q.binds)), |_| Ok(())).unwrap().count();
            assert!(n > 0);
        }
        times.push(ms(t));
    }
    let t = sorted(times);
    (pct(&t, 0.5), pct(&t, 0.99))
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (rows, runs) = match args[..] {
        [r, n] => (r, n),
        [] => (1_000_000, 200),
        _ => panic!("usage: insights_bench [ROWS RUNS]"),
    };
    let c = Connected::start("bench-insights", TOKEN, &[]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 2, "timezone_name": "UTC", "access_token": TOKEN}),
    );
    let admin = c.key("admin");
    let set = c.gw.request(
        "POST",
        "/v1/actions/admin_meta_ads_governance/set_insights_settings",
        &[("Authorization", &format!("Bearer {admin}")), ("Idempotency-Key", "bench-1")],
        Some(&json!({"breakdown_sets": ["country"]}).to_string()),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    let iid = c.connect(TOKEN);
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{A}")})));
    assert_eq!(r.status, 201, "{}", r.text);

    // ROWS facts: 2,000 ads in 100 campaigns, 5 countries, ROWS / 10,000 days; and ROWS daily
    // ad rows: 2,500 ads over ROWS / 2,500 days.
    let ads = 2_000;
    let t = Instant::now();
    c.gw.plant(
        "INSERT INTO insights_facts (ad_account_id, object_id, date, breakdown_key, attribution_window, breakdown_set, workspace_id, campaign_id, adset_id, \
         impressions, reach, clicks, spend_minor, leads, updated_at) \
         SELECT ?1, CAST(900000000 + (i / 5) % ?3 AS TEXT), date('2024-01-01', '+' || (i / (5 * ?3)) || ' days'), \
         'country=' || CASE i % 5 WHEN 0 THEN 'US' WHEN 1 THEN 'CA' WHEN 2 THEN 'GB' WHEN 3 THEN 'IN' ELSE 'DE' END, 'default', 'country', ?2, \
         CAST(800000000 + ((i / 5) % ?3) / 20 AS TEXT), CAST(700000000 + ((i / 5) % ?3) / 4 AS TEXT), 1000 + i % 7, 800, 10 + i % 5, 100 + i % 97, i % 3, 'x' \
         FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?4 - 1) SELECT i FROM n)",
        &[&A, &c.ws, &(ads as i64), &(rows as i64)],
    );
    c.gw.plant(
        "INSERT INTO insights_daily (ad_account_id, level, object_id, date, attribution_window, workspace_id, impressions, reach, clicks, link_clicks, spend_minor, leads, purchases, purchase_value_minor, updated_at) \
         SELECT ?1, 'ad', CAST(900000000 + i % 2500 AS TEXT), date('2024-01-01', '+' || (i / 2500) || ' days'), 'default', ?2, 1000 + i % 7, 800, 10 + i % 5, 0, 100 + i % 97, i % 3, 0, 0, 'x' \
         FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?3 - 1) SELECT i FROM n)",
        &[&A, &c.ws, &(rows as i64)],
    );
    println!("== analytics reads over {rows} insights_facts rows and {rows} insights_daily rows (planted in {:.1}s)", t.elapsed().as_secs_f64());
    let recruiter = c.key("recruiter");
    let (since, until) = ("2024-02-01", "2024-03-01");
    let ask_gateway = |action: &str, body: Value| -> (Vec<f64>, u64) {
        let mut times = Vec::new();
        let mut trips = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = c.gw.request(
                "POST",
                &format!("/v1/actions/recruiter_paid_media_analytics/{action}"),
                &[("Authorization", &format!("Bearer {recruiter}"))],
                Some(&body.to_string()),
            );
            times.push(ms(t));
            assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
            assert!(!r.body["data"].as_array().unwrap().is_empty());
            trips = r.header("x-adgate-storage-trips").and_then(|t| t.parse().ok()).unwrap_or(0);
        }
        (sorted(times), trips)
    };
    let breakdown = json!({"ad_account_id": format!("act_{A}"), "since": since, "until": until, "breakdowns": ["country"], "level": "campaign", "limit": 100});
    let (b_times, b_trips) = ask_gateway("get_insights_with_breakdowns", breakdown);
    let ad_level = json!({"ad_account_id": format!("act_{A}"), "since": since, "until": until, "limit": 100});
    let (a_times, a_trips) = ask_gateway("get_insights_ad_level", ad_level);

    // A report of every daily row, by ad and day.
    let last_day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days((rows / 2_500) as i64 - 1);
    let t = Instant::now();
    let r = c.gw.request(
        "POST",
        "/v1/actions/recruiter_paid_media_analytics/create_async_report_job",
        &[("Authorization", &format!("Bearer {recruiter}")), ("Idempotency-Key", "bench-report")],
        Some(&json!({"ad_account_id": format!("act_{A}"), "level": "ad", "since": "2024-01-01", "until": last_day.to_string(), "metrics": ["spend", "impressions", "clicks", "ctr"]}).to_string()),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["report_id"].as_str().unwrap().to_string();
    let done = c.gw.wait_for("the report", Duration::from_secs(1_800), || {
        let s = c.gw.query("SELECT status, row_count, byte_count, peak_memory_bytes FROM report_jobs WHERE id = ?1", &[&id]);
        assert_ne!(s[0]["status"], "failed", "{s:?}");
        (s[0]["status"] == "succeeded").then(|| s[0].clone())
    });
    let report_secs = t.elapsed().as_secs_f64();

    // The same SQL straight in SQLite, on the database file the gateway wrote.
    let db = c.gw.d1();
    let ask = |level: Level, source: Source, order_by: &'static str| Ask {
        workspace: c.ws.clone(),
        account: A.into(),
        level,
        source,
        window: "default".into(),
        since: since.into(),
        until: until.into(),
        by_day: false,
        ids: vec![],
        campaign_id: None,
        adset_id: None,
        order_by,
        descending: true,
        limit: 101,
        offset: 0,
    };
    let (b50, b99) = direct(&db, &ask(Level::Campaign, Source::Breakdown("country".into()), "SUM(d.spend_minor)"), runs);
    let (a50, a99) = direct(&db, &ask(Level::Ad, Source::Daily, "SUM(d.spend_minor)"), runs);
    for (name, t, trips, (d50, d99)) in [
        ("country breakdown by campaign, 30 days (insights_facts)", &b_times, b_trips, (b50, b99)),
        ("ad level, 30 days, top 100 by spend (insights_daily)", &a_times, a_trips, (a50, a99)),
    ] {
        println!(
            "{name}: gateway p50 {:.1} ms, p99 {:.1} ms ({trips} storage trips); SQLite direct (rows + totals) p50 {d50:.2} ms, p99 {d99:.2} ms; ratio p50 {:.1}x ({runs} runs each)",
            pct(t, 0.5),
            pct(t, 0.99),
            pct(t, 0.5) / d50
        );
    }
    println!(
        "report of every ad and day: {} rows, {} bytes of CSV in {report_secs:.1}s ({:.0} rows/s); worker memory {} bytes",
        done["row_count"],
        done["byte_count"],
        done["row_count"].as_f64().unwrap_or(0.0) / report_secs,
        done["peak_memory_bytes"]
    );
}
