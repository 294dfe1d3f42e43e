//! The gateway's Graph API client. Pure logic (error classes, usage headers, backoff, paging,
//! batch encoding) lives here and is written against the small `HttpClient` trait, so the same
//! client runs in the worker (fetch) and natively in tests against the simulator.

pub mod batch_refs;
mod client;
mod error;
mod http;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
mod retry;
pub mod schema;
mod usage;

pub use client::{BatchCall, BatchResult, CallMeta, GraphClient, GraphConfig, Pager, QuotaObserver, BATCH_MAX};
pub use error::{classify, ErrorClass, GraphApiError, GraphFailure};
pub use http::{HttpClient, HttpRequest, HttpResponse, Sleeper, TransportError};
pub use retry::RetryPolicy;
pub use usage::{throttled_budget, use_case_of, QuotaSnapshot, ADS_INSIGHTS, ADS_MANAGEMENT};
