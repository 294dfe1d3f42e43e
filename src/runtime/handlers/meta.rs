//! How Graph failures reach clients: as problem+json that keeps Meta's code, subcode and
//! fbtrace_id (never the token).

use crate::problem::Problem;
use serde_json::json;

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

/// Meta refusing a read of an object the caller named (it does not exist, or this token may not
/// see it) is the caller's input at fault: 422 naming the field, Meta's details kept.
pub fn refused_as_field(e: crate::runtime::context::HandlerError, field: &str) -> crate::runtime::context::HandlerError {
    use crate::runtime::context::HandlerError;
    match e {
        HandlerError::Problem(mut p) if p.status == 502 && p.extensions.get("graph_error_class").and_then(|c| c.as_str()) == Some("permanent") => {
            p.status = 422;
            p.title = "Refused by Meta".into();
            p.detail = format!("{field}: Meta refused it: {}", p.detail);
            p.field = Some(field.to_string());
            HandlerError::Problem(p)
        }
        other => other,
    }
}
