//! Starting sync runs: by hand (`POST /v1/accounts/{id}/sync`), on binding (the backfill), and
//! from Meta's webhooks (a targeted re-sync of the objects named). Each run is a `sync_runs` row
//! created `queued` and a message on the sync queue; the queue consumer does the work.

use crate::api_keys::Principal;
use crate::problem::Problem;
use crate::records::{normalise_account_id, FieldError};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{new_id, now_iso, now_millis, opt_text, text};
use crate::sync::insights as ins;
use crate::sync_message::{SyncKind, SyncMessage, Trigger, SCHEMA_VERSION};
use serde_json::{json, Value};
use worker::{console_warn, Request, Response};

/// Creates queued runs and puts their messages on the queue.
pub async fn enqueue(ctx: &RequestContext, ws: &str, account: &str, jobs: &[(SyncKind, Trigger)], window: Option<(&str, &str)>) -> Result<Vec<Value>, HandlerError> {
    let db = ctx.env.d1("DB")?;
    let now = now_iso();
    let mut runs = Vec::new();
    let mut stmts = Vec::new();
    let mut messages = Vec::new();
    for (kind, trigger) in jobs {
        let id = new_id("sync");
        let win = if *kind == SyncKind::InsightsResync { window } else { None };
        stmts.push(
            db.prepare(
                "INSERT INTO sync_runs (id, ad_account_id, workspace_id, kind, trigger, status, window_start, window_end, started_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8, ?8, ?8)",
            )
            .bind(&[text(&id), text(account), text(ws), text(kind.as_str()), text(trigger.as_str()), opt_text(win.map(|w| w.0)), opt_text(win.map(|w| w.1)), text(&now)])?,
        );
        runs.push(json!({ "id": id, "kind": kind.as_str(), "trigger": trigger.as_str(), "status": "queued", "window_start": win.map(|w| w.0), "window_end": win.map(|w| w.1) }));
        messages.push(SyncMessage {
            v: SCHEMA_VERSION,
            kind: *kind,
            trigger: *trigger,
            ad_account_id: account.to_string(),
            workspace_id: ws.to_string(),
            cron_run_id: None,
            enqueued_at: now.clone(),
            run_id: Some(id),
            objects: vec![],
            error: None,
        });
    }
    db.batch(stmts).await?;
    ctx.env.queue("SYNC_QUEUE")?.send_batch(messages).await?;
    Ok(runs)
}

/// After a bind through an integration: mirror the structure and backfill the last N days.
pub async fn backfill_on_bind(ctx: &RequestContext, ws: &str, account: &str) {
    if ctx.var("BACKFILL_ON_BIND").as_deref() == Some("false") {
        return;
    }
    if let Err(e) = enqueue(ctx, ws, account, &[(SyncKind::Structure, Trigger::Backfill), (SyncKind::InsightsResync, Trigger::Backfill)], None).await {
        let why = match e {
            HandlerError::Problem(p) => p.detail,
            HandlerError::Internal(s) => s,
        };
        console_warn!("[{}] backfill of act_{account} not queued: {why}", ctx.correlation_id);
    }
}

/// The account, if the caller's workspace holds it (404 otherwise, so other workspaces' ids do
/// not leak), with its workspace and time zone.
async fn visible_account(ctx: &RequestContext, principal: &Principal, raw: &str) -> Result<(String, Value), HandlerError> {
    let id = normalise_account_id(raw).ok_or(FieldError { field: "account_id".into(), reason: "must be a Meta ad account id such as act_1234567890".into() })?;
    let row = ctx
        .env
        .d1("DB")?
        .prepare("SELECT id, workspace_id, integration_id, timezone_name, status FROM ad_accounts WHERE id = ?1")
        .bind(&[text(&id)])?
        .first::<Value>(None)
        .await?
        .filter(|r| principal.workspace().is_none_or(|w| r["workspace_id"] == w))
        .ok_or_else(|| HandlerError::from(Problem::new("not-found", "Not Found", 404, format!("no ad account act_{id} in this workspace"))))?;
    Ok((id, row))
}

fn date_field(body: &Value, field: &str) -> Result<Option<chrono::NaiveDate>, HandlerError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| FieldError { field: field.into(), reason: "must be a date, YYYY-MM-DD".into() }.into()),
        Some(_) => Err(FieldError { field: field.into(), reason: "must be a date string, YYYY-MM-DD".into() }.into()),
    }
}

