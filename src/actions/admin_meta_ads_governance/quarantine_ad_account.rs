//! `admin_meta_ads_governance/quarantine_ad_account`: Stops every Graph call for one ad account at its gate until it is released.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, ADMIN};
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Stops every Graph call for one ad account at its gate until it is released.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// Why, for the audit trail.
    pub reason: Text<500>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Stops every Graph call for one ad account at its gate until it is released.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<()>, Failure> {
        super::must_be_bound(cx, &input.ad_account_id).await
    }

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::set_quarantine(cx, &input.ad_account_id, Some(input.reason.as_str())).await
    }
}
