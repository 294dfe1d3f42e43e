//! Creating, updating, deleting and rendering ad objects, with the rules Meta enforces.

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use serde_json::{json, Map, Value};

const OBJECTIVES: &[&str] = &["OUTCOME_LEADS", "OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT", "OUTCOME_APP_PROMOTION"];
const SPECIAL_CATEGORIES: &[&str] =
    &["NONE", "EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES", "ISSUES_ELECTIONS_POLITICS", "ONLINE_GAMBLING_AND_GAMING"];
/// Categories whose ads may not target by age, gender or postal code.
const RESTRICTED: &[&str] = &["EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES"];
const SETTABLE_STATUS: &[&str] = &["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"];
const BILLING_EVENTS: &[&str] = &["IMPRESSIONS", "LINK_CLICKS", "THRUPLAY", "PAGE_LIKES"];
const OPTIMIZATION_GOALS: &[&str] =
    &["LEAD_GENERATION", "QUALITY_LEAD", "LINK_CLICKS", "LANDING_PAGE_VIEWS", "IMPRESSIONS", "REACH", "OFFSITE_CONVERSIONS", "THRUPLAY"];

/// Members Graph manages itself; a create or update may not set them.
const READ_ONLY: &[&str] = &["id", "account_id", "effective_status", "created_time", "updated_time", "configured_status"];

fn required<'a>(p: &'a Params, key: &str) -> GraphResult<&'a Value> {
    p.get(key).filter(|v| !v.is_null() && v.as_str() != Some("")).ok_or_else(|| GraphError::invalid_param(format!("(#100) The parameter {key} is required")))
}

fn one_of(p: &Params, key: &str, allowed: &[&str]) -> GraphResult<()> {
    if let Some(v) = p.str(key) {
        if !allowed.contains(&v) {
            return Err(GraphError::invalid_param(format!("(#100) Param {key} must be one of {{{}}} - got \"{v}\"", allowed.join(", "))));
        }
    }
    Ok(())
}

fn positive_money(p: &Params, key: &str) -> GraphResult<Option<i64>> {
    match p.int(key)? {
        Some(n) if n <= 0 => Err(GraphError::invalid_param(format!("(#100) {key} must be a positive amount in the account's minor currency unit"))),
        other => Ok(other),
    }
}

/// Meta's cap on one budget: the equivalent of 1 million USD ("the daily budget limit ... was
/// already enforced at 1 million USD"; lifetime budgets since March 2017), in the account's
/// minor units. Rough rates suffice: the point is that absurd amounts are refused.
pub fn budget_cap_minor(currency: &str) -> i64 {
    let (usd_rate, digits): (f64, u32) = match currency {
        "USD" => (1.0, 2),
        "EUR" => (0.92, 2),
        "GBP" => (0.79, 2),
        "CAD" => (1.36, 2),
        "AUD" => (1.52, 2),
        "INR" => (84.0, 2),
        "BRL" => (5.4, 2),
        "MXN" => (17.0, 2),
        "JPY" => (150.0, 0),
        "KRW" => (1_400.0, 0),
        _ => (100.0, 2),
    };
    (1_000_000.0 * usd_rate) as i64 * 10_i64.pow(digits)
}

/// Refuses a budget above Meta's cap, as Meta does (ADPRO2__CAMPAIGN_BUDGET_TOO_HIGH).
fn within_cap(store: &Store, account_id: &str, p: &Params) -> GraphResult<()> {
    let currency = store.accounts.get(account_id).map(|a| a.currency.as_str()).unwrap_or("USD");
    let cap = budget_cap_minor(currency);
    for key in ["daily_budget", "lifetime_budget"] {
        if positive_money(p, key)?.is_some_and(|n| n > cap) {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(1_885_261).user(
                "Budget Too High",
                &format!("The {key} is above the maximum of {cap} (in the account's minor currency unit) for an ad account in {currency}."),
            ));
        }
    }
    Ok(())
}

fn live_parent(store: &Store, account_id: &str, id: &str, kind: Kind, param: &str) -> GraphResult<Node> {
    match store.nodes.get(id) {
        Some(n) if n.kind == kind && n.account_id == account_id && n.status() != "DELETED" => Ok(n.clone()),
        Some(n) if n.kind == kind && n.status() == "DELETED" => {
            Err(GraphError::invalid_param(format!("(#100) {param} {id} refers to a deleted object")).subcode(1_487_056))
        }
        _ => Err(GraphError::invalid_param(format!("(#100) Param {param} must be a valid id of this ad account, got {id}"))),
    }
}

