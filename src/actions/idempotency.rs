//! Idempotency decisions, kept pure: the `AdAccountGate` stores the records and applies these.
//! The same key with the same body replays the first result; with another body it is refused;
//! while the first is still running, a duplicate is told so (never a second Meta call).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a claimed key may stay in flight before it counts as abandoned (a crashed request).
pub const LEASE_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub body_hash: String,
    /// SQLite has no booleans: stored as 0 or 1.
    #[serde(deserialize_with = "bool_from_int_or_bool")]
    pub done: bool,
    pub status: u16,
    pub response: String,
    pub claimed_at_ms: i64,
    pub expires_at_ms: i64,
}

fn bool_from_int_or_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Number(n) => Ok(n.as_f64() != Some(0.0)),
        other => Err(serde::de::Error::custom(format!("expected 0, 1 or a boolean, got {other}"))),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead; the key is now claimed.
    Proceed,
    Replay {
        status: u16,
        response: String,
    },
    Mismatch,
    InFlight,
}

/// JSON with object keys sorted at every depth, so equal inputs give equal text whatever order
/// they arrived in (and whatever map ordering serde_json was built with).
pub fn canonical(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&o[*k]))).collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// A stable hash of what the request asks for: the action and its canonical JSON input.
pub fn body_hash(router: &str, action: &str, input: &serde_json::Value) -> String {
    let text = format!("{router}/{action}\n{}", canonical(input));
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub fn decide(existing: Option<&Record>, body_hash: &str, now_ms: i64) -> Decision {
    match existing {
        Some(r) if r.expires_at_ms <= now_ms => Decision::Proceed,
        Some(r) if r.body_hash != body_hash => Decision::Mismatch,
        Some(r) if r.done => Decision::Replay { status: r.status, response: r.response.clone() },
        Some(r) if now_ms - r.claimed_at_ms < LEASE_MS => Decision::InFlight,
        _ => Decision::Proceed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rec(done: bool, claimed: i64) -> Record {
        Record { body_hash: "h".into(), done, status: 200, response: "{}".into(), claimed_at_ms: claimed, expires_at_ms: 1_000_000 }
    }

    #[test]
    fn replays_refuses_and_waits() {
        assert_eq!(decide(None, "h", 0), Decision::Proceed);
        assert_eq!(decide(Some(&rec(true, 0)), "h", 10), Decision::Replay { status: 200, response: "{}".into() });
        assert_eq!(decide(Some(&rec(true, 0)), "other", 10), Decision::Mismatch);
        assert_eq!(decide(Some(&rec(false, 0)), "h", 10), Decision::InFlight);
        assert_eq!(decide(Some(&rec(false, 0)), "h", LEASE_MS + 1), Decision::Proceed, "abandoned claims are taken over");
        assert_eq!(decide(Some(&rec(true, 0)), "other", 1_000_000), Decision::Proceed, "expired records are forgotten");
    }

    #[test]
    fn records_read_sqlite_integers_as_booleans() {
        let r: Record =
            serde_json::from_value(json!({"body_hash": "h", "done": 1, "status": 200, "response": "{}", "claimed_at_ms": 1, "expires_at_ms": 2})).unwrap();
        assert!(r.done);
    }

    #[test]
    fn hashes_are_canonical() {
        let a = body_hash("r", "a", &json!({"x": 1, "y": [1, 2]}));
        let b = body_hash("r", "a", &serde_json::from_str(r#"{"y":[1,2],"x":1}"#).unwrap());
        assert_eq!(a, b);
        assert_ne!(a, body_hash("r", "b", &json!({"x": 1, "y": [1, 2]})));
    }
}
