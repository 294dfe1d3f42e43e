//! `recruiter_paid_media/pause_campaign`: Pauses a campaign on Meta.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Pauses a campaign on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta campaign id.
    pub campaign_id: MetaId,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Pauses a campaign on Meta.");
}
