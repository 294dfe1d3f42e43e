//! Workspaces and the ad accounts bound to them: the first D1-backed resources. Each mutation
//! writes its row and its audit row in one D1 batch, so neither exists without the other.

use super::json_body;
use crate::api_keys::Principal;
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records::{self, NewAdAccount};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, text};
use serde_json::{json, Value};
use worker::{D1Database, Request};

const WORKSPACE_COLUMNS: &str = "id, name, currency, timezone_name, created_at, updated_at";
const ACCOUNT_COLUMNS: &str = "id, workspace_id, integration_id, name, currency, timezone_name, status, last_synced_at, created_at, updated_at";

/// The workspace row, or a 404 problem.
pub async fn workspace_must_exist(ctx: &RequestContext, id: &str) -> Result<Value, HandlerError> {
    ctx.env
        .d1("DB")?
        .prepare(format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?1"))
        .bind(&[text(id)])?
        .first::<Value>(None)
        .await?
        .ok_or_else(|| Problem::new("not-found", "Not Found", 404, format!("no workspace {id}")).into())
}

pub async fn create_workspace(req: Request, ctx: &RequestContext, principal: &Principal) -> HandlerResult {
    let input = records::new_workspace(&json_body(req).await?)?;
    let db = ctx.env.d1("DB")?;
    let id = new_id("ws");
    let now = now_iso();
    let after = json!({
        "id": id, "name": input.name, "currency": input.currency,
        "timezone_name": input.timezone_name, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::new("create_workspace", &principal.actor(), &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(id.clone());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(after.clone());
    db.batch(vec![
        db.prepare(format!("INSERT INTO workspaces ({WORKSPACE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?5)")).bind(&[
            text(&id),
            text(&input.name),
            text(&input.currency),
            text(&input.timezone_name),
            text(&now),
        ])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    json_response(201, &after)
}

pub async fn get_workspace(ctx: &RequestContext, id: &str) -> HandlerResult {
    json_response(200, &workspace_must_exist(ctx, id).await?)
}

pub async fn bind_ad_account(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str) -> HandlerResult {
    let input = records::new_ad_account(&json_body(req).await?)?;
    bind_validated(ctx, principal, workspace_id, input, None).await
}

/// Binds an account to a workspace: same currency only, one workspace per account; the row and
/// its audit row are written together.
pub async fn bind_validated(
    ctx: &RequestContext,
    principal: &Principal,
    workspace_id: &str,
    input: NewAdAccount,
    integration_id: Option<&str>,
) -> HandlerResult {
    let db = ctx.env.d1("DB")?;
    let workspace = workspace_must_exist(ctx, workspace_id).await?;
    records::check_currency(workspace["currency"].as_str().unwrap_or_default(), &input)?;
    refuse_if_bound(&db, &input).await?;

    let now = now_iso();
    let after = json!({
        "id": input.account_id, "workspace_id": workspace_id, "integration_id": integration_id, "name": input.name,
        "currency": input.currency, "timezone_name": input.timezone_name, "status": "active",
        "last_synced_at": null, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::new("bind_ad_account", &principal.actor(), &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.ad_account_id = Some(input.account_id.clone());
    audit.external_id = Some(format!("act_{}", input.account_id));
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(after.clone());
    let insert = db
        .prepare(
            "INSERT INTO ad_accounts (id, workspace_id, integration_id, name, currency, timezone_name, status, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7)",
        )
        .bind(&[
            text(&input.account_id),
            text(workspace_id),
            crate::runtime::d1::opt_text(integration_id),
            text(&input.name),
            text(&input.currency),
            text(&input.timezone_name),
            text(&now),
        ])?;
    match db.batch(vec![insert, audit_statement(&db, &audit, &now)?]).await {
        Ok(_) => {
            if integration_id.is_some() {
                super::sync::backfill_on_bind(ctx, workspace_id, &input.account_id).await;
            }
            json_response(201, &after)
        }
        // A concurrent bind of the same account lost the race on the primary key.
        Err(e) if e.to_string().contains("UNIQUE") => refuse_if_bound(&db, &input).await.and_then(|_| Err(e.into())),
        Err(e) => Err(e.into()),
    }
}

/// An ad account belongs to at most one workspace.
async fn refuse_if_bound(db: &D1Database, input: &NewAdAccount) -> Result<(), HandlerError> {
    let existing = db.prepare("SELECT workspace_id FROM ad_accounts WHERE id = ?1").bind(&[text(&input.account_id)])?.first::<Value>(None).await?;
    match existing {
        None => Ok(()),
        Some(row) => {
            Err(Problem::conflict(format!("ad account act_{} is already bound to workspace {}", input.account_id, row["workspace_id"].as_str().unwrap_or("?")))
                .into())
        }
    }
}

pub async fn list_ad_accounts(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    workspace_must_exist(ctx, workspace_id).await?;
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(format!("SELECT {ACCOUNT_COLUMNS} FROM ad_accounts WHERE workspace_id = ?1 ORDER BY created_at, id"))
        .bind(&[text(workspace_id)])?
        .all()
        .await?
        .results::<Value>()?;
    json_response(200, &json!({ "data": rows }))
}
