//! Service alerts: conditions of the platform itself that an operator or admin must act on,
//! found across workspaces on every cron tick, at most one open per subject, each opening sent
//! to the workspace's notification endpoint as `service_alert.opened` (the same signed delivery
//! as the analytics alerts). An alert closes when its condition is no longer found.

use crate::binds;
use crate::db::notifications;
use crate::failure::Failure;
use crate::ports::{new_id, Job, Ports, Query};
use serde_json::{json, Value};

/// A sync kind whose last this-many finished runs all failed is failing.
pub const FAILED_RUNS: i64 = 3;
/// A token expiring within this many days (or already expired) is alerted.
pub const TOKEN_DAYS: i64 = 7;
/// Throttling in every quarter hour of the last hour: the account is held for over an hour.
pub const THROTTLED_QUARTERS: i64 = 4;
/// Dead letters, schema drift and audit gaps stay open this long after they happened.
pub const EVENT_HOURS: i64 = 24;

/// The kinds, each with the query that finds its subjects (workspace_id, subject_id, detail as
/// JSON text). `?1` is now, `?2` a token horizon, `?3` an hour ago, `?4` the event horizon.
pub const KINDS: &[(&str, &str)] = &[
    (
        "sync_failing",
        "SELECT a.workspace_id, a.id || ':' || k.kind AS subject_id, \
           json_object('ad_account_id', 'act_' || a.id, 'kind', k.kind, 'failed_runs', 3, \
             'last_error', (SELECT r.error FROM sync_runs r WHERE r.ad_account_id = a.id AND r.kind = k.kind AND r.status = 'failed' ORDER BY r.finished_at DESC LIMIT 1)) AS detail \
         FROM ad_accounts a JOIN (SELECT DISTINCT ad_account_id, kind FROM sync_runs WHERE status = 'failed' AND finished_at >= ?4) k ON k.ad_account_id = a.id \
         WHERE a.status = 'active' AND (SELECT COUNT(*) FROM (SELECT r.status FROM sync_runs r WHERE r.ad_account_id = a.id AND r.kind = k.kind \
           AND r.status IN ('succeeded', 'failed') ORDER BY r.finished_at DESC LIMIT 3) WHERE status = 'failed') = 3",
    ),
    (
        "token_expiring",
        "SELECT workspace_id, id AS subject_id, json_object('integration_id', id, 'status', status, 'expires_at', token_expires_at) AS detail \
         FROM integrations WHERE status = 'expired' OR (status = 'active' AND token_expires_at IS NOT NULL AND token_expires_at < ?2)",
    ),
    (
        "throttled",
        "SELECT workspace_id, ad_account_id AS subject_id, json_object('ad_account_id', 'act_' || ad_account_id, 'since', MIN(occurred_at), \
           'throttle_events', COUNT(*), 'last_code', MAX(graph_code)) AS detail \
         FROM meta_api_events WHERE kind = 'throttle' AND occurred_at >= ?3 AND occurred_at <= ?1 AND ad_account_id IS NOT NULL AND workspace_id IS NOT NULL \
         GROUP BY workspace_id, ad_account_id \
         HAVING COUNT(DISTINCT MIN(3, CAST((julianday(occurred_at) - julianday(?3)) * 96 AS INTEGER))) >= 4",
    ),
    (
        "dead_letter",
        "SELECT d.workspace_id, d.id AS subject_id, json_object('message_id', d.message_id, 'queue', d.queue, 'reason', d.reason, \
           'ad_account_id', d.ad_account_id, 'received_at', d.received_at) AS detail \
         FROM (SELECT id, message_id, queue, reason, received_at, json_extract(body, '$.workspace_id') AS workspace_id, \
           json_extract(body, '$.ad_account_id') AS ad_account_id FROM dead_letters WHERE received_at >= ?4 AND json_valid(body)) d \
         WHERE d.workspace_id IN (SELECT id FROM workspaces)",
    ),
    (
        "schema_drift",
        "SELECT workspace_id, id AS subject_id, json_object('api_version', api_version, 'endpoint', endpoint, 'kind', kind, 'field', field, \
           'detail', detail, 'occurred_at', occurred_at) AS detail FROM schema_drift_events WHERE occurred_at >= ?4",
    ),
    (
        "audit_gap",
        "SELECT workspace_id, id AS subject_id, json_object('correlation_id', correlation_id, 'kind', kind, 'mutations', mutations, \
           'audited', audited, 'first_mutation_at', first_mutation_at) AS detail FROM audit_gaps WHERE detected_at >= ?4",
    ),
];

/// Each kind's subjects found now, at most this many per kind.
pub const MAX_PER_KIND: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub workspace_id: String,
    pub kind: &'static str,
    pub subject_id: String,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Open {
    pub id: String,
    pub workspace_id: String,
    pub kind: String,
    pub subject_id: String,
}

/// What changes: alerts to open, open alerts seen again (with their fresh detail), and alerts
/// whose condition is gone.
#[derive(Debug, Default, PartialEq)]
pub struct Diff<'a> {
    pub open: Vec<&'a Found>,
    pub seen: Vec<(&'a Open, &'a Found)>,
    pub close: Vec<&'a Open>,
}

pub fn diff<'a>(found: &'a [Found], open: &'a [Open]) -> Diff<'a> {
    let same = |f: &Found, o: &Open| f.workspace_id == o.workspace_id && f.kind == o.kind && f.subject_id == o.subject_id;
    let mut d = Diff::default();
    for f in found {
        match open.iter().find(|o| same(f, o)) {
            Some(o) => d.seen.push((o, f)),
            None => d.open.push(f),
        }
    }
    d.close = open.iter().filter(|o| !found.iter().any(|f| same(f, o))).collect();
    d
}

