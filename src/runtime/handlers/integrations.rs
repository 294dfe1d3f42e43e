//! Connecting Meta: a system-user token posted by an admin, or the OAuth dialog (code, then a
//! long-lived token). Tokens are checked with `debug_token`, sealed in the vault and never
//! returned, logged or audited. Then ad accounts are discovered and bound.

use super::json_body;
use super::meta::graph_problem;
use super::meta_events::{self, Scope};
use crate::api_keys::{Need, Principal};
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records::{self, FieldError, NewAdAccount};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, new_id, now_iso, now_millis, opt_text, text};
use crate::runtime::graph_fetch::client_for;
use crate::token_health::{self, TokenHealth};
use crate::vault::Keyring;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

const PUBLIC_COLUMNS: &str = "id, workspace_id, kind, status, meta_user_id, token_key_id, token_expires_at, scopes, created_at, updated_at";

fn keyring(ctx: &RequestContext) -> Result<Keyring, HandlerError> {
    let spec = ctx.var("TOKEN_VAULT_KEYS").unwrap_or_default();
    Keyring::parse(&spec).map_err(|e| Problem::new("vault-misconfigured", "Token Vault Misconfigured", 500, e.to_string()).into())
}

fn app_token(ctx: &RequestContext) -> Result<String, HandlerError> {
    match (ctx.var("META_APP_ID"), ctx.var("META_APP_SECRET")) {
        (Some(id), Some(secret)) => Ok(format!("{id}|{secret}")),
        _ => Err(Problem::new("meta-misconfigured", "Meta Misconfigured", 500, "META_APP_ID and the META_APP_SECRET secret must be set").into()),
    }
}

fn graph(
    ctx: &RequestContext,
    token: &str,
) -> Result<crate::graph::GraphClient<crate::runtime::graph_fetch::WorkerFetch, crate::runtime::graph_fetch::WorkerSleep>, HandlerError> {
    client_for(&ctx.env, token).map_err(|e| Problem::new("meta-misconfigured", "Meta Misconfigured", 500, e).into())
}

/// Asks Meta about a token with the app's own token. The token under inspection goes in a POST
/// body (Graph's `method=GET` override), never in a URL, where proxies and logs would see it.
async fn inspect(ctx: &RequestContext, token: &str) -> Result<TokenHealth, HandlerError> {
    let app = app_token(ctx)?;
    let (body, _) = graph(ctx, &app)?
        .get_in_body("debug_token", &[("input_token".to_string(), token.to_string())])
        .await
        .map_err(|f| HandlerError::from(graph_problem(&f)))?;
    Ok(token_health::from_debug_token(&body))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], HandlerError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| HandlerError::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

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
    super::workspace_must_exist(ctx, workspace_id).await?;
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
    super::workspace_must_exist(ctx, &ws).await?;
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
    let (long, _) = client
        .post("oauth/access_token", &exchange(vec![("grant_type", "fb_exchange_token".into()), ("fb_exchange_token", short)]))
        .await
        .map_err(|f| HandlerError::from(graph_problem(&f)))?;
    let long = long["access_token"].as_str().ok_or_else(|| HandlerError::Internal("token exchange returned no token".into()))?.to_string();
    let health = inspect(ctx, &long).await?;
    store_integration(ctx, "meta-oauth", None, &ws, "oauth_user", &long, &health).await
}

#[derive(Deserialize)]
struct SealedRow {
    token_ciphertext: Option<String>,
    status: String,
}

/// Opens the integration's token (it must belong to the workspace and be active).
async fn integration_token(ctx: &RequestContext, workspace_id: &str, integration_id: &str) -> Result<String, HandlerError> {
    let row = ctx
        .env
        .d1("DB")?
        .prepare("SELECT token_ciphertext, status FROM integrations WHERE id = ?1 AND workspace_id = ?2")
        .bind(&[text(integration_id), text(workspace_id)])?
        .first::<SealedRow>(None)
        .await?
        .ok_or_else(|| {
            HandlerError::from(Problem::new("not-found", "Not Found", 404, format!("no integration {integration_id} in workspace {workspace_id}")))
        })?;
    if row.status != "active" {
        return Err(Problem::conflict(format!("integration {integration_id} is {}", row.status)).into());
    }
    let sealed = row.token_ciphertext.ok_or_else(|| HandlerError::Internal("integration without a token".into()))?;
    keyring(ctx)?.open(&sealed, integration_id).map_err(|e| HandlerError::Internal(format!("vault: {e}")))
}

