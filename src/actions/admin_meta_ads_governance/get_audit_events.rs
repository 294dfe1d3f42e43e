//! `admin_meta_ads_governance/get_audit_events`: Audit rows of the workspace, newest first, filtered.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::db::audit_log;
use crate::domain::{AdAccountId, Bounded, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

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
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Audit rows of the workspace, newest first, filtered.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let filter = audit_log::Filter {
            action: input.action.as_ref().map(|t| t.as_str()),
            actor: input.actor.as_ref().map(|t| t.as_str()),
            ad_account_id: input.ad_account_id.as_ref().map(|a| a.digits()),
            since: input.since.as_ref().map(|t| t.as_str()),
            until: input.until.as_ref().map(|t| t.as_str()),
            limit: input.limit.map(|l| l.get()).unwrap_or(100),
        };
        Ok(Change::read(json!({ "data": audit_log::list(cx.ports, cx.workspace, &filter).await? })))
    }
}
