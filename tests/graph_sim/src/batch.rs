//! The batch API: up to 50 calls in one request, answered in order. A call may have a `name`;
//! later calls use its result with JSONPath (`{result=NAME:$.id}`, `$.data.0.id`, `$.data.*.id`)
//! in `relative_url` or `body`, or wait on it with `depends_on`. A call whose dependency failed is
//! not run, and the response of a named call that others used is left out (`null`) unless the
//! call says `"omit_response_on_success": false`, as Meta's batch API does.

use crate::error::{GraphError, GraphResult};
use crate::graph::{handle, is_version, token_of, Outcome, Request};
use crate::params::Params;
use crate::store::Store;
use crate::usage;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

const MAX_CALLS: usize = 50;

/// `{result=NAME:PATH}` references in a text, as (whole reference, name, path).
fn references(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{result=") {
        let after = &rest[start + "{result=".len()..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        if let Some((name, path)) = inner.split_once(':') {
            out.push((format!("{{result={inner}}}"), name.to_string(), path.to_string()));
        }
        rest = &after[end..];
    }
    out
}

/// A JSONPath of dots, indexes and `*` (`$.data.0.id`, `$.data[0].id`, `$.data.*.id`); several
/// matches join with commas, as Meta joins them.
fn resolve(body: &Value, path: &str) -> Option<String> {
    let path = path.trim().strip_prefix('$')?.replace('[', ".").replace(']', "");
    let mut current = vec![body.clone()];
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        current = current
            .into_iter()
            .flat_map(|v| match (seg, v) {
                ("*", Value::Array(a)) => a,
                ("*", Value::Object(o)) => o.into_iter().map(|(_, x)| x).collect(),
                (s, Value::Array(a)) => s.parse::<usize>().ok().and_then(|i| a.get(i).cloned()).into_iter().collect(),
                (s, Value::Object(o)) => o.get(s).cloned().into_iter().collect(),
                _ => Vec::new(),
            })
            .collect();
    }
    let texts: Vec<String> = current.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
    (!texts.is_empty()).then(|| texts.join(","))
}

struct Done {
    ok: bool,
    body: Value,
}

fn substitute(text: &str, done: &HashMap<String, Done>) -> Result<String, GraphError> {
    let mut out = text.to_string();
    for (whole, name, path) in references(text) {
        let value = done.get(&name).and_then(|d| resolve(&d.body, &path)).ok_or_else(|| {
            // Meta documents no wording for this; the simulator's.
            GraphError::invalid_param(format!("(#100) The JSONPath {path} of batch request \"{name}\" returned no result"))
        })?;
        out = out.replace(&whole, &value);
    }
    Ok(out)
}

fn pairs(text: &str, done: &HashMap<String, Done>) -> Result<Vec<(String, String)>, GraphError> {
    url::form_urlencoded::parse(text.as_bytes()).map(|(k, v)| Ok((k.into_owned(), substitute(&v, done)?))).collect()
}

/// The names a call waits on: `depends_on` and every name its references use.
fn dependencies(call: &Value) -> Vec<String> {
    let mut names: Vec<String> = match call.get("depends_on") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    for key in ["relative_url", "body"] {
        if let Some(text) = call.get(key).and_then(Value::as_str) {
            let decoded: String = url::form_urlencoded::parse(text.as_bytes()).map(|(k, v)| format!("{k}={v}&")).collect();
            names.extend(references(text).into_iter().chain(references(&decoded)).map(|(_, n, _)| n));
        }
    }
    names.sort();
    names.dedup();
    names
}

fn dependency_failed(name: &str) -> GraphError {
    // Meta documents no wording for a dependency that failed; the simulator's.
    GraphError::invalid_param(format!("(#100) This request depends on batch request \"{name}\", which failed, so it was not run"))
}

