//! Campaign drafts: a whole tree kept in D1 before anything exists on Meta, edited by revision,
//! checked by our policies and by Meta (`validate_only`), and launched in order, resumably.

use super::create_ad_set::AdSetSpec;
use super::create_campaign::CampaignSpec;
use super::create_creative::CreativeSpec;
use crate::actions::action::Cx;
use crate::db::campaign_drafts::{self, DraftRow};
use crate::domain::{Bounded, List, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::records::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key naming an object inside a draft (letters, digits, `-` and `_`).
pub type Key = Text<40>;
/// A revision number, as the last edit returned it.
pub type Revision = Bounded<1, 1_000_000>;

/// An ad inside a draft ad set.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftAd {
    /// The ad's key in the draft.
    pub key: Key,
    /// The ad's name.
    pub name: Text<400>,
    /// The key of the draft creative it shows.
    pub creative_key: Key,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DraftAdSet {
    pub key: String,
    pub ad_set: AdSetSpec,
    pub ads: Vec<DraftAd>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DraftCreative {
    pub key: String,
    pub creative: CreativeSpec,
}

/// The most ad sets and creatives a draft holds, and ads per ad set.
pub const MAX_AD_SETS: usize = 50;
pub const MAX_CREATIVES: usize = 50;
pub const MAX_ADS_PER_SET: usize = 50;

/// A draft's tree.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Tree {
    pub campaign: Option<CampaignSpec>,
    #[serde(default)]
    pub ad_sets: Vec<DraftAdSet>,
    #[serde(default)]
    pub creatives: Vec<DraftCreative>,
}

pub type AdList = List<DraftAd, MAX_ADS_PER_SET>;

/// A draft as loaded for a change.
#[derive(Debug, Default)]
pub struct Draft {
    pub row: DraftRow,
    pub tree: Tree,
}

pub fn check_key(field: &str, key: &Key) -> Result<(), Failure> {
    if key.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(FieldError { field: field.into(), reason: "must hold only letters, digits, - and _".into() }.into())
    }
}

/// The workspace's draft `id` (404 otherwise: another workspace's drafts do not exist here).
pub async fn load(cx: &Cx<'_>, id: &str) -> Result<Draft, Failure> {
    let row = campaign_drafts::get(cx.ports, cx.workspace, id).await?.ok_or_else(|| {
        let mut p = Problem::new("not-found", "Not Found", 404, format!("no draft {} in this workspace", crate::problem::excerpt(id)));
        p.field = Some("draft_id".into());
        Failure::from(p)
    })?;
    let tree = serde_json::from_str(&row.tree_json).map_err(|e| Failure::Internal(format!("draft tree: {e}")))?;
    Ok(Draft { row, tree })
}

/// A draft to edit at the revision the editor saw: a stale revision is a conflict (someone
/// edited it since), and a launched draft is no longer a draft.
pub async fn load_for_edit(cx: &Cx<'_>, id: &str, seen: Revision) -> Result<Draft, Failure> {
    let draft = load(cx, id).await?;
    if draft.row.status == "launched" || draft.row.status == "launching" {
        return Err(Problem::conflict(format!("draft {id} is {}: edit a new draft", draft.row.status)).into());
    }
    if draft.row.revision != seen.get() {
        let mut p = Problem::conflict(format!("draft {id} is at revision {}, not {}: reload it and apply your edit again", draft.row.revision, seen.get()));
        p.field = Some("revision".into());
        return Err(p.into());
    }
    Ok(draft)
}

/// The answer of every draft edit.
pub fn answer(id: &str, revision: i64, tree: &Tree) -> serde_json::Value {
    serde_json::json!({ "draft_id": id, "revision": revision, "draft": tree })
}
