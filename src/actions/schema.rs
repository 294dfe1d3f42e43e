//! Input schemas: each field's name, type and whether it is required. Inputs are validated
//! against them (unknown fields and wrong types are rejected with the field named), and the
//! registry publishes them as JSON Schema.

use crate::records::FieldError;
use serde_json::{json, Map, Value};

/// The longest text field, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// A text list holds at most this many items, each at most `MAX_ITEM_CHARS` characters.
pub const MAX_LIST_ITEMS: usize = 50;
pub const MAX_ITEM_CHARS: usize = 200;
/// An integer map holds at most this many entries, with keys of at most `MAX_KEY_CHARS`.
pub const MAX_MAP_ENTRIES: usize = 500;
pub const MAX_KEY_CHARS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// An integer from the first bound to the second, inclusive: every count, duration and
    /// amount has both, so no input can overflow what is computed from it.
    Int(i64, i64),
    Boolean,
    TextList,
    /// An object whose values are integers from 0 to the bound (e.g. caps per account).
    IntMap(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

pub const fn req(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field { name, kind, required: true, doc }
}

pub const fn opt(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field { name, kind, required: false, doc }
}

fn chars_within(s: &str, max: usize) -> bool {
    s.chars().nth(max).is_none()
}

fn kind_ok(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Text => v.as_str().is_some_and(|s| !s.trim().is_empty() && chars_within(s, MAX_TEXT_CHARS)),
        Kind::Int(min, max) => v.as_i64().is_some_and(|n| (min..=max).contains(&n)),
        Kind::Boolean => v.is_boolean(),
        Kind::TextList => v
            .as_array()
            .is_some_and(|a| a.len() <= MAX_LIST_ITEMS && a.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty() && chars_within(s, MAX_ITEM_CHARS)))),
        Kind::IntMap(max) => v.as_object().is_some_and(|o| {
            o.len() <= MAX_MAP_ENTRIES
                && o.iter().all(|(k, x)| !k.is_empty() && chars_within(k, MAX_KEY_CHARS) && x.as_i64().is_some_and(|n| (0..=max).contains(&n)))
        }),
    }
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::Text => format!("a non-empty string of at most {MAX_TEXT_CHARS} characters"),
        Kind::Int(min, max) => format!("an integer from {min} to {max}"),
        Kind::Boolean => "a boolean".into(),
        Kind::TextList => format!("an array of at most {MAX_LIST_ITEMS} non-empty strings of at most {MAX_ITEM_CHARS} characters"),
        Kind::IntMap(max) => {
            format!("an object of at most {MAX_MAP_ENTRIES} entries (keys of at most {MAX_KEY_CHARS} characters) whose values are integers from 0 to {max}")
        }
    }
}

/// Checks an input object; `extra` names fields every action accepts (such as `workspace_id`).
pub fn validate(fields: &[Field], extra: &[&str], input: &Value) -> Result<Map<String, Value>, FieldError> {
    let obj = input.as_object().ok_or(FieldError { field: "input".into(), reason: "must be a JSON object".into() })?;
    for (k, v) in obj {
        if extra.contains(&k.as_str()) {
            continue;
        }
        match fields.iter().find(|f| f.name == k) {
            None => {
                let allowed: Vec<&str> = fields.iter().map(|f| f.name).chain(extra.iter().copied()).collect();
                return Err(FieldError { field: crate::problem::excerpt(k), reason: format!("unknown field; allowed: {}", allowed.join(", ")) });
            }
            Some(f) if !kind_ok(f.kind, v) => return Err(FieldError { field: k.clone(), reason: format!("must be {}", kind_name(f.kind)) }),
            Some(_) => {}
        }
    }
    if let Some(f) = fields.iter().find(|f| f.required && obj.get(f.name).is_none_or(Value::is_null)) {
        return Err(FieldError { field: f.name.into(), reason: "is required".into() });
    }
    Ok(obj.clone())
}

