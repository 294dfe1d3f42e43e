//! `admin_meta_ads_governance/set_campaign_guardrails`: Naming taxonomy and compliance rules every campaign must meet.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, ADMIN};
use crate::domain::{BudgetMinor, Text, TextList};
use crate::failure::Failure;
use crate::records::FieldError;
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

/// Meta's special ad categories.
const SPECIAL_CATEGORIES: &[&str] = &["EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES", "ISSUES_ELECTIONS_POLITICS"];

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Naming taxonomy and compliance rules every campaign must meet.");

    async fn prepare(_cx: &Cx<'_>, input: &Input) -> Result<Plan<()>, Failure> {
        let categories = input.required_special_ad_categories.as_ref().map(|l| l.items()).unwrap_or_default();
        if let Some(bad) = categories.iter().find(|c| !SPECIAL_CATEGORIES.contains(&c.as_str())) {
            let reason = format!("{} is not one of {}", crate::problem::excerpt(bad), SPECIAL_CATEGORIES.join(", "));
            return Err(FieldError { field: "required_special_ad_categories".into(), reason }.into());
        }
        Ok(Plan::go(()))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::set_policy(cx, "campaign_guardrails", super::given_fields(input)?).await
    }
}
