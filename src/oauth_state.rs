//! The OAuth `state` parameter: which workspace started the connect flow, until when it is
//! valid, the hash of a secret held only by the browser that started it (a cookie), and an
//! HMAC-SHA256 over all of it, so the callback can trust it without storing anything. A stolen
//! dialog URL is useless without that browser's cookie.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const LIFETIME_SECS: i64 = 600;
/// The cookie that binds a connect flow to the browser that started it.
pub const BINDING_COOKIE: &str = "adgate_oauth_binding";

fn binding_hash(binding: &str) -> String {
    hex::encode(Sha256::digest(format!("adgate-oauth-binding:{binding}").as_bytes()))
}

/// The `Set-Cookie` value for a binding: only sent back to the connect routes, never readable
/// by scripts, over HTTPS, and on the top-level redirect back from Meta (Lax).
pub fn binding_cookie(binding: &str) -> String {
    format!("{BINDING_COOKIE}={binding}; Path=/v1/meta/connect; Max-Age={LIFETIME_SECS}; HttpOnly; Secure; SameSite=Lax")
}

/// The binding from a `Cookie` header, if present.
pub fn binding_from_cookies(header: Option<&str>) -> Option<&str> {
    header?.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == BINDING_COOKIE).map(|(_, v)| v.trim())
}

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(b"adgate-oauth-state:");
    m.update(payload.as_bytes());
    m
}

/// `payload.signature`, where payload is base64url of `workspace|expires_at|nonce|hash(binding)`.
pub fn sign(secret: &str, workspace_id: &str, now: i64, nonce: &str, binding: &str) -> String {
    let payload = B64.encode(format!("{workspace_id}|{}|{nonce}|{}", now + LIFETIME_SECS, binding_hash(binding)));
    let sig = B64.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// The workspace the state was issued for, if the signature holds, it has not expired, and the
/// caller's browser holds the binding it was issued with.
pub fn verify(secret: &str, state: &str, now: i64, binding: Option<&str>) -> Result<String, &'static str> {
    let (payload, sig) = state.split_once('.').ok_or("malformed state")?;
    let sig = B64.decode(sig).map_err(|_| "malformed state")?;
    // verify_slice compares in constant time.
    mac(secret, payload).verify_slice(&sig).map_err(|_| "state signature does not match")?;
    let text = String::from_utf8(B64.decode(payload).map_err(|_| "malformed state")?).map_err(|_| "malformed state")?;
    let mut parts = text.split('|');
    let (ws, exp) = (parts.next().unwrap_or_default(), parts.next().and_then(|e| e.parse::<i64>().ok()).ok_or("malformed state")?);
    if now > exp {
        return Err("state has expired; start the connection again");
    }
    let (_nonce, expected) = (parts.next(), parts.next().ok_or("malformed state")?);
    let presented = binding.map(binding_hash).ok_or("this browser did not start the connection (no binding cookie); start it again here")?;
    if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        return Err("this browser did not start the connection; start it again here");
    }
    Ok(ws.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn round_trips_and_rejects_tampering_and_expiry() {
        let s = sign("k", "ws_1", 1_000, "n1", "b1");
        assert_eq!(verify("k", &s, 1_000 + LIFETIME_SECS, Some("b1")), Ok("ws_1".to_string()));
        assert!(verify("k", &s, 1_001 + LIFETIME_SECS, Some("b1")).unwrap_err().contains("expired"));
        assert!(verify("other", &s, 1_000, Some("b1")).is_err());
        let forged = format!("{}.{}", B64.encode("ws_2|99999999|n1|x"), s.split_once('.').unwrap().1);
        assert!(verify("k", &forged, 1_000, Some("b1")).is_err());
        assert!(verify("k", "garbage", 1_000, Some("b1")).is_err());
    }

    #[test]
    fn only_the_browser_that_started_the_flow_can_finish_it() {
        let s = sign("k", "ws_1", 1_000, "n1", "browser-secret");
        assert!(verify("k", &s, 1_000, None).unwrap_err().contains("no binding cookie"));
        assert!(verify("k", &s, 1_000, Some("another-browser")).unwrap_err().contains("did not start"));
        assert!(!s.contains("browser-secret") && !String::from_utf8(B64.decode(s.split_once('.').unwrap().0).unwrap()).unwrap().contains("browser-secret"));
        let cookie = binding_cookie("browser-secret");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"));
        assert_eq!(binding_from_cookies(Some("a=1; adgate_oauth_binding=browser-secret; b=2")), Some("browser-secret"));
        assert_eq!(binding_from_cookies(Some("a=1")), None);
    }
}
