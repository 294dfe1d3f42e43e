//! Rate limiting as Meta keeps it: each ad account has one budget per business use case (ads
//! management, ads insights, custom audiences, lead generation), sized by the app's access tier
//! and the account's active ads, over a rolling window; the app has its own. Every answer
//! carries the usage headers, and a spent budget is refused with that use case's error.
//! (Meta, "Rate Limits", graph-api/overview/rate-limiting; "Limits and Best Practices" of the
//! Insights API for `x-fb-ads-insights-throttle`.)

use crate::error::GraphError;
use crate::store::{Kind, Store};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;

/// The business use case a call counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UseCase {
    AdsManagement,
    AdsInsights,
    CustomAudience,
    Leadgen,
}

pub const DEVELOPMENT: &str = "development_access";
pub const STANDARD: &str = "standard_access";

impl UseCase {
    pub const ALL: [UseCase; 4] = [UseCase::AdsManagement, UseCase::AdsInsights, UseCase::CustomAudience, UseCase::Leadgen];

    pub fn as_str(self) -> &'static str {
        match self {
            UseCase::AdsManagement => "ads_management",
            UseCase::AdsInsights => "ads_insights",
            UseCase::CustomAudience => "custom_audience",
            UseCase::Leadgen => "leadgen",
        }
    }

    /// Meta's throttling error for the use case: code, subcode and message.
    fn error(self) -> (i64, Option<i64>, &'static str) {
        match self {
            UseCase::AdsInsights => (80000, Some(2_446_079), "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."),
            UseCase::AdsManagement => (80004, Some(2_446_079), "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management."),
            UseCase::CustomAudience => (80003, Some(2_446_079), "(#80003) There have been too many calls for this custom audience ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."),
            UseCase::Leadgen => (80005, None, "(#80005) There have been too many leadgen api calls to this Page. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."),
        }
    }

    /// Meta's windows: an hour, but a day for lead generation (scaled with the configured window).
    fn window(self, hour: i64) -> i64 {
        if self == UseCase::Leadgen {
            hour * 24
        } else {
            hour
        }
    }

    /// The use case of a call on an account's edge or a node's edge.
    pub fn of_edge(edge: &str) -> UseCase {
        match edge {
            "insights" => UseCase::AdsInsights,
            "customaudiences" | "users" | "usersreplace" | "saved_audiences" => UseCase::CustomAudience,
            "leads" | "leadgen_forms" => UseCase::Leadgen,
            _ => UseCase::AdsManagement,
        }
    }

    /// The use case of a call on a node itself.
    pub fn of_node(kind: Kind) -> UseCase {
        match kind {
            Kind::ReportRun => UseCase::AdsInsights,
            Kind::CustomAudience => UseCase::CustomAudience,
            Kind::LeadForm | Kind::Lead => UseCase::Leadgen,
            _ => UseCase::AdsManagement,
        }
    }
}

/// Calls per window Meta allows the use case on an account, by its documented formula (the
/// "- 0.001 x user errors" term of insights is left out: it moves the budget by under 1%).
pub fn formula(use_case: UseCase, tier: &str, active_ads: u64, active_audiences: u64, leads: u64) -> u64 {
    let standard = tier == STANDARD;
    match use_case {
        UseCase::AdsManagement => (if standard { 100_000 } else { 300 }) + 40 * active_ads,
        UseCase::AdsInsights => (if standard { 190_000 } else { 600 }) + 400 * active_ads,
        UseCase::CustomAudience => ((if standard { 190_000 } else { 5_000 }) + 40 * active_audiences).min(700_000),
        UseCase::Leadgen => 4_800 * leads.max(1),
    }
}

/// What Meta's formulas count on an account: active ads, custom audiences, leads.
#[derive(Clone, Copy, Default)]
struct Counts {
    active_ads: u64,
    audiences: u64,
    leads: u64,
}

