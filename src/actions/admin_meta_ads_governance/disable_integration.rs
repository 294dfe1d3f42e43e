//! `admin_meta_ads_governance/disable_integration`: Disables an integration for good: no more Graph calls through it.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::Text;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Disables an integration for good: no more Graph calls through it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
    /// Why, for the audit trail.
    pub reason: Text<500>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Disables an integration for good: no more Graph calls through it.", destructive: true);
}
