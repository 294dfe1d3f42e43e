//! Pipeline events as recruiting systems send them: an application (who applied to which job,
//! and every source field that can join it to Meta) or a stage change. Each row is checked on its
//! own and reported by index and field; a value is never echoed back, since it may be personal.
//! E-mail and phone become the SHA-256 of Meta's normalisation here and go no further as text.

use crate::domain::PiiKey;
use crate::ingest::{err, RowError};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

/// The most events one request (or one CSV file) may carry.
pub const MAX_EVENTS: usize = 5_000;

/// Where applications come from that no request may claim: Meta's own Instant Form leads.
pub const META_LEAD_SOURCE: &str = "meta_lead";

/// A stage an application can reach after applying, in funnel order; the last two leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Screened,
    Qualified,
    Interviewed,
    Offered,
    Hired,
    Rejected,
    Withdrawn,
}

impl Stage {
    pub const ALL: [Stage; 7] = [Stage::Screened, Stage::Qualified, Stage::Interviewed, Stage::Offered, Stage::Hired, Stage::Rejected, Stage::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Screened => "screened",
            Stage::Qualified => "qualified",
            Stage::Interviewed => "interviewed",
            Stage::Offered => "offered",
            Stage::Hired => "hired",
            Stage::Rejected => "rejected",
            Stage::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The column holding when an application first reached this stage.
    pub fn column(self) -> &'static str {
        match self {
            Stage::Screened => "screened_at",
            Stage::Qualified => "qualified_at",
            Stage::Interviewed => "interviewed_at",
            Stage::Offered => "offered_at",
            Stage::Hired => "hired_at",
            Stage::Rejected => "rejected_at",
            Stage::Withdrawn => "withdrawn_at",
        }
    }
}

/// One valid event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The application's columns, in `APPLICATION_COLUMNS` order after the workspace.
    Application(Vec<Value>),
    Stage {
        source: String,
        application_id: String,
        stage: Stage,
        at: String,
    },
}

/// The columns an application event fills (the workspace is bound apart).
pub const APPLICATION_COLUMNS: &[&str] = &[
    "source",
    "application_id",
    "candidate_id",
    "email_sha256",
    "phone_sha256",
    "job_id",
    "job_name",
    "location",
    "country",
    "applied_at",
    "applied_date",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "placement",
    "fbclid",
    "meta_lead_id",
    "ad_id_hint",
    "ats_source",
];

/// Optional text fields of an application and their longest length (others: 200).
const TEXTS: &[(&str, usize)] =
    &[("candidate_id", 128), ("job_id", 128), ("utm_campaign", 400), ("utm_term", 400), ("utm_content", 400), ("placement", 64), ("fbclid", 500)];

const APPLICATION_FIELDS: &[&str] = &[
    "type",
    "source",
    "application_id",
    "candidate_id",
    "email",
    "phone",
    "job_id",
    "job_name",
    "location",
    "country",
    "applied_at",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "placement",
    "fbclid",
    "lead_id",
    "ad_id",
    "ats_source",
];
const STAGE_FIELDS: &[&str] = &["type", "source", "application_id", "stage", "at"];

fn text<'a>(o: &'a Map<String, Value>, index: usize, k: &str, max: usize) -> Result<Option<&'a str>, RowError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max && !s.chars().any(char::is_control) => Ok(Some(s.trim())),
        Some(_) => Err(err(index, k, format!("must be text of at most {max} characters without control characters"))),
    }
}

/// A source's name: lower-case letters, digits, `_` or `-`.
fn source(o: &Map<String, Value>, index: usize) -> Result<&str, RowError> {
    let s = text(o, index, "source", 32)?
        .ok_or_else(|| err(index, "source", "is required: the system the event comes from, such as greenhouse or careers_site"))?;
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
        return Err(err(index, "source", "must be lower-case letters, digits, _ or - (1 to 32)"));
    }
    Ok(s)
}

fn application_id(o: &Map<String, Value>, index: usize) -> Result<&str, RowError> {
    text(o, index, "application_id", 128)?.ok_or_else(|| err(index, "application_id", "is required: the source's id of the application (1 to 128 characters)"))
}

