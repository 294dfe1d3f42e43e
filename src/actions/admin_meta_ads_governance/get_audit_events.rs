//! `admin_meta_ads_governance/get_audit_events`: Audit rows of the workspace, newest first, filtered.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::{AdAccountId, Bounded, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Audit rows of the workspace, newest first, filtered.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Only this action.
    pub action: Option<Text<64>>,
    /// Only this actor (an API key id, or bootstrap, cron, ...).
    pub actor: Option<Text<64>>,
    /// Only this ad account.
    pub ad_account_id: Option<AdAccountId>,
    /// Lower bound on occurred_at (ISO-8601, compared as text: `2026-11-01` or a full time).
    pub since: Option<Text<40>>,
    /// Upper bound on occurred_at (ISO-8601, compared as text).
    pub until: Option<Text<40>>,
    /// At most this many rows (default 100).
    pub limit: Option<Bounded<1, 500>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Audit rows of the workspace, newest first, filtered.");
}
