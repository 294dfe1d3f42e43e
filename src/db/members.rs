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

/// The role a member acts with if they still may: a member of the workspace with a live key.
pub async fn live_role(ports: &dyn Ports, workspace_id: &str, member_id: &str) -> Result<Option<crate::api_keys::Role>, Failure> {
    #[derive(Deserialize)]
    struct Live {
        role: String,
        live_keys: i64,
    }
    let sql = "SELECT m.role, (SELECT COUNT(*) FROM api_keys k WHERE k.member_id = m.id AND k.revoked_at IS NULL) AS live_keys \
               FROM members m WHERE m.id = ?1 AND m.workspace_id = ?2";
    let live: Option<Live> = super::first(ports, Query::new(sql, binds![member_id, workspace_id])).await?;
    Ok(live.filter(|m| m.live_keys > 0).and_then(|m| crate::api_keys::Role::parse(&m.role)))
}
