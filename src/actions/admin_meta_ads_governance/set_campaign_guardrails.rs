//! `admin_meta_ads_governance/set_campaign_guardrails`: Naming taxonomy and compliance rules every campaign must meet.

use crate::actions::action::{Action, Meta, ADMIN};
use crate::domain::{BudgetMinor, Text, TextList};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Naming taxonomy and compliance rules every campaign must meet.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A pattern campaign names must match, with {role}, {geo} and {yyyymm} placeholders.
    pub naming_pattern: Option<Text<200>>,
    /// Categories every campaign must declare (EMPLOYMENT for job ads).
    pub required_special_ad_categories: Option<TextList>,
    /// The largest daily budget a campaign may have, in minor units.
    pub max_daily_budget_minor: Option<BudgetMinor>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Naming taxonomy and compliance rules every campaign must meet.");
}
