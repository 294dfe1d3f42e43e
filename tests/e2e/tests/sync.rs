//! Mirrors and insights sync against the simulator: a bound account's structure and its daily
//! insights end up in D1 exactly as the simulator's ground truth has them, re-syncs replace
//! instead of adding, faults mid-sync end with the same totals, webhooks are verified,
//! deduplicated and re-sync just the objects they name, and dates follow each account's zone.

use adgate_e2e::{json, sign_webhook, Connected, Resp, Value, WEBHOOK_VERIFY_TOKEN};
use std::time::Duration;

const TOKEN: &str = "e2e-sync-token-3c8f";

fn start(name: &str) -> Connected {
    Connected::start(name, TOKEN, &[("BACKFILL_ON_BIND", "true")])
}

fn seed(c: &Connected, account: &str, tz: &str, campaigns: usize) {
    let r = c.sim.control("POST", "/accounts", json!({"account_id": account, "campaigns": campaigns, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 40, "timezone_name": tz, "access_token": TOKEN}));
    assert_eq!(r["account_id"], account, "{r}");
}

fn bind(c: &Connected, iid: &str, account: &str) {
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{account}")})));
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Waits until every run of the account has finished, and returns them.
fn settled(c: &Connected, account: &str, expected: usize) -> Vec<Value> {
    c.gw.wait_for(&format!("{expected} finished sync runs of {account}"), Duration::from_secs(120), || {
        let rows = c.gw.query("SELECT * FROM sync_runs WHERE ad_account_id = ?1 ORDER BY created_at, id", &[&account]);
        let done = rows.iter().filter(|r| matches!(r["status"].as_str(), Some("succeeded" | "failed" | "skipped"))).count();
        (rows.len() >= expected && done == rows.len()).then_some(rows)
    })
}

fn sync(c: &Connected, account: &str, body: Value) -> Resp {
    c.gw.admin("POST", &format!("/v1/accounts/act_{account}/sync"), Some(&body))
}

fn window(c: &Connected, account: &str) -> (String, String) {
    let r = c.gw.query(
        "SELECT window_start, window_end FROM sync_runs WHERE ad_account_id = ?1 AND kind = 'insights_resync' ORDER BY created_at DESC LIMIT 1",
        &[&account],
    );
    (r[0]["window_start"].as_str().unwrap().into(), r[0]["window_end"].as_str().unwrap().into())
}

#[test]
fn binding_mirrors_the_structure_and_backfills_insights_exactly() {
    let c = start("sync-backfill");
    seed(&c, "444000111", "America/Los_Angeles", 3);
    let iid = c.connect(TOKEN);
    c.sim.control("DELETE", "/ledger", Value::Null);
    bind(&c, &iid, "444000111");
    let runs = settled(&c, "444000111", 2);
    assert!(runs.iter().all(|r| r["status"] == "succeeded" && r["trigger"] == "backfill"), "{runs:?}");

    // Structure: every object once, with parent links; the fewest calls (one page per edge).
    for (table, n) in [("meta_campaigns", 3), ("meta_ad_sets", 6), ("meta_ads", 12), ("meta_creatives", 1)] {
        assert_eq!(c.gw.query(&format!("SELECT COUNT(*) AS n FROM {table} WHERE ad_account_id = '444000111'"), &[])[0]["n"], n, "{table}");
    }
    let orphans = c.gw.query("SELECT COUNT(*) AS n FROM meta_ads a LEFT JOIN meta_ad_sets s ON s.id = a.adset_id WHERE s.id IS NULL", &[]);
    assert_eq!(orphans[0]["n"], 0);
    let structure = runs.iter().find(|r| r["kind"] == "structure").unwrap();
    assert_eq!(structure["graph_calls"], 4, "{structure}");
    let edge_calls: Vec<String> = c
        .sim
        .ledger()
        .iter()
        .filter_map(|e| e["path"].as_str().map(str::to_string))
        .filter(|p| p.starts_with("/act_444000111/") && !p.ends_with("insights"))
        .collect();
    assert_eq!(edge_calls.len(), 4, "{edge_calls:?}");

    // Insights: the last 7 days in the account's zone, equal to the simulator's truth per day.
    let (since, until) = window(&c, "444000111");
    let (theirs, ours) = c.days_against_truth("444000111", &since, &until);
    assert_eq!(ours.len(), 7, "{ours:?}");
    assert_eq!(ours, theirs);
    // Every level adds up to the account.
    for level in ["campaign", "adset", "ad"] {
        let sums = c.gw.query(&format!("SELECT date, SUM(spend_minor) AS s, SUM(impressions) AS i FROM insights_daily WHERE ad_account_id = '444000111' AND level = '{level}' AND attribution_window = 'default' GROUP BY date ORDER BY date"), &[]);
        let acct = c.gw.query("SELECT date, spend_minor AS s, impressions AS i FROM insights_daily WHERE ad_account_id = '444000111' AND level = 'account' AND attribution_window = 'default' ORDER BY date", &[]);
        assert_eq!(sums, acct, "{level}");
    }
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM data_quality_events", &[])[0]["n"], 0);
    // Ratios come with the aggregates.
    let m = &c
        .gw
        .query("SELECT * FROM insights_daily_metrics WHERE ad_account_id = '444000111' AND level = 'campaign' AND attribution_window = 'default' LIMIT 1", &[])
        [0];
    let (spend, imp, clicks) = (m["spend_minor"].as_f64().unwrap(), m["impressions"].as_f64().unwrap(), m["clicks"].as_f64().unwrap());
    assert!((m["ctr_pct"].as_f64().unwrap() - clicks * 100.0 / imp).abs() < 1e-3, "{m}");
    assert!((m["cpm_minor"].as_f64().unwrap() - spend * 1000.0 / imp).abs() < 1e-3, "{m}");

    // A second run of the same window replaces and never adds.
    let before = c.gw.facts_query("SELECT COUNT(*) AS n, SUM(spend_minor) AS s FROM insights_facts", &[]);
    let r = sync(&c, "444000111", json!({"kind": "insights", "since": since, "until": until}));
    assert_eq!(r.status, 202, "{}", r.text);
    let run_id = r.body["runs"][0]["id"].as_str().unwrap().to_string();
    settled(&c, "444000111", 3);
    let progress = c.gw.admin("GET", &format!("/v1/accounts/act_444000111/sync/{run_id}"), None);
    assert_eq!((progress.body["status"].as_str(), progress.body["trigger"].as_str()), (Some("succeeded"), Some("manual")), "{}", progress.text);
    assert!(progress.body["rows_written"].as_i64().unwrap() >= 7 * 12);
    assert_eq!(c.gw.facts_query("SELECT COUNT(*) AS n, SUM(spend_minor) AS s FROM insights_facts", &[]), before);

    // Structure runs after the first ask only for what changed.
    c.sim.control("DELETE", "/ledger", Value::Null);
    let r = sync(&c, "444000111", json!({"kind": "structure"}));
    assert_eq!(r.status, 202);
    let runs = settled(&c, "444000111", 4);
    assert!(runs.last().unwrap()["detail"].as_str().unwrap().contains("incremental"), "{}", runs.last().unwrap());
    let filtered =
        c.sim.ledger().iter().filter(|e| e["path"] == "/act_444000111/campaigns").all(|e| e["params"]["filtering"].to_string().contains("updated_time"));
    assert!(filtered);

    // When Meta's account total disagrees with the sum over its ads, each day is recorded.
    c.sim.control("POST", "/config", json!({"account_total_skew_cents": 500}));
    let r = sync(&c, "444000111", json!({"kind": "insights", "since": until, "until": until}));
    assert_eq!(r.status, 202);
    settled(&c, "444000111", 5);
    let dq = c.gw.query("SELECT kind, date, expected_json, actual_json FROM data_quality_events", &[]);
    assert_eq!(dq.len(), 1, "{dq:?}");
    assert_eq!((dq[0]["kind"].as_str(), dq[0]["date"].as_str()), (Some("account_total_mismatch"), Some(until.as_str())));
    let (expected, actual): (Value, Value) =
        (serde_json::from_str(dq[0]["expected_json"].as_str().unwrap()).unwrap(), serde_json::from_str(dq[0]["actual_json"].as_str().unwrap()).unwrap());
    assert_eq!(expected["spend_minor"].as_i64().unwrap() - actual["spend_minor"].as_i64().unwrap(), 500);

    // Bad requests name the field.
    let bad = sync(&c, "444000111", json!({"since": "2026-13-01"}));
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("since")), "{}", bad.text);
    let bad = sync(&c, "444000111", json!({"kind": "everything"}));
    assert_eq!(bad.body["field"], "kind");
}

