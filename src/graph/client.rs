//! The Graph client: versioned URLs, `appsecret_proof` on every call, the token in the
//! Authorization header (never in a URL or a log), retries by error class, cursor paging and
//! the batch API. One quota snapshot per call goes to the caller's observer (the account gate).

use super::error::{ErrorClass, GraphApiError, GraphFailure};
use super::http::{HttpClient, HttpRequest, Sleeper};
use super::retry::RetryPolicy;
use super::usage::{self, QuotaSnapshot};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::cell::RefCell;
use std::fmt;

/// Where and how to reach Graph.
#[derive(Clone, PartialEq)]
pub struct GraphConfig {
    /// `https://graph.facebook.com`, or the simulator's URL.
    pub base_url: String,
    /// `v26.0`.
    pub version: String,
    pub app_secret: String,
    pub policy: RetryPolicy,
    /// Whether POST and DELETE may be retried after errors other than throttling. Off by default:
    /// a write whose response was lost may have been applied, and Graph creates are not idempotent.
    pub retry_mutations: bool,
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig").field("base_url", &self.base_url).field("version", &self.version).field("app_secret", &"<redacted>").finish()
    }
}

/// Told about every call's usage headers and every throttling error.
pub trait QuotaObserver {
    fn observe(&self, snapshot: &QuotaSnapshot);
    fn throttled(&self, error: &GraphApiError);
}

/// What a successful call cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallMeta {
    pub attempts: u32,
    pub waited_ms: u64,
    pub quota: Option<QuotaSnapshot>,
    pub fbtrace_id: Option<String>,
    /// Meta's warning that the version called is deprecated (`x-ad-api-version-warning`).
    pub version_warning: Option<String>,
}

/// One request inside a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchCall {
    pub method: String,
    /// Relative to the version root, e.g. `act_1/campaigns?fields=name`.
    pub relative_url: String,
    /// Form-encoded body for POST.
    pub body: Option<String>,
    /// A name later calls of the same batch can use: `{result=NAME:$.id}` in their URL or body
    /// waits for this call and takes its answer's id. A named call's answer is always returned.
    pub name: Option<String>,
}

/// At most this many calls go in one batch request (Meta's limit).
pub const BATCH_MAX: usize = 50;

impl BatchCall {
    pub fn get(relative_url: impl Into<String>, params: &[(String, String)]) -> Self {
        let url: String = relative_url.into();
        let relative_url = if params.is_empty() { url } else { format!("{url}?{}", encode(params)) };
        BatchCall { method: "GET".into(), relative_url, body: None, name: None }
    }

