//! `recruiter_paid_media/create_ad_set_draft`: Adds an ad set with its ads to a draft, or replaces
//! the one with the same key, at the revision the caller saw. Checked against Meta's rules and
//! the draft campaign's category (audience limits of job, housing and credit ads).

use super::create_ad_set::{has_campaign_budget, AdSetSpec};
use super::create_campaign_draft::save;
use super::drafts::{self, check_key, AdList, Draft, DraftAdSet, Key, Revision, MAX_AD_SETS};
use super::{bad, check_audience};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts::BoundAccount;
use crate::domain::{Targeting, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Adds an ad set with its ads to a draft, or replaces the one with the same key.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The draft.
    pub draft_id: Text<64>,
    /// The draft's revision the caller saw.
    pub revision: Revision,
    /// The ad set's key in the draft (replaces an ad set with the same key).
    pub key: Key,
    /// The ad set's settings.
    pub ad_set: AdSetSpec,
    /// Its ads, each showing a draft creative by key.
    pub ads: AdList,
}

/// The campaign of a draft as Meta would see it, for the checks that read one.
pub fn draft_campaign(draft: &Draft) -> Result<serde_json::Value, Failure> {
    let c = draft.tree.campaign.as_ref().ok_or_else(|| bad("draft_id", "the draft has no campaign yet"))?;
    Ok(
        json!({ "special_ad_categories": c.categories(), "special_ad_category_country": c.special_ad_category_country, "daily_budget": c.daily_budget_minor.map(|b| b.get().to_string()), "lifetime_budget": c.lifetime_budget_minor.map(|b| b.get().to_string()) }),
    )
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Draft;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Adds an ad set with its ads to a draft (or replaces the one with the same key) at the revision the caller saw; checked against Meta's rules and the campaign's category.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Draft>, Failure> {
        check_key("key", &input.key)?;
        for (i, ad) in input.ads.items().iter().enumerate() {
            check_key(&format!("ads[{i}].key"), &ad.key)?;
        }
        let draft = drafts::load_for_edit(cx, input.draft_id.as_str(), input.revision).await?;
        let campaign = draft_campaign(&draft)?;
        input.ad_set.check_meta_rules(has_campaign_budget(&campaign))?;
        let account = BoundAccount { id: draft.row.ad_account_id.clone(), integration_id: String::new() };
        check_audience_offline(cx, &account, &campaign, &input.ad_set).await?;
        let adding = !draft.tree.ad_sets.iter().any(|s| s.key == input.key.as_str());
        if adding && draft.tree.ad_sets.len() >= MAX_AD_SETS {
            return Err(bad("key", format!("a draft holds at most {MAX_AD_SETS} ad sets")));
        }
        Ok(Plan::go(draft))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, draft: Draft) -> Result<Change, Failure> {
        let mut tree = draft.tree.clone();
        let set = DraftAdSet { key: input.key.as_str().to_string(), ad_set: input.ad_set.clone(), ads: input.ads.items().to_vec() };
        match tree.ad_sets.iter_mut().find(|s| s.key == set.key) {
            Some(slot) => *slot = set,
            None => tree.ad_sets.push(set),
        }
        save(cx, &draft, &tree, json!({ "ad_set": input.key.as_str() }))
    }
}

/// The audience checks a draft can make without Meta: location and the category's limits. Those
/// that ask Meta (lookalikes, allowed options) run at validation and launch.
async fn check_audience_offline(cx: &Cx<'_>, account: &BoundAccount, campaign: &serde_json::Value, spec: &AdSetSpec) -> Result<(), Failure> {
    let offline = Targeting { custom_audiences: None, flexible_spec: None, ..spec.targeting.clone() };
    check_audience(cx, account, campaign, &offline).await
}
