//! Meta's webhooks: the subscription handshake, signed notifications handed to their own queue
//! and acknowledged at once, and that queue's consumer.

use crate::problem::Problem;
use crate::runtime::context::{json_response, HandlerError, HandlerResult, RequestContext};
use crate::runtime::d1::{new_id, now_iso, text};
use crate::sync_message::{SyncKind, SyncMessage, Trigger, SCHEMA_VERSION};
use serde_json::{json, Value};
use worker::{Request, Response};

/// `GET /webhooks/meta`: Meta's subscription handshake.
pub fn handshake(req: &Request, ctx: &RequestContext) -> HandlerResult {
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
/// deduplicates, stores and re-syncs (`process`). A delivery of any size up to
/// `MAX_NOTIFICATION_BYTES` is split into pieces that each fit a queue message (every change
/// keeps its dedupe key), so a large batch is never answered 500 and dropped by Meta.
pub async fn notification(mut req: Request, ctx: &RequestContext) -> HandlerResult {
    use crate::webhooks::{MAX_NOTIFICATION_BYTES, MAX_PIECE_BYTES};
    crate::request_body::check_declared_length(req.headers().get("Content-Length").ok().flatten().as_deref(), MAX_NOTIFICATION_BYTES)?;
    let body = req.bytes().await?;
    if body.len() > MAX_NOTIFICATION_BYTES {
        return Err(crate::request_body::too_large(MAX_NOTIFICATION_BYTES).into());
    }
    let secret = ctx.var("META_APP_SECRET").unwrap_or_default();
    let signature = req.headers().get("X-Hub-Signature-256").ok().flatten();
    if secret.is_empty() || !crate::webhooks::signature_valid(&secret, &body, signature.as_deref()) {
        return Err(Problem::new("bad-signature", "Bad Signature", 401, "X-Hub-Signature-256 is missing or does not match the body").into());
    }
    let parsed: Value = serde_json::from_slice(&body).map_err(|e| HandlerError::from(Problem::bad_request(format!("the notification is not JSON: {e}"))))?;
    let changes = crate::webhooks::changes(&parsed).map_err(|e| HandlerError::from(Problem::bad_request(e)))?;
    let pieces =
        crate::webhooks::split(&parsed, MAX_PIECE_BYTES).map_err(|e| HandlerError::from(Problem::new("payload-too-large", "Payload Too Large", 413, e)))?;
    let received_at = now_iso();
    let messages: Vec<WebhookMessage> = pieces.into_iter().map(|webhook| WebhookMessage { webhook, received_at: received_at.clone() }).collect();
    send_in_batches(&ctx.env.queue("WEBHOOK_QUEUE")?, messages).await?;
    json_response(200, &json!({ "received": changes.len() }))
}

/// Sends messages in batches within the Queues limits (100 messages, 256 KB a batch). If one
/// batch fails the delivery is answered 500 and Meta retries it; what was already queued is
/// deduplicated by the consumer.
async fn send_in_batches(queue: &worker::Queue, messages: Vec<WebhookMessage>) -> worker::Result<()> {
    const MAX_BATCH_BYTES: usize = 200_000;
    let mut batch = Vec::new();
    let mut size = 0;
    for m in messages {
        let len = serde_json::to_string(&m).map(|t| t.len()).unwrap_or(MAX_BATCH_BYTES) + 100;
        if !batch.is_empty() && (batch.len() == 100 || size + len > MAX_BATCH_BYTES) {
            queue.send_batch(std::mem::take(&mut batch)).await?;
            size = 0;
        }
        size += len;
        batch.push(m);
    }
    if !batch.is_empty() {
        queue.send_batch(batch).await?;
    }
    Ok(())
}

/// The accounts a batch names (ad-account entries and the accounts its jobs go to), read once:
/// `(id, workspace, syncable)`, syncable being active with an integration to sync through.
async fn accounts_named(db: &worker::D1Database, ids: Vec<&str>) -> worker::Result<Vec<(String, String, bool)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .prepare(
            "SELECT id, workspace_id, (status = 'active' AND integration_id IS NOT NULL) AS syncable FROM ad_accounts \
             WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(&[text(&serde_json::to_string(&ids).unwrap_or_default())])?
        .all()
        .await?
        .results::<Value>()?;
    Ok(rows.iter().filter_map(|r| Some((r["id"].as_str()?.to_string(), r["workspace_id"].as_str()?.to_string(), r["syncable"] == 1))).collect())
}

/// Webhook delivery lag, from Meta's event time (or our receipt) to now, per field: under the
/// workspace of the ad account an entry names, or platform-wide for other objects (pages).
fn lag(changes: &[(crate::webhooks::Change, String)], accounts: &[(String, String, bool)]) {
    use crate::runtime::services::telemetry;
    let now = crate::runtime::d1::now_millis();
    for (c, received_at) in changes {
        let from_ms = c.time.map(|t| t.saturating_mul(1_000)).or_else(|| crate::timefmt::millis_from_iso(received_at)).unwrap_or(now);
        let owner = accounts.iter().find(|(a, _, _)| c.object == "ad_account" && *a == c.entry_id);
        let (ws, account) = owner.map_or(("", ""), |(a, w, _)| (w.as_str(), a.as_str()));
        telemetry::observe(&crate::telemetry::WEBHOOK_LAG, ws, account, &[("field", &c.field)], ((now - from_ms).max(0) as f64) / 1_000.0);
    }
}

/// How long a batch may hold its events before a redelivery may take them over (a consumer that
/// stopped between its claim and its release).
const CLAIM_SECONDS: i64 = 60;

/// The webhook consumer: every change of the batch is stored once (Meta delivers at least once),
/// and the events not yet dispatched are claimed in the same transaction; one targeted structure
/// run is queued per bound account named, with all its objects, and one leads run per account
/// whose ads got leads; only then are the events marked dispatched. A batch that fails after its
/// claim releases it and is redelivered by the queue, so an event stored but never dispatched
/// is taken up again and no webhook is lost; a duplicate arriving meanwhile finds it claimed.
pub async fn process(env: &worker::Env, bodies: &[WebhookMessage]) -> worker::Result<usize> {
    let db = env.d1("DB")?;
    let mut changes = Vec::new();
    for m in bodies {
        let parsed: Value = serde_json::from_str(&m.webhook).unwrap_or(Value::Null);
        changes.extend(crate::webhooks::changes(&parsed).unwrap_or_default().into_iter().map(|c| (c, m.received_at.clone())));
    }
    if changes.is_empty() {
        return Ok(0);
    }
    let now_ms = crate::runtime::d1::now_millis();
    let mut stmts = Vec::new();
    for (c, at) in &changes {
        stmts.push(
            db.prepare("INSERT INTO webhook_events (id, dedupe_key, object, entry_id, field, value_json, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (dedupe_key) DO NOTHING")
                .bind(&[text(&new_id("whe")), text(&c.dedupe_key), text(&c.object), text(&c.entry_id), text(&c.field), text(&c.value.to_string()), text(at)])?,
        );
    }
    stmts.push(claim_statement(&db, &changes, now_ms)?);
    let results = db.batch(stmts).await?;
    let claimed = claimed_keys(results.last());
    finish(env, &db, &changes, claimed).await
}

/// Events stored but still undispatched this long after receipt were stranded by batches that
/// failed past their retries; the cron tick dispatches them (at most `SWEEP_MAX` a tick).
const STRANDED_AFTER_SECONDS: i64 = 600;
const SWEEP_MAX: u32 = 500;

/// The cron tick's sweep of stranded events; answers how many runs it queued.
pub async fn redispatch_stranded(env: &worker::Env) -> worker::Result<usize> {
    let db = env.d1("DB")?;
    let now_ms = crate::runtime::d1::now_millis();
    let rows = db
        .prepare(
            "SELECT dedupe_key, object, entry_id, field, value_json, received_at FROM webhook_events WHERE status = 'received' AND received_at < ?1 \
             ORDER BY received_at LIMIT ?2",
        )
        .bind(&[text(&crate::timefmt::iso_from_millis(now_ms - STRANDED_AFTER_SECONDS * 1_000)), SWEEP_MAX.into()])?
        .all()
        .await?
        .results::<Value>()?;
    let changes: Vec<(crate::webhooks::Change, String)> = rows
        .iter()
        .filter_map(|r| {
            let t = |k: &str| r[k].as_str().map(str::to_string);
            let change = crate::webhooks::Change {
                object: t("object")?,
                entry_id: t("entry_id")?,
                field: t("field")?,
                value: serde_json::from_str(r["value_json"].as_str()?).ok()?,
                dedupe_key: t("dedupe_key")?,
                time: None,
            };
            Some((change, t("received_at")?))
        })
        .collect();
    if changes.is_empty() {
        return Ok(0);
    }
    let claimed = claimed_keys(Some(&claim_statement(&db, &changes, now_ms)?.all().await?));
    finish(env, &db, &changes, claimed).await
}

/// Claims the changes' events that are stored, undispatched and not claimed by a live batch.
fn claim_statement(db: &worker::D1Database, changes: &[(crate::webhooks::Change, String)], now_ms: i64) -> worker::Result<worker::D1PreparedStatement> {
    let keys: Vec<&str> = changes.iter().map(|(c, _)| c.dedupe_key.as_str()).collect();
    db.prepare(
        "UPDATE webhook_events SET claimed_at = ?2 WHERE dedupe_key IN (SELECT value FROM json_each(?1)) AND status = 'received' \
         AND (claimed_at IS NULL OR claimed_at < ?3) RETURNING dedupe_key",
    )
    .bind(&[
        text(&serde_json::to_string(&keys).unwrap_or_default()),
        text(&crate::timefmt::iso_from_millis(now_ms)),
        text(&crate::timefmt::iso_from_millis(now_ms - CLAIM_SECONDS * 1_000)),
    ])
}

fn claimed_keys(result: Option<&worker::D1Result>) -> std::collections::HashSet<String> {
    result.and_then(|r| r.results::<Value>().ok()).unwrap_or_default().iter().filter_map(|r| r["dedupe_key"].as_str().map(str::to_string)).collect()
}

/// Dispatches the claimed events and marks them dispatched; on failure releases the claim (so
/// the redelivery takes them at once; if the release fails too, the claim expires).
async fn finish(
    env: &worker::Env,
    db: &worker::D1Database,
    changes: &[(crate::webhooks::Change, String)],
    claimed: std::collections::HashSet<String>,
) -> worker::Result<usize> {
    if claimed.is_empty() {
        return Ok(0);
    }
    let claimed_json = text(&serde_json::to_string(&claimed).unwrap_or_default());
    match dispatch(env, db, changes, &claimed).await {
        Ok(queued) => {
            db.prepare("UPDATE webhook_events SET status = 'dispatched' WHERE dedupe_key IN (SELECT value FROM json_each(?1))")
                .bind(&[claimed_json])?
                .run()
                .await?;
            Ok(queued)
        }
        Err(e) => {
            let release =
                db.prepare("UPDATE webhook_events SET claimed_at = NULL WHERE dedupe_key IN (SELECT value FROM json_each(?1)) AND status = 'received'");
            if let Ok(stmt) = release.bind(&[claimed_json]) {
                let _ = stmt.run().await;
            }
            Err(e)
        }
    }
}

/// Queues the runs the claimed changes ask for; answers how many messages went.
async fn dispatch(
    env: &worker::Env,
    db: &worker::D1Database,
    changes: &[(crate::webhooks::Change, String)],
    claimed: &std::collections::HashSet<String>,
) -> worker::Result<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut jobs: std::collections::BTreeMap<(String, &str), Vec<String>> = Default::default();
    for (c, _) in changes {
        // A change twice in one batch is caught by `seen`; one already dispatched was not claimed.
        if !(claimed.contains(&c.dedupe_key) && seen.insert(c.dedupe_key.clone())) {
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
    let mut named: Vec<&str> = changes.iter().filter(|(c, _)| c.object == "ad_account").map(|(c, _)| c.entry_id.as_str()).collect();
    named.extend(jobs.keys().map(|(account, _)| account.as_str()));
    named.sort_unstable();
    named.dedup();
    let accounts = accounts_named(db, named).await?;
    lag(changes, &accounts);
    let now = now_iso();
    let mut messages = Vec::new();
    for ((account, kind), objects) in jobs {
        let Some(ws) = accounts.iter().find(|(a, _, syncable)| *a == account && *syncable).map(|(_, w, _)| w.clone()) else {
            continue;
        };
        let kind = if kind == "leads" { SyncKind::Leads } else { SyncKind::Structure };
        messages.push(SyncMessage {
            v: SCHEMA_VERSION,
            kind,
            trigger: Trigger::Webhook,
            ad_account_id: account,
            workspace_id: ws,
            cron_run_id: None,
            enqueued_at: now.clone(),
            run_id: None,
            objects,
            error: None,
        });
    }
    let queued = messages.len();
    if !messages.is_empty() {
        env.queue("SYNC_QUEUE")?.send_batch(messages).await?;
    }
    Ok(queued)
}
