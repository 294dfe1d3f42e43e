//! The transport the client needs: send one request, sleep. Implemented with `worker::Fetch`
//! in the worker and with a blocking client in native tests.

#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The request never produced a complete response (connection refused, reset, truncated body).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("transport failure: {0}")]
pub struct TransportError(pub String);

#[allow(async_fn_in_trait)] // the worker is single-threaded; futures need not be Send
pub trait HttpClient {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[allow(async_fn_in_trait)]
pub trait Sleeper {
    async fn sleep_ms(&self, ms: u64);
}
