//! `recruiter_paid_media/delete_campaign`: Deletes a campaign on Meta; always needs an approval, since it cannot be undone.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};

pub type Input = super::CampaignRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Deletes a campaign on Meta; always needs an approval, since it cannot be undone.", destructive: true);
}
