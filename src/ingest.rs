//! Metric facts from other sources (`POST /v1/workspaces/{id}/metrics/ingest`): each row is
//! validated on its own, so one bad row is reported (index, field, reason) without dropping the
//! good ones; good rows become `metric_facts` rows upserted by their natural key.

use crate::sync::insights::{currency_digits, to_minor, ATTRIBUTION_WINDOWS};
use chrono::{DateTime, NaiveDate, TimeZone, Timelike};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub const MAX_ROWS: usize = 5_000;

const FIELDS: &[&str] = &[
    "external_entity_id",
    "provider",
    "level",
    "ad_account_id",
    "campaign_id",
    "adset_id",
    "event_at",
    "date",
    "granularity",
    "breakdown",
    "attribution_window",
    "currency",
    "spend",
    "spend_minor",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "leads",
    "purchases",
    "purchase_value",
    "purchase_value_minor",
];
const COUNTS: &[&str] = &["impressions", "reach", "clicks", "link_clicks", "leads", "purchases"];

/// A bound account as ingest needs it.
pub struct AccountInfo {
    pub currency: String,
    pub timezone_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    pub index: usize,
    pub field: String,
    pub reason: String,
}

/// A valid row, in `COLUMNS` order.
pub type Row = Value;

/// Columns of `metric_facts` that a row fills.
pub const COLUMNS: &[&str] = &[
    "workspace_id",
    "provider",
    "level",
    "external_entity_id",
    "date",
    "hour",
    "breakdown_key",
    "attribution_window",
    "ad_account_id",
    "campaign_id",
    "adset_id",
    "currency",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "spend_minor",
    "leads",
    "purchases",
    "purchase_value_minor",
    "event_at",
    "ingested_at",
];

/// One statement per chunk: the rows are bound as one JSON array.
pub fn upsert_sql() -> String {
    crate::json_rows::upsert_sql("metric_facts", COLUMNS, &COLUMNS[..8], None)
}

/// The largest count or amount (minor units) one fact may carry: sums over millions of facts
/// stay far inside SQLite's 64-bit integers.
pub const MAX_FACT_VALUE: i64 = 1_000_000_000_000;

pub fn err(index: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError { index, field: crate::problem::excerpt(field), reason: reason.into() }
}

