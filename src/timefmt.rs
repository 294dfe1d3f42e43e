//! UTC timestamps as ISO-8601 text, the one form every D1 `*_at` column holds.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats Unix milliseconds as `2026-11-23T11:30:00.123Z`.
pub fn iso_from_millis(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The UTC date of Unix milliseconds.
pub fn date_from_millis(ms: i64) -> chrono::NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH).date_naive()
}

/// Unix milliseconds of an RFC 3339 timestamp.
pub fn millis_from_iso(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn formats_millis_as_utc_iso8601() {
        assert_eq!(iso_from_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_from_millis(1_795_433_400_123), "2026-11-23T11:30:00.123Z");
        assert_eq!(millis_from_iso("2026-11-23T11:30:00.123Z"), Some(1_795_433_400_123));
        assert_eq!(millis_from_iso("yesterday"), None);
        assert_eq!(date_from_millis(1_795_433_400_123).to_string(), "2026-11-23");
    }

    #[test]
    fn iso_text_sorts_like_time() {
        let a = iso_from_millis(999);
        let b = iso_from_millis(1_000);
        let c = iso_from_millis(86_400_000 * 365 * 40);
        assert!(a < b && b < c);
    }
}
