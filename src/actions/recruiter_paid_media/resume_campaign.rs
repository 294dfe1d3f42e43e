//! `recruiter_paid_media/resume_campaign`: Sets a campaign ACTIVE (a launch): held to the campaign guardrails; the first launch on an ad account needs an approval.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};

pub type Input = super::CampaignRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Sets a campaign ACTIVE (a launch): held to the campaign guardrails; the first launch on an ad account needs an approval.");
}
