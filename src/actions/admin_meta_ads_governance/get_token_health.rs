//! `admin_meta_ads_governance/get_token_health`: Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::Text;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.");
}
