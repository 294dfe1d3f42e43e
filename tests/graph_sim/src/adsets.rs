//! Ad set rules: the parent campaign (or a `campaign_spec` to create it), targeting, bid strategy
//! and bid amount, budgets against the campaign budget and the account's minimums, schedule, and
//! lead ads' destination and promoted object.

use crate::budgets;
use crate::campaigns::{self, BID_STRATEGIES};
use crate::error::{GraphError, GraphResult};
use crate::objects::{self, account_currency, live_parent, one_of, parse_time, positive_money, required};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use crate::subcodes;
use crate::targeting;
use serde_json::{json, Map, Value};

pub const BILLING_EVENTS: &[&str] = &["IMPRESSIONS", "LINK_CLICKS", "THRUPLAY", "PAGE_LIKES"];
pub const OPTIMIZATION_GOALS: &[&str] =
    &["LEAD_GENERATION", "QUALITY_LEAD", "LINK_CLICKS", "LANDING_PAGE_VIEWS", "IMPRESSIONS", "REACH", "OFFSITE_CONVERSIONS", "THRUPLAY"];
pub const DESTINATION_TYPES: &[&str] = &["ON_AD", "WEBSITE", "MESSENGER", "WHATSAPP", "INSTAGRAM_DIRECT", "APP", "ON_POST", "ON_PAGE", "UNDEFINED"];
const LEAD_GOALS: &[&str] = &["LEAD_GENERATION", "QUALITY_LEAD"];
/// Strategies that cap the bid or the cost: they need `bid_amount`.
const CAPPED: &[&str] = &["LOWEST_COST_WITH_BID_CAP", "COST_CAP"];

fn budget_too_low(minimum: i64, currency: &str) -> GraphError {
    GraphError::invalid_param("Invalid parameter").subcode(subcodes::BUDGET_TOO_LOW).user(
        "Budget Is Too Low",
        &format!(
            "Your ad set budget must be more than {} or your ads may not be delivered. Please increase the budget for this ad set.",
            budgets::display(minimum, currency)
        ),
    )
}

fn budget_under_campaign_budget() -> GraphError {
    GraphError::invalid_param("Invalid parameter").subcode(subcodes::ADSET_BUDGET_UNDER_CAMPAIGN_BUDGET).user(
        "Ad Set Budget Not Allowed",
        "This ad set's campaign uses Advantage campaign budget, so its ad sets can't have their own daily_budget or lifetime_budget. Set the budget on the campaign.",
    )
}

fn bid_amount_required(strategy: &str) -> GraphError {
    GraphError::invalid_param("Invalid parameter").subcode(subcodes::BID_AMOUNT_REQUIRED).user(
        "Bid Amount Or Bid Constraints Required For Bid Strategy",
        &format!("The bid strategy {strategy} needs a bid_amount (or bid_constraints for LOWEST_COST_WITH_MIN_ROAS) on the ad set."),
    )
}

/// The targeting rules of an ad set of `campaign`: common ones, then its special category's.
pub fn check_targeting(store: &Store, account_id: &str, campaign: &Node, t: &Value) -> GraphResult<()> {
    targeting::check_common(store, account_id, t, false)?;
    let cats = objects::categories(campaign);
    targeting::check_special_category(store, &cats, t)?;
    if !cats.is_empty() {
        targeting::check_special_category_countries(&objects::string_list(campaign.fields.get("special_ad_category_country")), t)?;
    }
    Ok(())
}

/// The bid strategy that governs an ad set: its own, else its campaign's.
fn strategy<'a>(p: &'a Params, own: Option<&'a Value>, campaign: &'a Node) -> Option<&'a str> {
    p.str("bid_strategy").or_else(|| own.and_then(Value::as_str)).or_else(|| campaign.fields.get("bid_strategy").and_then(Value::as_str))
}

fn check_bid(strategy: Option<&str>, has_amount: bool, has_constraints: bool) -> GraphResult<()> {
    match strategy {
        Some(s) if CAPPED.contains(&s) && !has_amount => Err(bid_amount_required(s)),
        Some(s @ "LOWEST_COST_WITH_MIN_ROAS") if !has_constraints => Err(bid_amount_required(s)),
        _ => Ok(()),
    }
}

