//! `members`: the people of a workspace, each with a role their keys carry.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct MemberRow {
    pub role: String,
}

/// The member with this id in this workspace, if any.
pub async fn member_of(ports: &dyn Ports, workspace_id: &str, member_id: &str) -> Result<Option<MemberRow>, Failure> {
    super::first(ports, Query::new("SELECT role FROM members WHERE id = ?1 AND workspace_id = ?2", binds![member_id, workspace_id])).await
}
