//! `admin_meta_ads_governance/get_api_version_status`: The Graph API version the workspace's calls use, where it stands in Meta's calendar (end of life, the 90-day warning), the schema drift its calls have seen, and its upgrade plans.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::db::api_versions;
use crate::failure::Failure;
use serde_json::json;

pub type Input = super::SinceHours;

pub struct Act;

/// Drift events listed at most (their counts by kind cover all of them).
const EVENTS_MAX: i64 = 200;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "The Graph API version the workspace's calls use, where it stands in Meta's calendar (end of life, the 90-day warning), the schema drift its calls have seen, and its upgrade plans.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let now = cx.ports.now_millis();
        let since = input.since(now);
        let (version, pinned, calendar) = api_versions::standing(cx.ports, cx.workspace).await?;
        Ok(Change::read(json!({
            "api_version": version,
            "pinned": pinned,
            "default": cx.ports.deployment().meta_api_version,
            "calendar": calendar,
            "drift": api_versions::drift(cx.ports, cx.workspace, &since, EVENTS_MAX).await?,
            "upgrade_plans": api_versions::recent_plans(cx.ports, cx.workspace, 10).await?,
        })))
    }
}
