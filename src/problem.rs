//! RFC 9457 problem details: the one shape every adgate error takes on the wire.

use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";
const TYPE_BASE: &str = "https://adgate.dev/problems/";
/// The longest `detail` a problem carries: a message names the field and the reason, and
/// quotes input at most as a short excerpt, so a huge value can never ride back out (or fill
/// an idempotency record).
pub const MAX_DETAIL_CHARS: usize = 600;
/// How much of a client's value a message may quote.
pub const EXCERPT_CHARS: usize = 40;

/// At most `EXCERPT_CHARS` characters of `value`, marked when cut: for messages that quote input.
pub fn excerpt(value: &str) -> String {
    cut(value, EXCERPT_CHARS)
}

fn cut(value: &str, max_chars: usize) -> String {
    match value.char_indices().nth(max_chars) {
        None => value.to_string(),
        Some((at, _)) => format!("{}… ({} bytes in all)", &value[..at], value.len()),
    }
}

/// A problem+json body. `type` is stable and machine-readable; `detail` is for humans and never
/// carries a secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The input field at fault, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Methods the resource does support, for 405.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Seconds before retrying is worthwhile, for 429 and 503.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Further members specific to a problem type (e.g. Graph error code and fbtrace_id).
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    pub fn new(slug: &str, title: &str, status: u16, detail: impl Into<String>) -> Self {
        Problem {
            type_uri: format!("{TYPE_BASE}{slug}"),
            title: title.to_string(),
            status,
            detail: cut(&detail.into(), MAX_DETAIL_CHARS),
            instance: None,
            correlation_id: None,
            field: None,
            allow: None,
            retry_after_seconds: None,
            extensions: serde_json::Map::new(),
        }
    }

    pub fn not_found(path: &str) -> Self {
        Self::new("not-found", "Not Found", 404, format!("no resource at {path}"))
    }

    pub fn method_not_allowed(method: &str, path: &str, allowed: &[&str]) -> Self {
        let mut p = Self::new("method-not-allowed", "Method Not Allowed", 405, format!("{method} is not supported on {path}; use {}", allowed.join(", ")));
        p.allow = Some(allowed.iter().map(|m| m.to_string()).collect());
        p
    }

    pub fn invalid_field(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut p = Self::new("invalid-input", "Invalid Input", 422, format!("{field}: {reason}"));
        p.field = Some(field.to_string());
        p
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new("bad-request", "Bad Request", 400, detail)
    }

    pub fn unauthorized() -> Self {
        Self::new("unauthorized", "Unauthorized", 401, "a valid API key is required as 'Authorization: Bearer <key>'")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new("forbidden", "Forbidden", 403, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new("conflict", "Conflict", 409, detail)
    }

    pub fn rate_limited(detail: impl Into<String>, retry_after_seconds: u64) -> Self {
        let mut p = Self::new("rate-limited", "Too Many Requests", 429, detail);
        p.retry_after_seconds = Some(retry_after_seconds);
        p
    }

    /// An internal failure. The cause is logged by the caller with the correlation id; the body
    /// says only that something failed, so no internal detail (or secret) reaches the client.
    pub fn internal() -> Self {
        Self::new("internal", "Internal Server Error", 500, "the gateway failed to handle this request; quote the correlation id when reporting it")
    }

    pub fn with_context(mut self, instance: &str, correlation_id: &str) -> Self {
        self.instance = Some(instance.to_string());
        self.correlation_id = Some(correlation_id.to_string());
        self
    }

    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extensions.insert(key.to_string(), value);
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a Problem always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn serialises_rfc9457_members_and_omits_empty_extensions() {
        let p = Problem::not_found("/nope").with_context("/nope", "cid-1");
        let v: Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(v["type"], "https://adgate.dev/problems/not-found");
        assert_eq!(v["status"], 404);
        assert_eq!(v["instance"], "/nope");
        assert_eq!(v["correlation_id"], "cid-1");
        assert!(v.get("field").is_none() && v.get("allow").is_none());
    }

    #[test]
    fn details_and_excerpts_are_bounded() {
        let huge = "x".repeat(10_000_000);
        let p = Problem::invalid_field("caps", format!("{huge} is not an ad account id"));
        assert!(p.detail.chars().count() < MAX_DETAIL_CHARS + 40, "{}", p.detail.len());
        assert!(p.detail.starts_with("caps: xxx") && p.detail.contains("bytes in all"));
        assert_eq!(excerpt("short"), "short");
        let e = excerpt(&"é".repeat(100));
        assert!(e.starts_with(&"é".repeat(EXCERPT_CHARS)) && e.ends_with("(200 bytes in all)"), "{e}");
    }

    #[test]
    fn names_the_field_and_the_allowed_methods() {
        let p = Problem::invalid_field("currency", "must be a 3-letter ISO 4217 code");
        assert_eq!(p.field.as_deref(), Some("currency"));
        assert!(p.detail.starts_with("currency: "));
        let p = Problem::method_not_allowed("DELETE", "/health", &["GET"]);
        assert_eq!(p.allow, Some(vec!["GET".to_string()]));
        assert_eq!(p.status, 405);
    }
}