/// Counts what `use_cases` need, each kind once.
fn counts(store: &Store, account: &str, use_cases: &[UseCase]) -> Counts {
    let count = |kind: Kind, active: bool| store.children(account, kind).filter(|n| !active || store.effective_status(n) == "ACTIVE").count() as u64;
    let needs = |ucs: &[UseCase]| use_cases.iter().any(|u| ucs.contains(u));
    Counts {
        active_ads: if needs(&[UseCase::AdsManagement, UseCase::AdsInsights]) { count(Kind::Ad, true) } else { 0 },
        audiences: if needs(&[UseCase::CustomAudience]) { count(Kind::CustomAudience, false) } else { 0 },
        leads: if needs(&[UseCase::Leadgen]) { count(Kind::Lead, false) } else { 0 },
    }
}

fn budget_of(acct: &crate::store::Account, use_case: UseCase, c: Counts) -> u64 {
    if let Some(b) = acct.use_case_budgets.get(use_case.as_str()).or(acct.call_budget.as_ref()) {
        return u64::from(*b);
    }
    formula(use_case, &acct.access_tier, c.active_ads, c.audiences, c.leads)
}

/// The account's budget for the use case: a test's override, else Meta's formula.
pub fn budget(store: &Store, account: &str, use_case: UseCase) -> u64 {
    let Some(acct) = store.accounts.get(account) else { return u64::MAX };
    let overridden = acct.use_case_budgets.contains_key(use_case.as_str()) || acct.call_budget.is_some();
    let c = if overridden { Counts::default() } else { counts(store, account, &[use_case]) };
    budget_of(acct, use_case, c)
}

fn prune(q: &mut VecDeque<i64>, now: i64, window: i64) {
    while q.front().is_some_and(|&t| t <= now - window) {
        q.pop_front();
    }
}

fn pct(n: usize, budget: u64) -> i64 {
    ((n as f64 / budget.max(1) as f64) * 100.0).round() as i64
}

/// Minutes until the oldest call in the window leaves it.
fn regain_minutes(q: &VecDeque<i64>, now: i64, window: i64) -> i64 {
    q.front().map(|&t| ((t + window - now).max(1) + 59) / 60).unwrap_or(1)
}

fn key(account: &str, use_case: UseCase) -> String {
    format!("{account}:{}", use_case.as_str())
}

/// Counts one call, or refuses it with Meta's throttling error when a budget is spent.
pub fn admit(store: &mut Store, account: Option<&str>, use_case: UseCase) -> Result<(), GraphError> {
    let now = store.now();
    let hour = store.usage_window_secs;
    prune(&mut store.app_calls, now, hour);
    if store.app_calls.len() as u32 >= store.app_call_budget {
        let mut e = GraphError::new(400, "OAuthException", 4, "(#4) Application request limit reached").transient();
        e.regain_access_minutes = Some(regain_minutes(&store.app_calls, now, hour));
        return Err(e);
    }
    if let Some(id) = account {
        let budget = budget(store, id, use_case);
        let window = use_case.window(hour);
        let q = store.usage.entry(key(id, use_case)).or_default();
        prune(q, now, window);
        if q.len() as u64 >= budget {
            let (code, subcode, msg) = use_case.error();
            let mut e = GraphError::new(400, "OAuthException", code, msg).transient();
            if let Some(s) = subcode {
                e = e.subcode(s);
            }
            e.regain_access_minutes = Some(regain_minutes(q, now, window));
            return Err(e);
        }
        q.push_back(now);
    }
    store.app_calls.push_back(now);
    Ok(())
}

/// One use case's standing on an account against its budget: percent used, minutes to regain
/// access, and seconds until the window's oldest call leaves it.
fn standing(store: &mut Store, account: &str, use_case: UseCase, budget: u64) -> (i64, i64, i64) {
    let now = store.now();
    let window = use_case.window(store.usage_window_secs);
    let q = store.usage.entry(key(account, use_case)).or_default();
    prune(q, now, window);
    let used = pct(q.len(), budget);
    let regain = if used >= 100 { regain_minutes(q, now, window) } else { 0 };
    let reset = q.front().map(|&t| (t + window - now).max(0)).unwrap_or(0);
    (used, regain, reset)
}

