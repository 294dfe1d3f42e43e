//! adgate: a governed edge gateway for the Meta Marketing API.
//!
//! The modules at the top are pure (plain Rust values in and out) and are tested natively with
//! `cargo test`. Everything that touches `worker` types lives in `runtime` and in the Durable Object
//! classes under `durable_objects/`, and is compiled only for wasm32.

pub mod account_gate;
pub mod actions;
pub mod api_keys;
pub mod api_versions;
pub mod audit;
pub mod auth;
pub mod auth_throttle;
pub mod config;
pub mod correlation;
pub mod cron;
pub mod db;
pub mod domain;
pub mod facts;
pub mod failure;
pub mod graph;
pub mod ingest;
pub mod json_rows;
pub mod mcp;
pub mod notify;
pub mod oauth_state;
pub mod openapi;
pub mod ops;
pub mod ports;
pub mod problem;
pub mod records;
pub mod recruiting;
pub mod request_body;
pub mod routes;
pub mod rules;
pub mod sealed;
pub mod sync;
pub mod sync_message;
pub mod telemetry;
pub mod timefmt;
pub mod token_health;
pub mod vault;
pub mod webhooks;

#[cfg(target_arch = "wasm32")]
mod runtime;

#[cfg(target_arch = "wasm32")]
#[path = "../durable_objects/mod.rs"]
mod durable_objects;
