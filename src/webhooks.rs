//! Meta's webhooks, the pure half: the verification handshake, the `X-Hub-Signature-256` check
//! (HMAC-SHA256 of the raw body with the app secret, compared in constant time), and which
//! changes a notification carries, each with a key that is the same on every redelivery.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The handshake: `hub.mode=subscribe` with our verify token gets the challenge echoed.
pub fn handshake<'a>(mode: Option<&str>, token: Option<&str>, challenge: Option<&'a str>, expected_token: &str) -> Option<&'a str> {
    let ok = mode == Some("subscribe") && !expected_token.is_empty() && token.is_some_and(|t| crate::auth::key_matches(t, expected_token));
    challenge.filter(|_| ok)
}

/// Whether `header` (`sha256=<hex>`) is the HMAC of exactly these bytes.
pub fn signature_valid(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// One change in a notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub object: String,
    pub entry_id: String,
    pub field: String,
    pub value: Value,
    /// The same for every delivery of this change.
    pub dedupe_key: String,
    /// Meta's event time (Unix seconds), when the entry has one.
    pub time: Option<i64>,
}

impl Change {
    /// For an ad-object change: the ad account and `kind:id` of the object to re-sync.
    pub fn resync_target(&self) -> Option<(String, String)> {
        if self.object != "ad_account" {
            return None;
        }
        let kind = crate::sync::structure::ObjectKind::from_level(self.value["level"].as_str()?)?;
        let id = id_text(&self.value["id"])?;
        let account = self.entry_id.trim_start_matches("act_").to_string();
        Some((account, format!("{}:{id}", kind.as_str())))
    }
}

impl Change {
    /// For a leadgen notification: the lead's id and the ad it came from (if Meta named one).
    pub fn lead(&self) -> Option<(String, Option<String>)> {
        if self.object != "page" || self.field != "leadgen" {
            return None;
        }
        Some((id_text(&self.value["leadgen_id"])?, id_text(&self.value["ad_id"])))
    }
}

/// Graph ids arrive as strings, and in some payloads as numbers.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The changes of a notification body (`{"object": ..., "entry": [{"id", "time", "changes": [...]}]}`).
pub fn changes(body: &Value) -> Result<Vec<Change>, String> {
    let object = body["object"].as_str().ok_or("the notification has no object")?;
    let entries = body["entry"].as_array().ok_or("the notification has no entry list")?;
    let mut out = Vec::new();
    for e in entries {
        let entry_id = id_text(&e["id"]).ok_or("an entry has no id")?;
        let time = e["time"].to_string();
        for c in e["changes"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let field = c["field"].as_str().ok_or("a change has no field")?.to_string();
            let value = c["value"].clone();
            let digest = Sha256::digest(format!("{object}\n{entry_id}\n{time}\n{field}\n{value}").as_bytes());
            out.push(Change {
                object: object.to_string(),
                entry_id: entry_id.clone(),
                field,
                value,
                dedupe_key: hex::encode(digest),
                time: e["time"].as_i64(),
            });
        }
    }
    Ok(out)
}

/// The largest notification accepted (413 above): Meta batches at most 1,000 changes, a few
/// hundred bytes each, so this is ten times the largest delivery seen.
pub const MAX_NOTIFICATION_BYTES: usize = 4 * 1024 * 1024;
/// What one piece may weigh once embedded in a queue message as a JSON string (Cloudflare
/// Queues take 128 KB a message, metadata included).
pub const MAX_PIECE_BYTES: usize = 100_000;

/// Bytes `text` takes inside a JSON string (quotes and escapes included).
fn escaped_len(text: &str) -> usize {
    serde_json::to_string(text).map(|s| s.len()).unwrap_or(usize::MAX)
}

