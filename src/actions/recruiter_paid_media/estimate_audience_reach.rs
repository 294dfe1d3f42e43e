//! `recruiter_paid_media/estimate_audience_reach`: How many people an audience reaches, by Meta's
//! reach estimate, and (with an optimisation goal) its delivery estimate: daily outcomes by
//! spend. The spec is checked first as an ad set's would be, against the campaign's category.

use super::{bad, check_audience, read_object};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::objects::graph_read;
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, MetaId, OptimizationGoal, SpecialAdCategory, Targeting};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How many people an audience reaches.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The audience.
    pub targeting: Targeting,
    /// With a goal, Meta's delivery estimate too.
    pub optimization_goal: Option<OptimizationGoal>,
    /// Check the spec against this campaign's special ad category.
    pub campaign_id: Option<MetaId>,
    /// Or against this category directly (EMPLOYMENT for job ads).
    pub special_ad_category: Option<SpecialAdCategory>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "How many people an audience reaches (Meta's reach estimate) and, with an optimisation goal, its delivery estimate; the spec is checked first against the special ad category.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let campaign = match (&input.campaign_id, input.special_ad_category) {
            (Some(_), Some(_)) => return Err(bad("special_ad_category", "name a campaign or a category, not both")),
            (Some(c), None) => read_object(cx, &account, "campaign_id", c.as_str(), ObjectKind::Campaign).await?,
            (None, Some(c)) => json!({ "special_ad_categories": [c.as_str()] }),
            (None, None) => json!({}),
        };
        check_audience(cx, &account, &campaign, &input.targeting).await?;
        let spec = input.targeting.to_meta().to_string();
        let reach = graph_read(cx, &account, &format!("act_{}/reachestimate", account.id), &[("targeting_spec".to_string(), spec.clone())]).await?;
        let mut out = json!({ "reach": reach["data"] });
        if let Some(goal) = input.optimization_goal {
            let params = [("targeting_spec".to_string(), spec), ("optimization_goal".to_string(), goal.as_str().to_string())];
            let delivery = graph_read(cx, &account, &format!("act_{}/delivery_estimate", account.id), &params).await?;
            out["delivery"] = delivery["data"][0].clone();
        }
        Ok(Change::read(out))
    }
}
