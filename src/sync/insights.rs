//! Insights facts: the window a run fetches (dates in the account's time zone), the request
//! parameters, and how one Graph insights row becomes facts keyed by (account, object, date,
//! breakdown values, attribution window), money in minor units.

use chrono::{Duration, NaiveDate, TimeZone};
use serde_json::{json, Value};

/// Graph keeps 37 months of insights; a backfill may reach back this far.
pub const MAX_BACKFILL_DAYS: i64 = 1_100;
pub const DEFAULT_BACKFILL_DAYS: i64 = 7;
pub const DEFAULT_ATTRIBUTION_WINDOW_DAYS: i64 = 7;
/// Windows Graph reports besides `default` (7-day click plus 1-day view).
pub const ATTRIBUTION_WINDOWS: &[&str] = &["1d_click", "7d_click", "28d_click", "1d_view"];
pub const HOURLY: &str = "hourly_stats_aggregated_by_advertiser_time_zone";
pub const FIELDS: &str = "account_id,campaign_id,adset_id,ad_id,impressions,reach,clicks,inline_link_clicks,spend,actions,action_values";

/// Breakdown sets Graph accepts that adgate offers (order-insensitive).
const VALID_BREAKDOWNS: &[&[&str]] = &[
    &["country"],
    &["age"],
    &["gender"],
    &["age", "gender"],
    &["publisher_platform"],
    &["publisher_platform", "platform_position"],
    &["publisher_platform", "platform_position", "device_platform"],
    &["publisher_platform", "device_platform"],
    &["device_platform"],
    &[HOURLY],
];

/// Checks one configured breakdown set; the reason names what Graph would refuse.
pub fn check_breakdown_set(set: &[String]) -> Result<(), String> {
    let known = ["country", "age", "gender", "publisher_platform", "platform_position", "device_platform", HOURLY];
    if let Some(bad) = set.iter().find(|b| !known.contains(&b.as_str())) {
        return Err(format!("{} is not a breakdown adgate syncs (one of {})", crate::problem::excerpt(bad), known.join(", ")));
    }
    let mut sorted: Vec<&str> = set.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let ok = VALID_BREAKDOWNS.iter().any(|c| {
        let mut c = c.to_vec();
        c.sort_unstable();
        c == sorted
    });
    if ok {
        Ok(())
    } else if set.iter().any(|b| b == "platform_position") && !set.iter().any(|b| b == "publisher_platform") {
        Err("platform_position needs publisher_platform in the same set".into())
    } else if set.iter().any(|b| b == HOURLY) {
        Err(format!("{HOURLY} cannot be combined with other breakdowns"))
    } else {
        Err(format!("Graph does not accept the breakdown combination [{}]", crate::problem::excerpt(&set.join(", "))))
    }
}

/// The account's date now.
pub fn today_in(tz_name: &str, now_ms: i64) -> Result<NaiveDate, String> {
    let tz: chrono_tz::Tz = tz_name.parse().map_err(|_| format!("unknown time zone {tz_name}"))?;
    let utc = chrono::DateTime::from_timestamp_millis(now_ms).ok_or("clock out of range")?;
    Ok(tz.from_utc_datetime(&utc.naive_utc()).date_naive())
}

/// The last `days` whole days (at least one), ending yesterday: what suggestions look back over
/// and what a `last_days` report covers.
pub fn last_whole_days(today: NaiveDate, days: i64) -> (NaiveDate, NaiveDate) {
    let until = today - Duration::days(1);
    (until - Duration::days(days.max(1) - 1), until)
}

/// The fresh window: `[today - attribution_window_days + 1, today]`.
pub fn fresh_window(today: NaiveDate, attribution_window_days: i64) -> (NaiveDate, NaiveDate) {
    (today - Duration::days(attribution_window_days.max(1) - 1), today)
}

/// The backfill window: the last `days` days up to today.
pub fn backfill_window(today: NaiveDate, days: i64) -> (NaiveDate, NaiveDate) {
    (today - Duration::days(days.clamp(1, MAX_BACKFILL_DAYS) - 1), today)
}

