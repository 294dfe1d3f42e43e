//! `recruiter_paid_media/attach_creative_to_ad`: Swaps the creative an ad shows on Meta for
//! another of the account's creatives (Meta reviews the ad again).

use super::{find, read_object, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Swaps the creative an ad shows on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad id.
    pub ad_id: MetaId,
    /// The creative to show from now on.
    pub creative_id: MetaId,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Swaps the creative an ad shows on Meta for another of the account's creatives.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find(cx, &input.ad_account_id, "ad_id", &input.ad_id, ObjectKind::Ad).await?;
        read_object(cx, &found.account, "creative_id", input.creative_id.as_str(), ObjectKind::Creative).await?;
        Ok(Plan::go(found))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = Params::new().json("creative", &json!({ "creative_id": input.creative_id.as_str() }));
        let id = found.id();
        write(cx, &found.account, Write::update(&id, &params.0, ObjectKind::Ad), &found.object).await
    }
}
