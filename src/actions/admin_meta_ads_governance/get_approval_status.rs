//! `admin_meta_ads_governance/get_approval_status`: where an approval stands, so the person or
//! agent that asked for a held change can follow it.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::approvals;
use crate::domain::Text;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where an approval of this workspace stands: pending, approved, rejected, expired, executed or failed, with its reasons and result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The approval (`apr_...`), as the held action's answer named it.
    pub approval_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(
        roles: RECRUITER_OR_ADMIN,
        tier: Read,
        summary: "Where an approval stands (pending, approved, rejected, expired, executed or failed), with its reasons, who decided it and the result."
    );

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        Ok(Change::read(approvals::status(cx.ports, cx.workspace, input.approval_id.as_str()).await?))
    }
}
