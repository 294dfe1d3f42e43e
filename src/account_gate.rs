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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted { remaining: u32 },
    Rejected { retry_after_ms: i64 },
}

/// Applies one call attempt at `now_ms` and returns the new state with the decision.
pub fn admit(state: WindowState, policy: GatePolicy, now_ms: i64) -> (WindowState, Admission) {
    let mut next = state;
    // A new window starts on the first call after the old one ended (or if the clock went back).
    if now_ms >= state.window_start_ms + policy.window_ms || now_ms < state.window_start_ms {
        next.window_start_ms = now_ms;
        next.calls_in_window = 0;
    }
    if next.calls_in_window < policy.max_calls {
        next.calls_in_window += 1;
        next.admitted_total += 1;
        (next, Admission::Admitted { remaining: policy.max_calls - next.calls_in_window })
    } else {
        next.rejected_total += 1;
        let retry_after_ms = next.window_start_ms + policy.window_ms - now_ms;
        (next, Admission::Rejected { retry_after_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: GatePolicy = GatePolicy { window_ms: 1_000, max_calls: 2 };

    #[test]
    fn admits_up_to_the_budget_then_rejects_until_the_window_ends() {
        let s = WindowState::default();
        let (s, a) = admit(s, POLICY, 10_000);
        assert_eq!(a, Admission::Admitted { remaining: 1 });
        let (s, a) = admit(s, POLICY, 10_100);
        assert_eq!(a, Admission::Admitted { remaining: 0 });
        let (s, a) = admit(s, POLICY, 10_400);
        assert_eq!(a, Admission::Rejected { retry_after_ms: 600 });
        assert_eq!((s.admitted_total, s.rejected_total), (2, 1));
        let (s, a) = admit(s, POLICY, 11_000);
        assert_eq!(a, Admission::Admitted { remaining: 1 });
        assert_eq!((s.window_start_ms, s.calls_in_window, s.admitted_total), (11_000, 1, 3));
    }

    #[test]
    fn a_clock_that_goes_back_opens_a_fresh_window() {
        let s = WindowState { window_start_ms: 50_000, calls_in_window: 2, ..Default::default() };
        let (s, a) = admit(s, POLICY, 40_000);
        assert!(matches!(a, Admission::Admitted { .. }));
        assert_eq!(s.window_start_ms, 40_000);
    }
}
