//! Queue consumers. The sync queue's consumer runs each job (`sync_job`) and acks it; a job that
//! must wait (throttling, a transient failure) is retried with a delay and resumes where it
//! stopped; after the configured retries the platform moves it to the dead-letter queue. A job
//! that retrying cannot fix goes to the dead-letter queue at once with the Graph error. The
//! dead-letter consumer stores each message with its reason in `dead_letters`.

use super::d1::{new_id, now_iso, text};
use super::handlers::webhooks::WebhookMessage;
use super::sync_job::{self, JobError};
use crate::sync_message;
use serde::Deserialize;
use serde_json::Value;
use worker::{console_error, console_warn, D1Database, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

pub const SYNC_QUEUE: &str = "adgate-sync";
pub const DEAD_LETTER_QUEUE: &str = "adgate-sync-dlq";
pub const WEBHOOK_QUEUE: &str = "adgate-webhooks";

pub async fn consume(batch: MessageBatch<Value>, env: &Env) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let queue = batch.queue();
    if queue == super::jobs::JOB_QUEUE {
        return super::jobs::consume(batch, env).await;
    }
    if queue == WEBHOOK_QUEUE {
        let bodies: Vec<WebhookMessage> = batch.messages()?.iter().filter_map(|m| serde_json::from_value(m.body().clone()).ok()).collect();
        match super::handlers::webhooks::process(env, &bodies).await {
            Ok(_) => batch.ack_all(),
            Err(e) => {
                console_warn!("queue {queue}: batch will be retried: {e}");
                batch.retry_all();
            }
        }
        return Ok(());
    }
    for message in batch.iter() {
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                console_error!("queue {queue}: undecodable message: {e}");
                continue;
            }
        };
        if queue == DEAD_LETTER_QUEUE {
            match store_dead_letter(&db, SYNC_QUEUE, &message.id(), message.body()).await {
                Ok(()) => message.ack(),
                Err(reason) => {
                    console_warn!("queue {queue}: dead letter {} will be retried: {reason}", message.id());
                    message.retry();
                }
            }
            continue;
        }
        let parsed = sync_message::parse(message.body());
        let outcome = match &parsed {
            Ok(msg) => sync_job::run(env, &message.id(), msg).await,
            Err(reason) => Err(JobError::Retry { reason: reason.clone(), delay_seconds: 0 }),
        };
        match outcome {
            // Waiting: the account's gate sends the message again when the report run is due.
            Ok(()) | Err(JobError::Waiting) => message.ack(),
            Err(JobError::Retry { reason, delay_seconds }) => {
                console_warn!("queue {queue}: message {} will be retried in {delay_seconds}s: {reason}", message.id());
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay_seconds).build());
            }
            Err(JobError::Permanent(reason) | JobError::Revoked(reason)) => {
                // Retrying cannot fix it: straight to the dead-letter queue, with the reason.
                let Ok(mut msg) = parsed else { continue };
                msg.error = Some(reason);
                let sent = match env.queue("SYNC_DLQ") {
                    Ok(q) => q.send(msg).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(()) => message.ack(),
                    Err(e) => {
                        console_error!("queue {queue}: could not dead-letter {}: {e}", message.id());
                        message.retry();
                    }
                }
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct BoundAccount {
    #[allow(dead_code)]
    workspace_id: String,
}

async fn bound_account(db: &D1Database, account_id: &str) -> worker::Result<Option<BoundAccount>> {
    db.prepare("SELECT workspace_id FROM ad_accounts WHERE id = ?1").bind(&[text(account_id)])?.first::<BoundAccount>(None).await
}

/// Stores a dead letter once (redelivery is harmless), with the reason the sync consumer failed.
async fn store_dead_letter(db: &D1Database, queue: &str, message_id: &str, body: &Value) -> Result<(), String> {
    let reason = match sync_message::parse(body) {
        _ if body["error"].is_string() => body["error"].as_str().unwrap_or_default().to_string(),
        _ if body["webhook"].is_string() => "the webhook consumer failed this notification on every delivery".to_string(),
        _ if body["report"].is_string() => "the jobs consumer failed this report on every delivery".to_string(),
        _ if body["notification"].is_string() => "the jobs consumer failed this notification on every delivery".to_string(),
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
    .bind(&[text(&new_id("dlq")), text(queue), text(message_id), text(&body.to_string()), text(&reason), text(&now)])
    .map_err(|e| e.to_string())?
    .run()
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}
