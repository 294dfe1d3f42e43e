//! Connecting Meta: a system-user token posted by an admin, or the OAuth dialog (code, then a
//! long-lived token). Tokens are checked with `debug_token`, sealed in the vault and never
//! returned, logged or audited. Then ad accounts are discovered and bound.

use super::body::json_body;
use crate::api_keys::{Need, Principal};
use crate::audit::{AuditEntry, Outcome};
use crate::failure::graph_problem;
use crate::ports::{GraphCall, Scope};
use crate::problem::Problem;
use crate::records::{self, FieldError, NewAdAccount};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, now_millis, opt_text, text};
use crate::runtime::services::governed;
use crate::runtime::services::tokens::{app_token, client as graph, inspect, keyring, random_bytes, token_health_of};
use crate::token_health::TokenHealth;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

const PUBLIC_COLUMNS: &str = "id, workspace_id, kind, status, meta_user_id, token_key_id, token_expires_at, scopes, created_at, updated_at";

/// Seals the token and stores the integration with its audit row, in one batch.
async fn store_integration(
    ctx: &RequestContext,
    actor: &str,
    member_id: Option<&str>,
    workspace_id: &str,
    kind: &str,
    token: &str,
    health: &TokenHealth,
) -> HandlerResult {
    if !health.usable() {
        let why = health.error.clone().unwrap_or_else(|| format!("missing scopes: {}", health.missing_scopes.join(", ")));
        return Err(Problem::invalid_field("access_token", format!("Meta does not accept this token for ads work ({why})")).into());
    }
    let ring = keyring(ctx)?;
    let id = new_id("int");
    let sealed = ring.seal(token, &id, random_bytes::<12>()?);
    let now = now_iso();
    let expires = health.expires_at.map(|e| crate::timefmt::iso_from_millis(e * 1_000));
    let public = json!({
        "id": id, "workspace_id": workspace_id, "kind": kind, "status": "active",
        "meta_user_id": health.meta_user_id, "token_key_id": ring.active_id(), "token_expires_at": expires,
        "scopes": health.scopes, "created_at": now, "updated_at": now,
    });
    let mut audit = AuditEntry::new("connect_meta", actor, &ctx.correlation_id, Outcome::Succeeded);
    audit.actor_member_id = member_id.map(str::to_string);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.external_id = Some(id.clone());
    audit.risk_tier = Some("execute_high".into());
    audit.after = Some(public.clone());
    let db = ctx.env.d1("DB")?;
    db.batch(vec![
        db.prepare(
            "INSERT INTO integrations (id, workspace_id, kind, status, meta_user_id, token_ciphertext, token_key_id, token_expires_at, scopes, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        )
        .bind(&[
            text(&id),
            text(workspace_id),
            text(kind),
            opt_text(health.meta_user_id.as_deref()),
            text(&sealed),
            text(ring.active_id()),
            opt_text(expires.as_deref()),
            text(&json!(health.scopes).to_string()),
            text(&now),
        ])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    json_response(201, &json!({ "integration": public, "token_health": health }))
}

/// `POST /v1/workspaces/{id}/integrations` with `{"access_token": "..."}` (a system-user token).
pub async fn connect_system_user(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str) -> HandlerResult {
    let body = json_body(req).await?;
    let obj = body.as_object().ok_or(FieldError { field: "body".into(), reason: "must be a JSON object".into() })?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "access_token") {
        return Err(FieldError { field: k.clone(), reason: "unknown field; allowed: access_token".into() }.into());
    }
    let token = obj.get("access_token").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty() && t.len() <= 1024);
    let token = token.ok_or(FieldError { field: "access_token".into(), reason: "is required".into() })?;
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    let health = inspect(ctx, token).await?;
    // Meta says what kind of token it is: a system user's, or a person's (which expires).
    let kind = if health.token_type.as_deref() == Some("SYSTEM_USER") { "system_user" } else { "oauth_user" };
    store_integration(ctx, &principal.actor(), principal.member_id(), workspace_id, kind, token, &health).await
}

fn callback_url(req_url: &worker::Url) -> String {
    format!("{}/v1/meta/connect/callback", req_url.origin().ascii_serialization())
}

/// `GET /v1/meta/connect/start?workspace_id=...`: Meta's dialog URL with a signed, expiring
/// state, and a cookie that binds the flow to this browser: the callback completes only where
/// that cookie comes back, so a dialog URL seen by someone else is useless to them.
pub async fn connect_start(req: &Request, ctx: &RequestContext, principal: &Principal) -> HandlerResult {
    let url = req.url()?;
    let ws = url.query_pairs().find(|(k, _)| k == "workspace_id").map(|(_, v)| v.into_owned());
    let ws = ws.ok_or(FieldError { field: "workspace_id".into(), reason: "is required".into() })?;
    crate::api_keys::authorize(principal, Need::Admin(&ws)).map_err(|d| HandlerError::from(Problem::forbidden(d.0)))?;
    crate::db::workspaces::must_exist(&ctx.services, &ws).await?;
    let secret = ctx
        .var("ADGATE_STATE_SECRET")
        .ok_or_else(|| HandlerError::from(Problem::new("misconfigured", "Misconfigured", 500, "the ADGATE_STATE_SECRET secret is not set")))?;
    let app_id =
        ctx.var("META_APP_ID").ok_or_else(|| HandlerError::from(Problem::new("meta-misconfigured", "Meta Misconfigured", 500, "META_APP_ID is not set")))?;
    let nonce = hex::encode(random_bytes::<8>()?);
    let binding = hex::encode(random_bytes::<24>()?);
    let state = crate::oauth_state::sign(&secret, &ws, now_millis() / 1_000, &nonce, &binding);
    let dialog_base = ctx.var("META_DIALOG_BASE_URL").unwrap_or_else(|| "https://www.facebook.com".into());
    let version = ctx.var("META_API_VERSION").unwrap_or_else(|| crate::config::DEFAULT_META_API_VERSION.into());
    let mut dialog = worker::Url::parse(&format!("{}/{version}/dialog/oauth", dialog_base.trim_end_matches('/')))
        .map_err(|e| HandlerError::Internal(format!("META_DIALOG_BASE_URL: {e}")))?;
    dialog
        .query_pairs_mut()
        .append_pair("client_id", &app_id)
        .append_pair("redirect_uri", &callback_url(&url))
        .append_pair("state", &state)
        .append_pair("scope", "ads_management,ads_read,business_management");
    let mut resp = worker::Response::from_json(&json!({
        "url": dialog.to_string(), "expires_in": crate::oauth_state::LIFETIME_SECS,
        "note": "open the url in the browser that made this request: the callback checks the cookie set here",
    }))?;
    resp.headers_mut().set("Set-Cookie", &crate::oauth_state::binding_cookie(&binding))?;
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `GET /v1/meta/connect/callback?code=...&state=...`: Meta redirects the admin's browser here.
/// The signed state stands in for the API key.
pub async fn connect_callback(req: &Request, ctx: &RequestContext) -> HandlerResult {
    let url = req.url()?;
    let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    if let Some(err) = q("error") {
        return Err(Problem::new(
            "meta-connect-denied",
            "Meta Connection Declined",
            400,
            format!("Meta returned {err}: {}", q("error_description").unwrap_or_default()),
        )
        .into());
    }
    let (code, state) = (
        q("code").ok_or(FieldError { field: "code".into(), reason: "is required".into() })?,
        q("state").ok_or(FieldError { field: "state".into(), reason: "is required".into() })?,
    );
    let secret = ctx
        .var("ADGATE_STATE_SECRET")
        .ok_or_else(|| HandlerError::from(Problem::new("misconfigured", "Misconfigured", 500, "the ADGATE_STATE_SECRET secret is not set")))?;
    let cookies = req.headers().get("Cookie").ok().flatten();
    let binding = crate::oauth_state::binding_from_cookies(cookies.as_deref());
    let ws =
        crate::oauth_state::verify(&secret, &state, now_millis() / 1_000, binding).map_err(|why| HandlerError::from(Problem::invalid_field("state", why)))?;
    let app_id = ctx.var("META_APP_ID").unwrap_or_default();
    let app_secret = ctx.var("META_APP_SECRET").unwrap_or_default();
    let client = graph(ctx, &app_token(ctx)?)?;
    // POST keeps the client secret out of URLs.
    let exchange = |pairs: Vec<(&str, String)>| {
        let mut p: Vec<(String, String)> = vec![("client_id".into(), app_id.clone()), ("client_secret".into(), app_secret.clone())];
        p.extend(pairs.into_iter().map(|(k, v)| (k.to_string(), v)));
        p
    };
    let (short, _) = client.post("oauth/access_token", &exchange(vec![("redirect_uri", callback_url(&url)), ("code", code)])).await.map_err(|f| {
        // A used, expired or mismatched code is the caller's to fix: start the flow again.
        let mut p = graph_problem(&f);
        if f.class() == crate::graph::ErrorClass::Permanent {
            p.status = 400;
            p.title = "Meta Connection Failed".into();
        }
        HandlerError::from(p)
    })?;
    let short = short["access_token"].as_str().ok_or_else(|| HandlerError::Internal("code exchange returned no token".into()))?.to_string();
    let (long, _) = client.post("oauth/access_token", &exchange(vec![("grant_type", "fb_exchange_token".into()), ("fb_exchange_token", short)])).await?;
    let long = long["access_token"].as_str().ok_or_else(|| HandlerError::Internal("token exchange returned no token".into()))?.to_string();
    let health = inspect(ctx, &long).await?;
    store_integration(ctx, "meta-oauth", None, &ws, "oauth_user", &long, &health).await
}

pub async fn list(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    let rows = ctx
        .env
        .d1("DB")?
        .prepare(format!("SELECT {PUBLIC_COLUMNS} FROM integrations WHERE workspace_id = ?1 ORDER BY created_at, id"))
        .bind(&[text(workspace_id)])?
        .all()
        .await?
        .results::<Value>()?;
    json_response(200, &json!({ "data": rows }))
}

pub async fn health(ctx: &RequestContext, workspace_id: &str, integration_id: &str) -> HandlerResult {
    let h = token_health_of(ctx, workspace_id, integration_id).await?;
    json_response(200, &json!({ "integration_id": integration_id, "token_health": h }))
}

/// Every ad account the integration's token can see (all pages), marked bindable or not.
pub async fn discover(ctx: &RequestContext, workspace_id: &str, integration_id: &str) -> HandlerResult {
    let ws = crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    let params = vec![("fields".to_string(), "account_id,name,currency,timezone_name,account_status".to_string()), ("limit".to_string(), "100".to_string())];
    let scope = Scope { workspace_id, integration_id: Some(integration_id), ad_account_id: None, api_version: None };
    let (accounts, calls) = governed::call(ctx, &scope, GraphCall::AllPages("me/adaccounts"), &params).await?;
    let accounts = accounts.as_array().cloned().unwrap_or_default();
    let currency = ws["currency"].as_str().unwrap_or_default();
    let data: Vec<Value> = accounts
        .into_iter()
        .map(|mut a| {
            let same = a["currency"].as_str() == Some(currency);
            a["bindable"] = json!(same);
            if !same {
                a["reason"] = json!(format!("the account reports in {} but the workspace reports in {currency}", a["currency"].as_str().unwrap_or("?")));
            }
            a
        })
        .collect();
    json_response(200, &json!({ "data": data, "graph_calls": calls }))
}

/// Binds an account the integration can see, with the currency and time zone Meta reports.
/// Everything that can be refused from D1 is refused first (an account another workspace
/// holds, or this one already has), and the one Graph call that proves access is charged to
/// the caller's own integration, never to the account's gate: a refused or failed bind costs
/// the account's owner nothing.
pub async fn bind(req: Request, ctx: &RequestContext, principal: &Principal, workspace_id: &str, integration_id: &str) -> HandlerResult {
    let body = json_body(req).await?;
    let obj = body.as_object().ok_or(FieldError { field: "body".into(), reason: "must be a JSON object".into() })?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "account_id") {
        return Err(FieldError { field: crate::problem::excerpt(k), reason: "unknown field; allowed: account_id".into() }.into());
    }
    let raw = obj.get("account_id").and_then(Value::as_str).ok_or(FieldError { field: "account_id".into(), reason: "is required".into() })?;
    let account = records::normalise_account_id(raw)
        .ok_or(FieldError { field: "account_id".into(), reason: "must be a Meta ad account id such as act_1234567890".into() })?;
    crate::db::workspaces::must_exist(&ctx.services, workspace_id).await?;
    super::workspaces::refuse_verified_binding(ctx, workspace_id, &account).await?;
    let scope = Scope { workspace_id, integration_id: Some(integration_id), ad_account_id: Some(&account), api_version: None };
    let fields = [("fields".to_string(), "account_id,name,currency,timezone_name".to_string())];
    let (meta, _) = governed::call(ctx, &scope, GraphCall::Verify(&format!("act_{account}")), &fields).await.map_err(|e| e.refused_as_field("account_id"))?;
    let new = NewAdAccount {
        account_id: account,
        name: meta["name"].as_str().unwrap_or("").to_string(),
        currency: meta["currency"].as_str().unwrap_or("").to_string(),
        timezone_name: meta["timezone_name"].as_str().unwrap_or("UTC").to_string(),
    };
    super::workspaces::bind_validated(ctx, principal, workspace_id, new, Some(integration_id)).await
}

#[derive(Deserialize)]
struct BoundRow {
    workspace_id: String,
    integration_id: Option<String>,
}

/// `GET /v1/ad-accounts/{id}/meta`: the account as Meta has it now, read through its
/// integration and its gate.
pub async fn account_from_meta(ctx: &RequestContext, principal: &Principal, raw_account: &str) -> HandlerResult {
    let account = records::normalise_account_id(raw_account)
        .ok_or(FieldError { field: "account_id".into(), reason: "must be a Meta ad account id such as act_1234567890".into() })?;
    let row = ctx
        .env
        .d1("DB")?
        .prepare("SELECT workspace_id, integration_id FROM ad_accounts WHERE id = ?1")
        .bind(&[text(&account)])?
        .first::<BoundRow>(None)
        .await?
        .filter(|r| principal.workspace().is_none_or(|w| w == r.workspace_id))
        .ok_or_else(|| HandlerError::from(Problem::new("not-found", "Not Found", 404, format!("no ad account act_{account} in this workspace"))))?;
    let iid = row
        .integration_id
        .ok_or_else(|| HandlerError::from(Problem::conflict(format!("ad account act_{account} has no Meta integration; bind it through one"))))?;
    let scope = Scope { workspace_id: &row.workspace_id, integration_id: Some(&iid), ad_account_id: Some(&account), api_version: None };
    let fields = [("fields".to_string(), "account_id,name,currency,timezone_name,account_status,disable_reason,amount_spent,spend_cap".to_string())];
    let (meta, _) = governed::call(ctx, &scope, GraphCall::Object(&format!("act_{account}")), &fields).await?;
    json_response(200, &meta)
}
