//! Texts with their length on the type.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;

/// A non-empty text of at most `MAX` characters, without control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Why `s` is not one, if it is not.
    pub fn check(s: &str) -> Result<String, String> {
        let t = s.trim();
        if t.is_empty() {
            Err("must not be empty".into())
        } else if t.chars().nth(MAX).is_some() {
            Err(format!("must be at most {MAX} characters"))
        } else if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            Err("must not contain control characters".into())
        } else {
            Ok(t.to_string())
        }
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::check(&s).map(Text).map_err(D::Error::custom)
    }
}

impl<const MAX: usize> JsonSchema for Text<MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Text_{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "minLength": 1, "maxLength": MAX })
    }
}

/// The most items a list input holds, and the longest item.
pub const MAX_LIST_ITEMS: usize = 50;
pub const MAX_ITEM_CHARS: usize = 200;

/// A list of at most `MAX_LIST_ITEMS` texts of at most `MAX_ITEM_CHARS` characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TextList(Vec<String>);

impl TextList {
    pub fn items(&self) -> &[String] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TextList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<Text<MAX_ITEM_CHARS>>::deserialize(d)?;
        if items.len() > MAX_LIST_ITEMS {
            return Err(D::Error::custom(format!("must hold at most {MAX_LIST_ITEMS} items")));
        }
        Ok(TextList(items.into_iter().map(Text::into_string).collect()))
    }
}

impl JsonSchema for TextList {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "TextList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "array", "maxItems": MAX_LIST_ITEMS, "items": { "type": "string", "minLength": 1, "maxLength": MAX_ITEM_CHARS } })
    }
}

/// An RFC 3339 time with its offset, kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() <= 40 && chrono::DateTime::parse_from_rfc3339(&s).is_ok() {
            Ok(Timestamp(s))
        } else {
            Err(D::Error::custom("must be an RFC 3339 time such as 2026-11-23T10:00:00Z"))
        }
    }
}

impl JsonSchema for Timestamp {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date-time", "maxLength": 40 })
    }
}

/// A calendar day, `YYYY-MM-DD` (in an ad account's time zone where it names performance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(chrono::NaiveDate);

impl Day {
    pub fn date(self) -> chrono::NaiveDate {
        self.0
    }

    pub fn text(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl From<chrono::NaiveDate> for Day {
    fn from(d: chrono::NaiveDate) -> Day {
        Day(d)
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(day) if s.len() == 10 && (2000..=2100).contains(&chrono::Datelike::year(&day)) => Ok(Day(day)),
            _ => Err(D::Error::custom("must be a day such as 2026-11-23 (YYYY-MM-DD, years 2000 to 2100)")),
        }
    }
}

impl JsonSchema for Day {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Day".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date", "maxLength": 10 })
    }
}

/// A calendar month, `YYYY-MM` (years 2000 to 2100), held as its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month(chrono::NaiveDate);

impl Month {
    pub fn first(self) -> chrono::NaiveDate {
        self.0
    }

    pub fn text(self) -> String {
        self.0.format("%Y-%m").to_string()
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
            Ok(first) if s.len() == 7 && (2000..=2100).contains(&chrono::Datelike::year(&first)) => Ok(Month(first)),
            _ => Err(D::Error::custom("must be a month such as 2026-11 (YYYY-MM, years 2000 to 2100)")),
        }
    }
}

impl JsonSchema for Month {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Month".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "maxLength": 7 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn texts_lists_and_times_are_bounded() {
        assert_eq!(serde_json::from_value::<Text<5>>(json!("  abc ")).unwrap().as_str(), "abc");
        for bad in [json!(""), json!("   "), json!("abcdef"), json!("a\u{0}b"), json!(5)] {
            assert!(serde_json::from_value::<Text<5>>(bad.clone()).is_err(), "{bad}");
        }
        assert_eq!(serde_json::from_value::<TextList>(json!(["a", "b"])).unwrap().items(), ["a", "b"]);
        assert!(serde_json::from_value::<TextList>(json!(vec!["x"; MAX_LIST_ITEMS + 1])).is_err());
        assert!(serde_json::from_value::<TextList>(json!(["y".repeat(MAX_ITEM_CHARS + 1)])).is_err());
        assert!(serde_json::from_value::<Timestamp>(json!("2026-11-23T10:00:00-08:00")).is_ok());
        assert!(serde_json::from_value::<Timestamp>(json!("yesterday")).is_err());
        assert_eq!(serde_json::from_value::<Day>(json!("2026-02-28")).unwrap().text(), "2026-02-28");
        for bad in [json!("2026-02-30"), json!("2026-2-3"), json!("1999-12-31"), json!("26-01-01"), json!(20260101)] {
            assert!(serde_json::from_value::<Day>(bad.clone()).is_err(), "{bad}");
        }
        assert_eq!(serde_json::from_value::<Month>(json!("2026-02")).unwrap().first().to_string(), "2026-02-01");
        for bad in [json!("2026-13"), json!("2026-2"), json!("1999-12"), json!("2026-02-01"), json!(202602)] {
            assert!(serde_json::from_value::<Month>(bad.clone()).is_err(), "{bad}");
        }
        assert_eq!(schemars::schema_for!(Text<5>).get("maxLength"), Some(&json!(5)));
    }
}

/// A web address Meta may send people to: http(s), no spaces, at most 2,000 characters. adgate
/// never fetches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Link(String);

impl Link {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const LINK_PATTERN: &str = "^https?://[^\\s]{1,1990}$";

impl<'de> Deserialize<'de> for Link {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let ok = s.len() <= 2_000
            && (s.starts_with("https://") || s.starts_with("http://"))
            && url::Url::parse(&s).is_ok_and(|u| u.host_str().is_some_and(|h| h.contains('.')))
            && !s.chars().any(char::is_whitespace);
        if ok {
            Ok(Link(s))
        } else {
            Err(D::Error::custom("must be an http(s) address with a host, such as https://jobs.example.com/apply"))
        }
    }
}

impl JsonSchema for Link {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Link".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "maxLength": 2000, "pattern": LINK_PATTERN })
    }
}

/// The largest image upload, in base64 characters: within the 1 MiB JSON body an action accepts.
pub const MAX_IMAGE_BASE64: usize = 1_000_000;

/// An image's bytes as base64 (PNG, JPEG or GIF), checked to decode and to be an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ImageBase64(String);

impl ImageBase64 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The decoded size in bytes.
    pub fn byte_len(&self) -> usize {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(&self.0).map(|b| b.len()).unwrap_or(0)
    }
}

impl<'de> Deserialize<'de> for ImageBase64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let s = String::deserialize(d)?;
        if s.len() > MAX_IMAGE_BASE64 {
            return Err(D::Error::custom(format!("must be at most {MAX_IMAGE_BASE64} base64 characters")));
        }
        let bytes = base64::engine::general_purpose::STANDARD.decode(&s).map_err(|_| D::Error::custom("must be standard base64"))?;
        let image = bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(b"\xff\xd8\xff") || bytes.starts_with(b"GIF8");
        if !image {
            return Err(D::Error::custom("must be a PNG, JPEG or GIF image"));
        }
        Ok(ImageBase64(s))
    }
}

impl JsonSchema for ImageBase64 {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "ImageBase64".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "maxLength": MAX_IMAGE_BASE64, "contentEncoding": "base64" })
    }
}
