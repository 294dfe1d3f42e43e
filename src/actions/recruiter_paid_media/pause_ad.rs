//! `recruiter_paid_media/pause_ad`: Pauses an ad on Meta.

use super::{find, set_status, Found};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;

pub type Input = super::AdRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Pauses an ad on Meta.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        Ok(Plan::go(find(cx, &input.ad_account_id, "ad_id", &input.ad_id, ObjectKind::Ad).await?))
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, found: Found) -> Result<Change, Failure> {
        set_status(cx, found, ObjectKind::Ad, "PAUSED").await
    }
}
