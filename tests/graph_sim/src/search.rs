//! Targeting search (`GET /search?type=...`) and browse (`GET /act_{id}/targetingbrowse`), over the
//! catalogue. Lists come back in Graph's `data` envelope and page with `limit`.

use crate::campaigns::SPECIAL_CATEGORIES;
use crate::catalogue;
use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::targeting::RESTRICTED;
use serde_json::Value;

const TYPES: &[&str] = &["adinterest", "adinterestsuggestion", "adgeolocation"];
const LOCATION_TYPES: &[&str] = &["country", "region", "city", "zip"];

fn need<'a>(p: &'a Params, key: &str) -> GraphResult<&'a str> {
    p.str(key).filter(|s| !s.is_empty()).ok_or_else(|| GraphError::invalid_param(format!("(#100) The parameter {key} is required")))
}

pub fn search(p: &Params) -> GraphResult<Vec<Value>> {
    match need(p, "type")? {
        "adinterest" => Ok(catalogue::search_interests(need(p, "q")?).into_iter().map(catalogue::interest_json).collect()),
        "adinterestsuggestion" => {
            let names =
                p.list("interest_list").filter(|l| !l.is_empty()).ok_or_else(|| GraphError::invalid_param("(#100) The parameter interest_list is required"))?;
            Ok(catalogue::suggestions(&names).into_iter().map(catalogue::interest_json).collect())
        }
        "adgeolocation" => {
            let types = p.list("location_types").unwrap_or_default();
            if let Some(bad) = types.iter().find(|t| !LOCATION_TYPES.contains(&t.as_str())) {
                return Err(GraphError::invalid_param(format!("(#100) location_types must be among {}; got {bad}", LOCATION_TYPES.join(", "))));
            }
            Ok(catalogue::search_places(need(p, "q")?, &types).into_iter().map(catalogue::place_json).collect())
        }
        other => Err(GraphError::invalid_param(format!("(#100) Param type must be one of {{{}}} - got \"{other}\"", TYPES.join(", ")))),
    }
}

/// Every detailed option; with `regulated_categories` naming a restricted category, only those
/// that category's ads may use.
pub fn browse(p: &Params) -> GraphResult<Vec<Value>> {
    let cats = p.list("regulated_categories").unwrap_or_default();
    if let Some(bad) = cats.iter().find(|c| !SPECIAL_CATEGORIES.contains(&c.as_str())) {
        return Err(GraphError::invalid_param(format!("(#100) regulated_categories must be among {}; got {bad}", SPECIAL_CATEGORIES.join(", "))));
    }
    let restricted = cats.iter().any(|c| RESTRICTED.contains(&c.as_str()));
    Ok(catalogue::OPTIONS.iter().filter(|o| !restricted || o.regulated).map(catalogue::browse_json).collect())
}
