//! `admin_meta_ads_governance/get_token_health`: Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::failure::Failure;
use serde_json::json;

pub type Input = super::IntegrationRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let iid = input.integration_id.as_str();
        let health = cx.ports.token_health(cx.workspace, iid).await?;
        Ok(Change::read(json!({ "integration_id": iid, "token_health": health })))
    }
}
