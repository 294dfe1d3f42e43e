//! `recruiter_paid_media_analytics/get_placement_performance`: Performance by placement
//! (`publisher_platform` and `platform_position`: Facebook feed, Instagram stories, ...) at any
//! level, from the mirrored facts; needs that breakdown set synced.

use super::{answer, Shape};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read::Level;
use crate::failure::Failure;

crate::insights_input!("Performance by placement (publisher platform and position)." {
    /// The level rows are grouped at (default account).
    level: Option<Level>,
});

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Performance by placement (publisher_platform and platform_position) at any level from the mirrored facts; needs that breakdown set synced.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let placement = vec!["publisher_platform".to_string(), "platform_position".to_string()];
        let level = input.level.unwrap_or(Level::Account);
        Ok(Change::read(answer(cx, &input.question(), Shape { level, breakdown: Some(("ad_account_id", placement)) }).await?))
    }
}