    /// A POST (or DELETE) with its parameters form-encoded in the body.
    pub fn write(method: &str, relative_url: impl Into<String>, params: &[(String, String)]) -> Self {
        BatchCall { method: method.into(), relative_url: relative_url.into(), body: Some(encode(params)), name: None }
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How a later call in the same batch refers to this one's id.
    pub fn id_of(name: &str) -> String {
        format!("{{result={name}:$.id}}")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BatchResult {
    Ok(Value),
    Err(GraphApiError),
}

pub struct GraphClient<H, S> {
    cfg: GraphConfig,
    token: String,
    proof: String,
    http: H,
    sleeper: S,
    rng: RefCell<fastrand::Rng>,
    observer: Option<Box<dyn QuotaObserver>>,
}

impl<H, S> fmt::Debug for GraphClient<H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient").field("cfg", &self.cfg).field("token", &"<redacted>").finish()
    }
}

pub fn appsecret_proof(app_secret: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl<H: HttpClient, S: Sleeper> GraphClient<H, S> {
    /// `jitter_seed` seeds the backoff jitter (any value; it need not be secret).
    /// The API version every path is called at (`v26.0`).
    pub fn version(&self) -> &str {
        &self.cfg.version
    }

    pub fn new(cfg: GraphConfig, token: &str, http: H, sleeper: S, jitter_seed: u64) -> Self {
        let proof = appsecret_proof(&cfg.app_secret, token);
        GraphClient { cfg, token: token.to_string(), proof, http, sleeper, rng: RefCell::new(fastrand::Rng::with_seed(jitter_seed)), observer: None }
    }

    pub fn with_observer(mut self, observer: Box<dyn QuotaObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.cfg.base_url.trim_end_matches('/'), self.cfg.version, path.trim_start_matches('/'))
    }

    fn build(&self, method: &str, path: &str, params: &[(String, String)]) -> HttpRequest {
        let mut pairs = params.to_vec();
        pairs.push(("appsecret_proof".into(), self.proof.clone()));
        let mut headers = vec![("Authorization".to_string(), format!("Bearer {}", self.token))];
        let (url, body) = if method == "GET" || method == "DELETE" {
            (format!("{}?{}", self.url(path), encode(&pairs)), None)
        } else {
            headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
            (self.url(path), Some(encode(&pairs)))
        };
        HttpRequest { method: method.to_string(), url, headers, body }
    }

    /// One logical call with retries. Returns the JSON body and what the call cost.
    pub async fn call(&self, method: &str, path: &str, params: &[(String, String)]) -> Result<(Value, CallMeta), GraphFailure> {
        self.call_as(method, path, params, method != "GET").await
    }

    /// A read whose parameters must stay out of the URL (a token being inspected): sent as a
    /// POST with `method=GET`, which Graph serves as the GET ("for large requests use a POST
    /// request instead of a GET request and add a method=GET parameter"). Retried as a read.
    pub async fn get_in_body(&self, path: &str, params: &[(String, String)]) -> Result<(Value, CallMeta), GraphFailure> {
        let mut pairs = params.to_vec();
        pairs.push(("method".into(), "GET".into()));
        self.call_as("POST", path, &pairs, false).await
    }

    async fn call_as(&self, method: &str, path: &str, params: &[(String, String)], mutation: bool) -> Result<(Value, CallMeta), GraphFailure> {
        let mut meta = CallMeta::default();
        loop {
            meta.attempts += 1;
            let outcome = self.http.send(self.build(method, path, params)).await;
            let failure = match outcome {
                Err(e) => GraphFailure::Transport(e),
                Ok(resp) => {
                    let q = usage::parse(
                        resp.header("x-app-usage"),
                        resp.header("x-ad-account-usage"),
                        resp.header("x-business-use-case-usage"),
                        resp.header("x-fb-ads-insights-throttle"),
                    );
                    if !q.is_empty() {
                        if let Some(o) = &self.observer {
                            o.observe(&q);
                        }
                        meta.quota = Some(q);
                    }
                    meta.fbtrace_id = resp.header("x-fb-trace-id").map(str::to_string);
                    meta.version_warning = resp.header("x-ad-api-version-warning").map(|w| w.chars().take(500).collect());
                    if resp.status == 200 {
                        match serde_json::from_str::<Value>(&resp.body) {
                            Ok(v) => return Ok((v, meta)),
                            Err(e) => GraphFailure::BadResponse(e.to_string()),
                        }
                    } else {
                        let err = GraphApiError::from_body(resp.status, &resp.body);
                        if err.class() == ErrorClass::Throttled {
                            if let Some(o) = &self.observer {
                                o.throttled(&err);
                            }
                        }
                        GraphFailure::Graph(err)
                    }
                }
            };
            let class = failure.class();
            if mutation && !self.cfg.retry_mutations && class != ErrorClass::Throttled {
                return Err(failure);
            }
            let regain = failure.graph_error().and_then(|e| e.regain_access_minutes);
            let random = self.rng.borrow_mut().u64(..);
            match self.cfg.policy.delay_ms(class, meta.attempts, regain, random) {
                Some(ms) => {
                    meta.waited_ms += ms;
                    self.sleeper.sleep_ms(ms).await;
                }
                None => return Err(failure),
            }
        }
    }

    pub async fn get(&self, path: &str, params: &[(String, String)]) -> Result<(Value, CallMeta), GraphFailure> {
        self.call("GET", path, params).await
    }

    pub async fn post(&self, path: &str, params: &[(String, String)]) -> Result<(Value, CallMeta), GraphFailure> {
        self.call("POST", path, params).await
    }

    pub async fn delete(&self, path: &str) -> Result<(Value, CallMeta), GraphFailure> {
        self.call("DELETE", path, &[]).await
    }

    /// Cursor pagination over an edge; each `next_page` is one call (with its retries).
    pub fn pages(&self, path: &str, params: &[(String, String)]) -> Pager<'_, H, S> {
        Pager {
            client: self,
            path: path.to_string(),
            params: params.to_vec(),
            after: None,
            done: false,
            calls: 0,
            last_quota: None,
            last_version_warning: None,
        }
    }

