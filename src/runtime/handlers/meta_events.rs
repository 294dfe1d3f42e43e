//! Records what Meta answered (errors with their Graph details, throttling, usage headers) in
//! `meta_api_events`, and reads the error digest and the rate-limit posture back. Recording never
//! fails the request it describes.

use super::meta::graph_problem;
use crate::graph::{ErrorClass, GraphClient, GraphFailure, QuotaSnapshot};
use crate::runtime::context::{HandlerError, RequestContext};
use crate::runtime::d1::{new_id, now_iso, opt_text, text};
use crate::runtime::graph_fetch::{WorkerFetch, WorkerSleep};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::console_warn;

pub type Client = GraphClient<WorkerFetch, WorkerSleep>;

/// Where a call came from, for the event row.
pub struct Scope<'a> {
    pub workspace_id: &'a str,
    pub integration_id: Option<&'a str>,
    pub ad_account_id: Option<&'a str>,
}

async fn insert(ctx: &RequestContext, scope: &Scope<'_>, kind: &str, endpoint: &str, fields: [JsValue; 7]) {
    let now = now_iso();
    let [code, subcode, class, trace, message, usage, max_pct] = fields;
    let result = async {
        ctx.env
            .d1("DB")?
            .prepare(
                "INSERT INTO meta_api_events (id, workspace_id, integration_id, ad_account_id, kind, endpoint, graph_code, graph_subcode, \
                 error_class, fbtrace_id, message, usage_json, max_usage_pct, occurred_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?14)",
            )
            .bind(&[
                text(&new_id("mev")),
                text(scope.workspace_id),
                opt_text(scope.integration_id),
                opt_text(scope.ad_account_id),
                text(kind),
                text(endpoint),
                code,
                subcode,
                class,
                trace,
                message,
                usage,
                max_pct,
                text(&now),
            ])?
            .run()
            .await
    }
    .await;
    if let Err(e) = result {
        console_warn!("could not record a Meta API event: {e}");
    }
}

pub async fn record_usage(ctx: &RequestContext, scope: &Scope<'_>, endpoint: &str, quota: Option<&QuotaSnapshot>) {
    let Some(q) = quota else { return };
    let usage = serde_json::to_string(q).unwrap_or_default();
    let n = JsValue::NULL;
    insert(ctx, scope, "usage", endpoint, [n.clone(), n.clone(), n.clone(), n.clone(), n, text(&usage), JsValue::from_f64(q.max_pct())]).await;
}

pub async fn record_failure(ctx: &RequestContext, scope: &Scope<'_>, endpoint: &str, failure: &GraphFailure) {
    let kind = if failure.class() == ErrorClass::Throttled { "throttle" } else { "error" };
    let class = format!("{:?}", failure.class()).to_lowercase();
    let (code, subcode, trace, message) = match failure.graph_error() {
        Some(e) => (
            JsValue::from_f64(e.code as f64),
            e.subcode.map(|s| JsValue::from_f64(s as f64)).unwrap_or(JsValue::NULL),
            opt_text(e.fbtrace_id.as_deref()),
            text(&e.message),
        ),
        None => (JsValue::NULL, JsValue::NULL, JsValue::NULL, text(&failure.to_string())),
    };
    insert(ctx, scope, kind, endpoint, [code, subcode, text(&class), trace, message, JsValue::NULL, JsValue::NULL]).await;
}

/// One call through the client, recorded either way; failures become problems. A call for an
/// ad account first passes the account's gate, and tells it afterwards what Meta said.
pub async fn call(
    ctx: &RequestContext,
    scope: &Scope<'_>,
    client: &Client,
    method: &str,
    path: &str,
    params: &[(String, String)],
) -> Result<Value, HandlerError> {
    call_admitted_by(ctx, scope, client, method, path, params, scope.ad_account_id).await
}

