//! `recruiter_paid_media_analytics/resume_rule`: A paused rule runs again (from its next due time).

use super::rule_admin;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::domain::Text;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The rule to resume.
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
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Resumes a paused rule; its owner or an admin. A rule stopped because its owner lost access stays stopped.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let rule = rule_admin::managed(cx, input.rule_id.as_str()).await?;
        rule_admin::move_status(cx, rule, &["paused"], "active")
    }
}
