//! `admin_meta_ads_governance/get_approval_status`: where an approval stands, so the person or
//! agent that asked for a held change can follow it.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};
use crate::domain::Text;
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
    const META: Meta = crate::action_meta!(
        roles: RECRUITER_OR_ADMIN,
        tier: Read,
        summary: "Where an approval stands (pending, approved, rejected, expired, executed or failed), with its reasons, who decided it and the result."
    );
}