/// Digits after the decimal point in Graph's money strings for this currency.
pub fn currency_digits(currency: &str) -> u32 {
    const ZERO: &[&str] = &["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
    if ZERO.contains(&currency) {
        0
    } else {
        2
    }
}

/// "12.34" in a 2-digit currency is 1234. Exact: no floating point.
pub fn to_minor(amount: &str, digits: u32) -> Option<i64> {
    let amount = amount.trim();
    let (neg, amount) = amount.strip_prefix('-').map(|a| (true, a)).unwrap_or((false, amount));
    let (units, frac) = amount.split_once('.').unwrap_or((amount, ""));
    if units.is_empty() && frac.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut frac: String = frac.chars().take(digits as usize).collect();
    while frac.len() < digits as usize {
        frac.push('0');
    }
    // Units too large for i64 are refused, never read as zero; the sum is checked too.
    let units = if units.is_empty() { 0 } else { units.parse::<i64>().ok()? };
    let n = units.checked_mul(10_i64.checked_pow(digits)?)?.checked_add(frac.parse::<i64>().unwrap_or(0))?;
    Some(if neg { -n } else { n })
}

/// One fact: an ad's numbers for one day (or hour), one breakdown slice, one attribution window.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub object_id: String,
    pub campaign_id: Option<String>,
    pub adset_id: Option<String>,
    pub date: String,
    /// `-1` for a whole day, else the hour (0 to 23) in the account's time zone.
    pub hour: i64,
    /// `country=US|age=25-34`, sorted by name; empty without breakdowns.
    pub breakdown_key: String,
    pub attribution_window: String,
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    pub link_clicks: i64,
    pub spend_minor: i64,
    pub leads: i64,
    pub purchases: i64,
    pub purchase_value_minor: i64,
    /// Every action type with its count in this window.
    pub actions: Value,
}

fn count(v: &Value) -> i64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_i64()).unwrap_or(0)
}

fn action_in<'a>(list: &'a Value, action_type: &str, window: &str) -> Option<&'a Value> {
    let item = list.as_array()?.iter().find(|a| a["action_type"] == action_type)?;
    let key = if window == "default" { "value" } else { window };
    item.get(key)
}

const LEAD_TYPES: &[&str] = &["lead", "onsite_conversion.lead_grouped", "offsite_conversion.fb_pixel_lead"];
const PURCHASE_TYPES: &[&str] = &["purchase", "offsite_conversion.fb_pixel_purchase", "omni_purchase"];

fn first_of(list: &Value, types: &[&str], window: &str, money_digits: Option<u32>) -> i64 {
    types
        .iter()
        .find_map(|t| action_in(list, t, window))
        .map(|v| match money_digits {
            Some(d) => v.as_str().and_then(|s| to_minor(s, d)).unwrap_or(0),
            None => count(v),
        })
        .unwrap_or(0)
}

/// The hour from Graph's `00:00:00 - 00:59:59` slot.
fn hour_of(slot: &str) -> Option<i64> {
    slot.get(..2)?.parse().ok().filter(|h| (0..24).contains(h))
}

/// A Graph insights row (level=ad, one day) as one fact per attribution window.
pub fn facts(row: &Value, breakdowns: &[String], windows: &[String], digits: u32) -> Result<Vec<Fact>, String> {
    let object_id = row["ad_id"].as_str().ok_or("an insights row without ad_id")?.to_string();
    let date = row["date_start"].as_str().ok_or("an insights row without date_start")?.to_string();
    if NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err() {
        return Err(format!("date_start {date:?} is not a date"));
    }
    let mut hour = -1;
    let mut parts = Vec::new();
    for b in breakdowns {
        let v = row[b.as_str()].as_str().ok_or_else(|| format!("an insights row without its {b} breakdown"))?;
        if b == HOURLY {
            hour = hour_of(v).ok_or_else(|| format!("{v:?} is not an hourly slot"))?;
        } else {
            parts.push(format!("{b}={v}"));
        }
    }
    parts.sort();
    let spend = row["spend"].as_str().map(|s| to_minor(s, digits).ok_or_else(|| format!("spend {s:?} is not an amount"))).transpose()?.unwrap_or(0);
    let mut out = Vec::new();
    let all: Vec<String> = std::iter::once("default".to_string()).chain(windows.iter().filter(|w| *w != "default").cloned()).collect();
    for w in all {
        let actions: serde_json::Map<String, Value> = row["actions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| Some((x["action_type"].as_str()?.to_string(), json!(count(action_in(&row["actions"], x["action_type"].as_str()?, &w)?)))))
                    .collect()
            })
            .unwrap_or_default();
        out.push(Fact {
            object_id: object_id.clone(),
            campaign_id: row["campaign_id"].as_str().map(str::to_string),
            adset_id: row["adset_id"].as_str().map(str::to_string),
            date: date.clone(),
            hour,
            breakdown_key: parts.join("|"),
            attribution_window: w.clone(),
            impressions: count(&row["impressions"]),
            reach: count(&row["reach"]),
            clicks: count(&row["clicks"]),
            link_clicks: count(&row["inline_link_clicks"]),
            spend_minor: spend,
            leads: first_of(&row["actions"], LEAD_TYPES, &w, None),
            purchases: first_of(&row["actions"], PURCHASE_TYPES, &w, None),
            purchase_value_minor: first_of(&row["action_values"], PURCHASE_TYPES, &w, Some(digits)),
            actions: Value::Object(actions),
        });
    }
    Ok(out)
}

