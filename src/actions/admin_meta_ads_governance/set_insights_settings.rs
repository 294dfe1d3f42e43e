//! `admin_meta_ads_governance/set_insights_settings`: What insights sync keeps: breakdown sets (checked against what Graph accepts), attribution windows, the backfill on bind and the fresh window re-fetched every tick.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::{Bounded, TextList};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What insights sync keeps: breakdown sets (checked against what Graph accepts), attribution windows, the backfill on bind and the fresh window re-fetched every tick.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Breakdown sets, each comma-separated: country; age,gender; publisher_platform,platform_position; device_platform; hourly_stats_aggregated_by_advertiser_time_zone.
    pub breakdown_sets: Option<TextList>,
    /// Windows kept besides default: 1d_click, 7d_click, 28d_click, 1d_view.
    pub attribution_windows: Option<TextList>,
    /// Days fetched when an account is bound (default 7).
    pub backfill_days: Option<Bounded<1, { crate::sync::insights::MAX_BACKFILL_DAYS }>>,
    /// Days re-fetched on every tick so late conversions are corrected (default 7).
    pub attribution_window_days: Option<Bounded<1, 28>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "What insights sync keeps: breakdown sets (checked against what Graph accepts), attribution windows, the backfill on bind and the fresh window re-fetched every tick.");
}
