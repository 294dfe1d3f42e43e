//! A faithful, stateful local Meta Graph / Marketing API for adgate's tests and demo.
//!
//! Graph paths answer as Meta does (objects, edges, fields, cursors, insights, async report runs,
//! the batch API, usage headers and throttling, tokens, signed webhooks); `/__control` lets a
//! test seed accounts, move the simulated clock, inject faults and read the request ledger.

// Graph errors are returned by value on every path; their size does not matter in a test tool.
#![allow(clippy::result_large_err)]

pub mod action_breakdowns;
pub mod ads;
pub mod adsets;
pub mod audiences;
pub mod batch;
pub mod budgets;
pub mod campaigns;
pub mod capi;
pub mod catalogue;
pub mod control;
pub mod creatives;
pub mod delivery;
pub mod error;
pub mod fields;
pub mod filtering;
pub mod full;
pub mod graph;
pub mod insights;
pub mod objects;
pub mod pages;
pub mod paging;
pub mod params;
pub mod people;
pub mod reach;
pub mod readable;
pub mod search;
pub mod server;
pub mod store;
pub mod subcodes;
pub mod targeting;
pub mod tokens;
pub mod usage;
pub mod versions;
pub mod webhooks;

pub use server::serve;
pub use store::{Config, Store};

/// Starts a simulator on a free loopback port in a background thread (for in-process tests and
/// benchmarks) and returns its base URL and store. It runs until the process exits.
pub fn spawn_background(mut cfg: Config) -> (String, std::sync::Arc<std::sync::Mutex<Store>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
            let addr = listener.local_addr().expect("local addr");
            cfg.base_url = format!("http://{addr}");
            let store = std::sync::Arc::new(std::sync::Mutex::new(Store::new(cfg, None)));
            tx.send((format!("http://{addr}"), store.clone())).expect("report address");
            serve(listener, store).await.expect("simulator server");
        });
    });
    rx.recv().expect("simulator started")
}
