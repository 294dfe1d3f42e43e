//! Workspace members: the people behind the keys. Adding a member issues its first key (shown
//! once), in the same batch as the member and both audit rows. Four-eyes compares members.

use super::body::json_body;
use crate::api_keys::{self, Principal};
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, text};
use serde_json::{json, Value};
use worker::Request;

const COLUMNS: &str = "id, workspace_id, name, email, role, created_by, created_at, updated_at";

/// `POST /v1/workspaces/{id}/members` with `{"name", "email", "role", "key_label"?}`: the
/// bootstrap key adds anyone; a workspace admin adds recruiters.
pub async fn create(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str) -> HandlerResult {
    let input = records::new_member(&json_body(req).await?)?;
    api_keys::may_create_member(principal, workspace_id, input.role).map_err(|d| HandlerError::from(Problem::forbidden(d.0)))?;
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    let db = ctx.env.d1("DB")?;
    let id = new_id("mem");
    let now = now_iso();
    let member = json!({
        "id": id, "workspace_id": workspace_id, "name": input.name, "email": input.email, "role": input.role.as_str(),
        "created_by": principal.person(), "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::by("create_member", principal, &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.external_id = Some(id.clone());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(member.clone());
    let mut statements = vec![
        db.prepare(format!("INSERT INTO members ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)")).bind(&[
            text(&id),
            text(workspace_id),
            text(&input.name),
            text(&input.email),
            text(input.role.as_str()),
            text(&principal.person()),
            text(&now),
        ])?,
        audit_statement(&db, &audit, &now)?,
    ];
    let first = super::api_keys::KeyFor { workspace_id, member_id: &id, role: input.role, label: input.key_label.as_deref(), scopes: &[] };
    let (key, key_statements) = super::api_keys::new_key(&db, ctx, principal, &first, &now)?;
    statements.extend(key_statements);
    match db.batch(statements).await {
        Ok(_) => json_response(201, &json!({ "member": member, "key": key })),
        Err(e) if e.to_string().contains("UNIQUE") => Err(Problem::conflict("a member with this e-mail already exists in the workspace").into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(format!(
            "SELECT {COLUMNS}, (SELECT COUNT(*) FROM api_keys k WHERE k.member_id = members.id AND k.revoked_at IS NULL) AS live_keys \
             FROM members WHERE workspace_id = ?1 ORDER BY created_at, id"
        ))
        .bind(&[text(workspace_id)])?
        .all()
        .await?
        .results::<Value>()?;
    json_response(200, &json!({ "data": rows }))
}

/// `GET /v1/me`: the presented key's workspace, member and role, so a console shows what the
/// role may do (the server still decides every call). Never the key itself.
pub async fn me(ctx: &RequestContext, p: &Principal) -> HandlerResult {
    match p {
        Principal::Bootstrap => json_response(200, &json!({ "role": "bootstrap", "workspace_id": null, "member_id": null, "key_id": null })),
        Principal::Key { key_id, member_id, workspace_id, role } => {
            let name = ctx
                .env
                .d1("DB")?
                .prepare("SELECT name FROM members WHERE id = ?1 AND workspace_id = ?2")
                .bind(&[text(member_id), text(workspace_id)])?
                .first::<Value>(Some("name"))
                .await?;
            json_response(200, &json!({ "role": role.as_str(), "workspace_id": workspace_id, "member_id": member_id, "member_name": name, "key_id": key_id }))
        }
    }
}
