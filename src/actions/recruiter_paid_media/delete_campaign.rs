//! `recruiter_paid_media/delete_campaign`: Deletes a campaign on Meta; always needs an approval, since it cannot be undone.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Deletes a campaign on Meta; always needs an approval, since it cannot be undone.
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
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Deletes a campaign on Meta; always needs an approval, since it cannot be undone.", destructive: true);
}
