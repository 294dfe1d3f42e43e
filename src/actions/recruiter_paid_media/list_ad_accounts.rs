//! `recruiter_paid_media/list_ad_accounts`: The ad accounts bound to the workspace, with their
//! currency, time zone, binding and when their structure was last synced from Meta.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The ad accounts bound to the workspace.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The ad accounts bound to the workspace, with their currency, time zone, binding and last structure sync.");

    async fn apply(cx: &Cx<'_>, _input: &Input, _plan: ()) -> Result<Change, Failure> {
        let rows = ad_accounts::list(cx.ports, cx.workspace).await?;
        let data: Vec<_> = rows
            .into_iter()
            .map(|r| {
                json!({
                    "id": format!("act_{}", r["id"].as_str().unwrap_or_default()), "name": r["name"], "currency": r["currency"], "timezone_name": r["timezone_name"],
                    "status": r["status"], "integration_id": r["integration_id"], "verified": r["verified"] == 1, "last_synced_at": r["last_synced_at"],
                    "structure_synced_at": r["structure_synced_unix"].as_i64().map(|s| crate::timefmt::iso_from_millis(s.saturating_mul(1000))),
                })
            })
            .collect();
        Ok(Change::read(json!({ "data": data })))
    }
}
