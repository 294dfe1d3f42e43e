//! `filtering=[{field, operator, value}]` on edges and insights, in Meta's dot notation: a field
//! is bare (the listed object's own) or names the object or one of its parents
//! (`campaign.updated_time` on `/ads`, `adset.effective_status` in insights). Operators come from
//! Meta's list of 26; each field takes the ones Meta accepts for it, and refuses the rest with
//! Meta's error. Filters combine: an object passes when it passes all of them. Without an
//! explicit status filter, deleted and archived objects are left out, as Graph leaves them.
//! (Meta: the `filtering` parameter of the Ads Insights and edge references; its operator enum.)

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use serde_json::Value;

/// Meta's operator enum, in its order.
pub const OPERATORS: [&str; 26] = [
    "EQUAL",
    "NOT_EQUAL",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "IN_RANGE",
    "NOT_IN_RANGE",
    "CONTAIN",
    "NOT_CONTAIN",
    "CONTAINS_ANY",
    "CONTAINS_ALL",
    "NOT_CONTAINS_ANY",
    "STEM_MATCH",
    "IN",
    "NOT_IN",
    "STARTS_WITH",
    "ENDS_WITH",
    "ANY",
    "ALL",
    "AFTER",
    "BEFORE",
    "ON_OR_AFTER",
    "ON_OR_BEFORE",
    "NONE",
    "TOP",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    Id,
    Name,
    Status,
    EffectiveStatus,
    UpdatedTime,
    CreatedTime,
}

impl Attr {
    fn parse(s: &str) -> Option<Attr> {
        Some(match s {
            "id" => Attr::Id,
            "name" => Attr::Name,
            "status" => Attr::Status,
            "effective_status" => Attr::EffectiveStatus,
            "updated_time" => Attr::UpdatedTime,
            "created_time" => Attr::CreatedTime,
            _ => return None,
        })
    }

    /// The operators Meta accepts on the field (as measured against Marketing API edges).
    fn operators(self) -> &'static [&'static str] {
        match self {
            Attr::Id | Attr::Status | Attr::EffectiveStatus => &["EQUAL", "NOT_EQUAL", "IN", "NOT_IN"],
            Attr::Name => &["EQUAL", "CONTAIN", "NOT_CONTAIN"],
            Attr::UpdatedTime | Attr::CreatedTime => &["GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL", "IN_RANGE", "NOT_IN_RANGE"],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Text(String),
    Texts(Vec<String>),
    Time(i64),
    Range(i64, i64),
}

/// One filter: which object (the listed one, or a parent by kind), which field, how.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    on: Option<Kind>,
    attr: Attr,
    op: &'static str,
    test: Test,
}

fn kind_of(prefix: &str) -> Option<Kind> {
    Some(match prefix {
        "campaign" => Kind::Campaign,
        "adset" => Kind::AdSet,
        "ad" => Kind::Ad,
        _ => return None,
    })
}

/// Whether objects of `listed` have a `parent` to filter on (themselves count).
fn reaches(listed: Option<Kind>, parent: Kind) -> bool {
    match listed {
        // Insights rows are per ad: every level of the tree is reachable.
        None => true,
        Some(k) => k == parent || matches!((k, parent), (Kind::AdSet, Kind::Campaign) | (Kind::Ad, Kind::Campaign) | (Kind::Ad, Kind::AdSet)),
    }
}

fn unsupported(field: &str, op: Option<&str>) -> GraphError {
    match op {
        Some(op) => GraphError::invalid_param(format!("(#100) Filtering field '{field}' with operation '{}' is not supported", op.to_lowercase())),
        None => GraphError::invalid_param(format!("(#100) Filtering field '{field}' is not supported")),
    }
}

fn time_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses `filtering` for objects of `listed` (`None`: insights, whose rows are ads).
pub fn parse(p: &Params, listed: Option<Kind>) -> GraphResult<Vec<Filter>> {
    let fs = match p.get("filtering") {
        None => return Ok(Vec::new()),
        Some(Value::Array(fs)) => fs,
        Some(_) => return Err(GraphError::invalid_param("(#100) param filtering must be an array.")),
    };
    let mut out = Vec::new();
    for (i, f) in fs.iter().enumerate() {
        let field = f
            .get("field")
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::invalid_param(format!("(#100) The parameter filtering[{i}][field] is required")))?;
        let op = f
            .get("operator")
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::invalid_param(format!("(#100) The parameter filtering[{i}][operator] is required")))?;
        let op = *OPERATORS
            .iter()
            .find(|o| **o == op)
            .ok_or_else(|| GraphError::invalid_param(format!("(#100) Param filtering[{i}][operator] must be one of {{{}}}", OPERATORS.join(", "))))?;
        let (on, attr_name) = match field.split_once('.') {
            Some((prefix, rest)) => (Some(kind_of(prefix).filter(|k| reaches(listed, *k)).ok_or_else(|| unsupported(field, None))?), rest),
            None if listed.is_some() => (listed, field),
            None => return Err(unsupported(field, None)),
        };
        let attr = Attr::parse(attr_name).ok_or_else(|| unsupported(field, None))?;
        if !attr.operators().contains(&op) {
            return Err(unsupported(field, Some(op)));
        }
        let value = f.get("value").cloned().unwrap_or(Value::Null);
        let bad_value = || GraphError::invalid_param(format!("(#100) Filtering field '{field}' with operation '{}' is not supported", op.to_lowercase()));
        let test = match op {
            "IN" | "NOT_IN" => match &value {
                Value::Array(a) => Test::Texts(a.iter().map(text_of).collect::<Option<Vec<_>>>().ok_or_else(bad_value)?),
                v => Test::Texts(vec![text_of(v).ok_or_else(bad_value)?]),
            },
            "IN_RANGE" | "NOT_IN_RANGE" => match value.as_array().map(|a| a.iter().map(time_of).collect::<Option<Vec<_>>>()) {
                Some(Some(r)) if r.len() == 2 => Test::Range(r[0], r[1]),
                _ => return Err(bad_value()),
            },
            _ if matches!(attr, Attr::UpdatedTime | Attr::CreatedTime) => Test::Time(time_of(&value).ok_or_else(bad_value)?),
            _ => Test::Text(text_of(&value).ok_or_else(bad_value)?),
        };
        out.push(Filter { on, attr, op, test });
    }
    Ok(out)
}

