//! The shape of Meta's answers, per endpoint and API version: each top-level field and its JSON
//! type, fingerprinted, so an answer is compared only when its shape is new. A type that changes,
//! a field nobody asked for, a field Meta refuses as nonexisting, or a deprecation warning header
//! becomes a drift event.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Field name -> JSON type (`string`, `number`, `bool`, `object`, `array`). Nulls say nothing
/// about a type and are left out.
pub type Shape = BTreeMap<String, String>;

/// At most this many fields are kept per shape, so a pathological answer cannot grow a row.
const MAX_FIELDS: usize = 200;
const MAX_NAME: usize = 80;

fn type_of(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    })
}

fn add_members(shape: &mut Shape, obj: &serde_json::Map<String, Value>) {
    for (k, v) in obj {
        if shape.len() >= MAX_FIELDS && !shape.contains_key(k) {
            return;
        }
        if let Some(t) = type_of(v) {
            if k.len() <= MAX_NAME {
                shape.entry(k.clone()).or_insert_with(|| t.to_string());
            }
        }
    }
}

/// The shape of the items of a list (every item's members together).
pub fn shape_of_rows(rows: &[Value]) -> Shape {
    let mut shape = Shape::new();
    for r in rows {
        if let Some(o) = r.as_object() {
            add_members(&mut shape, o);
        }
    }
    shape
}

/// The shape of one answer: a list's items (`data`), or the object's own members.
pub fn shape_of(body: &Value) -> Shape {
    match body.get("data").and_then(Value::as_array) {
        Some(rows) => shape_of_rows(rows),
        None => body
            .as_object()
            .map(|o| {
                let mut s = Shape::new();
                add_members(&mut s, o);
                s
            })
            .unwrap_or_default(),
    }
}

/// Sixteen hex digits of SHA-256 over the sorted `name:type` lines.
pub fn fingerprint(shape: &Shape) -> String {
    let mut h = Sha256::new();
    for (k, t) in shape {
        h.update(k.as_bytes());
        h.update(b":");
        h.update(t.as_bytes());
        h.update(b"\n");
    }
    hex::encode(&h.finalize()[..8])
}

/// The path with its ids as `{id}`: `act_1/campaigns` and `act_2/campaigns` are one endpoint.
pub fn endpoint_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default().trim_matches('/');
    let path = match path.split_once('/') {
        Some((v, rest)) if crate::config::parse_meta_api_version(v).is_ok() => rest,
        _ => path,
    };
    path.split('/')
        .map(|seg| {
            if seg.strip_prefix("act_").is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) {
                "act_{id}"
            } else if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The top-level names of a `fields` list (`id,name,adsets{name}` -> id, name, adsets).
pub fn requested_fields(spec: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let (mut depth, mut current) = (0usize, String::new());
    for c in spec.chars() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.insert(std::mem::take(&mut current).split('.').next().unwrap_or_default().trim().to_string());
                continue;
            }
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    out.insert(current.split('.').next().unwrap_or_default().trim().to_string());
    out.retain(|f| !f.is_empty());
    out
}

/// What a request asked for, as one key: the fields and breakdowns (they decide the columns).
/// `*` when it named no fields (Graph's defaults).
pub fn request_key(params: &[(String, String)]) -> String {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let fields = get("fields").map(|f| requested_fields(f).into_iter().collect::<Vec<_>>().join(",")).unwrap_or_else(|| "*".into());
    let mut key = fields;
    for b in ["breakdowns", "action_breakdowns"] {
        if let Some(v) = get(b) {
            key.push_str(&format!("|{b}={v}"));
        }
    }
    if key.len() > 400 {
        return format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes())));
    }
    key
}

/// One difference between what was known and what arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// `type_changed`, `unknown_field`, `field_added`, `field_removed`, `deprecation_warning`.
    pub kind: &'static str,
    pub field: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Drift {
    pub fn new(kind: &'static str, field: Option<&str>, before: Option<&str>, after: Option<&str>) -> Drift {
        Drift { kind, field: field.map(str::to_string), before: before.map(str::to_string), after: after.map(str::to_string) }
    }
}

/// Compares an arriving shape with the known one. Fields missing from an answer are not drift:
/// Graph leaves out empty values. A field nobody asked for is, whenever fields were named; with
/// Graph's defaults, a field not seen before is one Meta added to them.
pub fn compare(known: &Shape, seen: &Shape, requested: Option<&BTreeSet<String>>, extra_columns: &BTreeSet<String>) -> Vec<Drift> {
    let mut out = Vec::new();
    for (name, t) in seen {
        match known.get(name) {
            Some(k) if k != t => out.push(Drift::new("type_changed", Some(name), Some(k), Some(t))),
            Some(_) => {}
            None => match requested {
                Some(req) if !req.contains(name) && name != "id" && !extra_columns.contains(name) => {
                    out.push(Drift::new("unknown_field", Some(name), None, Some(t)))
                }
                None if !known.is_empty() => out.push(Drift::new("field_added", Some(name), None, Some(t))),
                _ => {}
            },
        }
    }
    out
}

/// Columns a request adds besides its fields: each breakdown's and the dates of insights rows.
pub fn extra_columns(params: &[(String, String)]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ["date_start", "date_stop"].into_iter().map(str::to_string).collect();
    if let Some((_, b)) = params.iter().find(|(n, _)| n == "breakdowns") {
        let list: Vec<String> = serde_json::from_str(b).unwrap_or_else(|_| b.split(',').map(|s| s.trim().to_string()).collect());
        out.extend(list);
    }
    out
}

