//! `GET /v1/actions` (the registry) and `POST /v1/actions/{router}/{action}`: role check, input
//! validation, idempotency through the workspace's gate object, execution, audit.

use crate::actions::idempotency::{self, Decision};
use crate::actions::{catalog, Meta};
use crate::api_keys::Principal;
use crate::audit::{AuditEntry, Outcome};
use crate::problem::Problem;
use crate::records::{normalise_account_id, FieldError};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{audit_statement, int, now_iso, opt_text, text};
use serde_json::{json, Map, Value};
use worker::{Request, Response};

const RECRUITER: &str = "recruiter_paid_media";

/// Idempotency records live this long (a day): long enough for any client's retries.
const IDEMPOTENCY_TTL_MS: i64 = 86_400_000;
const SPECIAL_CATEGORIES: &[&str] = &["EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES", "ISSUES_ELECTIONS_POLITICS"];

pub async fn list() -> HandlerResult {
    let data: Vec<Value> = catalog::ALL.iter().map(catalog::Entry::describe).collect();
    json_response(200, &json!({ "data": data }))
}

/// Where a call came in, recorded on its audit rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Http,
    Mcp,
    Approval,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Http => "http",
            Via::Mcp => "mcp",
            Via::Approval => "approval",
        }
    }
}

/// An idempotency key as the caller gave it, and what the caller calls it (the
/// `Idempotency-Key` header, or MCP's `idempotency_key` argument) for the error message.
pub struct KeyFrom {
    pub value: Option<String>,
    pub field: &'static str,
}

fn idempotency_key(from: &KeyFrom) -> Result<String, HandlerError> {
    let key = from.value.as_deref().unwrap_or_default().trim();
    let ok = (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(key.to_string())
    } else {
        let mut p = Problem::bad_request(format!("mutations need an {}: 1 to 200 visible ASCII characters, unique per intended change", from.field));
        p.field = Some(from.field.into());
        Err(p.into())
    }
}

/// What the pipeline answers: a fresh result, or the first result of this idempotency key.
pub enum Reply {
    Fresh(u16, Value),
    Replayed(u16, String),
}

async fn gate(ctx: &RequestContext, name: &str, op: &str, body: Value) -> Result<Value, HandlerError> {
    let mut resp = super::gate::gate_call(&ctx.env, name, op, &body).await.map_err(|e| HandlerError::Internal(format!("gate {op}: {e}")))?;
    if resp.status_code() != 200 {
        return Err(HandlerError::Internal(format!("gate {op} answered {}", resp.status_code())));
    }
    Ok(resp.json().await?)
}

/// `POST /v1/actions/{router}/{action}`: the HTTP adapter of the pipeline.
pub async fn run(req: Request, ctx: &RequestContext, principal: &Principal, router: &str, action: &str) -> HandlerResult {
    let entry = catalog::find(router, action).ok_or_else(|| {
        HandlerError::from(Problem::new("unknown-action", "Unknown Action", 404, format!("no action {router}/{action}; GET /v1/actions lists them")))
    })?;
    let key = KeyFrom { value: req.headers().get("Idempotency-Key").ok().flatten(), field: "Idempotency-Key" };
    check_role(entry.meta, principal)?;
    if entry.meta.tier.is_mutation() {
        idempotency_key(&key)?;
    }
    let body = super::json_body_or_empty(req).await?;
    match pipeline(ctx, principal, entry, body, &key, Via::Http).await? {
        Reply::Fresh(status, out) => json_response(status, &out),
        Reply::Replayed(status, response) => {
            let mut resp = Response::ok(response)?.with_status(status);
            resp.headers_mut().set("Content-Type", if status >= 400 { crate::problem::CONTENT_TYPE } else { "application/json" })?;
            resp.headers_mut().set("Idempotent-Replayed", "true")?;
            Ok(resp)
        }
    }
}

fn check_role(spec: &Meta, principal: &Principal) -> Result<(), HandlerError> {
    if let Principal::Key { role, .. } = principal {
        if !spec.roles.contains(role) {
            return Err(Problem::forbidden(format!(
                "{}/{} needs the role {}",
                spec.router(),
                spec.name(),
                spec.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or ")
            ))
            .into());
        }
    }
    Ok(())
}

