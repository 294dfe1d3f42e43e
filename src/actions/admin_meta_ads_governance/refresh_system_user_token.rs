//! `admin_meta_ads_governance/refresh_system_user_token`: Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::Text;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.");
}
