//! The OAuth `state` parameter: which workspace started the connect flow, until when it is
//! valid, and an HMAC-SHA256 over both, so the callback can trust it without storing anything.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const LIFETIME_SECS: i64 = 600;

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(b"adgate-oauth-state:");
    m.update(payload.as_bytes());
    m
}

/// `payload.signature`, where payload is base64url of `workspace|expires_at|nonce`.
pub fn sign(secret: &str, workspace_id: &str, now: i64, nonce: &str) -> String {
    let payload = B64.encode(format!("{workspace_id}|{}|{nonce}", now + LIFETIME_SECS));
    let sig = B64.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// The workspace the state was issued for, if the signature holds and it has not expired.
pub fn verify(secret: &str, state: &str, now: i64) -> Result<String, &'static str> {
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
    Ok(ws.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering_and_expiry() {
        let s = sign("k", "ws_1", 1_000, "n1");
        assert_eq!(verify("k", &s, 1_000 + LIFETIME_SECS), Ok("ws_1".to_string()));
        assert!(verify("k", &s, 1_001 + LIFETIME_SECS).unwrap_err().contains("expired"));
        assert!(verify("other", &s, 1_000).is_err());
        let forged = format!("{}.{}", B64.encode("ws_2|99999999|n1"), s.split_once('.').unwrap().1);
        assert!(verify("k", &forged, 1_000).is_err());
        assert!(verify("k", "garbage", 1_000).is_err());
    }
}
