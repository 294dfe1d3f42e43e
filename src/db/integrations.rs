//! `integrations`: a workspace's Meta connections (system user or OAuth), their status and
//! sealed token. Nothing here ever reads the token out: `PUBLIC_COLUMNS` leaves it behind.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use crate::records::FieldError;
use serde::Deserialize;
use serde_json::Value;

pub const PUBLIC_COLUMNS: &str = "id, kind, status, meta_user_id, token_key_id, token_expires_at, scopes, created_at, updated_at";

/// The workspace's integrations, without their tokens.
pub async fn list(ports: &dyn Ports, ws: &str) -> Result<Vec<Value>, Failure> {
    super::all(ports, Query::new(format!("SELECT {PUBLIC_COLUMNS} FROM integrations WHERE workspace_id = ?1 ORDER BY created_at, id"), binds![ws])).await
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    pub updated_at: Option<String>,
}

/// One of the workspace's integrations (named by `field`), or a 422 naming it.
pub async fn status_of(ports: &dyn Ports, ws: &str, field: &str, id: &str) -> Result<Status, Failure> {
    super::first(ports, Query::new("SELECT id, status, updated_at FROM integrations WHERE id = ?1 AND workspace_id = ?2", binds![id, ws]))
        .await?
        .ok_or_else(|| FieldError { field: field.into(), reason: format!("no integration {} in this workspace", crate::problem::excerpt(id)) }.into())
}

pub fn set_status(ws: &str, id: &str, status: &str, now: &str) -> Query {
    Query::new("UPDATE integrations SET status = ?3, updated_at = ?2 WHERE id = ?1 AND workspace_id = ?4", binds![id, now, status, ws])
}
