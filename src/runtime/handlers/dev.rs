//! Routes that exist only when `ADGATE_ENV=local`: they let tests and demos reach paths that
//! production traffic cannot trigger on demand.

use super::body::json_body;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use serde_json::json;
use worker::{QueueContentType, RawMessageBuilder, Request};

/// Puts the request body on the sync queue exactly as given (valid or not), e.g. to watch a
/// poison message travel to the dead-letter queue.
pub async fn queue_send(req: Request, ctx: &RequestContext) -> HandlerResult {
    let body = json_body(req).await?;
    // Parse into a plain JS object (a serialised serde_json map would arrive as a JS Map).
    let js = worker::js_sys::JSON::parse(&body.to_string()).map_err(|_| HandlerError::Internal("JSON.parse failed".into()))?;
    let message = RawMessageBuilder::new(js).build_with_content_type(QueueContentType::Json);
    ctx.env.queue("SYNC_QUEUE")?.send_raw(message).await?;
    json_response(202, &json!({ "enqueued": 1 }))
}

/// Fails inside the handler, as an unexpected internal error would.
pub fn fail() -> HandlerResult {
    Err(HandlerError::Internal("deliberate failure requested through /__dev/fail".into()))
}

/// Panics, as a bug would: the wasm traps and `src/entry.mjs` answers with the problem+json 500.
pub fn panic() -> HandlerResult {
    panic!("deliberate panic requested through /__dev/panic")
}
