//! Per-request context and the error type every handler returns.

use crate::problem::Problem;
use crate::records::FieldError;
use worker::{Env, Headers, Response};

pub struct RequestContext {
    pub env: Env,
    pub correlation_id: String,
    pub path: String,
    pub dev_routes: bool,
}

impl RequestContext {
    /// A configured plain variable, if set and non-empty.
    pub fn var(&self, name: &str) -> Option<String> {
        env_text(&self.env, name)
    }
}

/// Reads a `[vars]` entry or a secret; both are strings in the environment.
pub fn env_text(env: &Env, name: &str) -> Option<String> {
    let value = env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|v| v.to_string()));
    value.ok().filter(|v| !v.trim().is_empty())
}

/// Why a handler did not produce its normal response.
pub enum HandlerError {
    /// A problem the client should see as is (4xx, or a 5xx with a safe detail).
    Problem(Problem),
    /// An internal failure: logged with the correlation id, answered with a generic 500.
    Internal(String),
}

pub type HandlerResult = std::result::Result<Response, HandlerError>;

impl From<worker::Error> for HandlerError {
    fn from(e: worker::Error) -> Self {
        HandlerError::Internal(e.to_string())
    }
}

impl From<Problem> for HandlerError {
    fn from(p: Problem) -> Self {
        HandlerError::Problem(p)
    }
}

impl From<FieldError> for HandlerError {
    fn from(e: FieldError) -> Self {
        HandlerError::Problem(Problem::invalid_field(&e.field, e.reason))
    }
}

pub fn json_response(status: u16, body: &serde_json::Value) -> HandlerResult {
    Ok(Response::from_json(body)?.with_status(status))
}

/// Renders a problem as `application/problem+json`, adding `Allow` and `Retry-After` headers
/// when the problem carries them.
pub fn problem_response(problem: &Problem) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", crate::problem::CONTENT_TYPE)?;
    if let Some(allow) = &problem.allow {
        headers.set("Allow", &allow.join(", "))?;
    }
    if let Some(secs) = problem.retry_after_seconds {
        headers.set("Retry-After", &secs.to_string())?;
    }
    Ok(Response::ok(problem.to_json())?.with_status(problem.status).with_headers(headers))
}
