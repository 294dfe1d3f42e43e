//! Correlation ids: echoed from `X-Correlation-Id` when the caller sent a sane one, generated otherwise.

pub const HEADER: &str = "X-Correlation-Id";
const MAX_LEN: usize = 128;

/// Returns the caller's id if it is safe to echo into headers, logs and audit rows.
pub fn accept(incoming: Option<&str>) -> Option<String> {
    let id = incoming?.trim();
    let safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':');
    (!id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(safe)).then(|| id.to_string())
}

/// The id for a request: the caller's when acceptable, else a fresh UUIDv4.
pub fn resolve(incoming: Option<&str>) -> String {
    accept(incoming).unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn echoes_sane_ids() {
        assert_eq!(resolve(Some("req-42.a:b_c")), "req-42.a:b_c");
    }

    #[test]
    fn replaces_missing_or_unsafe_ids() {
        for bad in [None, Some(""), Some("a b"), Some("x\r\ninjected: 1"), Some(&"a".repeat(129)[..])] {
            let id = resolve(bad);
            assert_eq!(id.len(), 36, "{bad:?} -> {id}");
            assert!(uuid::Uuid::parse_str(&id).is_ok());
        }
        assert_ne!(resolve(None), resolve(None));
    }
}
