//! Mirrors and insights sync, the pure half: what to ask Graph for and how its answers become
//! rows. The runtime's sync job drives these through the account's gate and commits page by page.

pub mod insights;
pub mod structure;