/// The binds every finding query takes, for `now`.
pub fn horizons(now_ms: i64) -> Vec<crate::ports::Bind> {
    let iso = crate::timefmt::iso_from_millis;
    binds![iso(now_ms), iso(now_ms + TOKEN_DAYS * 86_400_000), iso(now_ms - 3_600_000), iso(now_ms - EVENT_HOURS * 3_600_000)]
}

/// What one evaluation did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Evaluated {
    pub opened: usize,
    pub closed: usize,
    pub open: usize,
}

/// Finds every kind's subjects, opens, refreshes and closes alerts in one batch, and queues
/// the notifications of those that opened.
pub async fn evaluate(ports: &dyn Ports) -> Result<Evaluated, Failure> {
    let now_ms = ports.now_millis();
    let mut found = Vec::new();
    for (kind, sql) in KINDS {
        let rows = ports.rows(Query::numbered(format!("{sql} LIMIT {MAX_PER_KIND}"), horizons(now_ms))).await?;
        found.extend(rows.iter().filter_map(|r| {
            Some(Found {
                workspace_id: r["workspace_id"].as_str()?.to_string(),
                kind,
                subject_id: r["subject_id"].as_str()?.to_string(),
                detail: r["detail"].as_str().and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null),
            })
        }));
    }
    let open: Vec<Open> = ports
        .rows(Query::new("SELECT id, workspace_id, kind, subject_id FROM service_alerts WHERE status = 'open' LIMIT 5000", vec![]))
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r).ok())
        .collect();
    let d = diff(&found, &open);
    if d.open.is_empty() && d.close.is_empty() && d.seen.is_empty() {
        return Ok(Evaluated::default());
    }
    let endpoints: Vec<String> = ports
        .rows(Query::new("SELECT workspace_id FROM notification_endpoints", vec![]))
        .await?
        .iter()
        .filter_map(|r| r["workspace_id"].as_str().map(str::to_string))
        .collect();
    let now = ports.now_iso();
    let mut writes = Vec::new();
    let mut jobs = Vec::new();
    for f in &d.open {
        let id = new_id("sal");
        let detail = f.detail.to_string();
        writes.push(Query::new(
            "INSERT INTO service_alerts (id, workspace_id, kind, subject_id, status, detail_json, opened_at, last_seen_at) \
             VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?6) ON CONFLICT DO NOTHING",
            binds![id.as_str(), f.workspace_id.as_str(), f.kind, f.subject_id.as_str(), detail, now.as_str()],
        ));
        if endpoints.contains(&f.workspace_id) {
            let nid = new_id("ntf");
            let body = json!({
                "id": nid, "event": "service_alert.opened", "created_at": now, "workspace_id": f.workspace_id,
                "service_alert": { "id": id, "kind": f.kind, "subject_id": f.subject_id, "detail": f.detail, "opened_at": now },
            });
            writes.push(notifications::insert(&f.workspace_id, &nid, "service_alert.opened", &id, &body.to_string(), &now));
            jobs.push(Job::Notification(nid));
        }
    }
    for (o, f) in &d.seen {
        writes.push(Query::new(
            "UPDATE service_alerts SET last_seen_at = ?2, detail_json = ?3 WHERE id = ?1",
            binds![o.id.as_str(), now.as_str(), f.detail.to_string()],
        ));
    }
    for o in &d.close {
        writes.push(Query::new(
            "UPDATE service_alerts SET status = 'closed', closed_at = ?2 WHERE id = ?1 AND status = 'open'",
            binds![o.id.as_str(), now.as_str()],
        ));
    }
    ports.batch(writes).await?;
    for job in jobs {
        if let Err(e) = ports.enqueue(job).await {
            ports.log_error(&format!("a service alert's notification waits for the sweep: {}", e.summary()));
        }
    }
    Ok(Evaluated { opened: d.open.len(), closed: d.close.len(), open: open.len() + d.open.len() - d.close.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn found(ws: &str, kind: &'static str, subject: &str) -> Found {
        Found { workspace_id: ws.into(), kind, subject_id: subject.into(), detail: Value::Null }
    }

    fn open(id: &str, ws: &str, kind: &str, subject: &str) -> Open {
        Open { id: id.into(), workspace_id: ws.into(), kind: kind.into(), subject_id: subject.into() }
    }

    #[test]
    fn new_conditions_open_known_ones_are_seen_and_gone_ones_close() {
        let f = [found("ws_1", "throttled", "100"), found("ws_1", "sync_failing", "100:structure"), found("ws_2", "throttled", "100")];
        let o = [open("sal_1", "ws_1", "throttled", "100"), open("sal_2", "ws_1", "token_expiring", "int_1")];
        let d = diff(&f, &o);
        assert_eq!(d.open, vec![&f[1], &f[2]], "the same subject in another workspace is its own alert");
        assert_eq!(d.seen, vec![(&o[0], &f[0])]);
        assert_eq!(d.close, vec![&o[1]]);
    }

    #[test]
    fn every_kind_is_bounded_by_the_caller_and_takes_the_same_binds() {
        for (kind, sql) in KINDS {
            assert!(!sql.contains("LIMIT ") || *kind == "sync_failing", "{kind}: the caller adds the limit");
            let highest = (1..=9).rev().find(|n| sql.contains(&format!("?{n}"))).unwrap_or(0);
            assert!(highest <= horizons(0).len(), "{kind} uses ?{highest}");
            assert!(sql.contains("workspace_id") && sql.contains("subject_id") && sql.contains("AS detail"), "{kind}");
        }
        let h = horizons(3_600_000);
        assert_eq!(h[2], crate::ports::Bind::Text("1970-01-01T00:00:00.000Z".into()));
    }
}
