//! `recruiter_paid_media/create_campaign`: Creates a campaign on Meta, PAUSED unless asked
//! otherwise: held to the naming taxonomy, the required special ad categories and the budget
//! caps; Meta's own rules (a country for a special ad category, one kind of budget, a bid
//! strategy only with a campaign budget) are checked before the call. Creating it ACTIVE is a
//! launch: the first on an ad account needs an approval.

use super::{bad, launch_flags, refused, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy;
use crate::db::{ad_accounts, governance_policies};
use crate::domain::{AdAccountId, BidStrategy, BudgetMinor, Country, InitialStatus, List, Objective, SpecialAdCategory, Text, Timestamp};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Creates a campaign on Meta, PAUSED unless asked otherwise.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The campaign's settings.
    pub campaign: CampaignSpec,
}

/// A campaign's settings: what a create sends and a draft keeps.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// The campaign's name (held to the workspace's naming pattern).
    pub name: Text<400>,
    /// Meta's objective: OUTCOME_LEADS for lead forms, OUTCOME_TRAFFIC for a careers site.
    pub objective: Objective,
    /// The special ad categories its ads belong to: EMPLOYMENT for job ads, `[]` for none.
    pub special_ad_categories: List<SpecialAdCategory, 7>,
    /// The countries the ads run in, required with a special ad category.
    pub special_ad_category_country: Option<List<Country, 50>>,
    /// A campaign budget per day (Advantage campaign budget), in the account's minor units.
    pub daily_budget_minor: Option<BudgetMinor>,
    /// A campaign budget for its whole run, in minor units (needs `stop_time`).
    pub lifetime_budget_minor: Option<BudgetMinor>,
    /// How Meta bids, with a campaign budget only (default: LOWEST_COST_WITHOUT_CAP).
    pub bid_strategy: Option<BidStrategy>,
    /// Without a campaign budget: whether ad sets may share up to 20% of their budgets.
    pub is_adset_budget_sharing_enabled: Option<bool>,
    /// When it starts (RFC 3339).
    pub start_time: Option<Timestamp>,
    /// When it stops (RFC 3339).
    pub stop_time: Option<Timestamp>,
    /// PAUSED (default) or ACTIVE (a launch).
    pub status: Option<InitialStatus>,
}

impl CampaignSpec {
    pub fn categories(&self) -> Vec<String> {
        self.special_ad_categories.items().iter().filter(|c| **c != SpecialAdCategory::NONE).map(|c| c.as_str().to_string()).collect()
    }

    pub fn campaign_budget(&self) -> Option<i64> {
        self.daily_budget_minor.or(self.lifetime_budget_minor).map(|b| b.get())
    }
}

/// Meta's campaign rules that can be checked from the spec alone.
pub fn check_meta_rules(input: &CampaignSpec) -> Result<(), Failure> {
    if !input.categories().is_empty() && input.special_ad_category_country.as_ref().is_none_or(List::is_empty) {
        return Err(bad("special_ad_category_country", "is required with a special ad category: the countries the ads run in"));
    }
    if input.daily_budget_minor.is_some() && input.lifetime_budget_minor.is_some() {
        return Err(bad("lifetime_budget_minor", "set a daily or a lifetime budget, not both"));
    }
    if input.lifetime_budget_minor.is_some() && input.stop_time.is_none() {
        return Err(bad("stop_time", "is required with a lifetime budget"));
    }
    match (input.campaign_budget(), input.bid_strategy, input.is_adset_budget_sharing_enabled) {
        (None, Some(_), _) => Err(bad("bid_strategy", "is set on the campaign only with a campaign budget; without one, set it on each ad set")),
        (Some(_), _, Some(_)) => Err(bad("is_adset_budget_sharing_enabled", "applies only without a campaign budget")),
        _ => Ok(()),
    }
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Creates a campaign on Meta, PAUSED unless asked otherwise: held to the naming taxonomy, the required special ad categories and the budget caps; creating it ACTIVE is a launch, and the first on an ad account needs an approval.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let spec = &input.campaign;
        check_meta_rules(spec)?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        check_policies(cx, &account.id, spec).await?;
        let flags = if spec.status == Some(InitialStatus::ACTIVE) { launch_flags(cx, &account.id, None, spec.campaign_budget()).await? } else { Vec::new() };
        Ok(Plan { account: Some(account.id.clone()), flags, state: Found { account, object: Value::Null, target: None } })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = params(&input.campaign);
        let path = format!("act_{}/campaigns", found.account.id);
        write(cx, &found.account, Write::create(&path, &params.0, ObjectKind::Campaign), &Value::Null).await
    }
}

/// The workspace's policies on a new campaign: the naming taxonomy, the required categories, and
/// the caps on a daily budget.
pub async fn check_policies(cx: &Cx<'_>, account: &str, spec: &CampaignSpec) -> Result<(), Failure> {
    let [guardrails, caps] = governance_policies::get_many(cx.ports, cx.workspace, ["campaign_guardrails", "daily_budget_caps"]).await?;
    policy::check_launch(guardrails.as_ref(), spec.name.as_str(), &spec.categories()).map_err(refused)?;
    if let Some(daily) = spec.daily_budget_minor {
        policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), account, "daily_budget_minor", daily.get()).map_err(refused)?;
    }
    Ok(())
}

/// Meta's parameters for the campaign.
pub fn params(input: &CampaignSpec) -> Params {
    let categories = input.categories();
    let sharing = input.campaign_budget().is_none().then(|| input.is_adset_budget_sharing_enabled.unwrap_or(false).to_string());
    Params::new()
        .text("name", input.name.as_str())
        .text("objective", input.objective.as_str())
        .json("special_ad_categories", &categories)
        .opt_json("special_ad_category_country", input.special_ad_category_country.as_ref().filter(|_| !categories.is_empty()))
        .opt_int("daily_budget", input.daily_budget_minor.map(|b| b.get()))
        .opt_int("lifetime_budget", input.lifetime_budget_minor.map(|b| b.get()))
        .opt_text("bid_strategy", input.campaign_budget().map(|_| input.bid_strategy.unwrap_or(BidStrategy::LOWEST_COST_WITHOUT_CAP).as_str()))
        .opt_text("is_adset_budget_sharing_enabled", sharing)
        .opt_text("start_time", input.start_time.as_ref().map(Timestamp::as_str))
        .opt_text("stop_time", input.stop_time.as_ref().map(Timestamp::as_str))
        .text("status", input.status.unwrap_or(InitialStatus::PAUSED).as_str())
}
