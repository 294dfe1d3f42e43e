//! `recruiter_paid_media/create_custom_audience`: Creates an empty customer-list audience on Meta
//! (fill it with `add_custom_audience_users`).

use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::actions::objects::{graph_read, graph_write, Params};
use crate::db::ad_accounts::{self, BoundAccount};
use crate::domain::{AdAccountId, CustomerFileSource, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The fields an audience is read back with.
pub const AUDIENCE_FIELDS: &str =
    "id,account_id,name,description,subtype,customer_file_source,lookalike_spec,approximate_count_lower_bound,approximate_count_upper_bound";

/// Creates an empty customer-list audience on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The audience's name.
    pub name: Text<200>,
    /// What it holds, for people reading it.
    pub description: Option<Text<500>>,
    /// Where the list came from (Meta asks for it on every customer list).
    pub customer_file_source: CustomerFileSource,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = BoundAccount;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates an empty customer-list audience on Meta; fill it with add_custom_audience_users.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<BoundAccount>, Failure> {
        Ok(Plan::go(ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, account: BoundAccount) -> Result<Change, Failure> {
        let params = Params::new()
            .text("name", input.name.as_str())
            .opt_text("description", input.description.as_ref().map(|d| d.as_str()))
            .text("subtype", "CUSTOM")
            .text("customer_file_source", input.customer_file_source.as_str());
        create_audience(cx, &account, &params).await
    }
}

/// Creates an audience on the account and reads it back.
pub async fn create_audience(cx: &Cx<'_>, account: &BoundAccount, params: &Params) -> Result<Change, Failure> {
    let mut record = Record { ad_account_id: Some(account.id.clone()), ..Record::default() };
    let reply = match graph_write(cx, account, "POST", &format!("act_{}/customaudiences", account.id), &params.0).await {
        Err(e) => return Change::refused(e, record),
        Ok(v) => v,
    };
    let id = reply["id"].as_str().unwrap_or_default().to_string();
    let audience = graph_read(cx, account, &id, &[("fields".to_string(), AUDIENCE_FIELDS.to_string())]).await.unwrap_or_else(|_| json!({ "id": id }));
    record.external_id = Some(id);
    record.after = Some(audience.clone());
    Ok(Change::done(201, json!({ "ad_account_id": account.id, "audience": audience }), Vec::new(), record))
}
