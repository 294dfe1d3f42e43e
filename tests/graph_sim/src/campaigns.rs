//! Campaign rules: special ad categories (and their countries) on create and on edits, Advantage
//! campaign budget versus ad set budgets, ad set budget sharing and the bid strategy.

use crate::error::{GraphError, GraphResult};
use crate::objects::{self, bool_param, one_of, positive_money, required};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use crate::subcodes;
use serde_json::{json, Map, Value};

pub const OBJECTIVES: &[&str] = &["OUTCOME_LEADS", "OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT", "OUTCOME_APP_PROMOTION"];
pub const SPECIAL_CATEGORIES: &[&str] =
    &["NONE", "EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES", "ISSUES_ELECTIONS_POLITICS", "ONLINE_GAMBLING_AND_GAMING"];
pub const BID_STRATEGIES: &[&str] = &["LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS"];

/// Meta: "All businesses using the Marketing API must identify whether or not new and edited
/// campaigns belong to a Special Ad Category." Meta's answer is its plain missing-parameter error;
/// the user title is the simulator's.
fn categories_required() -> GraphError {
    GraphError::invalid_param("(#100) The parameter special_ad_categories is required").user(
        "Special Ad Categories Required",
        "You must specify special_ad_categories when you create or edit a campaign: an array of the categories its ads belong to, or [] / [\"NONE\"] if none apply.",
    )
}

/// The declared categories, NONE left out; an unknown one is refused.
fn categories_param(p: &Params) -> GraphResult<Option<Vec<String>>> {
    let Some(cats) = p.list("special_ad_categories") else {
        return Ok(None);
    };
    if let Some(bad) = cats.iter().find(|c| !SPECIAL_CATEGORIES.contains(&c.as_str())) {
        return Err(GraphError::invalid_param(format!(
            "(#100) special_ad_categories[0] must be one of the following values: {}; got {bad}",
            SPECIAL_CATEGORIES.join(", ")
        )));
    }
    Ok(Some(cats.into_iter().filter(|c| c != "NONE").collect()))
}

/// `special_ad_category_country`: a JSON array of ISO 3166-1 alpha-2 codes.
fn countries_param(p: &Params) -> GraphResult<Option<Vec<String>>> {
    let Some(list) = p.list("special_ad_category_country") else {
        return Ok(None);
    };
    if let Some(bad) = list.iter().find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(GraphError::invalid_param(format!("(#100) special_ad_category_country must be a list of ISO 3166-1 alpha-2 country codes, got {bad}")));
    }
    Ok(Some(list))
}

fn country_required(categories: &[String]) -> GraphError {
    GraphError::invalid_param("Invalid parameter").subcode(subcodes::SPECIAL_CATEGORY_COUNTRY_REQUIRED).user(
        "Special Ad Category Country Required",
        &format!(
            "Campaigns in the {} special ad category must set special_ad_category_country: the countries (ISO codes, e.g. [\"US\"]) where the ads will run.",
            categories.join(", ")
        ),
    )
}

pub fn has_budget(campaign: &Node) -> bool {
    campaign.fields.contains_key("daily_budget") || campaign.fields.contains_key("lifetime_budget")
}

pub fn build(store: &Store, account_id: &str, p: &Params) -> GraphResult<Node> {
    required(p, "name")?;
    required(p, "objective")?;
    one_of(p, "objective", OBJECTIVES)?;
    let cats = categories_param(p)?.ok_or_else(categories_required)?;
    let countries = countries_param(p)?;
    if !cats.is_empty() && countries.as_ref().is_none_or(Vec::is_empty) {
        return Err(country_required(&cats));
    }
    let daily = positive_money(p, "daily_budget")?;
    let lifetime = positive_money(p, "lifetime_budget")?;
    if daily.is_some() && lifetime.is_some() {
        return Err(GraphError::invalid_param("(#100) Only one of daily_budget or lifetime_budget can be set"));
    }
    one_of(p, "bid_strategy", BID_STRATEGIES)?;
    let campaign_budget = daily.is_some() || lifetime.is_some();
    let sharing = bool_param(p, "is_adset_budget_sharing_enabled")?;
    match (campaign_budget, sharing) {
        (true, Some(true)) => {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::BUDGET_SHARING_WITH_CAMPAIGN_BUDGET).user(
                "Ad Set Budget Sharing Not Available",
                "You can't use ad set budget sharing with campaign budget. Disable ad set budget sharing or use ad set budgets.",
            ))
        }
        (false, None) => {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::BUDGET_SHARING_FLAG_REQUIRED).user(
                "Ad Set Budget Sharing Must Be Set",
                "You must specify True or False in the field is_adset_budget_sharing_enabled if you are not using campaign budget.",
            ))
        }
        (false, Some(true)) if p.get("bid_strategy").is_none() => {
            return Err(GraphError::invalid_param("Invalid parameter")
                .subcode(subcodes::BUDGET_SHARING_NEEDS_BID_STRATEGY)
                .user("Bid Strategy Required", "You can't enable ad set budget sharing without a bid strategy. Set bid_strategy on the campaign."))
        }
        _ => {}
    }
    let mut fields = Map::new();
    fields.insert("special_ad_categories".into(), json!(cats));
    if let Some(c) = countries {
        fields.insert("special_ad_category_country".into(), json!(c));
    }
    fields.insert("is_adset_budget_sharing_enabled".into(), json!(sharing.unwrap_or(false)));
    fields.insert("buying_type".into(), json!(p.str("buying_type").unwrap_or("AUCTION")));
    // With a campaign budget the campaign carries the bid strategy; Meta's default is lowest cost.
    if campaign_budget && p.get("bid_strategy").is_none() {
        fields.insert("bid_strategy".into(), json!("LOWEST_COST_WITHOUT_CAP"));
    }
    objects::finish(store, Kind::Campaign, account_id, p, fields, (None, None))
}

/// Edits: anything beyond a status or name change must restate the special ad categories.
pub fn check_update(node: &Node, p: &Params) -> GraphResult<Map<String, Value>> {
    let substantive = p.0.keys().any(|k| !objects::INFRA.contains(&k.as_str()) && !matches!(k.as_str(), "status" | "name"));
    let mut out = Map::new();
    let cats = categories_param(p)?;
    if substantive && cats.is_none() {
        return Err(categories_required());
    }
    let countries = countries_param(p)?;
    if let Some(cats) = cats {
        let stored = objects::string_list(node.fields.get("special_ad_category_country"));
        if !cats.is_empty() && countries.as_ref().map_or(stored.is_empty(), Vec::is_empty) {
            return Err(country_required(&cats));
        }
        out.insert("special_ad_categories".into(), json!(cats));
    }
    if let Some(c) = countries {
        out.insert("special_ad_category_country".into(), json!(c));
    }
    one_of(p, "bid_strategy", BID_STRATEGIES)?;
    if let Some(sharing) = bool_param(p, "is_adset_budget_sharing_enabled")? {
        let was = node.fields.get("is_adset_budget_sharing_enabled").and_then(Value::as_bool).unwrap_or(false);
        if sharing && !was {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::BUDGET_SHARING_NOT_ENABLEABLE).user(
                "Budget Flexibility Can't Be Enabled",
                "Budget flexibility can't be enabled on a campaign that is already running. Create a new campaign to use budget flexibility.",
            ));
        }
        out.insert("is_adset_budget_sharing_enabled".into(), json!(sharing));
    }
    Ok(out)
}
