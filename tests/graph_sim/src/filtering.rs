//! Edge filters: `effective_status`, and `filtering=[{field, operator, value}]` on status,
//! `updated_time` (incremental reads) and `name` (EQUAL, CONTAIN, NOT_CONTAIN). Filters combine:
//! an object is listed when it passes all of them.

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Node, Store};
use serde_json::Value;

enum NameTest {
    Equal(String),
    Contain(String),
    NotContain(String),
}

impl NameTest {
    fn passes(&self, name: &str) -> bool {
        match self {
            NameTest::Equal(v) => name == v,
            // Meta matches CONTAIN without regard to case.
            NameTest::Contain(v) => name.to_lowercase().contains(&v.to_lowercase()),
            NameTest::NotContain(v) => !name.to_lowercase().contains(&v.to_lowercase()),
        }
    }
}

/// Without an explicit status filter Graph leaves out deleted and archived objects.
pub fn edge_filter(p: &Params) -> GraphResult<impl Fn(&Store, &Node) -> bool> {
    let mut statuses: Option<Vec<String>> = p.list("effective_status");
    let mut updated_after: Option<i64> = None;
    let mut names: Vec<NameTest> = Vec::new();
    if let Some(Value::Array(fs)) = p.get("filtering") {
        for f in fs {
            let field = f.get("field").and_then(Value::as_str).unwrap_or_default();
            let op = f.get("operator").and_then(Value::as_str).unwrap_or_default();
            let text = || {
                f.get("value").and_then(Value::as_str).map(str::to_string).ok_or_else(|| GraphError::invalid_param("(#100) A name filter needs a string value"))
            };
            match (field, op) {
                ("effective_status", "IN") => {
                    statuses = Some(
                        f.get("value").and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default(),
                    )
                }
                ("updated_time", "GREATER_THAN") => {
                    let v = f.get("value");
                    updated_after = v.and_then(Value::as_i64).or_else(|| v.and_then(Value::as_str).and_then(|s| s.parse().ok()));
                    if updated_after.is_none() {
                        return Err(GraphError::invalid_param("(#100) updated_time filter needs a Unix timestamp"));
                    }
                }
                ("name", "EQUAL") => names.push(NameTest::Equal(text()?)),
                ("name", "CONTAIN") => names.push(NameTest::Contain(text()?)),
                ("name", "NOT_CONTAIN") => names.push(NameTest::NotContain(text()?)),
                _ => return Err(GraphError::invalid_param(format!("(#100) Filtering field {field} with operation {op} is not supported"))),
            }
        }
    }
    Ok(move |store: &Store, n: &Node| {
        let status_ok = match &statuses {
            Some(s) => s.contains(&store.effective_status(n)),
            None => !n.kind.has_status() || !matches!(n.status(), "DELETED" | "ARCHIVED"),
        };
        let name = n.fields.get("name").and_then(Value::as_str).unwrap_or_default();
        status_ok && updated_after.is_none_or(|t| n.updated > t) && names.iter().all(|t| t.passes(name))
    })
}
