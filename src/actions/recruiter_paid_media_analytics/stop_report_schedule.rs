//! `recruiter_paid_media_analytics/stop_report_schedule`: Stops a repeating report; runs already
//! made stay downloadable.

use super::bad;
use crate::actions::action::{Action, Change, Cx, Meta, Record, RECRUITER_OR_ADMIN};
use crate::db::reports;
use crate::domain::Text;
use crate::failure::Failure;
use crate::problem::Problem;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The schedule to stop.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `create_async_report_job`'s `schedule.id`.
    pub schedule_id: Text<64>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta =
        crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Stops a repeating report; the runs already made stay downloadable.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let id = input.schedule_id.as_str();
        let s = reports::schedule(cx.ports, cx.workspace, id).await?.ok_or_else(|| bad("schedule_id", "is not a report schedule of this workspace"))?;
        if s.status != "active" {
            return Err(Problem::conflict(format!("schedule {id} is already {}", s.status)).into());
        }
        let now = cx.ports.now_iso();
        let record = Record {
            ad_account_id: Some(s.ad_account_id.clone()),
            external_id: Some(id.to_string()),
            before: Some(json!({ "status": s.status, "every": s.every, "next_run_at": s.next_run_at })),
            after: Some(json!({ "status": "stopped" })),
        };
        Ok(Change::done(
            200,
            json!({ "schedule_id": id, "status": "stopped", "last_report_id": s.last_job_id, "stopped_at": now }),
            vec![reports::stop_schedule(cx.workspace, id, &now)],
            record,
        ))
    }
}
