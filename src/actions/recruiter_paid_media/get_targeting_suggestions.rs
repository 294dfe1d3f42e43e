//! `recruiter_paid_media/get_targeting_suggestions`: Meta's targeting search: interests by name,
//! interests like given ones, locations by name, or the detailed targeting options an account may
//! browse, optionally only those Meta allows for a special ad category (job ads: EMPLOYMENT).

use super::bad;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::objects::graph_read;
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, Bounded, List, SpecialAdCategory, TargetingSearch, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Meta's targeting search.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account the search is for (its gate pays for the call).
    pub ad_account_id: AdAccountId,
    /// interest (by name), interest_suggestion (like `interests`), geo (places by name) or browse.
    pub kind: TargetingSearch,
    /// The text to search for (interest and geo).
    pub q: Option<Text<100>>,
    /// Interest names to find similar ones for (interest_suggestion).
    pub interests: Option<List<Text<100>, 10>>,
    /// Location types for geo: country, region, city, zip.
    pub location_types: Option<List<Text<20>, 4>>,
    /// Only options Meta allows for this special ad category (browse).
    pub regulated_category: Option<SpecialAdCategory>,
    /// How many results, 1 to 100 (default 25).
    pub limit: Option<Bounded<1, 100>>,
}

const LOCATION_TYPES: &[&str] = &["country", "region", "city", "zip"];

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Meta's targeting search: interests by name or similar to others, places by name, or the options an account may browse (optionally only those allowed for a special ad category).");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let limit = input.limit.map_or(25, |l| l.get()).to_string();
        let q = || input.q.as_ref().map(|q| q.as_str().to_string()).ok_or_else(|| bad("q", "is required for this kind of search"));
        let (path, mut params) = match input.kind {
            TargetingSearch::interest => ("search".to_string(), vec![("type".to_string(), "adinterest".to_string()), ("q".into(), q()?)]),
            TargetingSearch::interest_suggestion => {
                let names: Vec<&str> = input.interests.iter().flat_map(|l| l.items()).map(|t| t.as_str()).collect();
                if names.is_empty() {
                    return Err(bad("interests", "name at least one interest to find similar ones"));
                }
                ("search".to_string(), vec![("type".to_string(), "adinterestsuggestion".to_string()), ("interest_list".into(), json!(names).to_string())])
            }
            TargetingSearch::geo => {
                let types: Vec<&str> = input.location_types.iter().flat_map(|l| l.items()).map(|t| t.as_str()).collect();
                if let Some(t) = types.iter().find(|t| !LOCATION_TYPES.contains(t)) {
                    return Err(bad("location_types", format!("{} is not one of {}", crate::problem::excerpt(t), LOCATION_TYPES.join(", "))));
                }
                let mut p = vec![("type".to_string(), "adgeolocation".to_string()), ("q".into(), q()?)];
                if !types.is_empty() {
                    p.push(("location_types".into(), json!(types).to_string()));
                }
                ("search".to_string(), p)
            }
            TargetingSearch::browse => {
                let mut p = Vec::new();
                if let Some(c) = input.regulated_category.filter(|c| *c != SpecialAdCategory::NONE) {
                    p.push(("regulated_categories".to_string(), json!([c.as_str()]).to_string()));
                }
                (format!("act_{}/targetingbrowse", account.id), p)
            }
        };
        params.push(("limit".into(), limit));
        let found = graph_read(cx, &account, &path, &params).await?;
        Ok(Change::read(json!({ "kind": input.kind.as_str(), "data": found["data"] })))
    }
}
