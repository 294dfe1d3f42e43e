//! A blocking transport for native use (tests, benchmarks, command-line tools); the worker uses
//! `fetch` instead. `sleep_ms` really sleeps; tests that want to observe waits use their own.

use super::http::{HttpClient, HttpRequest, HttpResponse, Sleeper, TransportError};
use std::time::Duration;

#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        UreqTransport { agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build() }
    }
}

impl HttpClient for UreqTransport {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut r = self.agent.request(&req.method, &req.url);
        for (k, v) in &req.headers {
            r = r.set(k, v);
        }
        let result = match &req.body {
            Some(b) => r.send_string(b),
            None => r.call(),
        };
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(TransportError(e.to_string())),
        };
        let status = resp.status();
        let headers = resp.headers_names().into_iter().map(|n| (n.clone(), resp.header(&n).unwrap_or_default().to_string())).collect();
        let body = resp.into_string().map_err(|e| TransportError(e.to_string()))?;
        Ok(HttpResponse { status, headers, body })
    }
}

#[derive(Clone, Copy, Default)]
pub struct ThreadSleep;

impl Sleeper for ThreadSleep {
    async fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}
