//! A faithful, stateful local Meta Graph / Marketing API for adgate's tests and demo.
//!
//! Graph paths answer as Meta does (objects, edges, fields, cursors, insights, async report runs,
//! the batch API, usage headers and throttling, tokens, signed webhooks); `/__control` lets a
//! test seed accounts, move the simulated clock, inject faults and read the request ledger.

pub mod control;
pub mod error;
pub mod fields;
pub mod graph;
pub mod insights;
pub mod objects;
pub mod paging;
pub mod params;
pub mod server;
pub mod store;
pub mod tokens;
pub mod usage;
pub mod webhooks;

pub use server::serve;
pub use store::{Config, Store};