#[test]
fn late_attribution_changes_only_the_days_in_the_window() {
    let c = start("sync-late-attribution");
    seed(&c, "444000222", "America/Los_Angeles", 2);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, "444000222");
    settled(&c, "444000222", 2);
    let (since, until) = window(&c, "444000222");
    // Fourteen days, then time passes on Meta's side and conversions mature.
    let old_since = chrono::NaiveDate::parse_from_str(&since, "%Y-%m-%d").unwrap() - chrono::Duration::days(7);
    let r = sync(&c, "444000222", json!({"kind": "insights", "since": old_since.to_string(), "until": until}));
    let first_run = r.body["runs"][0]["id"].as_str().unwrap().to_string();
    settled(&c, "444000222", 3);
    let leads_before = c.gw.query("SELECT date, leads FROM insights_daily WHERE level = 'account' AND attribution_window = 'default' ORDER BY date", &[]);
    c.sim.control("POST", "/time/advance", json!({"days": 3}));

    let r = sync(&c, "444000222", json!({"kind": "insights"}));
    assert_eq!(r.status, 202);
    assert_eq!(
        (r.body["runs"][0]["window_start"].as_str(), r.body["runs"][0]["window_end"].as_str()),
        (Some(since.as_str()), Some(until.as_str())),
        "the fresh window is the last 7 days"
    );
    settled(&c, "444000222", 4);
    let (theirs, ours) = c.days_against_truth("444000222", &old_since.to_string(), &until);
    assert_eq!(ours.len(), 14);
    // Inside the window D1 equals Meta now; outside it, the first run's rows stand untouched.
    let (inside_t, inside_o): (Vec<_>, Vec<_>) = (
        theirs.iter().filter(|d| d[0].as_str().unwrap() >= since.as_str()).collect(),
        ours.iter().filter(|d| d[0].as_str().unwrap() >= since.as_str()).collect(),
    );
    assert_eq!(inside_o, inside_t);
    let leads_after = c.gw.query("SELECT date, leads FROM insights_daily WHERE level = 'account' AND attribution_window = 'default' ORDER BY date", &[]);
    let changed: Vec<&str> =
        leads_before.iter().zip(&leads_after).filter(|(b, a)| b["leads"] != a["leads"]).map(|(b, _)| b["date"].as_str().unwrap()).collect();
    assert!(!changed.is_empty(), "conversions matured");
    assert!(changed.iter().all(|d| *d >= since.as_str()), "only days in the window changed: {changed:?}");
    let outside = c.gw.facts_query("SELECT DISTINCT sync_run_id FROM insights_facts WHERE date < ?1", &[&since]);
    assert_eq!(outside, vec![json!({"sync_run_id": first_run})]);
}

