//! `admin_meta_ads_governance/rotate_credentials`: Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::Text;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Why, for the audit trail.
    pub reason: Option<Text<500>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).");
}