/// The usage headers, in Meta's JSON shapes: the app's, the account's (its ads management
/// budget), one `X-Business-Use-Case-Usage` entry per use case the account used in its window
/// (and the call's own), and on insights calls `x-fb-ads-insights-throttle`.
pub fn headers(store: &mut Store, account: Option<&str>, use_case: UseCase) -> Vec<(&'static str, String)> {
    let now = store.now();
    let window = store.usage_window_secs;
    prune(&mut store.app_calls, now, window);
    let app = pct(store.app_calls.len(), u64::from(store.app_call_budget));
    let mut out = vec![("x-app-usage", json!({ "call_count": app, "total_cputime": app / 2, "total_time": app / 2 }).to_string())];
    let Some(id) = account else { return out };
    let Some(acct) = store.accounts.get(id).cloned() else { return out };
    // The formulas' counts are read once for every budget these headers report.
    let c = counts(store, id, &UseCase::ALL);
    let (management, _, reset) = standing(store, id, UseCase::AdsManagement, budget_of(&acct, UseCase::AdsManagement, c));
    out.push((
        "x-ad-account-usage",
        json!({ "acc_id_util_pct": management, "reset_time_duration": reset, "ads_api_access_tier": acct.access_tier }).to_string(),
    ));
    let mut entries = Vec::new();
    let mut insights = 0;
    for uc in UseCase::ALL {
        let used_any = store.usage.get(&key(id, uc)).is_some_and(|q| !q.is_empty());
        if uc != use_case && !used_any {
            continue;
        }
        let (used, regain, _) = standing(store, id, uc, budget_of(&acct, uc, c));
        if uc == UseCase::AdsInsights {
            insights = used;
        }
        let mut e = Map::new();
        e.insert("type".into(), json!(uc.as_str()));
        e.insert("call_count".into(), json!(used));
        e.insert("total_cputime".into(), json!(used / 2));
        e.insert("total_time".into(), json!(used / 2));
        e.insert("estimated_time_to_regain_access".into(), json!(regain));
        // Meta sends the tier on the two ads use cases only.
        if matches!(uc, UseCase::AdsManagement | UseCase::AdsInsights) {
            e.insert("ads_api_access_tier".into(), json!(acct.access_tier));
        }
        entries.push(Value::Object(e));
    }
    out.push(("x-business-use-case-usage", json!({ acct.business_id: entries }).to_string()));
    if use_case == UseCase::AdsInsights {
        out.push((
            "x-fb-ads-insights-throttle",
            json!({ "app_id_util_pct": app, "acc_id_util_pct": insights, "ads_api_access_tier": acct.access_tier }).to_string(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_follow_metas_formulas() {
        assert_eq!(formula(UseCase::AdsManagement, DEVELOPMENT, 10, 0, 0), 700);
        assert_eq!(formula(UseCase::AdsManagement, STANDARD, 10, 0, 0), 100_400);
        assert_eq!(formula(UseCase::AdsInsights, DEVELOPMENT, 10, 0, 0), 4_600);
        assert_eq!(formula(UseCase::AdsInsights, STANDARD, 0, 0, 0), 190_000);
        assert_eq!(formula(UseCase::CustomAudience, DEVELOPMENT, 0, 3, 0), 5_120);
        assert_eq!(formula(UseCase::CustomAudience, STANDARD, 0, 20_000, 0), 700_000, "never above 700,000");
        assert_eq!(formula(UseCase::Leadgen, STANDARD, 0, 0, 0), 4_800);
        assert_eq!(UseCase::of_edge("insights"), UseCase::AdsInsights);
        assert_eq!(UseCase::of_node(Kind::ReportRun), UseCase::AdsInsights);
        assert_eq!(UseCase::of_edge("campaigns"), UseCase::AdsManagement);
    }
}
