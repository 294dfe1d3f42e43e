//! Operations: telemetry scraped from `/metrics` (OpenMetrics) and read in the operations digest,
//! equal to what the simulator received; service alerts delivered to the notification endpoint;
//! retention enforced by the daily tick in recorded, bounded purges; the audit completeness check
//! finding writes without audit rows and the reverse. Each action's roles, isolation and bad input.

use adgate_e2e::{json, Connected, Gateway, Value};
use std::time::Duration;

const TOKEN: &str = "e2e-operations-token-4b2e";
const ACCOUNT: &str = "555000888";
const GOVERN: &str = "admin_meta_ads_governance";
const SCRAPE_KEY: &str = "e2e-metrics-scrape-key-0a1b2c3d4e";

fn scrape(gw: &Gateway, key: Option<&str>) -> adgate_e2e::Resp {
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    gw.request("GET", "/metrics", &headers, None)
}

/// The value of the sample whose line starts with `name{` and holds every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .reduce(|a, b| a + b)
}

fn second_workspace(gw: &Gateway) -> (String, String) {
    let r = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    assert_eq!(r.status, 201, "{}", r.text);
    let ws = r.body["id"].as_str().unwrap().to_string();
    let key = gw.member_key(&ws, "admin");
    (ws, key)
}

#[test]
fn telemetry_is_scraped_and_digested_as_the_simulator_saw_it_and_service_alerts_are_delivered() {
    let c = Connected::start("operations", TOKEN, &[("BACKFILL_ON_BIND", "true"), ("ADGATE_METRICS_KEY", SCRAPE_KEY)]);
    c.sim.seed_account(ACCOUNT, TOKEN, json!({"campaigns": 2, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 3}));
    c.bind_and_backfill(TOKEN, ACCOUNT);
    let ws = c.ws.as_str();
    let (admin, recruiter) = (c.key("admin"), c.key("recruiter"));

    // A write: its mutation event and its audit row carry the same correlation id and count.
    let campaign = c.gw.query("SELECT id FROM meta_campaigns WHERE ad_account_id = ?1 ORDER BY id LIMIT 1", &[&ACCOUNT])[0]["id"].as_str().unwrap().to_string();
    let paused = c.gw.act(&recruiter, "recruiter_paid_media", "pause_campaign", &json!({"ad_account_id": format!("act_{ACCOUNT}"), "campaign_id": campaign}));
    assert_eq!(paused.status, 200, "{}", paused.text);
    let mutations = c.gw.query("SELECT method, endpoint, correlation_id, outcome FROM meta_api_events WHERE workspace_id = ?1 AND kind = 'mutation'", &[&ws]);
    assert_eq!(mutations.len(), 1, "one write was sent: {mutations:?}");
    assert_eq!((mutations[0]["method"].as_str(), mutations[0]["outcome"].as_str()), (Some("POST"), Some("ok")));
    let audit = c.gw.query("SELECT correlation_id, meta_writes FROM audit_log WHERE workspace_id = ?1 AND action = 'pause_campaign'", &[&ws]);
    assert_eq!(audit[0]["correlation_id"], mutations[0]["correlation_id"]);
    assert_eq!(audit[0]["meta_writes"], 1);
    let posted = c.sim.ledger().iter().filter(|e| e["method"] == "POST" && e["path"] == format!("/{campaign}")).count();
    assert_eq!(posted, 1, "the simulator got the one write");

    // /metrics: the scrape key or the bootstrap key; no key, a wrong key or a workspace key is refused.
    assert_eq!(scrape(&c.gw, None).status, 401);
    assert_eq!(scrape(&c.gw, Some("not-the-scrape-key-at-all-0000")).status, 401);
    assert_eq!(scrape(&c.gw, Some(&admin)).status, 403, "a workspace admin does not read every workspace's telemetry");
    assert_eq!(scrape(&c.gw, Some(adgate_e2e::BOOTSTRAP_KEY)).status, 200);
    let campaigns_read =
        c.sim.ledger().iter().filter(|e| e["method"] == "GET" && e["batch"] != true && e["path"] == format!("/act_{ACCOUNT}/campaigns")).count() as f64;
    assert!(campaigns_read >= 1.0);
    let ws_label = format!("workspace=\"{ws}\"");
    let account_label = format!("account=\"{ACCOUNT}\"");
    // The flush runs after each response: wait for the counts to catch up with the ledger.
    let text = c.gw.wait_for("telemetry to equal the ledger", Duration::from_secs(30), || {
        let r = scrape(&c.gw, Some(SCRAPE_KEY));
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.header("content-type").is_some_and(|t| t.starts_with("application/openmetrics-text")), "{:?}", r.header("content-type"));
        let reads = sample(&r.text, "adgate_graph_calls_total", &[&ws_label, &account_label, "endpoint=\"act_{id}/campaigns\"", "method=\"GET\""]);
        let action = sample(&r.text, "adgate_action_duration_milliseconds_count", &[&ws_label, "action=\"recruiter_paid_media/pause_campaign\""]);
        (reads == Some(campaigns_read) && action == Some(1.0)).then_some(r.text)
    });
    assert!(text.ends_with("# EOF\n"), "an OpenMetrics exposition ends with # EOF");
    assert_eq!(sample(&text, "adgate_graph_calls_total", &[&ws_label, "endpoint=\"{id}\"", "method=\"POST\"", "outcome=\"ok\""]), Some(1.0));
    assert!(sample(&text, "adgate_gate_decisions_total", &[&ws_label, &account_label, "decision=\"admitted\""]).is_some_and(|n| n >= campaigns_read + 1.0));
    assert_eq!(sample(&text, "adgate_gate_decisions_total", &[&ws_label, "decision=\"refused\""]), None, "nothing was refused");
    assert!(sample(&text, "adgate_sync_age_seconds", &[&ws_label, &account_label]).is_some(), "sync freshness per account");
    assert!(sample(&text, "adgate_action_duration_milliseconds_bucket", &[&ws_label, "le=\"+Inf\""]).is_some());
    assert!(text.contains("# TYPE adgate_queue_depth gauge"));
    let memory = sample(&text, "adgate_instance_memory_bytes", &[]).expect("the serving instance's memory");
    assert!(memory >= 65_536.0 && memory % 65_536.0 == 0.0, "whole wasm pages: {memory}");
    assert!(!text.contains(TOKEN) && !text.contains(adgate_e2e::BOOTSTRAP_KEY), "no secret in the exposition");
    // Counters survive in D1 as rollups by the hour, not a row per call.
    let rollups = c.gw.query("SELECT COUNT(*) AS n FROM ops_rollups WHERE workspace_id = ?1", &[&ws])[0]["n"].as_i64().unwrap();
    let calls = c.sim.ledger().len() as i64;
    assert!(rollups > 0 && rollups < calls * 4, "{rollups} rollup rows for {calls} calls");

    // The digest: admins only, this workspace only, bounded input.
    let digest = |key: &str, body: Value| c.gw.act(key, GOVERN, "get_operations_digest", &body);
    let d = digest(&admin, json!({"hours": 2}));
    assert_eq!(d.status, 200, "{}", d.text);
    let campaigns_row = d.body["graph_calls"].as_array().unwrap().iter().find(|g| g["endpoint"] == "act_{id}/campaigns").cloned().expect("campaign reads");
    assert_eq!(campaigns_row["calls"].as_f64(), Some(campaigns_read));
    assert_eq!(campaigns_row["errors"], 0);
    let latency =
        d.body["action_latency_ms"].as_array().unwrap().iter().find(|a| a["action"] == "recruiter_paid_media/pause_campaign").cloned().expect("latency");
    assert_eq!(latency["count"], 1);
    assert!(latency["p50"].as_f64().is_some() && latency["p99"].as_f64() >= latency["p50"].as_f64(), "{latency}");
    assert!(d.body["live"]["sync_age_seconds"].as_array().is_some_and(|a| a.len() == 1), "{}", d.body["live"]);
    assert_eq!(digest(&recruiter, json!({})).status, 403, "admins only");
    for (body, field) in [
        (json!({"hours": 0}), "hours"),
        (json!({"hours": 721}), "hours"),
        (json!({"hours": 1e300}), "hours"),
        (json!({"hours": "x"}), "hours"),
        (json!({"colour": 1}), "colour"),
    ] {
        let r = digest(&admin, body.clone());
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains(field), "{body} names {field}: {}", r.text);
    }
    let (other_ws, other_admin) = second_workspace(&c.gw);
    let theirs = digest(&other_admin, json!({}));
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body["workspace_id"], other_ws.as_str());
    assert!(theirs.body["graph_calls"].as_array().unwrap().is_empty() && theirs.body["action_latency_ms"].as_array().unwrap().is_empty(), "{}", theirs.text);
    assert!(!theirs.text.contains(ACCOUNT), "another workspace sees nothing of ours");
    assert_eq!(digest(&other_admin, json!({"workspace_id": ws})).status, 403);

    // Service alerts: an account throttled in every quarter of the last hour, delivered signed.
    let sink = format!("{}/__control/sink/hooks", c.sim.base);
    let set = c.gw.act(&admin, GOVERN, "set_notification_endpoint", &json!({"url": sink, "secret": "e2e-operations-sink-secret-0001-abcdef"}));
    assert_eq!(set.status, 200, "{}", set.text);
    for minutes in [55, 40, 25, 10] {
        c.gw.plant(
            "INSERT INTO meta_api_events (id, workspace_id, ad_account_id, kind, endpoint, graph_code, error_class, occurred_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 'throttle', 'act_{id}/insights', 80000, 'throttled', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?4), 'x', 'x')",
            &[&format!("mev_planted_{minutes}"), &ws, &ACCOUNT, &format!("-{minutes} minutes")],
        );
    }
    assert_eq!(c.gw.get("/__scheduled?cron=*/15+*+*+*+*").status, 200);
    let open = c.gw.wait_for("the throttled alert", Duration::from_secs(30), || {
        let rows = c.gw.query("SELECT id, kind, subject_id, detail_json FROM service_alerts WHERE workspace_id = ?1 AND status = 'open'", &[&ws]);
        (!rows.is_empty()).then_some(rows)
    });
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!((open[0]["kind"].as_str(), open[0]["subject_id"].as_str()), (Some("throttled"), Some(ACCOUNT)));
    let delivered = c.gw.wait_for("the alert's delivery", Duration::from_secs(60), || {
        let got = c.sim.control("GET", "/sink/hooks", Value::Null)["received"].as_array().cloned().unwrap_or_default();
        got.into_iter().find(|d| d["body"].as_str().is_some_and(|b| b.contains("service_alert.opened")))
    });
    let body: Value = serde_json::from_str(delivered["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["service_alert"]["kind"], "throttled");
    assert_eq!(body["service_alert"]["id"], open[0]["id"]);
    assert!(delivered["headers"].as_object().unwrap().keys().any(|k| k.contains("signature")), "signed like every notification");
    assert!(c.gw.query("SELECT id FROM service_alerts WHERE workspace_id = ?1", &[&other_ws]).is_empty(), "nothing of it reaches another workspace");
    // A second tick keeps it open, not a second one; the digest shows it.
    c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    assert_eq!(c.gw.query("SELECT id FROM service_alerts WHERE workspace_id = ?1", &[&ws]).len(), 1);
    let d = digest(&admin, json!({}));
    assert_eq!(d.body["service_alerts"][0]["kind"], "throttled", "{}", d.text);
    // Once the throttling is over an hour old, the alert closes.
    c.gw.plant("UPDATE meta_api_events SET occurred_at = '2020-01-01T00:00:00.000Z' WHERE id LIKE 'mev_planted_%'", &[]);
    c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    let closed = c.gw.query("SELECT status FROM service_alerts WHERE workspace_id = ?1", &[&ws]);
    assert_eq!(closed[0]["status"], "closed");
    c.gw.assert_nowhere(TOKEN);
}

#[test]
fn retention_purges_in_recorded_batches_and_the_audit_check_finds_writes_without_audit_rows() {
    let c = Connected::start("operations-retention", TOKEN, &[]);
    let ws = c.ws.as_str();
    let (admin, recruiter) = (c.key("admin"), c.key("recruiter"));
    let (other_ws, other_admin) = second_workspace(&c.gw);
    for (w, account) in [(ws, "700000001"), (other_ws.as_str(), "700000002")] {
        c.gw.plant(
            "INSERT INTO ad_accounts (id, workspace_id, name, currency, timezone_name, status, created_at, updated_at) VALUES (?1, ?2, 'a', 'USD', 'UTC', 'active', 'x', 'x')",
            &[&account, &w],
        );
    }

    // Retention settings: admins only, each kind within its bounds, named when refused.
    let set = |key: &str, body: Value| c.gw.act(key, GOVERN, "set_retention_policy", &body);
    assert_eq!(set(&recruiter, json!({"insights_hourly": 7})).status, 403);
    for (body, field) in [
        (json!({}), "input"),
        (json!({"audit_log": 364}), "audit_log"),
        (json!({"audit_log": 3_651}), "audit_log"),
        (json!({"insights_breakdowns": 29}), "insights_breakdowns"),
        (json!({"webhook_events": 0}), "webhook_events"),
        (json!({"sync_runs": 9_223_372_036_854_775_807_i64}), "sync_runs"),
        (json!({"meta_api_events": 1e300}), "meta_api_events"),
        (json!({"dead_letters": "7"}), "dead_letters"),
        (json!({"forever": 1}), "forever"),
    ] {
        let r = set(&admin, body.clone());
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains(field), "{body} names {field}: {}", r.text);
    }
    let r = set(&admin, json!({"insights_hourly": 7, "audit_log": 365}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["retention"]["insights_hourly"]["days"].as_i64(), r.body["retention"]["sync_runs"]["days"].as_i64()), (Some(7), Some(90)));
    let audit = c.gw.query("SELECT before_json, after_json FROM audit_log WHERE workspace_id = ?1 AND action = 'set_retention_policy'", &[&ws]);
    assert!(audit[0]["after_json"].as_str().unwrap().contains("\"days\":7"), "{audit:?}");
    assert!(c.gw.query("SELECT kind FROM retention_settings WHERE workspace_id = ?1", &[&other_ws]).is_empty(), "another workspace's policy is its own");
    // Another workspace's admin cannot name ours, and setting its own leaves ours as it was.
    assert_eq!(set(&other_admin, json!({"workspace_id": ws, "insights_hourly": 30})).status, 403);
    assert_eq!(set(&other_admin, json!({"insights_hourly": 30})).status, 200);
    let hourly = |w: &str| c.gw.query("SELECT days FROM retention_settings WHERE workspace_id = ?1 AND kind = 'insights_hourly'", &[&w])[0]["days"].clone();
    assert_eq!((hourly(ws), hourly(&other_ws)), (json!(7), json!(30)));

    // Old and recent rows of every kind, in both workspaces.
    let fact = "INSERT INTO insights_facts (ad_account_id, object_id, date, hour, breakdown_key, breakdown_set, workspace_id, spend_minor, updated_at) \
                VALUES (?1, ?2, date('now', ?3), ?4, ?5, ?6, ?7, 100, 'x')";
    for (w, account) in [(ws, "700000001"), (other_ws.as_str(), "700000002")] {
        for (object, age, hour, key, set) in [
            ("hourly-old", "-10 days", 5, "", ""),
            ("hourly-new", "-2 days", 5, "", ""),
            ("age-old", "-500 days", -1, "age=25-34", "age"),
            ("age-new", "-20 days", -1, "age=25-34", "age"),
            ("plain-old", "-500 days", -1, "", ""),
        ] {
            c.gw.plant(fact, &[&account, &object, &age, &hour, &key, &set, &w]);
        }
        c.gw.plant(
            "INSERT INTO audit_log (id, occurred_at, workspace_id, actor, action, correlation_id, outcome, created_at, updated_at) \
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-400 days'), ?2, 'key_x', 'old_action', 'cid-old', 'succeeded', 'x', 'x')",
            &[&format!("aud_old_{w}"), &w],
        );
        c.gw.plant(
            "INSERT INTO meta_api_events (id, workspace_id, kind, endpoint, occurred_at, created_at, updated_at) VALUES (?1, ?2, 'usage', 'x', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'), 'x', 'x')",
            &[&format!("mev_old_{w}"), &w],
        );
    }
    c.gw.plant(
        "INSERT INTO webhook_events (id, dedupe_key, object, entry_id, field, value_json, received_at) VALUES ('whe_old', 'k-old', 'ad_account', '1', 'x', '{}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-40 days')), \
         ('whe_new', 'k-new', 'ad_account', '1', 'x', '{}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 days'))",
        &[],
    );
    // Outside a recorded purge, audit rows cannot be deleted.
    let refused = c.gw.try_plant("DELETE FROM audit_log WHERE id = ?1", &[&format!("aud_old_{ws}")]);
    assert!(refused.is_err_and(|e| e.to_string().contains("append-only")));

    assert_eq!(c.gw.get("/__scheduled?cron=17+3+*+*+*").status, 200);
    let objects = |w: &str| {
        c.gw.facts_query("SELECT object_id FROM insights_facts WHERE workspace_id = ?1 ORDER BY object_id", &[&w])
            .iter()
            .map(|r| r["object_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    c.gw.wait_for("the daily purge", Duration::from_secs(60), || (objects(ws) == ["age-new", "hourly-new", "plain-old"]).then_some(()));
    assert_eq!(objects(&other_ws), ["age-new", "hourly-new", "hourly-old", "plain-old"], "the other workspace keeps hourly facts for its own 30 days");
    let gone = |sql: &str, id: &str| c.gw.query(sql, &[&id]).is_empty();
    assert!(gone("SELECT id FROM audit_log WHERE id = ?1", &format!("aud_old_{ws}")), "a 400-day-old audit row goes under a 365-day rule");
    assert!(!gone("SELECT id FROM audit_log WHERE id = ?1", &format!("aud_old_{other_ws}")), "the default keeps it about 7 years");
    assert!(
        gone("SELECT id FROM meta_api_events WHERE id = ?1", &format!("mev_old_{ws}"))
            && gone("SELECT id FROM meta_api_events WHERE id = ?1", &format!("mev_old_{other_ws}"))
    );
    assert!(gone("SELECT id FROM webhook_events WHERE id = ?1", "whe_old") && !gone("SELECT id FROM webhook_events WHERE id = ?1", "whe_new"));
    let purges =
        c.gw.query("SELECT workspace_id, kind, rows_deleted, more, status FROM retention_purges WHERE rows_deleted > 0 ORDER BY workspace_id, kind", &[]);
    let purged = |w: &str, kind: &str| purges.iter().find(|p| p["workspace_id"] == w && p["kind"] == kind).map(|p| p["rows_deleted"].as_i64().unwrap());
    assert_eq!(purged(ws, "insights_hourly"), Some(1));
    assert_eq!(purged(ws, "insights_breakdowns"), Some(1));
    assert_eq!(purged(ws, "audit_log"), Some(1));
    assert_eq!(purged(&other_ws, "insights_breakdowns"), Some(1));
    assert_eq!(purged(&other_ws, "insights_hourly"), None);
    assert_eq!(purged("", "webhook_events"), Some(1));
    assert!(purges.iter().all(|p| p["status"] == "done" && p["more"] == 0), "{purges:?}");
    let tick = c.gw.query("SELECT detail FROM cron_runs WHERE tick_kind = 'daily_maintenance'", &[]);
    assert!(tick[0]["detail"].as_str().unwrap().contains("retention:"), "{tick:?}");

    // The audit completeness check: a write with no audit row, an audit row claiming two writes
    // of which one was recorded, and a matching pair; an hour old, so no longer in flight.
    let mutation =
        "INSERT INTO meta_api_events (id, workspace_id, ad_account_id, kind, endpoint, method, correlation_id, outcome, occurred_at, created_at, updated_at) \
                    VALUES (?1, ?2, '700000001', 'mutation', '{id}', 'POST', ?3, 'ok', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hours'), 'x', 'x')";
    let audited = "INSERT INTO audit_log (id, occurred_at, workspace_id, actor, action, correlation_id, outcome, meta_writes, created_at, updated_at) \
                   VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hours'), ?2, 'key_x', 'pause_campaign', ?3, 'succeeded', ?4, 'x', 'x')";
    c.gw.plant(mutation, &[&"mev_m1", &ws, &"cid-unaudited"]);
    c.gw.plant(mutation, &[&"mev_m2", &ws, &"cid-short"]);
    c.gw.plant(audited, &[&"aud_a2", &ws, &"cid-short", &2]);
    c.gw.plant(mutation, &[&"mev_m3", &ws, &"cid-ok"]);
    c.gw.plant(audited, &[&"aud_a3", &ws, &"cid-ok", &1]);
    c.gw.plant(mutation, &[&"mev_m4", &other_ws, &"cid-theirs"]);
    let check = |key: &str, body: Value| c.gw.act(key, GOVERN, "run_audit_completeness_check", &body);
    assert_eq!(check(&recruiter, json!({})).status, 403);
    assert_eq!(check(&other_admin, json!({"workspace_id": ws})).status, 403, "another workspace's admin cannot check ours");
    for (body, field) in
        [(json!({"hours": 0}), "hours"), (json!({"hours": 2_161}), "hours"), (json!({"hours": 1e300}), "hours"), (json!({"since": 1}), "since")]
    {
        let r = check(&admin, body.clone());
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains(field), "{body} names {field}: {}", r.text);
    }
    let r = check(&admin, json!({"hours": 3}));
    assert_eq!(r.status, 200, "{}", r.text);
    let gaps: Vec<(String, String, i64, i64)> = r.body["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (g["correlation_id"].as_str().unwrap().into(), g["kind"].as_str().unwrap().into(), g["mutations"].as_i64().unwrap(), g["audited"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(gaps, [("cid-short".into(), "unrecorded_mutation".into(), 1, 2), ("cid-unaudited".into(), "unaudited_mutation".into(), 1, 0)]);
    assert_eq!(r.body["new_gaps"], 2);
    assert_eq!(check(&admin, json!({"hours": 3})).body["new_gaps"], 0, "a gap is recorded once");
    assert_eq!(c.gw.query("SELECT id FROM audit_gaps WHERE workspace_id = ?1", &[&ws]).len(), 2);
    let theirs = check(&other_admin, json!({"hours": 3}));
    assert_eq!(theirs.body["gaps"].as_array().unwrap().len(), 1, "each workspace checks its own: {}", theirs.text);
    assert_eq!(theirs.body["gaps"][0]["correlation_id"], "cid-theirs");
    // The tick turns gaps into service alerts, per workspace.
    c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    let alerts = c.gw.query("SELECT kind FROM service_alerts WHERE workspace_id = ?1 AND status = 'open'", &[&ws]);
    assert_eq!(alerts.iter().filter(|a| a["kind"] == "audit_gap").count(), 2, "{alerts:?}");
}
