//! What an operator reads: gauges of live state (served by `/metrics` for every workspace, and
//! by the digest for one), and the operations digest, which adds the rollups of a time window
//! (Graph call rates, action latency quantiles, gate decisions, usage, attribution and webhook
//! lag), open service alerts, audit gaps and retention.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use crate::telemetry::{self, histogram, openmetrics::Gauge};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A gauge read at scrape time: `?1` is a workspace (NULL: all), `?2` now. Each row has
/// `workspace_id`, `ad_account_id` ('' when not per account), `value`, and label columns.
pub struct GaugeQuery {
    pub name: &'static str,
    pub help: &'static str,
    pub sql: &'static str,
}

pub const GAUGES: &[GaugeQuery] = &[
    GaugeQuery {
        name: "adgate_sync_age_seconds",
        help: "Seconds since each active account's last successful sync (sync freshness).",
        sql: "SELECT workspace_id, id AS ad_account_id, CAST((julianday(?2) - julianday(COALESCE(last_synced_at, created_at))) * 86400 AS INTEGER) AS value \
              FROM ad_accounts WHERE status = 'active' AND (?1 IS NULL OR workspace_id = ?1)",
    },
    GaugeQuery {
        name: "adgate_queue_depth",
        help: "Work waiting per queue, from the rows each message names (Cloudflare Queues expose no depth to the worker).",
        sql: "SELECT workspace_id, '' AS ad_account_id, 'sync' AS queue, COUNT(*) AS value FROM sync_runs WHERE status IN ('queued', 'running') AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id \
              UNION ALL SELECT workspace_id, '', 'notifications', COUNT(*) FROM notifications WHERE status = 'pending' AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id \
              UNION ALL SELECT workspace_id, '', 'reports', COUNT(*) FROM report_jobs WHERE status IN ('queued', 'running') AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id",
    },
    GaugeQuery {
        name: "adgate_dead_letters_recent",
        help: "Dead letters received in the last 24 hours.",
        sql: "SELECT COALESCE(json_extract(body, '$.workspace_id'), '') AS workspace_id, '' AS ad_account_id, COUNT(*) AS value FROM dead_letters \
              WHERE received_at >= strftime('%Y-%m-%dT%H:%M:%fZ', ?2, '-1 day') AND json_valid(body) \
              AND (?1 IS NULL OR json_extract(body, '$.workspace_id') = ?1) GROUP BY 1",
    },
    GaugeQuery {
        name: "adgate_budget_anomalies",
        help: "Open pacing and overspend alerts (budget drift), per account, object and kind.",
        sql: "SELECT workspace_id, ad_account_id, object_id AS object, object_level AS level, kind, COUNT(*) AS value FROM alerts \
              WHERE status = 'open' AND kind IN ('pacing', 'overspend') AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id, ad_account_id, object_id, object_level, kind",
    },
    GaugeQuery {
        name: "adgate_service_alerts_open",
        help: "Open service alerts by kind.",
        sql: "SELECT workspace_id, '' AS ad_account_id, kind, COUNT(*) AS value FROM service_alerts WHERE status = 'open' AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id, kind",
    },
    GaugeQuery {
        name: "adgate_pipeline_unmapped_applications",
        help: "Applications of the last 30 days that carry UTM or source values no mapping attributes to an ad.",
        sql: "SELECT workspace_id, '' AS ad_account_id, COUNT(*) AS value FROM pipeline_applications \
              WHERE applied_date >= substr(strftime('%Y-%m-%dT%H:%M:%fZ', ?2, '-30 days'), 1, 10) AND ad_id IS NULL AND campaign_id IS NULL \
              AND (utm_campaign IS NOT NULL OR utm_content IS NOT NULL OR utm_term IS NOT NULL OR ats_source IS NOT NULL) \
              AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id",
    },
    GaugeQuery {
        name: "adgate_audit_gaps_recent",
        help: "Audit completeness gaps detected in the last 7 days.",
        sql: "SELECT workspace_id, '' AS ad_account_id, kind, COUNT(*) AS value FROM audit_gaps WHERE detected_at >= strftime('%Y-%m-%dT%H:%M:%fZ', ?2, '-7 days') \
              AND (?1 IS NULL OR workspace_id = ?1) GROUP BY workspace_id, kind",
    },
    GaugeQuery {
        name: "adgate_token_expiry_seconds",
        help: "Seconds until each active integration's token expires (negative: expired).",
        sql: "SELECT workspace_id, '' AS ad_account_id, id AS integration, CAST((julianday(token_expires_at) - julianday(?2)) * 86400 AS INTEGER) AS value \
              FROM integrations WHERE status IN ('active', 'expired') AND token_expires_at IS NOT NULL AND (?1 IS NULL OR workspace_id = ?1)",
    },
];

