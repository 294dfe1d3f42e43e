//! Metric facts from other sources, validated row by row and upserted by natural key.

use crate::api_keys::Principal;
use crate::records::FieldError;
use crate::runtime::context::{json_response, HandlerResult, RequestContext};
use crate::runtime::d1::{now_iso, text};
use serde_json::{json, Value};
use worker::Request;

/// `POST /v1/workspaces/{id}/metrics/ingest` with `{"rows": [...]}`: good rows are upserted by
/// their natural key, bad ones reported by index and field; one audit row records the batch.
pub async fn ingest(req: Request, ctx: &RequestContext, principal: &Principal, ws: &str) -> HandlerResult {
    use crate::ingest::{self, AccountInfo};
    crate::db::workspaces::must_exist(&ctx.services, ws).await?;
    let body = super::body::read_json(req, crate::request_body::MAX_INGEST_BODY_BYTES, false).await?;
    let obj = body.as_object().ok_or(FieldError { field: "body".into(), reason: "must be a JSON object with a rows array".into() })?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "rows") {
        return Err(FieldError { field: crate::problem::excerpt(k), reason: "unknown field; allowed: rows".into() }.into());
    }
    let rows = obj.get("rows").and_then(Value::as_array).ok_or(FieldError { field: "rows".into(), reason: "is required: an array of metric facts".into() })?;
    if rows.is_empty() || rows.len() > ingest::MAX_ROWS {
        return Err(FieldError { field: "rows".into(), reason: format!("must hold 1 to {} facts", ingest::MAX_ROWS) }.into());
    }
    let db = ctx.env.d1("DB")?;
    let accounts: std::collections::HashMap<String, (String, String)> = db
        .prepare("SELECT id, currency, timezone_name FROM ad_accounts WHERE workspace_id = ?1")
        .bind(&[text(ws)])?
        .all()
        .await?
        .results::<Value>()?
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                (r["currency"].as_str().unwrap_or_default().to_string(), r["timezone_name"].as_str().unwrap_or("UTC").to_string()),
            )
        })
        .collect();
    let account_of = |id: &str| accounts.get(id).map(|(c, t)| AccountInfo { currency: c.clone(), timezone_name: t.clone() });
    let now = now_iso();
    let (mut good, mut rejected) = (Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        match ingest::row(i, r, ws, &account_of, &now) {
            Ok(row) => good.push(row),
            Err(e) => rejected.push(e),
        }
    }
    if good.is_empty() {
        // Nothing to keep: the batch is refused as a problem, with the per-row report in it.
        return Err(all_rejected("rows", &rejected).into());
    }
    let sql = ingest::upsert_sql();
    let mut stmts = Vec::new();
    for chunk in good.chunks(1_000) {
        stmts.push(db.prepare(&sql).bind(&[text(&Value::Array(chunk.to_vec()).to_string())])?);
    }
    let mut audit = crate::audit::AuditEntry::by("ingest_metrics", principal, &ctx.correlation_id, crate::audit::Outcome::Succeeded);
    audit.workspace_id = Some(ws.to_string());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(json!({ "accepted": good.len(), "rejected": rejected.len() }));
    stmts.push(crate::runtime::d1::audit_statement(&db, &audit, &now)?);
    db.batch(stmts).await?;
    json_response(200, &json!({ "accepted": good.len(), "rejected": rejected.len(), "errors": rejected }))
}

/// `POST /v1/workspaces/{id}/pipeline/events` with `{"events": [...]}` or the same as `text/csv`:
/// good events are kept and joined to Meta, bad ones reported by index and field.
pub async fn pipeline_events(mut req: Request, ctx: &RequestContext, principal: &Principal, ws: &str) -> HandlerResult {
    use crate::recruiting::{body, intake};
    crate::db::workspaces::must_exist(&ctx.services, ws).await?;
    crate::request_body::check_declared_length(req.headers().get("Content-Length").ok().flatten().as_deref(), body::MAX_BODY_BYTES)?;
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let bytes = req.bytes().await?;
    let events = body::events(content_type.as_deref(), &bytes)?;
    let taken = intake::take(&ctx.services, ws, principal.into(), "ingest_pipeline_events", &events).await?;
    if taken.applications + taken.stage_changes == 0 {
        return Err(all_rejected("events", &taken.errors).into());
    }
    json_response(200, &taken.answer())
}