pub async fn list(ctx: &RequestContext, workspace_id: &str) -> HandlerResult {
    super::workspace_must_exist(ctx, workspace_id).await?;
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

/// Live token health from Meta.
pub async fn token_health_of(ctx: &RequestContext, workspace_id: &str, integration_id: &str) -> Result<TokenHealth, HandlerError> {
    let token = integration_token(ctx, workspace_id, integration_id).await?;
    inspect(ctx, &token).await
}

pub async fn health(ctx: &RequestContext, workspace_id: &str, integration_id: &str) -> HandlerResult {
    let h = token_health_of(ctx, workspace_id, integration_id).await?;
    json_response(200, &json!({ "integration_id": integration_id, "token_health": h }))
}

fn is_auth_failure(e: &HandlerError) -> bool {
    matches!(e, HandlerError::Problem(p) if p.extensions.get("graph_error_class").and_then(Value::as_str) == Some("auth"))
}

/// What to ask Graph for through an integration.
#[derive(Clone, Copy)]
pub enum GraphCall<'a> {
    /// One object (GET).
    Object(&'a str),
    /// One object read to prove the integration sees it, before it is bound to anyone here:
    /// admitted by the integration's own gate (`int:{id}`), not the object's account's, though
    /// what Meta answers is recorded against the account.
    Verify(&'a str),
    /// Every page of an edge (GET).
    AllPages(&'a str),
    /// A write: POST or DELETE.
    Write(&'a str, &'a str),
}

/// One Graph call through the integration's token. When Meta refuses the token (190), the token
/// gets one just-in-time refresh and the call one more try (a refused call did nothing, so this
/// holds for writes too); if the refresh cannot help, `refresh` has marked the integration expired
/// and the 401 problem stands. Returns the body (an array for `AllPages`) and the calls made.
pub async fn call_through(ctx: &RequestContext, scope: &Scope<'_>, call: GraphCall<'_>, params: &[(String, String)]) -> Result<(Value, u32), HandlerError> {
    let iid = scope.integration_id.unwrap_or_default();
    let attempt = |token: String| async move {
        let client = graph(ctx, &token)?;
        match call {
            GraphCall::AllPages(path) => meta_events::all_pages(ctx, scope, &client, path, params).await.map(|(rows, calls)| (Value::Array(rows), calls)),
            GraphCall::Object(path) => meta_events::call(ctx, scope, &client, "GET", path, params).await.map(|v| (v, 1)),
            GraphCall::Verify(path) => {
                let own_gate = format!("int:{iid}");
                meta_events::call_admitted_by(ctx, scope, &client, "GET", path, params, Some(&own_gate)).await.map(|v| (v, 1))
            }
            GraphCall::Write(method, path) => meta_events::call(ctx, scope, &client, method, path, params).await.map(|v| (v, 1)),
        }
    };
    match attempt(integration_token(ctx, scope.workspace_id, iid).await?).await {
        Err(e) if is_auth_failure(&e) => {
            match refresh(ctx, scope.workspace_id, iid, refresh_audit(ctx, "jit-recovery", scope.workspace_id, iid)).await {
                // A fresh token, or the same one Meta still accepts (the session was dropped, not the token).
                Ok(after) if after["status"] == "active" => attempt(integration_token(ctx, scope.workspace_id, iid).await?).await,
                _ => Err(e),
            }
        }
        other => other,
    }
}

async fn read_through(ctx: &RequestContext, scope: &Scope<'_>, path: &str, params: &[(String, String)], all_pages: bool) -> Result<(Value, u32), HandlerError> {
    call_through(ctx, scope, if all_pages { GraphCall::AllPages(path) } else { GraphCall::Object(path) }, params).await
}

/// Every ad account the integration's token can see (all pages), marked bindable or not.
pub async fn discover(ctx: &RequestContext, workspace_id: &str, integration_id: &str) -> HandlerResult {
    let ws = super::workspace_must_exist(ctx, workspace_id).await?;
    let params = vec![("fields".to_string(), "account_id,name,currency,timezone_name,account_status".to_string()), ("limit".to_string(), "100".to_string())];
    let scope = Scope { workspace_id, integration_id: Some(integration_id), ad_account_id: None };
    let (accounts, calls) = read_through(ctx, &scope, "me/adaccounts", &params, true).await?;
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
    super::workspace_must_exist(ctx, workspace_id).await?;
    super::workspaces::refuse_verified_binding(ctx, workspace_id, &account).await?;
    let scope = Scope { workspace_id, integration_id: Some(integration_id), ad_account_id: Some(&account) };
    let fields = [("fields".to_string(), "account_id,name,currency,timezone_name".to_string())];
    let (meta, _) =
        call_through(ctx, &scope, GraphCall::Verify(&format!("act_{account}")), &fields).await.map_err(|e| super::meta::refused_as_field(e, "account_id"))?;
    let new = NewAdAccount {
        account_id: account,
        name: meta["name"].as_str().unwrap_or("").to_string(),
        currency: meta["currency"].as_str().unwrap_or("").to_string(),
        timezone_name: meta["timezone_name"].as_str().unwrap_or("UTC").to_string(),
    };
    super::workspaces::bind_validated(ctx, principal, workspace_id, new, Some(integration_id)).await
}

/// Checks through the integration's token that Meta shows it the account.
pub async fn confirm_access(ctx: &RequestContext, workspace_id: &str, integration_id: &str, account: &str) -> Result<(), HandlerError> {
    let scope = Scope { workspace_id, integration_id: Some(integration_id), ad_account_id: Some(account) };
    read_through(ctx, &scope, &format!("act_{account}"), &[("fields".to_string(), "account_id".to_string())], false).await.map(|_| ())
}

#[derive(Deserialize)]
struct SealedFull {
    id: String,
    token_ciphertext: Option<String>,
    token_key_id: Option<String>,
}

/// Re-seals every token of the workspace not yet under the active vault key, with one audit row
/// (before and after are key ids, never tokens).
pub async fn reseal_workspace_tokens(
    ctx: &RequestContext,
    workspace_id: &str,
    audit_for: impl FnOnce(Value, Value) -> AuditEntry,
) -> Result<(u16, Value), HandlerError> {
    let ring = keyring(ctx)?;
    let db = ctx.env.d1("DB")?;
    let rows = db
        .prepare("SELECT id, token_ciphertext, token_key_id FROM integrations WHERE workspace_id = ?1 AND token_ciphertext IS NOT NULL")
        .bind(&[text(workspace_id)])?
        .all()
        .await?
        .results::<SealedFull>()?;
    let now = now_iso();
    let mut statements = Vec::new();
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    for r in rows.iter().filter(|r| r.token_key_id.as_deref() != Some(ring.active_id())) {
        let sealed = r.token_ciphertext.as_deref().unwrap_or_default();
        let token = ring.open(sealed, &r.id).map_err(|e| HandlerError::Internal(format!("vault: {e}")))?;
        let resealed = ring.seal(&token, &r.id, random_bytes::<12>()?);
        before.insert(r.id.clone(), json!(r.token_key_id));
        after.insert(r.id.clone(), json!(ring.active_id()));
        statements.push(db.prepare("UPDATE integrations SET token_ciphertext = ?2, token_key_id = ?3, updated_at = ?4 WHERE id = ?1").bind(&[
            text(&r.id),
            text(&resealed),
            text(ring.active_id()),
            text(&now),
        ])?);
    }
    let count = statements.len();
    let audit = audit_for(Value::Object(before), Value::Object(after));
    statements.push(audit_statement(&db, &audit, &now)?);
    db.batch(statements).await?;
    Ok((200, json!({ "resealed": count, "key_id": ring.active_id() })))
}

#[derive(Deserialize)]
struct RefreshRow {
    kind: String,
    status: String,
    token_ciphertext: Option<String>,
    token_expires_at: Option<String>,
}

/// Refreshes an integration's token: a person's token is exchanged for a new long-lived one and
/// re-sealed; a system user's is re-checked. A token Meta no longer accepts marks the integration
/// `expired`. One audit row records before and after (expiry and status, never the token).
pub async fn refresh(
    ctx: &RequestContext,
    workspace_id: &str,
    integration_id: &str,
    audit_for: impl FnOnce(Value, Value) -> AuditEntry,
) -> Result<Value, HandlerError> {
    let db = ctx.env.d1("DB")?;
    let row = db
        .prepare("SELECT kind, status, token_ciphertext, token_expires_at FROM integrations WHERE id = ?1 AND workspace_id = ?2")
        .bind(&[text(integration_id), text(workspace_id)])?
        .first::<RefreshRow>(None)
        .await?
        .ok_or_else(|| {
            HandlerError::from(FieldError { field: "integration_id".into(), reason: format!("no integration {integration_id} in this workspace") })
        })?;
    if row.status == "disabled" || row.status == "quarantined" {
        return Err(Problem::conflict(format!("integration {integration_id} is {}", row.status)).into());
    }
    let ring = keyring(ctx)?;
    let token = ring.open(row.token_ciphertext.as_deref().unwrap_or_default(), integration_id).map_err(|e| HandlerError::Internal(format!("vault: {e}")))?;
    let before = json!({ "status": row.status, "token_expires_at": row.token_expires_at });
    let mut health = inspect(ctx, &token).await?;
    let mut sealed = None;
    if health.is_valid && row.kind == "oauth_user" {
        let (app_id, app_secret) = (ctx.var("META_APP_ID").unwrap_or_default(), ctx.var("META_APP_SECRET").unwrap_or_default());
        let params = vec![
            ("grant_type".to_string(), "fb_exchange_token".to_string()),
            ("client_id".to_string(), app_id),
            ("client_secret".to_string(), app_secret),
            ("fb_exchange_token".to_string(), token.clone()),
        ];
        let (body, _) = graph(ctx, &app_token(ctx)?)?.post("oauth/access_token", &params).await.map_err(|f| HandlerError::from(graph_problem(&f)))?;
        let fresh = body["access_token"].as_str().ok_or_else(|| HandlerError::Internal("token exchange returned no token".into()))?.to_string();
        health = inspect(ctx, &fresh).await?;
        sealed = Some(ring.seal(&fresh, integration_id, random_bytes::<12>()?));
    }
    let status = if health.usable() { "active" } else { "expired" };
    let expires = health.expires_at.map(|e| crate::timefmt::iso_from_millis(e * 1_000));
    let after = json!({ "status": status, "token_expires_at": expires, "missing_scopes": health.missing_scopes, "refreshed": sealed.is_some() });
    let now = now_iso();
    let update = match &sealed {
        Some(c) => db
            .prepare("UPDATE integrations SET status = ?2, token_expires_at = ?3, scopes = ?4, token_ciphertext = ?5, token_key_id = ?6, updated_at = ?7 WHERE id = ?1")
            .bind(&[text(integration_id), text(status), opt_text(expires.as_deref()), text(&json!(health.scopes).to_string()), text(c), text(ring.active_id()), text(&now)])?,
        None => db
            .prepare("UPDATE integrations SET status = ?2, token_expires_at = ?3, scopes = ?4, updated_at = ?5 WHERE id = ?1")
            .bind(&[text(integration_id), text(status), opt_text(expires.as_deref()), text(&json!(health.scopes).to_string()), text(&now)])?,
    };
    let audit = audit_for(before, after.clone());
    db.batch(vec![update, audit_statement(&db, &audit, &now)?]).await?;
    Ok(after)
}

/// The audit row of a refresh the gateway starts itself (the daily tick, or recovery from a 190).
fn refresh_audit<'a>(ctx: &'a RequestContext, actor: &'a str, workspace_id: &'a str, integration_id: &'a str) -> impl FnOnce(Value, Value) -> AuditEntry + 'a {
    move |before, after| {
        let mut a = AuditEntry::new("refresh_system_user_token", actor, &ctx.correlation_id, Outcome::Succeeded);
        a.workspace_id = Some(workspace_id.to_string());
        a.external_id = Some(integration_id.to_string());
        a.risk_tier = Some("execute_low".into());
        a.before = Some(before);
        a.after = Some(after);
        a
    }
}

#[derive(Deserialize)]
struct DueRow {
    id: String,
    workspace_id: String,
}

/// The daily tick: refresh every active integration whose token expires within `days`.
/// Returns (refreshed, marked expired); failures are logged and left for the next tick.
pub async fn refresh_due(ctx: &RequestContext, days: i64) -> Result<(usize, usize), HandlerError> {
    let horizon = crate::timefmt::iso_from_millis(now_millis() + days * 86_400_000);
    let due = ctx
        .env
        .d1("DB")?
        .prepare("SELECT id, workspace_id FROM integrations WHERE status = 'active' AND token_expires_at IS NOT NULL AND token_expires_at <= ?1")
        .bind(&[text(&horizon)])?
        .all()
        .await?
        .results::<DueRow>()?;
    let (mut refreshed, mut expired) = (0, 0);
    for r in due {
        match refresh(ctx, &r.workspace_id, &r.id, refresh_audit(ctx, "cron", &r.workspace_id, &r.id)).await {
            Ok(after) if after["status"] == "active" => refreshed += 1,
            Ok(_) => expired += 1,
            Err(_) => worker::console_warn!("token refresh for integration {} failed; retrying on the next tick", r.id),
        }
    }
    Ok((refreshed, expired))
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
    let scope = Scope { workspace_id: &row.workspace_id, integration_id: Some(&iid), ad_account_id: Some(&account) };
    let fields = [("fields".to_string(), "account_id,name,currency,timezone_name,account_status,amount_spent,spend_cap".to_string())];
    let (meta, _) = read_through(ctx, &scope, &format!("act_{account}"), &fields, false).await?;
    json_response(200, &meta)
}
