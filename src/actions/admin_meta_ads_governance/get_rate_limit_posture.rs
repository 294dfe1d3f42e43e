//! `admin_meta_ads_governance/get_rate_limit_posture`: The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::Bounded;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Count throttling over this many hours (default 24).
    pub since_hours: Option<Bounded<1, 2_160>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.");
}
