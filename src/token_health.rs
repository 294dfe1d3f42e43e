//! Token health from Meta's `debug_token` answer: valid or not, when it and its data access
//! expire, and which of the scopes adgate needs are missing.

use serde::Serialize;
use serde_json::Value;

pub const REQUIRED_SCOPES: [&str; 2] = ["ads_management", "ads_read"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenHealth {
    pub is_valid: bool,
    /// Unix seconds; None for tokens that do not expire (system users).
    pub expires_at: Option<i64>,
    pub data_access_expires_at: Option<i64>,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub token_type: Option<String>,
    pub meta_user_id: Option<String>,
    /// Meta's reason when the token is invalid.
    pub error: Option<String>,
}

impl TokenHealth {
    /// Usable for ads work: valid and holding every required scope.
    pub fn usable(&self) -> bool {
        self.is_valid && self.missing_scopes.is_empty()
    }

    /// Expires within `days` of `now` (never for non-expiring tokens).
    pub fn expires_within(&self, now: i64, days: i64) -> bool {
        self.expires_at.is_some_and(|e| e - now <= days * 86_400)
    }
}

/// Reads `{"data": {...}}` from `debug_token`.
pub fn from_debug_token(body: &Value) -> TokenHealth {
    let d = &body["data"];
    let scopes: Vec<String> = d["scopes"].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default();
    let missing = REQUIRED_SCOPES.iter().filter(|r| !scopes.iter().any(|s| s == *r)).map(|s| s.to_string()).collect();
    let positive = |v: &Value| v.as_i64().filter(|n| *n > 0);
    TokenHealth {
        is_valid: d["is_valid"].as_bool().unwrap_or(false),
        expires_at: positive(&d["expires_at"]),
        data_access_expires_at: positive(&d["data_access_expires_at"]),
        scopes,
        missing_scopes: missing,
        token_type: d["type"].as_str().map(str::to_string),
        meta_user_id: d["user_id"].as_str().map(str::to_string),
        error: d["error"]["message"].as_str().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_debug_token() {
        let h = from_debug_token(
            &json!({"data": {"is_valid": true, "expires_at": 0, "data_access_expires_at": 1_800_000_000, "scopes": ["ads_read"], "type": "SYSTEM_USER", "user_id": "20"}}),
        );
        assert!(h.is_valid && !h.usable());
        assert_eq!(h.missing_scopes, vec!["ads_management"]);
        assert_eq!(h.expires_at, None, "0 means it does not expire");
        assert!(!h.expires_within(0, 7));
        let h = from_debug_token(&json!({"data": {"is_valid": false, "error": {"message": "Session has expired"}, "scopes": []}}));
        assert_eq!(h.error.as_deref(), Some("Session has expired"));
        let soon = from_debug_token(&json!({"data": {"is_valid": true, "expires_at": 1_000 + 3 * 86_400, "scopes": ["ads_management", "ads_read"]}}));
        assert!(soon.usable() && soon.expires_within(1_000, 7) && !soon.expires_within(1_000, 2));
    }
}
