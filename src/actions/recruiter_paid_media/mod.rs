//! The `recruiter_paid_media` router: one file per action.

pub mod delete_campaign;
pub mod duplicate_campaign;
pub mod pause_campaign;
pub mod resume_campaign;
pub mod update_ad_set_budget;
