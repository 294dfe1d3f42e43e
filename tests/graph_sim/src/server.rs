//! The HTTP layer: Graph paths (`/v26.0/...`), faults, usage headers, the ledger, and the
//! control API under `/__control`.

use crate::error::GraphError;
use crate::graph::{self, Request as GraphRequest};
use crate::params::Params;
use crate::store::{FaultKind, LedgerEntry, Store};
use crate::usage;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub type Shared = Arc<Mutex<Store>>;

pub fn router(store: Shared) -> Router {
    Router::new().nest("/__control", crate::control::router()).fallback(graph_entry).with_state(store)
}

/// Serves until the process ends; also runs the webhook deliverer.
pub async fn serve(listener: tokio::net::TcpListener, store: Shared) -> std::io::Result<()> {
    tokio::spawn(crate::webhooks::deliver_loop(store.clone()));
    axum::serve(listener, router(store)).await
}

pub fn fbtrace(store: &mut Store) -> String {
    store.seq += 1;
    let h = store.hash(&["fbtrace", &store.seq.to_string()]);
    format!("A{}", &hex::encode(h.to_le_bytes())[..11])
}

/// Replaces ids in a path so counters group by endpoint.
pub fn endpoint_of(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with("act_") {
                "act_{id}"
            } else if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub fn redacted(params: &Params) -> Value {
    let mut m = params.0.clone();
    for k in ["access_token", "appsecret_proof", "client_secret", "fb_exchange_token", "input_token", "code"] {
        if m.contains_key(k) {
            m.insert(k.into(), json!("<redacted>"));
        }
    }
    Value::Object(m)
}

/// The names of the parameters a call carried in its URL (values are never kept), so tests can
/// check that no secret travelled in a URL.
fn query_keys(query: Option<&str>) -> Vec<String> {
    query.map(|q| url::form_urlencoded::parse(q.as_bytes()).map(|(k, _)| k.into_owned()).collect()).unwrap_or_default()
}

pub fn record(store: &mut Store, method: &str, path: &str, params: Value, status: u16, code: Option<i64>, batch: bool) {
    record_with_query(store, method, path, params, status, code, batch, Vec::new());
}

#[allow(clippy::too_many_arguments)]
pub fn record_with_query(store: &mut Store, method: &str, path: &str, params: Value, status: u16, code: Option<i64>, batch: bool, query_keys: Vec<String>) {
    let endpoint = endpoint_of(path);
    *store.counters.entry(format!("{method} /{endpoint}")).or_default() += 1;
    store.seq += 1;
    let entry = LedgerEntry {
        seq: store.seq,
        at: Store::iso(store.now()),
        method: method.to_string(),
        path: format!("/{path}"),
        endpoint: format!("/{endpoint}"),
        params,
        status,
        error_code: code,
        batch,
        query_keys,
        version: store.serving.name(),
    };
    store.ledger.push(entry);
}

/// Takes the first injected fault that matches a call (path, method and `kind`), counting down
/// the calls it lets through first and the calls it fails.
pub fn take_fault(s: &mut Store, path: &str, method: &str, kind: impl Fn(&FaultKind) -> bool) -> Option<FaultKind> {
    let mut idx = None;
    for (i, f) in s.faults.iter_mut().enumerate() {
        if f.path_contains.as_ref().is_none_or(|p| path.contains(p.as_str())) && f.method.as_ref().is_none_or(|m| *m == method) && kind(&f.kind) {
            // A matching fault with calls still to let through counts this one and lets it pass.
            if f.skip > 0 {
                f.skip -= 1;
                continue;
            }
            idx = Some(i);
            break;
        }
    }
    idx.map(|i| {
        let f = &mut s.faults[i];
        f.remaining -= 1;
        let kind = f.kind.clone();
        if f.remaining == 0 {
            s.faults.remove(i);
        }
        kind
    })
}

/// The error a fault answers with; `None` for faults that change how the answer travels.
pub fn fault_error(kind: &FaultKind) -> Option<GraphError> {
    Some(match kind.clone() {
                FaultKind::Status(code) => GraphError::new(code, "OAuthException", 1, "An unknown error has occurred.").transient(),
                FaultKind::Transient => GraphError::new(500, "OAuthException", 2, "An unexpected error has occurred. Please retry your request later.").transient(),
                FaultKind::SessionInvalidated => GraphError::new(
                    400,
                    "OAuthException",
                    190,
                    "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                )
                .subcode(460),
                FaultKind::Throttle(code) => {
                    let (sub, msg) = match code {
                        4 => (None, "(#4) Application request limit reached"),
                        17 => (Some(2_446_079), "(#17) User request limit reached"),
                        32 => (None, "(#32) Page request limit reached"),
                        613 => (Some(1_487_742), "(#613) Calls to this api have exceeded the rate limit."),
                        _ => (Some(2_446_079), "There have been too many calls from this ad-account. Wait a bit and try again."),
                    };
                    let mut e = GraphError::new(400, "OAuthException", code, if code >= 80_000 { format!("(#{code}) {msg}") } else { msg.to_string() }).transient();
                    e.subcode = sub;
                    e.regain_access_minutes = Some(1);
                    e
                }
                _ => return None,
            })
}

fn json_response(status: u16, body: &Value, headers: Vec<(&'static str, String)>) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json; charset=UTF-8"));
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    resp
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let (scheme, tok) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")).then(|| tok.trim().to_string())
}

async fn graph_entry(State(store): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let raw_path = uri.path().trim_start_matches('/').to_string();
    let (version, path) = match raw_path.split_once('/') {
        Some((v, rest)) if graph::is_version(v) => (v.to_string(), rest.to_string()),
        _ if graph::is_version(&raw_path) => (raw_path.clone(), String::new()),
        _ => ("v26.0".to_string(), raw_path.clone()),
    };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut params = match Params::parse(uri.query(), content_type.as_deref(), &body) {
        Ok(p) => p,
        Err(e) => {
            let mut s = store.lock().unwrap();
            let trace = fbtrace(&mut s);
            return json_response(e.http_status, &e.to_json(&trace), vec![]);
        }
    };
    let mut method_s = method.as_str().to_string();
    // Graph's method override: a POST with `method=GET` (or DELETE) is served as that method,
    // so large or sensitive parameters can travel in the body instead of the URL.
    if method_s == "POST" {
        if let Some(m) = params.str("method").map(str::to_ascii_uppercase).filter(|m| m == "GET" || m == "DELETE") {
            params.remove("method");
            method_s = m;
        }
    }
    let in_url = query_keys(uri.query());

    // Webhook subscriptions need an outbound handshake, so they run outside the store lock.
    if path.ends_with("/subscriptions") {
        return crate::control::subscriptions(store, &method_s, &path, params).await;
    }

    let base_latency = store.lock().unwrap().base_latency_ms;
    if base_latency > 0 {
        tokio::time::sleep(Duration::from_millis(base_latency)).await;
    }

    // Faults apply to the next matching calls, in the order they were injected.
    let fault = take_fault(&mut store.lock().unwrap(), uri.path(), &method_s, |_| true);
    let mut drop_connection = false;
    let mut slow_answer = 0;
    match fault {
        Some(FaultKind::LatencyMs(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultKind::DropConnection) => drop_connection = true,
        Some(FaultKind::TokenExpired) => {
            let mut s = store.lock().unwrap();
            let tok = params.str("access_token").map(str::to_string).or_else(|| bearer(&headers));
            let now = s.now();
            if let Some(t) = tok.and_then(|t| s.tokens.get_mut(&t)) {
                t.expires_at = Some(now - 1);
            }
        }
        Some(FaultKind::SlowAnswerMs(ms)) => slow_answer = ms,
        Some(kind) => {
            let err = fault_error(&kind).expect("every other fault kind is an error");
            let mut s = store.lock().unwrap();
            let trace = fbtrace(&mut s);
            record_with_query(&mut s, &method_s, &path, redacted(&params), err.http_status, Some(err.code), false, in_url);
            let hs = usage::headers(&mut s, None, crate::usage::UseCase::AdsManagement);
            return json_response(err.http_status, &err.to_json(&trace), hs);
        }
        None => {}
    }

    let (outcome, hs, trace, version_warning) = {
        let mut s = store.lock().unwrap();
        let trace = fbtrace(&mut s);
        let ledger_params = redacted(&params);
        // An expired version's read is served at the oldest live one, with a warning header.
        let (version, version_warning) = match crate::versions::serve(&version, method_s != "GET", s.now_dt().date_naive()) {
            Ok(served) => (served.version.name(), served.warning),
            Err(e) => {
                s.serving = crate::versions::Version::parse(&version).unwrap_or(s.serving);
                record_with_query(&mut s, &method_s, &path, ledger_params, e.http_status, Some(e.code), false, in_url);
                let hs = usage::headers(&mut s, None, crate::usage::UseCase::AdsManagement);
                return json_response(e.http_status, &e.to_json(&trace), hs);
            }
        };
        let req = GraphRequest { method: &method_s, path: &path, params, bearer: bearer(&headers), version };
        let out = graph::handle(&mut s, req, &trace);
        if path.is_empty() && method_s == "POST" {
            // The batch's calls were recorded one by one; record the envelope too.
            record(&mut s, &method_s, "", json!({ "batch": "<see entries>" }), out.status, out.error_code, false);
        } else {
            record_with_query(&mut s, &method_s, &path, ledger_params, out.status, out.error_code, false, in_url);
        }
        let hs = usage::headers(&mut s, out.account.as_deref(), out.use_case);
        (out, hs, trace, version_warning)
    };
    let mut hs = hs;
    hs.push(("x-fb-trace-id", trace));
    if let Some(w) = version_warning {
        hs.push(("x-ad-api-version-warning", w));
    }
    if outcome.error_code == Some(190) {
        hs.push(("www-authenticate", "OAuth \"Facebook Platform\" \"invalid_token\"".into()));
    }
    if let Some(loc) = &outcome.redirect {
        hs.push(("location", loc.clone()));
    }
    if slow_answer > 0 {
        // Meta has done the work; the answer is late (the caller may be gone by then).
        tokio::time::sleep(Duration::from_millis(slow_answer)).await;
    }
    if drop_connection {
        // Send part of the body, then fail the stream: the client sees the connection drop mid-page.
        let text = outcome.body.to_string();
        let half = text.as_bytes()[..text.len() / 2].to_vec();
        let stream = futures_stream(half);
        let mut resp = Response::new(Body::from_stream(stream));
        *resp.status_mut() = StatusCode::OK;
        resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json; charset=UTF-8"));
        resp.headers_mut().insert("content-length", HeaderValue::from(text.len()));
        return resp;
    }
    json_response(outcome.status, &outcome.body, hs)
}

fn futures_stream(first: Vec<u8>) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures::stream::iter(vec![Ok(Bytes::from(first)), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "simulated dropped connection"))])
}
