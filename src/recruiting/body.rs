//! The events endpoint's body: `{"events": [...]}` as JSON, or the same events as a CSV file
//! (`text/csv`, a header row naming the fields, an empty cell for an absent value) for teams
//! whose systems export files rather than call APIs.

// The refusals are the rare path and go straight to the client as they are.
#![allow(clippy::result_large_err)]

use super::events::MAX_EVENTS;
use crate::problem::Problem;
use crate::records::FieldError;
use crate::request_body;
use serde_json::{Map, Value};

/// A body of 5,000 events with every field filled stays well under this.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Whether the body is declared a CSV file.
pub fn is_csv(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("text/csv"))
}

fn invalid(e: FieldError) -> Problem {
    Problem::invalid_field(&e.field, e.reason)
}

fn too_many(n: usize) -> FieldError {
    FieldError { field: "events".into(), reason: format!("must hold 1 to {MAX_EVENTS} events, not {n}") }
}

/// The events of a body, checked for shape and count (each event is checked later on its own).
pub fn events(content_type: Option<&str>, bytes: &[u8]) -> Result<Vec<Value>, Problem> {
    if is_csv(content_type) {
        if bytes.len() > MAX_BODY_BYTES {
            return Err(request_body::too_large(MAX_BODY_BYTES));
        }
        return csv_events(bytes).map_err(invalid);
    }
    let body = request_body::parse_json(content_type, bytes, MAX_BODY_BYTES, false)?;
    let obj = body.as_object().ok_or_else(|| Problem::invalid_field("body", "must be a JSON object with an events array"))?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "events") {
        return Err(Problem::invalid_field(&crate::problem::excerpt(k), "unknown field; allowed: events"));
    }
    let events = obj.get("events").and_then(Value::as_array).ok_or_else(|| Problem::invalid_field("events", "is required: an array of events"))?;
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(invalid(too_many(events.len())));
    }
    Ok(events.clone())
}

/// A CSV file as events: each row an object of its non-empty cells under the header's names.
fn csv_events(bytes: &[u8]) -> Result<Vec<Value>, FieldError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| FieldError { field: "header".into(), reason: "the first line must name the fields, comma-separated".into() })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if !headers.iter().any(|h| h == "type") {
        return Err(FieldError { field: "header".into(), reason: "must name a type column (application or stage)".into() });
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|_| FieldError { field: format!("events[{i}]"), reason: "is not a CSV row with one cell per header field".into() })?;
        if out.len() == MAX_EVENTS {
            return Err(too_many(MAX_EVENTS + 1));
        }
        let mut o = Map::new();
        for (h, cell) in headers.iter().zip(record.iter()) {
            if !cell.trim().is_empty() {
                o.insert(h.clone(), Value::from(cell));
            }
        }
        out.push(Value::Object(o));
    }
    if out.is_empty() {
        return Err(too_many(0));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn json_and_csv_bodies_give_the_same_events() {
        let csv = "type,source,application_id,applied_at,utm_campaign,stage,at\n\
                   application,careers,a-1,2026-11-01T10:00:00Z,\"Nurses, US\",,\n\
                   stage,careers,a-1,,,hired,2026-11-20\n";
        let from_csv = events(Some("text/csv; charset=utf-8"), csv.as_bytes()).unwrap();
        assert_eq!(
            from_csv[0],
            json!({"type": "application", "source": "careers", "application_id": "a-1", "applied_at": "2026-11-01T10:00:00Z", "utm_campaign": "Nurses, US"})
        );
        assert_eq!(from_csv[1], json!({"type": "stage", "source": "careers", "application_id": "a-1", "stage": "hired", "at": "2026-11-20"}));
        let body = json!({"events": from_csv}).to_string();
        assert_eq!(events(Some("application/json"), body.as_bytes()).unwrap(), from_csv);
    }

    #[test]
    fn bad_bodies_name_what_is_wrong() {
        let field = |ct: &str, b: &str| events(Some(ct), b.as_bytes()).unwrap_err().field;
        assert_eq!(field("application/json", "{\"rows\": []}").as_deref(), Some("rows"));
        assert_eq!(field("application/json", "{\"events\": []}").as_deref(), Some("events"));
        assert_eq!(field("application/json", "[]").as_deref(), Some("body"));
        assert_eq!(field("text/csv", "source,application_id\nx,y\n").as_deref(), Some("header"));
        assert_eq!(field("text/csv", "type,source\napplication,x,extra\n").as_deref(), Some("events[0]"));
        assert_eq!(field("text/csv", "type,source\n").as_deref(), Some("events"));
        let many = format!("type\n{}", "stage\n".repeat(MAX_EVENTS + 1));
        assert_eq!(field("text/csv", &many).as_deref(), Some("events"));
        assert_eq!(events(Some("text/plain"), b"type\nstage\n").unwrap_err().status, 415);
    }
}