#[test]
fn faults_mid_sync_end_with_the_same_exact_totals() {
    let c = start("sync-faults");
    // Small pages would need a larger account; five campaigns of 4 ads over 7 days is 140 rows.
    seed(&c, "444000333", "America/Los_Angeles", 5);
    let iid = c.connect(TOKEN);
    // A 5xx run longer than the client's retries, on the insights edge: the job is retried by
    // the queue and resumes; then the token expires mid-run and is recovered just in time.
    c.sim.control("POST", "/faults", json!({"kind": "status", "status": 503, "count": 6, "path_contains": "/insights"}));
    c.sim.control("POST", "/faults", json!({"kind": "status", "status": 500, "count": 4, "path_contains": "/ads"}));
    c.sim.control("POST", "/faults", json!({"kind": "drop", "count": 3, "path_contains": "/adcreatives"}));
    c.sim.control("POST", "/faults", json!({"kind": "session_invalidated", "path_contains": "/insights"}));
    bind(&c, &iid, "444000333");
    let runs = settled(&c, "444000333", 2);
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    assert!(runs.iter().map(|r| r["retries"].as_i64().unwrap()).sum::<i64>() >= 2, "{runs:?}");
    assert_eq!(
        c.gw.query("SELECT actor FROM audit_log WHERE action = 'refresh_system_user_token'", &[])[0]["actor"],
        "jit-recovery",
        "the token was recovered mid-run"
    );
    assert!(c.sim.control("GET", "/faults", Value::Null).to_string().contains("[]"), "every fault was hit");
    c.gw.assert_nowhere(TOKEN);
    let (since, until) = window(&c, "444000333");
    let (theirs, ours) = c.days_against_truth("444000333", &since, &until);
    assert_eq!(ours, theirs);
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM meta_ads", &[])[0]["n"], 20);

    // Throttling: Meta says wait; the run records it and finishes later with the same totals.
    c.sim.control("POST", "/faults", json!({"kind": "throttle", "code": 17, "path_contains": "/insights"}));
    let r = sync(&c, "444000333", json!({"kind": "insights"}));
    assert_eq!(r.status, 202);
    let runs = settled(&c, "444000333", 3);
    let last = runs.last().unwrap();
    assert_eq!((last["status"].as_str(), last["rate_limited"].as_i64()), (Some("succeeded"), Some(1)), "{last}");
    assert_eq!(c.days_against_truth("444000333", &since, &until), (theirs.clone(), theirs.clone()));
    let dupes = c.gw.facts_query("SELECT COUNT(*) AS n FROM (SELECT ad_account_id, object_id, date, hour, breakdown_key, attribution_window, COUNT(*) AS k FROM insights_facts GROUP BY 1, 2, 3, 4, 5, 6 HAVING k > 1)", &[]);
    assert_eq!(dupes[0]["n"], 0);
}

