//! Values handed out and trusted when they come back, without being stored: a JSON payload and
//! an HMAC-SHA256 over it and its purpose (a value sealed for one purpose opens for no other).
//! A suggestion is one: the suggest tier writes nothing, yet `apply_*` can take it by id and
//! know it is exactly what adgate suggested, to whom, and until when.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

fn mac(secret: &str, purpose: &str, payload: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(b"adgate-sealed:");
    m.update(purpose.as_bytes());
    m.update(b":");
    m.update(payload.as_bytes());
    m
}

/// `payload.signature`, both base64url.
pub fn seal(secret: &str, purpose: &str, payload: &Value) -> String {
    let payload = B64.encode(payload.to_string());
    let sig = B64.encode(mac(secret, purpose, &payload).finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// The payload, if the signature holds for this purpose (compared in constant time).
pub fn open(secret: &str, purpose: &str, token: &str) -> Option<Value> {
    let (payload, sig) = token.split_once('.')?;
    let sig = B64.decode(sig).ok()?;
    mac(secret, purpose, payload).verify_slice(&sig).ok()?;
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn opens_what_it_sealed_and_nothing_altered_or_sealed_for_another_purpose() {
        let v = json!({"a": "1", "c": [["2", 100, 80]]});
        let t = seal("k", "suggestion", &v);
        assert_eq!(open("k", "suggestion", &t), Some(v));
        assert_eq!(open("k", "other", &t), None);
        assert_eq!(open("k2", "suggestion", &t), None);
        let (_, sig) = t.split_once('.').unwrap();
        let forged = format!("{}.{sig}", B64.encode(json!({"a": "1", "c": [["2", 100, 800]]}).to_string()));
        assert_eq!(open("k", "suggestion", &forged), None);
        for junk in ["", ".", "abc", "a.b", "%%.%%"] {
            assert_eq!(open("k", "suggestion", junk), None);
        }
    }
}
