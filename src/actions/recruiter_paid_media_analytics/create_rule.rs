//! `recruiter_paid_media_analytics/create_rule`: A workspace rule on one bound account: conditions
//! on its figures over a window, an action (notify, pause, resume, change a budget, rotate a
//! creative) and a schedule. It acts under its creator, through `apply_rule_action`.

use super::rule_admin;
use crate::actions::action::{Action, Change, Cx, Meta, Record, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts;
use crate::db::rules::{self, Rule};
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::ports::new_id;
use crate::rules::spec::RuleSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The rule to create.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account the rule watches.
    pub ad_account_id: AdAccountId,
    /// What people call the rule.
    pub name: Text<120>,
    /// Its level, objects, window, conditions, action, schedule, cooldown and caps.
    pub rule: RuleSpec,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates a rule on a bound account: conditions on its figures over a window (AND/OR, metric against value or metric), an action (notify, pause, resume, change budget within a floor and ceiling, rotate creative), a schedule, a cooldown and caps; it acts under its creator through governed actions.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let owner = rule_admin::owner(cx)?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let next_run_at = rule_admin::checked(cx, &account.id, &input.rule).await?;
        let now = cx.ports.now_iso();
        let rule = Rule {
            id: new_id("rul"),
            workspace_id: cx.workspace.into(),
            ad_account_id: account.id.clone(),
            name: input.name.as_str().into(),
            owner_member_id: owner,
            spec: serde_json::to_string(&input.rule).map_err(|e| Failure::Internal(e.to_string()))?,
            every: input.rule.schedule.every.as_str().into(),
            status: "active".into(),
            next_run_at,
            created_at: now.clone(),
            updated_at: now,
            ..Default::default()
        };
        let record = Record { ad_account_id: Some(account.id.clone()), external_id: Some(rule.id.clone()), before: None, after: Some(rule.public()) };
        Ok(Change::done(201, json!({ "rule": rule.public() }), vec![rules::insert(&rule)], record))
    }
}
