//! The `admin_meta_ads_governance` router: one file per action.

pub mod disable_integration;
pub mod get_approval_status;
pub mod get_audit_events;
pub mod get_meta_api_error_digest;
pub mod get_rate_limit_posture;
pub mod get_token_health;
pub mod list_meta_integrations;
pub mod quarantine_ad_account;
pub mod quarantine_integration;
pub mod rebind_ad_account;
pub mod refresh_system_user_token;
pub mod release_ad_account;
pub mod rotate_credentials;
pub mod set_approval_thresholds;
pub mod set_campaign_guardrails;
pub mod set_daily_budget_caps;
pub mod set_insights_settings;
