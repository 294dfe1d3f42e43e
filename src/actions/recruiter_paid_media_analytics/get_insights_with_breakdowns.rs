//! `recruiter_paid_media_analytics/get_insights_with_breakdowns`: Performance split by a breakdown
//! set the workspace syncs (country, age and gender, placement, device, or hours of the day in
//! the account's zone), at any level, from the mirrored facts. A set that is not synced is
//! refused naming `breakdowns`, with how to turn it on.

use super::{answer, Shape};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read::Level;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A breakdown adgate syncs (`hourly_stats_aggregated_by_advertiser_time_zone`: hours of the
/// day in the account's time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    Country,
    Age,
    Gender,
    PublisherPlatform,
    PlatformPosition,
    DevicePlatform,
    HourlyStatsAggregatedByAdvertiserTimeZone,
}

impl Breakdown {
    pub fn as_str(self) -> &'static str {
        match self {
            Breakdown::Country => "country",
            Breakdown::Age => "age",
            Breakdown::Gender => "gender",
            Breakdown::PublisherPlatform => "publisher_platform",
            Breakdown::PlatformPosition => "platform_position",
            Breakdown::DevicePlatform => "device_platform",
            Breakdown::HourlyStatsAggregatedByAdvertiserTimeZone => crate::sync::insights::HOURLY,
        }
    }
}

crate::insights_input!("Performance split by a synced breakdown set, at any level." {
    /// The breakdown set, as the workspace syncs it (e.g. ["age", "gender"]).
    breakdowns: crate::domain::List<Breakdown, 3>,
    /// The level rows are grouped at (default account).
    level: Option<Level>,
});

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Performance split by a breakdown set the workspace syncs (country, age and gender, placement, device, hours), at any level, from the mirrored facts; a set not synced is refused with how to turn it on.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let wanted: Vec<String> = input.breakdowns.items().iter().map(|b| b.as_str().to_string()).collect();
        let level = input.level.unwrap_or(Level::Account);
        Ok(Change::read(answer(cx, &input.question(), Shape { level, breakdown: Some(("breakdowns", wanted)) }).await?))
    }
}
