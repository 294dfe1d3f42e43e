//! `optimization_settings` and `optimizations`: the rules an optimisation is held to, and every
//! field it changed (the snapshot a rollback puts back).

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::{Deserialize, Serialize};

/// How fresh the data behind a change must be, how long an object rests after a change, and how
/// many changes a workspace makes in any 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Settings {
    pub freshness_max_minutes: i64,
    pub cooldown_minutes: i64,
    pub daily_change_cap: i64,
}

/// A workspace that set nothing: insights synced within 6 hours (the 15-minute cron keeps them
/// far fresher), 12 hours between changes to one object (Meta's delivery needs time to settle
/// before another change can be judged), 20 object changes a day.
pub const DEFAULTS: Settings = Settings { freshness_max_minutes: 360, cooldown_minutes: 720, daily_change_cap: 20 };

pub async fn settings(ports: &dyn Ports, ws: &str) -> Result<Settings, Failure> {
    let q = Query::new("SELECT freshness_max_minutes, cooldown_minutes, daily_change_cap FROM optimization_settings WHERE workspace_id = ?1", binds![ws]);
    Ok(super::first(ports, q).await?.unwrap_or(DEFAULTS))
}

pub fn upsert_settings(ws: &str, s: &Settings, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO optimization_settings (workspace_id, freshness_max_minutes, cooldown_minutes, daily_change_cap, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (workspace_id) DO UPDATE SET freshness_max_minutes = excluded.freshness_max_minutes, cooldown_minutes = excluded.cooldown_minutes, \
         daily_change_cap = excluded.daily_change_cap, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        binds![ws, s.freshness_max_minutes, s.cooldown_minutes, s.daily_change_cap, by, now],
    )
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Row {
    pub id: String,
    pub ad_account_id: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub field: String,
    pub before_value: String,
    pub after_value: String,
    pub suggestion_kind: Option<String>,
    pub data_as_of: Option<String>,
    pub applied_by: String,
    pub applied_at: String,
    pub applied_at_ms: i64,
    pub rolled_back_at: Option<String>,
    pub rolled_back_by: Option<String>,
}

pub fn insert(ws: &str, r: &Row) -> Query {
    Query::new(
        "INSERT INTO optimizations (id, workspace_id, ad_account_id, action, object_kind, object_id, field, before_value, after_value, suggestion_kind, data_as_of, \
         applied_by, applied_at, applied_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        binds![
            r.id.as_str(),
            ws,
            r.ad_account_id.as_str(),
            r.action.as_str(),
            r.object_kind.as_str(),
            r.object_id.as_str(),
            r.field.as_str(),
            r.before_value.as_str(),
            r.after_value.as_str(),
            r.suggestion_kind.clone(),
            r.data_as_of.clone(),
            r.applied_by.as_str(),
            r.applied_at.as_str(),
            r.applied_at_ms
        ],
    )
}

/// The fields one optimisation changed, in this workspace only.
pub async fn get(ports: &dyn Ports, ws: &str, id: &str) -> Result<Vec<Row>, Failure> {
    let q = Query::new(
        "SELECT id, ad_account_id, action, object_kind, object_id, field, before_value, after_value, suggestion_kind, data_as_of, applied_by, applied_at, \
         applied_at_ms, rolled_back_at, rolled_back_by FROM optimizations WHERE workspace_id = ?1 AND id = ?2 ORDER BY object_id, field",
        binds![ws, id],
    );
    super::all(ports, q).await
}

/// Marks an optimisation rolled back; a second rollback finds nothing left to mark.
pub fn mark_rolled_back(ws: &str, id: &str, by: &str, now: &str) -> Query {
    Query::new(
        "UPDATE optimizations SET rolled_back_at = ?3, rolled_back_by = ?4 WHERE workspace_id = ?1 AND id = ?2 AND rolled_back_at IS NULL",
        binds![ws, id, now, by],
    )
}

/// What the guards need: object changes since `since_ms` in the workspace, and the latest change
/// to each of `objects` since then.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Recent {
    pub changes: i64,
    /// `[[object_id, applied_at_ms], ...]` as JSON text.
    pub latest_json: Option<String>,
}

pub async fn recent(ports: &dyn Ports, ws: &str, since_ms: i64, cooldown_since_ms: i64, objects: &[String]) -> Result<Recent, Failure> {
    let q = Query::new(
        "SELECT (SELECT COUNT(*) FROM optimizations WHERE workspace_id = ?1 AND applied_at_ms > ?2) AS changes, \
         (SELECT json_group_array(json_array(object_id, t)) FROM (SELECT object_id, MAX(applied_at_ms) AS t FROM optimizations \
          WHERE workspace_id = ?1 AND applied_at_ms > ?3 AND object_id IN (SELECT value FROM json_each(?4)) GROUP BY object_id)) AS latest_json",
        binds![ws, since_ms, cooldown_since_ms, serde_json::Value::from(objects.to_vec()).to_string()],
    );
    Ok(super::first(ports, q).await?.unwrap_or_default())
}
