//! The per-account call budget kept by the `AdAccountGate` Durable Object: a fixed window of
//! `max_calls` admissions per `window_ms`. Pure, so the DO only loads, applies and stores.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatePolicy {
    pub window_ms: i64,
    pub max_calls: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowState {
    pub window_start_ms: i64,
    pub calls_in_window: u32,
    pub admitted_total: u64,
    pub rejected_total: u64,
}

/// What Meta last said about this account: its usage, and until when it asked us to wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pressure {
    pub usage_pct: f64,
    pub usage_at_ms: i64,
    pub regain_until_ms: i64,
}

/// Above this usage (in percent of Meta's budget) new calls are held until the usage drops.
pub const HOLD_AT_PCT: f64 = 90.0;
/// How long high usage holds calls after it was reported; then one call goes through as a probe
/// and reports the usage afresh (Meta's windows roll, so usage falls while nothing is sent).
pub const HOLD_RETRY_MS: i64 = 10_000;

/// Folds a call's outcome into the pressure: the usage it reported, and a throttling error's
/// wait (in minutes; Meta gives at least one when it throttles).
pub fn report(p: Pressure, usage_pct: Option<f64>, throttled_regain_minutes: Option<i64>, now_ms: i64) -> Pressure {
    let mut next = p;
    if let Some(u) = usage_pct {
        next.usage_pct = u;
        next.usage_at_ms = now_ms;
    }
    if let Some(m) = throttled_regain_minutes {
        next.regain_until_ms = next.regain_until_ms.max(now_ms + m.max(1) * 60_000);
        next.usage_pct = next.usage_pct.max(100.0);
        next.usage_at_ms = now_ms;
    }
    next
}

/// Meta's word first: while it asked us to wait, or while usage is near its budget, hold.
pub fn held_by_meta(p: Pressure, now_ms: i64) -> Option<i64> {
    let since_report = now_ms - p.usage_at_ms;
    if p.regain_until_ms > now_ms {
        Some(p.regain_until_ms - now_ms)
    } else if p.usage_pct >= HOLD_AT_PCT && since_report < HOLD_RETRY_MS && p.regain_until_ms <= p.usage_at_ms {
        Some(HOLD_RETRY_MS - since_report)
    } else {
        None
    }
}

/// The budget Meta's app-wide figures and errors (codes 4, 17, 613) speak of: it holds every call.
pub const ALL_CALLS: &str = "all";

/// What Meta last said of each budget a call of this account counts against: `ALL_CALLS` and
/// each business use case (`ads_management`, `ads_insights`, ...), which Meta keeps apart.
pub type Pressures = std::collections::BTreeMap<String, Pressure>;

/// Folds one answer into the pressures: the usage it reported per budget, and a throttling
/// error's wait for the budget it named.
pub fn report_by_budget(mut all: Pressures, usage: &[(String, f64)], throttled: Option<(&str, i64)>, now_ms: i64) -> Pressures {
    for (budget, pct) in usage {
        let p = all.get(budget).copied().unwrap_or_default();
        all.insert(budget.clone(), report(p, Some(*pct), None, now_ms));
    }
    if let Some((budget, minutes)) = throttled {
        let p = all.get(budget).copied().unwrap_or_default();
        all.insert(budget.to_string(), report(p, None, Some(minutes), now_ms));
    }
    all
}

/// Holds a call counting against `use_cases` while Meta holds any of them or all calls: the
/// longest wait among them.
pub fn held_for(all: &Pressures, use_cases: &[&str], now_ms: i64) -> Option<i64> {
    std::iter::once(ALL_CALLS).chain(use_cases.iter().copied()).filter_map(|b| all.get(b).and_then(|p| held_by_meta(*p, now_ms))).max()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// `calls` of those asked for may go now (at least one).
    Admitted {
        calls: u32,
        remaining: u32,
    },
    Rejected {
        retry_after_ms: i64,
    },
}

/// Applies one call attempt at `now_ms` and returns the new state with the decision.
pub fn admit(state: WindowState, policy: GatePolicy, now_ms: i64) -> (WindowState, Admission) {
    admit_up_to(state, policy, now_ms, 1)
}

