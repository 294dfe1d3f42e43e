//! Notifications adgate sends to a workspace's endpoint (alerts opened, scheduled reports ready):
//! where they may go, and how they are signed. The receiver checks
//! `X-Adgate-Signature-256: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>` with the
//! secret its admin chose, and refuses a timestamp far from its clock (replays).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Adgate-Signature-256";
pub const TIMESTAMP_HEADER: &str = "X-Adgate-Timestamp";
pub const DELIVERY_HEADER: &str = "X-Adgate-Delivery";
pub const EVENT_HEADER: &str = "X-Adgate-Event";
/// A signing secret's length bounds, in characters.
pub const SECRET_CHARS: (usize, usize) = (32, 256);
/// Attempts at one delivery before it is given up (the queue spaces them out).
pub const MAX_ATTEMPTS: i64 = 6;

/// `sha256=<hex>` over `{timestamp}.{body}`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Seconds to wait before attempt `attempt + 1`: 30 s doubling, at most an hour.
pub fn backoff_seconds(attempt: i64) -> u32 {
    (30u32 << attempt.clamp(0, 7) as u32).min(3_600)
}

/// Checks an endpoint: HTTPS with a public host name; a local deployment also takes plain HTTP to
/// the loopback. No credentials in it, no fragment, at most 2,000 characters.
pub fn check_endpoint(text: &str, local: bool) -> Result<url::Url, String> {
    if text.len() > 2_000 {
        return Err("is longer than 2,000 characters".into());
    }
    let url = url::Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; the signature authenticates adgate".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment".into());
    }
    match url.scheme() {
        "https" if !loopback && host.contains('.') && host.parse::<std::net::Ipv4Addr>().is_err() && !host.starts_with('[') => Ok(url),
        "https" | "http" if local && loopback => Ok(url),
        "https" => Err("must name a public host by name (not an address, not a local name)".into()),
        _ => Err("must be an https:// address".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let s = signature("k".repeat(32).as_str(), 1_790_000_000, "{\"a\":1}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64);
        assert_ne!(s, signature("k".repeat(32).as_str(), 1_790_000_001, "{\"a\":1}"));
        assert_ne!(s, signature("k".repeat(32).as_str(), 1_790_000_000, "{\"a\":2}"));
        assert_ne!(s, signature("j".repeat(32).as_str(), 1_790_000_000, "{\"a\":1}"));
        assert_eq!(s, signature("k".repeat(32).as_str(), 1_790_000_000, "{\"a\":1}"));
    }

    #[test]
    fn endpoints_are_public_https_except_loopback_in_a_local_deployment() {
        assert!(check_endpoint("https://hooks.example.com/adgate?x=1", false).is_ok());
        for bad in [
            "http://hooks.example.com/a",
            "https://10.0.0.1/a",
            "https://[::1]/a",
            "https://localhost/a",
            "https://intranet/a",
            "https://user:pw@hooks.example.com/",
            "https://hooks.example.com/#x",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            assert!(check_endpoint(bad, false).is_err(), "{bad}");
        }
        assert!(check_endpoint("http://127.0.0.1:8790/hooks/x", true).is_ok());
        assert!(check_endpoint("http://127.0.0.1:8790/hooks/x", false).is_err());
        assert!(check_endpoint(&format!("https://a.example.com/{}", "x".repeat(2_000)), false).is_err());
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff_seconds(0), 30);
        assert_eq!(backoff_seconds(1), 60);
        assert_eq!(backoff_seconds(20), 3_600);
    }
}
