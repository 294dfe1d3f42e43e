//! Audience estimates: `reachestimate` and `delivery_estimate` from a deterministic model.
//! Places give people (a city's radius scales it), the age range and a single gender take their
//! share, each `flexible_spec` group is an OR of its options and groups AND together, custom
//! audiences count their members. Narrower targeting therefore always gives smaller numbers.

use crate::budgets;
use crate::catalogue;
use crate::error::{GraphError, GraphResult};
use crate::objects::{account_currency, one_of};
use crate::params::Params;
use crate::store::Store;
use crate::targeting;
use serde_json::{json, Value};

/// People on Meta in all: options' sizes are shares of it.
const EVERYONE: f64 = 3_000_000_000.0;
/// People per square mile around a custom location (a suburban density).
const PEOPLE_PER_SQUARE_MILE: f64 = 1_500.0;
/// The radius a city's own population stands for.
const CITY_RADIUS_MILES: f64 = 10.0;

fn number(v: Option<&Value>) -> Option<f64> {
    v.and_then(|x| x.as_f64().or_else(|| x.as_str().and_then(|s| s.parse().ok())))
}

fn miles(loc: &Value) -> Option<f64> {
    let r = number(loc.get("radius"))?;
    Some(if loc.get("distance_unit").and_then(Value::as_str) == Some("kilometer") { r / 1.609_344 } else { r })
}

fn key_of(loc: &Value) -> Option<String> {
    match loc {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("key").and_then(|k| k.as_str().map(str::to_string).or_else(|| k.as_i64().map(|n| n.to_string()))),
        _ => None,
    }
}

/// People living in a `geo_locations` object.
fn people_in(geo: &Value) -> f64 {
    let list = |k: &str| geo.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let known = |k: Option<String>, fallback: f64| k.and_then(|k| catalogue::place_by_key(&k)).map_or(fallback, |p| p.population as f64);
    let mut people = 0.0;
    for c in list("countries") {
        people += known(c.as_str().map(str::to_string), 10_000_000.0);
    }
    for r in list("regions") {
        people += known(key_of(&r), 3_000_000.0);
    }
    for c in list("cities") {
        let scale = miles(&c).map_or(1.0, |m| (m / CITY_RADIUS_MILES).clamp(0.1, 5.0));
        people += known(key_of(&c), 500_000.0) * scale;
    }
    for z in list("zips") {
        people += known(key_of(&z), 20_000.0);
    }
    for l in list("custom_locations") {
        let r = miles(&l).unwrap_or(1.0);
        people += std::f64::consts::PI * r * r * PEOPLE_PER_SQUARE_MILE;
    }
    people
}

/// The share of adults in the age range: 18 to 65+ is all of them (65 stands for 65 and over).
fn age_share(t: &Value) -> f64 {
    let min = t.get("age_min").and_then(Value::as_i64).unwrap_or(18).clamp(13, 65);
    let max = t.get("age_max").and_then(Value::as_i64).unwrap_or(65).clamp(min, 65);
    let years = |a: i64, b: i64| (b.min(64) - a + 1).max(0) as f64 + if b >= 65 { 10.0 } else { 0.0 };
    years(min, max) / years(18, 65)
}

fn gender_share(t: &Value) -> f64 {
    match t.get("genders").and_then(Value::as_array).map(Vec::len) {
        Some(1) => 0.5,
        _ => 1.0,
    }
}

/// An OR of detailed options: the share of people in at least one.
fn group_share(ids: &[String]) -> GraphResult<Option<f64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut none = 1.0;
    for id in ids {
        let o = catalogue::option(id).ok_or_else(|| {
            GraphError::invalid_param("Invalid parameter")
                .subcode(crate::subcodes::TARGETING_OPTION_UNAVAILABLE)
                .user("Targeting Option Unavailable", &format!("The detailed targeting option {id} is not available."))
        })?;
        none *= 1.0 - (o.size as f64 / EVERYONE).min(1.0);
    }
    Ok(Some(1.0 - none))
}

fn audiences(store: &Store, t: &Value, key: &str) -> f64 {
    targeting::audience_ids(t, key).iter().filter_map(|id| store.nodes.get(id)).map(|n| crate::audiences::size(store, n) as f64).sum()
}