/// Reads every gauge (for one workspace, or all) as OpenMetrics families.
pub async fn gauges(ports: &dyn Ports, workspace: Option<&str>) -> Result<Vec<Gauge>, Failure> {
    let now = ports.now_iso();
    let mut out = Vec::with_capacity(GAUGES.len());
    for g in GAUGES {
        let rows = ports.rows(Query::numbered(format!("{} LIMIT 10000", g.sql), binds![workspace, now.as_str()])).await?;
        let samples = rows.iter().map(|r| (gauge_labels(r), r["value"].as_f64().unwrap_or(0.0))).collect();
        out.push(Gauge { name: g.name, help: g.help, samples });
    }
    Ok(out)
}

/// A gauge row's labels: workspace and account first (when set), then its own columns.
fn gauge_labels(row: &Value) -> String {
    let Some(o) = row.as_object() else { return String::new() };
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| if v.is_null() { String::new() } else { v.to_string() });
    let mut scope = Vec::new();
    for (k, name) in [("workspace_id", "workspace"), ("ad_account_id", "account")] {
        let v = o.get(k).map(text).unwrap_or_default();
        if !v.is_empty() {
            scope.push(format!("{name}=\"{}\"", telemetry::escape(&v)));
        }
    }
    let own: Vec<(String, String)> =
        o.iter().filter(|(k, _)| !matches!(k.as_str(), "workspace_id" | "ad_account_id" | "value")).map(|(k, v)| (k.clone(), text(v))).collect();
    let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let own = telemetry::labels(&own);
    scope.into_iter().chain((!own.is_empty()).then_some(own)).collect::<Vec<_>>().join(",")
}

/// The rollups of one workspace since `since`, summed over the window's hours.
async fn window_rows(ports: &dyn Ports, ws: &str, since: &str) -> Result<Vec<Value>, Failure> {
    ports
        .rows(Query::new(
            "SELECT ad_account_id, metric, labels, SUM(count) AS count, SUM(sum) AS sum, MAX(max) AS max FROM ops_rollups \
             WHERE workspace_id = ?1 AND bucket != '' AND bucket >= ?2 GROUP BY ad_account_id, metric, labels LIMIT 20000",
            binds![ws, since],
        ))
        .await
}

fn labels_of(row: &Value) -> BTreeMap<String, String> {
    telemetry::openmetrics::parse_labels(row["labels"].as_str().unwrap_or_default()).into_iter().collect()
}

/// The values of the labels named by `by` (`ad_account_id` is the row's account).
fn key_of(row: &Value, labels: &BTreeMap<String, String>, by: &[&str]) -> Vec<String> {
    by.iter()
        .map(
            |b| if *b == "ad_account_id" { row["ad_account_id"].as_str().unwrap_or_default().to_string() } else { labels.get(*b).cloned().unwrap_or_default() },
        )
        .collect()
}

/// p50/p95/p99 (and count) of a histogram metric's window rows, per series named by `by`.
fn quantiles(rows: &[Value], metric: &telemetry::Metric, by: &[&str]) -> Vec<Value> {
    let telemetry::Kind::Histogram(bounds) = metric.kind else { return Vec::new() };
    let mut series: BTreeMap<Vec<String>, (Vec<i64>, i64, f64, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r["metric"] == metric.name) {
        let labels = labels_of(r);
        let key = key_of(r, &labels, by);
        let e = series.entry(key).or_insert_with(|| (vec![0; bounds.len() + 1], 0, 0.0, 0.0));
        match labels.get("le").and_then(|le| histogram::parse_bound(le)) {
            Some(b) => {
                let i = bounds.iter().position(|x| *x == b).unwrap_or(bounds.len());
                e.0[i] += r["count"].as_i64().unwrap_or(0);
            }
            None => {
                e.1 += r["count"].as_i64().unwrap_or(0);
                e.2 += r["sum"].as_f64().unwrap_or(0.0);
                e.3 = e.3.max(r["max"].as_f64().unwrap_or(0.0));
            }
        }
    }
    series
        .into_iter()
        .map(|(key, (counts, count, sum, max))| {
            let mut o = Map::new();
            for (b, v) in by.iter().zip(key) {
                o.insert(b.to_string(), json!(v));
            }
            o.insert("count".into(), json!(count));
            for (name, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
                o.insert(name.into(), json!(histogram::quantile(bounds, &counts, q).map(|v| (v * 10.0).round() / 10.0)));
            }
            o.insert("mean".into(), json!(if count > 0 { Some(((sum / count as f64) * 10.0).round() / 10.0) } else { None }));
            o.insert("max".into(), json!(max));
            Value::Object(o)
        })
        .collect()
}

