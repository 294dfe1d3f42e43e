//! `recruiter_paid_media_analytics/download_report`: A signed link to a finished report's CSV,
//! valid for a few minutes (15 by default, at most a day). The link carries no key: it names the
//! report, its workspace and its expiry under the gateway's signature, and the CSV streams from
//! the reports bucket.

use super::get_async_report_status::of_workspace;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::domain::{Bounded, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What `seal` signs a download link for.
pub const LINK_PURPOSE: &str = "report-download";
/// Where a signed link is served.
pub const LINK_PREFIX: &str = "/v1/reports/download/";

/// The report to download.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `create_async_report_job`'s `report_id`.
    pub report_id: Text<64>,
    /// Minutes the link works, 1 to 1,440 (default 15).
    pub expires_in_minutes: Option<Bounded<1, 1_440>>,
}

/// A signed path to a report's CSV and when it stops working (ms).
pub fn signed_path(ports: &dyn crate::ports::Ports, ws: &str, report: &str, expires_ms: i64) -> Result<String, Failure> {
    Ok(format!("{LINK_PREFIX}{}", ports.seal(LINK_PURPOSE, &json!({ "r": report, "w": ws, "e": expires_ms }))?))
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta =
        crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "A signed link, valid for minutes, that streams a finished report's CSV.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let job = of_workspace(cx, "report_id", input.report_id.as_str()).await?;
        if job.status != "succeeded" {
            return Err(Problem::conflict(format!("report {} is {}; poll get_async_report_status until it has succeeded", job.id, job.status)).into());
        }
        let minutes = input.expires_in_minutes.map_or(15, |m| m.get());
        let expires_ms = cx.ports.now_millis() + minutes * 60_000;
        let path = signed_path(cx.ports, cx.workspace, &job.id, expires_ms)?;
        let url = cx.ports.deployment().public_url.map(|base| format!("{base}{path}"));
        Ok(Change::read(json!({
            "report_id": job.id, "path": path, "url": url, "expires_at": crate::timefmt::iso_from_millis(expires_ms),
            "content_type": "text/csv; charset=utf-8", "rows": job.row_count, "bytes": job.byte_count, "sha256": job.sha256,
        })))
    }
}