/// The known shape with the arrivals added (a changed type takes the new one).
pub fn merge(known: &Shape, seen: &Shape) -> Shape {
    let mut out = known.clone();
    for (k, t) in seen {
        if out.len() < MAX_FIELDS || out.contains_key(k) {
            out.insert(k.clone(), t.clone());
        }
    }
    out
}

/// The field Meta refused as nonexisting, from its error message: on a node, `(#100) Tried
/// accessing nonexisting field (x) on node type (T)`; in insights, `(#100) x is not valid for
/// fields param.`
pub fn refused_field(message: &str) -> Option<String> {
    if let Some(rest) = message.split("Tried accessing nonexisting field (").nth(1) {
        return rest.split(')').next().filter(|f| !f.is_empty() && f.len() <= MAX_NAME).map(str::to_string);
    }
    let rest = message.strip_prefix("(#100) ")?;
    let (field, tail) = rest.split_once(' ')?;
    (tail.starts_with("is not valid for fields param") && field.len() <= MAX_NAME).then(|| field.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape(pairs: &[(&str, &str)]) -> Shape {
        pairs.iter().map(|(k, t)| (k.to_string(), t.to_string())).collect()
    }

    #[test]
    fn a_lists_shape_is_its_items_members_with_their_types() {
        let body = json!({"data": [{"id": "1", "spend": "1.00"}, {"id": "2", "actions": [], "budget": 5, "x": null}], "paging": {}});
        assert_eq!(shape_of(&body), shape(&[("actions", "array"), ("budget", "number"), ("id", "string"), ("spend", "string")]));
        let one = json!({"id": "1", "name": "n", "business": {"id": "2"}});
        assert_eq!(shape_of(&one), shape(&[("business", "object"), ("id", "string"), ("name", "string")]));
        assert_eq!(fingerprint(&shape_of(&body)), fingerprint(&shape_of(&body)));
        assert_ne!(fingerprint(&shape_of(&body)), fingerprint(&shape_of(&one)));
        assert_eq!(fingerprint(&Shape::new()).len(), 16);
    }

    #[test]
    fn endpoints_lose_their_ids_and_versions() {
        assert_eq!(endpoint_of("act_123/campaigns"), "act_{id}/campaigns");
        assert_eq!(endpoint_of("v26.0/120000123/insights?x=1"), "{id}/insights");
        assert_eq!(endpoint_of("me/adaccounts"), "me/adaccounts");
        assert_eq!(endpoint_of("act_/x"), "act_/x");
    }

    #[test]
    fn a_request_is_keyed_by_its_top_level_fields_and_breakdowns() {
        assert_eq!(
            requested_fields("id, name,adsets.limit(5){name,status},insights{spend}"),
            ["adsets", "id", "insights", "name"].iter().map(|s| s.to_string()).collect()
        );
        let p = |f: &str| vec![("fields".to_string(), f.to_string()), ("breakdowns".to_string(), "age".to_string())];
        assert_eq!(request_key(&p("name,id")), request_key(&p("id,name")));
        assert_eq!(request_key(&p("id")), "id|breakdowns=age");
        assert_eq!(request_key(&[]), "*");
        assert!(request_key(&[("fields".into(), "f".repeat(500))]).starts_with("sha256:"));
    }

    #[test]
    fn drift_is_a_changed_type_an_unasked_field_or_an_added_default() {
        let known = shape(&[("id", "string"), ("spend", "string")]);
        let asked: BTreeSet<String> = ["id", "spend"].iter().map(|s| s.to_string()).collect();
        let none = BTreeSet::new();
        assert!(compare(&known, &shape(&[("id", "string")]), Some(&asked), &none).is_empty(), "a missing field is an empty value, not drift");
        assert_eq!(
            compare(&known, &shape(&[("spend", "number")]), Some(&asked), &none),
            vec![Drift::new("type_changed", Some("spend"), Some("string"), Some("number"))]
        );
        assert_eq!(
            compare(&known, &shape(&[("reach_v2", "string")]), Some(&asked), &none),
            vec![Drift::new("unknown_field", Some("reach_v2"), None, Some("string"))]
        );
        let cols: BTreeSet<String> = ["age".to_string()].into();
        assert!(compare(&known, &shape(&[("age", "string")]), Some(&asked), &cols).is_empty(), "a breakdown's column was asked for");
        assert_eq!(compare(&known, &shape(&[("new_default", "bool")]), None, &none)[0].kind, "field_added");
        assert!(compare(&Shape::new(), &shape(&[("id", "string")]), None, &none).is_empty(), "the first answer is the baseline");
        assert_eq!(merge(&known, &shape(&[("spend", "number"), ("x", "bool")])), shape(&[("id", "string"), ("spend", "number"), ("x", "bool")]));
    }

    #[test]
    fn a_refused_field_is_read_from_metas_messages() {
        assert_eq!(refused_field("(#100) Tried accessing nonexisting field (budget_remaining) on node type (AdCampaign)").as_deref(), Some("budget_remaining"));
        assert_eq!(
            refused_field("(#100) cpp is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values").as_deref(),
            Some("cpp")
        );
        assert_eq!(refused_field("(#100) Param limit must be a number"), None);
    }

    #[test]
    fn shapes_are_bounded() {
        let mut big = serde_json::Map::new();
        for i in 0..500 {
            big.insert(format!("f{i}"), json!(1));
        }
        big.insert("x".repeat(200), json!(1));
        assert_eq!(shape_of(&Value::Object(big)).len(), MAX_FIELDS);
    }
}
