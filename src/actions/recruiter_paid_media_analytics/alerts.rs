//! Stored alerts, evaluated from the mirrors after every insights (and structure) sync of an
//! account: pacing (today's spend against the budget for the time of day in the account's zone),
//! overspend, delivery drop, CPL spike and frequency fatigue. One open alert per object and kind; an open
//! alert no longer found is closed; a new one is stored with its evidence and, when the workspace
//! has an endpoint, a signed notification goes out. All comparisons are integer cross products.

use super::{add, by_object, fatigued_ads, Metric};
use crate::binds;
use crate::db::insights_read::{Row, Sums};
use crate::db::{alerts, notifications};
use crate::failure::Failure;
use crate::ports::{new_id, Ports, Query};
use crate::sync::insights::today_in;
use serde::Deserialize;
use serde_json::{json, Value};

/// Pacing is judged once a quarter of the day has passed: ahead at 150% of the budget's share of
/// the day so far, behind under 50%.
const PACING_FROM_PERMILLE: i64 = 250;
/// Delivery drop: yesterday's impressions under half the daily mean of the 7 days before, when
/// that mean is at least 500.
const DROP_BASELINE_DAYS: i64 = 7;
const DROP_MIN_MEAN_IMPRESSIONS: i64 = 500;
/// CPL spike: the last 3 days' CPL at least 1.5 times the 14 days' before, with at least 5 leads
/// in those 14 days (and at least one baseline lead's worth spent lately).
const SPIKE_RECENT_DAYS: i64 = 3;
const SPIKE_BASELINE_DAYS: i64 = 14;
const SPIKE_MIN_BASELINE_LEADS: i64 = 5;
/// Frequency fatigue: as `get_frequency_fatigue_alerts` by default, over the last 14 days.
const FATIGUE_DAYS: i64 = 14;
const FATIGUE_FREQUENCY: f64 = 2.5;
const FATIGUE_CTR_DROP_PCT: f64 = 20.0;

/// A condition found now.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub object_id: String,
    pub level: &'static str,
    pub kind: &'static str,
    pub evidence: Value,
}

/// An object with a daily budget and what it spent today.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Budgeted {
    pub id: String,
    pub level: String,
    pub daily_budget: i64,
    pub spend_today: i64,
}

/// Overspend, or pacing ahead or behind, for `permille` of the day gone.
pub fn budget_alert(b: &Budgeted, permille: i64) -> Option<Found> {
    let level = if b.level == "campaign" { "campaign" } else { "adset" };
    if b.daily_budget <= 0 {
        return None;
    }
    let (spend, budget, p) = (b.spend_today as i128, b.daily_budget as i128, permille.clamp(0, 1_000) as i128);
    if spend > budget {
        let evidence = json!({ "spend_today_minor": b.spend_today, "daily_budget_minor": b.daily_budget, "over_minor": b.spend_today - b.daily_budget });
        return Some(Found { object_id: b.id.clone(), level, kind: "overspend", evidence });
    }
    if permille < PACING_FROM_PERMILLE {
        return None;
    }
    // expected = budget * p / 1000; ahead: spend > 1.5 expected; behind: spend < 0.5 expected.
    let direction = if 2_000 * spend > 3 * budget * p {
        "ahead"
    } else if 2_000 * spend < budget * p {
        "behind"
    } else {
        return None;
    };
    let expected = (budget * p / 1_000) as i64;
    let evidence = json!({ "direction": direction, "spend_today_minor": b.spend_today, "daily_budget_minor": b.daily_budget,
        "day_elapsed_pct": permille as f64 / 10.0, "expected_by_now_minor": expected });
    Some(Found { object_id: b.id.clone(), level, kind: "pacing", evidence })
}

