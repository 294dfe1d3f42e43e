//! `admin_meta_ads_governance/set_optimization_settings`: What every optimisation is held to:
//! how fresh its data must be, how long an object rests between changes, and how many object
//! changes the workspace makes in any 24 hours. Unset fields keep their current values.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::db::optimizations::{self, Settings};
use crate::domain::Bounded;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The optimisation settings to change (at least one).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Insights must have been synced within this many minutes (default 360).
    pub freshness_max_minutes: Option<Bounded<15, 10_080>>,
    /// An object rests this many minutes after an optimisation changed it (default 720).
    pub cooldown_minutes: Option<Bounded<0, 10_080>>,
    /// At most this many object changes in any 24 hours (default 20).
    pub daily_change_cap: Option<Bounded<1, 1_000>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Sets what optimisations are held to: data freshness, the cooldown between changes to one object, and the daily cap on changes.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::given_fields(input)?;
        let before = optimizations::settings(cx.ports, cx.workspace).await?;
        let after = Settings {
            freshness_max_minutes: input.freshness_max_minutes.map_or(before.freshness_max_minutes, |b| b.get()),
            cooldown_minutes: input.cooldown_minutes.map_or(before.cooldown_minutes, |b| b.get()),
            daily_change_cap: input.daily_change_cap.map_or(before.daily_change_cap, |b| b.get()),
        };
        let now = cx.ports.now_iso();
        let write = optimizations::upsert_settings(cx.workspace, &after, &cx.exec.actor, &now);
        let record =
            Record { external_id: Some("policy:optimization_settings".into()), before: Some(json!(before)), after: Some(json!(after)), ..Record::default() };
        Ok(Change::done(200, json!({ "workspace_id": cx.workspace, "settings": after, "updated_at": now }), vec![write], record))
    }
}
