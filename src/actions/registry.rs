//! Every governed action: its router, who may call it, its risk tier and its input schema.
//! `GET /v1/actions` publishes this table; `POST /v1/actions/{router}/{action}` runs from it.

use super::approvals::MAX_APPROVAL_TTL_SECONDS;
use super::policy::{MAX_BUDGET_MINOR, MAX_INCREASE_PCT};
use super::schema::{opt, req, Field, Kind};
use crate::api_keys::Role;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Read,
    Suggest,
    ExecuteLow,
    ExecuteHigh,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Read => "read",
            Tier::Suggest => "suggest",
            Tier::ExecuteLow => "execute_low",
            Tier::ExecuteHigh => "execute_high",
        }
    }

    /// Mutations need an Idempotency-Key and write audit rows.
    pub fn is_mutation(self) -> bool {
        matches!(self, Tier::ExecuteLow | Tier::ExecuteHigh)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub router: &'static str,
    pub name: &'static str,
    pub roles: &'static [Role],
    pub tier: Tier,
    pub summary: &'static str,
    pub input: &'static [Field],
}

pub const GOVERNANCE: &str = "admin_meta_ads_governance";
pub const RECRUITER: &str = "recruiter_paid_media";
const ADMIN: &[Role] = &[Role::Admin];
const RECRUITER_OR_ADMIN: &[Role] = &[Role::Recruiter, Role::Admin];
const CAMPAIGN_REF: &[Field] =
    &[req("ad_account_id", Kind::Text, "The bound ad account (act_... or digits)."), req("campaign_id", Kind::Text, "The Meta campaign id.")];

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        router: GOVERNANCE,
        name: "list_meta_integrations",
        roles: ADMIN,
        tier: Tier::Read,
        summary: "The workspace's Meta integrations with their status and token expiry (never the token).",
        input: &[],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "get_token_health",
        roles: ADMIN,
        tier: Tier::Read,
        summary: "Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.",
        input: &[req("integration_id", Kind::Text, "The integration to check.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "get_meta_api_error_digest",
        roles: ADMIN,
        tier: Tier::Read,
        summary: "Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.",
        input: &[opt("since_hours", Kind::Int(1, 2_160), "Look back this many hours (default 24).")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "get_rate_limit_posture",
        roles: ADMIN,
        tier: Tier::Read,
        summary: "The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.",
        input: &[opt("since_hours", Kind::Int(1, 2_160), "Count throttling over this many hours (default 24).")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "get_audit_events",
        roles: ADMIN,
        tier: Tier::Read,
        summary: "Audit rows of the workspace, newest first, filtered.",
        input: &[
            opt("action", Kind::Text, "Only this action."),
            opt("actor", Kind::Text, "Only this actor (an API key id)."),
            opt("ad_account_id", Kind::Text, "Only this ad account."),
            opt("since", Kind::Text, "ISO-8601 lower bound on occurred_at."),
            opt("until", Kind::Text, "ISO-8601 upper bound on occurred_at."),
            opt("limit", Kind::Int(1, 500), "At most this many rows (default 100)."),
        ],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "refresh_system_user_token",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.",
        input: &[req("integration_id", Kind::Text, "The integration.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "set_campaign_guardrails",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Naming taxonomy and compliance rules every campaign must meet.",
        input: &[
            opt("naming_pattern", Kind::Text, "A pattern campaign names must match, with {role}, {geo} and {yyyymm} placeholders."),
            opt("required_special_ad_categories", Kind::TextList, "Categories every campaign must declare (EMPLOYMENT for job ads)."),
            opt("max_daily_budget_minor", Kind::Int(1, MAX_BUDGET_MINOR), "The largest daily budget a campaign may have, in minor units."),
        ],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "set_daily_budget_caps",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Daily spend caps per ad account, in the account's minor currency unit.",
        input: &[req("caps", Kind::IntMap(MAX_BUDGET_MINOR), "Ad account id (act_... or digits) to its daily cap in minor units.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "set_approval_thresholds",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "When budget changes need an approval.",
        input: &[
            opt("budget_increase_pct", Kind::Int(0, MAX_INCREASE_PCT), "An increase above this percentage needs approval."),
            opt("budget_increase_minor", Kind::Int(0, MAX_BUDGET_MINOR), "An increase above this amount (minor units) needs approval."),
            opt("approval_ttl_seconds", Kind::Int(1, MAX_APPROVAL_TTL_SECONDS), "Pending approvals expire after this many seconds (default a day, at most 30 days)."),
        ],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "set_insights_settings",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "What insights sync keeps: breakdown sets (checked against what Graph accepts), attribution windows, the backfill on bind and the fresh window re-fetched every tick.",
        input: &[
            opt("breakdown_sets", Kind::TextList, "Breakdown sets, each comma-separated: country; age,gender; publisher_platform,platform_position; device_platform; hourly_stats_aggregated_by_advertiser_time_zone."),
            opt("attribution_windows", Kind::TextList, "Windows kept besides default: 1d_click, 7d_click, 28d_click, 1d_view."),
            opt("backfill_days", Kind::Int(1, crate::sync::insights::MAX_BACKFILL_DAYS), "Days fetched when an account is bound (default 7)."),
            opt("attribution_window_days", Kind::Int(1, 28), "Days re-fetched on every tick so late conversions are corrected (default 7)."),
        ],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "quarantine_integration",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Stops all Graph calls through an integration until it is released.",
        input: &[req("integration_id", Kind::Text, "The integration."), req("reason", Kind::Text, "Why, for the audit trail.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "quarantine_ad_account",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Stops every Graph call for one ad account at its gate until it is released.",
        input: &[req("ad_account_id", Kind::Text, "The bound ad account."), req("reason", Kind::Text, "Why, for the audit trail.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "release_ad_account",
        roles: ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Lifts an ad account's quarantine.",
        input: &[req("ad_account_id", Kind::Text, "The bound ad account.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "rotate_credentials",
        roles: ADMIN,
        tier: Tier::ExecuteHigh,
        summary: "Re-seals every Meta token of the workspace under the vault's newest key (after a key is added to TOKEN_VAULT_KEYS).",
        input: &[opt("reason", Kind::Text, "Why, for the audit trail.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "rebind_ad_account",
        roles: ADMIN,
        tier: Tier::ExecuteHigh,
        summary: "Moves a bound ad account to another of the workspace's integrations (which must see it on Meta).",
        input: &[req("ad_account_id", Kind::Text, "The bound ad account."), req("integration_id", Kind::Text, "The integration to use from now on.")],
    },
    ActionSpec {
        router: GOVERNANCE,
        name: "disable_integration",
        roles: ADMIN,
        tier: Tier::ExecuteHigh,
        summary: "Disables an integration for good: no more Graph calls through it.",
        input: &[req("integration_id", Kind::Text, "The integration."), req("reason", Kind::Text, "Why, for the audit trail.")],
    },
];

/// Campaign mutations of the recruiter router that the workspace policies govern (the rest of
/// the router arrives with campaign building).
pub const RECRUITER_ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        router: RECRUITER,
        name: "pause_campaign",
        roles: RECRUITER_OR_ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Pauses a campaign on Meta.",
        input: CAMPAIGN_REF,
    },
    ActionSpec {
        router: RECRUITER,
        name: "resume_campaign",
        roles: RECRUITER_OR_ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Sets a campaign ACTIVE (a launch): held to the campaign guardrails; the first launch on an ad account needs an approval.",
        input: CAMPAIGN_REF,
    },
    ActionSpec {
        router: RECRUITER,
        name: "delete_campaign",
        roles: RECRUITER_OR_ADMIN,
        tier: Tier::ExecuteLow,
        summary: "Deletes a campaign on Meta; always needs an approval, since it cannot be undone.",
        input: CAMPAIGN_REF,
    },
    ActionSpec {
        router: RECRUITER,
        name: "update_ad_set_budget",
        roles: RECRUITER_OR_ADMIN,
        tier: Tier::ExecuteLow,
        summary:
            "Changes an ad set's daily budget: held to the guardrail and the account's daily cap; an increase above the approval threshold needs an approval.",
        input: &[
            req("ad_account_id", Kind::Text, "The bound ad account (act_... or digits)."),
            req("ad_set_id", Kind::Text, "The Meta ad set id."),
            req("daily_budget_minor", Kind::Int(1, MAX_BUDGET_MINOR), "The new daily budget in the account's minor currency unit."),
        ],
    },
    ActionSpec {
        router: RECRUITER,
        name: "duplicate_campaign",
        roles: RECRUITER_OR_ADMIN,
        tier: Tier::ExecuteLow,
        summary:
            "Copies a campaign's settings into a new PAUSED campaign, in the same or another bound ad account; a copy into another account needs an approval.",
        input: &[
            req("ad_account_id", Kind::Text, "The bound ad account the source campaign is in."),
            req("campaign_id", Kind::Text, "The campaign to copy."),
            opt("target_ad_account_id", Kind::Text, "The bound ad account to copy into (default: the same one)."),
            opt("name", Kind::Text, "The copy's name (default: the source's name with \" (copy)\")."),
        ],
    },
];

/// Every action of every router.
pub fn all() -> impl Iterator<Item = &'static ActionSpec> {
    ACTIONS.iter().chain(RECRUITER_ACTIONS.iter())
}

pub fn find(router: &str, name: &str) -> Option<&'static ActionSpec> {
    all().find(|a| a.router == router && a.name == name)
}

pub fn describe(a: &ActionSpec) -> Value {
    json!({
        "router": a.router,
        "action": a.name,
        "roles": a.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "risk_tier": a.tier.as_str(),
        "requires_idempotency_key": a.tier.is_mutation(),
        "summary": a.summary,
        "input_schema": super::schema::json_schema(a.input),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_reads_are_not_mutations() {
        let every: Vec<_> = all().collect();
        for (i, a) in every.iter().enumerate() {
            assert!(every[i + 1..].iter().all(|b| (b.router, b.name) != (a.router, a.name)), "{}", a.name);
            assert_eq!(a.tier.is_mutation(), !a.name.starts_with("get_") && !a.name.starts_with("list_"), "{}", a.name);
        }
        assert_eq!(find(RECRUITER, "delete_campaign").unwrap().roles, RECRUITER_OR_ADMIN);
        assert!(find(GOVERNANCE, "get_token_health").is_some());
        assert!(find(GOVERNANCE, "nope").is_none());
        assert_eq!(describe(find(GOVERNANCE, "set_daily_budget_caps").unwrap())["risk_tier"], "execute_low");
        for high in ["rotate_credentials", "rebind_ad_account", "disable_integration"] {
            assert_eq!(find(GOVERNANCE, high).unwrap().tier, Tier::ExecuteHigh, "{high} needs an approval");
        }
    }
}