pub fn json_schema(fields: &[Field]) -> Value {
    let mut props = Map::new();
    for f in fields {
        let t = match f.kind {
            Kind::Text => json!({ "type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS }),
            Kind::Int(min, max) => json!({ "type": "integer", "minimum": min, "maximum": max }),
            Kind::Boolean => json!({ "type": "boolean" }),
            Kind::TextList => {
                json!({ "type": "array", "maxItems": MAX_LIST_ITEMS, "items": { "type": "string", "minLength": 1, "maxLength": MAX_ITEM_CHARS } })
            }
            Kind::IntMap(max) => json!({
                "type": "object", "maxProperties": MAX_MAP_ENTRIES, "propertyNames": { "minLength": 1, "maxLength": MAX_KEY_CHARS },
                "additionalProperties": { "type": "integer", "minimum": 0, "maximum": max },
            }),
        };
        let mut t = t;
        t["description"] = json!(f.doc);
        props.insert(f.name.into(), t);
    }
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &[Field] = &[
        req("integration_id", Kind::Text, "id"),
        opt("limit", Kind::Int(1, 500), "n"),
        opt("caps", Kind::IntMap(1_000), "caps"),
        opt("tags", Kind::TextList, "t"),
    ];

    #[test]
    fn names_the_field_for_unknown_missing_and_mistyped_input() {
        assert!(validate(F, &[], &json!({"integration_id": "int_1", "limit": 5})).is_ok());
        assert_eq!(validate(F, &[], &json!({"limit": 5})).unwrap_err().field, "integration_id");
        assert_eq!(validate(F, &[], &json!({"integration_id": "i", "limit": "5"})).unwrap_err().field, "limit");
        assert_eq!(validate(F, &[], &json!({"integration_id": "i", "colour": 1})).unwrap_err().field, "colour");
        assert_eq!(validate(F, &[], &json!({"integration_id": "i", "caps": {"1": -3}})).unwrap_err().field, "caps");
        assert!(validate(F, &["workspace_id"], &json!({"integration_id": "i", "workspace_id": "ws"})).is_ok());
        assert_eq!(validate(F, &[], &json!([1])).unwrap_err().field, "input");
    }

    #[test]
    fn every_number_and_size_is_bounded() {
        let ok = |v: Value| validate(F, &[], &v).is_ok();
        assert!(ok(json!({"integration_id": "i", "limit": 500, "caps": {"1": 1_000}})));
        for bad in [
            json!({"integration_id": "i", "limit": 0}),
            json!({"integration_id": "i", "limit": 501}),
            json!({"integration_id": "i", "limit": i64::MAX}),
            json!({"integration_id": "i", "limit": 1.5}),
            json!({"integration_id": "i", "caps": {"1": 1_001}}),
            json!({"integration_id": "x".repeat(MAX_TEXT_CHARS + 1)}),
            json!({"integration_id": "i", "tags": vec!["t"; MAX_LIST_ITEMS + 1]}),
            json!({"integration_id": "i", "tags": ["y".repeat(MAX_ITEM_CHARS + 1)]}),
            json!({"integration_id": "i", "caps": {"k".repeat(MAX_KEY_CHARS + 1): 1}}),
        ] {
            assert!(!ok(bad.clone()), "{}", crate::problem::excerpt(&bad.to_string()));
        }
        let caps: Map<String, Value> = (0..=MAX_MAP_ENTRIES).map(|i| (i.to_string(), json!(1))).collect();
        assert!(!ok(json!({"integration_id": "i", "caps": caps})));
        let e = validate(F, &[], &json!({"integration_id": "i", "limit": 9_999})).unwrap_err();
        assert_eq!((e.field.as_str(), e.reason.as_str()), ("limit", "must be an integer from 1 to 500"));
    }

    #[test]
    fn publishes_json_schema() {
        let s = json_schema(F);
        assert_eq!(s["required"], json!(["integration_id"]));
        assert_eq!(s["properties"]["limit"]["type"], "integer");
        assert_eq!((s["properties"]["limit"]["minimum"].as_i64(), s["properties"]["limit"]["maximum"].as_i64()), (Some(1), Some(500)));
        assert_eq!(s["properties"]["caps"]["additionalProperties"]["maximum"], 1_000);
        assert_eq!(s["additionalProperties"], false);
    }
}
