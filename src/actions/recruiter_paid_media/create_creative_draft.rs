//! `recruiter_paid_media/create_creative_draft`: Adds a creative to a draft, or replaces the one
//! with the same key, at the revision the caller saw.

use super::bad;
use super::create_campaign_draft::save;
use super::create_creative::CreativeSpec;
use super::drafts::{self, check_key, Draft, DraftCreative, Key, Revision, MAX_CREATIVES};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::domain::Text;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Adds a creative to a draft, or replaces the one with the same key.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The draft.
    pub draft_id: Text<64>,
    /// The draft's revision the caller saw.
    pub revision: Revision,
    /// The creative's key in the draft (ads name it as `creative_key`).
    pub key: Key,
    /// The creative's content.
    pub creative: CreativeSpec,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Draft;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Adds a creative to a draft (or replaces the one with the same key) at the revision the caller saw.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Draft>, Failure> {
        check_key("key", &input.key)?;
        input.creative.check()?;
        let draft = drafts::load_for_edit(cx, input.draft_id.as_str(), input.revision).await?;
        if !draft.tree.creatives.iter().any(|c| c.key == input.key.as_str()) && draft.tree.creatives.len() >= MAX_CREATIVES {
            return Err(bad("key", format!("a draft holds at most {MAX_CREATIVES} creatives")));
        }
        Ok(Plan::go(draft))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, draft: Draft) -> Result<Change, Failure> {
        let mut tree = draft.tree.clone();
        let c = DraftCreative { key: input.key.as_str().to_string(), creative: input.creative.clone() };
        match tree.creatives.iter_mut().find(|x| x.key == c.key) {
            Some(slot) => *slot = c,
            None => tree.creatives.push(c),
        }
        save(cx, &draft, &tree, json!({ "creative": input.key.as_str() }))
    }
}