/// `POST /v1/accounts/{id}/sync` with `{"kind": "structure"|"insights"|"all", "since", "until"}`.
pub async fn manual(req: Request, ctx: &RequestContext, principal: &Principal, raw: &str) -> HandlerResult {
    let (account, row) = visible_account(ctx, principal, raw).await?;
    let body = super::actions::json_body_or_empty(req).await?;
    if let Some(bad) = body.as_object().and_then(|o| o.keys().find(|k| !["kind", "since", "until"].contains(&k.as_str()))) {
        return Err(FieldError { field: bad.clone(), reason: "is not a field of this request (kind, since, until)".into() }.into());
    }
    let kinds: &[SyncKind] = match body.get("kind").and_then(Value::as_str).unwrap_or("all") {
        "all" => &[SyncKind::Structure, SyncKind::InsightsResync],
        "structure" => &[SyncKind::Structure],
        "insights" => &[SyncKind::InsightsResync],
        other => return Err(FieldError { field: "kind".into(), reason: format!("{other:?} is not one of structure, insights, all") }.into()),
    };
    if row["integration_id"].is_null() {
        return Err(Problem::conflict(format!("ad account act_{account} has no Meta integration to sync through")).into());
    }
    let today = ins::today_in(row["timezone_name"].as_str().unwrap_or("UTC"), now_millis()).map_err(HandlerError::Internal)?;
    let until = date_field(&body, "until")?.unwrap_or(today);
    let since = date_field(&body, "since")?.unwrap_or(ins::fresh_window(until, ins::DEFAULT_ATTRIBUTION_WINDOW_DAYS).0);
    if since > until {
        return Err(FieldError { field: "since".into(), reason: "must not be after until".into() }.into());
    }
    if until > today {
        return Err(FieldError { field: "until".into(), reason: format!("must not be after the account's today ({today})") }.into());
    }
    if (today - since).num_days() >= ins::MAX_BACKFILL_DAYS {
        return Err(FieldError { field: "since".into(), reason: format!("Meta keeps insights for {} days", ins::MAX_BACKFILL_DAYS) }.into());
    }
    let jobs: Vec<(SyncKind, Trigger)> = kinds.iter().map(|k| (*k, Trigger::Manual)).collect();
    let (s, u) = (since.to_string(), until.to_string());
    let runs = enqueue(ctx, row["workspace_id"].as_str().unwrap_or_default(), &account, &jobs, Some((&s, &u))).await?;
    json_response(202, &json!({ "ad_account_id": account, "runs": runs }))
}

/// `GET /v1/accounts/{id}/sync/{run}`: the run's progress.
pub async fn progress(ctx: &RequestContext, principal: &Principal, raw: &str, run_id: &str) -> HandlerResult {
    let (account, _) = visible_account(ctx, principal, raw).await?;
    let row = ctx
        .env
        .d1("DB")?
        .prepare(
            "SELECT id, ad_account_id, kind, trigger, status, phase, window_start, window_end, pages, rows_written, graph_calls, retries, \
             rate_limited, attempts, detail, error, started_at, finished_at, updated_at FROM sync_runs WHERE id = ?1 AND ad_account_id = ?2",
        )
        .bind(&[text(run_id), text(&account)])?
        .first::<Value>(None)
        .await?
        .ok_or_else(|| HandlerError::from(Problem::new("not-found", "Not Found", 404, format!("no sync run {run_id} for act_{account}"))))?;
    json_response(200, &row)
}

/// `GET /webhooks/meta`: Meta's subscription handshake.
pub fn webhook_handshake(req: &Request, ctx: &RequestContext) -> HandlerResult {
    let url = req.url()?;
    let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let expected = ctx.var("META_WEBHOOK_VERIFY_TOKEN").unwrap_or_default();
    let (mode, token, challenge) = (q("hub.mode"), q("hub.verify_token"), q("hub.challenge"));
    match crate::webhooks::handshake(mode.as_deref(), token.as_deref(), challenge.as_deref(), &expected) {
        Some(c) => Ok(Response::ok(c)?),
        None => Err(Problem::forbidden("the webhook verify token does not match").into()),
    }
}

/// A verified notification on its way to the webhook consumer.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct WebhookMessage {
    /// The raw body as Meta sent it (already verified).
    pub webhook: String,
    pub received_at: String,
}

/// `POST /webhooks/meta`: verified against the raw body before anything is parsed or stored,
/// then handed to the webhook queue (durable) and acknowledged at once; the queue's consumer
/// deduplicates, stores and re-syncs (`process_webhooks`).
pub async fn webhook_notification(mut req: Request, ctx: &RequestContext) -> HandlerResult {
    let body = req.bytes().await?;
    let secret = ctx.var("META_APP_SECRET").unwrap_or_default();
    let signature = req.headers().get("X-Hub-Signature-256").ok().flatten();
    if secret.is_empty() || !crate::webhooks::signature_valid(&secret, &body, signature.as_deref()) {
        return Err(Problem::new("bad-signature", "Bad Signature", 401, "X-Hub-Signature-256 is missing or does not match the body").into());
    }
    let text_body = String::from_utf8(body).map_err(|_| HandlerError::from(Problem::bad_request("the notification is not UTF-8")))?;
    let parsed: Value = serde_json::from_str(&text_body).map_err(|e| HandlerError::from(Problem::bad_request(format!("the notification is not JSON: {e}"))))?;
    let changes = crate::webhooks::changes(&parsed).map_err(|e| HandlerError::from(Problem::bad_request(e)))?;
    ctx.env.queue("WEBHOOK_QUEUE")?.send(WebhookMessage { webhook: text_body, received_at: now_iso() }).await?;
    json_response(200, &json!({ "received": changes.len() }))
}

