//! `workspaces`: the tenants.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use crate::problem::Problem;
use serde_json::Value;

pub const COLUMNS: &str = "id, name, currency, timezone_name, created_at, updated_at";

/// The workspace row, or a 404 problem.
pub async fn must_exist(ports: &dyn Ports, id: &str) -> Result<Value, Failure> {
    super::first::<Value>(ports, Query::new(format!("SELECT {COLUMNS} FROM workspaces WHERE id = ?1"), binds![id]))
        .await?
        .ok_or_else(|| Problem::new("not-found", "Not Found", 404, format!("no workspace {id}")).into())
}