/// Delivery drop and CPL spike for one ad set's days (ordered, ending `yesterday`).
pub fn trend_alerts(id: &str, days: &[&Row], yesterday: chrono::NaiveDate) -> Vec<Found> {
    let day = |back: i64| (yesterday - chrono::Duration::days(back)).format("%Y-%m-%d").to_string();
    let sum = |from_back: i64, to_back: i64| {
        let (from, to) = (day(from_back), day(to_back));
        let mut s = Sums::default();
        for r in days.iter().filter(|r| r.date.as_deref().is_some_and(|d| d >= from.as_str() && d <= to.as_str())) {
            add(&mut s, &r.sums);
        }
        s
    };
    let mut out = Vec::new();
    let last = sum(0, 0);
    let before = sum(DROP_BASELINE_DAYS, 1);
    let (y, base) = (last.impressions as i128, before.impressions as i128);
    if base >= (DROP_MIN_MEAN_IMPRESSIONS * DROP_BASELINE_DAYS) as i128 && y * DROP_BASELINE_DAYS as i128 * 2 < base {
        out.push(Found {
            object_id: id.into(),
            level: "adset",
            kind: "delivery_drop",
            evidence: json!({ "yesterday": day(0), "impressions_yesterday": last.impressions,
                "mean_impressions_before": before.impressions / DROP_BASELINE_DAYS, "baseline_days": DROP_BASELINE_DAYS }),
        });
    }
    let recent = sum(SPIKE_RECENT_DAYS - 1, 0);
    let baseline = sum(SPIKE_RECENT_DAYS + SPIKE_BASELINE_DAYS - 1, SPIKE_RECENT_DAYS);
    let (rs, rl, bs, bl) = (recent.spend_minor as i128, recent.leads as i128, baseline.spend_minor as i128, baseline.leads as i128);
    // recent CPL >= 1.5 baseline CPL: 2 rs bl >= 3 bs rl; and at least one baseline lead's worth spent.
    if baseline.leads >= SPIKE_MIN_BASELINE_LEADS && rs * bl >= bs && 2 * rs * bl >= 3 * bs * rl {
        out.push(Found {
            object_id: id.into(),
            level: "adset",
            kind: "cpl_spike",
            evidence: json!({ "recent_days": SPIKE_RECENT_DAYS, "recent_spend_minor": recent.spend_minor, "recent_leads": recent.leads,
                "recent_cpl_minor": Metric::Cpl.value(&recent), "baseline_days": SPIKE_BASELINE_DAYS, "baseline_spend_minor": baseline.spend_minor,
                "baseline_leads": baseline.leads, "baseline_cpl_minor": Metric::Cpl.value(&baseline) }),
        });
    }
    out
}

/// Thousandths of the day gone in `tz` at `now_ms`.
pub fn day_permille(tz: &str, now_ms: i64) -> Result<i64, String> {
    use chrono::{TimeZone, Timelike};
    let tz: chrono_tz::Tz = tz.parse().map_err(|_| format!("unknown time zone {tz}"))?;
    let utc = chrono::DateTime::from_timestamp_millis(now_ms).ok_or("clock out of range")?;
    let local = tz.from_utc_datetime(&utc.naive_utc());
    Ok(local.num_seconds_from_midnight() as i64 * 1_000 / 86_400)
}

