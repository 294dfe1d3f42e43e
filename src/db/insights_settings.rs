//! `insights_settings`: which breakdowns and attribution windows a workspace mirrors, and how far back.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
struct Row {
    breakdown_sets_json: Option<String>,
    attribution_windows_json: Option<String>,
    backfill_days: Option<i64>,
    attribution_window_days: Option<i64>,
}

/// The stored settings as the API shows them, if any were set.
pub async fn get(ports: &dyn Ports, ws: &str) -> Result<Option<Value>, Failure> {
    let row: Option<Row> = super::first(
        ports,
        Query::new(
            "SELECT breakdown_sets_json, attribution_windows_json, backfill_days, attribution_window_days FROM insights_settings WHERE workspace_id = ?1",
            binds![ws],
        ),
    )
    .await?;
    Ok(row.map(|r| {
        json!({
            "breakdown_sets_json": r.breakdown_sets_json, "attribution_windows_json": r.attribution_windows_json,
            "backfill_days": r.backfill_days, "attribution_window_days": r.attribution_window_days,
        })
    }))
}

pub fn upsert(ws: &str, breakdown_sets: &Value, windows: &Value, backfill_days: i64, window_days: i64, now: &str) -> Query {
    Query::new(
        "INSERT INTO insights_settings (workspace_id, breakdown_sets_json, attribution_windows_json, backfill_days, attribution_window_days, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (workspace_id) DO UPDATE SET breakdown_sets_json = excluded.breakdown_sets_json, attribution_windows_json = excluded.attribution_windows_json, \
         backfill_days = excluded.backfill_days, attribution_window_days = excluded.attribution_window_days, updated_at = excluded.updated_at",
        binds![ws, breakdown_sets.to_string(), windows.to_string(), backfill_days, window_days, now],
    )
}
