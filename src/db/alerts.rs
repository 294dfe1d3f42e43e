//! `alerts`: conditions an evaluation found, at most one open per object and kind.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Alert {
    pub id: String,
    pub ad_account_id: String,
    pub object_id: String,
    pub object_level: String,
    pub kind: String,
    pub status: String,
    pub evidence_json: String,
    pub opened_at: String,
    pub last_seen_at: String,
    pub closed_at: Option<String>,
}

const COLUMNS: &str = "id, ad_account_id, object_id, object_level, kind, status, evidence_json, opened_at, last_seen_at, closed_at";

/// The account's open alerts.
pub async fn open(ports: &dyn Ports, ws: &str, account: &str) -> Result<Vec<Alert>, Failure> {
    super::all(
        ports,
        Query::new(format!("SELECT {COLUMNS} FROM alerts WHERE workspace_id = ?1 AND ad_account_id = ?2 AND status = 'open'"), binds![ws, account]),
    )
    .await
}

pub struct Filter<'a> {
    pub account: Option<&'a str>,
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

/// The workspace's alerts, newest first.
pub async fn list(ports: &dyn Ports, ws: &str, f: &Filter<'_>) -> Result<Vec<Alert>, Failure> {
    super::all(
        ports,
        Query::new(
            format!(
                "SELECT {COLUMNS} FROM alerts WHERE workspace_id = ?1 AND (?2 IS NULL OR ad_account_id = ?2) AND (?3 IS NULL OR status = ?3) \
                 AND (?4 IS NULL OR kind = ?4) ORDER BY opened_at DESC, id LIMIT ?5 OFFSET ?6"
            ),
            binds![ws, f.account, f.status, f.kind, f.limit, f.offset],
        ),
    )
    .await
}

pub struct Found<'a> {
    pub id: &'a str,
    pub account: &'a str,
    pub object_id: &'a str,
    pub level: &'a str,
    pub kind: &'a str,
    pub evidence_json: &'a str,
}

/// Opens an alert; a concurrent evaluation that opened the same one first wins (one open per
/// object and kind), and this insert does nothing.
pub fn insert_open(ws: &str, a: &Found<'_>, now: &str) -> Query {
    Query::new(
        "INSERT INTO alerts (id, workspace_id, ad_account_id, object_id, object_level, kind, status, evidence_json, opened_at, last_seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?8) ON CONFLICT DO NOTHING",
        binds![a.id, ws, a.account, a.object_id, a.level, a.kind, a.evidence_json, now],
    )
}

/// Still there: the latest evidence.
pub fn seen(id: &str, evidence_json: &str, now: &str) -> Query {
    Query::new("UPDATE alerts SET evidence_json = ?2, last_seen_at = ?3 WHERE id = ?1 AND status = 'open'", binds![id, evidence_json, now])
}

pub fn close(id: &str, now: &str) -> Query {
    Query::new("UPDATE alerts SET status = 'closed', closed_at = ?2 WHERE id = ?1 AND status = 'open'", binds![id, now])
}