fn bounded(n: i64) -> Option<i64> {
    Some(n).filter(|n| (0..=MAX_FACT_VALUE).contains(n))
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn money(o: &Map<String, Value>, index: usize, units: &str, minor: &str, digits: u32) -> Result<i64, RowError> {
    match (o.get(units), o.get(minor)) {
        (Some(_), Some(_)) => Err(err(index, minor, format!("give {units} or {minor}, not both"))),
        (Some(Value::String(s)), None) => to_minor(s, digits)
            .and_then(bounded)
            .ok_or_else(|| err(index, units, format!("must be a non-negative decimal amount such as \"12.34\", at most {MAX_FACT_VALUE} minor units"))),
        (Some(Value::Number(n)), None) => to_minor(&n.to_string(), digits)
            .and_then(bounded)
            .ok_or_else(|| err(index, units, format!("must be a non-negative amount of at most {MAX_FACT_VALUE} minor units"))),
        (Some(_), None) => Err(err(index, units, "must be a decimal amount")),
        (None, Some(v)) => {
            v.as_i64().and_then(bounded).ok_or_else(|| err(index, minor, format!("must be an integer from 0 to {MAX_FACT_VALUE} (minor units)")))
        }
        (None, None) => Ok(0),
    }
}

/// Validates one row against the workspace's bound accounts; `now` stamps it.
pub fn row(index: usize, v: &Value, workspace: &str, account_of: &dyn Fn(&str) -> Option<AccountInfo>, now: &str) -> Result<Row, RowError> {
    let o = v.as_object().ok_or_else(|| err(index, "row", "must be an object"))?;
    if let Some(bad) = o.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(err(index, bad, "is not a field of a metric fact"));
    }
    let id = text(o, "external_entity_id")
        .filter(|s| !s.trim().is_empty() && s.len() <= 100)
        .ok_or_else(|| err(index, "external_entity_id", "is required: the object's id at the provider (1 to 100 characters)"))?;
    let provider = text(o, "provider").unwrap_or("meta");
    if provider.is_empty() || provider.len() > 32 || !provider.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(err(index, "provider", "must be lowercase letters, digits or _ (1 to 32), such as meta"));
    }
    let level = text(o, "level").filter(|l| ["campaign", "adset", "ad"].contains(l)).ok_or_else(|| err(index, "level", "must be campaign, adset or ad"))?;
    let raw_account = text(o, "ad_account_id").ok_or_else(|| err(index, "ad_account_id", "is required"))?;
    let account_id = crate::records::normalise_account_id(raw_account).ok_or_else(|| err(index, "ad_account_id", "must be a Meta ad account id"))?;
    let account = account_of(&account_id).ok_or_else(|| err(index, "ad_account_id", format!("act_{account_id} is not bound to this workspace")))?;
    if let Some(c) = text(o, "currency") {
        if c != account.currency {
            return Err(err(index, "currency", format!("{} is not the account's currency ({})", crate::problem::excerpt(c), account.currency)));
        }
    }
    let hourly = match text(o, "granularity").unwrap_or("day") {
        "day" => false,
        "hour" => true,
        _ => return Err(err(index, "granularity", "must be day or hour")),
    };
    let (date, hour, event_at) = match (text(o, "event_at"), text(o, "date")) {
        (Some(_), Some(_)) => return Err(err(index, "date", "give event_at or date, not both")),
        (Some(at), None) => {
            let t = DateTime::parse_from_rfc3339(at)
                .map_err(|_| err(index, "event_at", "must be an RFC 3339 time with its offset, such as 2026-11-23T10:00:00-08:00"))?;
            let tz: chrono_tz::Tz = account.timezone_name.parse().map_err(|_| err(index, "ad_account_id", "the account's time zone is unknown"))?;
            // The fact belongs to the account's day (and hour), whatever zone the source used.
            let local = tz.from_utc_datetime(&t.naive_utc());
            (local.date_naive(), if hourly { local.hour() as i64 } else { -1 }, Value::from(at))
        }
        (None, Some(d)) if !hourly => (NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| err(index, "date", "must be YYYY-MM-DD"))?, -1, Value::Null),
        (None, Some(_)) => return Err(err(index, "event_at", "hourly facts need event_at")),
        (None, None) => return Err(err(index, "date", "event_at or date is required")),
    };
    let window = text(o, "attribution_window").unwrap_or("default");
    if window != "default" && !ATTRIBUTION_WINDOWS.contains(&window) {
        return Err(err(index, "attribution_window", format!("must be default or one of {}", ATTRIBUTION_WINDOWS.join(", "))));
    }
    let mut parts = Vec::new();
    if let Some(b) = o.get("breakdown") {
        let b = b.as_object().ok_or_else(|| err(index, "breakdown", "must be an object of names to text values"))?;
        if b.len() > 8 {
            return Err(err(index, "breakdown", "has at most 8 dimensions"));
        }
        for (k, v) in b {
            let ok_key = (1..=64).contains(&k.len()) && !k.contains('|') && !k.contains('=');
            let v = v.as_str().filter(|s| ok_key && s.len() <= 200 && !s.contains('|') && !s.contains('=')).ok_or_else(|| {
                err(
                    index,
                    "breakdown",
                    format!("{} must be text of at most 200 bytes without | or =, under a name of 1 to 64 bytes", crate::problem::excerpt(k)),
                )
            })?;
            parts.push(format!("{k}={v}"));
        }
        parts.sort();
    }
    let mut counts = Vec::new();
    for k in COUNTS {
        let n = match o.get(*k) {
            None => 0,
            Some(v) => match v.as_i64() {
                Some(n) if n > MAX_FACT_VALUE => return Err(err(index, k, format!("must be at most {MAX_FACT_VALUE}"))),
                other => other.and_then(bounded).ok_or_else(|| err(index, k, "must be a non-negative integer"))?,
            },
        };
        counts.push(n);
    }
    let digits = currency_digits(&account.currency);
    let spend = money(o, index, "spend", "spend_minor", digits)?;
    let value = money(o, index, "purchase_value", "purchase_value_minor", digits)?;
    let opt = |k: &str| text(o, k).map(Value::from).unwrap_or(Value::Null);
    let campaign = if level == "campaign" { Value::from(id) } else { opt("campaign_id") };
    let adset = if level == "adset" { Value::from(id) } else { opt("adset_id") };
    Ok(json!([
        workspace,
        provider,
        level,
        id,
        date.to_string(),
        hour,
        parts.join("|"),
        window,
        account_id,
        campaign,
        adset,
        account.currency,
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        spend,
        counts[4],
        counts[5],
        value,
        event_at,
        now,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn accounts(id: &str) -> Option<AccountInfo> {
        (id == "100").then(|| AccountInfo { currency: "USD".into(), timezone_name: "America/Los_Angeles".into() })
    }

    fn ok(v: Value) -> Value {
        row(0, &v, "ws", &accounts, "now").unwrap()
    }

    fn bad(v: Value) -> RowError {
        row(3, &v, "ws", &accounts, "now").unwrap_err()
    }

    #[test]
    fn a_good_row_fills_every_column() {
        let r = ok(
            json!({ "external_entity_id": "9", "level": "ad", "ad_account_id": "act_100", "campaign_id": "7", "date": "2026-11-20", "spend": "12.34", "impressions": 1000, "leads": 3 }),
        );
        assert_eq!(r.as_array().unwrap().len(), COLUMNS.len());
        let get = |c: &str| r[COLUMNS.iter().position(|x| *x == c).unwrap()].clone();
        assert_eq!((get("spend_minor"), get("impressions"), get("leads"), get("provider")), (json!(1234), json!(1000), json!(3), json!("meta")));
        assert_eq!((get("campaign_id"), get("hour"), get("attribution_window")), (json!("7"), json!(-1), json!("default")));
        assert!(upsert_sql().contains(&format!("'$[{}]'", COLUMNS.len() - 1)));
    }

    #[test]
    fn amounts_and_counts_are_bounded() {
        let base = json!({ "external_entity_id": "9", "level": "ad", "ad_account_id": "act_100", "date": "2026-11-20" });
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            b
        };
        assert_eq!(bad(with("impressions", json!(MAX_FACT_VALUE + 1))).field, "impressions");
        assert_eq!(bad(with("spend_minor", json!(i64::MAX))).field, "spend_minor");
        assert_eq!(bad(with("spend", json!("99999999999999999999.99"))).field, "spend");
        ok(with("spend_minor", json!(MAX_FACT_VALUE)));
        let long_key = "k".repeat(10_000);
        let e = bad(with("breakdown", json!({ long_key.clone(): "x" })));
        assert!(e.reason.len() < 300, "{}", e.reason.len());
        let e = bad(with(&long_key, json!(1)));
        assert!(e.field.len() < 100, "an unknown field is named by an excerpt");
    }

    #[test]
    fn event_times_land_on_the_accounts_day_and_hour() {
        // 06:30 UTC on the 21st is 22:30 on the 20th in Los Angeles.
        let r = ok(json!({ "external_entity_id": "9", "level": "ad", "ad_account_id": "100", "event_at": "2026-11-21T06:30:00Z", "granularity": "hour" }));
        assert_eq!((r[4].clone(), r[5].clone()), (json!("2026-11-20"), json!(22)));
    }

    #[test]
    fn bad_rows_name_the_field() {
        let base = json!({ "external_entity_id": "9", "level": "ad", "ad_account_id": "100", "date": "2026-11-20" });
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            bad(b)
        };
        assert_eq!(with("level", json!("account")).field, "level");
        assert_eq!(with("impressions", json!(-1)).field, "impressions");
        assert_eq!(with("spend", json!("12,00")).field, "spend");
        assert_eq!(with("currency", json!("EUR")).field, "currency");
        assert_eq!(with("ad_account_id", json!("200")).reason, "act_200 is not bound to this workspace");
        assert_eq!(with("nonsense", json!(1)).field, "nonsense");
        assert_eq!(with("attribution_window", json!("2d_click")).field, "attribution_window");
        assert_eq!(with("date", json!("2026-02-30")).field, "date");
        assert_eq!(with("spend_minor", json!(-5)).field, "spend_minor");
        let mut both = base.clone();
        both["spend"] = json!("1.00");
        both["spend_minor"] = json!(100);
        assert!(bad(both).reason.contains("not both"));
        assert_eq!(bad(json!([1])).index, 3);
    }
}