/// The one pipeline every caller goes through (HTTP, MCP): role, workspace, typed input,
/// idempotency, then policies decide approval or apply, each mutation audited with its channel.
pub async fn pipeline(
    ctx: &RequestContext,
    principal: &Principal,
    entry: &catalog::Entry,
    body: Value,
    key: &KeyFrom,
    via: Via,
) -> Result<Reply, HandlerError> {
    let spec = entry.meta;
    let (router, action) = (spec.router(), spec.name());
    check_role(spec, principal)?;
    let key = if spec.tier.is_mutation() { Some(idempotency_key(key)?) } else { None };
    // The workspace first: a key learns nothing about another workspace, not even whether its
    // input would have been valid there.
    let workspace = match (principal.workspace(), body.get("workspace_id")) {
        (_, Some(v)) if !v.as_str().is_some_and(|w| (1..=64).contains(&w.len())) => {
            return Err(FieldError { field: "workspace_id".into(), reason: "must be a workspace id".into() }.into())
        }
        (Some(own), Some(asked)) if asked.as_str() != Some(own) => return Err(Problem::forbidden("this key belongs to another workspace").into()),
        (Some(own), _) => own.to_string(),
        (None, Some(asked)) => asked.as_str().unwrap_or_default().to_string(),
        (None, None) => return Err(FieldError { field: "workspace_id".into(), reason: "is required with the bootstrap key".into() }.into()),
    };
    // The typed input: unknown fields, types and ranges checked with the field named; the
    // runtime works from its normalised JSON (account ids as digits, texts trimmed).
    let mut bare = body.clone();
    if let Some(o) = bare.as_object_mut() {
        o.remove("workspace_id");
    }
    let input = match (entry.decode)(&bare)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    super::workspace_must_exist(ctx, &workspace).await?;
    let Some(key) = key else {
        let exec = Exec::of(principal, None, via);
        let (status, out) = execute(spec, ctx, &exec, &workspace, &input).await?;
        return Ok(Reply::Fresh(status, out));
    };

    let gate_name = format!("ws:{workspace}");
    let record_key = format!("{router}/{action}:{key}");
    let hash = idempotency::body_hash(router, action, &json!({ "workspace_id": workspace, "input": Value::Object(input.clone()) }));
    let decision: Decision =
        serde_json::from_value(gate(ctx, &gate_name, "idem/begin", json!({ "key": record_key, "body_hash": hash, "ttl_ms": IDEMPOTENCY_TTL_MS })).await?)
            .map_err(|e| HandlerError::Internal(format!("gate decision: {e}")))?;
    match decision {
        Decision::Replay { status, response } => Ok(Reply::Replayed(status, response)),
        Decision::Mismatch => Err(Problem::new(
            "idempotency-key-reused",
            "Idempotency Key Reused",
            422,
            "this Idempotency-Key was used with a different request; use a new key for a new change",
        )
        .into()),
        Decision::InFlight => {
            let mut p = Problem::conflict("a request with this Idempotency-Key is still running; retry shortly to get its result");
            p.retry_after_seconds = Some(1);
            Err(p.into())
        }
        Decision::Proceed => {
            let exec = Exec::of(principal, Some(key.clone()), via);
            let outcome = if spec.tier == crate::actions::Tier::ExecuteHigh {
                super::approvals::request(ctx, &exec, spec, &workspace, &input, None, &[]).await
            } else if spec.router() == RECRUITER {
                // Policies decide whether this change runs now or waits for an approval.
                match super::campaigns::prepare(spec, ctx, &workspace, &input).await {
                    Ok(p) if !p.flags.is_empty() => super::approvals::request(ctx, &exec, spec, &workspace, &input, Some(&p.account.id), &p.flags).await,
                    Ok(p) => super::campaigns::apply(spec, ctx, &exec, &workspace, &input, p).await,
                    Err(e) => Err(e),
                }
            } else {
                execute(spec, ctx, &exec, &workspace, &input).await
            };
            let (status, text_body) = match &outcome {
                Ok((status, out)) => (*status, out.to_string()),
                Err(HandlerError::Problem(p)) => (p.status, p.clone().with_context(&ctx.path, &ctx.correlation_id).to_json()),
                Err(HandlerError::Internal(cause)) => {
                    // Nothing reliable to replay: free the key so the client's retry can run.
                    let cause = cause.clone();
                    gate(ctx, &gate_name, "idem/release", json!({ "key": record_key })).await?;
                    return Err(HandlerError::Internal(cause));
                }
            };
            if let Err(e) = gate(ctx, &gate_name, "idem/complete", json!({ "key": record_key, "status": status, "response": text_body })).await {
                // The result could not be recorded: free the key rather than leave it claimed, so a
                // retry is not refused as in flight for the lease (the audit row says what ran).
                let cause = match e {
                    HandlerError::Internal(c) => c,
                    HandlerError::Problem(p) => p.detail,
                };
                worker::console_error!("could not record the result of {router}/{action} [{}]: {cause}", ctx.correlation_id);
                gate(ctx, &gate_name, "idem/release", json!({ "key": record_key })).await?;
            }
            outcome.map(|(status, out)| Reply::Fresh(status, out))
        }
    }
}

