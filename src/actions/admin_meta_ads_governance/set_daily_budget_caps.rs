//! `admin_meta_ads_governance/set_daily_budget_caps`: Daily spend caps per ad account, in the account's minor currency unit.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, ADMIN};
use crate::db::ad_accounts;
use crate::domain::{AccountMap, AmountMinor};
use crate::failure::Failure;
use crate::records::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Daily spend caps per ad account, in the account's minor currency unit.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Ad account id (`act_...` or digits) to its daily cap in minor units; every account must be bound to the workspace.
    pub caps: AccountMap<AmountMinor>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Daily spend caps per ad account, in the account's minor currency unit.");

    /// Every account named must be bound to the workspace.
    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<()>, Failure> {
        for id in input.caps.entries().keys() {
            if !ad_accounts::is_bound(cx.ports, cx.workspace, id).await? {
                return Err(FieldError { field: "caps".into(), reason: format!("ad account act_{id} is not bound to this workspace") }.into());
            }
        }
        Ok(Plan::go(()))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::set_policy(cx, "daily_budget_caps", json!({ "caps": input.caps })).await
    }
}