#[test]
fn dates_follow_each_accounts_time_zone() {
    let c = start("sync-time-zones");
    seed(&c, "444000444", "America/Los_Angeles", 1);
    seed(&c, "444000555", "Asia/Kolkata", 1);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, "444000444");
    bind(&c, &iid, "444000555");
    for account in ["444000444", "444000555"] {
        settled(&c, account, 2);
        let (since, until) = window(&c, account);
        let truth = c.sim.control("GET", &format!("/truth?account_id={account}&since={since}&until={until}"), Value::Null);
        assert_eq!(until, truth["today"].as_str().unwrap(), "{account}: the window ends on the account's today");
        let (theirs, ours) = c.days_against_truth(account, &since, &until);
        assert_eq!(ours, theirs, "{account}");
    }
}

#[test]
fn webhooks_are_verified_deduplicated_and_resync_just_the_objects_named() {
    let c = start("sync-webhooks");
    seed(&c, "444000666", "America/Los_Angeles", 2);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, "444000666");
    settled(&c, "444000666", 2);

    let hs = c.gw.request("GET", &format!("/webhooks/meta?hub.mode=subscribe&hub.verify_token={WEBHOOK_VERIFY_TOKEN}&hub.challenge=8675309"), &[], None);
    assert_eq!((hs.status, hs.text.as_str()), (200, "8675309"));
    let wrong = c.gw.request("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", &[], None);
    assert_eq!(wrong.status, 403);

    // Meta changes one ad set; the notification names it.
    let set = c.gw.query("SELECT id FROM meta_ad_sets WHERE ad_account_id = '444000666' ORDER BY id LIMIT 1", &[])[0]["id"].as_str().unwrap().to_string();
    let other = c.gw.query("SELECT id, synced_at FROM meta_ad_sets WHERE ad_account_id = '444000666' AND id != ?1 LIMIT 1", &[&set]);
    let url = format!("{}/v26.0/{set}?access_token={TOKEN}", c.sim.base);
    ureq::post(&url).send_form(&[("name", "Renamed by Meta")]).unwrap();
    let body = json!({"object": "ad_account", "entry": [{"id": "444000666", "time": 1795428000, "changes": [{"field": "in_process_ad_objects", "value": {"id": set, "level": "AD_SET", "status_name": "ACTIVE"}}]}]}).to_string();

    let unsigned = c.gw.request("POST", "/webhooks/meta", &[("Content-Type", "application/json")], Some(&body));
    assert_eq!(unsigned.status, 401);
    let forged = c.gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sign_webhook("{}"))], Some(&body));
    assert_eq!(forged.status, 401);
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"], 0, "nothing stored without a valid signature");

    let sig = sign_webhook(&body);
    let first = c.gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sig)], Some(&body));
    assert_eq!((first.status, first.body["received"].as_i64()), (200, Some(1)), "{}", first.text);
    c.gw.wait_for("the stored notification", Duration::from_secs(30), || {
        (c.gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"] == 1).then_some(())
    });
    let again = c.gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sig)], Some(&body));
    assert_eq!(again.status, 200, "a redelivery is acknowledged");
    let runs = c.gw.wait_for("the targeted run", Duration::from_secs(60), || {
        let rows = c.gw.query("SELECT * FROM sync_runs WHERE trigger = 'webhook' AND status = 'succeeded'", &[]);
        (!rows.is_empty()).then_some(rows)
    });
    std::thread::sleep(Duration::from_secs(3));
    let all = c.gw.query("SELECT * FROM sync_runs WHERE trigger = 'webhook'", &[]);
    assert_eq!((runs.len(), all.len()), (1, 1), "the redelivery started no second run");
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM webhook_events", &[])[0]["n"], 1, "stored once");
    assert_eq!(runs[0]["graph_calls"], 1, "one read for the one object named");
    assert_eq!(c.gw.query("SELECT name FROM meta_ad_sets WHERE id = ?1", &[&set])[0]["name"], "Renamed by Meta");
    let untouched = c.gw.query("SELECT id, synced_at FROM meta_ad_sets WHERE id = ?1", &[&other[0]["id"].as_str().unwrap()]);
    assert_eq!(untouched, other, "other objects are not re-read");
}

