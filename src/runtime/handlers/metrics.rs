//! `GET /metrics`: every workspace's telemetry in the OpenMetrics text format, for the
//! operator's scraper. It takes the scrape key (`ADGATE_METRICS_KEY`, read-only by design, so
//! a monitoring stack never holds an admin key) or the bootstrap key; workspace keys get 403.

use crate::api_keys::Need;
use crate::auth;
use crate::ports::{Ports, Query};
use crate::problem::Problem;
use crate::runtime::context::{HandlerError, HandlerResult, RequestContext};
use crate::telemetry::openmetrics::{self, Row};
use worker::{Request, Response};

/// All-time rows served per scrape at most (a runaway label set cannot make a scrape unbounded).
const MAX_ROWS: usize = 50_000;

pub async fn scrape(req: &Request, ctx: &RequestContext) -> HandlerResult {
    let header = req.headers().get("Authorization").ok().flatten();
    let presented = auth::bearer_token(header.as_deref()).ok_or_else(|| HandlerError::from(Problem::unauthorized()))?;
    let scrape_key = ctx.var("ADGATE_METRICS_KEY").filter(|k| k.len() >= auth::MIN_KEY_LEN);
    if !scrape_key.is_some_and(|k| auth::key_matches(presented, &k)) {
        let principal = super::authenticate(req, ctx).await?;
        crate::api_keys::authorize(&principal, Need::Bootstrap)
            .map_err(|_| HandlerError::from(Problem::forbidden("/metrics takes the scrape key or the bootstrap key")))?;
    }
    let ports: &dyn Ports = &ctx.services;
    let rows = ports
        .rows(Query::new(
            format!("SELECT workspace_id, ad_account_id, metric, labels, count, sum, max FROM ops_rollups WHERE bucket = '' ORDER BY metric, workspace_id, ad_account_id, labels LIMIT {MAX_ROWS}"),
            vec![],
        ))
        .await?;
    let rows: Vec<Row> = rows.into_iter().filter_map(|r| serde_json::from_value(r).ok()).collect();
    let mut gauges = crate::ops::digest::gauges(ports, None).await?;
    if let Some(bytes) = crate::telemetry::instance_memory_bytes() {
        let help = crate::telemetry::INSTANCE_MEMORY_HELP;
        gauges.push(openmetrics::Gauge { name: "adgate_instance_memory_bytes", help, samples: vec![(String::new(), bytes as f64)] });
    }
    let body = openmetrics::render(&rows, &gauges);
    let mut resp = Response::ok(body)?;
    resp.headers_mut().set("Content-Type", openmetrics::CONTENT_TYPE)?;
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}
