//! Marketing API versions: Meta's calendar (release and expiration, from its version history
//! page), where a version stands on a day (live, expiring within the 90-day warning, expired),
//! and which versions an upgrade may go to.

use chrono::NaiveDate;
use serde_json::{json, Value};

/// (version, released, expires). Meta publishes an expiration once the next versions are out.
pub const CALENDAR: &[(&str, &str, Option<&str>)] = &[
    ("v22.0", "2025-01-21", Some("2026-02-19")),
    ("v23.0", "2025-05-29", Some("2026-06-09")),
    ("v24.0", "2025-10-08", Some("2026-11-10")),
    ("v25.0", "2026-02-18", Some("2027-02-23")),
    ("v26.0", "2026-07-29", None),
    ("v27.0", "2026-11-04", None),
];

/// Days before a version's end of life that it is reported as needing an upgrade.
pub const WARNING_DAYS: i64 = 90;

/// The major number of a version written `vN.0` (Marketing API versions have no minor).
pub fn major(version: &str) -> Option<u32> {
    crate::config::parse_meta_api_version(version).ok()?;
    let (major, minor) = version.strip_prefix('v')?.split_once('.')?;
    (minor == "0").then_some(())?;
    major.parse().ok()
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Where `version` stands on `today`: its dates, days left, and whether it needs an upgrade.
pub fn standing(version: &str, today: NaiveDate) -> Value {
    let entry = CALENDAR.iter().find(|(v, _, _)| *v == version);
    let expires = entry.and_then(|(_, _, e)| e.and_then(date));
    let days_left = expires.map(|e| (e - today).num_days());
    let state = match days_left {
        Some(d) if d <= 0 => "expired",
        Some(d) if d <= WARNING_DAYS => "expiring",
        _ if entry.is_none() => "unlisted",
        _ => "live",
    };
    json!({
        "version": version,
        "released": entry.map(|(_, r, _)| *r),
        "expires": expires.map(|e| e.to_string()),
        "days_left": days_left,
        "state": state,
        "upgrade_needed": matches!(state, "expired" | "expiring"),
        "newer": CALENDAR.iter().filter(|(v, _, _)| major(v) > major(version)).map(|(v, _, _)| *v).collect::<Vec<_>>(),
    })
}

/// Why `to` cannot be an upgrade from `from`, if it cannot: it must be a later version that has
/// not expired (an unlisted later one, Meta's next release, may be planned against).
pub fn upgrade_refusal(from: &str, to: &str, today: NaiveDate) -> Option<String> {
    let (Some(f), Some(t)) = (major(from), major(to)) else {
        return Some(format!("{to} is not a Graph API version like v27.0"));
    };
    if t <= f {
        return Some(format!("{to} is not later than the version in use, {from}"));
    }
    if standing(to, today)["state"] == "expired" {
        return Some(format!("{to} has reached its end of life"));
    }
    None
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Field-by-field differences between one list read at two versions, matched by `id`: a field
/// gone, added, changed in type or in value; each with the number of objects it touched.
pub fn compare_rows(from: &[Value], to: &[Value]) -> Vec<Value> {
    use std::collections::BTreeMap;
    let mut seen: BTreeMap<(String, &'static str, String), usize> = BTreeMap::new();
    let mut note = |field: &str, change: &'static str, detail: String| *seen.entry((field.to_string(), change, detail)).or_default() += 1;
    for a in from {
        let Some(b) = to.iter().find(|b| b["id"] == a["id"]) else {
            note("id", "object_missing", String::new());
            continue;
        };
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else { continue };
        for (k, va) in a {
            match b.get(k) {
                None => note(k, "field_missing", String::new()),
                Some(vb) if json_type(va) != json_type(vb) => note(k, "type_changed", format!("{} -> {}", json_type(va), json_type(vb))),
                Some(vb) if va != vb => note(k, "value_changed", String::new()),
                _ => {}
            }
        }
        for k in b.keys().filter(|k| !a.contains_key(*k)) {
            note(k, "field_added", String::new());
        }
    }
    seen.into_iter().map(|((field, change, detail), objects)| json!({ "field": field, "change": change, "detail": detail, "objects": objects })).collect()
}

/// Sums of an insights answer's numeric fields (numbers as text) and of its `actions` by type.
pub fn totals(rows: &[Value]) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        for (k, v) in r.as_object().into_iter().flatten() {
            if let Some(n) = v.as_str().and_then(|s| s.parse::<f64>().ok()).filter(|_| !k.ends_with("_id") && !k.starts_with("date_")) {
                *out.entry(k.clone()).or_default() += n;
            }
            if k == "actions" {
                for a in v.as_array().into_iter().flatten() {
                    let n = a["value"].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
                    *out.entry(format!("actions.{}", a["action_type"].as_str().unwrap_or("?"))).or_default() += n;
                }
            }
        }
    }
    out
}

/// The totals that differ between two versions' answers (to the cent).
pub fn compare_totals(from: &[Value], to: &[Value]) -> Vec<Value> {
    let (a, b) = (totals(from), totals(to));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(k).copied().unwrap_or(0.0), b.get(k).copied().unwrap_or(0.0));
            ((x - y).abs() >= 0.005).then(|| json!({ "total": k, "from": x, "to": y }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    #[test]
    fn a_versions_standing_follows_metas_calendar_with_a_ninety_day_warning() {
        let today = day("2026-11-24");
        assert_eq!(standing("v24.0", today)["state"], "expired");
        let v25 = standing("v25.0", today);
        assert_eq!((v25["state"].as_str(), v25["days_left"].as_i64(), v25["upgrade_needed"].as_bool()), (Some("live"), Some(91), Some(false)));
        let next_day = standing("v25.0", day("2026-11-25"));
        assert_eq!((next_day["state"].as_str(), next_day["upgrade_needed"].as_bool()), (Some("expiring"), Some(true)), "90 days out");
        assert_eq!(standing("v26.0", today)["state"], "live");
        assert_eq!(standing("v26.0", today)["newer"], json!(["v27.0"]));
        assert_eq!(standing("v28.0", today)["state"], "unlisted");
    }

    #[test]
    fn answers_are_compared_field_by_field_and_total_by_total() {
        let from = vec![json!({"id": "1", "bid_amount": 250, "name": "a", "url_tags": "x"}), json!({"id": "2", "bid_amount": 300, "name": "b"})];
        let to = vec![json!({"id": "1", "bid_amount": "250", "name": "a", "extra": true}), json!({"id": "2", "bid_amount": "300", "name": "B"})];
        let d = compare_rows(&from, &to);
        let find = |f: &str, c: &str| d.iter().find(|x| x["field"] == f && x["change"] == c).cloned();
        assert_eq!(find("bid_amount", "type_changed").unwrap()["objects"], 2);
        assert_eq!(find("bid_amount", "type_changed").unwrap()["detail"], "number -> string");
        assert!(find("url_tags", "field_missing").is_some() && find("extra", "field_added").is_some() && find("name", "value_changed").is_some());
        assert!(compare_rows(&from, &from).is_empty());
        let day =
            |spend: &str, leads: &str| vec![json!({"spend": spend, "impressions": "10", "ad_id": "9", "actions": [{"action_type": "lead", "value": leads}]})];
        assert!(compare_totals(&day("1.50", "2"), &day("1.50", "2")).is_empty());
        let diff = compare_totals(&day("1.50", "2"), &day("1.51", "3"));
        assert_eq!(diff.iter().map(|d| d["total"].as_str().unwrap()).collect::<Vec<_>>(), ["actions.lead", "spend"]);
    }

    #[test]
    fn an_upgrade_goes_to_a_later_live_version() {
        let today = day("2026-11-24");
        assert_eq!(upgrade_refusal("v26.0", "v27.0", today), None);
        assert_eq!(upgrade_refusal("v26.0", "v28.0", today), None);
        assert!(upgrade_refusal("v26.0", "v26.0", today).unwrap().contains("not later"));
        assert!(upgrade_refusal("v22.0", "v24.0", today).unwrap().contains("end of life"));
        assert!(upgrade_refusal("v26.0", "v27.1", today).unwrap().contains("not a Graph API version"));
        assert!(upgrade_refusal("v26.0", "27", today).is_some());
    }
}
