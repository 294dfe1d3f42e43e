//! The token vault: Meta tokens sealed with AES-256-GCM under a named key, bound to the row
//! they belong to (the integration id is the associated data, so a ciphertext moved to another
//! row does not open). Keys come from a Worker secret as a keyring; the first key seals, every
//! key opens, so keys rotate by prepending a new one and re-sealing old rows.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

const FORMAT: &str = "v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("TOKEN_VAULT_KEYS is not set")]
    NoKeys,
    #[error("TOKEN_VAULT_KEYS entry {0} must be id:base64 of 32 bytes")]
    BadKey(usize),
    #[error("the sealed value is not in the vault's format")]
    Malformed,
    #[error("no vault key {0} is configured")]
    UnknownKey(String),
    #[error("the sealed value does not open with its key (tampered, or bound to another row)")]
    Tampered,
}

pub struct Keyring {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// Parses `id:base64key[,id:base64key...]`; the first key is the active one.
    pub fn parse(spec: &str) -> Result<Keyring, VaultError> {
        let mut keys = Vec::new();
        for (i, entry) in spec.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let (id, b64) = entry.split_once(':').ok_or(VaultError::BadKey(i + 1))?;
            let bytes = B64.decode(b64.trim()).map_err(|_| VaultError::BadKey(i + 1))?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| VaultError::BadKey(i + 1))?;
            let id_ok = !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                return Err(VaultError::BadKey(i + 1));
            }
            keys.push((id.to_string(), key));
        }
        if keys.is_empty() {
            return Err(VaultError::NoKeys);
        }
        Ok(Keyring { keys })
    }

    pub fn active_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Seals `plaintext` for the row `row_id` with the active key and a fresh 96-bit nonce.
    pub fn seal(&self, plaintext: &str, row_id: &str, nonce: [u8; 12]) -> String {
        let (id, key) = &self.keys[0];
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: row_id.as_bytes() })
            .expect("AES-GCM encryption of a short token cannot fail");
        format!("{FORMAT}.{id}.{}.{}", B64.encode(nonce), B64.encode(ct))
    }

    pub fn open(&self, sealed: &str, row_id: &str) -> Result<String, VaultError> {
        let parts: Vec<&str> = sealed.split('.').collect();
        let [FORMAT, id, nonce, ct] = parts[..] else {
            return Err(VaultError::Malformed);
        };
        let key = self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key).ok_or_else(|| VaultError::UnknownKey(id.to_string()))?;
        let nonce = B64.decode(nonce).map_err(|_| VaultError::Malformed)?;
        let ct = B64.decode(ct).map_err(|_| VaultError::Malformed)?;
        if nonce.len() != 12 {
            return Err(VaultError::Malformed);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        let pt = cipher.decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: row_id.as_bytes() }).map_err(|_| VaultError::Tampered)?;
        String::from_utf8(pt).map_err(|_| VaultError::Tampered)
    }

    /// The key id a sealed value was made with (for finding rows to re-seal after rotation).
    pub fn key_id_of(sealed: &str) -> Option<&str> {
        let mut parts = sealed.split('.');
        (parts.next() == Some(FORMAT)).then(|| parts.next()).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ring(spec: &[(&str, u8)]) -> Keyring {
        let s: Vec<String> = spec.iter().map(|(id, b)| format!("{id}:{}", B64.encode([*b; 32]))).collect();
        Keyring::parse(&s.join(",")).unwrap()
    }

    #[test]
    fn seals_and_opens_bound_to_the_row() {
        let k = ring(&[("k1", 1)]);
        let sealed = k.seal("EAAB-secret-token", "int_1", [9; 12]);
        assert!(sealed.starts_with("v1.k1."));
        assert!(!sealed.contains("EAAB"));
        assert_eq!(k.open(&sealed, "int_1").unwrap(), "EAAB-secret-token");
        assert_eq!(k.open(&sealed, "int_2"), Err(VaultError::Tampered), "moved to another row");
        let mut tampered = sealed.clone();
        tampered.replace_range(tampered.len() - 3.., "AAA");
        assert!(k.open(&tampered, "int_1").is_err());
    }

    #[test]
    fn rotation_keeps_old_keys_for_opening() {
        let old = ring(&[("k1", 1)]);
        let sealed = old.seal("tok", "int_1", [1; 12]);
        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert_eq!(rotated.active_id(), "k2");
        assert_eq!(rotated.open(&sealed, "int_1").unwrap(), "tok");
        assert_eq!(Keyring::key_id_of(&sealed), Some("k1"));
        let resealed = rotated.seal("tok", "int_1", [2; 12]);
        assert_eq!(Keyring::key_id_of(&resealed), Some("k2"));
        assert_eq!(ring(&[("k3", 3)]).open(&sealed, "int_1"), Err(VaultError::UnknownKey("k1".into())));
    }

    #[test]
    fn rejects_bad_keyrings_without_echoing_them() {
        assert_eq!(Keyring::parse("").unwrap_err(), VaultError::NoKeys);
        assert_eq!(Keyring::parse("k1:c2hvcnQ=").unwrap_err(), VaultError::BadKey(1));
        assert_eq!(Keyring::parse("nocolon").unwrap_err(), VaultError::BadKey(1));
        let k = ring(&[("k1", 1)]);
        assert!(!format!("{k:?}").contains(&B64.encode([1u8; 32])));
    }
}
