//! Queue consumers. The sync queue's consumer records each job as a `sync_runs` row and acks it;
//! a message it cannot handle is retried, and after the configured retries the platform moves it
//! to the dead-letter queue, whose consumer stores it with the reason in `dead_letters`.

use super::d1::{new_id, now_iso, opt_text, text};
use crate::sync_message::{self, SyncMessage};
use serde::Deserialize;
use serde_json::Value;
use worker::{console_error, console_warn, D1Database, Env, MessageBatch, MessageExt};

pub const SYNC_QUEUE: &str = "adgate-sync";
pub const DEAD_LETTER_QUEUE: &str = "adgate-sync-dlq";

pub async fn consume(batch: MessageBatch<Value>, env: &Env) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let queue = batch.queue();
    for message in batch.iter() {
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                console_error!("queue {queue}: undecodable message: {e}");
                continue;
            }
        };
        let handled = if queue == DEAD_LETTER_QUEUE {
            store_dead_letter(&db, SYNC_QUEUE, &message.id(), message.body()).await
        } else {
            record_sync_run(&db, &message.id(), message.body()).await
        };
        match handled {
            Ok(()) => message.ack(),
            Err(reason) => {
                console_warn!("queue {queue}: message {} will be retried: {reason}", message.id());
                message.retry();
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct BoundAccount {
    workspace_id: String,
    status: String,
}

async fn bound_account(db: &D1Database, account_id: &str) -> worker::Result<Option<BoundAccount>> {
    db.prepare("SELECT workspace_id, status FROM ad_accounts WHERE id = ?1")
        .bind(&[text(account_id)])?
        .first::<BoundAccount>(None)
        .await
}

/// What the consumer does with one sync job today: record it. Sync work itself (structure and
/// insights) is not built yet, so the run is marked `skipped` with that reason rather than
/// claiming a success that did not happen.
async fn record_sync_run(db: &D1Database, message_id: &str, body: &Value) -> Result<(), String> {
    let msg: SyncMessage = sync_message::parse(body)?;
    let account = bound_account(db, &msg.ad_account_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("ad account {} is not bound to any workspace", msg.ad_account_id))?;
    let detail = if account.status == "active" {
        format!("no {} job is built yet; the run is recorded only", msg.kind.as_str())
    } else {
        format!("ad account is {}", account.status)
    };
    let now = now_iso();
    let upsert = db
        .prepare(
            "INSERT INTO sync_runs (id, ad_account_id, workspace_id, kind, trigger, cron_run_id, queue_message_id, \
               attempts, status, detail, started_at, finished_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 'skipped', ?8, ?9, ?9, ?9, ?9) \
             ON CONFLICT (queue_message_id) DO UPDATE SET attempts = sync_runs.attempts + 1, \
               status = excluded.status, detail = excluded.detail, finished_at = excluded.finished_at, \
               updated_at = excluded.updated_at",
        )
        .bind(&[
            text(&new_id("sync")),
            text(&msg.ad_account_id),
            text(&account.workspace_id),
            text(msg.kind.as_str()),
            text(msg.trigger.as_str()),
            opt_text(msg.cron_run_id.as_deref()),
            text(message_id),
            text(&detail),
            text(&now),
        ])
        .map_err(|e| e.to_string())?;
    upsert.run().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Stores a dead letter once (redelivery is harmless), with the reason the sync consumer failed.
async fn store_dead_letter(db: &D1Database, queue: &str, message_id: &str, body: &Value) -> Result<(), String> {
    let reason = match sync_message::parse(body) {
        Err(reason) => reason,
        Ok(msg) => match bound_account(db, &msg.ad_account_id).await {
            Ok(None) => format!("ad account {} is not bound to any workspace", msg.ad_account_id),
            _ => "the sync consumer failed this message on every delivery".to_string(),
        },
    };
    let now = now_iso();
    db.prepare(
        "INSERT INTO dead_letters (id, queue, message_id, body, reason, received_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6) ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(&[
        text(&new_id("dlq")),
        text(queue),
        text(message_id),
        text(&body.to_string()),
        text(&reason),
        text(&now),
    ])
    .map_err(|e| e.to_string())?
    .run()
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}
