//! `admin_meta_ads_governance/release_ad_account`: Lifts an ad account's quarantine.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, ADMIN};
use crate::domain::AdAccountId;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Lifts an ad account's quarantine.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Lifts an ad account's quarantine.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<()>, Failure> {
        super::must_be_bound(cx, &input.ad_account_id).await
    }

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::set_quarantine(cx, &input.ad_account_id, None).await
    }
}
