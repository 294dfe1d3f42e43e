//! Read-only views of the operational ledgers: cron ticks, sync runs and dead letters.

use crate::api_keys::Principal;
use crate::records::normalise_account_id;
use crate::runtime::context::{json_response, HandlerResult, RequestContext};
use crate::runtime::d1::{int, limit_param, opt_text};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::Request;

async fn list(ctx: &RequestContext, sql: &str, binds: &[JsValue]) -> HandlerResult {
    let rows = ctx.env.d1("DB")?.prepare(sql).bind(binds)?.all().await?.results::<Value>()?;
    json_response(200, &json!({ "data": rows }))
}

pub async fn cron_runs(req: &Request, ctx: &RequestContext) -> HandlerResult {
    let limit = limit_param(&req.url()?, 50, 500)?;
    list(ctx, "SELECT * FROM cron_runs ORDER BY started_at DESC, id LIMIT ?1", &[int(limit.into())]).await
}

/// Sync runs, newest first; a workspace key sees only its workspace's runs.
pub async fn sync_runs(req: &Request, ctx: &RequestContext, principal: &Principal) -> HandlerResult {
    let url = req.url()?;
    let limit = limit_param(&url, 50, 500)?;
    let account = match url.query_pairs().find(|(k, _)| k == "ad_account_id") {
        None => None,
        Some((_, raw)) => Some(normalise_account_id(&raw).ok_or_else(|| crate::records::FieldError {
            field: "ad_account_id".into(),
            reason: "must be a Meta ad account id such as act_1234567890".into(),
        })?),
    };
    let workspace = principal.workspace().map(str::to_string);
    list(
        ctx,
        "SELECT * FROM sync_runs WHERE (?1 IS NULL OR ad_account_id = ?1) AND (?2 IS NULL OR workspace_id = ?2) \
         ORDER BY started_at DESC, id LIMIT ?3",
        &[opt_text(account.as_deref()), opt_text(workspace.as_deref()), int(limit.into())],
    )
    .await
}

pub async fn dead_letters(req: &Request, ctx: &RequestContext) -> HandlerResult {
    let limit = limit_param(&req.url()?, 50, 500)?;
    list(ctx, "SELECT * FROM dead_letters ORDER BY received_at DESC, id LIMIT ?1", &[int(limit.into())]).await
}