pub async fn execute(spec: &Meta, ctx: &RequestContext, exec: &Exec, ws: &str, input: &Map<String, Value>) -> Result<(u16, Value), HandlerError> {
    let db = ctx.env.d1("DB")?;
    match spec.name() {
        "list_meta_integrations" => {
            let rows = db
                .prepare("SELECT id, kind, status, meta_user_id, token_key_id, token_expires_at, scopes, created_at, updated_at FROM integrations WHERE workspace_id = ?1 ORDER BY created_at, id")
                .bind(&[text(ws)])?
                .all()
                .await?
                .results::<Value>()?;
            Ok((200, json!({ "data": rows })))
        }
        "get_token_health" => {
            let iid = input["integration_id"].as_str().unwrap_or_default();
            let health = super::integrations::token_health_of(ctx, ws, iid).await?;
            Ok((200, json!({ "integration_id": iid, "token_health": health })))
        }
        "get_meta_api_error_digest" | "get_rate_limit_posture" => {
            let hours = input.get("since_hours").and_then(Value::as_i64).unwrap_or(24);
            if !(1..=2_160).contains(&hours) {
                return Err(FieldError { field: "since_hours".into(), reason: "must be from 1 to 2160".into() }.into());
            }
            let since = crate::timefmt::iso_from_millis(crate::runtime::d1::now_millis() - hours * 3_600_000);
            let out = if spec.name() == "get_rate_limit_posture" {
                super::meta_events::rate_limit_posture(ctx, ws, &since).await?
            } else {
                super::meta_events::error_digest(ctx, ws, &since).await?
            };
            Ok((200, out))
        }
        "get_audit_events" => {
            let limit = input.get("limit").and_then(Value::as_i64).unwrap_or(100);
            if !(1..=500).contains(&limit) {
                return Err(FieldError { field: "limit".into(), reason: "must be from 1 to 500".into() }.into());
            }
            let account = match input.get("ad_account_id").and_then(Value::as_str) {
                None => None,
                Some(raw) => {
                    Some(normalise_account_id(raw).ok_or(FieldError { field: "ad_account_id".into(), reason: "must be a Meta ad account id".into() })?)
                }
            };
            let s = |k: &str| input.get(k).and_then(Value::as_str);
            let rows = db
                .prepare(
                    "SELECT * FROM audit_log WHERE workspace_id = ?1 AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR actor = ?3) \
                     AND (?4 IS NULL OR ad_account_id = ?4) AND (?5 IS NULL OR occurred_at >= ?5) AND (?6 IS NULL OR occurred_at <= ?6) \
                     ORDER BY occurred_at DESC, id LIMIT ?7",
                )
                .bind(&[
                    text(ws),
                    opt_text(s("action")),
                    opt_text(s("actor")),
                    opt_text(account.as_deref()),
                    opt_text(s("since")),
                    opt_text(s("until")),
                    int(limit),
                ])?
                .all()
                .await?
                .results::<Value>()?;
            Ok((200, json!({ "data": rows })))
        }
        "get_approval_status" => {
            let id = input["approval_id"].as_str().unwrap_or_default();
            let row = db
                .prepare(
                    "SELECT id, router, action, status, requested_by, requested_by_member, decided_by, decided_by_member, decided_at, \
                     expires_at, reasons_json, result_json, created_at FROM approvals WHERE id = ?1 AND workspace_id = ?2",
                )
                .bind(&[text(id), text(ws)])?
                .first::<Value>(None)
                .await?
                .ok_or_else(|| HandlerError::from(FieldError { field: "approval_id".into(), reason: "no such approval in this workspace".into() }))?;
            let parsed = |k: &str| row[k].as_str().and_then(|t| serde_json::from_str::<Value>(t).ok()).unwrap_or(Value::Null);
            let mut out = row.clone();
            out["reasons"] = parsed("reasons_json");
            out["result"] = parsed("result_json");
            if let Some(o) = out.as_object_mut() {
                o.remove("reasons_json");
                o.remove("result_json");
            }
            Ok((200, out))
        }
        "set_campaign_guardrails" | "set_daily_budget_caps" | "set_approval_thresholds" => {
            let kind = spec.name().trim_start_matches("set_");
            let value = policy_value(ctx, spec.name(), ws, input).await?;
            set_policy(ctx, exec, ws, spec, kind, value).await
        }
        "set_insights_settings" => set_insights_settings(ctx, exec, ws, spec, input).await,
        "quarantine_integration" | "disable_integration" => {
            let status = if spec.name() == "disable_integration" { "disabled" } else { "quarantined" };
            let iid = input["integration_id"].as_str().unwrap_or_default();
            let before = db
                .prepare("SELECT id, status, updated_at FROM integrations WHERE id = ?1 AND workspace_id = ?2")
                .bind(&[text(iid), text(ws)])?
                .first::<Value>(None)
                .await?
                .ok_or_else(|| HandlerError::from(FieldError { field: "integration_id".into(), reason: format!("no integration {iid} in this workspace") }))?;
            if before["status"] == "disabled" {
                return Err(Problem::conflict(format!("integration {iid} is disabled")).into());
            }
            let now = now_iso();
            let after = json!({ "id": iid, "status": status, "updated_at": now, "reason": input["reason"] });
            let mut audit = action_audit(ctx, exec, ws, spec);
            audit.external_id = Some(iid.to_string());
            audit.before = Some(before);
            audit.after = Some(after.clone());
            db.batch(vec![
                db.prepare("UPDATE integrations SET status = ?3, updated_at = ?2 WHERE id = ?1").bind(&[text(iid), text(&now), text(status)])?,
                audit_statement(&db, &audit, &now)?,
            ])
            .await?;
            Ok((200, after))
        }
        "quarantine_ad_account" | "release_ad_account" => {
            let raw = input["ad_account_id"].as_str().unwrap_or_default();
            let account = normalise_account_id(raw).ok_or(FieldError { field: "ad_account_id".into(), reason: "must be a Meta ad account id".into() })?;
            let bound =
                db.prepare("SELECT id FROM ad_accounts WHERE id = ?1 AND workspace_id = ?2").bind(&[text(&account), text(ws)])?.first::<Value>(None).await?;
            if bound.is_none() {
                return Err(FieldError { field: "ad_account_id".into(), reason: format!("act_{account} is not bound to this workspace") }.into());
            }
            let reason = input.get("reason").and_then(Value::as_str);
            super::gate::set_quarantine(&ctx.env, &account, reason).await?;
            let after = json!({ "ad_account_id": account, "quarantined": reason.is_some(), "reason": reason });
            let mut audit = action_audit(ctx, exec, ws, spec);
            audit.ad_account_id = Some(account.clone());
            audit.external_id = Some(format!("act_{account}"));
            audit.after = Some(after.clone());
            write_audit(ctx, &audit).await?;
            Ok((200, after))
        }
        "refresh_system_user_token" => {
            let iid = input["integration_id"].as_str().unwrap_or_default();
            let out = super::integrations::refresh(ctx, ws, iid, |before, after| {
                let mut audit = action_audit(ctx, exec, ws, spec);
                audit.external_id = Some(iid.to_string());
                audit.before = Some(before);
                audit.after = Some(after);
                audit
            })
            .await?;
            Ok((200, out))
        }
        "rotate_credentials" => {
            super::integrations::reseal_workspace_tokens(ctx, ws, |before, after| {
                let mut audit = action_audit(ctx, exec, ws, spec);
                audit.external_id = Some(format!("workspace:{ws}"));
                audit.before = Some(before);
                audit.after = Some(after);
                audit
            })
            .await
        }
        "rebind_ad_account" => {
            let raw = input["ad_account_id"].as_str().unwrap_or_default();
            let account = normalise_account_id(raw).ok_or(FieldError { field: "ad_account_id".into(), reason: "must be a Meta ad account id".into() })?;
            let iid = input["integration_id"].as_str().unwrap_or_default();
            let before = db
                .prepare("SELECT id, integration_id, updated_at FROM ad_accounts WHERE id = ?1 AND workspace_id = ?2")
                .bind(&[text(&account), text(ws)])?
                .first::<Value>(None)
                .await?
                .ok_or_else(|| {
                    HandlerError::from(FieldError { field: "ad_account_id".into(), reason: format!("act_{account} is not bound to this workspace") })
                })?;
            // The new integration must really see the account on Meta.
            super::integrations::confirm_access(ctx, ws, iid, &account).await?;
            let now = now_iso();
            let after = json!({ "id": account, "integration_id": iid, "updated_at": now });
            let mut audit = action_audit(ctx, exec, ws, spec);
            audit.ad_account_id = Some(account.clone());
            audit.external_id = Some(format!("act_{account}"));
            audit.before = Some(before);
            audit.after = Some(after.clone());
            db.batch(vec![
                db.prepare("UPDATE ad_accounts SET integration_id = ?2, updated_at = ?3 WHERE id = ?1").bind(&[text(&account), text(iid), text(&now)])?,
                audit_statement(&db, &audit, &now)?,
            ])
            .await?;
            Ok((200, after))
        }
        _ if spec.router() == RECRUITER => super::campaigns::execute(spec, ctx, exec, ws, input).await,
        other => Err(HandlerError::Internal(format!("action {other} is registered but has no handler"))),
    }
}

