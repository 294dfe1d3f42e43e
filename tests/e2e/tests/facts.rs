//! Facts past one D1: an account synced while every fact lived in D1 is moved to its fact object
//! by the cron ticks (a resumable copy, a day written behind the copy found by the totals check
//! and copied again, the switch, D1's copies removed), with the analytics answers the same before,
//! during and after, and the next sync writing the object.

use adgate_e2e::{json, Connected, Resp, Value};

const TOKEN: &str = "e2e-facts-token-77c1";
const A: &str = "606000111";

fn ask(c: &Connected, key: &str, since: &str, until: &str) -> Resp {
    c.gw.act(
        key,
        "recruiter_paid_media_analytics",
        "get_insights_with_breakdowns",
        &json!({"ad_account_id": format!("act_{A}"), "since": since, "until": until, "breakdowns": ["country"], "time_increment": "day", "limit": 500, "metrics": ["spend", "impressions", "leads"]}),
    )
}

/// What an answer says of the facts (its rows and totals; not when they were synced).
fn figures(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text);
    json!([r.body["data"], r.body["totals"]])
}

fn placement(c: &Connected) -> Value {
    c.gw.query("SELECT store, rows_copied, days_recopied, d1_rows_left, checked_json FROM fact_placement WHERE ad_account_id = ?1", &[&A])
        .pop()
        .unwrap_or(Value::Null)
}

/// Partitioned facts of the account per store: rows and money.
fn totals(rows: Vec<Value>) -> (i64, i64) {
    rows.iter().fold((0, 0), |(n, s), r| (n + r["n"].as_i64().unwrap_or(0), s + r["s"].as_i64().unwrap_or(0)))
}

const PARTITIONED: &str = "SELECT COUNT(*) AS n, COALESCE(SUM(spend_minor), 0) AS s FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set <> ''";

