//! The action framework: a registry of governed actions with their routers, roles, risk tiers
//! and input schemas; input validation that names the field; idempotency decisions.

pub mod approvals;
pub mod idempotency;
pub mod policy;
pub mod registry;
pub mod schema;

pub use registry::{find, ActionSpec, Tier, ACTIONS};