/// On whose behalf an action runs: the caller, or for an approved action the requester (with the
/// approval that released it).
pub struct Exec {
    /// The key (or `bootstrap`) that acted.
    pub actor: String,
    /// The member behind that key (none for the bootstrap key).
    pub member_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub approval_id: Option<String>,
    /// Where the call came in.
    pub via: Via,
}

impl Exec {
    pub fn of(principal: &Principal, idempotency_key: Option<String>, via: Via) -> Exec {
        Exec { actor: principal.actor(), member_id: principal.member_id().map(str::to_string), idempotency_key, approval_id: None, via }
    }

    /// The person acting, as approvals compare them.
    pub fn person(&self) -> String {
        self.member_id.clone().unwrap_or_else(|| crate::api_keys::BOOTSTRAP_PERSON.into())
    }
}

pub fn action_audit(ctx: &RequestContext, exec: &Exec, ws: &str, spec: &Meta) -> AuditEntry {
    let mut audit = AuditEntry::new(spec.name(), &exec.actor, &ctx.correlation_id, Outcome::Succeeded);
    audit.actor_member_id = exec.member_id.clone();
    audit.via = Some(exec.via.as_str().into());
    audit.workspace_id = Some(ws.to_string());
    audit.risk_tier = Some(spec.tier.as_str().into());
    audit.idempotency_key = exec.idempotency_key.clone();
    audit.approval_id = exec.approval_id.clone();
    audit
}

