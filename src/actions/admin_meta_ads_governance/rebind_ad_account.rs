//! `admin_meta_ads_governance/rebind_ad_account`: Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).

use crate::actions::action::Record;
use crate::actions::action::{Action, Change, Cx, Meta, Plan, ADMIN};
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::ports::{GraphCall, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The integration to use from now on.
    pub integration_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Value;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).");

    /// The account must be bound here: refused before anyone is asked to approve.
    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Value>, Failure> {
        let before = ad_accounts::bound_row(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        Ok(Plan { account: Some(input.ad_account_id.digits().to_string()), ..Plan::go(before) })
    }

    /// The new integration must really see the account on Meta.
    async fn apply(cx: &Cx<'_>, input: &Input, before: Value) -> Result<Change, Failure> {
        let (account, iid) = (input.ad_account_id.digits(), input.integration_id.as_str());
        let scope = Scope { workspace_id: cx.workspace, integration_id: Some(iid), ad_account_id: Some(account), api_version: None };
        let params = [("fields".to_string(), "account_id".to_string())];
        cx.ports.graph(scope, GraphCall::Object(&input.ad_account_id.node()), &params).await?;
        let now = cx.ports.now_iso();
        let after = json!({ "id": account, "integration_id": iid, "updated_at": now });
        let record = Record {
            ad_account_id: Some(account.to_string()),
            external_id: Some(input.ad_account_id.node()),
            before: Some(before),
            after: Some(after.clone()),
        };
        Ok(Change::done(200, after, vec![ad_accounts::set_integration(cx.workspace, account, iid, &now)], record))
    }
}
