//! Cron ticks: each tick is a `cron_runs` row and one queue message per active ad account.

use super::d1::{int, new_id, now_iso, opt_text, text};
use crate::cron::{self, TickKind};
use crate::sync_message::{SyncMessage, Trigger, SCHEMA_VERSION};
use crate::timefmt::iso_from_millis;
use serde::Deserialize;
use worker::{console_error, console_log, D1Database, Env};

/// The daily tick refreshes tokens that expire within this many days.
const TOKEN_REFRESH_HORIZON_DAYS: i64 = 7;

/// An account whose run of a kind finished within this long is not sent another (`SYNC_COOLDOWN_SECONDS`).
const DEFAULT_SYNC_COOLDOWN_SECONDS: i64 = 10 * 60;
/// A queued or running run that has not moved for this long lost its message (a restart, a lost
/// delivery): the tick sends it again and it resumes from its last committed page
/// (`SYNC_STALE_SECONDS`).
const DEFAULT_SYNC_STALE_SECONDS: i64 = 5 * 60;
/// Cloudflare Queues accept at most 100 messages per sendBatch call.
const SEND_BATCH_MAX: usize = 100;

#[derive(Deserialize)]
struct ActiveAccount {
    id: String,
    workspace_id: String,
}

pub async fn run_tick(cron_expr: &str, scheduled_ms: f64, env: &Env) {
    let run_id = new_id("cron");
    let db = match env.d1("DB") {
        Ok(db) => db,
        Err(e) => return console_error!("cron {cron_expr}: no D1 binding: {e}"),
    };
    let tick = cron::classify(cron_expr);
    let started = now_iso();
    let opened = db
        .prepare(
            "INSERT INTO cron_runs (id, cron, tick_kind, scheduled_at, started_at, status, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?5, ?5)",
        )
        .bind(&[text(&run_id), text(cron_expr), opt_text(tick.as_ref().ok().map(|t| t.as_str())), text(&iso_from_millis(scheduled_ms as i64)), text(&started)]);
    if let Err(e) = async { opened?.run().await }.await {
        return console_error!("cron {cron_expr}: could not open run {run_id}: {e}");
    }
    let daily = tick == Ok(TickKind::DailyMaintenance);
    let outcome = match tick {
        Ok(kind) => fan_out(&db, env, &run_id, kind).await.map_err(|e| e.to_string()),
        Err(reason) => Err(reason),
    };
    let jobs = super::jobs::tick(env).await;
    let tokens = if daily { Some(refresh_tokens(env, &run_id).await) } else { None };
    let operations = operations(env, &run_id, daily).await;
    let detail = [tokens, jobs, Some(operations)].into_iter().flatten().collect::<Vec<_>>().join("; ");
    let detail = (!detail.is_empty()).then_some(detail);
    if let Err(e) = close_run(&db, &run_id, &outcome, detail.as_deref()).await {
        console_error!("cron {cron_expr}: could not close run {run_id}: {e}");
    }
    match outcome {
        Ok(n) => console_log!("cron {cron_expr}: run {run_id} enqueued {n} accounts"),
        Err(reason) => console_error!("cron {cron_expr}: run {run_id} failed: {reason}"),
    }
}

fn seconds_var(env: &Env, name: &str, default: i64) -> i64 {
    super::env::env_text(env, name).and_then(|v| v.parse().ok()).filter(|n: &i64| *n >= 0).unwrap_or(default)
}

#[derive(Deserialize)]
struct StaleRun {
    id: String,
    ad_account_id: String,
    workspace_id: String,
    kind: String,
    trigger: String,
}

/// Stale runs are sent again (by id, so they resume); then one new message per active account
/// and job kind, except for accounts with a run of that kind still pending or finished within
/// the cooldown.
async fn fan_out(db: &D1Database, env: &Env, run_id: &str, kind: TickKind) -> worker::Result<usize> {
    let queue = env.queue("SYNC_QUEUE")?;
    let enqueued_at = now_iso();
    let now = super::d1::now_millis();
    let cooled = crate::timefmt::iso_from_millis(now - seconds_var(env, "SYNC_COOLDOWN_SECONDS", DEFAULT_SYNC_COOLDOWN_SECONDS) * 1_000);
    let stale_before = crate::timefmt::iso_from_millis(now - seconds_var(env, "SYNC_STALE_SECONDS", DEFAULT_SYNC_STALE_SECONDS) * 1_000);
    let mut messages: Vec<SyncMessage> = Vec::new();
    if !kind.sync_kinds().is_empty() {
        // One statement claims them (they stop looking stale) and returns what to send.
        let stale = db
            .prepare(
                "UPDATE sync_runs SET updated_at = ?2 WHERE id IN (SELECT id FROM sync_runs WHERE status IN ('queued', 'running') AND updated_at < ?1 \
                 ORDER BY updated_at LIMIT 500) RETURNING id, ad_account_id, workspace_id, kind, trigger",
            )
            .bind(&[text(&stale_before), text(&enqueued_at)])?
            .all()
            .await?
            .results::<StaleRun>()?;
        messages
            .extend(stale.iter().filter_map(|r| crate::sync_message::resume(&r.id, &r.kind, &r.trigger, &r.ad_account_id, &r.workspace_id, &enqueued_at).ok()));
    }
    for sync_kind in kind.sync_kinds() {
        let accounts = db
            .prepare(
                "SELECT id, workspace_id FROM ad_accounts a WHERE status = 'active' AND NOT EXISTS (SELECT 1 FROM sync_runs r \
                 WHERE r.ad_account_id = a.id AND r.kind = ?1 AND (r.status IN ('queued', 'running') OR r.finished_at > ?2)) ORDER BY id",
            )
            .bind(&[text(sync_kind.as_str()), text(&cooled)])?
            .all()
            .await?
            .results::<ActiveAccount>()?;
        messages.extend(accounts.into_iter().map(|a| SyncMessage {
            v: SCHEMA_VERSION,
            kind: *sync_kind,
            trigger: Trigger::Cron,
            ad_account_id: a.id,
            workspace_id: a.workspace_id,
            cron_run_id: Some(run_id.to_string()),
            enqueued_at: enqueued_at.clone(),
            run_id: None,
            objects: vec![],
            error: None,
        }));
    }
    for chunk in messages.chunks(SEND_BATCH_MAX) {
        queue.send_batch(chunk.to_vec()).await?;
    }
    Ok(messages.len())
}

