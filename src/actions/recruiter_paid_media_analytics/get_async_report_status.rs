//! `recruiter_paid_media_analytics/get_async_report_status`: Where a report is: queued, running,
//! succeeded (with its rows, bytes and SHA-256) or failed (with why), and its schedule.

use super::bad;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::reports::{self, Job};
use crate::domain::Text;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The report to look at.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `create_async_report_job`'s `report_id`.
    pub report_id: Text<64>,
}

/// A report of this workspace, or a refusal naming `field`.
pub async fn of_workspace(cx: &Cx<'_>, field: &str, id: &str) -> Result<Job, Failure> {
    reports::get(cx.ports, cx.workspace, id).await?.ok_or_else(|| bad(field, "is not a report of this workspace"))
}

/// A report's state as actions answer it.
pub fn describe(job: &Job) -> Value {
    let spec: Value = serde_json::from_str(&job.spec_json).unwrap_or(Value::Null);
    json!({
        "report_id": job.id, "status": job.status, "ad_account_id": format!("act_{}", job.ad_account_id),
        "level": spec["level"], "since": spec["since"], "until": spec["until"], "by_day": spec["by_day"], "breakdowns": spec["breakdowns"],
        "metrics": spec["metrics"], "attribution_window": spec["window"], "schedule_id": job.schedule_id,
        "rows": job.row_count, "bytes": job.byte_count, "sha256": job.sha256, "attempts": job.attempts, "error": job.error,
        "created_by": job.created_by, "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
        "worker_memory_bytes": job.peak_memory_bytes,
    })
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Where a report is: queued, running, succeeded (rows, bytes, SHA-256) or failed (why), and its schedule.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let job = of_workspace(cx, "report_id", input.report_id.as_str()).await?;
        let mut body = describe(&job);
        body["next"] = json!(match job.status.as_str() {
            "succeeded" => "download_report gives a signed link to the CSV",
            "failed" => "create the report again; the error says why this run failed",
            _ => "poll again in a few seconds",
        });
        Ok(Change::read(body))
    }
}