/// The object a filter reads: the node itself or the parent it names.
fn subject<'a>(store: &'a Store, n: &'a Node, on: Option<Kind>) -> Option<&'a Node> {
    match on {
        None => Some(n),
        Some(k) if k == n.kind => Some(n),
        Some(Kind::Campaign) => n.campaign_id.as_ref().and_then(|i| store.nodes.get(i)),
        Some(Kind::AdSet) => n.adset_id.as_ref().and_then(|i| store.nodes.get(i)),
        Some(_) => None,
    }
}

impl Filter {
    fn passes(&self, store: &Store, n: &Node) -> bool {
        let Some(s) = subject(store, n, self.on) else { return false };
        let text = || match self.attr {
            Attr::Id => s.id.clone(),
            Attr::Name => s.fields.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            Attr::Status => s.status().to_string(),
            _ => store.effective_status(s),
        };
        let time = match self.attr {
            Attr::UpdatedTime => s.updated,
            _ => s.created,
        };
        match (&self.test, self.op) {
            (Test::Texts(vs), "IN") => vs.contains(&text()),
            (Test::Texts(vs), _) => !vs.contains(&text()),
            (Test::Text(v), "EQUAL") => text() == *v,
            (Test::Text(v), "NOT_EQUAL") => text() != *v,
            // Meta matches these without regard to case.
            (Test::Text(v), "CONTAIN") => text().to_lowercase().contains(&v.to_lowercase()),
            (Test::Text(v), "NOT_CONTAIN") => !text().to_lowercase().contains(&v.to_lowercase()),
            (Test::Text(_), _) => false,
            (Test::Time(t), "GREATER_THAN") => time > *t,
            (Test::Time(t), "GREATER_THAN_OR_EQUAL") => time >= *t,
            (Test::Time(t), "LESS_THAN") => time < *t,
            (Test::Time(t), _) => time <= *t,
            (Test::Range(a, b), "IN_RANGE") => (*a..=*b).contains(&time),
            (Test::Range(a, b), _) => !(*a..=*b).contains(&time),
        }
    }

    fn names_status(&self) -> bool {
        matches!(self.attr, Attr::Status | Attr::EffectiveStatus)
    }
}

/// Whether `n` passes every filter.
pub fn passes_all(store: &Store, n: &Node, filters: &[Filter]) -> bool {
    filters.iter().all(|f| f.passes(store, n))
}

/// The filter of a listing edge of `kind`: `effective_status=[...]` and `filtering`.
pub fn edge_filter(p: &Params, kind: Kind) -> GraphResult<impl Fn(&Store, &Node) -> bool> {
    let statuses: Option<Vec<String>> = p.list("effective_status");
    let filters = parse(p, Some(kind))?;
    let explicit = statuses.is_some() || filters.iter().any(|f| f.names_status() && f.on.is_none_or(|k| k == kind));
    Ok(move |store: &Store, n: &Node| {
        let status_ok = match &statuses {
            Some(s) => s.contains(&store.effective_status(n)),
            None => explicit || !n.kind.has_status() || !matches!(n.status(), "DELETED" | "ARCHIVED"),
        };
        status_ok && passes_all(store, n, &filters)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(filtering: Value) -> Params {
        Params::from_pairs(vec![("filtering".to_string(), filtering.to_string())])
    }

    #[test]
    fn fields_and_operators_are_checked_as_meta_checks_them() {
        let ok = params(json!([{"field": "campaign.updated_time", "operator": "GREATER_THAN", "value": 1_700_000_000}]));
        assert_eq!(parse(&ok, Some(Kind::Ad)).unwrap().len(), 1);
        let msg = |v: Value, k: Option<Kind>| parse(&params(v), k).unwrap_err().message;
        assert_eq!(
            msg(json!([{"field": "adset.name", "operator": "NOT_EQUAL", "value": "x"}]), Some(Kind::Ad)),
            "(#100) Filtering field 'adset.name' with operation 'not_equal' is not supported"
        );
        assert_eq!(
            msg(json!([{"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}]), Some(Kind::Campaign)),
            "(#100) Filtering field 'ad.effective_status' is not supported"
        );
        assert_eq!(
            msg(json!([{"field": "configured_status", "operator": "EQUAL", "value": "ACTIVE"}]), Some(Kind::Ad)),
            "(#100) Filtering field 'configured_status' is not supported"
        );
        assert!(msg(json!([{"field": "name", "operator": "LIKE", "value": "x"}]), Some(Kind::Ad))
            .starts_with("(#100) Param filtering[0][operator] must be one of {EQUAL, NOT_EQUAL, GREATER_THAN,"));
        assert_eq!(msg(json!({"field": "name"}), Some(Kind::Ad)), "(#100) param filtering must be an array.");
        assert_eq!(
            msg(json!([{"field": "updated_time", "operator": "IN_RANGE", "value": [1]}]), Some(Kind::Ad)),
            "(#100) Filtering field 'updated_time' with operation 'in_range' is not supported"
        );
    }
}
