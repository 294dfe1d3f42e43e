//! Approvals for execute_high actions: requested instead of executed, decided by another admin,
//! executed exactly once, expiring after the workspace's approval TTL.

use super::actions::{execute, Exec};
use crate::actions::approvals::{self, Refusal};
use crate::actions::policy::Flag;
use crate::actions::{catalog, Meta};
use crate::api_keys::{Need, Principal};
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, now_millis, opt_text, text};
use serde::Deserialize;
use serde_json::{json, Map, Value};

const COLUMNS: &str = "id, workspace_id, router, action, input_json, requested_by, idempotency_key, correlation_id, status, decided_by, decided_at, expires_at, result_json, created_at, updated_at, reasons_json, requested_by_member, decided_by_member";

async fn ttl_seconds(ctx: &RequestContext, ws: &str) -> Result<i64, HandlerError> {
    let policy = super::actions::stored_policy(ctx, ws, "approval_thresholds").await?;
    Ok(approvals::ttl_seconds(policy.and_then(|v| v["approval_ttl_seconds"].as_i64())))
}

/// Records a pending approval (with its audit row) instead of acting: 202. `flags` say which
/// policies asked for it (none for an execute_high action, which always needs one).
pub async fn request(
    ctx: &RequestContext,
    exec: &Exec,
    spec: &Meta,
    ws: &str,
    input: &Map<String, Value>,
    account: Option<&str>,
    flags: &[Flag],
) -> Result<(u16, Value), HandlerError> {
    let id = new_id("apr");
    let now = now_iso();
    let expires = crate::timefmt::iso_from_millis(now_millis() + ttl_seconds(ctx, ws).await? * 1_000);
    let reasons: Vec<String> =
        if flags.is_empty() { vec![format!("{} is an execute_high action", spec.name())] } else { flags.iter().map(Flag::reason).collect() };
    let approval = json!({
        "id": id, "workspace_id": ws, "router": spec.router(), "action": spec.name(), "input": input,
        "requested_by": exec.actor, "requested_by_member": exec.person(), "status": "pending", "expires_at": expires, "created_at": now,
        "policy_flags": flags, "reasons": reasons,
    });
    let mut audit = AuditEntry::new(spec.name(), &exec.actor, &ctx.correlation_id, Outcome::PendingApproval);
    audit.actor_member_id = exec.member_id.clone();
    audit.via = Some(exec.via.as_str().into());
    audit.workspace_id = Some(ws.to_string());
    audit.risk_tier = Some(spec.tier.as_str().into());
    audit.idempotency_key = exec.idempotency_key.clone();
    audit.approval_id = Some(id.clone());
    audit.ad_account_id = account.map(str::to_string);
    audit.after = Some(json!({ "input": input, "policy_flags": flags, "reasons": reasons }));
    let db = ctx.env.d1("DB")?;
    db.batch(vec![
        db.prepare(format!(
            "INSERT INTO approvals ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', NULL, NULL, ?9, NULL, ?10, ?10, ?11, ?12, NULL)"
        ))
        .bind(&[
            text(&id),
            text(ws),
            text(spec.router()),
            text(spec.name()),
            text(&Value::Object(input.clone()).to_string()),
            text(&exec.actor),
            opt_text(exec.idempotency_key.as_deref()),
            text(&ctx.correlation_id),
            text(&expires),
            text(&now),
            text(&json!(reasons).to_string()),
            text(&exec.person()),
        ])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    Ok((202, json!({ "status": "pending_approval", "approval": approval, "decide": format!("POST /v1/approvals/{id}/approve or /reject by another admin") })))
}

#[derive(Deserialize)]
struct Row {
    workspace_id: String,
    router: String,
    action: String,
    input_json: String,
    requested_by: String,
    requested_by_member: Option<String>,
    idempotency_key: Option<String>,
    status: String,
    expires_at: String,
}

impl Row {
    /// The person who asked (rows from before members existed name the key).
    fn requester(&self) -> &str {
        self.requested_by_member.as_deref().unwrap_or(&self.requested_by)
    }

    fn requester_member(&self) -> Option<String> {
        self.requested_by_member.clone().filter(|p| p != crate::api_keys::BOOTSTRAP_PERSON)
    }
}

async fn load(ctx: &RequestContext, principal: &Principal, id: &str) -> Result<Row, HandlerError> {
    let row = ctx
        .env
        .d1("DB")?
        .prepare(format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"))
        .bind(&[text(id)])?
        .first::<Row>(None)
        .await?
        .ok_or_else(|| HandlerError::from(Problem::new("not-found", "Not Found", 404, format!("no approval {id}"))))?;
    crate::api_keys::authorize(principal, Need::Admin(&row.workspace_id)).map_err(|d| HandlerError::from(Problem::forbidden(d.0)))?;
    Ok(row)
}

fn refusal_problem(r: Refusal) -> HandlerError {
    let status = match r {
        Refusal::SelfApproval => 403,
        Refusal::AlreadyDecided(_) => 409,
        Refusal::Expired => 410,
    };
    Problem::new("approval-not-decidable", "Approval Not Decidable", status, r.detail()).into()
}

/// Moves the approval out of `pending` only if it is still pending and unexpired; true for the
/// one caller whose update took effect.
async fn claim(ctx: &RequestContext, id: &str, to: &str, decider: &Principal, now: &str) -> Result<bool, HandlerError> {
    let r = ctx
        .env
        .d1("DB")?
        .prepare("UPDATE approvals SET status = ?2, decided_by = ?3, decided_at = ?4, updated_at = ?4, decided_by_member = ?5 WHERE id = ?1 AND status = 'pending' AND expires_at > ?4")
        .bind(&[text(id), text(to), text(&decider.actor()), text(now), text(&decider.person())])?
        .run()
        .await?;
    Ok(r.meta()?.and_then(|m| m.changes).unwrap_or(0) == 1)
}

async fn refusal_after_lost_claim(ctx: &RequestContext, principal: &Principal, id: &str, now: &str) -> HandlerError {
    match load(ctx, principal, id).await {
        Ok(row) if row.status == "pending" && row.expires_at.as_str() <= now => match mark_expired(ctx, id, now).await {
            Ok(()) => refusal_problem(Refusal::Expired),
            Err(e) => e,
        },
        Ok(row) => refusal_problem(Refusal::AlreadyDecided(row.status)),
        Err(e) => e,
    }
}

async fn mark_expired(ctx: &RequestContext, id: &str, now: &str) -> Result<(), HandlerError> {
    ctx.env
        .d1("DB")?
        .prepare("UPDATE approvals SET status = 'expired', updated_at = ?2 WHERE id = ?1 AND status = 'pending'")
        .bind(&[text(id), text(now)])?
        .run()
        .await?;
    Ok(())
}

/// Checks the decision is allowed and takes the approval out of `pending`; only one caller can.
async fn decide(ctx: &RequestContext, principal: &Principal, id: &str, to: &str) -> Result<(Row, String), HandlerError> {
    let row = load(ctx, principal, id).await?;
    let now = now_iso();
    if let Err(r) = approvals::check(principal, row.requester(), &row.status, &row.expires_at, &now) {
        if r == Refusal::Expired {
            mark_expired(ctx, id, &now).await?;
        }
        return Err(refusal_problem(r));
    }
    if !claim(ctx, id, to, principal, &now).await? {
        return Err(refusal_after_lost_claim(ctx, principal, id, &now).await);
    }
    Ok((row, now))
}

pub async fn approve(ctx: &RequestContext, principal: &Principal, id: &str) -> HandlerResult {
    let (row, _) = decide(ctx, principal, id, "approved").await?;
    let spec =
        catalog::find(&row.router, &row.action).map(|e| e.meta).ok_or_else(|| HandlerError::Internal(format!("approval for unknown action {}", row.action)))?;
    let input: Map<String, Value> = serde_json::from_str(&row.input_json).map_err(|e| HandlerError::Internal(e.to_string()))?;
    let exec = Exec {
        actor: row.requested_by.clone(),
        member_id: row.requester_member(),
        idempotency_key: row.idempotency_key.clone(),
        approval_id: Some(id.to_string()),
        via: super::actions::Via::Approval,
    };
    let outcome = execute(spec, ctx, &exec, &row.workspace_id, &input).await;
    let (status, result) = match &outcome {
        Ok((_, v)) => ("executed", v.clone()),
        Err(HandlerError::Problem(p)) => ("failed", serde_json::to_value(p).unwrap_or(Value::Null)),
        Err(HandlerError::Internal(_)) => {
            ("failed", json!({ "detail": "internal error; see the logs with this correlation id", "correlation_id": ctx.correlation_id }))
        }
    };
    let done = now_iso();
    ctx.env
        .d1("DB")?
        .prepare("UPDATE approvals SET status = ?2, result_json = ?3, updated_at = ?4 WHERE id = ?1")
        .bind(&[text(id), text(status), text(&result.to_string()), text(&done)])?
        .run()
        .await?;
    json_response(200, &json!({ "id": id, "status": status, "decided_by": principal.actor(), "decided_by_member": principal.person(), "result": result }))
}

pub async fn reject(ctx: &RequestContext, principal: &Principal, id: &str) -> HandlerResult {
    let (row, now) = decide(ctx, principal, id, "rejected").await?;
    let mut audit = AuditEntry::by(&row.action, principal, &ctx.correlation_id, Outcome::Rejected);
    audit.workspace_id = Some(row.workspace_id.clone());
    audit.approval_id = Some(id.to_string());
    audit.risk_tier = catalog::find(&row.router, &row.action).map(|e| e.meta.tier.as_str().to_string());
    let db = ctx.env.d1("DB")?;
    db.batch(vec![audit_statement(&db, &audit, &now)?]).await?;
    json_response(200, &json!({ "id": id, "status": "rejected", "decided_by": principal.actor() }))
}

pub async fn list(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(format!("SELECT {COLUMNS} FROM approvals WHERE workspace_id = ?1 ORDER BY created_at DESC, id LIMIT 200"))
        .bind(&[text(workspace_id)])?
        .all()
        .await?
        .results::<Value>()?;
    json_response(200, &json!({ "data": rows }))
}