#[test]
fn a_revoked_token_fails_the_run_marks_the_integration_and_dead_letters_the_job() {
    let c = start("sync-revoked");
    seed(&c, "444000888", "America/Los_Angeles", 1);
    let iid = c.connect(TOKEN);
    c.sim.control("POST", "/faults", json!({"kind": "token_expired", "path_contains": "/act_444000888/"}));
    bind(&c, &iid, "444000888");
    let runs = settled(&c, "444000888", 2);
    let failed: Vec<&Value> = runs.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 2, "{runs:?}");
    assert!(failed.iter().any(|r| r["error"].as_str().unwrap().contains("Graph code 190")), "{failed:?}");
    assert_eq!(c.gw.query("SELECT status FROM integrations WHERE id = ?1", &[&iid])[0]["status"], "expired");
    // Both jobs go to the dead-letter queue at once: the one Meta refused, with its Graph error,
    // and the other, which found the integration expired.
    let letters = c.gw.wait_for("two dead letters", Duration::from_secs(60), || {
        let rows = c.gw.query("SELECT * FROM dead_letters ORDER BY reason", &[]);
        (rows.len() == 2).then_some(rows)
    });
    assert!(letters.iter().any(|l| l["reason"].as_str().unwrap().contains("Graph code 190")), "{letters:?}");
    assert!(letters.iter().any(|l| l["reason"].as_str().unwrap().contains("expired")), "{letters:?}");
    assert!(letters.iter().all(|l| !l["body"].as_str().unwrap().contains(TOKEN)));
}

#[test]
fn a_run_interrupted_by_a_restart_resumes_from_its_last_committed_page() {
    let mut c = Connected::start("sync-restart", TOKEN, &[("SYNC_STALE_SECONDS", "2"), ("SYNC_PAGE_LIMIT", "100")]);
    seed(&c, "444000777", "America/Los_Angeles", 5);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, "444000777");
    let today = c.sim.control("GET", "/truth?account_id=444000777&since=2026-01-01&until=2026-01-01", Value::Null)["today"].as_str().unwrap().to_string();
    let since = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() - chrono::Duration::days(29)).to_string();
    // 30 days are pulled in five slices of up to 7 days, two pages of 100 rows each. The first two
    // pages are slow, so the restart lands in the second: in the middle of the first slice.
    c.sim.control("POST", "/faults", json!({"kind": "latency", "ms": 4000, "count": 2, "path_contains": "/insights"}));
    c.sim.control("DELETE", "/ledger", Value::Null);
    let r = sync(&c, "444000777", json!({"kind": "insights", "since": since, "until": today}));
    let run_id = r.body["runs"][0]["id"].as_str().unwrap().to_string();
    c.gw.wait_for("the first page committed", Duration::from_secs(60), || {
        let p = c.gw.query("SELECT pages FROM sync_runs WHERE id = ?1", &[&run_id])[0]["pages"].as_i64();
        (p == Some(1)).then_some(())
    });
    c.gw.restart();
    std::thread::sleep(Duration::from_secs(3));
    // The next tick finds the run that stopped moving and sends it again.
    c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    let run = c.gw.wait_for("the resumed run", Duration::from_secs(90), || {
        let r = c.gw.query("SELECT * FROM sync_runs WHERE id = ?1 AND status = 'succeeded'", &[&run_id]);
        r.into_iter().next()
    });
    // Slices of 7, 7, 7, 7 and 2 days: 140 rows (two pages) four times, then 40 (one page).
    assert_eq!((run["pages"].as_i64(), run["rows_written"].as_i64()), (Some(9), Some(600)), "each page counted once: {run}");
    assert!(run["attempts"].as_i64().unwrap() >= 2, "{run}");
    let first_page = c
        .sim
        .ledger()
        .iter()
        .filter(|e| {
            e["path"] == "/act_444000777/insights"
                && e["params"]["level"] == "ad"
                && e["params"]["time_range"].to_string().contains(&since)
                && e["params"].get("after").is_none()
        })
        .count();
    assert_eq!(first_page, 1, "the committed page was not read again: the run resumed from its cursor");
    let (theirs, ours) = c.days_against_truth("444000777", &since, &today);
    assert_eq!(ours.len(), 30);
    assert_eq!(ours, theirs);
}

fn govern(c: &Connected, key: &str, action: &str, idem: &str, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    c.gw.request(
        "POST",
        &format!("/v1/actions/admin_meta_ads_governance/{action}"),
        &[("Authorization", &auth), ("Idempotency-Key", idem)],
        Some(&body.to_string()),
    )
}

