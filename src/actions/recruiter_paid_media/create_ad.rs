//! `recruiter_paid_media/create_ad`: Creates an ad in an ad set on Meta with one of the account's
//! creatives, PAUSED unless asked otherwise; creating it ACTIVE in an active campaign is a launch.

use super::{find, launch_flags, read_object, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, InitialStatus, MetaId, Text};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Creates an ad in an ad set on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The ad set it runs in.
    pub ad_set_id: MetaId,
    /// The ad's name.
    pub name: Text<400>,
    /// The creative it shows (from `create_creative`).
    pub creative_id: MetaId,
    /// PAUSED (default) or ACTIVE.
    pub status: Option<InitialStatus>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates an ad in an ad set on Meta with one of the account's creatives, PAUSED unless asked otherwise.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find(cx, &input.ad_account_id, "ad_set_id", &input.ad_set_id, ObjectKind::AdSet).await?;
        read_object(cx, &found.account, "creative_id", input.creative_id.as_str(), ObjectKind::Creative).await?;
        let live = found.object["effective_status"] == "ACTIVE";
        let flags = if input.status == Some(InitialStatus::ACTIVE) && live { launch_flags(cx, &found.account.id, None, None).await? } else { Vec::new() };
        Ok(Plan { account: Some(found.account.id.clone()), flags, state: found })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = Params::new()
            .text("name", input.name.as_str())
            .text("adset_id", input.ad_set_id.as_str())
            .json("creative", &json!({ "creative_id": input.creative_id.as_str() }))
            .text("status", input.status.unwrap_or(InitialStatus::PAUSED).as_str());
        let path = format!("act_{}/ads", found.account.id);
        write(cx, &found.account, Write::create(&path, &params.0, ObjectKind::Ad), &Value::Null).await
    }
}
