//! Faults, each recovered without loss: a D1 error failing a page's batch, an account's fact
//! object reset in the middle of a write, webhook events stranded between their store and their
//! dispatch, and the simulator failing every call across syncs, retries, dead letters and cron
//! ticks. Each ends with the facts equal to Meta's to the cent and nothing written twice.

use adgate_e2e::{json, sign_webhook, Connected, Resp, Value};
use std::time::Duration;

const TOKEN: &str = "e2e-faults-token-5d2a";

fn seed(c: &Connected, account: &str, campaigns: usize) {
    let r = c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": account, "campaigns": campaigns, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 40, "access_token": TOKEN}),
    );
    assert_eq!(r["account_id"], account, "{r}");
}

fn bind(c: &Connected, iid: &str, account: &str) {
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{account}")})));
    assert_eq!(r.status, 201, "{}", r.text);
}

fn sync(c: &Connected, account: &str, since: &str, until: &str) -> String {
    let r = c.gw.admin("POST", &format!("/v1/accounts/act_{account}/sync"), Some(&json!({"kind": "insights", "since": since, "until": until})));
    assert_eq!(r.status, 202, "{}", r.text);
    r.body["runs"][0]["id"].as_str().unwrap().to_string()
}

fn run(c: &Connected, id: &str) -> Value {
    c.gw.query("SELECT * FROM sync_runs WHERE id = ?1", &[&id]).pop().unwrap_or(Value::Null)
}

fn succeeded(c: &Connected, id: &str, within: Duration) -> Value {
    c.gw.wait_for(&format!("run {id} succeeded"), within, || Some(run(c, id)).filter(|r| r["status"] == "succeeded"))
}

fn today(c: &Connected, account: &str) -> chrono::NaiveDate {
    let t = c.sim.control("GET", &format!("/truth?account_id={account}&since=2026-01-01&until=2026-01-01"), Value::Null);
    chrono::NaiveDate::parse_from_str(t["today"].as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// Insights page reads of the account in the simulator's ledger.
fn insights_reads(c: &Connected, account: &str) -> Vec<Value> {
    c.sim.ledger().into_iter().filter(|e| e["method"] == "GET" && e["path"] == format!("/act_{account}/insights")).collect()
}

#[test]
fn a_d1_error_on_a_page_batch_writes_none_of_the_page_and_the_retry_resumes_from_the_last_committed_one() {
    const A: &str = "707000111";
    let c = Connected::start("faults-d1-batch", TOKEN, &[("SYNC_PAGE_LIMIT", "100")]);
    seed(&c, A, 5);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, A);
    let today = today(&c, A);
    let since = (today - chrono::Duration::days(20)).to_string();
    let until = today.to_string();
    // D1 refuses every write of one day's facts: the page holding that day fails as a batch.
    let bad_day = (today - chrono::Duration::days(10)).to_string();
    c.gw.plant(
        &format!("CREATE TRIGGER injected_fault BEFORE INSERT ON insights_facts WHEN NEW.date = '{bad_day}' BEGIN SELECT RAISE(ABORT, 'injected fault: D1 write failed'); END"),
        &[],
    );
    c.sim.control("DELETE", "/ledger", Value::Null);
    let id = sync(&c, A, &since, &until);
    let failing = c.gw.wait_for("the page batch refused", Duration::from_secs(90), || {
        let r = run(&c, id.as_str());
        (r["retries"].as_i64() >= Some(1)).then_some(r)
    });
    assert!(failing["error"].as_str().unwrap_or_default().contains("injected fault"), "the run says why: {failing}");
    assert_ne!(failing["status"], "succeeded");
    let held = c.gw.query("SELECT COUNT(*) AS n FROM insights_facts WHERE ad_account_id = ?1 AND date = ?2", &[&A, &bad_day]);
    assert_eq!(held[0]["n"], 0, "nothing of the failed page was written");
    let committed = failing["pages"].as_i64().unwrap();
    assert!(committed >= 1, "the pages before the fault were committed: {failing}");

    c.gw.plant("DROP TRIGGER injected_fault", &[]);
    let done = succeeded(&c, &id, Duration::from_secs(120));
    assert!(done["retries"].as_i64() >= Some(1), "{done}");
    let (theirs, ours) = c.days_against_truth(A, &since, &until);
    assert_eq!(ours.len(), 21);
    assert_eq!(ours, theirs, "exact to the cent after the fault");
    // Each page was committed once; a page read again is only the failed one, never an earlier one.
    let reads = insights_reads(&c, A);
    let mut seen = std::collections::BTreeMap::new();
    for e in &reads {
        let mut p = e["params"].clone();
        for k in ["access_token", "appsecret_proof"] {
            p.as_object_mut().map(|o| o.remove(k));
        }
        *seen.entry(p.to_string()).or_insert(0) += 1;
    }
    let again: Vec<&String> = seen.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k).collect();
    assert_eq!(again.len(), 1, "only the failed page was read again: {again:?}");
    assert_eq!(seen[again[0]], 2, "once failed, once written");
}

