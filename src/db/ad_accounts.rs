//! `ad_accounts`: the Meta ad accounts bound to a workspace, and the one lookup every action
//! uses to find "the bound account of this workspace" (with one message when it is not).

use crate::binds;
use crate::domain::AdAccountId;
use crate::failure::Failure;
use crate::ports::{Ports, Query, Scope};
use crate::problem::Problem;
use crate::records::FieldError;
use serde::Deserialize;
use serde_json::Value;

/// A bound ad account and the integration its calls go through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoundAccount {
    /// Digits, without `act_`.
    pub id: String,
    pub integration_id: String,
}

impl BoundAccount {
    /// Where a Graph call for this account comes from.
    pub fn scope<'a>(&'a self, workspace_id: &'a str) -> Scope<'a> {
        Scope { workspace_id, integration_id: Some(&self.integration_id), ad_account_id: Some(&self.id), api_version: None }
    }
}

#[derive(Deserialize)]
struct BindingRow {
    id: String,
    integration_id: Option<String>,
    updated_at: Option<String>,
}

pub fn not_bound(field: &str, account: &str) -> Failure {
    FieldError { field: field.into(), reason: format!("act_{account} is not bound to this workspace") }.into()
}

async fn binding(ports: &dyn Ports, ws: &str, account: &str) -> Result<Option<BindingRow>, Failure> {
    super::first(ports, Query::new("SELECT id, integration_id, updated_at FROM ad_accounts WHERE id = ?1 AND workspace_id = ?2", binds![account, ws])).await
}

/// The integration `account` (digits) is bound to the workspace through, if it is.
pub async fn integration_of(ports: &dyn Ports, ws: &str, account: &str) -> Result<Option<String>, Failure> {
    Ok(binding(ports, ws, account).await?.and_then(|b| b.integration_id))
}

/// The account named by `field`, which must be bound to the workspace (through any integration).
/// Returns the binding as stored (id, integration, updated_at) for audit rows.
pub async fn bound_row(ports: &dyn Ports, ws: &str, field: &str, account: &AdAccountId) -> Result<Value, Failure> {
    let row = binding(ports, ws, account.digits()).await?.ok_or_else(|| not_bound(field, account.digits()))?;
    Ok(serde_json::json!({ "id": row.id, "integration_id": row.integration_id, "updated_at": row.updated_at }))
}

/// The account named by `field`, which must be bound to the workspace through an integration.
pub async fn bound(ports: &dyn Ports, ws: &str, field: &str, account: &AdAccountId) -> Result<BoundAccount, Failure> {
    let id = account.digits();
    let row = binding(ports, ws, id).await?.ok_or_else(|| not_bound(field, id))?;
    let integration_id =
        row.integration_id.ok_or_else(|| Failure::from(Problem::conflict(format!("ad account act_{id} has no Meta integration; bind it through one"))))?;
    Ok(BoundAccount { id: id.to_string(), integration_id })
}

/// Whether the account (digits) is bound to the workspace.
pub async fn is_bound(ports: &dyn Ports, ws: &str, account: &str) -> Result<bool, Failure> {
    Ok(binding(ports, ws, account).await?.is_some())
}

pub fn set_integration(ws: &str, account: &str, integration_id: &str, now: &str) -> Query {
    Query::new("UPDATE ad_accounts SET integration_id = ?2, updated_at = ?3 WHERE id = ?1 AND workspace_id = ?4", binds![account, integration_id, now, ws])
}

/// Every ad account bound to the workspace, by id, with its binding and last sync.
pub async fn list(ports: &dyn Ports, ws: &str) -> Result<Vec<Value>, Failure> {
    let q = Query::new(
        "SELECT a.id, a.name, a.currency, a.timezone_name, a.status, a.integration_id, a.verified, a.last_synced_at, s.structure_synced_unix \
         FROM ad_accounts a LEFT JOIN sync_state s ON s.ad_account_id = a.id AND s.workspace_id = a.workspace_id WHERE a.workspace_id = ?1 ORDER BY a.id",
        binds![ws],
    );
    ports.rows(q).await
}
