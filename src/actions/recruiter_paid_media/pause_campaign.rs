//! `recruiter_paid_media/pause_campaign`: Pauses a campaign on Meta.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};

pub type Input = super::CampaignRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Pauses a campaign on Meta.");
}