/// The webhook consumer: every change of the batch is stored once (Meta delivers at least once;
/// RETURNING names the new ones, in one round trip); one targeted structure run is queued per
/// bound account named, with all its objects, and one leads run per account whose ads got leads.
pub async fn process_webhooks(env: &worker::Env, bodies: &[WebhookMessage]) -> worker::Result<usize> {
    let db = env.d1("DB")?;
    let mut changes = Vec::new();
    for m in bodies {
        let parsed: Value = serde_json::from_str(&m.webhook).unwrap_or(Value::Null);
        changes.extend(crate::webhooks::changes(&parsed).unwrap_or_default().into_iter().map(|c| (c, m.received_at.clone())));
    }
    let mut stmts = Vec::new();
    for (c, at) in &changes {
        stmts.push(
            db.prepare("INSERT INTO webhook_events (id, dedupe_key, object, entry_id, field, value_json, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key")
                .bind(&[text(&new_id("whe")), text(&c.dedupe_key), text(&c.object), text(&c.entry_id), text(&c.field), text(&c.value.to_string()), text(at)])?,
        );
    }
    let inserted = if stmts.is_empty() { vec![] } else { db.batch(stmts).await? };
    let mut seen = std::collections::HashSet::new();
    let mut jobs: std::collections::BTreeMap<(String, &str), Vec<String>> = Default::default();
    for ((c, _), r) in changes.iter().zip(&inserted) {
        // A redelivery inside one batch is caught by `seen`; across batches, by the table.
        if !(r.results::<Value>().map(|v| !v.is_empty()).unwrap_or(false) && seen.insert(c.dedupe_key.clone())) {
            continue;
        }
        let target = match (c.resync_target(), c.lead()) {
            (Some((account, object)), _) => Some((account, "structure", object)),
            // A lead is fetched through the account of the ad it came from, as the mirror knows it.
            (None, Some((lead, Some(ad)))) => db
                .prepare("SELECT ad_account_id FROM meta_ads WHERE id = ?1")
                .bind(&[text(&ad)])?
                .first::<Value>(None)
                .await?
                .and_then(|r| r["ad_account_id"].as_str().map(|a| (a.to_string(), "leads", format!("leads:{lead}")))),
            _ => None,
        };
        if let Some((account, kind, object)) = target {
            let e = jobs.entry((account, kind)).or_default();
            if !e.contains(&object) {
                e.push(object);
            }
        }
    }
    let now = now_iso();
    let mut messages = Vec::new();
    for ((account, kind), objects) in jobs {
        let bound = db.prepare("SELECT workspace_id FROM ad_accounts WHERE id = ?1 AND status = 'active' AND integration_id IS NOT NULL").bind(&[text(&account)])?.first::<Value>(None).await?;
        let Some(ws) = bound.and_then(|b| b["workspace_id"].as_str().map(str::to_string)) else { continue };
        let kind = if kind == "leads" { SyncKind::Leads } else { SyncKind::Structure };
        messages.push(SyncMessage { v: SCHEMA_VERSION, kind, trigger: Trigger::Webhook, ad_account_id: account, workspace_id: ws, cron_run_id: None, enqueued_at: now.clone(), run_id: None, objects, error: None });
    }
    let queued = messages.len();
    if !messages.is_empty() {
        env.queue("SYNC_QUEUE")?.send_batch(messages).await?;
    }
    Ok(queued)
}

/// `POST /v1/workspaces/{id}/metrics/ingest` with `{"rows": [...]}`: good rows are upserted by
/// their natural key, bad ones reported by index and field; one audit row records the batch.
pub async fn ingest(req: Request, ctx: &RequestContext, principal: &Principal, ws: &str) -> HandlerResult {
    use crate::ingest::{self, AccountInfo};
    super::workspace_must_exist(ctx, ws).await?;
    let body = super::json_body(req).await?;
    let rows = body.get("rows").and_then(Value::as_array).ok_or(FieldError { field: "rows".into(), reason: "is required: an array of metric facts".into() })?;
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
        .map(|r| (r["id"].as_str().unwrap_or_default().to_string(), (r["currency"].as_str().unwrap_or_default().to_string(), r["timezone_name"].as_str().unwrap_or("UTC").to_string())))
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
    let sql = ingest::upsert_sql();
    let mut stmts = Vec::new();
    for chunk in good.chunks(1_000) {
        stmts.push(db.prepare(&sql).bind(&[text(&Value::Array(chunk.to_vec()).to_string())])?);
    }
    let mut audit = crate::audit::AuditEntry::new("ingest_metrics", &principal.actor(), &ctx.correlation_id, crate::audit::Outcome::Succeeded);
    audit.workspace_id = Some(ws.to_string());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(json!({ "accepted": good.len(), "rejected": rejected.len() }));
    stmts.push(crate::runtime::d1::audit_statement(&db, &audit, &now)?);
    db.batch(stmts).await?;
    let status = if good.is_empty() { 422 } else { 200 };
    json_response(status, &json!({ "accepted": good.len(), "rejected": rejected.len(), "errors": rejected }))
}
