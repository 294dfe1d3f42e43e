//! `recruiter_paid_media/create_lookalike_audience`: Creates a lookalike of one of the account's
//! audiences in a country (1% to 20% of its people). Meta does not let job, housing or credit ads
//! use lookalikes, so a workspace whose guardrails require such a category is refused here, and
//! ad sets of such campaigns refuse lookalikes in their targeting.

use super::create_custom_audience::create_audience;
use super::{bad, read_audience};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::objects::Params;
use crate::db::{ad_accounts::BoundAccount, governance_policies};
use crate::domain::{AdAccountId, Bounded, Country, MetaId, SpecialAdCategory, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Creates a lookalike of one of the account's audiences.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The audience to look like (a customer list of this account).
    pub origin_audience_id: MetaId,
    /// The lookalike's name.
    pub name: Text<200>,
    /// The country to find people in.
    pub country: Country,
    /// Its size as a percentage of the country's people, 1 to 20 (1 is the closest match).
    pub ratio_percent: Bounded<1, 20>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = BoundAccount;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates a lookalike of one of the account's audiences in a country (1% to 20%); refused where the workspace's campaigns must be job, housing or credit ads, which Meta keeps from lookalikes.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<BoundAccount>, Failure> {
        let guardrails = governance_policies::get(cx.ports, cx.workspace, "campaign_guardrails").await?;
        let required = guardrails.as_ref().map(|g| super::str_list(&g["required_special_ad_categories"])).unwrap_or_default();
        if let Some(c) = required.iter().filter_map(|c| SpecialAdCategory::parse(c)).find(|c| c.is_restricted()) {
            return Err(bad(
                "origin_audience_id",
                format!("this workspace's campaigns must be {} ads, and Meta does not allow lookalike audiences for them", c.as_str()),
            ));
        }
        Ok(Plan::go(read_audience(cx, &input.ad_account_id, "origin_audience_id", &input.origin_audience_id).await?))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, account: BoundAccount) -> Result<Change, Failure> {
        let spec = json!({ "type": "similarity", "ratio": input.ratio_percent.get() as f64 / 100.0, "country": input.country.as_str() });
        let params = Params::new()
            .text("name", input.name.as_str())
            .text("subtype", "LOOKALIKE")
            .text("origin_audience_id", input.origin_audience_id.as_str())
            .json("lookalike_spec", &spec);
        create_audience(cx, &account, &params).await
    }
}