/// The estimated people a targeting spec reaches.
pub fn people(store: &Store, account_id: &str, t: &Value) -> GraphResult<f64> {
    targeting::check_common(store, account_id, t, true)?;
    let mut base = match t.get("geo_locations") {
        Some(geo) => {
            let inside = people_in(geo);
            let excluded = t.get("excluded_geo_locations").map_or(0.0, people_in);
            (inside - excluded).max(inside * 0.01)
        }
        None => f64::INFINITY,
    };
    if !targeting::audience_ids(t, "custom_audiences").is_empty() {
        base = base.min(audiences(store, t, "custom_audiences"));
    }
    if base.is_infinite() {
        return Err(targeting::location_missing());
    }
    let excluded = audiences(store, t, "excluded_custom_audiences");
    if excluded > 0.0 {
        base *= 1.0 - (excluded / (base + excluded)).min(0.99);
    }
    let mut share = age_share(t) * gender_share(t);
    let mut groups: Vec<Vec<String>> = vec![targeting::detailed_ids(t)];
    groups.extend(t.get("flexible_spec").and_then(Value::as_array).into_iter().flatten().map(targeting::detailed_ids));
    for g in groups {
        if let Some(s) = group_share(&g)? {
            share *= s;
        }
    }
    if let Some(s) = t.get("exclusions").map(targeting::detailed_ids).map(|ids| group_share(&ids)).transpose()?.flatten() {
        share *= 1.0 - s;
    }
    Ok(base * share)
}

fn spec<'a>(p: &'a Params, fallback: Option<&'a Value>) -> GraphResult<&'a Value> {
    p.get("targeting_spec").or(fallback).ok_or_else(|| GraphError::invalid_param("(#100) The parameter targeting_spec is required"))
}

/// Meta's range around an estimate.
fn bounds(people: f64) -> (u64, u64) {
    ((people * 0.85).round() as u64, (people * 1.15).round() as u64)
}

/// `GET /act_{id}/reachestimate?targeting_spec=...`.
pub fn reachestimate(store: &Store, account_id: &str, p: &Params) -> GraphResult<Value> {
    let (lo, hi) = bounds(people(store, account_id, spec(p, None)?)?);
    Ok(json!({ "data": { "users_lower_bound": lo, "users_upper_bound": hi, "estimate_ready": true } }))
}

/// Results per impression for an optimization goal (REACH and IMPRESSIONS count what they say).
fn action_rate(goal: &str) -> f64 {
    match goal {
        "LEAD_GENERATION" | "QUALITY_LEAD" => 0.0015,
        "LINK_CLICKS" => 0.009,
        "LANDING_PAGE_VIEWS" => 0.006,
        "THRUPLAY" => 0.05,
        "OFFSITE_CONVERSIONS" => 0.001,
        _ => 1.0,
    }
}

/// `GET /act_{id}/delivery_estimate` (and an ad set's, which defaults to its own targeting and goal).
pub fn delivery_estimate(store: &Store, account_id: &str, p: &Params, targeting: Option<&Value>, goal: Option<&str>) -> GraphResult<Value> {
    let goal = p.str("optimization_goal").or(goal).ok_or_else(|| GraphError::invalid_param("(#100) The parameter optimization_goal is required"))?;
    one_of(&Params([("optimization_goal".to_string(), json!(goal))].into_iter().collect()), "optimization_goal", crate::adsets::OPTIMIZATION_GOALS)?;
    let mau = people(store, account_id, spec(p, targeting)?)?;
    let (lo, hi) = bounds(mau);
    let dau = mau * 0.6;
    let currency = account_currency(store, account_id);
    // A CPM of 8 USD; reach saturates as spend grows, and each point is above the one before.
    let cpm = budgets::from_usd_cents(800, &currency) as f64;
    let curve: Vec<Value> = [0, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000]
        .iter()
        .map(|usd_cents| {
            let spend = budgets::from_usd_cents(*usd_cents, &currency);
            let bought = spend as f64 / cpm * 1_000.0;
            let reach = dau * (1.0 - (-bought / (dau * 1.5).max(1.0)).exp());
            let impressions = bought.max(reach);
            let actions = match goal {
                "REACH" => reach,
                "IMPRESSIONS" => impressions,
                g => impressions * action_rate(g),
            };
            json!({ "spend": spend, "reach": reach.round() as u64, "impressions": impressions.round() as u64, "actions": actions.round() as u64 })
        })
        .collect();
    Ok(json!({ "data": [{
        "daily_outcomes_curve": curve,
        "estimate_dau": dau.round() as u64,
        "estimate_mau_lower_bound": lo,
        "estimate_mau_upper_bound": hi,
        "estimate_ready": true,
    }] }))
}
