//! `admin_meta_ads_governance/quarantine_ad_account`: Stops every Graph call for one ad account at its gate until it is released.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::{AdAccountId, Text};
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
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Stops every Graph call for one ad account at its gate until it is released.");
}
