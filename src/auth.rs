//! Bearer-key checks. Keys are compared as SHA-256 digests in constant time, so neither the
//! content nor the length of the expected key leaks through timing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token from an `Authorization: Bearer <token>` header, if well formed.
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of a presented key and the configured one.
pub fn key_matches(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    bool::from(a.ct_eq(&b))
}

/// The bootstrap admin key must be long enough to resist guessing.
pub const MIN_KEY_LEN: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn parses_bearer_headers() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn compares_keys_exactly() {
        assert!(key_matches("k".repeat(30).as_str(), "k".repeat(30).as_str()));
        assert!(!key_matches("k".repeat(30).as_str(), "k".repeat(31).as_str()));
        assert!(!key_matches("", "x"));
    }

    #[test]
    fn hashes_as_lowercase_hex() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
