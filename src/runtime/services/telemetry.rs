//! The isolate's telemetry recorder and its flush: observations add up in memory and go to D1
//! as upserts into `ops_rollups` (the hour and the all-time totals) in one batch, after the
//! response is sent (`wait_until`) or at the end of a job batch or tick.

use crate::graph::{ErrorClass, GraphFailure};
use crate::ports::Scope;
use crate::runtime::d1::{now_iso, now_millis};
use crate::telemetry::{self, Metric, Recorder};
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use worker::Env;

thread_local! {
    static RECORDER: RefCell<Recorder> = RefCell::new(Recorder::default());
}

/// Rows one flush writes at most per D1 batch statement list (D1 takes large batches, but a
/// flush stays a small, quick transaction).
const FLUSH_CHUNK: usize = 200;

pub fn observe(metric: &Metric, workspace: &str, account: &str, labels: &[(&str, &str)], value: f64) {
    RECORDER.with(|r| r.borrow_mut().observe(now_millis(), metric, workspace, account, labels, value));
}

/// One Graph call's outcome, its time and its retries.
pub fn graph_call(scope: &Scope<'_>, method: &str, path: &str, outcome: Result<u32, &GraphFailure>, elapsed_ms: f64) {
    let endpoint = telemetry::endpoint(path);
    let (class, code) = match outcome {
        Ok(_) => ("ok".to_string(), String::new()),
        Err(f) => (class_name(f.class()), f.graph_error().map(|e| e.code.to_string()).unwrap_or_default()),
    };
    let account = scope.ad_account_id.unwrap_or_default();
    observe(
        &telemetry::GRAPH_CALLS,
        scope.workspace_id,
        account,
        &[("endpoint", &endpoint), ("method", method), ("outcome", &class), ("code", &code)],
        elapsed_ms,
    );
    if let Ok(attempts) = outcome {
        for _ in 1..attempts.min(10) {
            observe(&telemetry::GRAPH_RETRIES, scope.workspace_id, account, &[("endpoint", &endpoint)], 1.0);
        }
    }
}

pub fn class_name(class: ErrorClass) -> String {
    format!("{class:?}").to_lowercase()
}

/// The gate's decision on a call: admitted, held by Meta's usage, or refused by our own window
/// or a quarantine.
pub fn gate_decision(scope: &Scope<'_>, account: &str, admitted: Result<(), &crate::failure::Failure>) {
    let (decision, reason) = match admitted {
        Ok(()) => ("admitted", ""),
        Err(f) => match f.to_problem() {
            Some(p) if p.status == 423 => ("refused", "quarantine"),
            Some(p) if p.extensions.get("held_by").and_then(|v| v.as_str()) == Some("meta") => ("held", "meta"),
            Some(p) if p.status == 429 => ("refused", "window"),
            _ => ("refused", "unreachable"),
        },
    };
    let account = account.strip_prefix("int:").map_or(account, |_| scope.ad_account_id.unwrap_or_default());
    observe(&telemetry::GATE_DECISIONS, scope.workspace_id, account, &[("decision", decision), ("reason", reason)], 1.0);
}

/// Writes what this isolate recorded; on failure puts it back for the next flush.
pub async fn flush(env: &Env) {
    let rows = RECORDER.with(|r| r.borrow_mut().take());
    if rows.is_empty() {
        return;
    }
    let now = now_iso();
    let result = async {
        let db = env.d1("DB")?;
        let mut statements = Vec::with_capacity(rows.len());
        for (key, s) in &rows {
            statements.push(
                db.prepare(
                    "INSERT INTO ops_rollups (bucket, workspace_id, ad_account_id, metric, labels, count, sum, max, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (bucket, workspace_id, ad_account_id, metric, labels) \
                     DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum, max = MAX(max, excluded.max), updated_at = excluded.updated_at",
                )
                .bind(&[
                    JsValue::from_str(&key.bucket),
                    JsValue::from_str(&key.workspace),
                    JsValue::from_str(&key.account),
                    JsValue::from_str(key.metric),
                    JsValue::from_str(&key.labels),
                    JsValue::from_f64(s.count as f64),
                    JsValue::from_f64(s.sum),
                    JsValue::from_f64(s.max),
                    JsValue::from_str(&now),
                ])?,
            );
        }
        for chunk in statements.chunks(FLUSH_CHUNK) {
            db.batch(chunk.to_vec()).await?;
        }
        Ok::<(), worker::Error>(())
    }
    .await;
    if let Err(e) = result {
        worker::console_warn!("telemetry flush failed; kept for the next one: {e}");
        RECORDER.with(|r| r.borrow_mut().restore(rows));
    }
}
