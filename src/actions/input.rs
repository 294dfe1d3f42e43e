//! Decoding an action's typed input from JSON, naming the failing field (the first segment of
//! its path) and the reason, never quoting the value: serde's "invalid type: string \"...\""
//! would echo whatever the client sent.

use crate::problem::excerpt;
use crate::records::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The text between the first pair of backticks in `msg`.
fn quoted(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// A reason from serde's message, without the value it may quote.
fn reason(msg: &str) -> String {
    if msg.starts_with("invalid type:") || msg.starts_with("invalid value:") || msg.starts_with("invalid length") {
        if let Some((_, expected)) = msg.split_once(", expected ") {
            return format!("must be {expected}");
        }
    }
    msg.to_string()
}

pub fn decode<T: DeserializeOwned>(input: &Value) -> Result<T, FieldError> {
    if !input.is_object() {
        return Err(FieldError { field: "input".into(), reason: "must be a JSON object".into() });
    }
    serde_path_to_error::deserialize::<_, T>(input).map_err(|e| {
        let msg = e.inner().to_string();
        let first = e.path().iter().next().map(|s| s.to_string()).filter(|s| !s.is_empty() && s != "?");
        if let Some(rest) = msg.strip_prefix("unknown field ") {
            let name = quoted(rest).unwrap_or("?");
            let allowed = rest.split_once("expected one of ").map(|(_, l)| l.replace('`', "")).unwrap_or_else(|| "none".into());
            return FieldError { field: excerpt(name), reason: format!("unknown field; allowed: {allowed}") };
        }
        if let Some(rest) = msg.strip_prefix("missing field ") {
            return FieldError { field: quoted(rest).unwrap_or("input").to_string(), reason: "is required".into() };
        }
        FieldError { field: excerpt(&first.unwrap_or_else(|| "input".into())), reason: excerpt_reason(&reason(&msg)) }
    })
}

/// Our own messages quote at most an excerpt already; cap the whole reason as a last guard.
fn excerpt_reason(r: &str) -> String {
    if r.chars().nth(300).is_some() {
        r.chars().take(300).collect::<String>() + "…"
    } else {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountMap, AmountMinor, Bounded, Text};
    use serde::Deserialize;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        integration_id: Text<64>,
        limit: Option<Bounded<1, 500>>,
        caps: Option<AccountMap<AmountMinor>>,
    }

    fn field(v: serde_json::Value) -> (String, String) {
        let e = decode::<Input>(&v).unwrap_err();
        (e.field, e.reason)
    }

    #[test]
    fn names_the_field_and_never_quotes_the_value() {
        assert!(decode::<Input>(&json!({"integration_id": "int_1", "limit": 5})).is_ok());
        assert_eq!(field(json!({"limit": 5})), ("integration_id".into(), "is required".into()));
        assert_eq!(field(json!({"integration_id": "i", "limit": "ten"})), ("limit".into(), "must be an integer from 1 to 500".into()));
        assert_eq!(field(json!({"integration_id": "i", "limit": 501})), ("limit".into(), "must be an integer from 1 to 500".into()));
        let (f, r) = field(json!({"integration_id": "i", "colour": "red"}));
        assert_eq!((f.as_str(), r.starts_with("unknown field; allowed: integration_id, limit, caps")), ("colour", true), "{r}");
        assert_eq!(field(json!({"integration_id": "i", "caps": {"act_1": -3}})).0, "caps");
        let huge = "z".repeat(100_000);
        let (f, r) = field(json!({"integration_id": huge.clone()}));
        assert_eq!(f, "integration_id");
        assert!(!r.contains("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"), "{r}");
        let (f, r) = field(json!({"integration_id": "i", "limit": huge.clone()}));
        assert!(f == "limit" && r.len() < 100, "{r}");
        let (_, r) = field(json!({"integration_id": "i", "caps": {huge.clone(): 1}}));
        assert!(r.len() < 200, "{}", r.len());
        let (f, _) = field(json!({huge.clone(): 1}));
        assert!(f.len() < 100);
        assert_eq!(field(json!([1])).0, "input");
    }
}
