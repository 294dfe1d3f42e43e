//! `admin_meta_ads_governance/get_meta_api_error_digest`: Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::Bounded;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Look back this many hours (default 24).
    pub since_hours: Option<Bounded<1, 2_160>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.");
}
