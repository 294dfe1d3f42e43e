//! Backoff: exponential with full jitter, bounded; throttling waits for Meta's estimate.

use super::error::ErrorClass;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_ms: u64,
    pub cap_ms: u64,
    /// The longest a throttled call may wait before the failure is returned instead.
    pub max_throttle_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 4, base_ms: 200, cap_ms: 10_000, max_throttle_wait_ms: 30_000 }
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1` (attempt counts from 1), or None to stop.
    /// `random` is a uniformly random u64, passed in so the rule stays pure.
    pub fn delay_ms(&self, class: ErrorClass, attempt: u32, regain_minutes: Option<i64>, random: u64) -> Option<u64> {
        if attempt >= self.max_attempts {
            return None;
        }
        match class {
            ErrorClass::Auth | ErrorClass::Permanent => None,
            ErrorClass::Throttled => {
                let wait = match regain_minutes {
                    Some(m) if m > 0 => (m as u64).saturating_mul(60_000),
                    _ => self.full_jitter(attempt, random).max(self.base_ms),
                };
                (wait <= self.max_throttle_wait_ms).then_some(wait)
            }
            ErrorClass::Transient => Some(self.full_jitter(attempt, random)),
        }
    }

    /// Uniform in [0, min(cap, base * 2^(attempt-1))].
    fn full_jitter(&self, attempt: u32, random: u64) -> u64 {
        let ceiling = self.base_ms.saturating_mul(1u64 << (attempt - 1).min(30)).min(self.cap_ms);
        random % (ceiling + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn transient_waits_are_jittered_under_a_growing_ceiling() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(ErrorClass::Transient, 1, None, 1_000_000), Some(1_000_000 % 201));
        assert!(p.delay_ms(ErrorClass::Transient, 3, None, u64::MAX).unwrap() <= 800);
        assert_eq!(p.delay_ms(ErrorClass::Transient, 4, None, 5), None, "bounded attempts");
        let capped = RetryPolicy { max_attempts: 50, ..p };
        assert!(capped.delay_ms(ErrorClass::Transient, 40, None, u64::MAX).unwrap() <= 10_000);
    }

    #[test]
    fn throttling_honours_metas_estimate_within_a_bound() {
        let p = RetryPolicy { max_throttle_wait_ms: 120_000, ..RetryPolicy::default() };
        assert_eq!(p.delay_ms(ErrorClass::Throttled, 1, Some(2), 0), Some(120_000));
        assert_eq!(p.delay_ms(ErrorClass::Throttled, 1, Some(3), 0), None, "too long: hand back to the caller");
        assert_eq!(p.delay_ms(ErrorClass::Throttled, 1, None, 0), Some(200));
    }

    #[test]
    fn auth_and_permanent_errors_are_not_retried() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(ErrorClass::Auth, 1, None, 7), None);
        assert_eq!(p.delay_ms(ErrorClass::Permanent, 1, None, 7), None);
    }
}
