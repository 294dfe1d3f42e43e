//! Reaching an ad account's `AdAccountGate` Durable Object: one instance per account,
//! addressed by `id_from_name(account_id)`.

use crate::api_keys::Principal;
use crate::problem::Problem;
use crate::records::normalise_account_id;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::services::gate::{admit_graph_call, gate_stub_fetch};
use serde_json::Value;

fn account_param(raw: &str) -> Result<String, HandlerError> {
    normalise_account_id(raw).ok_or_else(|| Problem::invalid_field("account_id", format!("{raw:?} is not a Meta ad account id such as act_1234567890")).into())
}

/// A workspace key reaches only the gates of accounts bound to its workspace.
async fn check_access(ctx: &RequestContext, principal: &Principal, account: &str) -> Result<(), HandlerError> {
    let Some(workspace) = principal.workspace() else {
        return Ok(());
    };
    let bound = ctx
        .env
        .d1("DB")?
        .prepare("SELECT workspace_id FROM ad_accounts WHERE id = ?1")
        .bind(&[crate::runtime::d1::text(account)])?
        .first::<Value>(None)
        .await?;
    match bound {
        Some(row) if row["workspace_id"] == workspace => Ok(()),
        _ => Err(Problem::new("not-found", "Not Found", 404, format!("no ad account act_{account} in this workspace")).into()),
    }
}

pub async fn state(ctx: &RequestContext, principal: &Principal, raw_account: &str) -> HandlerResult {
    let account = account_param(raw_account)?;
    check_access(ctx, principal, &account).await?;
    Ok(gate_stub_fetch(&ctx.env, &account, "state", "GET").await?)
}

/// `POST /v1/ad-accounts/{id}/gate/admit`: admits one call by hand (for operators and tests).
pub async fn admit(ctx: &RequestContext, principal: &Principal, raw_account: &str) -> HandlerResult {
    let account = account_param(raw_account)?;
    check_access(ctx, principal, &account).await?;
    json_response(200, &admit_graph_call(&ctx.env, &account, crate::graph::ADS_MANAGEMENT).await?)
}
