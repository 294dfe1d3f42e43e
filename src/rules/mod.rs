//! Workspace rules: conditions on an account's figures over a window, an action, a schedule.
//! The spec and its evaluation are pure; `actions::rule_run` reads the figures and carries the
//! decisions out through the governed actions, under the rule's owner.

pub mod evaluate;
pub mod figures;
pub mod spec;