/// Job, housing and credit ads cannot narrow age or gender or target postal codes.
fn check_special_category_targeting(categories: &[String], targeting: &Value) -> GraphResult<()> {
    let restricted: Vec<&String> = categories.iter().filter(|c| RESTRICTED.contains(&c.as_str())).collect();
    if restricted.is_empty() {
        return Ok(());
    }
    let mut problems = Vec::new();
    if targeting.get("age_min").and_then(Value::as_i64).is_some_and(|a| a > 18) {
        problems.push("age_min above 18");
    }
    if targeting.get("age_max").and_then(Value::as_i64).is_some_and(|a| a < 65) {
        problems.push("age_max below 65");
    }
    if targeting.get("genders").and_then(Value::as_array).is_some_and(|g| !g.is_empty()) {
        problems.push("genders");
    }
    if targeting.pointer("/geo_locations/zips").is_some() {
        problems.push("geo_locations.zips");
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(GraphError::invalid_param("Invalid parameter").subcode(1_885_272).user(
        "Targeting Not Allowed for Special Ad Category",
        &format!("Campaigns in the {} special ad category can't target by {}. Remove those options and try again.", restricted[0], problems.join(", ")),
    ))
}

fn campaign_categories(n: &Node) -> Vec<String> {
    n.fields
        .get("special_ad_categories")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Validates a create and returns the new node (not yet stored).
pub fn build(store: &Store, account_id: &str, kind: Kind, p: &Params) -> GraphResult<Node> {
    if let Some(k) = READ_ONLY.iter().find(|k| p.get(k).is_some()) {
        return Err(GraphError::invalid_param(format!("(#100) Param {k} cannot be set")));
    }
    within_cap(store, account_id, p)?;
    let mut fields = Map::new();
    let (mut campaign_id, mut adset_id) = (None, None);
    match kind {
        Kind::Campaign => {
            required(p, "name")?;
            required(p, "objective")?;
            one_of(p, "objective", OBJECTIVES)?;
            let cats = p.list("special_ad_categories").ok_or_else(|| {
                GraphError::invalid_param("Invalid parameter").subcode(1_885_183).user(
                    "Special Ad Categories Required",
                    "You must specify special_ad_categories for this campaign: an array of the categories its ads belong to, or [] / [\"NONE\"] if none apply.",
                )
            })?;
            if let Some(bad) = cats.iter().find(|c| !SPECIAL_CATEGORIES.contains(&c.as_str())) {
                return Err(GraphError::invalid_param(format!(
                    "(#100) special_ad_categories[0] must be one of the following values: {}; got {bad}",
                    SPECIAL_CATEGORIES.join(", ")
                )));
            }
            if positive_money(p, "daily_budget")?.is_some() && positive_money(p, "lifetime_budget")?.is_some() {
                return Err(GraphError::invalid_param("(#100) Only one of daily_budget or lifetime_budget can be set"));
            }
            fields.insert("special_ad_categories".into(), json!(cats.into_iter().filter(|c| c != "NONE").collect::<Vec<_>>()));
        }
        Kind::AdSet => {
            required(p, "name")?;
            let cid = required(p, "campaign_id")?.as_str().unwrap_or_default().to_string();
            let campaign = live_parent(store, account_id, &cid, Kind::Campaign, "campaign_id")?;
            required(p, "billing_event")?;
            one_of(p, "billing_event", BILLING_EVENTS)?;
            required(p, "optimization_goal")?;
            one_of(p, "optimization_goal", OPTIMIZATION_GOALS)?;
            let targeting = required(p, "targeting")?;
            if targeting.get("geo_locations").is_none() {
                return Err(GraphError::invalid_param("Invalid parameter")
                    .subcode(1_487_756)
                    .user("Location Is Missing", "Your audience is missing a location. Add a location to targeting.geo_locations."));
            }
            check_special_category_targeting(&campaign_categories(&campaign), targeting)?;
            let daily = positive_money(p, "daily_budget")?;
            let lifetime = positive_money(p, "lifetime_budget")?;
            let campaign_budget = campaign.fields.contains_key("daily_budget") || campaign.fields.contains_key("lifetime_budget");
            match (daily, lifetime, campaign_budget) {
                (Some(_), Some(_), _) => return Err(GraphError::invalid_param("(#100) Only one of daily_budget or lifetime_budget can be set")),
                (None, None, false) => {
                    return Err(GraphError::invalid_param("Invalid parameter")
                        .subcode(1_885_621)
                        .user("Budget Is Required", "Set a daily_budget or lifetime_budget on the ad set, or a budget on its campaign."))
                }
                (_, Some(_), _) if p.get("end_time").is_none() => {
                    return Err(GraphError::invalid_param("(#100) end_time is required when lifetime_budget is set"))
                }
                _ => {}
            }
            campaign_id = Some(cid);
        }
        Kind::Ad => {
            required(p, "name")?;
            let sid = required(p, "adset_id")?.as_str().unwrap_or_default().to_string();
            let adset = live_parent(store, account_id, &sid, Kind::AdSet, "adset_id")?;
            let creative = required(p, "creative")?;
            let creative_id = creative.get("creative_id").and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
            let creative_id = creative_id.ok_or_else(|| GraphError::invalid_param("(#100) creative must be an object with creative_id"))?;
            live_parent(store, account_id, &creative_id, Kind::Creative, "creative.creative_id")?;
            campaign_id = adset.campaign_id.clone();
            adset_id = Some(sid);
            fields.insert("creative".into(), json!({ "id": creative_id }));
        }
        Kind::Creative => {
            required(p, "name")?;
            if p.get("object_story_spec").is_none() && p.get("object_story_id").is_none() && p.get("asset_feed_spec").is_none() {
                return Err(GraphError::invalid_param("(#100) Must specify one of object_story_spec, object_story_id or asset_feed_spec"));
            }
        }
        Kind::CustomAudience => {
            required(p, "name")?;
            let subtype = p.str("subtype").unwrap_or("CUSTOM");
            if subtype == "LOOKALIKE" {
                let origin = required(p, "origin_audience_id")?.as_str().unwrap_or_default().to_string();
                live_parent(store, account_id, &origin, Kind::CustomAudience, "origin_audience_id")?;
                let spec = required(p, "lookalike_spec")?;
                let ratio = spec.get("ratio").and_then(Value::as_f64).unwrap_or(0.0);
                if !(0.01..=0.20).contains(&ratio) || spec.get("country").is_none() {
                    return Err(GraphError::invalid_param("(#100) lookalike_spec needs a country and a ratio from 0.01 to 0.20"));
                }
            }
            fields.insert("subtype".into(), json!(subtype));
        }
        Kind::AdImage | Kind::LeadForm | Kind::Lead | Kind::ReportRun => {
            return Err(GraphError::unknown_path(kind.edge()));
        }
    }
    if kind.has_status() {
        one_of(p, "status", &["ACTIVE", "PAUSED"])?;
        fields.insert("status".into(), json!(p.str("status").unwrap_or("ACTIVE")));
    }
    for (k, v) in &p.0 {
        if !matches!(
            k.as_str(),
            "access_token" | "appsecret_proof" | "execution_options" | "fields" | "special_ad_categories" | "creative" | "campaign_id" | "adset_id" | "subtype"
        ) {
            fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let now = store.now();
    Ok(Node { id: String::new(), kind, account_id: account_id.to_string(), campaign_id, adset_id, fields, created: now, updated: now, delivery_override: None })
}

/// Validates an update and applies it to a copy of the node.
pub fn apply_update(store: &Store, node: &Node, p: &Params) -> GraphResult<Node> {
    if node.status() == "DELETED" {
        return Err(GraphError::invalid_param(format!("(#100) Object {} has been deleted and cannot be updated", node.id)).subcode(1_487_056));
    }
    if let Some(k) = READ_ONLY.iter().chain(["campaign_id", "adset_id", "objective"].iter()).find(|k| p.get(k).is_some()) {
        return Err(GraphError::invalid_param(format!("(#100) Param {k} cannot be changed on an existing object")));
    }
    within_cap(store, &node.account_id, p)?;
    let mut next = node.clone();
    if node.kind.has_status() {
        one_of(p, "status", SETTABLE_STATUS)?;
    }
    if node.kind == Kind::AdSet {
        if let Some(t) = p.get("targeting") {
            let campaign = node.campaign_id.as_ref().and_then(|c| store.nodes.get(c));
            check_special_category_targeting(&campaign.map(campaign_categories).unwrap_or_default(), t)?;
        }
    }
    for key in ["daily_budget", "lifetime_budget"] {
        if positive_money(p, key)?.is_some() && !node.fields.contains_key(key) && node.kind != Kind::Campaign {
            return Err(GraphError::invalid_param(format!("(#100) {key} cannot be set on an object that does not use it")));
        }
    }
    for (k, v) in &p.0 {
        if !matches!(k.as_str(), "access_token" | "appsecret_proof" | "execution_options" | "fields") {
            next.fields.insert(k.clone(), v.clone());
        }
    }
    next.updated = store.now();
    Ok(next)
}

/// All members Graph can return for a node (before field selection).
pub fn render_full(store: &Store, n: &Node) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(n.id));
    m.insert("account_id".into(), json!(n.account_id));
    for (k, v) in &n.fields {
        m.insert(k.clone(), v.clone());
    }
    if n.kind.has_status() {
        m.insert("configured_status".into(), json!(n.status()));
        m.insert("effective_status".into(), json!(store.effective_status(n)));
    }
    if let Some(c) = &n.campaign_id {
        m.insert("campaign_id".into(), json!(c));
    }
    if let Some(s) = &n.adset_id {
        m.insert("adset_id".into(), json!(s));
    }
    m.insert("created_time".into(), json!(Store::iso(n.created)));
    m.insert("updated_time".into(), json!(Store::iso(n.updated)));
    m
}

/// Members returned when the request names no fields.
pub fn default_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Lead => &["id", "created_time"],
        Kind::AdImage => &["id", "hash"],
        _ => &["id"],
    }
}
