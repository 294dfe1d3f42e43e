//! The jobs queue: reports produced into the REPORTS bucket and signed notifications delivered to
//! workspaces' endpoints; and the tick's part, which starts due scheduled reports and sends again
//! what lost its message. Each message (`Job`) names one row.

use super::d1::now_millis;
use super::services::{tokens, Services};
use crate::actions::recruiter_paid_media_analytics::create_async_report_job::Repeat;
use crate::actions::recruiter_paid_media_analytics::download_report::signed_path;
use crate::actions::recruiter_paid_media_analytics::report::{next_page, Parts, Spec, Walk, PART_BYTES};
use crate::db::{notifications, reports};
use crate::failure::Failure;
use crate::notify;
use crate::ports::{new_id, Job, Ports};
use crate::timefmt::iso_from_millis;
use serde_json::{json, Value};
use std::time::Duration;
use worker::{console_error, console_warn, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

pub const JOB_QUEUE: &str = "adgate-jobs";
/// A report gets this many attempts.
const REPORT_ATTEMPTS: i64 = 3;
/// A job untouched for this long lost its message; the tick sends it again.
const STALE_MS: i64 = 15 * 60_000;
/// How long a scheduled report's link works.
const SCHEDULED_LINK_MS: i64 = 24 * 3_600_000;
/// A receiver that has not answered in this long has failed the attempt.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

enum Next {
    Done,
    RetryIn(u32),
}

pub async fn consume(batch: MessageBatch<Value>, env: &Env) -> worker::Result<()> {
    for message in batch.iter() {
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                console_error!("queue {JOB_QUEUE}: undecodable message: {e}");
                continue;
            }
        };
        let svc = Services::new(env.clone(), message.id());
        let outcome = match serde_json::from_value::<Job>(message.body().clone()) {
            Ok(Job::Report(id)) => produce(&svc, &id).await,
            Ok(Job::Notification(id)) => deliver(&svc, &id).await,
            Ok(Job::RuleRun(id)) => crate::actions::rule_run::run(&svc, &id).await.map(|_| Next::Done),
            Ok(Job::Conversions(ws)) => crate::recruiting::conversions::send(&svc, &ws).await.map(|s| if s.retry > 0 { Next::RetryIn(60) } else { Next::Done }),
            Err(e) => {
                console_error!("queue {JOB_QUEUE}: a message names no job ({e}): {}", message.body());
                Ok(Next::Done)
            }
        };
        match outcome {
            Ok(Next::Done) => message.ack(),
            Ok(Next::RetryIn(seconds)) => message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(seconds).build()),
            Err(e) => {
                console_warn!("queue {JOB_QUEUE}: message {} will be retried: {}", message.id(), e.summary());
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(30).build());
            }
        }
    }
    Ok(())
}

