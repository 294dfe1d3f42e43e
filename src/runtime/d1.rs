//! Small helpers for D1 statements: bound values, the clock and new ids.

use crate::ports::{Bind, Query};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub use super::clock::now_millis;

pub fn now_iso() -> String {
    crate::timefmt::iso_from_millis(now_millis())
}

pub use crate::ports::new_id;

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

/// The INSERT for one audit row (`db::audit_log::insert`), ready to go into the same batch as
/// the mutation it records.
pub fn audit_statement(db: &D1Database, entry: &crate::audit::AuditEntry, now: &str) -> worker::Result<D1PreparedStatement> {
    statement(db, &crate::db::audit_log::insert(entry, now))
}

fn js(b: &Bind) -> JsValue {
    match b {
        Bind::Text(s) => JsValue::from_str(s),
        Bind::Int(n) => JsValue::from_f64(*n as f64),
        Bind::Real(x) => JsValue::from_f64(*x),
        Bind::Null => JsValue::NULL,
    }
}

/// A query as a D1 statement.
pub fn statement(db: &D1Database, q: &Query) -> worker::Result<D1PreparedStatement> {
    let binds: Vec<JsValue> = q.binds.iter().map(js).collect();
    db.prepare(&q.sql).bind(&binds)
}
