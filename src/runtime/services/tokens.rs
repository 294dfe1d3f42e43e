//! Integration tokens: opened from the vault only to sign a Graph call, checked with Meta's
//! `debug_token`, refreshed (a person's token exchanged for a new long-lived one), and re-sealed
//! under a new vault key. A token is never returned, logged or audited.

use super::Services;
use crate::audit::{AuditEntry, Outcome};
use crate::binds;
use crate::db;
use crate::failure::Failure;
use crate::graph::GraphClient;
use crate::ports::{Query, Scope, TokenChange};
use crate::problem::Problem;
use crate::records::FieldError;
use crate::runtime::d1::{now_iso, now_millis};
use crate::runtime::graph_fetch::{client_for, WorkerFetch, WorkerSleep};
use crate::token_health::{self, TokenHealth};
use crate::vault::Keyring;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn keyring(svc: &Services) -> Result<Keyring, Failure> {
    let spec = svc.var("TOKEN_VAULT_KEYS").unwrap_or_default();
    Keyring::parse(&spec).map_err(|e| Problem::new("vault-misconfigured", "Token Vault Misconfigured", 500, e.to_string()).into())
}

pub fn app_token(svc: &Services) -> Result<String, Failure> {
    match (svc.var("META_APP_ID"), svc.var("META_APP_SECRET")) {
        (Some(id), Some(secret)) => Ok(format!("{id}|{secret}")),
        _ => Err(Problem::new("meta-misconfigured", "Meta Misconfigured", 500, "META_APP_ID and the META_APP_SECRET secret must be set").into()),
    }
}

pub fn client(svc: &Services, token: &str) -> Result<GraphClient<WorkerFetch, WorkerSleep>, Failure> {
    client_for(&svc.env, token, None).map_err(|e| Problem::new("meta-misconfigured", "Meta Misconfigured", 500, e).into())
}

/// A client for a workspace's call: at the scope's version if it names one (a shadow check),
/// else the workspace's pinned version (read with its token), else `META_API_VERSION`.
pub fn client_in(svc: &Services, scope: &Scope<'_>, token: &str) -> Result<GraphClient<WorkerFetch, WorkerSleep>, Failure> {
    let pinned = svc.remembered_pin(scope.workspace_id).flatten();
    let version = scope.api_version.map(str::to_string).or(pinned);
    client_for(&svc.env, token, version.as_deref()).map_err(|e| Problem::new("meta-misconfigured", "Meta Misconfigured", 500, e).into())
}

/// Asks Meta about a token with the app's own token. The token under inspection goes in a POST
/// body (Graph's `method=GET` override), never in a URL, where proxies and logs would see it.
pub async fn inspect(svc: &Services, token: &str) -> Result<TokenHealth, Failure> {
    let app = app_token(svc)?;
    let (body, _) = client(svc, &app)?.get_in_body("debug_token", &[("input_token".to_string(), token.to_string())]).await?;
    Ok(token_health::from_debug_token(&body))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], Failure> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| Failure::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

#[derive(Deserialize)]
struct SealedRow {
    token_ciphertext: Option<String>,
    status: String,
    pinned_version: Option<String>,
}

fn token_key(workspace_id: &str, integration_id: &str) -> String {
    format!("{workspace_id}/{integration_id}")
}

/// Opens the integration's token (it must belong to the workspace and be active); an HTTP
/// request opens each token once.
pub async fn integration_token(svc: &Services, workspace_id: &str, integration_id: &str) -> Result<String, Failure> {
    let key = token_key(workspace_id, integration_id);
    if let Some(token) = svc.remembered_token(&key) {
        return Ok(token);
    }
    // The workspace's pinned API version comes with the token: no extra round trip.
    let q = Query::new(
        "SELECT i.token_ciphertext, i.status, p.api_version AS pinned_version FROM integrations i \
         LEFT JOIN api_version_pins p ON p.workspace_id = i.workspace_id WHERE i.id = ?1 AND i.workspace_id = ?2",
        binds![integration_id, workspace_id],
    );
    let row: SealedRow = db::first(svc, q)
        .await?
        .ok_or_else(|| Failure::from(Problem::new("not-found", "Not Found", 404, format!("no integration {integration_id} in workspace {workspace_id}"))))?;
    svc.remember_pin(workspace_id, row.pinned_version.clone());
    if row.status != "active" {
        return Err(Problem::conflict(format!("integration {integration_id} is {}", row.status)).into());
    }
    let sealed = row.token_ciphertext.ok_or_else(|| Failure::Internal("integration without a token".into()))?;
    let token = keyring(svc)?.open(&sealed, integration_id).map_err(|e| Failure::Internal(format!("vault: {e}")))?;
    svc.remember_token(&key, &token);
    Ok(token)
}

