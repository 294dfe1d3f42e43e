//! `admin_meta_ads_governance/list_meta_integrations`: The workspace's Meta integrations with their status and token expiry (never the token).

use crate::actions::action::{Action, Meta, ADMIN};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The workspace's Meta integrations with their status and token expiry (never the token).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: Read, summary: "The workspace's Meta integrations with their status and token expiry (never the token).");
}
