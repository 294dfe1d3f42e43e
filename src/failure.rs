//! Why an operation did not produce its normal result. Graph failures stay typed (with their
//! class) until the edge turns them into problem+json, so callers decide on the class, never on
//! a problem's extension text.

use crate::graph::{ErrorClass, GraphFailure};
use crate::problem::Problem;
use crate::records::FieldError;
use serde_json::json;

#[derive(Debug, Clone)]
pub enum Failure {
    /// A problem the client should see as is (4xx, or a 5xx with a safe detail). Boxed: errors
    /// travel through every `Result`, and most of them are never built.
    Problem(Box<Problem>),
    /// Meta refused or could not be reached (after retries).
    Graph(Box<GraphFailure>),
    /// An internal failure: logged with the correlation id, answered with a generic 500.
    Internal(String),
}

impl Failure {
    /// The Graph error class, when Meta is why this failed.
    pub fn graph_class(&self) -> Option<ErrorClass> {
        match self {
            Failure::Graph(f) => Some(f.class()),
            _ => None,
        }
    }

    /// What an audit row keeps of a failure: the problem and Meta's code, subcode and trace.
    pub fn audit_record(&self) -> Option<serde_json::Value> {
        let p = self.to_problem()?;
        let meta = match self {
            Failure::Graph(g) => g.graph_error(),
            _ => None,
        };
        Some(serde_json::json!({
            "status": p.status, "detail": p.detail,
            "graph_code": meta.map(|e| e.code), "graph_subcode": meta.and_then(|e| e.subcode),
            "fbtrace_id": meta.and_then(|e| e.fbtrace_id.clone()),
        }))
    }

    /// What the client sees: `None` for an internal failure (a generic 500 with the correlation id).
    pub fn to_problem(&self) -> Option<Problem> {
        match self {
            Failure::Problem(p) => Some((**p).clone()),
            Failure::Graph(f) => Some(graph_problem(f)),
            Failure::Internal(_) => None,
        }
    }

    /// A one-line description for logs and run ledgers (never a token: Graph errors carry none).
    pub fn summary(&self) -> String {
        match self {
            Failure::Problem(p) => p.detail.clone(),
            Failure::Graph(f) => f.to_string(),
            Failure::Internal(s) => s.clone(),
        }
    }

    /// Meta refusing a read of an object the caller named (it does not exist, or this token may
    /// not see it) is the caller's input at fault: 422 naming the field, Meta's details kept.
    pub fn refused_as_field(self, field: &str) -> Failure {
        match self {
            Failure::Graph(f) if f.class() == ErrorClass::Permanent && f.graph_error().is_some() => {
                let mut p = graph_problem(&f);
                p.status = 422;
                p.title = "Refused by Meta".into();
                p.detail = format!("{field}: Meta refused it: {}", p.detail);
                p.field = Some(field.to_string());
                Failure::Problem(Box::new(p))
            }
            other => other,
        }
    }
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure::Problem(Box::new(p))
    }
}

impl From<FieldError> for Failure {
    fn from(e: FieldError) -> Self {
        Failure::Problem(Box::new(Problem::invalid_field(&e.field, e.reason)))
    }
}

impl From<GraphFailure> for Failure {
    fn from(f: GraphFailure) -> Self {
        Failure::Graph(Box::new(f))
    }
}

/// Maps a Graph failure to a problem that keeps Meta's code, subcode and fbtrace_id.
pub fn graph_problem(failure: &GraphFailure) -> Problem {
    match failure.graph_error() {
        Some(e) => {
            let status = match failure.class() {
                ErrorClass::Throttled => 429,
                ErrorClass::Auth => 401,
                _ => 502,
            };
            Problem::new("meta-graph-error", "Meta Graph API Error", status, e.message.clone())
                .with_extension("graph_code", json!(e.code))
                .with_extension("graph_subcode", json!(e.subcode))
                .with_extension("fbtrace_id", json!(e.fbtrace_id))
                .with_extension("graph_error_class", json!(format!("{:?}", failure.class()).to_lowercase()))
                .with_extension("error_user_title", json!(e.user_title))
                .with_extension("error_user_msg", json!(e.user_msg))
        }
        None => Problem::new("meta-unreachable", "Meta Graph API Unreachable", 502, failure.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphApiError;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn graph(code: i64) -> Failure {
        Failure::from(GraphFailure::Graph(GraphApiError::from_body(400, &format!(r#"{{"error":{{"message":"m","code":{code},"fbtrace_id":"T"}}}}"#))))
    }

    #[test]
    fn graph_failures_keep_their_class_until_the_edge() {
        assert_eq!(graph(190).graph_class(), Some(ErrorClass::Auth));
        let p = graph(17).to_problem().unwrap();
        assert_eq!((p.status, p.extensions["graph_code"].clone(), p.extensions["fbtrace_id"].clone()), (429, json!(17), json!("T")));
        assert!(Failure::Internal("x".into()).to_problem().is_none());
    }

    #[test]
    fn a_permanent_refusal_of_a_named_object_is_the_callers_field() {
        let Failure::Problem(p) = graph(100).refused_as_field("campaign_id") else { panic!() };
        assert_eq!((p.status, p.field.as_deref()), (422, Some("campaign_id")));
        assert!(matches!(graph(190).refused_as_field("campaign_id"), Failure::Graph(_)), "a refused token is not the caller's input");
    }
}
