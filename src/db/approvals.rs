//! `approvals`: actions held for a second person's decision, with who asked, who decided, why
//! it was held and what running it gave.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use crate::records::FieldError;
use serde::Deserialize;
use serde_json::{json, Value};

pub const COLUMNS: &str = "id, workspace_id, router, action, input_json, requested_by, idempotency_key, correlation_id, status, decided_by, decided_at, expires_at, result_json, created_at, updated_at, reasons_json, requested_by_member, decided_by_member";

/// A new pending approval.
pub struct NewApproval<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub router: &'a str,
    pub action: &'a str,
    pub input: &'a Value,
    pub requested_by: &'a str,
    pub requested_by_member: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub correlation_id: &'a str,
    pub expires_at: &'a str,
    pub reasons: &'a [String],
    pub now: &'a str,
}

pub fn insert(a: &NewApproval<'_>) -> Query {
    Query::new(
        format!("INSERT INTO approvals ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', NULL, NULL, ?9, NULL, ?10, ?10, ?11, ?12, NULL)"),
        binds![
            a.id,
            a.workspace_id,
            a.router,
            a.action,
            a.input.to_string(),
            a.requested_by,
            a.idempotency_key,
            a.correlation_id,
            a.expires_at,
            a.now,
            json!(a.reasons).to_string(),
            a.requested_by_member,
        ],
    )
}

#[derive(Deserialize)]
struct StatusRow {
    id: String,
    router: String,
    action: String,
    status: String,
    requested_by: String,
    requested_by_member: Option<String>,
    decided_by: Option<String>,
    decided_by_member: Option<String>,
    decided_at: Option<String>,
    expires_at: String,
    reasons_json: Option<String>,
    result_json: Option<String>,
    created_at: String,
}

/// One approval of the workspace as `get_approval_status` shows it (reasons and result parsed).
pub async fn status(ports: &dyn Ports, ws: &str, id: &str) -> Result<Value, Failure> {
    let r: StatusRow = super::first(
        ports,
        Query::new(
            "SELECT id, router, action, status, requested_by, requested_by_member, decided_by, decided_by_member, decided_at, \
             expires_at, reasons_json, result_json, created_at FROM approvals WHERE id = ?1 AND workspace_id = ?2",
            binds![id, ws],
        ),
    )
    .await?
    .ok_or_else(|| Failure::from(FieldError { field: "approval_id".into(), reason: "no such approval in this workspace".into() }))?;
    Ok(json!({
        "id": r.id, "router": r.router, "action": r.action, "status": r.status,
        "requested_by": r.requested_by, "requested_by_member": r.requested_by_member,
        "decided_by": r.decided_by, "decided_by_member": r.decided_by_member, "decided_at": r.decided_at,
        "expires_at": r.expires_at, "created_at": r.created_at,
        "reasons": super::parsed(r.reasons_json.as_deref()), "result": super::parsed(r.result_json.as_deref()),
    }))
}
