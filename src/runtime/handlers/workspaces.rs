//! Workspaces and the ad accounts bound to them: the first D1-backed resources. Each mutation
//! writes its row and its audit row in one D1 batch, so neither exists without the other.

use super::body::json_body;
use crate::api_keys::Principal;
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records::{self, NewAdAccount};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, text};
use serde_json::{json, Value};
use worker::{D1Database, Request};

const WORKSPACE_COLUMNS: &str = "id, name, currency, timezone_name, created_at, updated_at";
const ACCOUNT_COLUMNS: &str = "id, workspace_id, integration_id, name, currency, timezone_name, status, verified, last_synced_at, created_at, updated_at";

pub async fn create_workspace(req: Request, ctx: &RequestContext, principal: &Principal) -> HandlerResult {
    let input = records::new_workspace(&json_body(req).await?)?;
    let db = ctx.env.d1("DB")?;
    let id = new_id("ws");
    let now = now_iso();
    let after = json!({
        "id": id, "name": input.name, "currency": input.currency,
        "timezone_name": input.timezone_name, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::by("create_workspace", principal, &ctx.correlation_id, Outcome::Succeeded);
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
    json_response(200, &crate::db::workspaces::must_exist(&ctx.services, id).await?)
}

pub async fn bind_ad_account(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str) -> HandlerResult {
    let input = records::new_ad_account(&json_body(req).await?)?;
    bind_validated(ctx, principal, workspace_id, input, None).await
}

#[derive(serde::Deserialize)]
struct Binding {
    workspace_id: String,
    verified: i64,
}

async fn binding_of(db: &D1Database, account: &str) -> Result<Option<Binding>, HandlerError> {
    Ok(db.prepare("SELECT workspace_id, verified FROM ad_accounts WHERE id = ?1").bind(&[text(account)])?.first::<Binding>(None).await?)
}

/// The 409 for an account that is taken; it never names the other workspace.
fn already_bound(here: bool, account: &str) -> HandlerError {
    let whose = if here { "this workspace" } else { "another workspace" };
    Problem::conflict(format!("ad account act_{account} is already bound to {whose}")).into()
}

/// Refuses, from D1 alone, a bind through an integration that could not take the account: a
/// verified binding (here or elsewhere) already holds it.
pub async fn refuse_verified_binding(ctx: &RequestContext, workspace_id: &str, account: &str) -> Result<(), HandlerError> {
    match binding_of(&ctx.env.d1("DB")?, account).await? {
        Some(b) if b.verified == 1 => Err(already_bound(b.workspace_id == workspace_id, account)),
        _ => Ok(()),
    }
}

/// Binds an account to a workspace: same currency only, one workspace per account; the row and
/// its audit row are written together. A bind through an integration (Meta showed the
/// workspace's own token the account) is verified, and takes over an unverified manual binding,
/// here or in another workspace, which is told in its own audit log; a manual bind never
/// displaces anyone.
pub async fn bind_validated(
    ctx: &RequestContext,
    principal: &Principal,
    workspace_id: &str,
    input: NewAdAccount,
    integration_id: Option<&str>,
) -> HandlerResult {
    let db = ctx.env.d1("DB")?;
    let workspace = crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    records::check_currency(workspace["currency"].as_str().unwrap_or_default(), &input)?;
    let verified = integration_id.is_some();
    let existing = binding_of(&db, &input.account_id).await?;
    let takeover = match &existing {
        None => false,
        Some(b) if verified && b.verified == 0 => true,
        Some(b) => return Err(already_bound(b.workspace_id == workspace_id, &input.account_id)),
    };

    let now = now_iso();
    let after = json!({
        "id": input.account_id, "workspace_id": workspace_id, "integration_id": integration_id, "name": input.name,
        "currency": input.currency, "timezone_name": input.timezone_name, "status": "active", "verified": verified,
        "last_synced_at": null, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::by("bind_ad_account", principal, &ctx.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.ad_account_id = Some(input.account_id.clone());
    audit.external_id = Some(format!("act_{}", input.account_id));
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(after.clone());
    let values = [
        text(&input.account_id),
        text(workspace_id),
        crate::runtime::d1::opt_text(integration_id),
        text(&input.name),
        text(&input.currency),
        text(&input.timezone_name),
        text(&now),
        crate::runtime::d1::int(i64::from(verified)),
    ];
    let main = if takeover {
        "UPDATE ad_accounts SET workspace_id = ?2, integration_id = ?3, name = ?4, currency = ?5, timezone_name = ?6, status = 'active', \
         verified = ?8, last_synced_at = NULL, updated_at = ?7 WHERE id = ?1 AND verified = 0"
    } else {
        "INSERT INTO ad_accounts (id, workspace_id, integration_id, name, currency, timezone_name, status, created_at, updated_at, verified) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7, ?8)"
    };
    let mut statements = vec![db.prepare(main).bind(&values)?];
    if let (true, Some(old)) = (takeover, &existing) {
        audit.before = Some(json!({ "verified": false, "replaced_unverified_binding": true }));
        if old.workspace_id != workspace_id {
            let mut told = AuditEntry::new("unbind_ad_account", "adgate", &ctx.correlation_id, Outcome::Succeeded);
            told.workspace_id = Some(old.workspace_id.clone());
            told.ad_account_id = Some(input.account_id.clone());
            told.external_id = Some(format!("act_{}", input.account_id));
            told.risk_tier = Some("execute_low".into());
            told.after =
                Some(json!({ "reason": "a workspace whose Meta integration can see this account bound it; an unverified binding yields to a verified one" }));
            statements.push(audit_statement(&db, &told, &now)?);
        }
    }
    statements.push(audit_statement(&db, &audit, &now)?);
    match db.batch(statements).await {
        Ok(results) => {
            let changed = results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(1);
            if changed == 0 {
                // Another verified bind won the race for the unverified binding.
                return Err(already_bound(false, &input.account_id));
            }
            if integration_id.is_some() {
                super::sync::backfill_on_bind(ctx, workspace_id, &input.account_id).await;
            }
            json_response(201, &after)
        }
        // A concurrent bind of the same account lost the race on the primary key.
        Err(e) if e.to_string().contains("UNIQUE") => match binding_of(&db, &input.account_id).await? {
            Some(b) => Err(already_bound(b.workspace_id == workspace_id, &input.account_id)),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

pub async fn list_ad_accounts(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
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
