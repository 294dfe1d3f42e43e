//! `POST /mcp`: the Model Context Protocol over Streamable HTTP (2025-11-25), answering JSON.
//! The same bearer keys authenticate; `tools/list` shows the actions the key's role may call;
//! `tools/call` enters the same pipeline as HTTP, with the channel recorded as `mcp`.

use crate::actions::catalog;
use crate::actions::pipeline::{self, KeyFrom, Reply, Via};
use crate::api_keys::Principal;
use crate::mcp::{self, Message};
use crate::problem::Problem;
use crate::runtime::context::{HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::now_millis;
use serde_json::{json, Value};
use worker::{Request, Response};

fn json_reply(status: u16, body: &Value) -> HandlerResult {
    let mut resp = Response::from_json(body)?.with_status(status);
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}

fn session_secret(ctx: &RequestContext) -> Result<String, HandlerError> {
    ctx.var("ADGATE_STATE_SECRET")
        .ok_or_else(|| HandlerError::from(Problem::new("misconfigured", "Misconfigured", 500, "the ADGATE_STATE_SECRET secret is not set")))
}

pub async fn serve(req: Request, ctx: &RequestContext, principal: &Principal) -> HandlerResult {
    // A browser page on another origin must not drive a local gateway (DNS rebinding).
    if let Some(origin) = req.headers().get("Origin").ok().flatten() {
        let own = req.url()?.origin().ascii_serialization();
        if origin != own {
            return Err(Problem::forbidden("the Origin of this request is not the gateway's").into());
        }
    }
    let accept = req.headers().get("Accept").ok().flatten().unwrap_or_else(|| "application/json".into());
    if !(accept.contains("application/json") || accept.contains("*/*")) {
        return Err(Problem::new(
            "not-acceptable",
            "Not Acceptable",
            406,
            "this server answers application/json; send Accept: application/json, text/event-stream",
        )
        .into());
    }
    let version = req.headers().get("MCP-Protocol-Version").ok().flatten();
    let session = req.headers().get("Mcp-Session-Id").ok().flatten();
    let body = super::body::json_body(req).await?;
    let msg = match mcp::parse(&body) {
        Ok(m) => m,
        Err((id, code, why)) => return json_reply(400, &mcp::error(&id, code, &why, None)),
    };
    let id = msg.id.clone().unwrap_or(Value::Null);
    if let Some(v) = version.as_deref().filter(|v| !mcp::SUPPORTED_VERSIONS.contains(v)) {
        let data = json!({ "supported": mcp::SUPPORTED_VERSIONS, "requested": v });
        return json_reply(400, &mcp::error(&id, mcp::UNSUPPORTED_VERSION, "Unsupported protocol version", Some(data)));
    }
    if msg.id.is_none() {
        // Notifications (initialized, cancelled, ...) need no answer.
        return Ok(Response::empty()?.with_status(202));
    }
    let secret = session_secret(ctx)?;
    let now = now_millis() / 1_000;
    if msg.method == "initialize" {
        let requested = msg.params["protocolVersion"].as_str();
        let nonce = hex::encode(uuid::Uuid::new_v4().as_bytes());
        let mut resp = json_reply(200, &mcp::result(&id, mcp::initialize_result(mcp::negotiate(requested))))?;
        resp.headers_mut().set("Mcp-Session-Id", &mcp::issue_session(&secret, &principal.actor(), now, &nonce))?;
        return Ok(resp);
    }
    match session {
        None => return json_reply(400, &mcp::error(&id, mcp::INVALID_REQUEST, "Mcp-Session-Id is required after initialize", None)),
        Some(s) if !mcp::session_valid(&secret, &s, &principal.actor(), now) => {
            return json_reply(404, &mcp::error(&id, mcp::INVALID_REQUEST, "unknown or expired session; initialize again", None))
        }
        Some(_) => {}
    }
    let answer = match msg.method.as_str() {
        "ping" => mcp::result(&id, json!({})),
        "tools/list" => {
            let tools: Vec<Value> = catalog::ALL.iter().filter(|e| mcp::allowed(e, principal)).map(|e| mcp::tool(e, principal)).collect();
            mcp::result(&id, json!({ "tools": tools }))
        }
        "tools/call" => call(ctx, principal, &msg).await?,
        other => mcp::error(&id, mcp::METHOD_NOT_FOUND, &format!("Method not found: {}", crate::problem::excerpt(other)), None),
    };
    json_reply(200, &answer)
}

/// One tool call through the pipeline; refusals become tool errors (`isError`), an unknown
/// tool a protocol error, as the spec says.
async fn call(ctx: &RequestContext, principal: &Principal, msg: &Message) -> Result<Value, HandlerError> {
    let id = msg.id.clone().unwrap_or(Value::Null);
    let name = msg.params["name"].as_str().unwrap_or_default();
    let Some(entry) = catalog::ALL.iter().find(|e| e.meta.name() == name && mcp::allowed(e, principal)) else {
        return Ok(mcp::error(&id, mcp::INVALID_PARAMS, &format!("Unknown tool: {}", crate::problem::excerpt(name)), None));
    };
    let mut args = match &msg.params["arguments"] {
        Value::Null => json!({}),
        Value::Object(o) => Value::Object(o.clone()),
        _ => return Ok(mcp::error(&id, mcp::INVALID_PARAMS, "arguments must be an object", None)),
    };
    let key = args.as_object_mut().and_then(|o| o.remove("idempotency_key"));
    let key = KeyFrom { value: key.and_then(|k| k.as_str().map(str::to_string)), field: "idempotency_key" };
    let outcome = pipeline::run(&ctx.services, principal, entry, args, &key, Via::Mcp, &ctx.path).await;
    let (status, body) = match outcome {
        Ok(Reply::Fresh(status, body)) => (status, body),
        Ok(Reply::Replayed(status, text)) => (status, serde_json::from_str(&text).unwrap_or(Value::Null)),
        Err(e) => match e.to_problem() {
            Some(p) => (p.status, serde_json::to_value(p.with_context(&ctx.path, &ctx.correlation_id)).unwrap_or(Value::Null)),
            None => return Err(e),
        },
    };
    Ok(mcp::result(&id, mcp::tool_result(status, &body)))
}
