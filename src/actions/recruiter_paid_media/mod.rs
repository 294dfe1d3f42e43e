//! The `recruiter_paid_media` router: one file per action.

use crate::domain::{AdAccountId, MetaId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A campaign of a bound ad account: the input of pause, resume and delete.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignRef {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta campaign id.
    pub campaign_id: MetaId,
}

pub mod delete_campaign;
pub mod duplicate_campaign;
pub mod pause_campaign;
pub mod resume_campaign;
pub mod update_ad_set_budget;
