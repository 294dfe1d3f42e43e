//! Durable Object classes. Each is exported to the Workers runtime by its `#[durable_object]`
//! attribute and bound in wrangler.toml.

mod account_facts;
mod ad_account_gate;
