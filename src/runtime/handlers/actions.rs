//! `GET /v1/actions` (the catalogue) and `POST /v1/actions/{router}/{action}`: the HTTP adapter of
//! the one pipeline (`actions::pipeline`), which does everything else.

use crate::actions::catalog;
use crate::actions::pipeline::{self, KeyFrom, Reply, Via};
use crate::api_keys::Principal;
use crate::problem::Problem;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use serde_json::{json, Value};
use worker::{Request, Response};

pub async fn list() -> HandlerResult {
    let data: Vec<Value> = catalog::ALL.iter().map(catalog::Entry::describe).collect();
    json_response(200, &json!({ "data": data }))
}

pub async fn run(req: Request, ctx: &RequestContext, principal: &Principal, router: &str, action: &str) -> HandlerResult {
    let entry = catalog::find(router, action).ok_or_else(|| {
        HandlerError::from(Problem::new("unknown-action", "Unknown Action", 404, format!("no action {router}/{action}; GET /v1/actions lists them")))
    })?;
    let key = KeyFrom { value: req.headers().get("Idempotency-Key").ok().flatten(), field: "Idempotency-Key" };
    // Refused before the body is read: a caller without the role or the key learns nothing more.
    pipeline::check_role(entry.meta, principal)?;
    if entry.meta.tier.is_mutation() {
        key.checked()?;
    }
    let body = super::body::json_body_or_empty(req).await?;
    match pipeline::run(&ctx.services, principal, entry, body, &key, Via::Http, &ctx.path).await? {
        Reply::Fresh(status, out) => json_response(status, &out),
        Reply::Replayed(status, response) => {
            let mut resp = Response::ok(response)?.with_status(status);
            resp.headers_mut().set("Content-Type", if status >= 400 { crate::problem::CONTENT_TYPE } else { "application/json" })?;
            resp.headers_mut().set("Idempotent-Replayed", "true")?;
            Ok(resp)
        }
    }
}