/// The key of `insights_facts` (in D1 and in the account's fact object).
pub const FACT_KEY: &[&str] = &["ad_account_id", "object_id", "date", "hour", "breakdown_key", "attribution_window"];

/// Columns of `insights_facts` that a page upsert fills, in `Fact::row` order.
pub const FACT_COLUMNS: &[&str] = &[
    "ad_account_id",
    "object_id",
    "date",
    "hour",
    "breakdown_key",
    "attribution_window",
    "breakdown_set",
    "workspace_id",
    "campaign_id",
    "adset_id",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "spend_minor",
    "leads",
    "purchases",
    "purchase_value_minor",
    "actions_json",
    "sync_run_id",
    "updated_at",
];

impl Fact {
    /// The fact as a row of `FACT_COLUMNS`.
    pub fn row(&self, account: &str, set: &str, workspace: &str, run_id: &str, now: &str) -> Value {
        json!([
            account,
            self.object_id,
            self.date,
            self.hour,
            self.breakdown_key,
            self.attribution_window,
            set,
            workspace,
            self.campaign_id,
            self.adset_id,
            self.impressions,
            self.reach,
            self.clicks,
            self.link_clicks,
            self.spend_minor,
            self.leads,
            self.purchases,
            self.purchase_value_minor,
            self.actions.to_string(),
            run_id,
            now,
        ])
    }
}

/// Upserts a page of facts (a JSON array of `Fact::row`s bound as ?1): the natural key decides,
/// so a re-synced day replaces its rows.
pub fn upsert_page_sql() -> String {
    crate::json_rows::upsert_sql("insights_facts", FACT_COLUMNS, FACT_KEY, None)
}

/// A breakdown set's name in `insights_facts.breakdown_set`: `''`, `country`, `age,gender`, `hourly`.
pub fn set_name(set: &[String]) -> String {
    if set.iter().any(|b| b == HOURLY) {
        "hourly".into()
    } else {
        set.join(",")
    }
}

/// The Graph parameters of one insights pull at `level=ad`, one row per ad and day.
pub fn params(since: NaiveDate, until: NaiveDate, breakdowns: &[String], windows: &[String], page_size: u32) -> Vec<(String, String)> {
    let mut p = vec![
        ("level".to_string(), "ad".to_string()),
        ("time_increment".to_string(), "1".to_string()),
        ("time_range".to_string(), json!({ "since": since.to_string(), "until": until.to_string() }).to_string()),
        ("fields".to_string(), FIELDS.to_string()),
        ("limit".to_string(), page_size.to_string()),
    ];
    if !breakdowns.is_empty() {
        p.push(("breakdowns".to_string(), breakdowns.join(",")));
    }
    let ws: Vec<&String> = windows.iter().filter(|w| *w != "default").collect();
    if !ws.is_empty() {
        p.push(("action_attribution_windows".to_string(), json!(ws.iter().map(|w| w.as_str()).chain(["default"]).collect::<Vec<_>>()).to_string()));
    }
    p
}

/// The window cut into consecutive slices of at most `days` days.
pub fn slices(since: NaiveDate, until: NaiveDate, days: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut from = since;
    while from <= until {
        let to = (from + Duration::days(days.max(1) - 1)).min(until);
        out.push((from, to));
        from = to + Duration::days(1);
    }
    out
}

