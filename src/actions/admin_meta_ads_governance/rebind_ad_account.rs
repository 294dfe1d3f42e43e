//! `admin_meta_ads_governance/rebind_ad_account`: Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::{AdAccountId, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The integration to use from now on.
    pub integration_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).");
}
