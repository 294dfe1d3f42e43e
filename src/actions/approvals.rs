//! Who may decide an approval, and when it stops being decidable.

use crate::api_keys::Principal;

pub const DEFAULT_TTL_SECONDS: i64 = 86_400;

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
            Refusal::SelfApproval => "an approval must be decided by an admin other than the requester".into(),
            Refusal::AlreadyDecided(s) => format!("this approval is already {s}"),
            Refusal::Expired => "this approval has expired; request the action again".into(),
        }
    }
}

/// Checks a decision on an approval in `status`, requested by `requested_by`, expiring at
/// `expires_at` (ISO-8601 text, compared as text, which orders like time).
pub fn check(decider: &Principal, requested_by: &str, status: &str, expires_at: &str, now_iso: &str) -> Result<(), Refusal> {
    if status != "pending" {
        return Err(Refusal::AlreadyDecided(status.to_string()));
    }
    if expires_at <= now_iso {
        return Err(Refusal::Expired);
    }
    if decider.actor() == requested_by {
        return Err(Refusal::SelfApproval);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_keys::Role;

    #[test]
    fn refuses_self_approval_decided_and_expired() {
        let alice = Principal::Key { key_id: "key_a".into(), workspace_id: "ws".into(), role: Role::Admin };
        let now = "2026-11-23T12:00:00.000Z";
        assert_eq!(check(&alice, "key_a", "pending", "2026-11-24T00:00:00.000Z", now), Err(Refusal::SelfApproval));
        assert_eq!(check(&alice, "key_b", "pending", "2026-11-24T00:00:00.000Z", now), Ok(()));
        assert_eq!(check(&alice, "key_b", "executed", "2026-11-24T00:00:00.000Z", now), Err(Refusal::AlreadyDecided("executed".into())));
        assert_eq!(check(&alice, "key_b", "pending", "2026-11-23T11:59:59.999Z", now), Err(Refusal::Expired));
        assert_eq!(check(&Principal::Bootstrap, "bootstrap", "pending", "2026-11-24T00:00:00.000Z", now), Err(Refusal::SelfApproval));
    }
}
