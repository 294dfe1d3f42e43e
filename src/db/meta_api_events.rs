//! `meta_api_events`: what Meta answered (errors, throttling, usage headers), read back as the
//! error digest and the rate-limit posture.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde_json::{json, Value};

/// Errors and throttling grouped by Graph code, subcode and class since `since`.
pub async fn error_digest(ports: &dyn Ports, ws: &str, since: &str) -> Result<Value, Failure> {
    let rows: Vec<Value> = super::all(
        ports,
        Query::new(
            "SELECT kind, graph_code, graph_subcode, error_class, COUNT(*) AS count, MAX(occurred_at) AS last_seen, \
             (SELECT m2.message FROM meta_api_events m2 WHERE m2.workspace_id = m.workspace_id AND m2.kind = m.kind \
                AND m2.graph_code IS m.graph_code AND m2.graph_subcode IS m.graph_subcode ORDER BY m2.occurred_at DESC LIMIT 1) AS last_message, \
             (SELECT m3.fbtrace_id FROM meta_api_events m3 WHERE m3.workspace_id = m.workspace_id AND m3.kind = m.kind \
                AND m3.graph_code IS m.graph_code AND m3.graph_subcode IS m.graph_subcode ORDER BY m3.occurred_at DESC LIMIT 1) AS last_fbtrace_id \
             FROM meta_api_events m WHERE workspace_id = ?1 AND kind IN ('error', 'throttle') AND occurred_at >= ?2 \
             GROUP BY kind, graph_code, graph_subcode, error_class ORDER BY count DESC, last_seen DESC",
            binds![ws, since],
        ),
    )
    .await?;
    let total: i64 = rows.iter().map(|r| r["count"].as_i64().unwrap_or(0)).sum();
    Ok(json!({ "since": since, "total": total, "groups": rows }))
}

/// The latest usage per ad account (and for calls with no account), with throttling counts.
pub async fn rate_limit_posture(ports: &dyn Ports, ws: &str, since: &str) -> Result<Value, Failure> {
    let rows: Vec<Value> = super::all(
        ports,
        Query::new(
            "SELECT u.ad_account_id, u.max_usage_pct, u.usage_json, u.occurred_at AS observed_at, \
             (SELECT COUNT(*) FROM meta_api_events t WHERE t.workspace_id = u.workspace_id AND t.kind = 'throttle' \
                AND t.ad_account_id IS u.ad_account_id AND t.occurred_at >= ?2) AS throttled_since \
             FROM meta_api_events u WHERE u.workspace_id = ?1 AND u.kind = 'usage' AND u.occurred_at = \
               (SELECT MAX(x.occurred_at) FROM meta_api_events x WHERE x.workspace_id = u.workspace_id AND x.kind = 'usage' AND x.ad_account_id IS u.ad_account_id) \
             GROUP BY u.ad_account_id ORDER BY u.max_usage_pct DESC",
            binds![ws, since],
        ),
    )
    .await?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|mut r| {
            r["usage"] = super::parsed(r["usage_json"].as_str());
            r.as_object_mut().map(|o| o.remove("usage_json"));
            r
        })
        .collect();
    Ok(json!({ "since": since, "accounts": data }))
}
