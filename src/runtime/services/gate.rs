//! Reaching a gate (`AdAccountGate` Durable Object) instance: one per ad account (by its id),
//! per workspace (`ws:{id}`: idempotency records), per integration (`int:{id}`) and per client
//! (`auth:{client}`), each addressed by `id_from_name`.

use crate::failure::Failure;
use crate::problem::Problem;
use serde_json::Value;
use worker::{Env, Method, Request, RequestInit, Response};

pub async fn gate_stub_fetch(env: &Env, name: &str, op: &str, method: &str) -> worker::Result<Response> {
    let stub = env.durable_object("ACCOUNT_GATE")?.id_from_name(name)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(if method == "POST" { Method::Post } else { Method::Get });
    let req = Request::new_with_init(&format!("https://gate/{name}/{op}"), &init)?;
    stub.fetch_with_request(req).await
}

/// A JSON call to a gate instance (idempotency records and other serialised state).
pub async fn gate_call(env: &Env, name: &str, op: &str, body: &Value) -> worker::Result<Response> {
    let stub = env.durable_object("ACCOUNT_GATE")?.id_from_name(name)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.to_string().into()));
    let req = Request::new_with_init(&format!("https://gate/{name}/{op}"), &init)?;
    stub.fetch_with_request(req).await
}

/// A JSON operation on a gate instance: its answer, which must be a 200.
pub async fn json_op(env: &Env, name: &str, op: &str, body: &Value) -> Result<Value, Failure> {
    let mut resp = gate_call(env, name, op, body).await.map_err(|e| Failure::Internal(format!("gate {op}: {e}")))?;
    if resp.status_code() != 200 {
        return Err(Failure::Internal(format!("gate {op} for {name} answered {}", resp.status_code())));
    }
    Ok(resp.json().await?)
}

/// Asks the account's gate to admit one Graph call; a refusal is a 429 problem with
/// `Retry-After` saying whether Meta's usage or our own window holds the call.
pub async fn admit_graph_call(env: &Env, account: &str, use_case: &str) -> Result<Value, Failure> {
    admit_graph_calls(env, account, 1, &[use_case]).await
}

/// Asks the account's gate to admit up to `wanted` calls of one batch request, counting against
/// `use_cases` (Meta's business use cases, each with its own budget); the decision says how many
/// it admitted (`calls`, at least one), or is refused as `admit_graph_call`'s.
pub async fn admit_graph_calls(env: &Env, account: &str, wanted: u32, use_cases: &[&str]) -> Result<Value, Failure> {
    let mut resp = gate_call(env, account, "admit", &serde_json::json!({ "calls": wanted, "use_cases": use_cases })).await?;
    let decision: Value = resp.json().await?;
    if decision["admitted"] == true {
        return Ok(decision);
    }
    if decision["held_by"] == "quarantine" {
        let reason = decision["quarantine"]["reason"].as_str().unwrap_or("quarantined");
        return Err(Problem::new("ad-account-quarantined", "Ad Account Quarantined", 423, format!("ad account {account} is quarantined: {reason}"))
            .with_extension("gate", decision["state"].clone())
            .into());
    }
    let retry_after_ms = decision["retry_after_ms"].as_i64().unwrap_or(1_000).max(0);
    let why = if decision["held_by"] == "meta" {
        let budget = decision["held_for"].as_str().unwrap_or("its");
        format!("Meta reports ad account {account} near or over its {budget} rate limit; calls counting against it are held until it recovers")
    } else {
        match account.strip_prefix("int:") {
            Some(integration) => format!("integration {integration} has used its call budget for proving access to new accounts in this window"),
            None => format!("ad account {account} has used its call budget for this window"),
        }
    };
    let problem = Problem::rate_limited(why, (retry_after_ms as u64).div_ceil(1_000).max(1))
        .with_extension("gate", decision["state"].clone())
        .with_extension("held_by", decision["held_by"].clone());
    Err(problem.into())
}

/// Tells the account's gate what Meta said: the usage headers, or a throttling error's wait.
pub async fn report_graph_call(env: &Env, account: &str, usage: &[(String, f64)], throttled: Option<(&str, i64)>) {
    if usage.is_empty() && throttled.is_none() {
        return;
    }
    let usage: serde_json::Map<String, Value> = usage.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    let body = serde_json::json!({ "usage": usage, "throttled": throttled.map(|(b, m)| serde_json::json!({ "budget": b, "regain_minutes": m })) });
    if let Err(e) = gate_call(env, account, "report", &body).await {
        worker::console_warn!("could not report usage to the gate of {account}: {e}");
    }
}

/// Counts a failed authentication from `client` in its own gate instance (`auth:{client}`);
/// returns how long to wait when the client's budget of failures is spent. A gate that cannot
/// be reached counts as no budget spent (the caller still gets its 401).
pub async fn auth_failure(env: &Env, client: &str) -> Option<i64> {
    let mut resp = gate_call(env, &format!("auth:{client}"), "auth/fail", &serde_json::json!({})).await.ok()?;
    let body: Value = resp.json().await.ok()?;
    body["retry_after_ms"].as_i64()
}
