//! Input schemas: each field's name, type and whether it is required. Inputs are validated
//! against them (unknown fields and wrong types are rejected with the field named), and the
//! registry publishes them as JSON Schema.

use crate::records::FieldError;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Boolean,
    TextList,
    /// An object whose values are non-negative integers (e.g. caps per account).
    IntegerMap,
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

fn kind_ok(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Text => v.as_str().is_some_and(|s| !s.trim().is_empty() && s.len() <= 2_000),
        Kind::Integer => v.as_i64().is_some(),
        Kind::Boolean => v.is_boolean(),
        Kind::TextList => v.as_array().is_some_and(|a| a.iter().all(|x| x.as_str().is_some())),
        Kind::IntegerMap => v.as_object().is_some_and(|o| o.values().all(|x| x.as_i64().is_some_and(|n| n >= 0))),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "a non-empty string",
        Kind::Integer => "an integer",
        Kind::Boolean => "a boolean",
        Kind::TextList => "an array of strings",
        Kind::IntegerMap => "an object of non-negative integers",
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
                return Err(FieldError { field: k.clone(), reason: format!("unknown field; allowed: {}", allowed.join(", ")) });
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
            Kind::Text => json!({ "type": "string", "minLength": 1 }),
            Kind::Integer => json!({ "type": "integer" }),
            Kind::Boolean => json!({ "type": "boolean" }),
            Kind::TextList => json!({ "type": "array", "items": { "type": "string" } }),
            Kind::IntegerMap => json!({ "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 } }),
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

    const F: &[Field] = &[req("integration_id", Kind::Text, "id"), opt("limit", Kind::Integer, "n"), opt("caps", Kind::IntegerMap, "caps")];

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
    fn publishes_json_schema() {
        let s = json_schema(F);
        assert_eq!(s["required"], json!(["integration_id"]));
        assert_eq!(s["properties"]["limit"]["type"], "integer");
        assert_eq!(s["additionalProperties"], false);
    }
}
