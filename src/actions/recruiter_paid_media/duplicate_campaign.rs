//! `recruiter_paid_media/duplicate_campaign`: Copies a campaign's settings into a new PAUSED campaign, in the same or another bound ad account; a copy into another account needs an approval.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Copies a campaign's settings into a new PAUSED campaign, in the same or another bound ad account; a copy into another account needs an approval.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account the source campaign is in.
    pub ad_account_id: AdAccountId,
    /// The campaign to copy.
    pub campaign_id: MetaId,
    /// The bound ad account to copy into (default: the same one).
    pub target_ad_account_id: Option<AdAccountId>,
    /// The copy's name (default: the source's name with " (copy)").
    pub name: Option<Text<400>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Copies a campaign's settings into a new PAUSED campaign, in the same or another bound ad account; a copy into another account needs an approval.");
}
