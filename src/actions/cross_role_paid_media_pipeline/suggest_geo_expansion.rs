//! `cross_role_paid_media_pipeline/suggest_geo_expansion`: countries whose applicants qualify
//! clearly better than the account's (the lower bound of their qualified share above the
//! account's share, from enough applications) that an ad set buying qualified applicants
//! cheaply does not target yet. Each suggestion carries its evidence and, when the ad set's
//! audience reads back as a spec adgate can send, the `update_ad_set_targeting` input that adds
//! the country, checked against the special ad category's rules (for EMPLOYMENT: no postal
//! codes, radii of 15 miles or more) so it is never one Meta would refuse.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media_analytics::{look_back, LookBack};
use crate::db::ad_accounts;
use crate::db::insights_read::{self, Ask, Source};
use crate::domain::{AdAccountId, Bounded, SpecialAdCategory, Targeting};
use crate::failure::Failure;
use crate::ports::Query;
use crate::recruiting::funnel::{cost_per, pct, wilson_lower_pct};
use crate::recruiting::store;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The most suggestions one answer gives.
const MAX_SUGGESTIONS: usize = 50;

/// Where more spend would bring qualified applicants cheaper, by country.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// Whole days looked back, ending yesterday in the account's zone, 7 to 90 (default 28).
    pub look_back_days: Option<Bounded<7, 90>>,
    /// The fewest applications a country needs to be suggested, 10 to 100,000 (default 20).
    pub min_applications: Option<Bounded<10, 100_000>>,
}

#[derive(Deserialize)]
struct AdSet {
    id: String,
    name: Option<String>,
    targeting_json: Option<String>,
    categories: Option<String>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Suggest, summary: "Suggests countries to add to ad sets that buy qualified applicants cheaply: countries whose applicants qualify clearly better than the account's, with the evidence and an update_ad_set_targeting input that keeps to the special ad category's rules (EMPLOYMENT: no postal codes, radii of 15 miles or more).");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let LookBack { since, until, synced_at, .. } = look_back(cx, &account, input.look_back_days.map_or(28, |d| d.get())).await?;
        let min = input.min_applications.map_or(20, |m| m.get());
        let countries = store::stage_counts(cx.ports, cx.workspace, &account.id, &since, &until, "country").await?;
        let (apps, qualified) = countries.iter().fold((0, 0), |(a, q), r| (a + r.counts.applications, q + r.counts.qualified));
        let baseline = if apps > 0 { pct(qualified, apps) } else { 0.0 };
        let strong: Vec<(&str, &store::StageRow, f64)> = countries
            .iter()
            .filter_map(|r| Some((r.key.as_deref()?, r, wilson_lower_pct(r.counts.qualified, r.counts.applications)?)))
            .filter(|(_, r, score)| r.counts.applications >= min && *score > baseline)
            .collect();
        let sets: Vec<AdSet> = crate::db::all(
            cx.ports,
            Query::new(
                "SELECT s.id, s.name, s.targeting_json, c.special_ad_categories_json AS categories FROM meta_ad_sets s LEFT JOIN meta_campaigns c ON c.id = s.campaign_id AND c.workspace_id = s.workspace_id \
                 WHERE s.workspace_id = ?1 AND s.ad_account_id = ?2 AND s.effective_status = 'ACTIVE' ORDER BY s.id LIMIT 200",
                crate::binds![cx.workspace, account.id.as_str()],
            ),
        )
        .await?;
        let ids: Vec<String> = sets.iter().map(|s| s.id.clone()).collect();
        let meta = if ids.is_empty() {
            Vec::new()
        } else {
            insights_read::rows(cx.ports, &Ask::adsets_over(cx.workspace, &account.id, Source::Daily, (&since, &until), &ids, 201)).await?
        };
        let by_adset = store::stage_counts(cx.ports, cx.workspace, &account.id, &since, &until, "adset_id").await?;
        let cost = |id: &str| {
            let spend = meta.iter().find(|r| r.object_id.as_deref() == Some(id)).map(|r| r.sums.spend_minor);
            let q = by_adset.iter().find(|p| p.key.as_deref() == Some(id)).map(|p| p.counts.qualified);
            cost_per(spend, q)
        };
        let spend_all: i64 = meta.iter().map(|r| r.sums.spend_minor).sum();
        // The same ad sets on both sides: their spend over their qualified applicants.
        let qualified_all: i64 = by_adset.iter().filter(|p| p.key.as_ref().is_some_and(|k| ids.contains(k))).map(|p| p.counts.qualified).sum();
        let account_cost = cost_per(Some(spend_all), Some(qualified_all));
        let mut suggestions = Vec::new();
        for s in &sets {
            let Some(c) = cost(&s.id) else { continue };
            if account_cost.is_some_and(|a| c > a) {
                continue;
            }
            let targeting: Value = s.targeting_json.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
            let targeted: Vec<&str> =
                targeting["geo_locations"]["countries"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let category = crate::db::parsed(s.categories.as_deref())
                .as_array()
                .and_then(|a| a.iter().filter_map(Value::as_str).filter_map(SpecialAdCategory::parse).find(|c| c.is_restricted()));
            for (country, row, score) in strong.iter().filter(|(c, ..)| !targeted.contains(c)) {
                let mut proposed = targeting.clone();
                let apply_with = match proposed["geo_locations"]["countries"].as_array_mut() {
                    Some(list) => {
                        list.push(json!(country));
                        // Sent only when it reads back as a spec adgate checks and the category allows.
                        serde_json::from_value::<Targeting>(proposed.clone())
                            .ok()
                            .filter(|t| category.is_none_or(|c| t.restricted_refusals(c).is_empty()))
                            .map(|t| json!({ "action": "update_ad_set_targeting", "input": { "ad_account_id": format!("act_{}", account.id), "ad_set_id": s.id, "targeting": t } }))
                    }
                    None => None,
                };
                suggestions.push(json!({
                    "ad_set_id": s.id, "name": s.name, "add_country": country, "special_ad_category": category.map(|c| c.as_str()),
                    "evidence": { "applications": row.counts.applications, "qualified": row.counts.qualified, "hired": row.counts.hired,
                        "qualified_score": score, "account_qualified_pct": baseline, "ad_set_cost_per_qualified_minor": c, "account_cost_per_qualified_minor": account_cost },
                    "apply_with": apply_with,
                }));
            }
        }
        suggestions.truncate(MAX_SUGGESTIONS);
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "data_as_of": synced_at, "min_applications": min,
            "account_qualified_pct": baseline, "suggestions": suggestions,
            "rules": "countries only: applicants' countries are known, their cities are not Meta's keys; for EMPLOYMENT, HOUSING and CREDIT ads Meta allows no postal codes and no radius under 15 miles, and every suggestion keeps to that",
            "reason": if suggestions.is_empty() { json!("no country has enough applications whose qualified share is clearly above the account's, outside an efficient ad set's targeting") } else { Value::Null },
        })))
    }
}