/// Writes one audit row on its own (when no other write goes with it).
pub async fn write_audit(ctx: &RequestContext, audit: &AuditEntry) -> Result<(), HandlerError> {
    let db = ctx.env.d1("DB")?;
    db.batch(vec![audit_statement(&db, audit, &now_iso())?]).await?;
    Ok(())
}

/// A workspace's stored policy of one kind, as the governance action validated it.
pub async fn stored_policy(ctx: &RequestContext, ws: &str, kind: &str) -> Result<Option<Value>, HandlerError> {
    let row = ctx
        .env
        .d1("DB")?
        .prepare("SELECT value_json FROM governance_policies WHERE workspace_id = ?1 AND kind = ?2")
        .bind(&[text(ws), text(kind)])?
        .first::<Value>(None)
        .await?;
    Ok(row.and_then(|r| r["value_json"].as_str().and_then(|s| serde_json::from_str(s).ok())))
}

/// Checks a policy's content beyond its types and returns what is stored.
async fn policy_value(ctx: &RequestContext, action: &str, ws: &str, input: &Map<String, Value>) -> Result<Value, HandlerError> {
    let mut v = input.clone();
    v.remove("workspace_id");
    match action {
        "set_daily_budget_caps" => {
            let mut caps = Map::new();
            for (raw, cap) in input["caps"].as_object().cloned().unwrap_or_default() {
                let id = normalise_account_id(&raw)
                    .ok_or(FieldError { field: "caps".into(), reason: format!("{} is not a Meta ad account id", crate::problem::excerpt(&raw)) })?;
                let bound = ctx
                    .env
                    .d1("DB")?
                    .prepare("SELECT id FROM ad_accounts WHERE id = ?1 AND workspace_id = ?2")
                    .bind(&[text(&id), text(ws)])?
                    .first::<Value>(None)
                    .await?;
                if bound.is_none() {
                    return Err(FieldError { field: "caps".into(), reason: format!("ad account act_{id} is not bound to this workspace") }.into());
                }
                caps.insert(id, cap);
            }
            Ok(json!({ "caps": caps }))
        }
        "set_campaign_guardrails" => {
            if let Some(bad) = v
                .get("required_special_ad_categories")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().filter_map(Value::as_str).find(|c| !SPECIAL_CATEGORIES.contains(c)))
            {
                return Err(FieldError {
                    field: "required_special_ad_categories".into(),
                    reason: format!("{} is not one of {}", crate::problem::excerpt(bad), SPECIAL_CATEGORIES.join(", ")),
                }
                .into());
            }
            if v.get("max_daily_budget_minor").and_then(Value::as_i64).is_some_and(|n| n <= 0) {
                return Err(FieldError { field: "max_daily_budget_minor".into(), reason: "must be positive".into() }.into());
            }
            nonempty(v)
        }
        _ => {
            if let Some((k, _)) = v.iter().find(|(_, x)| x.as_i64().is_some_and(|n| n < 0)) {
                return Err(FieldError { field: k.clone(), reason: "must not be negative".into() }.into());
            }
            nonempty(v)
        }
    }
}