pub fn run(store: &mut Store, req: &Request) -> GraphResult<Outcome> {
    let calls = match req.params.get("batch") {
        Some(Value::Array(a)) => a.clone(),
        _ => return Err(GraphError::invalid_param("(#100) The parameter batch is required and must be a JSON array")),
    };
    if calls.len() > MAX_CALLS {
        return Err(GraphError::invalid_param("(#100) Too many requests in batch message. Maximum batch size is 50").subcode(1_357_049));
    }
    let top_token = token_of(req).map(str::to_string);
    let top_proof = req.params.str("appsecret_proof").map(str::to_string);
    let used: HashSet<String> = calls.iter().flat_map(dependencies).collect();
    let mut done: HashMap<String, Done> = HashMap::new();
    let mut results = Vec::new();
    let mut recorded = Vec::new();
    for call in &calls {
        let method = call.get("method").and_then(Value::as_str).unwrap_or("GET").to_uppercase();
        let name = call.get("name").and_then(Value::as_str).map(str::to_string);
        let rel = call.get("relative_url").and_then(Value::as_str).unwrap_or_default().trim_start_matches('/').to_string();
        let (raw_path, query) = rel.split_once('?').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((rel.clone(), String::new()));
        let failed_dep = dependencies(call).into_iter().find(|d| done.get(d).is_none_or(|r| !r.ok));
        let prepared = match failed_dep {
            Some(d) => Err(dependency_failed(&d)),
            None => (|| {
                let path = substitute(&raw_path, &done)?;
                let body = call.get("body").and_then(Value::as_str).unwrap_or_default();
                let mut all = pairs(&query, &done)?;
                all.extend(pairs(body, &done)?);
                Ok((path, Params::from_pairs(all)))
            })(),
        };
        let failed = |store: &mut Store, e: GraphError| {
            let fbtrace = crate::server::fbtrace(store);
            Outcome {
                status: e.http_status,
                error_code: Some(e.code),
                body: e.to_json(&fbtrace),
                account: None,
                use_case: crate::usage::UseCase::AdsManagement,
                redirect: None,
            }
        };
        // What the item asked for, as sent (tokens redacted), even when it could not run.
        let raw_params = || {
            let body = call.get("body").and_then(Value::as_str).unwrap_or_default();
            let all: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .chain(url::form_urlencoded::parse(body.as_bytes()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            crate::server::redacted(&Params::from_pairs(all))
        };
        let in_url: Vec<String> = url::form_urlencoded::parse(query.as_bytes()).map(|(k, _)| k.into_owned()).collect();
        let (path, ledger_params, out) = match prepared {
            Err(e) => (raw_path.clone(), raw_params(), failed(store, e)),
            Ok((path, mut params)) => {
                let (version, path) = match path.split_once('/') {
                    Some((v, rest)) if is_version(v) => (v.to_string(), rest.to_string()),
                    _ if is_version(&path) => (path.clone(), String::new()),
                    _ => (req.version.clone(), path),
                };
                let ledger_params = crate::server::redacted(&params);
                // An injected error fault fails a call inside a batch as it would a call alone.
                let fault = crate::server::take_fault(store, &format!("/{version}/{path}"), &method, |k| crate::server::fault_error(k).is_some());
                match fault.and_then(|k| crate::server::fault_error(&k)) {
                    Some(e) => (path, ledger_params, failed(store, e)),
                    None => {
                        if params.get("access_token").is_none() {
                            if let Some(t) = &top_token {
                                params.0.insert("access_token".into(), json!(t));
                            }
                        }
                        if params.get("appsecret_proof").is_none() {
                            if let Some(p) = &top_proof {
                                params.0.insert("appsecret_proof".into(), json!(p));
                            }
                        }
                        let sub = Request { method: &method, path: &path, params, bearer: req.bearer.clone(), version };
                        let fbtrace = crate::server::fbtrace(store);
                        let out = handle(store, sub, &fbtrace);
                        (path, ledger_params, out)
                    }
                }
            }
        };
        let headers = usage::headers(store, out.account.as_deref(), out.use_case);
        let mut hs: Vec<Value> = headers.into_iter().map(|(k, v)| json!({ "name": k, "value": v })).collect();
        hs.push(json!({ "name": "Content-Type", "value": "text/javascript; charset=UTF-8" }));
        let ok = out.status == 200;
        let omit = ok && name.as_ref().is_some_and(|n| used.contains(n)) && call.get("omit_response_on_success") != Some(&Value::Bool(false));
        results.push(if omit { Value::Null } else { json!({ "code": out.status, "headers": hs, "body": out.body.to_string() }) });
        if let Some(n) = name {
            done.insert(n, Done { ok, body: out.body.clone() });
        }
        recorded.push((method, path, ledger_params, out.status, out.error_code, in_url));
    }
    for (m, p, params, s, c, in_url) in recorded {
        crate::server::record_with_query(store, &m, &p, params, s, c, true, in_url);
    }
    Ok(Outcome::ok(Value::Array(results)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_pick_one_or_join_many() {
        let body = json!({ "id": "7", "data": [{ "id": "1" }, { "id": "2" }] });
        assert_eq!(resolve(&body, "$.id").as_deref(), Some("7"));
        assert_eq!(resolve(&body, "$.data.1.id").as_deref(), Some("2"));
        assert_eq!(resolve(&body, "$.data[0].id").as_deref(), Some("1"));
        assert_eq!(resolve(&body, "$.data.*.id").as_deref(), Some("1,2"));
        assert_eq!(resolve(&body, "$.nope"), None);
        assert_eq!(references("act_1/adsets?campaign_id={result=c:$.id}")[0].1, "c");
    }
}
