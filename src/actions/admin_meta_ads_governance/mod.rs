//! The `admin_meta_ads_governance` router: one file per action.

use crate::domain::{Bounded, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One of the workspace's integrations: the input of token health and refresh.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRef {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
}

/// How far back to look in Meta's answers: the input of the error digest and the rate-limit posture.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SinceHours {
    /// Look back this many hours (default 24).
    pub since_hours: Option<Bounded<1, 2_160>>,
}

/// One of the workspace's integrations and why it is being stopped: quarantine and disable.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationStop {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
    /// Why, for the audit trail.
    pub reason: Text<500>,
}

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
