//! Workspace API keys: create (the plaintext is in that one response only), list, revoke, and
//! the lookup that turns a presented key into a principal.

use super::json_body;
use crate::api_keys::{self, Principal, Role, KEY_RANDOM_BYTES};
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records::FieldError;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, opt_text, text};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

const PUBLIC_COLUMNS: &str = "id, workspace_id, prefix, role, scopes, label, last_used_at, revoked_at, created_at, updated_at";

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    workspace_id: String,
    role: String,
    last_used_at: Option<String>,
}

/// `last_used_at` is refreshed at most this often, so an authenticated request does not cost a
/// D1 write every time.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// Finds the live key with this hash and records its use.
pub async fn principal_for(ctx: &RequestContext, presented: &str) -> Result<Option<Principal>, HandlerError> {
    let db = ctx.env.d1("DB")?;
    let hash = crate::auth::sha256_hex(presented);
    let row = db
        .prepare("SELECT id, workspace_id, role, last_used_at FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL")
        .bind(&[text(&hash)])?
        .first::<KeyRow>(None)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let role = Role::parse(&row.role).ok_or_else(|| HandlerError::Internal(format!("api key {} has unknown role", row.id)))?;
    let stale_before = crate::timefmt::iso_from_millis(crate::runtime::d1::now_millis() - LAST_USED_RESOLUTION_MS);
    if row.last_used_at.as_deref().is_none_or(|t| t < stale_before.as_str()) {
        db.prepare("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1").bind(&[text(&row.id), text(&now_iso())])?.run().await?;
    }
    Ok(Some(Principal::Key { key_id: row.id, workspace_id: row.workspace_id, role }))
}

fn parse_new_key(body: &Value) -> Result<(Role, Option<String>, Vec<String>), FieldError> {
    let obj = body.as_object().ok_or(FieldError { field: "body".into(), reason: "must be a JSON object".into() })?;
    if let Some(k) = obj.keys().find(|k| !["role", "label", "scopes"].contains(&k.as_str())) {
        return Err(FieldError { field: k.clone(), reason: "unknown field; allowed: role, label, scopes".into() });
    }
    let role = obj
        .get("role")
        .and_then(Value::as_str)
        .and_then(Role::parse)
        .ok_or(FieldError { field: "role".into(), reason: "is required: recruiter or admin".into() })?;
    let label = match obj.get("label") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 120 => Some(s.trim().to_string()),
        Some(_) => return Err(FieldError { field: "label".into(), reason: "must be a non-empty string of at most 120 characters".into() }),
    };
    let scopes = match obj.get("scopes") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) if a.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 64)) => {
            a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        }
        Some(_) => return Err(FieldError { field: "scopes".into(), reason: "must be an array of scope names".into() }),
    };
    Ok((role, label, scopes))
}

pub async fn create(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str) -> HandlerResult {
    let (role, label, scopes) = parse_new_key(&json_body(req).await?)?;
    super::workspace_must_exist(ctx, workspace_id).await?;
    let mut random = [0u8; KEY_RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|e| HandlerError::Internal(format!("no randomness: {e}")))?;
    let key = api_keys::generate(&random);
    let id = new_id("key");
    let now = now_iso();
    let public = json!({
        "id": id, "workspace_id": workspace_id, "prefix": key.prefix, "role": role.as_str(),
        "scopes": scopes, "label": label, "last_used_at": null, "revoked_at": null, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::new("create_api_key", &principal.actor(), &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.external_id = Some(id.clone());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(public.clone());
    let db = ctx.env.d1("DB")?;
    db.batch(vec![
        db.prepare(
            "INSERT INTO api_keys (id, workspace_id, prefix, key_hash, role, scopes, label, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        )
        .bind(&[
            text(&id),
            text(workspace_id),
            text(&key.prefix),
            text(&key.hash),
            text(role.as_str()),
            text(&json!(scopes).to_string()),
            opt_text(label.as_deref()),
            text(&now),
        ])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    let mut body = public;
    body["key"] = json!(key.plaintext);
    body["note"] = json!("store this key now: adgate keeps only its hash and cannot show it again");
    json_response(201, &body)
}

pub async fn list(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    super::workspace_must_exist(ctx, workspace_id).await?;
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(format!("SELECT {PUBLIC_COLUMNS} FROM api_keys WHERE workspace_id = ?1 ORDER BY created_at, id"))
        .bind(&[text(workspace_id)])?
        .all()
        .await?
        .results::<Value>()?;
    json_response(200, &json!({ "data": rows }))
}

pub async fn revoke(ctx: &RequestContext, principal: &Principal, workspace_id: &str, key_id: &str) -> HandlerResult {
    let db = ctx.env.d1("DB")?;
    let before = db
        .prepare(format!("SELECT {PUBLIC_COLUMNS} FROM api_keys WHERE id = ?1 AND workspace_id = ?2"))
        .bind(&[text(key_id), text(workspace_id)])?
        .first::<Value>(None)
        .await?
        .ok_or_else(|| HandlerError::from(Problem::new("not-found", "Not Found", 404, format!("no key {key_id} in workspace {workspace_id}"))))?;
    if !before["revoked_at"].is_null() {
        return json_response(200, &before);
    }
    let now = now_iso();
    let mut after = before.clone();
    after["revoked_at"] = json!(now);
    after["updated_at"] = json!(now);
    let mut audit = AuditEntry::new("revoke_api_key", &principal.actor(), &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.external_id = Some(key_id.to_string());
    audit.risk_tier = Some("execute_low".into());
    audit.before = Some(before);
    audit.after = Some(after.clone());
    db.batch(vec![
        db.prepare("UPDATE api_keys SET revoked_at = ?2, updated_at = ?2 WHERE id = ?1").bind(&[text(key_id), text(&now)])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    json_response(200, &after)
}