/// Graph calls per endpoint: calls, errors (by class and code), error rate, time spent.
fn graph_calls(rows: &[Value]) -> Vec<Value> {
    let mut by_endpoint: BTreeMap<String, (i64, i64, f64, BTreeMap<String, i64>)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r["metric"] == telemetry::GRAPH_CALLS.name) {
        let l = labels_of(r);
        let e = by_endpoint.entry(l.get("endpoint").cloned().unwrap_or_default()).or_default();
        let n = r["count"].as_i64().unwrap_or(0);
        e.0 += n;
        e.2 += r["sum"].as_f64().unwrap_or(0.0);
        let outcome = l.get("outcome").cloned().unwrap_or_default();
        if outcome != "ok" {
            e.1 += n;
            *e.3.entry(format!("{outcome}:{}", l.get("code").cloned().unwrap_or_default())).or_default() += n;
        }
    }
    by_endpoint
        .into_iter()
        .map(|(endpoint, (calls, errors, ms, codes))| {
            let errors_by: Vec<Value> = codes
                .into_iter()
                .map(|(k, n)| {
                    let (class, code) = k.split_once(':').unwrap_or((&k, ""));
                    json!({ "class": class, "code": code.parse::<i64>().ok(), "calls": n })
                })
                .collect();
            json!({ "endpoint": endpoint, "calls": calls, "errors": errors, "error_rate": if calls > 0 { (errors as f64 / calls as f64 * 1e4).round() / 1e4 } else { 0.0 },
                    "mean_ms": if calls > 0 { (ms / calls as f64).round() } else { 0.0 }, "errors_by_code": errors_by })
        })
        .collect()
}

/// Counter sums per label set named by `by` (with the account when asked).
fn counted(rows: &[Value], metric: &telemetry::Metric, by: &[&str]) -> Vec<Value> {
    let mut out: BTreeMap<Vec<String>, (i64, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r["metric"] == metric.name) {
        let key = key_of(r, &labels_of(r), by);
        let e = out.entry(key).or_default();
        e.0 += r["count"].as_i64().unwrap_or(0);
        e.1 = e.1.max(r["max"].as_f64().unwrap_or(0.0));
    }
    out.into_iter()
        .map(|(key, (count, max))| {
            let mut o: Map<String, Value> = by.iter().zip(key).map(|(b, v)| (b.to_string(), json!(v))).collect();
            if metric.kind == telemetry::Kind::Peak {
                o.insert("peak_percent".into(), json!(max));
            } else {
                o.insert("count".into(), json!(count));
            }
            Value::Object(o)
        })
        .collect()
}