/// A batch of which nothing was kept: a problem carrying each row's index, field and reason.
pub(super) fn all_rejected(what: &str, errors: &[crate::ingest::RowError]) -> crate::problem::Problem {
    crate::problem::Problem::new(
        "ingest-rejected",
        "Every Row Was Rejected",
        422,
        format!("all {} {what} were rejected; see errors for each one's index, field and reason", errors.len()),
    )
    .with_extension("accepted", json!(0))
    .with_extension("rejected", json!(errors.len()))
    .with_extension("errors", json!(errors))
}

/// `POST /webhooks/ats/{connection_id}`: a recruiting system's webhook. The connection names the
/// workspace; the delivery is verified by the system's own signature scheme with the connection's
/// sealed secret before it is read, then mapped onto pipeline events and taken like any batch.
/// An unknown, ended or unverified delivery gets the same 401, so ids cannot be probed.
pub async fn ats_webhook(mut req: Request, ctx: &RequestContext, connection_id: &str) -> HandlerResult {
    use crate::recruiting::ats::{self, Mapped};
    use crate::recruiting::intake::{self, Sender};
    const MAX_BYTES: usize = 1024 * 1024;
    crate::request_body::check_declared_length(req.headers().get("Content-Length").ok().flatten().as_deref(), MAX_BYTES)?;
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_BYTES {
        return Err(crate::request_body::too_large(MAX_BYTES).into());
    }
    let unverified =
        || crate::problem::Problem::new("bad-signature", "Bad Signature", 401, "the delivery's signature does not match a connection of this address");
    let q = crate::ports::Query::new(
        "SELECT workspace_id, kind, secret_sealed, stages FROM ats_connections WHERE id = ?1 AND status = 'active'",
        crate::binds![crate::problem::excerpt(connection_id)],
    );
    let ports: &dyn crate::ports::Ports = &ctx.services;
    let Some(row) = ports.rows(q).await?.into_iter().next() else { return Err(unverified().into()) };
    let secret = crate::runtime::services::tokens::keyring(&ctx.services)?
        .open(row["secret_sealed"].as_str().unwrap_or_default(), &crate::actions::cross_role_paid_media_pipeline::connect_ats::secret_row_id(connection_id))
        .map_err(|e| crate::failure::Failure::Internal(format!("ats connection secret: {e}")))?;
    let payload: Option<Value> = serde_json::from_slice(&bytes).ok();
    let stages: serde_json::Map<String, Value> = serde_json::from_str(row["stages"].as_str().unwrap_or("{}")).unwrap_or_default();
    let now = ports.now_iso();
    let mapped = match row["kind"].as_str() {
        Some(ats::GREENHOUSE) => {
            let signature = req.headers().get("Signature").ok().flatten();
            if !ats::greenhouse_signed(secret.as_bytes(), &bytes, signature.as_deref()) {
                return Err(unverified().into());
            }
            payload.as_ref().map(|p| ats::greenhouse_events(p, &stages, &now))
        }
        Some(ats::LEVER) => {
            if !payload.as_ref().is_some_and(|p| ats::lever_signed(secret.as_bytes(), p, ports.now_millis())) {
                return Err(unverified().into());
            }
            payload.as_ref().map(|p| ats::lever_events(p, &stages))
        }
        _ => return Err(unverified().into()),
    };
    let Some(mapped) = mapped else { return Err(FieldError { field: "body".into(), reason: "must be the system's JSON webhook payload".into() }.into()) };
    let ws = row["workspace_id"].as_str().unwrap_or_default();
    let touch = crate::ports::Query::new("UPDATE ats_connections SET last_delivery_at = ?2 WHERE id = ?1", crate::binds![connection_id, now.as_str()]);
    let events = match mapped {
        Mapped::Nothing(reason) => {
            ports.batch(vec![touch]).await?;
            return json_response(200, &json!({ "accepted": 0, "ignored": reason }));
        }
        Mapped::Events(e) => e,
    };
    let sender = Sender { actor: format!("ats:{connection_id}"), member_id: None };
    let taken = intake::take(ports, ws, sender, "ingest_ats_webhook", &events).await?;
    ports.batch(vec![touch]).await?;
    if taken.applications + taken.stage_changes == 0 {
        return Err(all_rejected("events", &taken.errors).into());
    }
    json_response(200, &taken.answer())
}
