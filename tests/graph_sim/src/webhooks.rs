//! Outgoing webhooks: subscriptions are verified with Meta's handshake, changes to ad objects
//! and new leads are POSTed signed with `X-Hub-Signature-256`, and failed deliveries are retried
//! with growing delays (Meta retries for up to 36 hours; the simulator compresses that).

use crate::store::{Delivery, Kind, Store, Subscription};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const MAX_ATTEMPTS: u32 = 6;

pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn enqueue(store: &mut Store, object: &str, field: &str, entry_id: &str, value: Value) {
    let subs: Vec<Subscription> = store.subscriptions.iter().filter(|s| s.object == object && s.fields.iter().any(|f| f == field)).cloned().collect();
    for sub in subs {
        let body = json!({
            "object": object,
            "entry": [{ "id": entry_id, "time": store.now(), "changes": [{ "field": field, "value": value }] }],
        })
        .to_string();
        let id = store.deliveries.len() as u64 + 1;
        let now = store.uptime_ms();
        store.deliveries.push(Delivery {
            id,
            url: sub.callback_url,
            body,
            attempts: 0,
            delivered: false,
            gave_up: false,
            last_status: None,
            next_attempt_ms: now,
        });
    }
}

/// An ad object was created, updated or deleted: notify `ad_account` subscribers.
pub fn object_changed(store: &mut Store, account_id: &str, object_id: &str, verb: &str) {
    let Some(node) = store.nodes.get(object_id) else {
        return;
    };
    let level = match node.kind {
        Kind::Campaign => "CAMPAIGN",
        Kind::AdSet => "AD_SET",
        Kind::Ad => "AD",
        Kind::Creative => "CREATIVE",
        _ => return,
    };
    let status = store.effective_status(node);
    let field = if status == "WITH_ISSUES" { "with_issues_ad_objects" } else { "in_process_ad_objects" };
    let value = json!({ "id": object_id, "level": level, "status_name": status, "event": verb, "updated_time": Store::iso(node.updated) });
    enqueue(store, "ad_account", field, account_id, value);
}

/// A lead arrived on a form: notify `page` subscribers of `leadgen`.
pub fn lead_created(store: &mut Store, page_id: &str, value: Value) {
    enqueue(store, "page", "leadgen", page_id, value);
}

/// Runs forever: sends due deliveries, records the outcome, schedules retries.
pub async fn deliver_loop(store: Arc<Mutex<Store>>) {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (due, secret) = {
            let s = store.lock().unwrap();
            let now = s.uptime_ms();
            let due: Vec<Delivery> = s.deliveries.iter().filter(|d| !d.delivered && !d.gave_up && d.next_attempt_ms <= now).cloned().collect();
            (due, s.cfg.app_secret.clone())
        };
        for d in due {
            let sig = signature(&secret, d.body.as_bytes());
            let (url, body) = (d.url.clone(), d.body.clone());
            let status = tokio::task::spawn_blocking(move || {
                let r = ureq::post(&url)
                    .timeout(Duration::from_secs(5))
                    .set("Content-Type", "application/json")
                    .set("X-Hub-Signature-256", &sig)
                    .send_string(&body);
                match r {
                    Ok(resp) => Some(resp.status()),
                    Err(ureq::Error::Status(code, _)) => Some(code),
                    Err(_) => None,
                }
            })
            .await
            .ok()
            .flatten();
            let mut s = store.lock().unwrap();
            let now = s.uptime_ms();
            if let Some(entry) = s.deliveries.iter_mut().find(|x| x.id == d.id) {
                entry.attempts += 1;
                entry.last_status = status;
                if status.is_some_and(|c| (200..300).contains(&c)) {
                    entry.delivered = true;
                } else if entry.attempts >= MAX_ATTEMPTS {
                    entry.gave_up = true;
                } else {
                    entry.next_attempt_ms = now + 250 * (1u128 << entry.attempts);
                }
            }
        }
    }
}

/// Meta's verification handshake against a callback URL: GET with hub.* and expect the challenge.
pub fn verify_callback(url: &str, verify_token: &str, challenge: &str) -> Result<(), String> {
    let mut u = url::Url::parse(url).map_err(|e| format!("callback_url is not a URL: {e}"))?;
    u.query_pairs_mut().append_pair("hub.mode", "subscribe").append_pair("hub.challenge", challenge).append_pair("hub.verify_token", verify_token);
    let resp = ureq::get(u.as_str()).timeout(Duration::from_secs(5)).call().map_err(|e| format!("verification request failed: {e}"))?;
    let body = resp.into_string().unwrap_or_default();
    if body.trim() == challenge {
        Ok(())
    } else {
        Err("callback did not echo hub.challenge".into())
    }
}
