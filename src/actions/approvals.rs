//! Who may decide an approval, and when it stops being decidable.

use crate::api_keys::Principal;

pub const DEFAULT_TTL_SECONDS: i64 = 86_400;
/// The longest a pending approval may wait: 30 days.
pub const MAX_APPROVAL_TTL_SECONDS: i64 = 30 * 86_400;

/// The TTL a workspace's stored policy asks for, within bounds (a value stored before the
/// bounds existed, or out of range, falls back to the default).
pub fn ttl_seconds(stored: Option<i64>) -> i64 {
    stored.filter(|s| (1..=MAX_APPROVAL_TTL_SECONDS).contains(s)).unwrap_or(DEFAULT_TTL_SECONDS)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The requester may not approve their own request.
    SelfApproval,
    AlreadyDecided(String),
    Expired,
}

impl Refusal {
    pub fn detail(&self) -> String {
        match self {
            Refusal::SelfApproval => "an approval must be decided by another person than the requester (another key of the same member does not count)".into(),
            Refusal::AlreadyDecided(s) => format!("this approval is already {s}"),
            Refusal::Expired => "this approval has expired; request the action again".into(),
        }
    }
}

/// Checks a decision on an approval in `status`, requested by the person `requested_by` (a
/// member id, or `bootstrap`), expiring at `expires_at` (ISO-8601 text, compared as text,
/// which orders like time). People are compared, never keys: another key of the requester is
/// still the requester.
pub fn check(decider: &Principal, requested_by: &str, status: &str, expires_at: &str, now_iso: &str) -> Result<(), Refusal> {
    if status != "pending" {
        return Err(Refusal::AlreadyDecided(status.to_string()));
    }
    if expires_at <= now_iso {
        return Err(Refusal::Expired);
    }
    if decider.person() == requested_by {
        return Err(Refusal::SelfApproval);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_keys::Role;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ttl_is_bounded() {
        assert_eq!(ttl_seconds(None), DEFAULT_TTL_SECONDS);
        assert_eq!(ttl_seconds(Some(1)), 1);
        assert_eq!(ttl_seconds(Some(i64::MAX)), DEFAULT_TTL_SECONDS);
        assert_eq!(ttl_seconds(Some(0)), DEFAULT_TTL_SECONDS);
        assert_eq!(ttl_seconds(Some(MAX_APPROVAL_TTL_SECONDS)), MAX_APPROVAL_TTL_SECONDS);
    }

    #[test]
    fn refuses_self_approval_decided_and_expired() {
        let alice = Principal::Key { key_id: "key_a".into(), member_id: "mem_a".into(), workspace_id: "ws".into(), role: Role::Admin };
        let alice_again = Principal::Key { key_id: "key_a2".into(), member_id: "mem_a".into(), workspace_id: "ws".into(), role: Role::Admin };
        let now = "2026-11-23T12:00:00.000Z";
        assert_eq!(check(&alice, "mem_a", "pending", "2026-11-24T00:00:00.000Z", now), Err(Refusal::SelfApproval));
        assert_eq!(check(&alice_again, "mem_a", "pending", "2026-11-24T00:00:00.000Z", now), Err(Refusal::SelfApproval), "a second key is the same person");
        assert_eq!(check(&alice, "mem_b", "pending", "2026-11-24T00:00:00.000Z", now), Ok(()));
        assert_eq!(check(&Principal::Bootstrap, "mem_a", "pending", "2026-11-24T00:00:00.000Z", now), Ok(()));
        assert_eq!(check(&alice, "mem_b", "executed", "2026-11-24T00:00:00.000Z", now), Err(Refusal::AlreadyDecided("executed".into())));
        assert_eq!(check(&alice, "mem_b", "pending", "2026-11-23T11:59:59.999Z", now), Err(Refusal::Expired));
        assert_eq!(check(&Principal::Bootstrap, "bootstrap", "pending", "2026-11-24T00:00:00.000Z", now), Err(Refusal::SelfApproval));
    }
}
