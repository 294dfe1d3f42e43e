//! `admin_meta_ads_governance/get_meta_api_error_digest`: Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id; the API version's end of life and the schema drift seen.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::db::{api_versions, meta_api_events};

/// Drift events listed in the digest (all are counted).
const DRIFT_EVENTS: i64 = 20;
use crate::failure::Failure;

pub type Input = super::SinceHours;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id; the API version's end of life and the schema drift seen.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let now = cx.ports.now_millis();
        let since = input.since(now);
        let mut digest = meta_api_events::error_digest(cx.ports, cx.workspace, &since).await?;
        // What changed in Meta's answers, and the version's end of life, belong beside its errors.
        digest["api_version"] = api_versions::standing(cx.ports, cx.workspace).await?.2;
        digest["schema_drift"] = api_versions::drift(cx.ports, cx.workspace, &since, DRIFT_EVENTS).await?;
        Ok(Change::read(digest))
    }
}
