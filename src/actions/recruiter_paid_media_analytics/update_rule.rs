//! `recruiter_paid_media_analytics/update_rule`: Renames a rule or replaces what it says (checked
//! as at creation). Its runs so far and its owner stay.

use super::{bad, rule_admin};
use crate::actions::action::{Action, Change, Cx, Meta, Record, RECRUITER_OR_ADMIN};
use crate::db::rules;
use crate::domain::Text;
use crate::failure::Failure;
use crate::problem::Problem;
use crate::rules::spec::RuleSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The rule and what changes (at least one of name and rule).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `create_rule`'s `rule.id`.
    pub rule_id: Text<64>,
    /// A new name.
    pub name: Option<Text<120>>,
    /// The rule's new level, objects, window, conditions, action, schedule, cooldown and caps.
    pub rule: Option<RuleSpec>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Renames a rule or replaces its conditions, action, schedule, cooldown and caps (checked as at creation); its owner or an admin.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        if input.name.is_none() && input.rule.is_none() {
            return Err(bad("rule", "give a new name, a new rule, or both"));
        }
        let before = rule_admin::managed(cx, input.rule_id.as_str()).await?;
        if before.status == "stopped" {
            return Err(
                Problem::conflict(format!("rule {} was stopped ({}); create a new one", before.id, before.status_reason.clone().unwrap_or_default())).into()
            );
        }
        let mut after = before.clone();
        if let Some(name) = &input.name {
            after.name = name.as_str().into();
        }
        if let Some(spec) = &input.rule {
            after.next_run_at = rule_admin::checked(cx, &before.ad_account_id, spec).await?;
            after.spec = serde_json::to_string(spec).map_err(|e| Failure::Internal(e.to_string()))?;
            after.every = spec.schedule.every.as_str().into();
        }
        after.updated_at = cx.ports.now_iso();
        let record = Record {
            ad_account_id: Some(before.ad_account_id.clone()),
            external_id: Some(before.id.clone()),
            before: Some(before.public()),
            after: Some(after.public()),
        };
        Ok(Change::done(200, json!({ "rule": after.public() }), vec![rules::update_spec(&after, &before.updated_at)], record))
    }
}
