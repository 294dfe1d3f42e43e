//! `recruiter_paid_media/list_lead_forms`: The instant forms of a Page, for lead ads (a creative's
//! `lead_gen_form_id`), read from Meta through the account's gate.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::objects::graph_read;
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, Bounded, MetaId};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The instant forms of a Page.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account whose integration reads the Page.
    pub ad_account_id: AdAccountId,
    /// The Facebook Page.
    pub page_id: MetaId,
    /// How many forms, 1 to 100 (default 50).
    pub limit: Option<Bounded<1, 100>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The instant forms of a Page, for lead ads, read from Meta through the account's gate.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let params =
            [("fields".to_string(), "id,name,status,locale,created_time".to_string()), ("limit".to_string(), input.limit.map_or(50, |l| l.get()).to_string())];
        let forms = graph_read(cx, &account, &format!("{}/leadgen_forms", input.page_id.as_str()), &params).await.map_err(|e| e.refused_as_field("page_id"))?;
        Ok(Change::read(json!({ "page_id": input.page_id.as_str(), "data": forms["data"] })))
    }
}
