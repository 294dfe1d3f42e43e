//! Data access by table: the SQL and the row structs of each table in its own module. Every
//! read of workspace data takes the workspace, so scoping is in the query, not left to callers.

pub mod ad_accounts;
pub mod alerts;
pub mod api_versions;
pub mod approvals;
pub mod audit_log;
pub mod campaign_drafts;
pub mod governance_policies;
pub mod insights_read;
pub mod insights_settings;
pub mod integrations;
pub mod members;
pub mod meta_api_events;
pub mod meta_objects;
pub mod notifications;
pub mod optimizations;
pub mod reports;
pub mod rules;
pub mod workspaces;

use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn decode<T: DeserializeOwned>(row: Value) -> Result<T, Failure> {
    serde_json::from_value(row).map_err(|e| Failure::Internal(format!("row decode: {e}")))
}

/// Every row of `q`, typed.
pub async fn all<T: DeserializeOwned>(ports: &dyn Ports, q: Query) -> Result<Vec<T>, Failure> {
    ports.rows(q).await?.into_iter().map(decode).collect()
}

/// The first row of `q`, typed.
pub async fn first<T: DeserializeOwned>(ports: &dyn Ports, q: Query) -> Result<Option<T>, Failure> {
    ports.rows(q).await?.into_iter().next().map(decode).transpose()
}

/// A JSON text column parsed (`null` when empty or not JSON).
pub fn parsed(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null)
}
