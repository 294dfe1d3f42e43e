//! `recruiter_paid_media_analytics/pause_rule`: Stops a rule from running until `resume_rule`;
//! an action of its run held for approval no longer applies.

use super::rule_admin;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::domain::Text;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The rule to pause.
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
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Pauses a rule: it runs no more until resume_rule, and its decisions waiting for approval no longer apply; its owner or an admin.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let rule = rule_admin::managed(cx, input.rule_id.as_str()).await?;
        rule_admin::move_status(cx, rule, &["active", "paused"], "paused")
    }
}
