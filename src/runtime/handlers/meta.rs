//! Reads from Meta through the Graph client. Until the token vault exists, the token is the
//! `META_SYSTEM_USER_TOKEN` secret (a Meta system-user token), never a request parameter.

use crate::problem::Problem;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::graph_fetch::client_for;
use serde_json::{json, Value};

/// Maps a Graph failure to a problem that keeps Meta's code, subcode and fbtrace_id.
pub fn graph_problem(failure: &crate::graph::GraphFailure) -> Problem {
    match failure.graph_error() {
        Some(e) => {
            let status = match failure.class() {
                crate::graph::ErrorClass::Throttled => 429,
                crate::graph::ErrorClass::Auth => 401,
                _ => 502,
            };
            Problem::new("meta-graph-error", "Meta Graph API Error", status, e.message.clone())
                .with_extension("graph_code", json!(e.code))
                .with_extension("graph_subcode", json!(e.subcode))
                .with_extension("fbtrace_id", json!(e.fbtrace_id))
                .with_extension("graph_error_class", json!(format!("{:?}", failure.class()).to_lowercase()))
        }
        None => Problem::new("meta-unreachable", "Meta Graph API Unreachable", 502, failure.to_string()),
    }
}

/// `GET /v1/meta/adaccounts`: every ad account the configured token can see, all pages.
pub async fn list_ad_accounts(ctx: &RequestContext) -> HandlerResult {
    let token = ctx.var("META_SYSTEM_USER_TOKEN").ok_or_else(|| {
        HandlerError::from(Problem::new("meta-not-connected", "Meta Not Connected", 409, "no Meta token is configured (META_SYSTEM_USER_TOKEN)"))
    })?;
    let client = client_for(&ctx.env, &token).map_err(|e| Problem::new("meta-misconfigured", "Meta Misconfigured", 500, e))?;
    let params = vec![("fields".to_string(), "account_id,name,currency,timezone_name,account_status".to_string()), ("limit".to_string(), "100".to_string())];
    let mut pager = client.pages("me/adaccounts", &params);
    let accounts: Vec<Value> = pager.collect_all().await.map_err(|f| HandlerError::from(graph_problem(&f)))?;
    json_response(200, &json!({ "data": accounts, "graph_calls": pager.calls }))
}
