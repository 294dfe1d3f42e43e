//! The governed Graph path, the only way a call for a workspace reaches Meta: the account's gate
//! admits it, the integration's token signs it, and what Meta answers is recorded and reported
//! back to the gate. Actions, HTTP handlers, the sync job and cron all call through here.

use super::{events, tokens, Services};
use crate::failure::Failure;
use crate::graph::batch_refs::{self, Answered};
use crate::graph::{BatchCall, BatchResult, ErrorClass, BATCH_MAX};
use crate::ports::{GraphCall, Scope};
use serde_json::Value;
use std::future::Future;

/// One Graph call through the integration's token. When Meta refuses the token (190), the token
/// gets one just-in-time refresh and the call one more try (a refused call did nothing, so this
/// holds for writes too); if the refresh cannot help, the refresh has marked the integration
/// expired and the refusal stands. Returns the body (an array for `AllPages`) and the calls made.
pub async fn call(svc: &Services, scope: &Scope<'_>, call: GraphCall<'_>, params: &[(String, String)]) -> Result<(Value, u32), Failure> {
    let iid = scope.integration_id.unwrap_or_default();
    let attempt = |token: String| async move {
        let client = tokens::client_in(svc, scope, &token)?;
        match call {
            GraphCall::AllPages(path) => events::all_pages(svc, scope, &client, path, params).await.map(|(rows, calls)| (Value::Array(rows), calls)),
            GraphCall::Object(path) => events::call(svc, scope, &client, "GET", path, params).await.map(|v| (v, 1)),
            GraphCall::Verify(path) => {
                let own_gate = format!("int:{iid}");
                events::call_admitted_by(svc, scope, &client, "GET", path, params, Some(&own_gate)).await.map(|v| (v, 1))
            }
            GraphCall::Write(method, path) => events::call(svc, scope, &client, method, path, params).await.map(|v| (v, 1)),
        }
    };
    with_token(svc, scope, attempt).await
}

/// Runs `attempt` with the integration's token; on a refused token (190), once more after a
/// just-in-time refresh.
async fn with_token<T, F, Fu>(svc: &Services, scope: &Scope<'_>, attempt: F) -> Result<T, Failure>
where
    F: Fn(String) -> Fu,
    Fu: Future<Output = Result<T, Failure>>,
{
    let iid = scope.integration_id.unwrap_or_default();
    match attempt(tokens::integration_token(svc, scope.workspace_id, iid).await?).await {
        Err(e) if e.graph_class() == Some(ErrorClass::Auth) => {
            match tokens::refresh_now(svc, "jit-recovery", scope.workspace_id, iid).await {
                // A fresh token, or the same one Meta still accepts (the session was dropped, not the token).
                Ok(after) if after["status"] == "active" => attempt(tokens::integration_token(svc, scope.workspace_id, iid).await?).await,
                _ => Err(e),
            }
        }
        other => other,
    }
}

/// Calls through the batch API, as many requests as it takes: each holds at most `BATCH_MAX`
/// calls and no more than the account's gate admits at that moment (Meta counts every call of
/// a batch). A call naming a call answered by an earlier request gets its id written in.
pub async fn batch(svc: &Services, scope: &Scope<'_>, calls: &[BatchCall]) -> Result<Vec<BatchResult>, Failure> {
    let mut out: Vec<BatchResult> = Vec::with_capacity(calls.len());
    let mut answered = Answered::new();
    while out.len() < calls.len() {
        let rest = &calls[out.len()..];
        let wanted = rest.len().min(BATCH_MAX) as u32;
        let admitted = match scope.ad_account_id {
            Some(account) => {
                svc.trip();
                let mut use_cases: Vec<&str> = rest[..wanted as usize].iter().map(|c| crate::graph::use_case_of(&c.relative_url, &[])).collect();
                use_cases.sort_unstable();
                use_cases.dedup();
                let decision = super::gate::admit_graph_calls(&svc.env, account, wanted, &use_cases).await;
                super::telemetry::gate_decision(scope, account, decision.as_ref().map(|_| ()));
                let decision = decision?;
                decision["calls"].as_u64().unwrap_or(1).clamp(1, u64::from(wanted)) as usize
            }
            None => wanted as usize,
        };
        let part = &rest[..admitted];
        let mut send = Vec::with_capacity(part.len());
        let mut settled: Vec<Option<BatchResult>> = Vec::with_capacity(part.len());
        for call in part {
            match batch_refs::carry(call, &answered) {
                Ok(c) => {
                    send.push(c);
                    settled.push(None);
                }
                Err(failed) => settled.push(Some(batch_refs::not_sent(&failed))),
            }
        }
        let mut sent = if send.is_empty() {
            Vec::new()
        } else {
            with_token(svc, scope, |token| {
                let send = &send;
                async move {
                    let client = tokens::client_in(svc, scope, &token)?;
                    events::batch_request(svc, scope, &client, send).await
                }
            })
            .await?
        }
        .into_iter();
        for (call, slot) in part.iter().zip(settled) {
            let result = match slot {
                Some(r) => r,
                None => sent.next().ok_or_else(|| Failure::Internal("a batch answered fewer results than calls".into()))?,
            };
            batch_refs::note(&mut answered, call, &result);
            out.push(result);
        }
    }
    Ok(out)
}