/// Admits as many of `wanted` calls (one batch request) as the window has room for, at least
/// one; none when the window is full. A batch larger than the room left goes in parts.
pub fn admit_up_to(state: WindowState, policy: GatePolicy, now_ms: i64, wanted: u32) -> (WindowState, Admission) {
    let mut next = state;
    // A new window starts on the first call after the old one ended (or if the clock went back).
    if now_ms >= state.window_start_ms + policy.window_ms || now_ms < state.window_start_ms {
        next.window_start_ms = now_ms;
        next.calls_in_window = 0;
    }
    if next.calls_in_window < policy.max_calls {
        let calls = wanted.max(1).min(policy.max_calls - next.calls_in_window);
        next.calls_in_window += calls;
        next.admitted_total += u64::from(calls);
        (next, Admission::Admitted { calls, remaining: policy.max_calls - next.calls_in_window })
    } else {
        next.rejected_total += 1;
        let retry_after_ms = next.window_start_ms + policy.window_ms - now_ms;
        (next, Admission::Rejected { retry_after_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const POLICY: GatePolicy = GatePolicy { window_ms: 1_000, max_calls: 2 };

    #[test]
    fn admits_up_to_the_budget_then_rejects_until_the_window_ends() {
        let s = WindowState::default();
        let (s, a) = admit(s, POLICY, 10_000);
        assert_eq!(a, Admission::Admitted { calls: 1, remaining: 1 });
        let (s, a) = admit(s, POLICY, 10_100);
        assert_eq!(a, Admission::Admitted { calls: 1, remaining: 0 });
        let (s, a) = admit(s, POLICY, 10_400);
        assert_eq!(a, Admission::Rejected { retry_after_ms: 600 });
        assert_eq!((s.admitted_total, s.rejected_total), (2, 1));
        let (s, a) = admit(s, POLICY, 11_000);
        assert_eq!(a, Admission::Admitted { calls: 1, remaining: 1 });
        assert_eq!((s.window_start_ms, s.calls_in_window, s.admitted_total), (11_000, 1, 3));
    }

    #[test]
    fn a_batch_is_admitted_for_the_room_left_and_the_rest_waits() {
        let policy = GatePolicy { window_ms: 1_000, max_calls: 5 };
        let (s, a) = admit_up_to(WindowState::default(), policy, 0, 3);
        assert_eq!(a, Admission::Admitted { calls: 3, remaining: 2 });
        let (s, a) = admit_up_to(s, policy, 10, 50);
        assert_eq!(a, Admission::Admitted { calls: 2, remaining: 0 }, "only the room left");
        assert_eq!((s.calls_in_window, s.admitted_total), (5, 5));
        let (s, a) = admit_up_to(s, policy, 20, 50);
        assert_eq!(a, Admission::Rejected { retry_after_ms: 980 });
        assert_eq!(s.rejected_total, 1);
        let (_, a) = admit_up_to(s, policy, 1_000, 0);
        assert_eq!(a, Admission::Admitted { calls: 1, remaining: 4 }, "asking for none counts as one");
    }

    #[test]
    fn meta_pressure_holds_calls() {
        let calm = Pressure::default();
        assert_eq!(held_by_meta(calm, 0), None);
        let busy = report(calm, Some(95.0), None, 0);
        assert_eq!(held_by_meta(busy, 0), Some(HOLD_RETRY_MS));
        assert_eq!(held_by_meta(busy, 4_000), Some(HOLD_RETRY_MS - 4_000));
        assert_eq!(held_by_meta(busy, HOLD_RETRY_MS), None, "then one probe goes through");
        let throttled = report(calm, Some(40.0), Some(2), 1_000);
        assert_eq!(held_by_meta(throttled, 1_000), Some(120_000));
        assert_eq!(held_by_meta(throttled, 121_000), None, "after the wait, Meta's estimate has passed");
        let recovered = report(throttled, Some(20.0), None, 130_000);
        assert_eq!(held_by_meta(recovered, 130_000), None);
    }

    #[test]
    fn each_use_case_is_held_on_its_own() {
        let usage = [("ads_insights".to_string(), 97.0), ("ads_management".to_string(), 12.0)];
        let p = report_by_budget(Pressures::new(), &usage, None, 0);
        assert_eq!(held_for(&p, &["ads_insights"], 0), Some(HOLD_RETRY_MS), "insights near its budget is held");
        assert_eq!(held_for(&p, &["ads_management"], 0), None, "management calls still go");
        assert_eq!(held_for(&p, &["ads_management", "ads_insights"], 1_000), Some(HOLD_RETRY_MS - 1_000), "a batch holding both waits");
        let p = report_by_budget(p, &[], Some(("custom_audience", 3)), 0);
        assert_eq!(held_for(&p, &["custom_audience"], 60_000), Some(120_000));
        let p = report_by_budget(p, &[], Some((ALL_CALLS, 1)), 0);
        assert_eq!(held_for(&p, &["ads_management"], 0), Some(60_000), "the app's limit holds every call");
    }

    #[test]
    fn a_clock_that_goes_back_opens_a_fresh_window() {
        let s = WindowState { window_start_ms: 50_000, calls_in_window: 2, ..Default::default() };
        let (s, a) = admit(s, POLICY, 40_000);
        assert!(matches!(a, Admission::Admitted { .. }));
        assert_eq!(s.window_start_ms, 40_000);
    }
}
