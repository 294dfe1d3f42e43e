//! `admin_meta_ads_governance/list_meta_integrations`: The workspace's Meta integrations with their status and token expiry (never the token).

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::db::integrations;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The workspace's Meta integrations with their status and token expiry (never the token).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: Read, summary: "The workspace's Meta integrations with their status and token expiry (never the token).");

    async fn apply(cx: &Cx<'_>, _input: &Input, _plan: ()) -> Result<Change, Failure> {
        Ok(Change::read(json!({ "data": integrations::list(cx.ports, cx.workspace).await? })))
    }
}
