//! `api_version_pins`, `api_upgrade_plans` and `schema_drift_events`: the Graph API version a
//! workspace is pinned to, the upgrade plans made for it, and the drift its calls have seen.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;
use serde_json::{json, Value};

/// The version the workspace's calls use: its pin, else the deployment's default.
pub async fn effective(ports: &dyn Ports, ws: &str) -> Result<(String, bool), Failure> {
    #[derive(Deserialize)]
    struct Pin {
        api_version: String,
    }
    let pin: Option<Pin> = super::first(ports, Query::new("SELECT api_version FROM api_version_pins WHERE workspace_id = ?1", binds![ws])).await?;
    Ok(match pin {
        Some(p) => (p.api_version, true),
        None => (ports.deployment().meta_api_version, false),
    })
}

/// The version the workspace's calls use, whether it is pinned, and where it stands in Meta's
/// calendar on the day of `now_millis`.
pub async fn standing(ports: &dyn Ports, ws: &str) -> Result<(String, bool, Value), Failure> {
    let (version, pinned) = effective(ports, ws).await?;
    let calendar = crate::api_versions::standing(&version, crate::timefmt::date_from_millis(ports.now_millis()));
    Ok((version, pinned, calendar))
}

pub fn pin(ws: &str, version: &str, previous: &str, plan_id: &str, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO api_version_pins (workspace_id, api_version, previous_version, plan_id, pinned_by, pinned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (workspace_id) DO UPDATE SET api_version = excluded.api_version, previous_version = excluded.previous_version, \
         plan_id = excluded.plan_id, pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at",
        binds![ws, version, previous, plan_id, by, now],
    )
}

#[derive(Debug, Deserialize)]
pub struct PlanRow {
    pub id: String,
    pub from_version: String,
    pub to_version: String,
    pub report_json: String,
    pub created_at: String,
}

pub fn insert_plan(ws: &str, id: &str, from: &str, to: &str, report: &Value, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO api_upgrade_plans (id, workspace_id, from_version, to_version, report_json, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        binds![id, ws, from, to, report.to_string(), by, now],
    )
}

pub async fn plan(ports: &dyn Ports, ws: &str, id: &str) -> Result<Option<PlanRow>, Failure> {
    super::first(
        ports,
        Query::new("SELECT id, from_version, to_version, report_json, created_at FROM api_upgrade_plans WHERE id = ?1 AND workspace_id = ?2", binds![id, ws]),
    )
    .await
}

/// The newest plans, newest first.
pub async fn recent_plans(ports: &dyn Ports, ws: &str, limit: i64) -> Result<Vec<Value>, Failure> {
    let rows: Vec<PlanRow> = super::all(
        ports,
        Query::new(
            "SELECT id, from_version, to_version, report_json, created_at FROM api_upgrade_plans WHERE workspace_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
            binds![ws, limit],
        ),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let report = super::parsed(Some(&p.report_json));
            json!({ "id": p.id, "from_version": p.from_version, "to_version": p.to_version, "created_at": p.created_at,
                    "safe": report["safe"], "blocking": report["blocking"].as_array().map_or(0, Vec::len) })
        })
        .collect())
}

/// Drift events since `since`, newest first (at most `limit`), and their counts by kind.
pub async fn drift(ports: &dyn Ports, ws: &str, since: &str, limit: i64) -> Result<Value, Failure> {
    let events = ports
        .rows(Query::new(
            "SELECT api_version, endpoint, kind, field, before_type, after_type, detail, occurred_at FROM schema_drift_events \
             WHERE workspace_id = ?1 AND occurred_at >= ?2 ORDER BY occurred_at DESC, id DESC LIMIT ?3",
            binds![ws, since, limit],
        ))
        .await?;
    let counts = ports
        .rows(Query::new(
            "SELECT kind, COUNT(*) AS count FROM schema_drift_events WHERE workspace_id = ?1 AND occurred_at >= ?2 GROUP BY kind ORDER BY kind",
            binds![ws, since],
        ))
        .await?;
    let total: i64 = counts.iter().map(|c| c["count"].as_i64().unwrap_or(0)).sum();
    Ok(json!({ "since": since, "total": total, "by_kind": counts, "events": events }))
}
