//! JSON request bodies: bounded in size (413 above the limit, checked against the declared
//! length before reading and against what arrived after), declared as JSON (415 otherwise),
//! and parsed with a 400 that quotes no input.

// The refusals are the rare path and go straight to the client as they are.
#![allow(clippy::result_large_err)]

use crate::problem::Problem;
use serde_json::Value;

/// Every JSON route but metrics ingest: far above any action's input, far below a memory risk.
pub const MAX_JSON_BODY_BYTES: usize = 1024 * 1024;
/// Metrics ingest takes up to 5,000 rows in one body.
pub const MAX_INGEST_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn too_large(max: usize) -> Problem {
    Problem::new("payload-too-large", "Payload Too Large", 413, format!("the request body is over the {max}-byte limit of this route"))
}

/// Refuses a body whose declared `Content-Length` is over `max`, before it is read.
pub fn check_declared_length(content_length: Option<&str>, max: usize) -> Result<(), Problem> {
    match content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > max as u64 => Err(too_large(max)),
        _ => Ok(()),
    }
}

/// `application/json`, or any `+json` type, with parameters (such as a charset) allowed.
pub fn is_json_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Checks and parses a body. An empty body is `{}` when `allow_empty`, else refused.
pub fn parse_json(content_type: Option<&str>, bytes: &[u8], max: usize, allow_empty: bool) -> Result<Value, Problem> {
    if bytes.len() > max {
        return Err(too_large(max));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if allow_empty { Ok(Value::Object(Default::default())) } else { Err(Problem::bad_request("a JSON body is required")) };
    }
    if !content_type.is_some_and(is_json_type) {
        return Err(Problem::new("unsupported-media-type", "Unsupported Media Type", 415, "send the body as JSON with 'Content-Type: application/json'"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's message gives the line and column, never the input itself.
        Problem::bad_request(format!("the request body is not valid JSON: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bodies_are_bounded_typed_and_parsed() {
        assert_eq!(check_declared_length(Some("1048577"), MAX_JSON_BODY_BYTES).unwrap_err().status, 413);
        assert!(check_declared_length(Some("10"), MAX_JSON_BODY_BYTES).is_ok());
        assert!(check_declared_length(None, 1).is_ok());
        let big = vec![b' '; 11];
        assert_eq!(parse_json(Some("application/json"), &big, 10, true).unwrap_err().status, 413);
        assert_eq!(parse_json(Some("application/json"), b"{\"a\":1}", 100, false).unwrap()["a"], 1);
        assert_eq!(parse_json(Some("application/merge-patch+json; charset=utf-8"), b"{}", 100, false).unwrap(), serde_json::json!({}));
        assert_eq!(parse_json(Some("Application/JSON; charset=UTF-8"), b"[]", 100, false).unwrap(), serde_json::json!([]));
        assert_eq!(parse_json(Some("application/x-www-form-urlencoded"), b"{}", 100, false).unwrap_err().status, 415);
        assert_eq!(parse_json(None, b"{}", 100, false).unwrap_err().status, 415);
        assert_eq!(parse_json(Some("text/plain"), b"", 100, true).unwrap(), serde_json::json!({}), "no body, nothing to type");
        assert_eq!(parse_json(None, b"  ", 100, false).unwrap_err().status, 400);
        let bad = parse_json(Some("application/json"), b"{\"secret-ish value", 100, false).unwrap_err();
        assert_eq!(bad.status, 400);
        assert!(!bad.detail.contains("secret-ish"), "{}", bad.detail);
    }
}
