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

/// Whether a call changes something at Meta (what audit rows must account for): every write
/// but the creation of an insights report run, which only asks Meta to prepare a read.
pub fn changes_meta(method: &str, path: &str) -> bool {
    method != "GET" && !path.split('?').next().unwrap_or_default().trim_end_matches('/').ends_with("/insights")
}

#[cfg(test)]
mod changes_meta_tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn writes_change_meta_except_report_runs() {
        assert!(super::changes_meta("POST", "act_1/campaigns"));
        assert!(super::changes_meta("DELETE", "120000000001"));
        assert!(super::changes_meta("POST", "123/events"));
        assert!(!super::changes_meta("POST", "act_1/insights"));
        assert!(!super::changes_meta("GET", "act_1/campaigns"));
    }
}
