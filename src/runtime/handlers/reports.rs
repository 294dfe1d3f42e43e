//! `GET /v1/reports/download/{link}`: a report's CSV, streamed from the REPORTS bucket. The link
//! (from `download_report`, or a scheduled report's notification) is the credential: the report,
//! its workspace and an expiry under the gateway's signature. A link altered, expired or for a
//! report that is gone is refused without saying which.

use crate::actions::recruiter_paid_media_analytics::download_report::LINK_PURPOSE;
use crate::db::reports;
use crate::problem::Problem;
use crate::runtime::context::{HandlerResult, RequestContext};
use crate::runtime::d1::now_millis;

fn refused() -> Problem {
    Problem::new(
        "link-invalid",
        "Link Invalid",
        404,
        "this download link is not valid (altered, expired, or its report is gone); ask download_report for a new one",
    )
}

pub async fn download(ctx: &RequestContext, link: &str) -> HandlerResult {
    let ports: &dyn crate::ports::Ports = &ctx.services;
    let Some(claims) = ports.open(LINK_PURPOSE, link)? else { return Err(refused().into()) };
    let (Some(report), Some(ws), Some(expires)) = (claims["r"].as_str(), claims["w"].as_str(), claims["e"].as_i64()) else { return Err(refused().into()) };
    if expires <= now_millis() {
        return Err(refused().into());
    }
    let Some(job) = reports::get(&ctx.services, ws, report).await? else { return Err(refused().into()) };
    let (Some(key), "succeeded") = (job.object_key.as_deref(), job.status.as_str()) else { return Err(refused().into()) };
    let Some(object) = ctx.env.bucket("REPORTS")?.get(key).execute().await? else { return Err(refused().into()) };
    let size = object.size();
    let Some(body) = object.body() else { return Err(refused().into()) };
    let mut resp = worker::Response::from_body(body.response_body()?)?;
    let h = resp.headers_mut();
    h.set("Content-Type", "text/csv; charset=utf-8")?;
    h.set("Content-Disposition", &format!("attachment; filename=\"{}.csv\"", job.id))?;
    h.set("Content-Length", &size.to_string())?;
    h.set("Cache-Control", "private, no-store")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    h.set("Referrer-Policy", "no-referrer")?;
    if let Some(sha) = &job.sha256 {
        h.set("X-Adgate-Sha256", sha)?;
    }
    Ok(resp)
}
