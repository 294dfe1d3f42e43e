//! `admin_meta_ads_governance/release_ad_account`: Lifts an ad account's quarantine.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::AdAccountId;
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
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Lifts an ad account's quarantine.");
}
