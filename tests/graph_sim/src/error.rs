//! Graph API error objects, with the codes and messages Meta uses.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub http_status: u16,
    pub message: String,
    pub kind: &'static str,
    pub code: i64,
    pub subcode: Option<i64>,
    pub is_transient: bool,
    pub user_title: Option<String>,
    pub user_msg: Option<String>,
    /// Business use case throttling: seconds until calls are allowed again.
    pub regain_access_minutes: Option<i64>,
}

impl GraphError {
    pub fn new(http_status: u16, kind: &'static str, code: i64, message: impl Into<String>) -> Self {
        GraphError {
            http_status,
            message: message.into(),
            kind,
            code,
            subcode: None,
            is_transient: false,
            user_title: None,
            user_msg: None,
            regain_access_minutes: None,
        }
    }

    pub fn subcode(mut self, s: i64) -> Self {
        self.subcode = Some(s);
        self
    }

    pub fn transient(mut self) -> Self {
        self.is_transient = true;
        self
    }

    pub fn user(mut self, title: &str, msg: &str) -> Self {
        self.user_title = Some(title.into());
        self.user_msg = Some(msg.into());
        self
    }

    /// Code 100: a parameter is missing or invalid.
    pub fn invalid_param(message: impl Into<String>) -> Self {
        GraphError::new(400, "OAuthException", 100, message)
    }

    /// The error for an id that does not exist (or the token cannot see).
    pub fn unknown_object(id: &str) -> Self {
        GraphError::new(
            400,
            "GraphMethodException",
            100,
            format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        )
        .subcode(33)
    }

    pub fn unknown_path(path: &str) -> Self {
        // Meta names the unknown part with its leading slash: "Unknown path components: /boguspath".
        GraphError::new(400, "OAuthException", 2500, format!("Unknown path components: /{}", path.trim_start_matches('/')))
    }

    pub fn missing_token() -> Self {
        GraphError::new(400, "OAuthException", 2500, "An active access token must be used to query information about the current user.")
    }

    pub fn invalid_token() -> Self {
        GraphError::new(400, "OAuthException", 190, "Invalid OAuth access token - Cannot parse access token")
    }

    pub fn expired_token(expired_at: &str) -> Self {
        GraphError::new(400, "OAuthException", 190, format!("Error validating access token: Session has expired on {expired_at}. The current time is later."))
            .subcode(463)
    }

    pub fn permission(message: impl Into<String>) -> Self {
        GraphError::new(403, "OAuthException", 200, message)
    }

    pub fn to_json(&self, fbtrace_id: &str) -> Value {
        let mut e = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": fbtrace_id,
            "is_transient": self.is_transient,
        });
        if let Some(s) = self.subcode {
            e["error_subcode"] = json!(s);
        }
        if let Some(t) = &self.user_title {
            e["error_user_title"] = json!(t);
        }
        if let Some(m) = &self.user_msg {
            e["error_user_msg"] = json!(m);
        }
        if let Some(m) = self.regain_access_minutes {
            e["error_data"] = json!({ "estimated_time_to_regain_access": m });
        }
        json!({ "error": e })
    }
}

pub type GraphResult<T> = Result<T, GraphError>;