fn has_roas_floor(v: Option<&Value>) -> bool {
    v.and_then(|c| c.get("roas_average_floor")).is_some()
}

/// Daily budget at least the minimum for the billing event; a lifetime budget at least that per day.
fn check_minimum(currency: &str, billing_event: &str, daily: Option<i64>, lifetime: Option<i64>, days: i64) -> GraphResult<()> {
    let minimum = budgets::minimum_daily(currency, billing_event);
    if daily.is_some_and(|d| d < minimum) {
        return Err(budget_too_low(minimum, currency));
    }
    if lifetime.is_some_and(|l| l < minimum * days.max(1)) {
        return Err(budget_too_low(minimum * days.max(1), currency));
    }
    Ok(())
}

fn days_between(start: i64, end: i64) -> i64 {
    (end - start + 86_399) / 86_400
}

pub fn build(store: &Store, account_id: &str, p: &Params) -> GraphResult<Vec<Node>> {
    required(p, "name")?;
    let (mut made, campaign) = match (p.get("campaign_id"), p.get("campaign_spec")) {
        (Some(id), _) => {
            let id = id.as_str().map(str::to_string).unwrap_or_else(|| id.to_string());
            (Vec::new(), live_parent(store, account_id, &id, Kind::Campaign, "campaign_id")?)
        }
        (None, Some(spec)) => {
            let made = objects::build(store, account_id, Kind::Campaign, &objects::spec_params(spec, "campaign_spec")?)?;
            let campaign = made.last().cloned().expect("a campaign create makes a campaign");
            (made, campaign)
        }
        (None, None) => return Err(GraphError::invalid_param("(#100) The parameter campaign_id is required")),
    };
    required(p, "billing_event")?;
    one_of(p, "billing_event", BILLING_EVENTS)?;
    required(p, "optimization_goal")?;
    one_of(p, "optimization_goal", OPTIMIZATION_GOALS)?;
    let t = required(p, "targeting")?;
    check_targeting(store, account_id, &campaign, t)?;
    one_of(p, "bid_strategy", BID_STRATEGIES)?;
    let bid_amount = positive_money(p, "bid_amount")?;
    check_bid(strategy(p, None, &campaign), bid_amount.is_some(), has_roas_floor(p.get("bid_constraints")))?;
    let start = parse_time(p, "start_time")?.unwrap_or_else(|| store.now());
    let end = parse_time(p, "end_time")?;
    if end.is_some_and(|e| e <= start) {
        return Err(GraphError::invalid_param("(#100) end_time must be after start_time"));
    }
    let daily = positive_money(p, "daily_budget")?;
    let lifetime = positive_money(p, "lifetime_budget")?;
    match (daily, lifetime, campaigns::has_budget(&campaign)) {
        (Some(_), Some(_), _) => return Err(GraphError::invalid_param("(#100) Only one of daily_budget or lifetime_budget can be set")),
        (Some(_), _, true) | (_, Some(_), true) => return Err(budget_under_campaign_budget()),
        (None, None, false) => {
            return Err(GraphError::invalid_param("Invalid parameter")
                .subcode(subcodes::ADSET_BUDGET_REQUIRED)
                .user("Budget Is Required", "Set a daily_budget or lifetime_budget on the ad set, or a budget on its campaign."))
        }
        (_, Some(_), _) if end.is_none() => return Err(GraphError::invalid_param("(#100) end_time is required when lifetime_budget is set")),
        _ => {}
    }
    let currency = account_currency(store, account_id);
    check_minimum(&currency, p.str("billing_event").unwrap_or_default(), daily, lifetime, end.map(|e| days_between(start, e)).unwrap_or(1))?;
    one_of(p, "destination_type", DESTINATION_TYPES)?;
    if LEAD_GOALS.contains(&p.str("optimization_goal").unwrap_or_default()) {
        if p.str("destination_type") != Some("ON_AD") {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::LEAD_ADS_DESTINATION).user(
                "Lead Ads Need An Instant Form Destination",
                "Ad sets optimized for LEAD_GENERATION or QUALITY_LEAD must set destination_type to ON_AD (an instant form).",
            ));
        }
        if p.get("promoted_object").and_then(|o| o.get("page_id")).is_none() {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::LEAD_ADS_PAGE_REQUIRED).user(
                "Page Required For Lead Ads",
                "Ad sets optimized for LEAD_GENERATION or QUALITY_LEAD must set promoted_object.page_id: the Page whose instant forms collect the leads.",
            ));
        }
    }
    let mut fields = Map::new();
    let governing = strategy(p, None, &campaign).unwrap_or("LOWEST_COST_WITHOUT_CAP");
    fields.insert("bid_strategy".into(), json!(governing));
    fields.insert("start_time".into(), json!(Store::iso(start)));
    if let Some(e) = end {
        fields.insert("end_time".into(), json!(Store::iso(e)));
    }
    made.push(objects::finish(store, Kind::AdSet, account_id, p, fields, (Some(campaign.id.clone()), None))?);
    Ok(made)
}

