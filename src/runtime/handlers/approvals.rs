//! Approvals for execute_high actions: requested instead of executed, decided by another admin,
//! executed exactly once, expiring after the workspace's approval TTL.

use crate::actions::approvals::{self, Refusal};
use crate::actions::catalog;
use crate::actions::pipeline::{self, Exec, Via};
use crate::api_keys::{Need, Principal};
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, now_iso, text};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::approvals::COLUMNS;

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
    let entry = catalog::find(&row.router, &row.action).ok_or_else(|| HandlerError::Internal(format!("approval for unknown action {}", row.action)))?;
    let input: Value = serde_json::from_str(&row.input_json).map_err(|e| HandlerError::Internal(e.to_string()))?;
    let exec = Exec {
        actor: row.requested_by.clone(),
        member_id: row.requester_member(),
        idempotency_key: row.idempotency_key.clone(),
        approval_id: Some(id.to_string()),
        via: Via::Approval,
    };
    let outcome = pipeline::run_approved(&ctx.services, entry, &exec, &row.workspace_id, &input).await;
    let (status, result) = match &outcome {
        Ok((_, v)) => ("executed", v.clone()),
        Err(e) => match e.to_problem() {
            Some(p) => ("failed", serde_json::to_value(p).unwrap_or(Value::Null)),
            None => ("failed", json!({ "detail": "internal error; see the logs with this correlation id", "correlation_id": ctx.correlation_id })),
        },
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