#[test]
fn an_account_fact_object_reset_mid_write_loses_nothing_and_doubles_nothing() {
    const A: &str = "707000222";
    let mut c = Connected::start("faults-object-reset", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("SYNC_STALE_SECONDS", "2")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 2, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 30, "access_token": TOKEN}),
    );
    c.set_insights(json!({"breakdown_sets": ["country"], "backfill_days": 2}));
    c.bind_and_backfill(TOKEN, A);
    assert_eq!(c.gw.query("SELECT store FROM fact_placement WHERE ad_account_id = ?1", &[&A])[0]["store"], "object");

    // The object's write of one ad's country facts for one day is made slow (a heavy trigger in
    // its own SQLite file), and the runtime is killed while the object is in that write.
    let today = today(&c, A);
    let (since, until) = ((today - chrono::Duration::days(9)).to_string(), (today - chrono::Duration::days(3)).to_string());
    let day = (today - chrono::Duration::days(6)).to_string();
    let ad = c.gw.query("SELECT id FROM meta_ads WHERE ad_account_id = ?1 ORDER BY id LIMIT 1", &[&A])[0]["id"].as_str().unwrap().to_string();
    c.gw.plant_object(
        A,
        &format!(
            "CREATE TRIGGER slow_write BEFORE INSERT ON insights_facts WHEN NEW.object_id = '{ad}' AND NEW.date = '{day}' AND NEW.breakdown_set = 'country' \
             BEGIN SELECT COUNT(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 40000000) SELECT x FROM n); END"
        ),
        &[],
    );
    c.sim.control("DELETE", "/ledger", Value::Null);
    let id = sync(&c, A, &since, &until);
    // The seven days are one slice: its country page holds the slow day.
    c.gw.wait_for("the country page of the slow day read", Duration::from_secs(90), || {
        insights_reads(&c, A).iter().any(|e| e["params"]["breakdowns"].to_string().contains("country")).then_some(())
    });
    std::thread::sleep(Duration::from_millis(1500));
    c.gw.crash();
    let mid = c.gw.object_facts(
        "SELECT COUNT(*) AS n FROM insights_facts WHERE ad_account_id = ?1 AND object_id = ?2 AND date = ?3 AND breakdown_set = 'country'",
        &[&A, &ad, &day],
    );
    assert_eq!(mid[0]["n"], 0, "the reset came in the middle of the object's write: nothing of it was kept");
    assert_ne!(run(&c, &id)["status"], "succeeded");
    c.gw.plant_object(A, "DROP TRIGGER slow_write", &[]);

    c.gw.restart();
    std::thread::sleep(Duration::from_secs(3));
    // The next tick finds the run that stopped moving and sends it again; it resumes.
    c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    let done = succeeded(&c, &id, Duration::from_secs(120));
    assert!(done["attempts"].as_i64() >= Some(2), "{done}");
    let after = c.gw.object_facts(
        "SELECT COUNT(*) AS n FROM insights_facts WHERE ad_account_id = ?1 AND object_id = ?2 AND date = ?3 AND breakdown_set = 'country'",
        &[&A, &ad, &day],
    );
    assert!(after[0]["n"].as_i64() >= Some(1), "the write was done again after the reset");
    // Per day the country facts (in the object) add up to the whole-day facts (in D1), exactly.
    let whole = c.gw.query(
        "SELECT date, SUM(spend_minor) AS s, SUM(impressions) AS i FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set = '' AND date BETWEEN ?2 AND ?3 GROUP BY date ORDER BY date",
        &[&A, &since, &until],
    );
    let parts = c.gw.facts_query(
        "SELECT date, SUM(spend_minor) AS s, SUM(impressions) AS i FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set = 'country' AND date BETWEEN ?2 AND ?3 GROUP BY date ORDER BY date",
        &[&A, &since, &until],
    );
    assert_eq!(whole.len(), 7);
    assert_eq!(parts, whole, "no country row lost or doubled");
    let in_d1 = c.gw.query("SELECT COUNT(*) AS n FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set <> ''", &[&A]);
    assert_eq!(in_d1[0]["n"], 0, "the partitioned facts stayed in the object");
    let (theirs, ours) = c.days_against_truth(A, &since, &until);
    assert_eq!(ours, theirs);
}