/// Writes a report's CSV to the bucket a page at a time: at most one page and one part in memory.
async fn write_csv(svc: &Services, job: &reports::Job, spec: &Spec, key: &str) -> Result<(u64, u64, String), Failure> {
    let bucket = svc.env.bucket("REPORTS")?;
    let meta = || worker::HttpMetadata {
        content_type: Some("text/csv; charset=utf-8".into()),
        content_disposition: Some(format!("attachment; filename=\"{}.csv\"", job.id)),
        ..Default::default()
    };
    let mut walk = Walk::default();
    let mut parts = Parts::new(PART_BYTES);
    let mut upload: Option<worker::MultipartUpload> = None;
    let mut uploaded = Vec::new();
    let result: Result<(), Failure> = async {
        while let Some(page) = next_page(svc, &job.workspace_id, &job.ad_account_id, spec, &mut walk).await? {
            for part in parts.push(&page) {
                if upload.is_none() {
                    upload = Some(bucket.create_multipart_upload(key).http_metadata(meta()).execute().await?);
                }
                let u = upload.as_ref().expect("just created");
                uploaded.push(u.upload_part(uploaded.len() as u16 + 1, part).await?);
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        if let Some(u) = upload {
            let _ = u.abort().await;
        }
        return Err(e);
    }
    let bytes = parts.bytes;
    let (last, sha) = parts.finish();
    match upload {
        None => {
            bucket.put(key, last).http_metadata(meta()).execute().await?;
        }
        Some(u) => {
            if !last.is_empty() {
                uploaded.push(u.upload_part(uploaded.len() as u16 + 1, last).await?);
            }
            u.complete(uploaded).await?;
        }
    }
    Ok((walk.rows, bytes, sha))
}

async fn produce(svc: &Services, id: &str) -> Result<Next, Failure> {
    let ports: &dyn Ports = svc;
    let Some(job) = reports::by_id(ports, id).await? else { return Ok(Next::Done) };
    if !matches!(job.status.as_str(), "queued" | "running") {
        return Ok(Next::Done);
    }
    let now = ports.now_iso();
    ports.batch(vec![reports::start(id, &now)]).await?;
    let spec: Spec = serde_json::from_str(&job.spec_json).map_err(|e| Failure::Internal(format!("report {id} has an unreadable spec: {e}")))?;
    let key = format!("{}/{}.csv", job.workspace_id, job.id);
    match write_csv(svc, &job, &spec, &key).await {
        Ok((rows, bytes, sha)) => {
            let now = ports.now_iso();
            let produced = reports::Produced {
                rows: rows as i64,
                bytes: bytes as i64,
                sha256: &sha,
                object_key: &key,
                peak_memory_bytes: crate::telemetry::instance_memory_bytes().map(|b| b as i64),
            };
            let mut writes = vec![reports::succeed(id, &produced, &now)];
            let mut send = None;
            if let Some(schedule) = &job.schedule_id {
                let nid = new_id("ntf");
                let expires = now_millis() + SCHEDULED_LINK_MS;
                let path = signed_path(ports, &job.workspace_id, id, expires)?;
                let url = ports.deployment().public_url.map(|b| format!("{b}{path}"));
                let body = json!({
                    "id": nid, "event": "report.ready", "created_at": now, "workspace_id": job.workspace_id,
                    "report": { "id": id, "schedule_id": schedule, "ad_account_id": format!("act_{}", job.ad_account_id), "since": spec.since, "until": spec.until,
                                "rows": rows, "bytes": bytes, "sha256": sha },
                    "download": { "url": url, "path": path, "expires_at": iso_from_millis(expires) },
                });
                writes.push(notifications::insert(&job.workspace_id, &nid, "report.ready", id, &body.to_string(), &now));
                send = Some(nid);
            }
            ports.batch(writes).await?;
            if let Some(nid) = send {
                ports.enqueue(Job::Notification(nid)).await?;
            }
            Ok(Next::Done)
        }
        Err(e) if job.attempts + 1 < REPORT_ATTEMPTS => {
            console_warn!("report {id}: attempt {} failed, will retry: {}", job.attempts + 1, e.summary());
            Ok(Next::RetryIn(30))
        }
        Err(e) => {
            ports.batch(vec![reports::fail(id, &e.summary(), &ports.now_iso())]).await?;
            Ok(Next::Done)
        }
    }
}

/// One attempt at a notification: signed, POSTed, delivered on a 2xx.
async fn deliver(svc: &Services, id: &str) -> Result<Next, Failure> {
    let ports: &dyn Ports = svc;
    let Some(n) = notifications::get(ports, id).await? else { return Ok(Next::Done) };
    if n.status != "pending" {
        return Ok(Next::Done);
    }
    let last = n.attempts + 1 >= notify::MAX_ATTEMPTS;
    let Some(endpoint) = notifications::endpoint(ports, &n.workspace_id).await? else {
        ports.batch(vec![notifications::attempt_failed(id, "the workspace has no notification endpoint now", true, &ports.now_iso())]).await?;
        return Ok(Next::Done);
    };
    let secret =
        tokens::keyring(svc)?.open(&endpoint.secret_sealed, &notifications::secret_row_id(&n.workspace_id)).map_err(|e| Failure::Internal(e.to_string()))?;
    let timestamp = now_millis() / 1_000;
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("User-Agent", "adgate-notifications")?;
    headers.set(notify::SIGNATURE_HEADER, &notify::signature(&secret, timestamp, &n.body_json))?;
    headers.set(notify::TIMESTAMP_HEADER, &timestamp.to_string())?;
    headers.set(notify::DELIVERY_HEADER, &n.id)?;
    headers.set(notify::EVENT_HEADER, &n.event)?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post).with_headers(headers).with_body(Some(n.body_json.as_str().into()));
    let request = worker::Request::new_with_init(&endpoint.url, &init)?;
    let fetch = worker::Fetch::Request(request);
    let send = Box::pin(fetch.send());
    let timeout = Box::pin(worker::Delay::from(DELIVERY_TIMEOUT));
    let outcome = match futures::future::select(send, timeout).await {
        futures::future::Either::Left((Ok(resp), _)) if (200..300).contains(&resp.status_code()) => Ok(()),
        futures::future::Either::Left((Ok(resp), _)) => Err(format!("the endpoint answered {}", resp.status_code())),
        futures::future::Either::Left((Err(e), _)) => Err(format!("the endpoint could not be reached: {e}")),
        futures::future::Either::Right(_) => Err(format!("the endpoint did not answer within {} s", DELIVERY_TIMEOUT.as_secs())),
    };
    let now = ports.now_iso();
    match outcome {
        Ok(()) => {
            ports.batch(vec![notifications::delivered(id, &now)]).await?;
            Ok(Next::Done)
        }
        Err(reason) => {
            ports.batch(vec![notifications::attempt_failed(id, &reason, last, &now)]).await?;
            Ok(if last { Next::Done } else { Next::RetryIn(notify::backoff_seconds(n.attempts)) })
        }
    }
}

/// The tick's part: due scheduled reports get their run, and reports and notifications whose
/// message was lost are sent again. Returns a line for the tick's record when it did something.
pub async fn tick(env: &Env) -> Option<String> {
    let svc = Services::new(env.clone(), new_id("tick"));
    let reports = match run_tick(&svc).await {
        Ok((0, 0)) => None,
        Ok((scheduled, resent)) => Some(format!("{scheduled} scheduled reports started, {resent} jobs sent again")),
        Err(e) => Some(format!("jobs: {}", e.summary())),
    };
    let rules = match crate::actions::rule_trigger::tick(&svc).await {
        Ok((0, 0)) => None,
        Ok((started, resent)) => Some(format!("{started} rule runs started, {resent} sent again")),
        Err(e) => Some(format!("rules: {}", e.summary())),
    };
    match (reports, rules) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

async fn run_tick(svc: &Services) -> Result<(usize, usize), Failure> {
    let ports: &dyn Ports = svc;
    let now_ms = ports.now_millis();
    let now = iso_from_millis(now_ms);
    let mut messages = Vec::new();
    for s in reports::due(ports, &now).await? {
        let id = new_id("rpt");
        let Ok(spec) = serde_json::from_str::<Spec>(&s.spec_json) else { continue };
        let (_, tz) = crate::db::insights_read::freshness(ports, &s.workspace_id, &s.ad_account_id).await?;
        let today = crate::sync::insights::today_in(&tz, now_ms).map_err(Failure::Internal)?;
        let (since, until) = crate::sync::insights::last_whole_days(today, s.last_days);
        let spec_json = serde_json::to_string(&spec.over(&since.to_string(), &until.to_string())).map_err(|e| Failure::Internal(e.to_string()))?;
        let insert = reports::insert_scheduled_run(&s, &id, &spec_json, &now);
        let due_ms = crate::timefmt::millis_from_iso(&s.next_run_at).unwrap_or(now_ms);
        let period = Repeat::period_ms(&s.every);
        // The next run keeps the schedule's time of day; runs missed while down are not made up.
        let next = due_ms + period * ((now_ms - due_ms) / period + 1);
        ports.batch(vec![insert, reports::advance(&s.id, &s.next_run_at, &iso_from_millis(next), &id, &now)]).await?;
        messages.push(Job::Report(id));
    }
    let scheduled = messages.len();
    let stale = iso_from_millis(now_ms - STALE_MS);
    let mut touches = vec![reports::give_up(&stale, REPORT_ATTEMPTS, &now)];
    for job in reports::stalled(ports, &stale, REPORT_ATTEMPTS).await? {
        touches.push(reports::touch(&job.id, &now));
        messages.push(Job::Report(job.id));
    }
    for id in notifications::stalled(ports, &stale).await? {
        touches.push(notifications::touch(&id, &now));
        messages.push(Job::Notification(id));
    }
    ports.batch(touches).await?;
    // Pipeline stages queued without a message (a lead arriving by sync) or whose sender stopped.
    for r in ports.rows(crate::recruiting::conversions::waiting(now_ms, 100)).await? {
        if let Some(ws) = r["workspace_id"].as_str() {
            messages.push(Job::Conversions(ws.to_string()));
        }
    }
    let resent = messages.len() - scheduled;
    for m in messages {
        ports.enqueue(m).await?;
    }
    Ok((scheduled, resent))
}
