//! `admin_meta_ads_governance/get_rate_limit_posture`: The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::db::meta_api_events;
use crate::failure::Failure;

pub type Input = super::SinceHours;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let since = input.since(cx.ports.now_millis());
        Ok(Change::read(meta_api_events::rate_limit_posture(cx.ports, cx.workspace, &since).await?))
    }
}
