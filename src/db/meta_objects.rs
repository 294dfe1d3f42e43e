//! The mirror of Meta's objects (`meta_campaigns`, `meta_ad_sets`, `meta_ads`, `meta_creatives`),
//! as actions consult it before touching Meta and refresh it after changing an object.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Bind, Ports, Query};
use crate::sync::structure::{self, ObjectKind};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Row {
    ad_account_id: Option<String>,
}

/// The account the mirror has the object in, if it has it at all. Deliberately not scoped to a
/// workspace: an id mirrored under another account (perhaps another tenant's) is refused
/// before any Graph call, and only "not in your account" is said.
pub async fn account_of(ports: &dyn Ports, kind: ObjectKind, id: &str) -> Result<Option<String>, Failure> {
    let row: Option<Row> = super::first(ports, Query::new(format!("SELECT ad_account_id FROM {} WHERE id = ?1", kind.table()), binds![id])).await?;
    Ok(row.and_then(|r| r.ad_account_id))
}

/// The upsert of one object as Meta returned it after a change, so lists and dashboards see the
/// change before the next sync. `run_id` names what wrote it (the action).
pub fn upsert(kind: ObjectKind, object: &Value, account: &str, workspace: &str, run_id: &str, now: &str) -> Option<Query> {
    let row = structure::row(kind, object, account, workspace, run_id, now).ok()?;
    Some(Query::new(kind.upsert_page_sql(), vec![Bind::from(Value::Array(vec![Value::Array(row)]).to_string())]))
}

/// What a list of mirrored objects is filtered by. Every filter is bound, never spliced.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The bound accounts to list from (digits).
    pub accounts: Vec<String>,
    /// A parent column and id (`campaign_id` or `adset_id`).
    pub parent: Option<(&'static str, String)>,
    /// Effective statuses to keep (empty: all but DELETED and ARCHIVED).
    pub statuses: Vec<String>,
    pub name_contains: Option<String>,
    /// Only objects Meta created at or before this Unix time.
    pub created_by_unix: Option<i64>,
    /// Keyset paging: ids after this one.
    pub after_id: Option<String>,
    pub limit: i64,
}

/// Meta's times (`2026-11-23T10:00:00-0800`) as Unix seconds in SQL: the offset has no colon,
/// which SQLite's date functions do not read, so it is applied by hand.
fn unix_sql(column: &str) -> String {
    format!(
        "(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) - (CASE substr({column}, 20, 1) WHEN '-' THEN -1 ELSE 1 END) \
         * (CAST(substr({column}, 21, 2) AS INTEGER) * 3600 + CAST(substr({column}, 23, 2) AS INTEGER) * 60))"
    )
}

/// One page of a workspace's mirrored objects of `kind`, by id, with when each row was written.
pub async fn list(ports: &dyn Ports, workspace: &str, kind: ObjectKind, q: &ListQuery) -> Result<Vec<Value>, Failure> {
    let accounts = serde_json::to_string(&q.accounts).unwrap_or_default();
    let statuses = serde_json::to_string(&q.statuses).unwrap_or_default();
    let (parent_col, parent_id) = q.parent.clone().map(|(c, id)| (c, Some(id))).unwrap_or(("id", None));
    let sql = format!(
        "SELECT raw_json, synced_at, sync_run_id FROM {table} WHERE workspace_id = ?1 AND ad_account_id IN (SELECT value FROM json_each(?2)) \
         AND (?3 IS NULL OR {parent_col} = ?3) \
         AND (CASE WHEN json_array_length(?4) = 0 THEN COALESCE(effective_status, '') NOT IN ('DELETED', 'ARCHIVED') ELSE effective_status IN (SELECT value FROM json_each(?4)) END) \
         AND (?5 IS NULL OR instr(lower(name), lower(?5)) > 0) AND (?6 IS NULL OR {created} <= ?6) AND (?7 IS NULL OR id > ?7) \
         ORDER BY id LIMIT ?8",
        table = kind.table(),
        created = unix_sql("meta_created_time"),
    );
    let binds = vec![
        Bind::from(workspace),
        Bind::from(accounts),
        parent_id.map(Bind::from).unwrap_or(Bind::Null),
        Bind::from(statuses),
        q.name_contains.clone().map(Bind::from).unwrap_or(Bind::Null),
        q.created_by_unix.map(Bind::from).unwrap_or(Bind::Null),
        q.after_id.clone().map(Bind::from).unwrap_or(Bind::Null),
        Bind::from(q.limit),
    ];
    #[derive(Deserialize)]
    struct Mirrored {
        raw_json: String,
        synced_at: String,
        sync_run_id: Option<String>,
    }
    let rows: Vec<Mirrored> = super::all(ports, Query::new(sql, binds)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut v = super::parsed(Some(&r.raw_json));
            v["mirrored_at"] = Value::from(r.synced_at);
            v["mirrored_by"] = Value::from(r.sync_run_id.unwrap_or_default());
            v
        })
        .collect())
}

/// When each account's structure was last synced from Meta (Unix seconds), for freshness.
pub async fn structure_synced(ports: &dyn Ports, workspace: &str, accounts: &[String]) -> Result<Vec<(String, Option<i64>)>, Failure> {
    #[derive(Deserialize)]
    struct Synced {
        ad_account_id: String,
        structure_synced_unix: Option<i64>,
    }
    let q = Query::new(
        "SELECT ad_account_id, structure_synced_unix FROM sync_state WHERE workspace_id = ?1 AND ad_account_id IN (SELECT value FROM json_each(?2))",
        binds![workspace, serde_json::to_string(accounts).unwrap_or_default()],
    );
    let rows: Vec<Synced> = super::all(ports, q).await?;
    Ok(accounts.iter().map(|a| (a.clone(), rows.iter().find(|r| &r.ad_account_id == a).and_then(|r| r.structure_synced_unix))).collect())
}
