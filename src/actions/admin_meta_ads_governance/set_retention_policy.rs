//! `admin_meta_ads_governance/set_retention_policy`: How many days each kind of data is kept in
//! this workspace. The daily tick purges what is older, in bounded batches, and records each
//! purge. Audit rows keep their own, longer floor (a year). Rows several workspaces share
//! (webhook events, dead letters) are kept for the longest window any workspace sets. Unset
//! fields keep their current values.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::domain::Bounded;
use crate::failure::Failure;
use crate::ops::retention;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Days to keep each kind of data (at least one).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Daily facts with breakdowns (age, gender, region, placement...) (default 400).
    pub insights_breakdowns: Option<Bounded<30, 1_100>>,
    /// Hourly facts (default 90).
    pub insights_hourly: Option<Bounded<7, 1_100>>,
    /// What Meta answered: errors, throttling, usage and mutations (default 90).
    pub meta_api_events: Option<Bounded<7, 730>>,
    /// Finished sync runs (default 90).
    pub sync_runs: Option<Bounded<7, 730>>,
    /// Hourly telemetry rollups (default 35; the all-time totals stay).
    pub telemetry_rollups: Option<Bounded<7, 400>>,
    /// Webhook notifications as received, shared (default 30).
    pub webhook_events: Option<Bounded<1, 365>>,
    /// Dead letters, shared (default 30).
    pub dead_letters: Option<Bounded<7, 365>>,
    /// Audit rows (default 2555, about 7 years; at least a year).
    pub audit_log: Option<Bounded<365, 3_650>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Sets how many days each kind of data is kept (breakdown and hourly facts, Meta API events, sync runs, telemetry, webhook events, dead letters, audit rows); the daily tick purges older rows in bounded, recorded batches.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let given = super::given_fields(input)?;
        let before = retention::stored(cx.ports, cx.workspace).await?;
        let now = cx.ports.now_iso();
        let mut after = before.clone();
        let mut writes = Vec::new();
        for (kind, days) in given.as_object().into_iter().flatten() {
            let days = days.as_i64().unwrap_or_default();
            writes.push(retention::upsert(cx.workspace, kind, days, &cx.exec.actor, &now));
            after.retain(|(k, _)| k != kind);
            after.push((kind.clone(), days));
        }
        let (before, after) = (retention::describe(&before), retention::describe(&after));
        let record = Record { external_id: Some("policy:retention".into()), before: Some(before), after: Some(after.clone()), ..Record::default() };
        Ok(Change::done(200, json!({ "workspace_id": cx.workspace, "retention": after, "updated_at": now }), writes, record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_input_names_every_kind_with_its_bounds() {
        let schema = crate::actions::action::input_schema::<Act>();
        let props = schema["properties"].as_object().unwrap();
        assert_eq!(props.len(), retention::KINDS.len());
        for k in retention::KINDS {
            let p = serde_json::to_string(&props[k.name]).unwrap();
            assert!(p.contains(&format!("\"minimum\":{}", k.min_days)) && p.contains(&format!("\"maximum\":{}", k.max_days)), "{}: {p}", k.name);
        }
    }
}
