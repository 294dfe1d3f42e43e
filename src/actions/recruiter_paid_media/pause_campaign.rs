//! `recruiter_paid_media/pause_campaign`: Pauses a campaign on Meta.

use super::{read_object, set_status, Found};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::db::{ad_accounts, meta_objects::Mirror};
use crate::failure::Failure;

pub type Input = super::CampaignRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Pauses a campaign on Meta.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let object = read_object(cx, &account, "campaign_id", &input.campaign_id, Mirror::Campaigns).await?;
        Ok(Plan::go(Found { account, object, target: None }))
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, found: Found) -> Result<Change, Failure> {
        set_status(cx, found, "PAUSED").await
    }
}
