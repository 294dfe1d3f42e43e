//! Recruiting costs besides Meta's ad spend, per ad account and month: ANSI/SHRM 06001's other
//! external costs (agencies, job boards, events) and internal costs (recruiters' time, tools).
//! A month's costs are spread evenly over its days, so any range of days takes its share, and
//! cost per hire can be shown as the standard's total: all costs over the hires of the period.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use chrono::{Datelike, Months, NaiveDate};
use serde_json::{json, Value};

/// Which cost per hire the total variant is.
pub const TOTAL_VARIANT: &str =
    "ANSI/SHRM 06001 cost per hire, total: Meta ad spend plus the other external and the internal recruiting costs set for the account's months (each spread evenly over its days), over hires";

/// One month's costs, in the account currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthCosts {
    pub first: NaiveDate,
    pub internal_minor: i64,
    pub external_minor: i64,
}

/// The costs falling on a range of days, and the months it touches that have none set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Share {
    pub internal_minor: i64,
    pub external_minor: i64,
    pub months_set: Vec<String>,
    pub months_without: Vec<String>,
}

fn month_days(first: NaiveDate) -> i64 {
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    (next - first).num_days().max(1)
}

/// The first days of the months `since..=until` touches.
pub fn months_of(since: NaiveDate, until: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = since.with_day(1).unwrap_or(since);
    while m <= until {
        out.push(m);
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// Each month's share of its costs for the days of `since..=until` it holds (amount x days / days
/// in the month, rounded to the nearest minor unit; exact in i128, amounts being bounded).
pub fn share(costs: &[MonthCosts], since: NaiveDate, until: NaiveDate) -> Share {
    let mut out = Share::default();
    for first in months_of(since, until) {
        let label = first.format("%Y-%m").to_string();
        let Some(c) = costs.iter().find(|c| c.first == first) else {
            out.months_without.push(label);
            continue;
        };
        let days = month_days(first);
        let last = first + chrono::Duration::days(days - 1);
        let held = (until.min(last) - since.max(first)).num_days() + 1;
        let part = |amount: i64| ((amount as i128 * held as i128 * 2 + days as i128) / (days as i128 * 2)) as i64;
        out.internal_minor += part(c.internal_minor);
        out.external_minor += part(c.external_minor);
        out.months_set.push(label);
    }
    out
}

/// The account's months with costs set between two months (`YYYY-MM`, inclusive).
pub async fn load(ports: &dyn Ports, ws: &str, account: &str, from: &str, to: &str) -> Result<Vec<MonthCosts>, Failure> {
    let q = Query::new(
        "SELECT month, internal_minor, external_minor FROM pipeline_costs WHERE workspace_id = ?1 AND ad_account_id = ?2 AND month BETWEEN ?3 AND ?4 ORDER BY month",
        binds![ws, account, from, to],
    );
    Ok(ports
        .rows(q)
        .await?
        .iter()
        .filter_map(|r| {
            Some(MonthCosts {
                first: NaiveDate::parse_from_str(&format!("{}-01", r["month"].as_str()?), "%Y-%m-%d").ok()?,
                internal_minor: r["internal_minor"].as_i64()?,
                external_minor: r["external_minor"].as_i64()?,
            })
        })
        .collect())
}

/// The account's costs for a range of days.
pub async fn for_days(ports: &dyn Ports, ws: &str, account: &str, since: NaiveDate, until: NaiveDate) -> Result<Share, Failure> {
    let (from, to) = (since.format("%Y-%m").to_string(), until.format("%Y-%m").to_string());
    Ok(share(&load(ports, ws, account, &from, &to).await?, since, until))
}

/// Cost per hire as the standard's total; `null` when no month of the range has costs set
/// (it would only repeat the paid-media figure).
pub fn total_block(spend_minor: i64, share: &Share, hires: i64) -> Value {
    let total = spend_minor + share.internal_minor + share.external_minor;
    json!({
        "variant": TOTAL_VARIANT,
        "spend_minor": spend_minor,
        "other_external_minor": share.external_minor,
        "internal_minor": share.internal_minor,
        "total_minor": total,
        "hires": hires,
        "cost_per_hire_minor": if share.months_set.is_empty() { None } else { super::funnel::cost_per(Some(total), Some(hires)) },
        "months_with_costs": share.months_set,
        "months_without_costs": share.months_without,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_range_takes_each_months_share_of_its_days() {
        let costs = [
            MonthCosts { first: day("2026-01-01"), internal_minor: 3_100, external_minor: 31 },
            MonthCosts { first: day("2026-02-01"), internal_minor: 2_800, external_minor: 0 },
        ];
        // 2 days of January (of 31) and 3 of February (of 28); March has none set.
        let s = share(&costs, day("2026-01-30"), day("2026-03-02"));
        assert_eq!((s.internal_minor, s.external_minor), (200 + 2_800, 2));
        assert_eq!((s.months_set, s.months_without), (vec!["2026-01".to_string(), "2026-02".into()], vec!["2026-03".to_string()]));
        let s = share(&costs, day("2026-02-10"), day("2026-02-12"));
        assert_eq!(s.internal_minor, 300);
        // Rounded to the nearest unit, and exact at the largest amounts an input may name.
        let big = [MonthCosts { first: day("2026-01-01"), internal_minor: crate::domain::MAX_BUDGET_MINOR, external_minor: 1 }];
        let s = share(&big, day("2026-01-01"), day("2026-01-16"));
        assert_eq!((s.internal_minor, s.external_minor), (51_612_903_226, 1));
        assert_eq!(share(&big, day("2026-01-01"), day("2026-01-31")).internal_minor, crate::domain::MAX_BUDGET_MINOR);
    }

    #[test]
    fn the_total_is_shown_only_with_costs_set() {
        let none = share(&[], day("2026-01-01"), day("2026-01-31"));
        assert_eq!(total_block(1_000, &none, 2)["cost_per_hire_minor"], Value::Null);
        let some = Share { internal_minor: 500, external_minor: 500, months_set: vec!["2026-01".into()], months_without: vec![] };
        let b = total_block(1_000, &some, 4);
        assert_eq!((b["total_minor"].as_i64(), b["cost_per_hire_minor"].as_i64()), (Some(2_000), Some(500)));
        assert_eq!(total_block(1_000, &some, 0)["cost_per_hire_minor"], Value::Null);
        assert_eq!(months_of(day("2026-11-30"), day("2027-01-01")).len(), 3);
    }
}