#[test]
fn webhook_events_stranded_between_their_store_and_their_dispatch_are_dispatched_by_the_cron_tick() {
    const A: &str = "707000333";
    let c = Connected::start("faults-webhooks", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    seed(&c, A, 2);
    c.bind_and_backfill(TOKEN, A);
    let sets: Vec<String> =
        c.gw.query("SELECT id FROM meta_ad_sets WHERE ad_account_id = ?1 ORDER BY id", &[&A]).iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    for (i, s) in sets.iter().take(2).enumerate() {
        c.sim.graph_post(s, TOKEN, &[("name", &format!("Renamed by Meta {i}"))]);
    }
    // A notification delivered through the queue: stored, dispatched and marked.
    let body = json!({"object": "ad_account", "entry": [{"id": A, "time": 1795428000, "changes": [{"field": "in_process_ad_objects", "value": {"id": sets[0], "level": "AD_SET"}}]}]}).to_string();
    let r = c.gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sign_webhook(&body))], Some(&body));
    assert_eq!(r.status, 200, "{}", r.text);
    c.gw.wait_for("the event dispatched", Duration::from_secs(60), || {
        (c.gw.query("SELECT status FROM webhook_events", &[]).first().map(|r| r["status"] == "dispatched") == Some(true)).then_some(())
    });
    c.gw.wait_for("the first rename mirrored", Duration::from_secs(60), || {
        (c.gw.query("SELECT name FROM meta_ad_sets WHERE id = ?1", &[&sets[0]])[0]["name"] == "Renamed by Meta 0").then_some(())
    });
    // Two events stored but never dispatched (their consumer stopped in between): one received 20
    // minutes ago and released, one just claimed by a batch still running.
    let value = json!({"id": sets[1], "level": "AD_SET"}).to_string();
    let twenty_ago = (chrono::Utc::now() - chrono::Duration::minutes(20)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    c.gw.plant(
        "INSERT INTO webhook_events (id, dedupe_key, object, entry_id, field, value_json, received_at) VALUES ('whe_stranded', 'k-stranded', 'ad_account', ?1, 'in_process_ad_objects', ?2, ?3)",
        &[&A, &value, &twenty_ago],
    );
    c.gw.plant(
        "INSERT INTO webhook_events (id, dedupe_key, object, entry_id, field, value_json, received_at, claimed_at) VALUES ('whe_live', 'k-live', 'ad_account', ?1, 'in_process_ad_objects', ?2, ?3, ?4)",
        &[&A, &json!({"id": sets[0], "level": "AD_SET"}).to_string(), &twenty_ago, &now],
    );
    let before = c.gw.query("SELECT COUNT(*) AS n FROM sync_runs WHERE trigger = 'webhook'", &[])[0]["n"].as_i64().unwrap();
    let tick = c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    assert_eq!(tick.status, 200, "{}", tick.text);
    c.gw.wait_for("the stranded event dispatched", Duration::from_secs(60), || {
        (c.gw.query("SELECT status FROM webhook_events WHERE id = 'whe_stranded'", &[])[0]["status"] == "dispatched").then_some(())
    });
    c.gw.wait_for("the stranded rename mirrored", Duration::from_secs(60), || {
        (c.gw.query("SELECT name FROM meta_ad_sets WHERE id = ?1", &[&sets[1]])[0]["name"] == "Renamed by Meta 1").then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let runs = c.gw.query("SELECT object_ids_json, status FROM sync_runs WHERE trigger = 'webhook' ORDER BY created_at", &[]);
    assert_eq!(runs.len() as i64, before + 1, "one run for the stranded event, none for the one a live batch holds: {runs:?}");
    assert_eq!(c.gw.query("SELECT status FROM webhook_events WHERE id = 'whe_live'", &[])[0]["status"], "received", "a live claim is left to its batch");
    let ran = c.gw.query("SELECT graph_calls FROM sync_runs WHERE trigger = 'webhook' ORDER BY created_at DESC LIMIT 1", &[]);
    assert_eq!(ran[0]["graph_calls"], 1, "the stranded run read the one object named");
}

fn pause(c: &Connected, key: &str, campaign: &str, idem: &str) -> Resp {
    c.gw.request(
        "POST",
        "/v1/actions/recruiter_paid_media/pause_campaign",
        &[("Authorization", &format!("Bearer {key}")), ("Idempotency-Key", idem)],
        Some(&json!({"ad_account_id": "act_707000444", "campaign_id": campaign}).to_string()),
    )
}

#[test]
fn the_simulator_failing_every_call_across_retries_dead_letters_and_ticks_ends_with_exact_totals() {
    const A: &str = "707000444";
    const B: &str = "707000555";
    let c = Connected::start("faults-outage", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("SYNC_STALE_SECONDS", "2")]);
    seed(&c, A, 2);
    seed(&c, B, 2);
    let iid = c.connect(TOKEN);
    bind(&c, &iid, A);
    bind(&c, &iid, B);
    c.gw.wait_for("both backfills", Duration::from_secs(180), || {
        let rows = c.gw.query("SELECT status FROM sync_runs", &[]);
        (rows.len() == 4 && rows.iter().all(|r| r["status"] == "succeeded")).then_some(())
    });
    let facts_before = c.gw.query("SELECT COUNT(*) AS n, SUM(spend_minor) AS s, MAX(updated_at) AS t FROM insights_facts", &[]);
    let recruiter = c.key("recruiter");
    let campaign = c.gw.query("SELECT id FROM meta_campaigns WHERE ad_account_id = ?1 ORDER BY id LIMIT 1", &[&A])[0]["id"].as_str().unwrap().to_string();

    // Meta is down: every call answers 503, through the client's retries, the queue's retries
    // (into the dead-letter queue) and a cron tick.
    c.sim.control("POST", "/faults", json!({"kind": "status", "status": 503, "count": 1_000_000}));
    let today = today(&c, A);
    let (since, until) = ((today - chrono::Duration::days(9)).to_string(), today.to_string());
    let runs = [sync(&c, A, &since, &until), sync(&c, B, &since, &until)];
    let refused = pause(&c, &recruiter, &campaign, "outage-pause-1");
    assert!((502..=504).contains(&refused.status), "Meta's outage is a gateway problem, not ours: {} {}", refused.status, refused.text);
    assert!(refused.content_type.starts_with("application/problem+json"), "{}", refused.content_type);
    c.gw.wait_for("both runs dead-lettered", Duration::from_secs(180), || {
        (c.gw.query("SELECT COUNT(*) AS n FROM dead_letters", &[])[0]["n"].as_i64() >= Some(2)).then_some(())
    });
    let tick = c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    assert_eq!(tick.status, 200);
    std::thread::sleep(Duration::from_secs(5));
    for id in &runs {
        assert_ne!(run(&c, id)["status"], "succeeded", "nothing succeeds while Meta is down");
    }
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n, SUM(spend_minor) AS s, MAX(updated_at) AS t FROM insights_facts", &[]), facts_before, "nothing half-written");
    // The pause stopped at its read of the campaign: no write reached Meta, none is recorded.
    assert!(c.sim.ledger().iter().all(|e| e["method"] != "POST" || e["status"] != 200), "Meta accepted no write during the outage");
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'pause_campaign' AND outcome = 'succeeded'", &[])[0]["n"], 0);
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM meta_api_events WHERE kind = 'mutation' AND outcome = 'ok'", &[])[0]["n"], 0);

    // Meta is back: the ticks resume every stopped run from its cursor; each ends succeeded.
    c.sim.control("DELETE", "/faults", Value::Null);
    c.sim.control("DELETE", "/ledger", Value::Null);
    assert_eq!(c.sim.graph_get(&format!("{campaign}?fields=status"), TOKEN)["status"], "ACTIVE", "the refused pause changed nothing");
    c.gw.wait_for("every run succeeded", Duration::from_secs(240), || {
        std::thread::sleep(Duration::from_secs(3));
        let rows = c.gw.query("SELECT status FROM sync_runs", &[]);
        if rows.iter().all(|r| r["status"] == "succeeded") {
            return Some(());
        }
        c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
        None
    });
    for account in [A, B] {
        let (theirs, ours) = c.days_against_truth(account, &since, &until);
        assert_eq!(ours.len(), 10);
        assert_eq!(ours, theirs, "account {account} exact to the cent after the outage");
    }
    let again = pause(&c, &recruiter, &campaign, "outage-pause-2");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(c.sim.graph_get(&format!("{campaign}?fields=status"), TOKEN)["status"], "PAUSED");
    let writes: Vec<Value> = c.sim.ledger().into_iter().filter(|e| e["method"] == "POST" && e["path"] == format!("/{campaign}")).collect();
    assert_eq!(writes.len(), 1, "one pause reached Meta after the outage: {writes:?}");
    let letters = c.gw.query("SELECT reason FROM dead_letters", &[]);
    assert!(letters.len() >= 2, "{letters:?}");
}
