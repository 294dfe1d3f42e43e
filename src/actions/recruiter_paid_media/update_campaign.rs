//! `recruiter_paid_media/update_campaign`: Changes a campaign's name, budget, bid strategy, stop
//! time or special ad categories on Meta: the name is held to the naming taxonomy, a daily budget
//! to the caps, and a budget rise above the approval threshold needs an approval. Meta asks for
//! the special ad categories on every edit; the campaign's own are sent when none are given.

use super::{bad, budget_flag, find_campaign, money, refused, str_list, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy;
use crate::db::governance_policies;
use crate::domain::{AdAccountId, BidStrategy, BudgetMinor, Country, List, MetaId, SpecialAdCategory, Text, Timestamp};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Changes a campaign's name, budget, bid strategy, stop time or special ad categories.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta campaign id.
    pub campaign_id: MetaId,
    /// A new name (held to the naming pattern).
    pub name: Option<Text<400>>,
    /// A new campaign daily budget in minor units (only if it has a daily campaign budget).
    pub daily_budget_minor: Option<BudgetMinor>,
    /// A new campaign lifetime budget in minor units (only if it has a lifetime campaign budget).
    pub lifetime_budget_minor: Option<BudgetMinor>,
    /// A new bid strategy (campaign budgets only).
    pub bid_strategy: Option<BidStrategy>,
    /// A new stop time (RFC 3339).
    pub stop_time: Option<Timestamp>,
    /// New special ad categories (`[]` for none).
    pub special_ad_categories: Option<List<SpecialAdCategory, 7>>,
    /// The countries the ads run in, with a special ad category.
    pub special_ad_category_country: Option<List<Country, 50>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Changes a campaign's name, budget, bid strategy, stop time or special ad categories: held to the naming taxonomy and the caps; a budget rise above the approval threshold needs an approval.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let given = [input.name.is_some(), input.daily_budget_minor.is_some(), input.lifetime_budget_minor.is_some(), input.bid_strategy.is_some()];
        let more = [input.stop_time.is_some(), input.special_ad_categories.is_some(), input.special_ad_category_country.is_some()];
        if !given.iter().chain(more.iter()).any(|g| *g) {
            return Err(bad("input", "set at least one field to change"));
        }
        let found = find_campaign(cx, &input.ad_account_id, &input.campaign_id).await?;
        let object = &found.object;
        let [guardrails, caps] = governance_policies::get_many(cx.ports, cx.workspace, ["campaign_guardrails", "daily_budget_caps"]).await?;
        let categories = categories(input, object);
        let name = input.name.as_ref().map(|n| n.as_str()).or(object["name"].as_str()).unwrap_or_default();
        policy::check_launch(guardrails.as_ref(), name, &categories).map_err(refused)?;
        if !categories.is_empty() && input.special_ad_category_country.is_none() && object["special_ad_category_country"].as_array().is_none_or(Vec::is_empty) {
            return Err(bad("special_ad_category_country", "is required with a special ad category: the countries the ads run in"));
        }
        let mut flags = Vec::new();
        for (field, meta_key, new) in
            [("daily_budget_minor", "daily_budget", input.daily_budget_minor), ("lifetime_budget_minor", "lifetime_budget", input.lifetime_budget_minor)]
        {
            let Some(new) = new.map(|b| b.get()) else { continue };
            let Some(old) = money(&object[meta_key]) else {
                return Err(bad(field, format!("this campaign has no {meta_key} of its own (its budget is set elsewhere)")));
            };
            if field == "daily_budget_minor" {
                policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &found.account.id, field, new).map_err(refused)?;
            }
            flags.extend(budget_flag(cx, Some(old), new).await?);
        }
        if input.bid_strategy.is_some() && money(&object["daily_budget"]).or(money(&object["lifetime_budget"])).is_none() {
            return Err(bad("bid_strategy", "is set on the campaign only with a campaign budget"));
        }
        Ok(Plan { account: Some(found.account.id.clone()), flags, state: found })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let categories = categories(input, &found.object);
        let params = Params::new()
            .opt_text("name", input.name.as_ref().map(|n| n.as_str()))
            .opt_int("daily_budget", input.daily_budget_minor.map(|b| b.get()))
            .opt_int("lifetime_budget", input.lifetime_budget_minor.map(|b| b.get()))
            .opt_text("bid_strategy", input.bid_strategy.map(BidStrategy::as_str))
            .opt_text("stop_time", input.stop_time.as_ref().map(Timestamp::as_str))
            .json("special_ad_categories", &categories)
            .opt_json("special_ad_category_country", countries(input, &found.object, &categories).as_ref());
        let id = found.id();
        write(cx, &found.account, Write::update(&id, &params.0, ObjectKind::Campaign), &found.object).await
    }
}

/// The countries to send with the categories: the given ones, else the campaign's own.
fn countries(input: &Input, object: &serde_json::Value, categories: &[String]) -> Option<serde_json::Value> {
    if categories.is_empty() {
        return None;
    }
    match &input.special_ad_category_country {
        Some(c) => serde_json::to_value(c).ok(),
        None => object["special_ad_category_country"].as_array().filter(|a| !a.is_empty()).map(|a| serde_json::Value::Array(a.clone())),
    }
}

/// The categories after the change: the given ones, else the campaign's own (NONE left out).
fn categories(input: &Input, object: &serde_json::Value) -> Vec<String> {
    match &input.special_ad_categories {
        Some(given) => given.items().iter().filter(|c| **c != SpecialAdCategory::NONE).map(|c| c.as_str().to_string()).collect(),
        None => str_list(&object["special_ad_categories"]),
    }
}