/// Everything found for one account now.
async fn find(ports: &dyn Ports, ws: &str, account: &str, tz: &str) -> Result<Vec<Found>, Failure> {
    let now = ports.now_millis();
    let today = today_in(tz, now).map_err(Failure::Internal)?;
    let yesterday = today - chrono::Duration::days(1);
    let text = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let permille = day_permille(tz, now).map_err(Failure::Internal)?;
    let mut found = Vec::new();
    let budgeted: Vec<Budgeted> = crate::db::all(
        ports,
        Query::new(
            "SELECT o.id, o.level, o.daily_budget, COALESCE(d.spend_minor, 0) AS spend_today FROM \
             (SELECT id, 'adset' AS level, daily_budget FROM meta_ad_sets WHERE workspace_id = ?1 AND ad_account_id = ?2 AND effective_status = 'ACTIVE' AND daily_budget > 0 \
              UNION ALL SELECT id, 'campaign', daily_budget FROM meta_campaigns WHERE workspace_id = ?1 AND ad_account_id = ?2 AND effective_status = 'ACTIVE' AND daily_budget > 0) o \
             LEFT JOIN insights_daily d ON d.ad_account_id = ?2 AND d.level = o.level AND d.object_id = o.id AND d.date = ?3 AND d.attribution_window = 'default' \
             ORDER BY o.id",
            binds![ws, account, text(today)],
        ),
    )
    .await?;
    found.extend(budgeted.iter().filter_map(|b| budget_alert(b, permille)));
    let since = yesterday - chrono::Duration::days((SPIKE_RECENT_DAYS + SPIKE_BASELINE_DAYS).max(DROP_BASELINE_DAYS + 1) - 1);
    let rows: Vec<Row> = crate::db::all(
        ports,
        Query::new(
            format!(
                "SELECT d.object_id AS object_id, d.date AS date, {} FROM insights_daily d JOIN meta_ad_sets s ON s.id = d.object_id AND s.workspace_id = ?1 \
                 AND s.effective_status = 'ACTIVE' WHERE d.workspace_id = ?1 AND d.ad_account_id = ?2 AND d.level = 'adset' AND d.attribution_window = 'default' \
                 AND d.date BETWEEN ?3 AND ?4 GROUP BY d.object_id, d.date ORDER BY d.object_id, d.date",
                crate::db::insights_read::SUMS
            ),
            binds![ws, account, text(since), text(yesterday)],
        ),
    )
    .await?;
    for (id, days) in by_object(&rows) {
        found.extend(trend_alerts(&id, &days, yesterday));
    }
    let fatigue_since = yesterday - chrono::Duration::days(FATIGUE_DAYS - 1);
    let split = fatigue_since + chrono::Duration::days(FATIGUE_DAYS / 2);
    for (ad, frequency, f) in
        fatigued_ads(ports, ws, account, (&text(fatigue_since), &text(yesterday), &text(split)), FATIGUE_FREQUENCY, FATIGUE_CTR_DROP_PCT).await?
    {
        let mut evidence = f.evidence();
        evidence["frequency"] = json!(frequency);
        found.push(Found { object_id: ad, level: "ad", kind: "frequency_fatigue", evidence });
    }
    Ok(found)
}

/// What an evaluation changed: opened alerts (ids) and closed ones, and the notifications to send.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub opened: Vec<String>,
    pub closed: Vec<String>,
    pub notifications: Vec<String>,
}