/// Splits a verified notification into pieces that each fit a queue message, keeping the
/// object, every entry's `id` and `time`, and every change as it came, so each change keeps
/// its dedupe key. Fails only when a single change is over the limit by itself.
pub fn split(body: &Value, max_piece_bytes: usize) -> Result<Vec<String>, String> {
    let object = body["object"].clone();
    let wrap = |entries: Vec<Value>| serde_json::json!({ "object": object, "entry": entries }).to_string();
    let base = escaped_len(&wrap(vec![]));
    let mut pieces = Vec::new();
    let (mut entries, mut size): (Vec<Value>, usize) = (Vec::new(), base);
    for e in body["entry"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let mut head = e.clone();
        let changes = head.as_object_mut().and_then(|o| o.remove("changes")).and_then(|c| c.as_array().cloned()).unwrap_or_default();
        head["changes"] = Value::Array(vec![]);
        let head_len = escaped_len(&head.to_string()) + 1;
        let mut open = false;
        for c in changes {
            let c_len = escaped_len(&c.to_string()) + 1;
            if base + head_len + c_len > max_piece_bytes {
                return Err(format!("a change of {} bytes is over the {max_piece_bytes}-byte limit for one change", c.to_string().len()));
            }
            if size + c_len + if open { 0 } else { head_len } > max_piece_bytes {
                pieces.push(wrap(std::mem::take(&mut entries)));
                size = base;
                open = false;
            }
            if !open {
                entries.push(head.clone());
                size += head_len;
                open = true;
            }
            if let Some(list) = entries.last_mut().and_then(|x| x["changes"].as_array_mut()) {
                list.push(c);
            }
            size += c_len;
        }
    }
    if !entries.is_empty() {
        pieces.push(wrap(entries));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn handshake_needs_mode_and_token() {
        assert_eq!(handshake(Some("subscribe"), Some("vt"), Some("123"), "vt"), Some("123"));
        assert_eq!(handshake(Some("subscribe"), Some("nope"), Some("123"), "vt"), None);
        assert_eq!(handshake(Some("unsubscribe"), Some("vt"), Some("123"), "vt"), None);
        assert_eq!(handshake(Some("subscribe"), Some(""), Some("123"), ""), None, "no verify token configured: no handshake");
    }

    #[test]
    fn signatures_cover_the_exact_bytes() {
        let body = br#"{"object":"ad_account","entry":[]}"#;
        let good = sign("s3cret", body);
        assert!(signature_valid("s3cret", body, Some(&good)));
        assert!(!signature_valid("other", body, Some(&good)));
        assert!(!signature_valid("s3cret", br#"{"object":"ad_account","entry":[] }"#, Some(&good)));
        assert!(!signature_valid("s3cret", body, None));
        assert!(!signature_valid("s3cret", body, Some("sha1=abc")));
        assert!(!signature_valid("s3cret", body, Some("sha256=zz")));
    }

    #[test]
    fn changes_carry_stable_keys_and_targets() {
        let body = json!({ "object": "ad_account", "entry": [{ "id": "100200300", "time": 1795428000, "changes": [
            { "field": "in_process_ad_objects", "value": { "id": "555", "level": "AD_SET", "status_name": "ACTIVE" } },
            { "field": "with_issues_ad_objects", "value": { "id": "556", "level": "AD" } } ] }] });
        let c = changes(&body).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].resync_target(), Some(("100200300".into(), "adsets:555".into())));
        assert_eq!(c[1].resync_target(), Some(("100200300".into(), "ads:556".into())));
        assert_eq!(changes(&body).unwrap()[0].dedupe_key, c[0].dedupe_key, "a redelivery has the same key");
        assert_ne!(c[0].dedupe_key, c[1].dedupe_key);
        assert!(changes(&json!({ "entry": [] })).is_err());
        let lead =
            changes(&json!({ "object": "page", "entry": [{ "id": 1, "time": 2, "changes": [{ "field": "leadgen", "value": { "leadgen_id": "9" } }] }] }))
                .unwrap();
        assert_eq!(lead[0].resync_target(), None);
        assert_eq!(lead[0].lead(), Some(("9".into(), None)));
        assert_eq!(c[0].lead(), None);
    }

    #[test]
    fn large_notifications_split_into_pieces_that_keep_every_change_and_key() {
        let changes: Vec<Value> = (0..1_000).map(|i| json!({ "field": "with_issues_ad_objects", "value": { "id": format!("{}", 900_000 + i), "level": "AD", "error_summary": "x\"y".repeat(100) } })).collect();
        let body = json!({ "object": "ad_account", "entry": [
            { "id": "100200300", "time": 1795428000, "changes": changes[..600] },
            { "id": "100200301", "time": 1795428001, "changes": changes[600..] } ] });
        assert!(body.to_string().len() > 300_000);
        let pieces = split(&body, MAX_PIECE_BYTES).unwrap();
        assert!(pieces.len() > 3, "{}", pieces.len());
        assert!(pieces.iter().all(|p| escaped_len(p) <= MAX_PIECE_BYTES), "every piece fits a message");
        let keys = |v: &Value| changes_of(v).into_iter().map(|c| c.dedupe_key).collect::<Vec<_>>();
        let rejoined: Vec<String> = pieces.iter().flat_map(|p| keys(&serde_json::from_str(p).unwrap())).collect();
        assert_eq!(rejoined, keys(&body), "the same changes, in order, with the same keys");
        let small = json!({ "object": "page", "entry": [{ "id": 1, "time": 2, "changes": [{ "field": "leadgen", "value": { "leadgen_id": "9" } }] }] });
        assert_eq!(split(&small, MAX_PIECE_BYTES).unwrap().len(), 1);
        let huge = json!({ "object": "page", "entry": [{ "id": 1, "time": 2, "changes": [{ "field": "x", "value": "y".repeat(MAX_PIECE_BYTES) }] }] });
        assert!(split(&huge, MAX_PIECE_BYTES).unwrap_err().contains("over the"));
    }

    fn changes_of(v: &Value) -> Vec<Change> {
        changes(v).unwrap()
    }
}
