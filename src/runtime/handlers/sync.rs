//! Starting sync runs: by hand (`POST /v1/accounts/{id}/sync`) and on binding (the backfill);
//! webhooks start theirs in `webhooks`. Each run is a `sync_runs` row created `queued` and a
//! message on the sync queue; the queue consumer does the work.

use crate::api_keys::Principal;
use crate::problem::Problem;
use crate::records::{normalise_account_id, FieldError};
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{new_id, now_iso, now_millis, opt_text, text};
use crate::sync::insights as ins;
use crate::sync_message::{SyncKind, SyncMessage, Trigger, SCHEMA_VERSION};
use serde_json::{json, Value};
use worker::{console_warn, Request};

/// Creates queued runs and puts their messages on the queue.
pub async fn enqueue(
    ctx: &RequestContext,
    ws: &str,
    account: &str,
    jobs: &[(SyncKind, Trigger)],
    window: Option<(&str, &str)>,
) -> Result<Vec<Value>, HandlerError> {
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
            .bind(&[
                text(&id),
                text(account),
                text(ws),
                text(kind.as_str()),
                text(trigger.as_str()),
                opt_text(win.map(|w| w.0)),
                opt_text(win.map(|w| w.1)),
                text(&now),
            ])?,
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
        console_warn!("[{}] backfill of act_{account} not queued: {}", ctx.correlation_id, e.summary());
    }
}

/// The account, if the caller's workspace holds it (404 otherwise, so other workspaces' ids do
/// not leak), with its workspace and time zone.
async fn visible_account(ctx: &RequestContext, principal: &Principal, raw: &str) -> Result<(String, Value), HandlerError> {
    let id =
        normalise_account_id(raw).ok_or(FieldError { field: "account_id".into(), reason: "must be a Meta ad account id such as act_1234567890".into() })?;
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

/// The body of `POST /v1/accounts/{id}/sync`, decoded like an action's input.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualSync {
    /// structure, insights or all (default all).
    kind: Option<crate::domain::Text<16>>,
    /// First day, YYYY-MM-DD in the account's time zone.
    since: Option<crate::domain::Text<10>>,
    /// Last day, YYYY-MM-DD (default: the account's today).
    until: Option<crate::domain::Text<10>>,
}

fn date_field(value: Option<&crate::domain::Text<10>>, field: &str) -> Result<Option<chrono::NaiveDate>, HandlerError> {
    value
        .map(|s| {
            chrono::NaiveDate::parse_from_str(s.as_str(), "%Y-%m-%d")
                .map_err(|_| FieldError { field: field.into(), reason: "must be a date, YYYY-MM-DD".into() }.into())
        })
        .transpose()
}

/// `POST /v1/accounts/{id}/sync` with `{"kind": "structure"|"insights"|"all", "since", "until"}`.
pub async fn manual(req: Request, ctx: &RequestContext, principal: &Principal, raw: &str) -> HandlerResult {
    let (account, row) = visible_account(ctx, principal, raw).await?;
    let body: ManualSync = crate::actions::input::decode(&super::body::json_body_or_empty(req).await?)?;
    let kinds: &[SyncKind] = match body.kind.as_ref().map(|k| k.as_str()).unwrap_or("all") {
        "all" => &[SyncKind::Structure, SyncKind::InsightsResync],
        "structure" => &[SyncKind::Structure],
        "insights" => &[SyncKind::InsightsResync],
        other => {
            return Err(
                FieldError { field: "kind".into(), reason: format!("{:?} is not one of structure, insights, all", crate::problem::excerpt(other)) }.into()
            )
        }
    };
    if row["integration_id"].is_null() {
        return Err(Problem::conflict(format!("ad account act_{account} has no Meta integration to sync through")).into());
    }
    let today = ins::today_in(row["timezone_name"].as_str().unwrap_or("UTC"), now_millis()).map_err(HandlerError::Internal)?;
    let until = date_field(body.until.as_ref(), "until")?.unwrap_or(today);
    let since = date_field(body.since.as_ref(), "since")?.unwrap_or(ins::fresh_window(until, ins::DEFAULT_ATTRIBUTION_WINDOW_DAYS).0);
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
