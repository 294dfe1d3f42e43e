//! Per-request context and the error type every handler returns.

use super::services::Services;
use crate::failure::Failure;
use crate::problem::Problem;
use worker::{Headers, Response};

/// A request's services (environment, correlation id) and what HTTP adds: the path it asked for.
pub struct RequestContext {
    pub services: Services,
    pub path: String,
    pub dev_routes: bool,
}

impl std::ops::Deref for RequestContext {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

/// Why a handler did not produce its normal response (Graph failures still typed).
pub type HandlerError = Failure;

pub type HandlerResult = std::result::Result<Response, HandlerError>;

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        Failure::Internal(e.to_string())
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
