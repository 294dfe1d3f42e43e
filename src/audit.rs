//! Audit rows: one for every mutation, attempted or done. Built here as plain values so the
//! shape is tested natively; the runtime only binds them to an INSERT.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    PendingApproval,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::PendingApproval => "pending_approval",
            Outcome::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub action: String,
    /// The key (or `bootstrap`, `cron`, ...) that acted.
    pub actor: String,
    /// The member (person) the key belongs to, when a member acted.
    pub actor_member_id: Option<String>,
    /// The channel a governed action came in by: http, mcp or approval.
    pub via: Option<String>,
    pub workspace_id: Option<String>,
    pub ad_account_id: Option<String>,
    pub risk_tier: Option<String>,
    pub external_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub correlation_id: String,
    pub idempotency_key: Option<String>,
    pub approval_id: Option<String>,
    pub outcome: Outcome,
    pub graph_error: Option<Value>,
    /// Writes the audited work sent to Meta (the completeness check matches them with the
    /// `mutation` events); `None` where the work does not count them.
    pub meta_writes: Option<i64>,
}

impl AuditEntry {
    pub fn new(action: &str, actor: &str, correlation_id: &str, outcome: Outcome) -> Self {
        AuditEntry {
            action: action.to_string(),
            actor: actor.to_string(),
            actor_member_id: None,
            via: None,
            workspace_id: None,
            ad_account_id: None,
            risk_tier: None,
            external_id: None,
            before: None,
            after: None,
            correlation_id: correlation_id.to_string(),
            idempotency_key: None,
            approval_id: None,
            outcome,
            graph_error: None,
            meta_writes: None,
        }
    }

    /// An entry for what `principal` did: its key as the actor and its member as the person.
    pub fn by(action: &str, principal: &crate::api_keys::Principal, correlation_id: &str, outcome: Outcome) -> Self {
        let mut e = Self::new(action, &principal.actor(), correlation_id, outcome);
        e.actor_member_id = principal.member_id().map(str::to_string);
        e
    }
}

pub const INSERT_SQL: &str = "INSERT INTO audit_log (id, occurred_at, workspace_id, ad_account_id, actor, action, \
     risk_tier, external_id, before_json, after_json, correlation_id, idempotency_key, approval_id, \
     outcome, graph_error, actor_member_id, via, meta_writes, created_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?2, ?2)";

/// JSON text for a nullable JSON column.
pub fn json_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn insert_binds_every_column_it_names() {
        let columns = INSERT_SQL.split('(').nth(1).unwrap().split(')').next().unwrap().split(',').count();
        assert_eq!(columns, 20);
        assert!((1..=18).all(|n| INSERT_SQL.contains(&format!("?{n}"))));
        assert!(!INSERT_SQL.contains("?19"));
    }

    #[test]
    fn json_columns_hold_json_text_or_null() {
        assert_eq!(json_text(&Some(json!({"a": 1}))), Some("{\"a\":1}".to_string()));
        assert_eq!(json_text(&None), None);
        let e = AuditEntry::new("create_workspace", "bootstrap", "cid", Outcome::Succeeded);
        assert_eq!(e.outcome.as_str(), "succeeded");
    }
}