/// Every date from `since` to `until`, as text.
pub fn days(since: NaiveDate, until: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = since;
    while d <= until {
        out.push(d.to_string());
        d += Duration::days(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn money_is_exact() {
        assert_eq!(to_minor("12.34", 2), Some(1234));
        assert_eq!(to_minor("12.3", 2), Some(1230));
        assert_eq!(to_minor("12", 2), Some(1200));
        assert_eq!(to_minor("0.07", 2), Some(7));
        assert_eq!(to_minor("1500", 0), Some(1500));
        assert_eq!(to_minor("-1.50", 2), Some(-150));
        assert_eq!(to_minor("1,50", 2), None);
        assert_eq!(to_minor("", 2), None);
        assert_eq!(to_minor("99999999999999999999.99", 2), None, "too large is refused, never read as zero");
        assert_eq!(to_minor("92233720368547758.07", 2), Some(i64::MAX));
        assert_eq!(to_minor("92233720368547758.08", 2), None);
        assert_eq!(to_minor(".5", 2), Some(50));
        assert_eq!(currency_digits("JPY"), 0);
        assert_eq!(currency_digits("USD"), 2);
    }

    #[test]
    fn dates_follow_the_accounts_time_zone() {
        // 2026-11-23 03:00 UTC is still the 22nd in Los Angeles and already the 23rd in Kolkata.
        let ms = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(3, 0, 0).unwrap().and_utc().timestamp_millis();
        assert_eq!(today_in("America/Los_Angeles", ms).unwrap().to_string(), "2026-11-22");
        assert_eq!(today_in("Asia/Kolkata", ms).unwrap().to_string(), "2026-11-23");
        assert!(today_in("Mars/Olympus", ms).is_err());
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(fresh_window(today, 7).0.to_string(), "2026-11-17");
        assert_eq!(fresh_window(today, 1).0, today);
        assert_eq!(backfill_window(today, 90).0.to_string(), "2026-08-26");
        assert_eq!(days(fresh_window(today, 3).0, today), ["2026-11-21", "2026-11-22", "2026-11-23"]);
        let s = slices(backfill_window(today, 15).0, today, 7);
        assert_eq!(
            s.iter().map(|(a, b)| format!("{a}..{b}")).collect::<Vec<_>>(),
            ["2026-11-09..2026-11-15", "2026-11-16..2026-11-22", "2026-11-23..2026-11-23"]
        );
        assert_eq!(slices(today, today, 7), [(today, today)]);
    }

    #[test]
    fn a_row_becomes_one_fact_per_window() {
        let row = json!({
            "ad_id": "9", "adset_id": "8", "campaign_id": "7", "date_start": "2026-11-20", "date_stop": "2026-11-20",
            "impressions": "1000", "reach": "800", "clicks": "30", "inline_link_clicks": "25", "spend": "12.34", "country": "US",
            "actions": [ { "action_type": "lead", "value": "5", "1d_click": "3" }, { "action_type": "purchase", "value": "2" } ],
            "action_values": [ { "action_type": "purchase", "value": "99.90" } ],
        });
        let f = facts(&row, &["country".into()], &["1d_click".into()], 2).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].attribution_window.as_str(), f[0].leads, f[0].purchases, f[0].purchase_value_minor, f[0].spend_minor),
            ("default", 5, 2, 9_990, 1_234)
        );
        assert_eq!((f[1].attribution_window.as_str(), f[1].leads, f[1].purchases), ("1d_click", 3, 0));
        assert_eq!((f[0].breakdown_key.as_str(), f[0].hour), ("country=US", -1));
        assert_eq!(f[1].actions, json!({ "lead": 3 }));
        let hourly = json!({ "ad_id": "9", "date_start": "2026-11-20", HOURLY: "13:00:00 - 13:59:59", "spend": "1.00" });
        assert_eq!(facts(&hourly, &[HOURLY.into()], &[], 2).unwrap()[0].hour, 13);
        assert!(facts(&json!({ "ad_id": "9", "date_start": "2026-11-20" }), &["country".into()], &[], 2).is_err());
    }

    #[test]
    fn breakdown_sets_are_checked_like_graph() {
        assert!(check_breakdown_set(&["age".into(), "gender".into()]).is_ok());
        assert!(check_breakdown_set(&["platform_position".into()]).unwrap_err().contains("publisher_platform"));
        assert!(check_breakdown_set(&[HOURLY.into(), "age".into()]).unwrap_err().contains("cannot be combined"));
        assert!(check_breakdown_set(&["country".into(), "age".into()]).unwrap_err().contains("combination"));
        assert!(check_breakdown_set(&["dma".into()]).unwrap_err().contains("dma"));
    }

    #[test]
    fn fact_rows_match_the_columns() {
        let row = json!({ "ad_id": "9", "date_start": "2026-11-20", "spend": "1.00", "impressions": "10" });
        let f = &facts(&row, &[], &[], 2).unwrap()[0];
        let r = f.row("100", "", "ws", "run", "now");
        assert_eq!(r.as_array().unwrap().len(), FACT_COLUMNS.len());
        assert_eq!((r[3].clone(), r[14].clone()), (json!(-1), json!(100)));
        assert!(upsert_page_sql().contains(&format!("'$[{}]'", FACT_COLUMNS.len() - 1)));
        assert_eq!(set_name(&["age".into(), "gender".into()]), "age,gender");
        assert_eq!(set_name(&[HOURLY.into()]), "hourly");
    }

    #[test]
    fn params_name_level_increment_and_windows() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let p = params(d, d, &[], &["7d_click".into()], 500);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("level").as_deref(), Some("ad"));
        assert_eq!(get("time_increment").as_deref(), Some("1"));
        assert_eq!(get("action_attribution_windows").as_deref(), Some("[\"7d_click\",\"default\"]"));
        assert_eq!(get("breakdowns"), None);
    }
}
