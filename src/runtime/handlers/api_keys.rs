//! Workspace API keys: create (the plaintext is in that one response only), list, revoke, and
//! the lookup that turns a presented key into a principal.

use super::body::json_body;
use crate::api_keys::{self, Principal, Role, KEY_RANDOM_BYTES};
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records::FieldError;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, opt_text, text};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement, Request};

const PUBLIC_COLUMNS: &str = "id, workspace_id, member_id, prefix, role, scopes, label, last_used_at, revoked_at, created_at, updated_at";

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    member_id: String,
    workspace_id: String,
    role: String,
    last_used_at: Option<String>,
}

/// `last_used_at` is refreshed at most this often, so an authenticated request does not cost a
/// D1 write every time.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// Finds the live key with this hash, with its member (whose role it carries), and records its
/// use.
pub async fn principal_for(ctx: &RequestContext, presented: &str) -> Result<Option<Principal>, HandlerError> {
    let db = ctx.env.d1("DB")?;
    let hash = crate::auth::sha256_hex(presented);
    ctx.trip();
    let row = db
        .prepare("SELECT k.id, k.member_id, m.workspace_id, m.role, k.last_used_at FROM api_keys k JOIN members m ON m.id = k.member_id WHERE k.key_hash = ?1 AND k.revoked_at IS NULL")
        .bind(&[text(&hash)])?
        .first::<KeyRow>(None)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let role = Role::parse(&row.role).ok_or_else(|| HandlerError::Internal(format!("member {} has unknown role", row.member_id)))?;
    let stale_before = crate::timefmt::iso_from_millis(crate::runtime::d1::now_millis() - LAST_USED_RESOLUTION_MS);
    if row.last_used_at.as_deref().is_none_or(|t| t < stale_before.as_str()) {
        ctx.trip();
        db.prepare("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1").bind(&[text(&row.id), text(&now_iso())])?.run().await?;
    }
    Ok(Some(Principal::Key { key_id: row.id, member_id: row.member_id, workspace_id: row.workspace_id, role }))
}

/// What a new key asks for: whose it is (default: the caller's own member), a label, scopes,
/// and optionally the role, which must be the member's.
struct KeyRequest {
    member_id: Option<String>,
    role: Option<Role>,
    label: Option<String>,
    scopes: Vec<String>,
}

fn parse_new_key(body: &Value) -> Result<KeyRequest, FieldError> {
    let obj = body.as_object().ok_or(FieldError { field: "body".into(), reason: "must be a JSON object".into() })?;
    if let Some(k) = obj.keys().find(|k| !["member_id", "role", "label", "scopes"].contains(&k.as_str())) {
        return Err(FieldError { field: crate::problem::excerpt(k), reason: "unknown field; allowed: member_id, role, label, scopes".into() });
    }
    let member_id = match obj.get("member_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if (1..=64).contains(&s.len()) => Some(s.clone()),
        Some(_) => return Err(FieldError { field: "member_id".into(), reason: "must be a member id".into() }),
    };
    let role = match obj.get("role") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_str().and_then(Role::parse).ok_or(FieldError { field: "role".into(), reason: "must be recruiter or admin".into() })?),
    };
    let label = match obj.get("label") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 120 => Some(s.trim().to_string()),
        Some(_) => return Err(FieldError { field: "label".into(), reason: "must be a non-empty string of at most 120 characters".into() }),
    };
    let scopes = match obj.get("scopes") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) if a.len() <= 20 && a.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 64)) => {
            a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        }
        Some(_) => return Err(FieldError { field: "scopes".into(), reason: "must be an array of at most 20 scope names".into() }),
    };
    Ok(KeyRequest { member_id, role, label, scopes })
}

/// Whose key, and what it says about itself.
pub struct KeyFor<'a> {
    pub workspace_id: &'a str,
    pub member_id: &'a str,
    pub role: Role,
    pub label: Option<&'a str>,
    pub scopes: &'a [String],
}

/// A new key for a member: its row and audit row, ready for the caller's batch, and the
/// response body with the plaintext (shown this once).
pub fn new_key(
    db: &D1Database,
    ctx: &RequestContext,
    principal: &Principal,
    k: &KeyFor<'_>,
    now: &str,
) -> Result<(Value, Vec<D1PreparedStatement>), HandlerError> {
    let KeyFor { workspace_id, member_id, role, label, scopes } = *k;
    let mut random = [0u8; KEY_RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|e| HandlerError::Internal(format!("no randomness: {e}")))?;
    let key = api_keys::generate(&random);
    let id = new_id("key");
    let public = json!({
        "id": id, "workspace_id": workspace_id, "member_id": member_id, "prefix": key.prefix, "role": role.as_str(),
        "scopes": scopes, "label": label, "last_used_at": null, "revoked_at": null, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::by("create_api_key", principal, &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.external_id = Some(id.clone());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(public.clone());
    let statements = vec![
        db.prepare(
            "INSERT INTO api_keys (id, workspace_id, member_id, prefix, key_hash, role, scopes, label, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        )
        .bind(&[
            text(&id),
            text(workspace_id),
            text(member_id),
            text(&key.prefix),
            text(&key.hash),
            text(role.as_str()),
            text(&json!(scopes).to_string()),
            opt_text(label),
            text(now),
        ])?,
        audit_statement(db, &audit, now)?,
    ];
    let mut body = public;
    body["key"] = json!(key.plaintext);
    body["note"] = json!("store this key now: adgate keeps only its hash and cannot show it again");
    Ok((body, statements))
}

/// `POST /v1/workspaces/{id}/api-keys`: a key for the caller's own member, or (bootstrap key
/// only) for the member named. Nobody mints a key for another person.
pub async fn create(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str) -> HandlerResult {
    let asked = parse_new_key(&json_body(req).await?)?;
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    let member_id = match (&asked.member_id, principal.member_id()) {
        (Some(m), _) => m.clone(),
        (None, Some(own)) => own.to_string(),
        (None, None) => {
            return Err(FieldError {
                field: "member_id".into(),
                reason: "is required with the bootstrap key (POST /v1/workspaces/{id}/members adds a member with a first key)".into(),
            }
            .into())
        }
    };
    api_keys::may_mint_key_for(principal, workspace_id, &member_id).map_err(|d| HandlerError::from(Problem::forbidden(d.0)))?;
    let member = crate::db::members::member_of(&ctx.services, workspace_id, &member_id)
        .await?
        .ok_or_else(|| HandlerError::from(FieldError { field: "member_id".into(), reason: "no such member in this workspace".into() }))?;
    let role = Role::parse(&member.role).ok_or_else(|| HandlerError::Internal(format!("member {member_id} has unknown role")))?;
    if asked.role.is_some_and(|r| r != role) {
        return Err(FieldError { field: "role".into(), reason: format!("a key carries its member's role ({})", role.as_str()) }.into());
    }
    let db = ctx.env.d1("DB")?;
    let k = KeyFor { workspace_id, member_id: &member_id, role, label: asked.label.as_deref(), scopes: &asked.scopes };
    let (body, statements) = new_key(&db, ctx, principal, &k, &now_iso())?;
    db.batch(statements).await?;
    json_response(201, &body)
}

pub async fn list(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
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
    let mut audit = AuditEntry::by("revoke_api_key", principal, &ctx.correlation_id, Outcome::Succeeded);
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
