//! Targeting spec rules: a location is required, detailed-targeting ids must exist, audiences must
//! belong to the account, and the restrictions of employment, housing and credit ads (Meta's
//! Special Ad Categories: 18-65+, all genders, no postal codes or location exclusions, at least a
//! 15-mile radius, no lookalikes or audience exclusions, only the detailed options left to them).

use crate::catalogue;
use crate::error::{GraphError, GraphResult};
use crate::store::{Kind, Store};
use crate::subcodes;
use serde_json::Value;

/// Categories whose ads carry the audience restrictions.
pub const RESTRICTED: &[&str] = &["EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES"];

/// Keys of a targeting spec (or of a `flexible_spec` group or `exclusions`) that hold detailed
/// targeting options as `[{"id": ..., "name": ...}]`.
pub const DETAILED_KEYS: &[&str] = &[
    "interests",
    "behaviors",
    "life_events",
    "industries",
    "income",
    "family_statuses",
    "work_positions",
    "work_employers",
    "education_majors",
    "user_adclusters",
];

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o.get("id").and_then(|i| i.as_str().map(str::to_string).or_else(|| i.as_i64().map(|n| n.to_string()))),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Ids listed under the detailed keys of one object (the spec itself, a group, `exclusions`).
pub fn detailed_ids(group: &Value) -> Vec<String> {
    DETAILED_KEYS.iter().filter_map(|k| group.get(*k).and_then(Value::as_array)).flatten().filter_map(id_of).collect()
}

/// Every detailed id a spec uses: top level, each `flexible_spec` group and `exclusions`.
fn all_detailed_ids(t: &Value) -> Vec<String> {
    let mut ids = detailed_ids(t);
    for g in t.get("flexible_spec").and_then(Value::as_array).into_iter().flatten() {
        ids.extend(detailed_ids(g));
    }
    if let Some(x) = t.get("exclusions") {
        ids.extend(detailed_ids(x));
    }
    ids
}

/// Ids in `custom_audiences` or `excluded_custom_audiences`.
pub fn audience_ids(t: &Value, key: &str) -> Vec<String> {
    t.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(id_of).collect()
}

pub fn location_missing() -> GraphError {
    GraphError::invalid_param("Invalid parameter")
        .subcode(subcodes::LOCATION_MISSING)
        .user("Location Is Missing", "Your audience is missing a location. Add a location to targeting.geo_locations.")
}

/// Rules every targeting spec follows, whatever its campaign. Meta wants a location "unless you
/// use a Custom Audience"; ad sets here always need one (`audience_only_ok` false).
pub fn check_common(store: &Store, account_id: &str, t: &Value, audience_only_ok: bool) -> GraphResult<()> {
    if !t.is_object() {
        return Err(GraphError::invalid_param("(#100) targeting must be a JSON object"));
    }
    let audience_only = audience_only_ok && !audience_ids(t, "custom_audiences").is_empty();
    if t.get("geo_locations").is_none() && !audience_only {
        return Err(location_missing());
    }
    if let Some(bad) = all_detailed_ids(t).into_iter().find(|id| catalogue::option(id).is_none()) {
        return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::TARGETING_OPTION_UNAVAILABLE).user(
            "Targeting Option Unavailable",
            &format!(
                "The detailed targeting option {bad} you selected is no longer available. Use Targeting Search to see the options available for targeting."
            ),
        ));
    }
    for key in ["custom_audiences", "excluded_custom_audiences"] {
        for id in audience_ids(t, key) {
            match store.nodes.get(&id) {
                Some(n) if n.kind == Kind::CustomAudience && n.account_id == account_id => {}
                _ => return Err(GraphError::invalid_param(format!("(#100) {key} contains {id}, which is not a custom audience of this ad account"))),
            }
        }
    }
    Ok(())
}

