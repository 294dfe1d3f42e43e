//! Graph errors and their classes: what to retry, what to wait out, what needs a new token, and
//! what to give up on while keeping Meta's message, code, subcode and fbtrace_id.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Retry with backoff (5xx, codes 1 and 2, `is_transient`).
    Transient,
    /// Over a rate limit: wait (Meta's `estimated_time_to_regain_access` when given) and tell the gate.
    Throttled,
    /// The token is expired, revoked or invalid (190, 102): refresh, then mark it expired.
    Auth,
    /// No retry can help (100, 200, 294, 368, ...).
    Permanent,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Graph error {code}{}: {message}", subcode.map(|s| format!("/{s}")).unwrap_or_default())]
pub struct GraphApiError {
    pub http_status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub kind: String,
    pub message: String,
    pub fbtrace_id: Option<String>,
    pub is_transient: bool,
    pub user_title: Option<String>,
    pub user_msg: Option<String>,
    /// From `error_data.estimated_time_to_regain_access` (minutes), when Meta gives it.
    pub regain_access_minutes: Option<i64>,
}

impl GraphApiError {
    /// Parses Graph's `{"error": {...}}` body; a body that is not one still yields an error
    /// that says what came back (never the request, so never the token).
    pub fn from_body(http_status: u16, body: &str) -> GraphApiError {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let e = &v["error"];
        if !e.is_object() {
            return GraphApiError {
                http_status,
                code: if http_status >= 500 { 1 } else { 0 },
                subcode: None,
                kind: "HttpError".into(),
                message: format!("HTTP {http_status} without a Graph error body"),
                fbtrace_id: None,
                is_transient: http_status >= 500,
                user_title: None,
                user_msg: None,
                regain_access_minutes: None,
            };
        }
        let text = |k: &str| e[k].as_str().map(str::to_string);
        GraphApiError {
            http_status,
            code: e["code"].as_i64().unwrap_or(0),
            subcode: e["error_subcode"].as_i64(),
            kind: text("type").unwrap_or_default(),
            message: text("message").unwrap_or_default(),
            fbtrace_id: text("fbtrace_id"),
            is_transient: e["is_transient"].as_bool().unwrap_or(false),
            user_title: text("error_user_title"),
            user_msg: text("error_user_msg"),
            regain_access_minutes: e["error_data"]["estimated_time_to_regain_access"].as_i64().or_else(|| {
                e["error_data"].as_str().and_then(|s| serde_json::from_str::<Value>(s).ok()).and_then(|d| d["estimated_time_to_regain_access"].as_i64())
            }),
        }
    }

    pub fn class(&self) -> ErrorClass {
        classify(self.http_status, self.code, self.is_transient)
    }
}

/// Meta's codes, grouped by what the caller should do.
pub fn classify(http_status: u16, code: i64, is_transient: bool) -> ErrorClass {
    match code {
        4 | 17 | 32 | 613 | 80_000..=80_014 => ErrorClass::Throttled,
        190 | 102 => ErrorClass::Auth,
        1 | 2 => ErrorClass::Transient,
        _ if is_transient || http_status >= 500 => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

/// Why a client call failed, after any retries.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphFailure {
    #[error("{0}")]
    Graph(GraphApiError),
    #[error(transparent)]
    Transport(#[from] crate::graph::http::TransportError),
    #[error("the Graph response was not valid JSON: {0}")]
    BadResponse(String),
}

impl GraphFailure {
    pub fn class(&self) -> ErrorClass {
        match self {
            GraphFailure::Graph(e) => e.class(),
            GraphFailure::Transport(_) => ErrorClass::Transient,
            GraphFailure::BadResponse(_) => ErrorClass::Transient,
        }
    }

    pub fn graph_error(&self) -> Option<&GraphApiError> {
        match self {
            GraphFailure::Graph(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn classifies_meta_codes() {
        for code in [4, 17, 32, 613, 80_000, 80_004, 80_014] {
            assert_eq!(classify(400, code, true), ErrorClass::Throttled, "{code}");
        }
        assert_eq!(classify(400, 190, false), ErrorClass::Auth);
        assert_eq!(classify(500, 2, true), ErrorClass::Transient);
        assert_eq!(classify(503, 1, false), ErrorClass::Transient);
        for code in [100, 200, 294, 368] {
            assert_eq!(classify(400, code, false), ErrorClass::Permanent, "{code}");
        }
        assert_eq!(classify(400, 100, true), ErrorClass::Transient, "Meta's is_transient wins for other codes");
    }

    #[test]
    fn parses_the_error_object_and_keeps_fbtrace() {
        let body = r#"{"error":{"message":"(#17) User request limit reached","type":"OAuthException","code":17,"error_subcode":2446079,"is_transient":true,"fbtrace_id":"Axyz","error_data":{"estimated_time_to_regain_access":3}}}"#;
        let e = GraphApiError::from_body(400, body);
        assert_eq!((e.code, e.subcode, e.regain_access_minutes), (17, Some(2446079), Some(3)));
        assert_eq!(e.fbtrace_id.as_deref(), Some("Axyz"));
        assert_eq!(e.class(), ErrorClass::Throttled);
        assert_eq!(e.to_string(), "Graph error 17/2446079: (#17) User request limit reached");
        let e = GraphApiError::from_body(502, "<html>bad gateway</html>");
        assert_eq!(e.class(), ErrorClass::Transient);
    }
}
