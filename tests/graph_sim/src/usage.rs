//! Rate limiting as Meta reports it: usage headers on every response, throttling errors when an
//! app or an ad account is over its budget for the window.

use crate::error::GraphError;
use crate::store::Store;
use serde_json::json;
use std::collections::VecDeque;

fn prune(q: &mut VecDeque<i64>, now: i64, window: i64) {
    while q.front().is_some_and(|&t| t <= now - window) {
        q.pop_front();
    }
}

fn pct(n: usize, budget: u32) -> i64 {
    ((n as f64 / budget.max(1) as f64) * 100.0).round() as i64
}

/// Minutes until the oldest call in the window leaves it.
fn regain_minutes(q: &VecDeque<i64>, now: i64, window: i64) -> i64 {
    q.front().map(|&t| ((t + window - now).max(1) + 59) / 60).unwrap_or(1)
}

/// Counts one call, or refuses it with Meta's throttling error when a budget is spent.
pub fn admit(store: &mut Store, account: Option<&str>, insights: bool) -> Result<(), GraphError> {
    let now = store.now();
    let window = store.usage_window_secs;
    prune(&mut store.app_calls, now, window);
    if store.app_calls.len() as u32 >= store.app_call_budget {
        let mut e = GraphError::new(400, "OAuthException", 4, "(#4) Application request limit reached").transient();
        e.regain_access_minutes = Some(regain_minutes(&store.app_calls, now, window));
        return Err(e);
    }
    if let Some(id) = account {
        let budget = store.accounts.get(id).map(|a| a.call_budget).unwrap_or(u32::MAX);
        let q = store.usage.entry(id.to_string()).or_default();
        prune(q, now, window);
        if q.len() as u32 >= budget {
            let (code, msg) = if insights {
                (80000, "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.")
            } else {
                (80004, "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.")
            };
            let mut e = GraphError::new(400, "OAuthException", code, msg).subcode(2_446_079).transient();
            e.regain_access_minutes = Some(regain_minutes(q, now, window));
            return Err(e);
        }
        q.push_back(now);
    }
    store.app_calls.push_back(now);
    Ok(())
}

/// The three usage headers, in Meta's JSON shapes.
pub fn headers(store: &mut Store, account: Option<&str>, insights: bool) -> Vec<(&'static str, String)> {
    let now = store.now();
    let window = store.usage_window_secs;
    prune(&mut store.app_calls, now, window);
    let app = pct(store.app_calls.len(), store.app_call_budget);
    let mut out = vec![("x-app-usage", json!({ "call_count": app, "total_cputime": app / 2, "total_time": app / 2 }).to_string())];
    if let Some(id) = account {
        let Some(acct) = store.accounts.get(id).cloned() else {
            return out;
        };
        let q = store.usage.entry(id.to_string()).or_default();
        prune(q, now, window);
        let used = pct(q.len(), acct.call_budget);
        let regain = if used >= 100 { regain_minutes(q, now, window) } else { 0 };
        let reset = q.front().map(|&t| (t + window - now).max(0)).unwrap_or(0);
        out.push((
            "x-ad-account-usage",
            json!({ "acc_id_util_pct": used, "reset_time_duration": reset, "ads_api_access_tier": "standard_access" }).to_string(),
        ));
        let kind = if insights { "ads_insights" } else { "ads_management" };
        out.push((
            "x-business-use-case-usage",
            json!({ acct.business_id: [{
                "type": kind, "call_count": used, "total_cputime": used / 2, "total_time": used / 2,
                "estimated_time_to_regain_access": regain, "ads_api_access_tier": "standard_access"
            }] })
            .to_string(),
        ));
    }
    out
}