/// Evaluates an account's alerts and writes the result in one batch. The caller sends the
/// notifications (`{"notification": id}` on the jobs queue).
pub async fn evaluate(ports: &dyn Ports, ws: &str, account: &str, tz: &str) -> Result<Outcome, Failure> {
    let found = find(ports, ws, account, tz).await?;
    let open = alerts::open(ports, ws, account).await?;
    let endpoint = notifications::endpoint(ports, ws).await?.is_some();
    let now = ports.now_iso();
    let mut writes: Vec<Query> = Vec::new();
    let mut out = Outcome::default();
    for f in &found {
        let evidence = f.evidence.to_string();
        if let Some(a) = open.iter().find(|a| a.object_id == f.object_id && a.kind == f.kind) {
            writes.push(alerts::seen(&a.id, &evidence, &now));
            continue;
        }
        let id = new_id("alr");
        writes.push(alerts::insert_open(
            ws,
            &alerts::Found { id: &id, account, object_id: &f.object_id, level: f.level, kind: f.kind, evidence_json: &evidence },
            &now,
        ));
        if endpoint {
            let nid = new_id("ntf");
            let body = json!({
                "id": nid, "event": "alert.opened", "created_at": now, "workspace_id": ws,
                "alert": { "id": id, "kind": f.kind, "ad_account_id": format!("act_{account}"), "object_id": f.object_id, "object_level": f.level,
                           "evidence": f.evidence, "opened_at": now },
            });
            writes.push(notifications::insert(ws, &nid, "alert.opened", &id, &body.to_string(), &now));
            out.notifications.push(nid);
        }
        out.opened.push(id);
    }
    for a in &open {
        if !found.iter().any(|f| f.object_id == a.object_id && f.kind == a.kind) {
            writes.push(alerts::close(&a.id, &now));
            out.closed.push(a.id.clone());
        }
    }
    ports.batch(writes).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn b(budget: i64, spend: i64) -> Budgeted {
        Budgeted { id: "1".into(), level: "adset".into(), daily_budget: budget, spend_today: spend }
    }

    #[test]
    fn budgets_overspend_above_the_budget_and_pace_against_the_time_of_day() {
        assert_eq!(budget_alert(&b(5_000, 5_001), 100).unwrap().kind, "overspend");
        assert_eq!(budget_alert(&b(5_000, 5_000), 999).map(|f| f.kind), None, "spent exactly the budget by the end of the day");
        assert_eq!(budget_alert(&b(5_000, 0), 249), None, "too early in the day to judge");
        let behind = budget_alert(&b(5_000, 600), 500).unwrap();
        assert_eq!((behind.kind, behind.evidence["direction"].as_str()), ("pacing", Some("behind")));
        assert_eq!(behind.evidence["expected_by_now_minor"], 2_500);
        assert_eq!(budget_alert(&b(5_000, 1_250), 500), None, "exactly half the expected is not behind");
        assert_eq!(budget_alert(&b(5_000, 3_751), 500).unwrap().evidence["direction"], "ahead");
        assert_eq!(budget_alert(&b(5_000, 3_750), 500), None);
        assert_eq!(budget_alert(&b(i64::MAX, i64::MAX), 1_000), None, "no overflow at the extremes");
        assert_eq!(budget_alert(&b(0, 10), 500), None);
    }

    fn day(d: &str, impressions: i64, spend: i64, leads: i64) -> Row {
        Row { object_id: Some("7".into()), date: Some(d.into()), sums: Sums { impressions, spend_minor: spend, leads, ..Sums::default() }, ..Row::default() }
    }

    #[test]
    fn delivery_drops_and_cpl_spikes_are_read_against_their_baselines() {
        let yesterday = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut rows: Vec<Row> = (1..=16).map(|i| day(&(yesterday - chrono::Duration::days(i)).to_string(), 1_000, 1_000, 1)).collect();
        rows.reverse();
        rows.push(day("2026-11-23", 499, 1_000, 0));
        let refs: Vec<&Row> = rows.iter().collect();
        let kinds: Vec<&str> = trend_alerts("7", &refs, yesterday).iter().map(|f| f.kind).collect();
        // Yesterday 499 < 1000/2; recent 3 days: 3,000 spent for 2 leads (CPL 1,500) vs 1,000.
        assert_eq!(kinds, ["delivery_drop", "cpl_spike"]);
        rows.last_mut().unwrap().sums.impressions = 500;
        rows.last_mut().unwrap().sums.leads = 1;
        let refs: Vec<&Row> = rows.iter().collect();
        // 500 is exactly half; 3,000 for 3 leads is the baseline CPL.
        assert!(trend_alerts("7", &refs, yesterday).is_empty());
        let quiet: Vec<Row> = (0..17).map(|i| day(&(yesterday - chrono::Duration::days(i)).to_string(), 100, 10, 0)).collect();
        let refs: Vec<&Row> = quiet.iter().collect();
        assert!(trend_alerts("7", &refs, yesterday).is_empty(), "too little delivery and too few leads to judge");
    }

    #[test]
    fn the_day_is_measured_in_the_accounts_zone() {
        // 2026-11-24T06:00:00Z is midnight in Chicago (UTC-6) and 06:00 in UTC.
        let ms = chrono::DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z").unwrap().timestamp_millis();
        assert_eq!(day_permille("America/Chicago", ms), Ok(0));
        assert_eq!(day_permille("UTC", ms), Ok(250));
        assert!(day_permille("Nowhere/City", ms).is_err());
    }
}
