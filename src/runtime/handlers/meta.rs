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