#[test]
fn breakdowns_and_attribution_windows_are_checked_when_configured_and_add_up() {
    // Small pages, so the hourly pull takes several.
    let c = Connected::start("sync-breakdowns", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("SYNC_PAGE_LIMIT", "100")]);
    seed(&c, "444000999", "Asia/Kolkata", 3);
    let admin = c.key("admin");
    let refused = govern(&c, &admin, "set_insights_settings", "s-1", json!({"breakdown_sets": ["country,age"]}));
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("breakdown_sets")), "{}", refused.text);
    assert!(refused.body["detail"].as_str().unwrap().contains("combination"), "{}", refused.text);
    let refused = govern(&c, &admin, "set_insights_settings", "s-2", json!({"breakdown_sets": ["platform_position"]}));
    assert!(refused.body["detail"].as_str().unwrap().contains("needs publisher_platform"), "{}", refused.text);
    let set = govern(
        &c,
        &admin,
        "set_insights_settings",
        "s-3",
        json!({
            "breakdown_sets": ["country", "age,gender", "publisher_platform,platform_position", "hourly_stats_aggregated_by_advertiser_time_zone"],
            "attribution_windows": ["1d_click", "28d_click"], "backfill_days": 3,
        }),
    );
    assert_eq!(set.status, 200, "{}", set.text);

    let iid = c.connect(TOKEN);
    bind(&c, &iid, "444000999");
    let runs = settled(&c, "444000999", 2);
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    let (since, until) = window(&c, "444000999");
    assert_eq!(
        chrono::NaiveDate::parse_from_str(&until, "%Y-%m-%d").unwrap() - chrono::NaiveDate::parse_from_str(&since, "%Y-%m-%d").unwrap(),
        chrono::Duration::days(2)
    );
    let (theirs, ours) = c.days_against_truth("444000999", &since, &until);
    assert_eq!(ours, theirs);

    // A new account's breakdown and hourly facts live in its fact object from the start; D1
    // keeps the whole-day facts the daily aggregates are built from.
    let placed = c.gw.query("SELECT store, rows_copied FROM fact_placement WHERE ad_account_id = '444000999'", &[]);
    assert_eq!(placed, vec![json!({"store": "object", "rows_copied": 0})]);
    let in_d1 = c.gw.query("SELECT breakdown_set <> '' AS partitioned, COUNT(*) AS n FROM insights_facts WHERE ad_account_id = '444000999' GROUP BY 1", &[]);
    assert_eq!(in_d1.len(), 1, "{in_d1:?}");
    assert_eq!(in_d1[0]["partitioned"], 0, "{in_d1:?}");
    let in_object = c.gw.object_facts(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT breakdown_set) AS sets, SUM(breakdown_set = '') AS plain FROM insights_facts WHERE ad_account_id = '444000999'",
        &[],
    );
    let in_object = in_object.iter().find(|r| r["n"].as_i64().unwrap_or(0) > 0).expect("the account's object holds its facts");
    assert_eq!((in_object["sets"].as_i64(), in_object["plain"].as_i64()), (Some(4), Some(0)), "{in_object}");

    // Every breakdown set splits each day exactly: its sums equal the unbroken totals.
    let sums = c.gw.facts_query(
        "SELECT breakdown_set, date, SUM(spend_minor) AS spend, SUM(impressions) AS imp, SUM(leads) AS leads, COUNT(*) AS n FROM insights_facts \
         WHERE ad_account_id = '444000999' AND attribution_window = 'default' GROUP BY breakdown_set, date ORDER BY breakdown_set, date",
        &[],
    );
    let sets: std::collections::BTreeSet<&str> = sums.iter().map(|r| r["breakdown_set"].as_str().unwrap()).collect();
    assert_eq!(sets.into_iter().collect::<Vec<_>>(), ["", "age,gender", "country", "hourly", "publisher_platform,platform_position"]);
    for r in &sums {
        let base = sums.iter().find(|b| b["breakdown_set"] == "" && b["date"] == r["date"]).unwrap();
        assert_eq!((&r["spend"], &r["imp"], &r["leads"]), (&base["spend"], &base["imp"], &base["leads"]), "{r} vs {base}");
    }
    let hours = c.gw.facts_query("SELECT MIN(hour) AS lo, MAX(hour) AS hi, COUNT(DISTINCT hour) AS n FROM insights_facts WHERE breakdown_set = 'hourly'", &[]);
    assert_eq!((hours[0]["lo"].as_i64(), hours[0]["hi"].as_i64(), hours[0]["n"].as_i64()), (Some(0), Some(23), Some(24)));
    let insights_run = runs.iter().find(|r| r["kind"] == "insights_resync").unwrap();
    assert!(insights_run["pages"].as_i64().unwrap() > 5, "the hourly pull takes several pages: {insights_run}");

    // Each attribution window is kept apart: 1-day click never exceeds 28-day click.
    let by_window = c.gw.query(
        "SELECT attribution_window, SUM(leads) AS leads FROM insights_daily WHERE level = 'account' GROUP BY attribution_window ORDER BY attribution_window",
        &[],
    );
    let leads = |w: &str| by_window.iter().find(|r| r["attribution_window"] == w).unwrap()["leads"].as_i64().unwrap();
    assert!(leads("1d_click") <= leads("28d_click") && leads("1d_click") > 0, "{by_window:?}");
}

