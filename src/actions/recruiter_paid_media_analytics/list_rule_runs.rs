//! `recruiter_paid_media_analytics/list_rule_runs`: A rule and its runs, newest first: why each
//! ran, the figures it read, what it decided and what each action came to.

use super::bad;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::rules;
use crate::domain::{Bounded, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The rule whose runs to list.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `create_rule`'s `rule.id`.
    pub rule_id: Text<64>,
    /// Runs to list, 1 to 100 (default 20).
    pub limit: Option<Bounded<1, 100>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Lists a rule's runs, newest first: the trigger, the figures read, the decisions and each action's outcome (done with its rollback, held for approval, refused with the reason).");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let rule = rules::get(cx.ports, cx.workspace, input.rule_id.as_str()).await?.ok_or_else(|| bad("rule_id", "is not a rule of this workspace"))?;
        let runs = rules::runs(cx.ports, cx.workspace, &rule.id, input.limit.map_or(20, |l| l.get())).await?;
        Ok(Change::read(json!({ "rule": rule.public(), "runs": runs.iter().map(rules::Run::public).collect::<Vec<_>>() })))
    }
}