/// The platform's own upkeep: service alerts on every tick; on the daily tick first the
/// retention purges and the audit completeness check (whose gaps the alerts then report).
/// Returns what it did, for the ledger; a failure is logged and never fails the tick.
async fn operations(env: &Env, run_id: &str, daily: bool) -> String {
    use crate::ports::Ports;
    let svc = super::services::Services::new(env.clone(), format!("cron:{run_id}"));
    let ports: &dyn Ports = &svc;
    let mut done = Vec::new();
    if daily {
        match crate::ops::retention::run(ports, Some(run_id)).await {
            Ok(p) => done.push(format!("retention: {} purges, {} rows, {} unfinished", p.purges, p.rows, p.unfinished)),
            Err(e) => {
                console_error!("cron {run_id}: retention failed: {}", e.summary());
                done.push("retention failed; see the logs".into());
            }
        }
        match crate::ops::audit_check::run(ports, None, crate::ops::audit_check::DEFAULT_WINDOW_HOURS, "cron").await {
            Ok(c) => done.push(format!("audit completeness: {} gaps ({} new)", c.gaps.len(), c.new_gaps)),
            Err(e) => {
                console_error!("cron {run_id}: audit completeness failed: {}", e.summary());
                done.push("audit completeness failed; see the logs".into());
            }
        }
    }
    // Webhook events whose batches failed past their retries: dispatched again, never lost.
    match super::handlers::webhooks::redispatch_stranded(env).await {
        Ok(0) => {}
        Ok(n) => done.push(format!("webhooks: {n} stranded runs queued")),
        Err(e) => {
            console_error!("cron {run_id}: webhook sweep failed: {e}");
            done.push("webhook sweep failed; see the logs".into());
        }
    }
    // Facts moving from D1 to their accounts' objects: a bounded step on every tick.
    if super::env::env_text(env, "FACTS_STORE").as_deref() != Some("d1") {
        // `FACT_MIGRATION_ROUNDS` lowers the rounds per tick (a test walks the copy tick by tick).
        let rounds = super::env::env_text(env, "FACT_MIGRATION_ROUNDS").and_then(|v| v.parse::<usize>().ok());
        let rounds = rounds.unwrap_or(crate::facts::migration::ROUNDS_PER_TICK).clamp(1, crate::facts::migration::ROUNDS_PER_TICK);
        match crate::facts::migration::run(ports, rounds).await {
            Ok(m) if m == crate::facts::migration::Moved::default() => {}
            Ok(m) => done.push(format!(
                "facts moved: {} accounts started, {} rows copied, {} days copied again, {} switched, {} D1 rows removed, {} unfinished",
                m.started, m.rows_copied, m.days_recopied, m.switched, m.d1_rows_removed, m.unfinished
            )),
            Err(e) => {
                console_error!("cron {run_id}: fact migration failed: {}", e.summary());
                done.push("fact migration failed; see the logs".into());
            }
        }
    }
    match crate::ops::service_alerts::evaluate(ports).await {
        Ok(e) => done.push(format!("service alerts: {} opened, {} closed, {} open", e.opened, e.closed, e.open)),
        Err(e) => {
            console_error!("cron {run_id}: service alerts failed: {}", e.summary());
            done.push("service alerts failed; see the logs".into());
        }
    }
    done.join("; ")
}

/// Token refresh for integrations expiring within a week; returns what it did, for the ledger.
async fn refresh_tokens(env: &Env, run_id: &str) -> String {
    let svc = super::services::Services::new(env.clone(), format!("cron:{run_id}"));
    match super::services::tokens::refresh_due(&svc, TOKEN_REFRESH_HORIZON_DAYS).await {
        Ok((refreshed, expired)) => {
            format!("tokens refreshed: {refreshed}; marked expired: {expired}")
        }
        Err(_) => "token refresh failed; see the logs".to_string(),
    }
}

async fn close_run(db: &D1Database, run_id: &str, outcome: &Result<usize, String>, detail: Option<&str>) -> worker::Result<()> {
    let now = now_iso();
    let (status, count, error) = match outcome {
        Ok(n) => ("succeeded", *n as i64, None),
        Err(reason) => ("failed", 0, Some(reason.as_str())),
    };
    db.prepare(
        "UPDATE cron_runs SET status = ?2, accounts_enqueued = ?3, error = ?4, detail = ?6, finished_at = ?5, updated_at = ?5 \
         WHERE id = ?1",
    )
    .bind(&[text(run_id), text(status), int(count), opt_text(error), text(&now), opt_text(detail)])?
    .run()
    .await?;
    Ok(())
}