/// `call`, admitted by the gate named `admit_on` (none: no admission) instead of the account's;
/// what Meta says is still recorded against the account and reported to its gate.
pub async fn call_admitted_by(
    ctx: &RequestContext,
    scope: &Scope<'_>,
    client: &Client,
    method: &str,
    path: &str,
    params: &[(String, String)],
    admit_on: Option<&str>,
) -> Result<Value, HandlerError> {
    if let Some(gate) = admit_on {
        super::gate::admit_graph_call(&ctx.env, gate).await?;
    }
    let result = client.call(method, path, params).await;
    if let Some(account) = scope.ad_account_id {
        let (usage, regain) = match &result {
            Ok((_, meta)) => (meta.quota.as_ref().map(QuotaSnapshot::max_pct), None),
            Err(f) if f.class() == ErrorClass::Throttled => (None, Some(f.graph_error().and_then(|e| e.regain_access_minutes).unwrap_or(1))),
            Err(_) => (None, None),
        };
        super::gate::report_graph_call(&ctx.env, account, usage, regain).await;
    }
    match result {
        Ok((body, meta)) => {
            record_usage(ctx, scope, path, meta.quota.as_ref()).await;
            Ok(body)
        }
        Err(f) => {
            record_failure(ctx, scope, path, &f).await;
            Err(graph_problem(&f).into())
        }
    }
}

/// Every page of an edge, recorded (usage once, from the last page); returns the rows and calls.
pub async fn all_pages(
    ctx: &RequestContext,
    scope: &Scope<'_>,
    client: &Client,
    path: &str,
    params: &[(String, String)],
) -> Result<(Vec<Value>, u32), HandlerError> {
    let mut pager = client.pages(path, params);
    match pager.collect_all().await {
        Ok(rows) => {
            record_usage(ctx, scope, path, pager.last_quota.as_ref()).await;
            Ok((rows, pager.calls))
        }
        Err(f) => {
            record_failure(ctx, scope, path, &f).await;
            Err(graph_problem(&f).into())
        }
    }
}

/// Errors and throttling grouped by Graph code, subcode and class since `since`.
pub async fn error_digest(ctx: &RequestContext, workspace_id: &str, since: &str) -> Result<Value, HandlerError> {
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(
            "SELECT kind, graph_code, graph_subcode, error_class, COUNT(*) AS count, MAX(occurred_at) AS last_seen, \
             (SELECT m2.message FROM meta_api_events m2 WHERE m2.workspace_id = m.workspace_id AND m2.kind = m.kind \
                AND m2.graph_code IS m.graph_code AND m2.graph_subcode IS m.graph_subcode ORDER BY m2.occurred_at DESC LIMIT 1) AS last_message, \
             (SELECT m3.fbtrace_id FROM meta_api_events m3 WHERE m3.workspace_id = m.workspace_id AND m3.kind = m.kind \
                AND m3.graph_code IS m.graph_code AND m3.graph_subcode IS m.graph_subcode ORDER BY m3.occurred_at DESC LIMIT 1) AS last_fbtrace_id \
             FROM meta_api_events m WHERE workspace_id = ?1 AND kind IN ('error', 'throttle') AND occurred_at >= ?2 \
             GROUP BY kind, graph_code, graph_subcode, error_class ORDER BY count DESC, last_seen DESC",
        )
        .bind(&[text(workspace_id), text(since)])?
        .all()
        .await?
        .results::<Value>()?;
    let total: i64 = rows.iter().map(|r| r["count"].as_i64().unwrap_or(0)).sum();
    Ok(json!({ "since": since, "total": total, "groups": rows }))
}

/// The latest usage per ad account (and for calls with no account), with throttling counts.
pub async fn rate_limit_posture(ctx: &RequestContext, workspace_id: &str, since: &str) -> Result<Value, HandlerError> {
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(
            "SELECT u.ad_account_id, u.max_usage_pct, u.usage_json, u.occurred_at AS observed_at, \
             (SELECT COUNT(*) FROM meta_api_events t WHERE t.workspace_id = u.workspace_id AND t.kind = 'throttle' \
                AND t.ad_account_id IS u.ad_account_id AND t.occurred_at >= ?2) AS throttled_since \
             FROM meta_api_events u WHERE u.workspace_id = ?1 AND u.kind = 'usage' AND u.occurred_at = \
               (SELECT MAX(x.occurred_at) FROM meta_api_events x WHERE x.workspace_id = u.workspace_id AND x.kind = 'usage' AND x.ad_account_id IS u.ad_account_id) \
             GROUP BY u.ad_account_id ORDER BY u.max_usage_pct DESC",
        )
        .bind(&[text(workspace_id), text(since)])?
        .all()
        .await?
        .results::<Value>()?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|mut r| {
            let usage: Value = r["usage_json"].as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null);
            r["usage"] = usage;
            r.as_object_mut().map(|o| o.remove("usage_json"));
            r
        })
        .collect();
    Ok(json!({ "since": since, "accounts": data }))
}
