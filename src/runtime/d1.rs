//! Small helpers for D1 statements: bound values, the clock and new ids.

use wasm_bindgen::JsValue;

pub fn now_millis() -> i64 {
    worker::Date::now().as_millis() as i64
}

pub fn now_iso() -> String {
    crate::timefmt::iso_from_millis(now_millis())
}

/// A new id with a readable prefix, e.g. `ws_3f2a...`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

pub fn opt_text(s: Option<&str>) -> JsValue {
    s.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

pub fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// Parses `?limit=` with a default and a ceiling.
pub fn limit_param(url: &worker::Url, default: u32, max: u32) -> Result<u32, crate::records::FieldError> {
    match url.query_pairs().find(|(k, _)| k == "limit") {
        None => Ok(default),
        Some((_, v)) => match v.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(crate::records::FieldError { field: "limit".into(), reason: format!("must be an integer from 1 to {max}") }),
        },
    }
}

/// The INSERT for one audit row, ready to go into the same batch as the mutation it records.
pub fn audit_statement(db: &worker::D1Database, entry: &crate::audit::AuditEntry, now: &str) -> worker::Result<worker::D1PreparedStatement> {
    use crate::audit::json_text;
    db.prepare(crate::audit::INSERT_SQL).bind(&[
        text(&new_id("aud")),
        text(now),
        opt_text(entry.workspace_id.as_deref()),
        opt_text(entry.ad_account_id.as_deref()),
        text(&entry.actor),
        text(&entry.action),
        opt_text(entry.risk_tier.as_deref()),
        opt_text(entry.external_id.as_deref()),
        opt_text(json_text(&entry.before).as_deref()),
        opt_text(json_text(&entry.after).as_deref()),
        text(&entry.correlation_id),
        opt_text(entry.idempotency_key.as_deref()),
        opt_text(entry.approval_id.as_deref()),
        text(entry.outcome.as_str()),
        opt_text(json_text(&entry.graph_error).as_deref()),
        opt_text(entry.actor_member_id.as_deref()),
        opt_text(entry.via.as_deref()),
    ])
}
