//! `notification_endpoints` and `notifications`: where a workspace's notifications go, and each
//! notification with its delivery state.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    pub url: String,
    pub secret_sealed: String,
    pub updated_at: String,
}

/// The vault binds a sealed secret to this row id.
pub fn secret_row_id(ws: &str) -> String {
    format!("notify:{ws}")
}

pub async fn endpoint(ports: &dyn Ports, ws: &str) -> Result<Option<Endpoint>, Failure> {
    super::first(ports, Query::new("SELECT url, secret_sealed, updated_at FROM notification_endpoints WHERE workspace_id = ?1", binds![ws])).await
}

pub fn set_endpoint(ws: &str, url: &str, secret_sealed: &str, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO notification_endpoints (workspace_id, url, secret_sealed, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace_id) DO UPDATE SET url = excluded.url, secret_sealed = excluded.secret_sealed, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        binds![ws, url, secret_sealed, by, now],
    )
}

pub fn remove_endpoint(ws: &str) -> Query {
    Query::new("DELETE FROM notification_endpoints WHERE workspace_id = ?1", binds![ws])
}

#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub id: String,
    pub workspace_id: String,
    pub event: String,
    pub body_json: String,
    pub status: String,
    pub attempts: i64,
}

/// A notification to deliver, written with the event that caused it. It is kept only when the
/// workspace has an endpoint and, for an alert, when that alert was stored open (an evaluation
/// racing another whose insert won sends nothing), both checked in the same statement.
pub fn insert(ws: &str, id: &str, event: &str, subject: &str, body_json: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO notifications (id, workspace_id, event, subject_id, body_json, status, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6 WHERE EXISTS (SELECT 1 FROM notification_endpoints WHERE workspace_id = ?2) \
         AND (?3 != 'alert.opened' OR EXISTS (SELECT 1 FROM alerts WHERE id = ?4 AND workspace_id = ?2 AND status = 'open'))",
        binds![id, ws, event, subject, body_json, now],
    )
}

pub async fn get(ports: &dyn Ports, id: &str) -> Result<Option<Notification>, Failure> {
    super::first(ports, Query::new("SELECT id, workspace_id, event, body_json, status, attempts FROM notifications WHERE id = ?1", binds![id])).await
}

pub fn delivered(id: &str, now: &str) -> Query {
    Query::new(
        "UPDATE notifications SET status = 'delivered', attempts = attempts + 1, last_error = NULL, delivered_at = ?2, updated_at = ?2 WHERE id = ?1",
        binds![id, now],
    )
}

/// A failed attempt; the last one fails the notification for good.
pub fn attempt_failed(id: &str, error: &str, last: bool, now: &str) -> Query {
    Query::new(
        "UPDATE notifications SET attempts = attempts + 1, last_error = ?2, status = CASE WHEN ?3 = 1 THEN 'failed' ELSE status END, updated_at = ?4 WHERE id = ?1",
        binds![id, error, last as i64, now],
    )
}

/// Pending notifications whose message was lost (untouched since `stale_before`).
pub async fn stalled(ports: &dyn Ports, stale_before: &str) -> Result<Vec<String>, Failure> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = super::all(
        ports,
        Query::new("SELECT id FROM notifications WHERE status = 'pending' AND updated_at < ?1 ORDER BY updated_at LIMIT 200", binds![stale_before]),
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

pub fn touch(id: &str, now: &str) -> Query {
    Query::new("UPDATE notifications SET updated_at = ?2 WHERE id = ?1", binds![id, now])
}