fn nonempty(v: Map<String, Value>) -> Result<Value, HandlerError> {
    if v.is_empty() {
        Err(FieldError { field: "input".into(), reason: "set at least one field".into() }.into())
    } else {
        Ok(Value::Object(v))
    }
}

/// Validates and stores the workspace's insights settings (unset fields keep their values).
async fn set_insights_settings(ctx: &RequestContext, exec: &Exec, ws: &str, spec: &Meta, input: &Map<String, Value>) -> Result<(u16, Value), HandlerError> {
    use crate::sync::insights as ins;
    let list = |k: &str| input.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
    let sets: Option<Vec<Vec<String>>> =
        list("breakdown_sets").map(|l| l.iter().map(|s| s.split(',').map(|b| b.trim().to_string()).filter(|b| !b.is_empty()).collect()).collect());
    for set in sets.iter().flatten() {
        ins::check_breakdown_set(set).map_err(|reason| FieldError { field: "breakdown_sets".into(), reason })?;
    }
    let windows = list("attribution_windows");
    if let Some(bad) = windows.iter().flatten().find(|w| !ins::ATTRIBUTION_WINDOWS.contains(&w.as_str())) {
        return Err(FieldError {
            field: "attribution_windows".into(),
            reason: format!("{} is not one of {}", crate::problem::excerpt(bad), ins::ATTRIBUTION_WINDOWS.join(", ")),
        }
        .into());
    }
    let int_in = |k: &str, lo: i64, hi: i64| -> Result<Option<i64>, HandlerError> {
        match input.get(k).and_then(Value::as_i64) {
            Some(n) if !(lo..=hi).contains(&n) => Err(FieldError { field: k.into(), reason: format!("must be from {lo} to {hi}") }.into()),
            other => Ok(other),
        }
    };
    let backfill = int_in("backfill_days", 1, ins::MAX_BACKFILL_DAYS)?;
    let window_days = int_in("attribution_window_days", 1, 28)?;
    if sets.is_none() && windows.is_none() && backfill.is_none() && window_days.is_none() {
        return Err(FieldError { field: "input".into(), reason: "set at least one field".into() }.into());
    }
    let db = ctx.env.d1("DB")?;
    let before = db
        .prepare("SELECT breakdown_sets_json, attribution_windows_json, backfill_days, attribution_window_days FROM insights_settings WHERE workspace_id = ?1")
        .bind(&[text(ws)])?
        .first::<Value>(None)
        .await?;
    let keep = |k: &str, d: Value| before.as_ref().and_then(|b| b.get(k).cloned()).filter(|v| !v.is_null()).unwrap_or(d);
    let parsed = |k: &str| keep(k, json!("[]")).as_str().and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or(json!([]));
    let after = json!({
        "breakdown_sets": sets.map(|s| json!(s)).unwrap_or_else(|| parsed("breakdown_sets_json")),
        "attribution_windows": windows.map(|w| json!(w)).unwrap_or_else(|| parsed("attribution_windows_json")),
        "backfill_days": backfill.map(Value::from).unwrap_or_else(|| keep("backfill_days", json!(crate::sync::insights::DEFAULT_BACKFILL_DAYS))),
        "attribution_window_days": window_days.map(Value::from).unwrap_or_else(|| keep("attribution_window_days", json!(crate::sync::insights::DEFAULT_ATTRIBUTION_WINDOW_DAYS))),
    });
    let now = now_iso();
    let mut audit = action_audit(ctx, exec, ws, spec);
    audit.external_id = Some("insights_settings".into());
    audit.before = before;
    audit.after = Some(after.clone());
    db.batch(vec![
        db.prepare(
            "INSERT INTO insights_settings (workspace_id, breakdown_sets_json, attribution_windows_json, backfill_days, attribution_window_days, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (workspace_id) DO UPDATE SET breakdown_sets_json = excluded.breakdown_sets_json, attribution_windows_json = excluded.attribution_windows_json, \
             backfill_days = excluded.backfill_days, attribution_window_days = excluded.attribution_window_days, updated_at = excluded.updated_at",
        )
        .bind(&[text(ws), text(&after["breakdown_sets"].to_string()), text(&after["attribution_windows"].to_string()), int(after["backfill_days"].as_i64().unwrap_or(7)), int(after["attribution_window_days"].as_i64().unwrap_or(7)), text(&now)])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    Ok((200, json!({ "workspace_id": ws, "insights_settings": after, "updated_at": now })))
}

/// Upserts one policy row with its audit row (before and after) in one batch.
async fn set_policy(ctx: &RequestContext, exec: &Exec, ws: &str, spec: &Meta, kind: &str, value: Value) -> Result<(u16, Value), HandlerError> {
    let db = ctx.env.d1("DB")?;
    let before = db
        .prepare("SELECT value_json FROM governance_policies WHERE workspace_id = ?1 AND kind = ?2")
        .bind(&[text(ws), text(kind)])?
        .first::<Value>(None)
        .await?
        .and_then(|r| r["value_json"].as_str().and_then(|s| serde_json::from_str::<Value>(s).ok()));
    let now = now_iso();
    let mut audit = action_audit(ctx, exec, ws, spec);
    audit.external_id = Some(format!("policy:{kind}"));
    audit.before = before;
    audit.after = Some(value.clone());
    db.batch(vec![
        db.prepare(
            "INSERT INTO governance_policies (workspace_id, kind, value_json, updated_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
             ON CONFLICT (workspace_id, kind) DO UPDATE SET value_json = excluded.value_json, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&[text(ws), text(kind), text(&value.to_string()), text(&exec.actor), text(&now)])?,
        audit_statement(&db, &audit, &now)?,
    ])
    .await?;
    Ok((200, json!({ "workspace_id": ws, "policy": kind, "value": value, "updated_at": now })))
}