/// The operations digest of one workspace over the last `hours`.
pub async fn digest(ports: &dyn Ports, ws: &str, hours: i64) -> Result<Value, Failure> {
    let now_ms = ports.now_millis();
    let since = telemetry::hour_bucket(now_ms - (hours - 1) * 3_600_000);
    let rows = window_rows(ports, ws, &since).await?;
    let live = gauges(ports, Some(ws)).await?;
    let gauges_json: Map<String, Value> = live
        .iter()
        .map(|g| {
            (g.name.trim_start_matches("adgate_").to_string(), json!(g.samples.iter().map(|(l, v)| json!({ "labels": l, "value": v })).collect::<Vec<_>>()))
        })
        .collect();
    let alerts = ports
        .rows(Query::new(
            "SELECT id, kind, subject_id, detail_json, opened_at, last_seen_at FROM service_alerts WHERE workspace_id = ?1 AND status = 'open' ORDER BY opened_at DESC LIMIT 100",
            binds![ws],
        ))
        .await?;
    let alerts: Vec<Value> = alerts
        .into_iter()
        .map(|mut a| {
            let detail = a["detail_json"].as_str().and_then(|d| serde_json::from_str::<Value>(d).ok()).unwrap_or(Value::Null);
            if let Some(o) = a.as_object_mut() {
                o.remove("detail_json");
                o.insert("detail".into(), detail);
            }
            a
        })
        .collect();
    let gaps = ports
        .rows(Query::new(
            "SELECT correlation_id, kind, mutations, audited, first_mutation_at, detected_by, detected_at FROM audit_gaps WHERE workspace_id = ?1 ORDER BY detected_at DESC LIMIT 50",
            binds![ws],
        ))
        .await?;
    let purges = ports
        .rows(Query::new(
            "SELECT kind, cutoff, rows_deleted, more, started_at, finished_at FROM retention_purges WHERE workspace_id IN (?1, '') AND status = 'done' ORDER BY started_at DESC LIMIT 20",
            binds![ws],
        ))
        .await?;
    let policy = super::retention::describe(&super::retention::stored(ports, ws).await?);
    Ok(json!({
        "workspace_id": ws,
        "window": { "hours": hours, "since": since, "until": crate::timefmt::iso_from_millis(now_ms) },
        "graph_calls": graph_calls(&rows),
        "graph_retries": counted(&rows, &telemetry::GRAPH_RETRIES, &["endpoint"]),
        "action_latency_ms": quantiles(&rows, &telemetry::ACTION_DURATION, &["action", "via", "status"]),
        "gate_decisions": counted(&rows, &telemetry::GATE_DECISIONS, &["ad_account_id", "decision", "reason"]),
        "meta_usage": counted(&rows, &telemetry::META_USAGE, &["ad_account_id", "use_case"]),
        "attribution_lag_hours": quantiles(&rows, &telemetry::ATTRIBUTION_CHANGE_AGE, &["ad_account_id"]),
        "webhook_lag_seconds": quantiles(&rows, &telemetry::WEBHOOK_LAG, &["field"]),
        "live": gauges_json,
        "service_alerts": alerts,
        "audit_gaps": gaps,
        "retention": { "policy": policy, "recent_purges": purges },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn row(metric: &str, account: &str, labels: &[(&str, &str)], count: i64, sum: f64, max: f64) -> Value {
        json!({ "ad_account_id": account, "metric": metric, "labels": telemetry::labels(labels), "count": count, "sum": sum, "max": max })
    }

    #[test]
    fn graph_calls_have_error_rates_by_endpoint_and_code() {
        let rows = [
            row(telemetry::GRAPH_CALLS.name, "1", &[("endpoint", "act_{id}/insights"), ("outcome", "ok"), ("code", "")], 8, 800.0, 0.0),
            row(telemetry::GRAPH_CALLS.name, "2", &[("endpoint", "act_{id}/insights"), ("outcome", "throttled"), ("code", "17")], 2, 40.0, 0.0),
        ];
        let g = graph_calls(&rows);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0]["calls"].as_i64(), g[0]["errors"].as_i64(), g[0]["error_rate"].as_f64()), (Some(10), Some(2), Some(0.2)));
        assert_eq!(g[0]["errors_by_code"][0], json!({"class": "throttled", "code": 17, "calls": 2}));
        assert_eq!(g[0]["mean_ms"], 84.0);
    }

    #[test]
    fn latency_quantiles_come_from_the_bucket_rows() {
        let m = &telemetry::ACTION_DURATION;
        let rows = [
            row(m.name, "", &[("action", "a/b")], 4, 100.0, 60.0),
            row(m.name, "", &[("action", "a/b"), ("le", "10")], 2, 0.0, 0.0),
            row(m.name, "", &[("action", "a/b"), ("le", "100")], 2, 0.0, 0.0),
        ];
        let q = quantiles(&rows, m, &["action"]);
        assert_eq!(q[0]["count"], 4);
        assert_eq!(q[0]["p50"], 10.0);
        assert_eq!(q[0]["p99"].as_f64().unwrap(), 99.0);
        assert_eq!(q[0]["mean"], 25.0);
    }

    #[test]
    fn gauge_rows_become_scoped_labels() {
        assert_eq!(gauge_labels(&json!({"workspace_id": "ws_1", "ad_account_id": "", "kind": "pacing", "value": 1})), "workspace=\"ws_1\",kind=\"pacing\"");
        assert_eq!(gauge_labels(&json!({"workspace_id": "ws_1", "ad_account_id": "9", "value": 1})), "workspace=\"ws_1\",account=\"9\"");
        for g in GAUGES {
            assert!(g.sql.contains("?1 IS NULL OR") && g.sql.contains("AS value"), "{} is limited by workspace and names its value", g.name);
            assert!(g.name.starts_with("adgate_"));
        }
    }
}