#[test]
fn facts_kept_in_d1_move_to_the_account_object_checked_by_totals_with_answers_unchanged() {
    // Synced while every fact lived in D1 (as before the partition).
    let mut c = Connected::start("facts-migration", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("FACTS_STORE", "d1")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 2, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 20, "access_token": TOKEN}),
    );
    c.set_insights(json!({"breakdown_sets": ["country", "hourly_stats_aggregated_by_advertiser_time_zone"], "backfill_days": 14}));
    c.bind_and_backfill(TOKEN, A);
    assert_eq!(placement(&c), Value::Null, "FACTS_STORE=d1 places nothing");
    let (d1_rows, d1_spend) = totals(c.gw.query(PARTITIONED, &[&A]));
    assert!(d1_rows > 3_000, "hourly and country facts in D1: {d1_rows}");
    let w = c.gw.query("SELECT MIN(date) AS lo, MAX(date) AS hi FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set = 'country'", &[&A]);
    let (since, until) = (w[0]["lo"].as_str().unwrap().to_string(), w[0]["hi"].as_str().unwrap().to_string());
    let recruiter = c.key("recruiter");
    let before = figures(&ask(&c, &recruiter, &since, &until));

    // Partitioned from now on; one round per tick, so the copy is walked tick by tick.
    c.gw.restart_with(&[("FACTS_STORE", "partitioned"), ("FACT_MIGRATION_ROUNDS", "1")]);
    let tick = |c: &Connected| assert_eq!(c.gw.get("/__scheduled?cron=*/15+*+*+*+*").status, 200);
    tick(&c);
    let p = placement(&c);
    assert_eq!((p["store"].as_str(), p["rows_copied"].as_i64()), (Some("copying"), Some(1_000)), "{p}");
    assert!(figures(&ask(&c, &recruiter, &since, &until)) == before, "reads stay on D1 while copying");

    // A write behind the copy's cursor (the first key's country row), as a sync would make it.
    let first = "(SELECT object_id, date, hour, breakdown_key, attribution_window FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set = 'country' ORDER BY object_id, date, hour, breakdown_key, attribution_window LIMIT 1)";
    let changed = c.gw.try_plant(
        &format!("UPDATE insights_facts SET spend_minor = spend_minor + 7, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE ad_account_id = ?1 AND (object_id, date, hour, breakdown_key, attribution_window) IN {first}"),
        &[&A],
    );
    assert_eq!(changed.expect("D1 takes writes while copying"), 1);
    let during = figures(&ask(&c, &recruiter, &since, &until));
    assert!(during != before, "the write is read at once");
    let (want_rows, want_spend) = (d1_rows, d1_spend + 7);

    let mut ticks = 1;
    while placement(&c)["store"] != "object" || placement(&c)["d1_rows_left"] != 0 {
        assert!(ticks < 60, "the move finishes: {}", placement(&c));
        tick(&c);
        ticks += 1;
    }
    assert!(ticks >= (want_rows as usize).div_ceil(1_000), "one bounded round per tick: {ticks}");
    let p = placement(&c);
    assert!(p["days_recopied"].as_i64().unwrap() >= 1, "the day written behind the cursor was copied again: {p}");
    let checked: Value = serde_json::from_str(p["checked_json"].as_str().unwrap()).unwrap();
    assert_eq!(checked["d1"], checked["object"], "{checked}");
    assert_eq!((checked["object"]["rows"].as_i64(), checked["object"]["spend_minor"].as_i64()), (Some(want_rows), Some(want_spend)));

    // D1 keeps the whole-day facts only; the object holds exactly what D1 held.
    assert_eq!(totals(c.gw.query(PARTITIONED, &[&A])), (0, 0));
    assert!(c.gw.query("SELECT COUNT(*) AS n FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set = ''", &[&A])[0]["n"].as_i64().unwrap() > 0);
    assert_eq!(totals(c.gw.object_facts(PARTITIONED, &[&A])), (want_rows, want_spend));
    assert!(figures(&ask(&c, &recruiter, &since, &until)) == during, "the same answer, now from the object");

    // Retention reaches into the object: rows past the workspace's windows go on the daily tick,
    // counted in the purge records; the rest stay.
    let old = "INSERT INTO insights_facts (ad_account_id, object_id, date, hour, breakdown_key, breakdown_set, workspace_id, spend_minor, updated_at) \
               VALUES (?1, 'old', ?2, ?3, ?4, ?5, ?6, 100, 'x')";
    assert_eq!(c.gw.plant_object(A, old, &[&A, &"2024-01-01", &-1, &"country=DE", &"country", &c.ws]), 1);
    assert_eq!(c.gw.plant_object(A, old, &[&A, &"2024-01-02", &5, &"", &"hourly", &c.ws]), 1);
    assert_eq!(totals(c.gw.object_facts(PARTITIONED, &[&A])).0, want_rows + 2);
    assert_eq!(c.gw.get("/__scheduled?cron=17+3+*+*+*").status, 200);
    assert_eq!(totals(c.gw.object_facts(PARTITIONED, &[&A])), (want_rows, want_spend), "the two old rows went, the rest stayed");
    let purged = c.gw.query(
        "SELECT kind, rows_deleted FROM retention_purges WHERE workspace_id = ?1 AND kind IN ('insights_breakdowns', 'insights_hourly') ORDER BY kind",
        &[&c.ws],
    );
    assert_eq!(purged, vec![json!({"kind": "insights_breakdowns", "rows_deleted": 1}), json!({"kind": "insights_hourly", "rows_deleted": 1})]);

    // D1 refuses a partitioned write for the account; the next sync writes its object instead.
    let refused = c.gw.try_plant(
        "INSERT INTO insights_facts (ad_account_id, object_id, date, breakdown_key, breakdown_set, workspace_id, updated_at) VALUES (?1, 'x', '2026-01-01', 'country=DE', 'country', ?2, 'x')",
        &[&A, &c.ws],
    );
    assert!(refused.is_err_and(|e| e.to_string().contains("facts moved")));
    let r = c.gw.admin("POST", &format!("/v1/accounts/act_{A}/sync"), Some(&json!({"kind": "insights", "since": since, "until": until})));
    assert_eq!(r.status, 202, "{}", r.text);
    let run = r.body["runs"][0]["id"].as_str().unwrap().to_string();
    c.gw.wait_for("the re-sync", std::time::Duration::from_secs(120), || {
        let s = c.gw.query("SELECT status FROM sync_runs WHERE id = ?1", &[&run]);
        (s[0]["status"] == "succeeded").then_some(())
    });
    assert_eq!(totals(c.gw.query(PARTITIONED, &[&A])), (0, 0), "nothing partitioned written to D1");
    let (rows_after, _) = totals(c.gw.object_facts(PARTITIONED, &[&A]));
    assert_eq!(rows_after, want_rows, "the re-sync replaced the object's rows, adding none");
    // The planted +7 was not Meta's: the re-sync restores what Meta reports.
    assert!(figures(&ask(&c, &recruiter, &since, &until)) == before, "Meta's figures again");
}
