//! Records what Meta answered (errors with their Graph details, throttling, usage headers) in
//! `meta_api_events`, and tells the account's gate. Recording never fails the call it describes.

use super::{schemas, telemetry, Services};
use crate::failure::Failure;
use crate::graph::schema::{self, Drift};
use crate::graph::{BatchCall, BatchResult, CallMeta, ErrorClass, GraphClient, GraphFailure, QuotaSnapshot};
use crate::ports::Scope;
use crate::runtime::d1::{new_id, now_iso, opt_text, text};
use crate::runtime::graph_fetch::{WorkerFetch, WorkerSleep};
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::console_warn;

pub type Client = GraphClient<WorkerFetch, WorkerSleep>;

/// Meta's code for a call at a version it no longer serves.
const DEPRECATED_VERSION: i64 = 2635;

async fn insert(svc: &Services, scope: &Scope<'_>, kind: &str, endpoint: &str, fields: [JsValue; 7]) {
    let now = now_iso();
    let [code, subcode, class, trace, message, usage, max_pct] = fields;
    svc.trip();
    let result = async {
        svc.env
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

pub async fn record_usage(svc: &Services, scope: &Scope<'_>, endpoint: &str, quota: Option<&QuotaSnapshot>) {
    let Some(q) = quota else { return };
    for (use_case, pct) in q.by_budget() {
        telemetry::observe(&crate::telemetry::META_USAGE, scope.workspace_id, scope.ad_account_id.unwrap_or_default(), &[("use_case", &use_case)], pct);
    }
    let usage = serde_json::to_string(q).unwrap_or_default();
    let n = JsValue::NULL;
    insert(svc, scope, "usage", endpoint, [n.clone(), n.clone(), n.clone(), n.clone(), n, text(&usage), JsValue::from_f64(q.max_pct())]).await;
}

pub async fn record_failure(svc: &Services, scope: &Scope<'_>, endpoint: &str, failure: &GraphFailure) {
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
    insert(svc, scope, kind, endpoint, [code, subcode, text(&class), trace, message, JsValue::NULL, JsValue::NULL]).await;
}

/// One write: method, endpoint, outcome and Meta's error code.
pub type Write = (String, String, &'static str, Option<i64>);

/// Writes sent to Meta, each a `mutation` event under the work's correlation id (what the audit
/// completeness check matches with audit rows), counted on `svc` for the audit row's
/// `meta_writes`; one D1 batch for all of them. `outcome` is `ok`, `refused` (Meta answered
/// with an error) or `unknown` (no answer: it may have been applied).
pub async fn record_mutations(svc: &Services, scope: &Scope<'_>, writes: &[Write]) {
    if writes.is_empty() {
        return;
    }
    svc.count_meta_writes(writes.len() as u32);
    let now = now_iso();
    let result = async {
        let db = svc.env.d1("DB")?;
        let mut statements = Vec::with_capacity(writes.len());
        for (method, endpoint, outcome, code) in writes {
            statements.push(
                db.prepare(
                    "INSERT INTO meta_api_events (id, workspace_id, integration_id, ad_account_id, kind, endpoint, graph_code, method, correlation_id, outcome, \
                     occurred_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'mutation', ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10)",
                )
                .bind(&[
                    text(&new_id("mev")),
                    text(scope.workspace_id),
                    opt_text(scope.integration_id),
                    opt_text(scope.ad_account_id),
                    text(endpoint),
                    code.map_or(JsValue::NULL, |c| JsValue::from_f64(c as f64)),
                    text(method),
                    text(&svc.correlation_id),
                    text(outcome),
                    text(&now),
                ])?,
            );
        }
        svc.trip();
        db.batch(statements).await
    }
    .await;
    if let Err(e) = result {
        console_warn!("could not record {} Meta mutation events: {e}", writes.len());
    }
}

/// How a write ended, for its mutation event.
fn write_outcome(f: Option<&GraphFailure>) -> (&'static str, Option<i64>) {
    match f {
        None => ("ok", None),
        Some(f) => match f.graph_error() {
            Some(e) => ("refused", Some(e.code)),
            None => ("unknown", None),
        },
    }
}

/// One call through the client, recorded either way; failures become problems. A call for an
/// ad account first passes the account's gate, and tells it afterwards what Meta said.
pub async fn call(svc: &Services, scope: &Scope<'_>, client: &Client, method: &str, path: &str, params: &[(String, String)]) -> Result<Value, Failure> {
    call_admitted_by(svc, scope, client, method, path, params, scope.ad_account_id).await
}

/// `call`, admitted by the gate named `admit_on` (none: no admission) instead of the account's;
/// what Meta says is still recorded against the account and reported to its gate.
pub async fn call_admitted_by(
    svc: &Services,
    scope: &Scope<'_>,
    client: &Client,
    method: &str,
    path: &str,
    params: &[(String, String)],
    admit_on: Option<&str>,
) -> Result<Value, Failure> {
    if let Some(gate) = admit_on {
        svc.trip();
        let admitted = super::gate::admit_graph_call(&svc.env, gate, crate::graph::use_case_of(path, params)).await;
        telemetry::gate_decision(scope, gate, admitted.as_ref().map(|_| ()));
        admitted?;
    }
    let started = worker::Date::now().as_millis() as f64;
    let result = client.call(method, path, params).await;
    telemetry::graph_call(scope, method, path, result.as_ref().map(|(_, m)| m.attempts), worker::Date::now().as_millis() as f64 - started);
    if crate::graph::changes_meta(method, path) {
        let (outcome, code) = write_outcome(result.as_ref().err());
        record_mutations(svc, scope, &[(method.to_string(), path.to_string(), outcome, code)]).await;
    }
    report(svc, scope, &result).await;
    match result {
        Ok((body, meta)) => {
            record_usage(svc, scope, path, meta.quota.as_ref()).await;
            if method == "GET" {
                schemas::observe(svc, scope, client.version(), path, params, schema::shape_of(&body)).await;
            }
            version_warning(svc, scope, client, path, meta.version_warning.as_deref()).await;
            Ok(body)
        }
        Err(f) => {
            record_failure(svc, scope, path, &f).await;
            refused(svc, scope, client, path, &f).await;
            Err(Failure::from(f))
        }
    }
}

/// Meta's deprecation warning header, as drift of the version called.
async fn version_warning(svc: &Services, scope: &Scope<'_>, client: &Client, path: &str, warning: Option<&str>) {
    if let Some(w) = warning {
        schemas::note(svc, scope, client.version(), path, Drift::new("deprecation_warning", None, None, None), Some(w)).await;
    }
}

/// A refusal that says the API changed under us: a field Meta calls nonexisting, or a version it
/// no longer serves (2635).
async fn refused(svc: &Services, scope: &Scope<'_>, client: &Client, path: &str, f: &GraphFailure) {
    let Some(e) = f.graph_error() else { return };
    let drift = if e.code == DEPRECATED_VERSION {
        Drift::new("version_refused", None, None, None)
    } else if let Some(field) = (e.code == 100).then(|| schema::refused_field(&e.message)).flatten() {
        Drift::new("field_removed", Some(&field), None, None)
    } else {
        return;
    };
    schemas::note(svc, scope, client.version(), path, drift, Some(&e.message)).await;
}

/// Tells the account's gate what a request's answer said: its usage, or a throttling wait.
async fn report<T>(svc: &Services, scope: &Scope<'_>, result: &Result<(T, CallMeta), GraphFailure>) {
    let Some(account) = scope.ad_account_id else { return };
    let (usage, throttled) = match result {
        Ok((_, meta)) => (meta.quota.as_ref().map(QuotaSnapshot::by_budget).unwrap_or_default(), None),
        Err(f) if f.class() == ErrorClass::Throttled => {
            let e = f.graph_error();
            let budget = e.map_or(crate::account_gate::ALL_CALLS, |e| crate::graph::throttled_budget(e.code));
            (Vec::new(), Some((budget, e.and_then(|e| e.regain_access_minutes).unwrap_or(1))))
        }
        Err(_) => (Vec::new(), None),
    };
    if !usage.is_empty() || throttled.is_some() {
        svc.trip();
        super::gate::report_graph_call(&svc.env, account, &usage, throttled).await;
    }
}

/// One batch request, already admitted by the account's gate: recorded like a call (usage once
/// for the request), and each call Meta refused recorded as its own error.
pub async fn batch_request(svc: &Services, scope: &Scope<'_>, client: &Client, calls: &[BatchCall]) -> Result<Vec<BatchResult>, Failure> {
    let started = worker::Date::now().as_millis() as f64;
    let result = client.batch_request(calls).await;
    telemetry::graph_call(scope, "POST", "batch", result.as_ref().map(|(_, m)| m.attempts), worker::Date::now().as_millis() as f64 - started);
    report(svc, scope, &result).await;
    let endpoint = |call: &BatchCall| call.relative_url.split('?').next().unwrap_or_default().to_string();
    let writes = |answers: Option<&[BatchResult]>| -> Vec<Write> {
        calls
            .iter()
            .enumerate()
            .filter(|(_, c)| crate::graph::changes_meta(&c.method, &c.relative_url))
            .map(|(i, c)| {
                let (outcome, code) = match answers.map(|a| a.get(i)) {
                    Some(Some(BatchResult::Err(e))) => ("refused", Some(e.code)),
                    Some(Some(_)) => ("ok", None),
                    _ => ("unknown", None),
                };
                (c.method.clone(), endpoint(c), outcome, code)
            })
            .collect()
    };
    match result {
        Ok((results, meta)) => {
            record_usage(svc, scope, "batch", meta.quota.as_ref()).await;
            record_mutations(svc, scope, &writes(Some(&results))).await;
            for (call, r) in calls.iter().zip(&results) {
                if let BatchResult::Err(e) = r {
                    record_failure(svc, scope, &endpoint(call), &GraphFailure::Graph(e.clone())).await;
                }
            }
            Ok(results)
        }
        Err(f) => {
            // A refused request applied none of its calls; one without an answer may have.
            let w = if f.graph_error().is_some() { Vec::new() } else { writes(None) };
            record_mutations(svc, scope, &w).await;
            record_failure(svc, scope, "batch", &f).await;
            Err(Failure::from(f))
        }
    }
}

/// Every page of an edge, recorded (usage once, from the last page); returns the rows and calls.
pub async fn all_pages(svc: &Services, scope: &Scope<'_>, client: &Client, path: &str, params: &[(String, String)]) -> Result<(Vec<Value>, u32), Failure> {
    let mut pager = client.pages(path, params);
    match pager.collect_all().await {
        Ok(rows) => {
            record_usage(svc, scope, path, pager.last_quota.as_ref()).await;
            schemas::observe(svc, scope, client.version(), path, params, schema::shape_of_rows(&rows)).await;
            version_warning(svc, scope, client, path, pager.last_version_warning.as_deref()).await;
            Ok((rows, pager.calls))
        }
        Err(f) => {
            record_failure(svc, scope, path, &f).await;
            refused(svc, scope, client, path, &f).await;
            Err(Failure::from(f))
        }
    }
}
