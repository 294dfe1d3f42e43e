//! `cross_role_paid_media_pipeline/backfill_missing_attribution`: runs the join again over the
//! applications of a range of days, after mappings or mirrors changed. Each key only takes
//! applications with no join or a weaker one, so a second run moves nothing; the answer says
//! how many moved, from what to which key, and what is still unattributed and why.

use super::days;
use crate::actions::action::{Action, Change, Cx, Meta, Record, RECRUITER_OR_ADMIN};
use crate::domain::Day;
use crate::failure::Failure;
use crate::ports::new_id;
use crate::recruiting::attribution::{self, Scope};
use crate::recruiting::store::{self, LeadPick};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Re-runs the join over the applications of a range of days.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The first day applications applied (UTC).
    pub since: Day,
    /// The last day (at most 1,100 days after `since`).
    pub until: Day,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Runs the join of applications to Meta again over a range of days, after mappings or mirrors changed: idempotent; says how many applications moved from unattributed (or a weaker key) to each key, and what is still unattributed and why.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let (since, until) = days(input.since, input.until)?;
        let run = new_id("attr");
        let now = cx.ports.now_iso();
        let scope = Scope::Days { since: since.clone(), until: until.clone() };
        let mut writes = vec![store::lead_stubs(cx.workspace, LeadPick::Days { since: since.clone(), until: until.clone() }, &now)];
        writes.extend(attribution::passes(cx.workspace, &run, &now, &scope));
        // Run here rather than with the audit row, so the answer counts what moved.
        cx.ports.batch(writes).await?;
        let (mut from_none, mut upgraded) = (Map::new(), Map::new());
        for r in cx.ports.rows(attribution::moved(cx.workspace, &run)).await? {
            let (prior, key, n) = (r["prior"].as_str().unwrap_or("none"), r["join_key"].as_str().unwrap_or_default(), r["n"].as_i64().unwrap_or(0));
            if prior == "none" {
                from_none.insert(key.into(), json!(n));
            } else {
                upgraded.insert(format!("{prior}->{key}"), json!(n));
            }
        }
        let moved: i64 = from_none.values().chain(upgraded.values()).filter_map(Value::as_i64).sum();
        let unattributed = store::unattributed(cx.ports, cx.workspace, &since, &until).await?;
        let record = Record {
            ad_account_id: None,
            external_id: Some(run.clone()),
            before: None,
            after: Some(json!({ "since": since, "until": until, "moved": moved })),
        };
        Ok(Change::done(
            200,
            json!({
                "run_id": run,
                "since": since,
                "until": until,
                "moved": moved,
                "attributed": from_none,
                "upgraded": upgraded,
                "unattributed": unattributed,
            }),
            Vec::new(),
            record,
        ))
    }
}
