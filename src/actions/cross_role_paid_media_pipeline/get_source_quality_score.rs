//! `cross_role_paid_media_pipeline/get_source_quality_score`: per source, the share of applicants
//! who qualify and who are hired, scored by the lower bound of the qualified share so a source
//! with three applicants never outranks one with three hundred; too few applicants, no score.

use super::account_days;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read;
use crate::domain::{AdAccountId, Bounded, Day};
use crate::failure::Failure;
use crate::recruiting::funnel::{cost_per, pct, wilson_lower_pct};
use crate::recruiting::store;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The most sources one answer lists (best scores first).
const MAX_SOURCES: usize = 500;

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceBy {
    Campaign,
    Adset,
    Ad,
    Creative,
    Placement,
    Geo,
}

impl SourceBy {
    fn pipeline_sql(self) -> &'static str {
        match self {
            SourceBy::Campaign => "campaign_id",
            SourceBy::Adset => "adset_id",
            SourceBy::Ad => "ad_id",
            SourceBy::Creative => "(SELECT m.creative_id FROM meta_ads m WHERE m.id = a.ad_id AND m.workspace_id = a.workspace_id)",
            SourceBy::Placement => "lower(placement)",
            SourceBy::Geo => "COALESCE(country, location)",
        }
    }

    /// The mirror level whose spend a source has, and the table naming it.
    fn level(self) -> Option<(&'static str, &'static str)> {
        match self {
            SourceBy::Campaign => Some(("campaign", "meta_campaigns")),
            SourceBy::Adset => Some(("adset", "meta_ad_sets")),
            SourceBy::Ad => Some(("ad", "meta_ads")),
            SourceBy::Creative => Some(("", "meta_creatives")),
            _ => None,
        }
    }
}

/// The quality of each source of applicants for an ad account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The first day applicants applied (UTC).
    pub since: Day,
    /// The last day (at most 1,100 days after `since`).
    pub until: Day,
    /// A source is a campaign, adset, ad, creative, placement (the `placement` URL parameter) or geo (the applicant's country or location).
    pub by: SourceBy,
    /// The fewest applications a source needs for a score, 10 to 100,000 (default 20).
    pub min_applications: Option<Bounded<10, 100_000>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Per source (campaign, ad set, ad, creative, placement or geo) the share of applicants who qualify and who are hired, scored by the lower 95% bound of the qualified share, with no score below a minimum of applications.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let (account, since, until) = account_days(cx, &input.ad_account_id, input.since, input.until).await?;
        let min = input.min_applications.map_or(20, |m| m.get());
        let rows = store::stage_counts(cx.ports, cx.workspace, &account.id, &since, &until, input.by.pipeline_sql()).await?;
        let spend = match input.by.level() {
            Some((level, _)) if !level.is_empty() => store::meta_figures(cx.ports, cx.workspace, &account.id, &since, &until, level, "object_id").await?,
            _ => Vec::new(),
        };
        let ids: Vec<String> = rows.iter().filter_map(|r| r.key.clone()).collect();
        let names = insights_read::names(cx.ports, cx.workspace, input.by.level().map(|l| l.1), &ids).await?;
        let mut sources: Vec<(Option<f64>, Value)> = rows
            .iter()
            .map(|r| {
                let c = &r.counts;
                let enough = c.applications >= min;
                let score = if enough { wilson_lower_pct(c.qualified, c.applications) } else { None };
                let spent = spend.iter().find(|(k, _)| Some(k) == r.key.as_ref()).map(|(_, m)| m.spend_minor);
                (
                    score,
                    json!({
                        "source": r.key,
                        "name": names.iter().find(|(id, _)| Some(id) == r.key.as_ref()).map(|n| n.1.clone()),
                        "applications": c.applications,
                        "qualified": c.qualified,
                        "hired": c.hired,
                        "qualified_rate_pct": pct(c.qualified, c.applications.max(1)),
                        "hire_rate_pct": pct(c.hired, c.applications.max(1)),
                        "score": score,
                        "hire_score": if enough { wilson_lower_pct(c.hired, c.applications) } else { None },
                        "why_no_score": if enough { Value::Null } else { json!(format!("{} applications; a score needs at least {min}", c.applications)) },
                        "spend_minor": spent,
                        "cost_per_qualified_minor": cost_per(spent, Some(c.qualified)),
                        "cost_per_hire_minor": cost_per(spent, Some(c.hired)),
                    }),
                )
            })
            .collect();
        sources.sort_by(|a, b| b.0.unwrap_or(-1.0).total_cmp(&a.0.unwrap_or(-1.0)).then(b.1["applications"].as_i64().cmp(&a.1["applications"].as_i64())));
        let more = sources.len() > MAX_SOURCES;
        sources.truncate(MAX_SOURCES);
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id),
            "since": since,
            "until": until,
            "by": input.by,
            "min_applications": min,
            "score": "the lower bound of the 95% Wilson interval of the qualified share, in percent: a small sample cannot score high",
            "sources": sources.into_iter().map(|s| s.1).collect::<Vec<_>>(),
            "more": more,
        })))
    }
}