#[test]
fn ingest_upserts_good_rows_by_natural_key_and_reports_the_bad_ones() {
    let c = start("sync-ingest");
    let r = c.gw.admin(
        "POST",
        &format!("/v1/workspaces/{}/ad-accounts", c.ws),
        Some(&json!({"account_id": "act_909", "name": "Ingest", "currency": "USD", "timezone_name": "America/Los_Angeles"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let recruiter = c.key("recruiter");
    let post = |rows: Value| {
        c.gw.request(
            "POST",
            &format!("/v1/workspaces/{}/metrics/ingest", c.ws),
            &[("Authorization", &format!("Bearer {recruiter}"))],
            Some(&json!({"rows": rows}).to_string()),
        )
    };
    let rows = json!([
        {"external_entity_id": "77", "level": "campaign", "ad_account_id": "act_909", "date": "2026-11-20", "spend": "10.50", "impressions": 1000, "clicks": 20, "leads": 2},
        {"external_entity_id": "77", "level": "campaign", "ad_account_id": "act_909", "event_at": "2026-11-22T07:30:00Z", "spend_minor": 99, "impressions": 10},
        {"external_entity_id": "77", "level": "campaign", "ad_account_id": "act_909", "date": "2026-11-20", "breakdown": {"country": "US"}, "spend": "4.00"},
        {"external_entity_id": "78", "level": "campaign", "ad_account_id": "act_909", "date": "2026-11-20", "impressions": -3},
        {"external_entity_id": "79", "level": "campaign", "ad_account_id": "act_12345", "date": "2026-11-20"},
    ]);
    let r = post(rows.clone());
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["accepted"].as_i64(), r.body["rejected"].as_i64()), (Some(3), Some(2)));
    assert_eq!(
        r.body["errors"],
        json!([
            {"index": 3, "field": "impressions", "reason": "must be a non-negative integer"},
            {"index": 4, "field": "ad_account_id", "reason": "act_12345 is not bound to this workspace"},
        ])
    );
    let stored = c.gw.query("SELECT date, breakdown_key, spend_minor, impressions FROM metric_facts ORDER BY date, breakdown_key", &[]);
    assert_eq!(
        stored,
        vec![
            json!({"date": "2026-11-20", "breakdown_key": "", "spend_minor": 1050, "impressions": 1000}),
            json!({"date": "2026-11-20", "breakdown_key": "country=US", "spend_minor": 400, "impressions": 0}),
            // 07:30 UTC on the 22nd is still the 21st in Los Angeles.
            json!({"date": "2026-11-21", "breakdown_key": "", "spend_minor": 99, "impressions": 10}),
        ]
    );
    // The same facts again, one corrected: replaced, never added.
    let mut again = rows.as_array().unwrap()[..3].to_vec();
    again[0]["spend"] = json!("11.00");
    let r = post(Value::Array(again));
    assert_eq!(r.body["accepted"], 3);
    let stored = c.gw.query("SELECT COUNT(*) AS n, SUM(spend_minor) AS s FROM metric_facts", &[]);
    assert_eq!(stored[0], json!({"n": 3, "s": 1100 + 400 + 99}));
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'ingest_metrics'", &[])[0]["n"], 2);
    let empty = post(json!([]));
    assert_eq!((empty.status, empty.body["field"].as_str()), (422, Some("rows")));
    let other_ws = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let foreign = c.gw.request(
        "POST",
        &format!("/v1/workspaces/{other_ws}/metrics/ingest"),
        &[("Authorization", &format!("Bearer {recruiter}"))],
        Some(&json!({"rows": rows}).to_string()),
    );
    assert_eq!(foreign.status, 403);
}

#[test]
fn a_lead_delivered_by_metas_webhook_is_fetched_and_stored() {
    let c = start("sync-leads");
    seed(&c, "444000123", "America/Los_Angeles", 1);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, "444000123");
    settled(&c, "444000123", 2);
    // The simulator subscribes to the gateway as Meta does: the handshake, then signed deliveries.
    let app = "1000000000000001";
    let sub = ureq::post(&format!("{}/v26.0/{app}/subscriptions", c.sim.base)).send_form(&[
        ("object", "page"),
        ("callback_url", &format!("{}/webhooks/meta", c.gw.base)),
        ("verify_token", WEBHOOK_VERIFY_TOKEN),
        ("fields", "leadgen"),
        ("access_token", &format!("{app}|sim-app-secret")),
    ]);
    assert!(sub.is_ok(), "{:?}", sub.err());
    let ad = c.gw.query("SELECT id FROM meta_ads WHERE ad_account_id = '444000123' LIMIT 1", &[])[0]["id"].as_str().unwrap().to_string();
    let form = c.sim.control("POST", "/leadgen_forms", json!({"account_id": "444000123", "name": "Drivers"}))["id"].as_str().unwrap().to_string();
    let answers = json!([{"name": "full_name", "values": ["Dana Driver"]}, {"name": "cdl_class", "values": ["A"]}]);
    let lead = c.sim.control("POST", "/leads", json!({"form_id": form, "ad_id": ad, "field_data": answers}))["id"].as_str().unwrap().to_string();
    let stored = c.gw.wait_for("the stored lead", Duration::from_secs(60), || c.gw.query("SELECT * FROM meta_leads WHERE id = ?1", &[&lead]).pop());
    assert_eq!(
        (stored["ad_id"].as_str(), stored["form_id"].as_str(), stored["ad_account_id"].as_str()),
        (Some(ad.as_str()), Some(form.as_str()), Some("444000123"))
    );
    assert_eq!(serde_json::from_str::<Value>(stored["field_data_json"].as_str().unwrap()).unwrap(), answers);
    let deliveries = c.sim.control("GET", "/webhooks/deliveries", Value::Null);
    assert!(deliveries["deliveries"].as_array().unwrap().iter().all(|d| d["delivered"] == true), "{deliveries}");
    assert_eq!(c.gw.query("SELECT status FROM sync_runs WHERE kind = 'leads'", &[]), vec![json!({"status": "succeeded"})]);
    c.gw.assert_nowhere(TOKEN);
    c.gw.assert_nowhere("sim-app-secret");
}

#[test]
fn large_pulls_go_through_async_report_runs_polled_by_the_gate_and_split_when_one_fails() {
    // Every pull counts as large here; the gate's alarm polls every second.
    let c = Connected::start(
        "sync-async-reports",
        TOKEN,
        &[("BACKFILL_ON_BIND", "true"), ("ASYNC_REPORT_MIN_ROWS", "1"), ("ASYNC_POLL_SECONDS", "1"), ("SYNC_PAGE_LIMIT", "50")],
    );
    seed(&c, "444000321", "America/Los_Angeles", 3);
    c.sim.control("POST", "/config", json!({"report_polls_to_finish": 3}));
    let iid = c.connect(TOKEN);
    c.sim.control("DELETE", "/ledger", Value::Null);
    bind(&c, &iid, "444000321");
    settled(&c, "444000321", 2);
    let (since, until) = window(&c, "444000321");
    let (theirs, ours) = c.days_against_truth("444000321", &since, &until);
    assert_eq!(ours, theirs);
    let ledger = c.sim.ledger();
    let created: Vec<&Value> = ledger.iter().filter(|e| e["method"] == "POST" && e["path"] == "/act_444000321/insights").collect();
    assert_eq!(created.len(), 1, "one report run for the window");
    let polls = ledger.iter().filter(|e| e["method"] == "GET" && e["endpoint"] == "/{id}" && e["status"] == 200).count();
    assert!(polls >= 3, "polled until complete: {polls}");
    let result_pages = ledger.iter().filter(|e| e["path"].as_str().is_some_and(|p| p.ends_with("/insights") && !p.starts_with("/act_"))).count();
    assert_eq!(result_pages, 2, "84 rows in pages of 50, read from the report");

    // The next report fails on Meta's side: the same pull is made campaign by campaign.
    c.sim.control("POST", "/config", json!({"fail_next_reports": 1}));
    c.sim.control("DELETE", "/ledger", Value::Null);
    let r = sync(&c, "444000321", json!({"kind": "insights"}));
    assert_eq!(r.status, 202);
    let runs = settled(&c, "444000321", 3);
    assert_eq!(runs.last().unwrap()["status"], "succeeded", "{}", runs.last().unwrap());
    let split: Vec<String> = c
        .sim
        .ledger()
        .iter()
        .filter(|e| e["path"] == "/act_444000321/insights" && e["method"] == "GET" && e["params"]["level"] == "ad")
        .map(|e| e["params"]["filtering"].to_string())
        .collect();
    assert_eq!(split.len(), 3, "one pull per campaign: {split:?}");
    assert!(split.iter().all(|f| f.contains("campaign.id")));
    assert_eq!(c.days_against_truth("444000321", &since, &until), (theirs.clone(), theirs));
}
