//! The mirror of Meta's objects (`meta_campaigns`, `meta_ad_sets`, ...), as actions consult it
//! before touching Meta.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;

/// The mirrored tables an action may check an object against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mirror {
    Campaigns,
    AdSets,
}

impl Mirror {
    fn table(self) -> &'static str {
        match self {
            Mirror::Campaigns => "meta_campaigns",
            Mirror::AdSets => "meta_ad_sets",
        }
    }
}

#[derive(Deserialize)]
struct Row {
    ad_account_id: Option<String>,
}

/// The account the mirror has the object in, if it has it at all. Deliberately not scoped to a
/// workspace: an id mirrored under another account (perhaps another tenant's) is refused
/// before any Graph call, and only "not in your account" is said.
pub async fn account_of(ports: &dyn Ports, mirror: Mirror, id: &str) -> Result<Option<String>, Failure> {
    let row: Option<Row> = super::first(ports, Query::new(format!("SELECT ad_account_id FROM {} WHERE id = ?1", mirror.table()), binds![id])).await?;
    Ok(row.and_then(|r| r.ad_account_id))
}