/// A radius below Meta's minimum for restricted categories: 15 miles, or 25 km.
fn radius_too_small(loc: &Value) -> Option<String> {
    let r = loc.get("radius").and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))?;
    let unit = loc.get("distance_unit").and_then(Value::as_str).unwrap_or("mile");
    let too_small = if unit == "kilometer" { r < 25.0 } else { r < 15.0 };
    too_small.then(|| format!("radius {r} {unit}"))
}

/// The special-category restrictions, each broken rule named in one refusal.
pub fn check_special_category(store: &Store, categories: &[String], t: &Value) -> GraphResult<()> {
    let Some(category) = categories.iter().find(|c| RESTRICTED.contains(&c.as_str())) else {
        return Ok(());
    };
    let mut problems: Vec<String> = Vec::new();
    if let Some(a) = t.get("age_min").and_then(Value::as_i64).filter(|a| *a != 18) {
        problems.push(format!("age_min {a} (must be 18)"));
    }
    if let Some(a) = t.get("age_max").and_then(Value::as_i64).filter(|a| *a != 65) {
        problems.push(format!("age_max {a} (must be 65 or left out)"));
    }
    if t.get("genders").and_then(Value::as_array).is_some_and(|g| !g.is_empty()) {
        problems.push("genders".into());
    }
    if t.pointer("/geo_locations/zips").is_some() {
        problems.push("geo_locations.zips".into());
    }
    if t.get("excluded_geo_locations").is_some() {
        problems.push("excluded_geo_locations".into());
    }
    for key in ["cities", "custom_locations"] {
        for (i, loc) in t.pointer(&format!("/geo_locations/{key}")).and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(r) = radius_too_small(loc) {
                problems.push(format!("geo_locations.{key}[{i}] {r} (at least 15 miles or 25 kilometers)"));
            }
        }
    }
    if !audience_ids(t, "excluded_custom_audiences").is_empty() {
        problems.push("excluded_custom_audiences".into());
    }
    for id in audience_ids(t, "custom_audiences") {
        if store.nodes.get(&id).is_some_and(|n| n.fields.get("subtype").and_then(Value::as_str) == Some("LOOKALIKE")) {
            problems.push(format!("custom_audiences {id} (a lookalike audience)"));
        }
    }
    if t.get("exclusions").is_some_and(|x| !detailed_ids(x).is_empty()) {
        problems.push("exclusions (detailed targeting exclusions)".into());
    }
    for id in all_detailed_ids(t) {
        if let Some(o) = catalogue::option(&id).filter(|o| !o.regulated) {
            problems.push(format!("{} {} ({})", o.kind, o.id, o.name));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::SPECIAL_CATEGORY_TARGETING).user(
        "Targeting Not Allowed for Special Ad Category",
        &format!("Campaigns in the {category} special ad category can't target by {}. Remove those options and try again.", problems.join(", ")),
    ))
}

/// The country of each place an ad set's `geo_locations` names (catalogue places only).
fn targeted_countries(t: &Value) -> Vec<String> {
    let geo = t.get("geo_locations");
    let mut out: Vec<String> = geo.and_then(|g| g.get("countries")).and_then(Value::as_array).into_iter().flatten().filter_map(id_of).collect();
    for key in ["regions", "cities", "zips"] {
        for loc in geo.and_then(|g| g.get(key)).and_then(Value::as_array).into_iter().flatten() {
            if let Some(p) = id_of(loc).and_then(|k| catalogue::place_by_key(&k)) {
                out.push(p.country_code.to_string());
            }
        }
    }
    out
}

/// An ad set of a special-category campaign targets only the campaign's countries.
pub fn check_special_category_countries(countries: &[String], t: &Value) -> GraphResult<()> {
    if countries.is_empty() {
        return Ok(());
    }
    if let Some(outside) = targeted_countries(t).into_iter().find(|c| !countries.contains(c)) {
        return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::SPECIAL_CATEGORY_LOCATION_OUTSIDE_COUNTRY).user(
            "Location Outside Special Ad Category Country",
            &format!("This ad set targets {outside}, which is not one of the campaign's special_ad_category_country ({}).", countries.join(", ")),
        ));
    }
    Ok(())
}
