//! `admin_meta_ads_governance/set_insights_settings`: What insights sync keeps: breakdown sets (checked against what Graph accepts), attribution windows, the backfill on bind and the fresh window re-fetched every tick.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, ADMIN};
use crate::db::{self, insights_settings};
use crate::domain::{Bounded, TextList};
use crate::failure::Failure;
use crate::records::FieldError;
use crate::sync::insights as ins;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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

impl Input {
    /// Each breakdown set as its list of breakdowns.
    fn sets(&self) -> Option<Vec<Vec<String>>> {
        let split = |s: &String| s.split(',').map(|b| b.trim().to_string()).filter(|b| !b.is_empty()).collect();
        self.breakdown_sets.as_ref().map(|l| l.items().iter().map(split).collect())
    }
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "What insights sync keeps: breakdown sets (checked against what Graph accepts), attribution windows, the backfill on bind and the fresh window re-fetched every tick.");

    /// Breakdown sets Graph would refuse, and unknown windows, are refused here by name.
    async fn prepare(_cx: &Cx<'_>, input: &Input) -> Result<Plan<()>, Failure> {
        for set in input.sets().iter().flatten() {
            ins::check_breakdown_set(set).map_err(|reason| FieldError { field: "breakdown_sets".into(), reason })?;
        }
        let windows = input.attribution_windows.as_ref().map(|l| l.items()).unwrap_or_default();
        if let Some(bad) = windows.iter().find(|w| !ins::ATTRIBUTION_WINDOWS.contains(&w.as_str())) {
            let reason = format!("{} is not one of {}", crate::problem::excerpt(bad), ins::ATTRIBUTION_WINDOWS.join(", "));
            return Err(FieldError { field: "attribution_windows".into(), reason }.into());
        }
        if input.breakdown_sets.is_none() && input.attribution_windows.is_none() && input.backfill_days.is_none() && input.attribution_window_days.is_none() {
            return Err(FieldError { field: "input".into(), reason: "set at least one field".into() }.into());
        }
        Ok(Plan::go(()))
    }

    /// Unset fields keep their stored values.
    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let before = insights_settings::get(cx.ports, cx.workspace).await?;
        let stored = |k: &str| before.as_ref().map(|b| b[k].clone()).filter(|v| !v.is_null());
        let stored_list = |k: &str| stored(k).map(|v| db::parsed(v.as_str())).filter(Value::is_array).unwrap_or(json!([]));
        let after = json!({
            "breakdown_sets": input.sets().map(|s| json!(s)).unwrap_or_else(|| stored_list("breakdown_sets_json")),
            "attribution_windows": input.attribution_windows.as_ref().map(|w| json!(w.items())).unwrap_or_else(|| stored_list("attribution_windows_json")),
            "backfill_days": input.backfill_days.map(|b| json!(b.get())).or_else(|| stored("backfill_days")).unwrap_or(json!(ins::DEFAULT_BACKFILL_DAYS)),
            "attribution_window_days": input.attribution_window_days.map(|d| json!(d.get())).or_else(|| stored("attribution_window_days")).unwrap_or(json!(ins::DEFAULT_ATTRIBUTION_WINDOW_DAYS)),
        });
        let now = cx.ports.now_iso();
        let write = insights_settings::upsert(
            cx.workspace,
            &after["breakdown_sets"],
            &after["attribution_windows"],
            after["backfill_days"].as_i64().unwrap_or(ins::DEFAULT_BACKFILL_DAYS),
            after["attribution_window_days"].as_i64().unwrap_or(ins::DEFAULT_ATTRIBUTION_WINDOW_DAYS),
            &now,
        );
        let record = Record { external_id: Some("insights_settings".into()), before, after: Some(after.clone()), ..Record::default() };
        Ok(Change::done(200, json!({ "workspace_id": cx.workspace, "insights_settings": after, "updated_at": now }), vec![write], record))
    }
}