/// Live token health from Meta.
pub async fn token_health_of(svc: &Services, workspace_id: &str, integration_id: &str) -> Result<TokenHealth, Failure> {
    let token = integration_token(svc, workspace_id, integration_id).await?;
    inspect(svc, &token).await
}

#[derive(Deserialize)]
struct SealedFull {
    id: String,
    token_ciphertext: Option<String>,
    token_key_id: Option<String>,
}

/// Re-seals every token of the workspace not yet under the active vault key (before and after
/// are key ids, never tokens).
pub async fn reseal_workspace_tokens(svc: &Services, workspace_id: &str) -> Result<TokenChange, Failure> {
    let ring = keyring(svc)?;
    let q = Query::new(
        "SELECT id, token_ciphertext, token_key_id FROM integrations WHERE workspace_id = ?1 AND token_ciphertext IS NOT NULL",
        binds![workspace_id],
    );
    let rows: Vec<SealedFull> = db::all(svc, q).await?;
    let now = now_iso();
    let mut writes = Vec::new();
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    for r in rows.iter().filter(|r| r.token_key_id.as_deref() != Some(ring.active_id())) {
        let sealed = r.token_ciphertext.as_deref().unwrap_or_default();
        let token = ring.open(sealed, &r.id).map_err(|e| Failure::Internal(format!("vault: {e}")))?;
        let resealed = ring.seal(&token, &r.id, random_bytes::<12>()?);
        before.insert(r.id.clone(), json!(r.token_key_id));
        after.insert(r.id.clone(), json!(ring.active_id()));
        writes.push(Query::new(
            "UPDATE integrations SET token_ciphertext = ?2, token_key_id = ?3, updated_at = ?4 WHERE id = ?1 AND workspace_id = ?5",
            binds![r.id.as_str(), resealed, ring.active_id(), now.as_str(), workspace_id],
        ));
    }
    let answer = json!({ "resealed": writes.len(), "key_id": ring.active_id() });
    Ok(TokenChange { before: Value::Object(before), after: Value::Object(after), writes, answer })
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
/// `expired`. Before and after hold expiry and status, never the token.
pub async fn refresh(svc: &Services, workspace_id: &str, integration_id: &str) -> Result<TokenChange, Failure> {
    svc.forget_token(&token_key(workspace_id, integration_id));
    let q = Query::new(
        "SELECT kind, status, token_ciphertext, token_expires_at FROM integrations WHERE id = ?1 AND workspace_id = ?2",
        binds![integration_id, workspace_id],
    );
    let row: RefreshRow = db::first(svc, q).await?.ok_or_else(|| {
        Failure::from(FieldError {
            field: "integration_id".into(),
            reason: format!("no integration {} in this workspace", crate::problem::excerpt(integration_id)),
        })
    })?;
    if row.status == "disabled" || row.status == "quarantined" {
        return Err(Problem::conflict(format!("integration {integration_id} is {}", row.status)).into());
    }
    let ring = keyring(svc)?;
    let token = ring.open(row.token_ciphertext.as_deref().unwrap_or_default(), integration_id).map_err(|e| Failure::Internal(format!("vault: {e}")))?;
    let before = json!({ "status": row.status, "token_expires_at": row.token_expires_at });
    let mut health = inspect(svc, &token).await?;
    let mut sealed = None;
    if health.is_valid && row.kind == "oauth_user" {
        let (app_id, app_secret) = (svc.var("META_APP_ID").unwrap_or_default(), svc.var("META_APP_SECRET").unwrap_or_default());
        let params = vec![
            ("grant_type".to_string(), "fb_exchange_token".to_string()),
            ("client_id".to_string(), app_id),
            ("client_secret".to_string(), app_secret),
            ("fb_exchange_token".to_string(), token.clone()),
        ];
        let (body, _) = client(svc, &app_token(svc)?)?.post("oauth/access_token", &params).await?;
        let fresh = body["access_token"].as_str().ok_or_else(|| Failure::Internal("token exchange returned no token".into()))?.to_string();
        health = inspect(svc, &fresh).await?;
        sealed = Some(ring.seal(&fresh, integration_id, random_bytes::<12>()?));
    }
    let status = if health.usable() { "active" } else { "expired" };
    let expires = health.expires_at.map(|e| crate::timefmt::iso_from_millis(e * 1_000));
    let after = json!({ "status": status, "token_expires_at": expires, "missing_scopes": health.missing_scopes, "refreshed": sealed.is_some() });
    let now = now_iso();
    let scopes = json!(health.scopes).to_string();
    let update = match &sealed {
        Some(c) => Query::new(
            "UPDATE integrations SET status = ?2, token_expires_at = ?3, scopes = ?4, token_ciphertext = ?5, token_key_id = ?6, updated_at = ?7 WHERE id = ?1",
            binds![integration_id, status, expires.as_deref(), scopes, c.as_str(), ring.active_id(), now.as_str()],
        ),
        None => Query::new(
            "UPDATE integrations SET status = ?2, token_expires_at = ?3, scopes = ?4, updated_at = ?5 WHERE id = ?1",
            binds![integration_id, status, expires.as_deref(), scopes, now.as_str()],
        ),
    };
    Ok(TokenChange { before, after: after.clone(), writes: vec![update], answer: after })
}

/// A refresh the gateway starts itself (the daily tick, or recovery from a 190), committed with
/// its audit row under `actor`. Returns the integration as it is after.
pub async fn refresh_now(svc: &Services, actor: &str, workspace_id: &str, integration_id: &str) -> Result<Value, Failure> {
    let change = refresh(svc, workspace_id, integration_id).await?;
    let mut audit = AuditEntry::new("refresh_system_user_token", actor, &svc.correlation_id, Outcome::Succeeded);
    audit.workspace_id = Some(workspace_id.to_string());
    audit.external_id = Some(integration_id.to_string());
    audit.risk_tier = Some("execute_low".into());
    audit.before = Some(change.before);
    audit.after = Some(change.after.clone());
    let mut writes = change.writes;
    writes.push(db::audit_log::insert(&audit, &now_iso()));
    super::commit(svc, writes).await?;
    Ok(change.after)
}

#[derive(Deserialize)]
struct DueRow {
    id: String,
    workspace_id: String,
}

/// The daily tick: refresh every active integration whose token expires within `days`.
/// Returns (refreshed, marked expired); failures are logged and left for the next tick.
pub async fn refresh_due(svc: &Services, days: i64) -> Result<(usize, usize), Failure> {
    let horizon = crate::timefmt::iso_from_millis(now_millis() + days * 86_400_000);
    let q = Query::new(
        "SELECT id, workspace_id FROM integrations WHERE status = 'active' AND token_expires_at IS NOT NULL AND token_expires_at <= ?1",
        binds![horizon],
    );
    let due: Vec<DueRow> = db::all(svc, q).await?;
    let (mut refreshed, mut expired) = (0, 0);
    for r in due {
        match refresh_now(svc, "cron", &r.workspace_id, &r.id).await {
            Ok(after) if after["status"] == "active" => refreshed += 1,
            Ok(_) => expired += 1,
            Err(_) => worker::console_warn!("token refresh for integration {} failed; retrying on the next tick", r.id),
        }
    }
    Ok((refreshed, expired))
}
