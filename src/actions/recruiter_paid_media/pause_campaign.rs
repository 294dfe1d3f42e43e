//! `recruiter_paid_media/pause_campaign`: Pauses a campaign on Meta.

use super::{find_campaign, set_status, Found};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;

pub type Input = super::CampaignRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Pauses a campaign on Meta.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        Ok(Plan::go(find_campaign(cx, &input.ad_account_id, &input.campaign_id).await?))
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, found: Found) -> Result<Change, Failure> {
        set_status(cx, found, ObjectKind::Campaign, "PAUSED").await
    }
}
