//! A budget of failed authentications per client. Only failures spend it, and it is consulted
//! only after a key has failed, so a valid key is never refused however many wrong ones arrive
//! from the same address; a client over its budget gets 429 with `Retry-After` instead of 401
//! until its window ends. The counts live in a Durable Object per client (`auth:{client}`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    pub window_ms: i64,
    pub max_failures: u32,
}

/// 20 wrong keys a minute: more than any person mistyping, far less than a scan.
pub const DEFAULT_POLICY: FailurePolicy = FailurePolicy { window_ms: 60_000, max_failures: 20 };

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    pub window_start_ms: i64,
    pub count: u32,
}

/// Counts one failure; returns the new state and, when the budget is spent, how long to wait.
pub fn record_failure(state: Failures, policy: FailurePolicy, now_ms: i64) -> (Failures, Option<i64>) {
    let mut s = if now_ms >= state.window_start_ms.saturating_add(policy.window_ms) || now_ms < state.window_start_ms {
        Failures { window_start_ms: now_ms, count: 0 }
    } else {
        state
    };
    s.count = s.count.saturating_add(1);
    let wait = (s.count > policy.max_failures).then(|| (s.window_start_ms + policy.window_ms - now_ms).max(1));
    (s, wait)
}

/// The client a request comes from: Cloudflare's `CF-Connecting-IP` (set by the edge, not by
/// the client), when it is an IP address.
pub fn client_key(connecting_ip: Option<&str>) -> String {
    match connecting_ip.map(str::trim).and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_budget_is_spent_by_failures_and_refills_with_the_window() {
        let p = FailurePolicy { window_ms: 1_000, max_failures: 3 };
        let mut s = Failures::default();
        for i in 0..3 {
            let (next, wait) = record_failure(s, p, 10_000 + i);
            assert_eq!(wait, None, "failure {i} is within budget");
            s = next;
        }
        let (s, wait) = record_failure(s, p, 10_500);
        assert_eq!(wait, Some(500), "the fourth waits for the window's end");
        let (s, wait) = record_failure(s, p, 11_000);
        assert_eq!((s.count, wait), (1, None), "a new window");
        assert_eq!(record_failure(Failures { window_start_ms: i64::MAX, count: u32::MAX }, p, 5).0.count, 1, "a clock going back starts afresh");
    }

    #[test]
    fn client_keys_are_sanitised() {
        assert_eq!(client_key(Some("203.0.113.9")), "203.0.113.9");
        assert_eq!(client_key(Some("2001:db8::1")), "2001:db8::1");
        assert_eq!(client_key(Some("x/../y")), "unknown");
        assert_eq!(client_key(None), "unknown");
    }
}
