//! Graph parameters arrive in the query string, a form body or a JSON body; values that are
//! lists or objects are JSON text (the official SDKs send `special_ad_categories=["EMPLOYMENT"]`).

use crate::error::{GraphError, GraphResult};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// Merges the query string and the body (body wins), decoding JSON-looking values.
    pub fn parse(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> GraphResult<Params> {
        let mut map = Map::new();
        if let Some(q) = query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                map.insert(k.into_owned(), decode(&v));
            }
        }
        if !body.is_empty() {
            if content_type.is_some_and(|c| c.starts_with("application/json")) {
                let v: Value = serde_json::from_slice(body).map_err(|e| GraphError::invalid_param(format!("Invalid JSON body: {e}")))?;
                if let Value::Object(o) = v {
                    map.extend(o);
                }
            } else if content_type.is_some_and(|c| c.starts_with("multipart/")) {
                return Err(GraphError::invalid_param("multipart uploads are not supported by the simulator"));
            } else {
                for (k, v) in url::form_urlencoded::parse(body) {
                    map.insert(k.into_owned(), decode(&v));
                }
            }
        }
        Ok(Params(map))
    }

    /// Decoded name/value pairs (later pairs win), JSON-looking values decoded as in `parse`.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Params {
        Params(pairs.into_iter().map(|(k, v)| (k, decode(&v))).collect())
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    /// A value that must be a list (a JSON array, or a comma-separated string).
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        match self.0.get(key)? {
            Value::Array(a) => Some(a.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect()),
            Value::String(s) if s.is_empty() => Some(vec![]),
            Value::String(s) => Some(s.split(',').map(|p| p.trim().to_string()).collect()),
            other => Some(vec![other.to_string()]),
        }
    }

    pub fn int(&self, key: &str) -> GraphResult<Option<i64>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad_int(key)),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad_int(key)),
            Some(_) => Err(bad_int(key)),
        }
    }
}

fn bad_int(key: &str) -> GraphError {
    GraphError::invalid_param(format!("(#100) Param {key} must be an integer"))
}

/// JSON arrays and objects sent as text become JSON; everything else stays a string.
fn decode(raw: &str) -> Value {
    let t = raw.trim_start();
    if t.starts_with('[') || t.starts_with('{') {
        if let Ok(v) = serde_json::from_str(raw) {
            return v;
        }
    }
    Value::String(raw.to_string())
}