pub fn check_update(store: &Store, node: &Node, p: &Params) -> GraphResult<Map<String, Value>> {
    let campaign = node.campaign_id.as_ref().and_then(|c| store.nodes.get(c)).cloned().ok_or_else(|| GraphError::unknown_object(&node.id))?;
    if let Some(t) = p.get("targeting") {
        check_targeting(store, &node.account_id, &campaign, t)?;
    }
    if p.get("promoted_object").is_some_and(|o| node.fields.get("promoted_object") != Some(o)) {
        return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::PROMOTED_OBJECT_IMMUTABLE).user(
            "Promoted Object Can't Be Changed",
            "The promoted_object of an ad set can't be changed after the ad set is created. Create a new ad set instead.",
        ));
    }
    let daily = positive_money(p, "daily_budget")?;
    let lifetime = positive_money(p, "lifetime_budget")?;
    for (key, amount) in [("daily_budget", daily), ("lifetime_budget", lifetime)] {
        if amount.is_some() && campaigns::has_budget(&campaign) {
            return Err(budget_under_campaign_budget());
        }
        if amount.is_some() && !node.fields.contains_key(key) {
            return Err(GraphError::invalid_param(format!("(#100) {key} cannot be set on an object that does not use it")));
        }
    }
    one_of(p, "billing_event", BILLING_EVENTS)?;
    one_of(p, "bid_strategy", BID_STRATEGIES)?;
    let bid_amount = positive_money(p, "bid_amount")?;
    check_bid(
        strategy(p, node.fields.get("bid_strategy"), &campaign),
        bid_amount.is_some() || node.fields.contains_key("bid_amount"),
        has_roas_floor(p.get("bid_constraints").or(node.fields.get("bid_constraints"))),
    )?;
    let mut out = Map::new();
    let stored_time = |k: &str| {
        node.fields.get(k).and_then(Value::as_str).and_then(|s| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z").ok()).map(|t| t.timestamp())
    };
    let start = parse_time(p, "start_time")?;
    let end = parse_time(p, "end_time")?;
    if let (Some(s), Some(e)) = (start.or(stored_time("start_time")), end.or(stored_time("end_time"))) {
        if e <= s {
            return Err(GraphError::invalid_param("(#100) end_time must be after start_time"));
        }
    }
    for (k, v) in [("start_time", start), ("end_time", end)] {
        if let Some(t) = v {
            out.insert(k.into(), json!(Store::iso(t)));
        }
    }
    let billing = p.str("billing_event").or_else(|| node.fields.get("billing_event").and_then(Value::as_str)).unwrap_or("IMPRESSIONS");
    let days = match (start.or(stored_time("start_time")), end.or(stored_time("end_time"))) {
        (Some(s), Some(e)) => days_between(s, e),
        _ => 1,
    };
    check_minimum(&account_currency(store, &node.account_id), billing, daily, lifetime, days)?;
    Ok(out)
}
