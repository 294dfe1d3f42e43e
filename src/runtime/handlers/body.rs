//! Request bodies: JSON within a size, declared as JSON.

use crate::runtime::context::HandlerError;
use worker::Request;

/// Reads a JSON body of at most `max` bytes: 413 above it, 415 unless declared JSON, 400 when
/// it does not parse. An empty body is `{}` when `allow_empty`.
pub async fn read_json(mut req: Request, max: usize, allow_empty: bool) -> Result<serde_json::Value, HandlerError> {
    use crate::request_body;
    request_body::check_declared_length(req.headers().get("Content-Length").ok().flatten().as_deref(), max)?;
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let bytes = req.bytes().await?;
    Ok(request_body::parse_json(content_type.as_deref(), &bytes, max, allow_empty)?)
}

/// A JSON body (required) within the default size.
pub async fn json_body(req: Request) -> Result<serde_json::Value, HandlerError> {
    read_json(req, crate::request_body::MAX_JSON_BODY_BYTES, false).await
}

/// A JSON body within the default size, `{}` when there is none.
pub async fn json_body_or_empty(req: Request) -> Result<serde_json::Value, HandlerError> {
    read_json(req, crate::request_body::MAX_JSON_BODY_BYTES, true).await
}
