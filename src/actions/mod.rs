//! Governed actions. Each lives in its own file at `{router}/{action}.rs` with its typed input
//! and metadata; `catalog` is the one list of them; `input` decodes with the field named;
//! `policy`, `approvals` and `idempotency` hold the pure rules every action runs under.

pub mod action;
pub mod approvals;
pub mod catalog;
pub mod idempotency;
pub mod input;
pub mod mirror_lists;
pub mod objects;
pub mod policy;
pub mod rule_run;
pub mod rule_trigger;

pub mod admin_meta_ads_governance;
pub mod cross_role_paid_media_pipeline;
pub mod recruiter_paid_media;
pub mod recruiter_paid_media_analytics;

pub mod pipeline;

pub use action::{Meta, Tier};
pub use catalog::find;
