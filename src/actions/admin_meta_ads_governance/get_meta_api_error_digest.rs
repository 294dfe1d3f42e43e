//! `admin_meta_ads_governance/get_meta_api_error_digest`: Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::db::meta_api_events;
use crate::failure::Failure;

pub type Input = super::SinceHours;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let since = input.since(cx.ports.now_millis());
        Ok(Change::read(meta_api_events::error_digest(cx.ports, cx.workspace, &since).await?))
    }
}
