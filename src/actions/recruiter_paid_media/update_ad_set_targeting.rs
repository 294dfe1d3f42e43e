//! `recruiter_paid_media/update_ad_set_targeting`: Replaces an ad set's audience on Meta, checked
//! first as a create is: a location, and for job, housing and credit ads the category's limits.

use super::{check_audience, find, read_object, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId, Targeting};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Replaces an ad set's audience on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad set id.
    pub ad_set_id: MetaId,
    /// The new audience (replaces the whole spec).
    pub targeting: Targeting,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Replaces an ad set's audience on Meta, checked first: a location, and for job, housing and credit ads the category's limits.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find(cx, &input.ad_account_id, "ad_set_id", &input.ad_set_id, ObjectKind::AdSet).await?;
        let campaign_id = found.object["campaign_id"].as_str().unwrap_or_default().to_string();
        let campaign = read_object(cx, &found.account, "ad_set_id", &campaign_id, ObjectKind::Campaign).await?;
        check_audience(cx, &found.account, &campaign, &input.targeting).await?;
        Ok(Plan::go(found))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = Params::new().json("targeting", &input.targeting.to_meta());
        let id = found.id();
        write(cx, &found.account, Write::update(&id, &params.0, ObjectKind::AdSet), &found.object).await
    }
}
