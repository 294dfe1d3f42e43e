//! `recruiter_paid_media_analytics/dry_run_rule`: What a rule would do now, from the figures it
//! would read, within its cooldown and caps; nothing is changed or recorded.

use super::bad;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::rules;
use crate::domain::Text;
use crate::failure::Failure;
use crate::rules::figures::{describe, evaluate_now};
use crate::rules::spec::RuleSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The rule to try.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `create_rule`'s `rule.id`.
    pub rule_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Shows what a rule would do now: each object's figures over its window, which match, and the change, notification or reason to skip for each; changes nothing.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let rule = rules::get(cx.ports, cx.workspace, input.rule_id.as_str()).await?.ok_or_else(|| bad("rule_id", "is not a rule of this workspace"))?;
        let spec: RuleSpec = serde_json::from_str(&rule.spec).map_err(|e| Failure::Internal(format!("stored rule {}: {e}", rule.id)))?;
        let ev = evaluate_now(cx.ports, &rule, &spec).await?;
        let decisions: Vec<_> = ev.decisions.iter().map(|(o, d)| describe(o, d)).collect();
        Ok(Change::read(json!({
            "rule_id": rule.id, "status": rule.status, "dry_run": true, "data_as_of": ev.data_as_of,
            "window": { "since": ev.since, "until": ev.until },
            "objects": ev.inputs, "decisions": decisions,
        })))
    }
}
