//! The Graph client's transport inside the worker: `fetch` and a timer.

use super::env::env_text;
use crate::config;
use crate::graph::{GraphClient, GraphConfig, HttpClient, HttpRequest, HttpResponse, RetryPolicy, Sleeper, TransportError};
use std::time::Duration;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

pub struct WorkerFetch;

impl HttpClient for WorkerFetch {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let headers = Headers::new();
        for (k, v) in &req.headers {
            headers.set(k, v).map_err(|e| TransportError(e.to_string()))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(req.method.clone())).with_headers(headers);
        if let Some(b) = &req.body {
            init.with_body(Some(b.as_str().into()));
        }
        let request = Request::new_with_init(&req.url, &init).map_err(|e| TransportError(e.to_string()))?;
        let mut resp = Fetch::Request(request).send().await.map_err(|e| TransportError(e.to_string()))?;
        let status = resp.status_code();
        let headers = resp.headers().entries().collect();
        // A body cut off mid-way fails here, and is retried like any transport failure.
        let body = resp.text().await.map_err(|e| TransportError(e.to_string()))?;
        Ok(HttpResponse { status, headers, body })
    }
}

pub struct WorkerSleep;

impl Sleeper for WorkerSleep {
    async fn sleep_ms(&self, ms: u64) {
        worker::Delay::from(Duration::from_millis(ms)).await;
    }
}

/// A client configured from the environment: `META_API_BASE_URL`, `META_API_VERSION` (unless a
/// version is given) and the `META_APP_SECRET` secret, for the given token.
pub fn client_for(env: &Env, token: &str, version: Option<&str>) -> Result<GraphClient<WorkerFetch, WorkerSleep>, String> {
    let version = version.map(str::to_string).or_else(|| env_text(env, "META_API_VERSION")).unwrap_or_else(|| config::DEFAULT_META_API_VERSION.into());
    config::parse_meta_api_version(&version)?;
    let base_url = env_text(env, "META_API_BASE_URL").unwrap_or_else(|| "https://graph.facebook.com".into());
    let app_secret = env_text(env, "META_APP_SECRET").ok_or("the META_APP_SECRET secret is not set")?;
    let cfg = GraphConfig { base_url, version, app_secret, policy: RetryPolicy::default(), retry_mutations: false };
    Ok(GraphClient::new(cfg, token, WorkerFetch, WorkerSleep, worker::Date::now().as_millis()))
}