/// A Meta id: digits only.
fn meta_id<'a>(o: &'a Map<String, Value>, index: usize, k: &str) -> Result<Option<&'a str>, RowError> {
    match text(o, index, k, 32)? {
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(s)),
        Some(_) => Err(err(index, k, "must be a Meta id (digits only)")),
        None => Ok(None),
    }
}

/// An instant as RFC 3339 UTC with seconds, so stored times compare as text. A date alone is
/// its midnight UTC. Times before 2000 or more than a day ahead of `now` are refused.
pub fn instant(o: &Map<String, Value>, index: usize, k: &str, now: DateTime<Utc>) -> Result<String, RowError> {
    let raw = text(o, index, k, 40)?.ok_or_else(|| err(index, k, "is required: an RFC 3339 time such as 2026-11-23T10:00:00Z, or a date"))?;
    let t = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).ok_or_else(|| err(index, k, "is not a time"))?,
            Err(_) => return Err(err(index, k, "must be an RFC 3339 time with its offset, such as 2026-11-23T10:00:00Z, or a date YYYY-MM-DD")),
        },
    };
    if t.timestamp() < 946_684_800 || t > now + chrono::Duration::days(1) {
        return Err(err(index, k, "must be after 2000-01-01 and not in the future"));
    }
    Ok(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn hashed(o: &Map<String, Value>, index: usize, k: &str, key: PiiKey) -> Result<Value, RowError> {
    match text(o, index, k, 320)? {
        None => Ok(Value::Null),
        Some(raw) => {
            let h = key.prepare(raw);
            if h.is_empty() {
                return Err(err(
                    index,
                    k,
                    format!("is not a usable {}", if key == PiiKey::EMAIL { "e-mail address" } else { "phone number (digits with the country code)" }),
                ));
            }
            Ok(Value::from(h))
        }
    }
}

/// Validates one event; `now` bounds its times.
pub fn event(index: usize, v: &Value, now: DateTime<Utc>) -> Result<Event, RowError> {
    let o = v.as_object().ok_or_else(|| err(index, "event", "must be an object"))?;
    let kind = o.get("type").and_then(Value::as_str).ok_or_else(|| err(index, "type", "is required: application or stage"))?;
    let allowed = match kind {
        "application" => APPLICATION_FIELDS,
        "stage" => STAGE_FIELDS,
        _ => return Err(err(index, "type", "must be application or stage")),
    };
    if let Some(bad) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(err(index, bad, format!("is not a field of a{} {kind} event", if kind == "application" { "n" } else { "" })));
    }
    let src = source(o, index)?;
    let id = application_id(o, index)?;
    if kind == "stage" {
        let stage = o
            .get("stage")
            .and_then(Value::as_str)
            .and_then(Stage::parse)
            .ok_or_else(|| err(index, "stage", "must be one of screened, qualified, interviewed, offered, hired, rejected, withdrawn"))?;
        let at = instant(o, index, "at", now)?;
        return Ok(Event::Stage { source: src.to_string(), application_id: id.to_string(), stage, at });
    }
    if src == META_LEAD_SOURCE {
        return Err(err(index, "source", "meta_lead is kept for Meta's Instant Form leads; send their stage changes only"));
    }
    let applied_at = instant(o, index, "applied_at", now)?;
    let country = match text(o, index, "country", 2)? {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => Value::from(c.to_ascii_uppercase()),
        Some(_) => return Err(err(index, "country", "must be an ISO 3166 two-letter code such as US")),
        None => Value::Null,
    };
    let mut row = vec![Value::from(src), Value::from(id)];
    let opt = |k: &str| -> Result<Value, RowError> {
        let max = TEXTS.iter().find(|t| t.0 == k).map_or(200, |t| t.1);
        Ok(text(o, index, k, max)?.map(Value::from).unwrap_or(Value::Null))
    };
    row.push(opt("candidate_id")?);
    row.push(hashed(o, index, "email", PiiKey::EMAIL)?);
    row.push(hashed(o, index, "phone", PiiKey::PHONE)?);
    row.push(opt("job_id")?);
    row.push(opt("job_name")?);
    row.push(opt("location")?);
    row.push(country);
    row.push(Value::from(applied_at.as_str()));
    row.push(Value::from(&applied_at[..10]));
    for k in ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "placement", "fbclid"] {
        row.push(opt(k)?);
    }
    row.push(meta_id(o, index, "lead_id")?.map(Value::from).unwrap_or(Value::Null));
    row.push(meta_id(o, index, "ad_id")?.map(Value::from).unwrap_or(Value::Null));
    row.push(opt("ats_source")?);
    debug_assert_eq!(row.len(), APPLICATION_COLUMNS.len());
    Ok(Event::Application(row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn col(row: &[Value], name: &str) -> Value {
        row[APPLICATION_COLUMNS.iter().position(|c| *c == name).unwrap()].clone()
    }

    #[test]
    fn an_application_keeps_its_source_fields_and_only_hashes_of_contacts() {
        let e = event(
            0,
            &json!({"type": "application", "source": "greenhouse", "application_id": "app-1", "email": " Jane@Example.com ", "phone": "+1 650 555 1212",
                    "applied_at": "2026-11-20T09:30:00-05:00", "utm_campaign": "Nurses_US_202611", "lead_id": "123", "ad_id": "456", "country": "us"}),
            now(),
        )
        .unwrap();
        let Event::Application(row) = e else { panic!("not an application") };
        assert_eq!(col(&row, "applied_at"), json!("2026-11-20T14:30:00Z"));
        assert_eq!(col(&row, "applied_date"), json!("2026-11-20"));
        assert_eq!(col(&row, "email_sha256"), json!(PiiKey::EMAIL.prepare("jane@example.com")));
        assert_eq!(col(&row, "phone_sha256").as_str().unwrap().len(), 64);
        assert_eq!((col(&row, "meta_lead_id"), col(&row, "ad_id_hint"), col(&row, "country")), (json!("123"), json!("456"), json!("US")));
        assert!(!serde_json::to_string(&row).unwrap().contains("jane"), "no contact detail in plain text");
    }

    #[test]
    fn stage_changes_name_a_known_stage_and_a_time() {
        let e = event(3, &json!({"type": "stage", "source": "lever", "application_id": "o-1", "stage": "hired", "at": "2026-11-01"}), now()).unwrap();
        assert_eq!(e, Event::Stage { source: "lever".into(), application_id: "o-1".into(), stage: Stage::Hired, at: "2026-11-01T00:00:00Z".into() });
    }

    #[test]
    fn bad_events_name_the_field_without_echoing_the_value() {
        let bad = |v: Value| event(7, &v, now()).unwrap_err();
        let app = |extra: Value| {
            let mut o = json!({"type": "application", "source": "ats", "application_id": "a", "applied_at": "2026-11-01T00:00:00Z"});
            o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            o
        };
        assert_eq!(bad(json!([])).field, "event");
        assert_eq!(bad(json!({"type": "hire"})).field, "type");
        assert_eq!(bad(app(json!({"salary": 1}))).field, "salary");
        assert_eq!(bad(app(json!({"source": "Green House"}))).field, "source");
        assert_eq!(bad(app(json!({"source": "meta_lead"}))).field, "source");
        assert_eq!(bad(app(json!({"application_id": ""}))).field, "application_id");
        assert_eq!(bad(app(json!({"applied_at": "yesterday"}))).field, "applied_at");
        assert_eq!(bad(app(json!({"applied_at": "2030-01-01T00:00:00Z"}))).field, "applied_at");
        assert_eq!(bad(app(json!({"lead_id": "l-1"}))).field, "lead_id");
        assert_eq!(bad(app(json!({"country": "USA"}))).field, "country");
        assert_eq!(bad(app(json!({"job_name": "x".repeat(201)}))).field, "job_name");
        let e = bad(app(json!({"email": "jane.at.example"})));
        assert_eq!(e.field, "email");
        assert!(!e.reason.contains("jane"));
        assert_eq!(bad(json!({"type": "stage", "source": "ats", "application_id": "a", "stage": "promoted", "at": "2026-11-01"})).field, "stage");
        assert_eq!(bad(json!({"type": "stage", "source": "ats", "application_id": "a", "stage": "hired"})).field, "at");
        assert_eq!(bad(json!({"type": "stage", "source": "ats", "application_id": "a", "stage": "hired", "at": "2026-11-01", "email": "x"})).field, "email");
        assert!(event(0, &json!({"type": "stage", "source": "ats", "application_id": "a", "stage": "hired", "at": "2026-11-01"}), now()).is_ok());
    }
}
