//! `admin_meta_ads_governance/set_daily_budget_caps`: Daily spend caps per ad account, in the account's minor currency unit.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::{AccountMap, AmountMinor};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Daily spend caps per ad account, in the account's minor currency unit.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Ad account id (`act_...` or digits) to its daily cap in minor units; every account must be bound to the workspace.
    pub caps: AccountMap<AmountMinor>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Daily spend caps per ad account, in the account's minor currency unit.");
}
