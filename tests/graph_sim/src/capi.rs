//! Datasets (pixels) and the Conversions API as the "Conversion Leads" CRM integration uses it:
//! `POST /{dataset_id}/events` with `data`, a list of up to 1,000 events. Meta checks the whole
//! request first and refuses all of it when one event is invalid, naming that event's index;
//! what it accepts it counts in `events_received`.

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Node, Store};
use serde_json::{json, Value};

/// The most events one request may carry.
pub const MAX_EVENTS: usize = 1_000;
/// Events older than this are refused (seconds).
pub const MAX_AGE_SECS: i64 = 7 * 86_400;
/// How far ahead of Meta's clock an event may be stamped (seconds).
const FUTURE_SLACK_SECS: i64 = 60;

/// Where an event happened, as the Conversions API names it.
const ACTION_SOURCES: &[&str] = &["email", "website", "app", "phone_call", "chat", "physical_store", "system_generated", "business_messaging", "other"];

/// The customer information keys of `user_data` that can identify someone.
const USER_KEYS: &[&str] = &[
    "em",
    "ph",
    "fn",
    "ln",
    "ge",
    "db",
    "ct",
    "st",
    "zp",
    "country",
    "external_id",
    "client_ip_address",
    "client_user_agent",
    "fbc",
    "fbp",
    "lead_id",
    "subscription_id",
    "fb_login_id",
    "madid",
    "anon_id",
];

fn refused(index: usize, message: String) -> GraphError {
    GraphError::invalid_param(format!("(#100) Invalid parameter: data[{index}]: {message}"))
        .subcode(2_804_019)
        .user("Invalid parameter", &format!("data[{index}]: {message}"))
}

/// One event checked against the rules Meta documents; `Err` names what is wrong with it.
fn check(index: usize, e: &Value, now: i64) -> GraphResult<()> {
    let obj = e.as_object().ok_or_else(|| refused(index, "an event must be an object".into()))?;
    match obj.get("event_name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => {}
        _ => return Err(refused(index, "The parameter event_name is required".into())),
    }
    let time = obj.get("event_time").and_then(|t| t.as_i64().or_else(|| t.as_str().and_then(|s| s.parse().ok())));
    let Some(time) = time else { return Err(refused(index, "The parameter event_time is required and must be a Unix timestamp in seconds".into())) };
    if time < now - MAX_AGE_SECS {
        return Err(GraphError::invalid_param("(#100) Invalid parameter")
            .subcode(2_804_003)
            .user("Event Timestamp Too Old", &format!("The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred. Enter a timestamp that has occurred within the last 7 days. (data[{index}])")));
    }
    if time > now + FUTURE_SLACK_SECS {
        return Err(GraphError::invalid_param("(#100) Invalid parameter")
            .subcode(2_804_004)
            .user("Event Timestamp In The Future", &format!("The timestamp for this event is in the future. (data[{index}])")));
    }
    match obj.get("action_source").and_then(Value::as_str) {
        Some(s) if ACTION_SOURCES.contains(&s) => {}
        Some(_) => return Err(refused(index, format!("action_source must be one of {}", ACTION_SOURCES.join(", ")))),
        None => return Err(refused(index, "The parameter action_source is required".into())),
    }
    let user = obj.get("user_data").and_then(Value::as_object);
    if !user.is_some_and(|u| u.iter().any(|(k, v)| USER_KEYS.contains(&k.as_str()) && !v.is_null())) {
        return Err(GraphError::invalid_param("(#100) Invalid parameter").subcode(2_804_050).user(
            "Insufficient Customer Information",
            &format!("You haven't added sufficient customer information parameters for this event. (data[{index}]: user_data must carry at least one customer information parameter)"),
        ));
    }
    if let Some(lead) = user.and_then(|u| u.get("lead_id")) {
        let digits = lead
            .as_u64()
            .map(|n| n.to_string())
            .or_else(|| lead.as_str().filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).map(str::to_string));
        if digits.is_none() {
            return Err(refused(index, "user_data.lead_id must be the numeric id of a lead".into()));
        }
        // A CRM stage of a lead carries where it comes from.
        let custom = obj.get("custom_data");
        if custom.and_then(|c| c.get("event_source")).and_then(Value::as_str) != Some("crm") {
            return Err(refused(index, "custom_data.event_source must be crm for an event about a lead".into()));
        }
        if custom.and_then(|c| c.get("lead_event_source")).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            return Err(refused(index, "custom_data.lead_event_source (the CRM's name) is required for an event about a lead".into()));
        }
    }
    Ok(())
}

/// `POST /{dataset_id}/events`: all or nothing.
pub fn receive(store: &mut Store, dataset: &Node, p: &Params) -> GraphResult<Value> {
    let data = match p.get("data") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => a,
            _ => return Err(GraphError::invalid_param("(#100) param data must be an array.")),
        },
        Some(_) => return Err(GraphError::invalid_param("(#100) param data must be an array.")),
        None => return Err(GraphError::invalid_param("(#100) The parameter data is required")),
    };
    if data.is_empty() {
        return Err(GraphError::invalid_param("(#100) param data must be a non-empty array."));
    }
    if data.len() > MAX_EVENTS {
        return Err(GraphError::invalid_param(format!("(#100) param data must be an array with at most {MAX_EVENTS} elements.")));
    }
    let now = store.now();
    for (i, e) in data.iter().enumerate() {
        check(i, e, now)?;
    }
    let trace = format!("Sim{:016x}", store.seq);
    let received = store.server_events.entry(dataset.id.clone()).or_default();
    for e in &data {
        received.push(json!({ "received_at": now, "event": e, "test_event_code": p.str("test_event_code") }));
    }
    Ok(json!({ "events_received": data.len(), "messages": [], "fbtrace_id": trace }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crm(lead: &str, time: i64) -> Value {
        json!({ "event_name": "Qualified", "event_time": time, "action_source": "system_generated",
            "user_data": { "lead_id": lead }, "custom_data": { "event_source": "crm", "lead_event_source": "adgate" } })
    }

    #[test]
    fn a_crm_stage_passes_and_each_broken_rule_is_named() {
        let now = 1_800_000_000;
        assert!(check(0, &crm("1234567890123456", now - 3_600), now).is_ok());
        let too_old = check(0, &crm("1234567890123456", now - MAX_AGE_SECS - 1), now).unwrap_err();
        assert_eq!(too_old.subcode, Some(2_804_003));
        assert_eq!(check(0, &crm("1", now + 3_600), now).unwrap_err().subcode, Some(2_804_004));
        let mut no_source = crm("1", now);
        no_source["custom_data"]["event_source"] = json!("web");
        assert!(check(3, &no_source, now).unwrap_err().message.contains("data[3]"));
        let mut bad_lead = crm("x1", now);
        assert!(check(0, &bad_lead, now).is_err());
        bad_lead["user_data"] = json!({});
        assert_eq!(check(0, &bad_lead, now).unwrap_err().subcode, Some(2_804_050));
        let mut no_action = crm("1", now);
        no_action.as_object_mut().unwrap().remove("action_source");
        assert!(check(0, &no_action, now).unwrap_err().message.contains("action_source"));
    }
}