    /// The batch API: calls are sent 50 to a request, and each gets its own result.
    pub async fn batch(&self, calls: &[BatchCall]) -> Result<Vec<BatchResult>, GraphFailure> {
        let mut out = Vec::with_capacity(calls.len());
        for chunk in calls.chunks(BATCH_MAX) {
            out.extend(self.batch_request(chunk).await?.0);
        }
        Ok(out)
    }

    /// One batch request (at most `BATCH_MAX` calls): each call's result, and what the request cost.
    pub async fn batch_request(&self, calls: &[BatchCall]) -> Result<(Vec<BatchResult>, CallMeta), GraphFailure> {
        if calls.len() > BATCH_MAX {
            return Err(GraphFailure::BadResponse(format!("a batch request holds at most {BATCH_MAX} calls, not {}", calls.len())));
        }
        let batch: Vec<Value> = calls
            .iter()
            .map(|c| {
                let mut v = json!({ "method": c.method, "relative_url": c.relative_url });
                if let Some(b) = &c.body {
                    v["body"] = json!(b);
                }
                if let Some(n) = &c.name {
                    v["name"] = json!(n);
                    v["omit_response_on_success"] = json!(false);
                }
                v
            })
            .collect();
        let params = vec![("batch".to_string(), Value::Array(batch).to_string()), ("include_headers".to_string(), "false".to_string())];
        let (body, meta) = self.call("POST", "", &params).await?;
        let items = body.as_array().ok_or_else(|| GraphFailure::BadResponse("batch response is not an array".into()))?;
        if items.len() != calls.len() {
            return Err(GraphFailure::BadResponse(format!("a batch of {} calls was answered with {} results", calls.len(), items.len())));
        }
        let results = items
            .iter()
            .map(|item| {
                let code = item["code"].as_u64().unwrap_or(500) as u16;
                let text = item["body"].as_str().unwrap_or("null");
                if code == 200 {
                    BatchResult::Ok(serde_json::from_str(text).unwrap_or(Value::Null))
                } else {
                    BatchResult::Err(GraphApiError::from_body(code, text))
                }
            })
            .collect();
        Ok((results, meta))
    }
}

/// Pages of an edge, in order, following `paging.cursors.after` while `paging.next` exists.
pub struct Pager<'a, H, S> {
    client: &'a GraphClient<H, S>,
    path: String,
    params: Vec<(String, String)>,
    after: Option<String>,
    done: bool,
    pub calls: u32,
    /// The usage headers of the last page read.
    pub last_quota: Option<QuotaSnapshot>,
    /// Meta's deprecation warning on the last page read, if any.
    pub last_version_warning: Option<String>,
}

impl<H: HttpClient, S: Sleeper> Pager<'_, H, S> {
    pub async fn next_page(&mut self) -> Option<Result<Vec<Value>, GraphFailure>> {
        if self.done {
            return None;
        }
        let mut params = self.params.clone();
        if let Some(a) = &self.after {
            params.push(("after".into(), a.clone()));
        }
        self.calls += 1;
        match self.client.get(&self.path, &params).await {
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok((body, meta)) => {
                self.last_quota = meta.quota;
                self.last_version_warning = meta.version_warning;
                let data = body["data"].as_array().cloned().unwrap_or_default();
                match (body["paging"]["next"].as_str(), body["paging"]["cursors"]["after"].as_str()) {
                    (Some(_), Some(after)) => self.after = Some(after.to_string()),
                    _ => self.done = true,
                }
                Some(Ok(data))
            }
        }
    }

    /// Reads every page into one list.
    pub async fn collect_all(&mut self) -> Result<Vec<Value>, GraphFailure> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            all.extend(page?);
        }
        Ok(all)
    }

    /// The cursor to resume from after the last page read (None before the first page).
    pub fn resume_cursor(&self) -> Option<&str> {
        self.after.as_deref()
    }
}
