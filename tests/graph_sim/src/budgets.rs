//! Budget bounds in an account's currency: Meta's cap on one budget and the minimum daily budgets
//! `GET /act_{id}/minimum_budgets` reports and ad set creates are held to.

use serde_json::{json, Value};

/// Rough USD exchange rates and minor-unit digits: the point is amounts of the right size in
/// every currency, not today's rate.
fn currency_terms(currency: &str) -> (f64, u32) {
    match currency {
        "USD" => (1.0, 2),
        "EUR" => (0.92, 2),
        "GBP" => (0.79, 2),
        "CAD" => (1.36, 2),
        "AUD" => (1.52, 2),
        "INR" => (84.0, 2),
        "BRL" => (5.4, 2),
        "MXN" => (17.0, 2),
        "JPY" => (150.0, 0),
        "KRW" => (1_400.0, 0),
        _ => (100.0, 2),
    }
}

/// USD cents expressed in the account's minor units, rounded up (a minimum never rounds down).
pub fn from_usd_cents(usd_cents: i64, currency: &str) -> i64 {
    let (rate, digits) = currency_terms(currency);
    (usd_cents as f64 / 100.0 * rate * 10_f64.powi(digits as i32)).ceil() as i64
}

/// Meta's cap on one budget: the equivalent of 1 million USD ("the daily budget limit ... was
/// already enforced at 1 million USD"; lifetime budgets since March 2017), in the account's
/// minor units. Rough rates suffice: the point is that absurd amounts are refused.
pub fn budget_cap_minor(currency: &str) -> i64 {
    let (usd_rate, digits) = currency_terms(currency);
    (1_000_000.0 * usd_rate) as i64 * 10_i64.pow(digits)
}

/// Minimum daily budgets of an ad set, per Meta's MinimumBudget node: $1 a day for impressions,
/// $5 for frequent actions (clicks, likes) and video views, $40 for rare ones (installs, offer
/// claims), converted to the account's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinimumBudgets {
    pub imp: i64,
    pub video_views: i64,
    pub high_freq: i64,
    pub low_freq: i64,
}

pub fn minimum_budgets(currency: &str) -> MinimumBudgets {
    MinimumBudgets {
        imp: from_usd_cents(100, currency),
        video_views: from_usd_cents(500, currency),
        high_freq: from_usd_cents(500, currency),
        low_freq: from_usd_cents(4_000, currency),
    }
}

/// The minimum that applies to an ad set billed on `billing_event`.
pub fn minimum_daily(currency: &str, billing_event: &str) -> i64 {
    let m = minimum_budgets(currency);
    match billing_event {
        "IMPRESSIONS" => m.imp,
        "THRUPLAY" | "VIDEO_VIEWS" => m.video_views,
        "APP_INSTALLS" | "OFFER_CLAIMS" => m.low_freq,
        _ => m.high_freq,
    }
}

/// `GET /act_{id}/minimum_budgets`: a list of one MinimumBudget node for the account's currency.
pub fn minimum_budgets_json(currency: &str) -> Value {
    let m = minimum_budgets(currency);
    json!({
        "currency": currency,
        "min_daily_budget_imp": m.imp,
        "min_daily_budget_video_views": m.video_views,
        "min_daily_budget_high_freq": m.high_freq,
        "min_daily_budget_low_freq": m.low_freq,
    })
}

/// Formats minor units the way Meta's budget message does, e.g. `USD1.00` or `JPY150`.
pub fn display(amount: i64, currency: &str) -> String {
    let (_, digits) = currency_terms(currency);
    if digits == 0 {
        return format!("{currency}{amount}");
    }
    let unit = 10_i64.pow(digits);
    format!("{currency}{}.{:0width$}", amount / unit, amount % unit, width = digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimums_scale_with_the_currency() {
        assert_eq!(minimum_budgets("USD"), MinimumBudgets { imp: 100, video_views: 500, high_freq: 500, low_freq: 4_000 });
        assert_eq!(minimum_budgets("JPY").imp, 150);
        assert_eq!(minimum_budgets("INR").imp, 8_400);
        assert_eq!(display(100, "USD"), "USD1.00");
        assert_eq!(display(150, "JPY"), "JPY150");
    }
}
