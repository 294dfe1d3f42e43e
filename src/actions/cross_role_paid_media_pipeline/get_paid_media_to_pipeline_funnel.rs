//! `cross_role_paid_media_pipeline/get_paid_media_to_pipeline_funnel`: impressions, clicks and
//! leads from the mirrors, then applications, qualified, interviewed, offered and hired from the
//! pipeline, each with its rate from the stage before and its cost, grouped as asked.

use super::{account_days, week_sql, COST_PER_HIRE_VARIANT};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read;
use crate::domain::{AdAccountId, Bounded, Day};
use crate::failure::Failure;
use crate::recruiting::funnel::Counts;
use crate::recruiting::{costs, store};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How to group the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Total,
    Campaign,
    Adset,
    Ad,
    Job,
    Location,
    Week,
}

impl By {
    /// The pipeline's grouping expression.
    fn pipeline_sql(self) -> String {
        match self {
            By::Total => "'total'".into(),
            By::Campaign => "campaign_id".into(),
            By::Adset => "adset_id".into(),
            By::Ad => "ad_id".into(),
            By::Job => "COALESCE(job_id, job_name)".into(),
            By::Location => "COALESCE(location, country)".into(),
            By::Week => week_sql("applied_date"),
        }
    }

    /// Meta's level and grouping expression; `None` where spend cannot be split (job, location).
    fn meta_sql(self) -> Option<(&'static str, String)> {
        match self {
            By::Total => Some(("campaign", "'total'".into())),
            By::Campaign => Some(("campaign", "object_id".into())),
            By::Adset => Some(("adset", "object_id".into())),
            By::Ad => Some(("ad", "object_id".into())),
            By::Week => Some(("campaign", week_sql("date"))),
            By::Job | By::Location => None,
        }
    }

    fn names_table(self) -> Option<&'static str> {
        match self {
            By::Campaign => Some("meta_campaigns"),
            By::Adset => Some("meta_ad_sets"),
            By::Ad => Some("meta_ads"),
            _ => None,
        }
    }
}

/// The funnel from impression to hire for an ad account over a range of days.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The first day: of Meta's figures, and of the applications counted (by the day they applied, UTC).
    pub since: Day,
    /// The last day (at most 1,100 days after `since`).
    pub until: Day,
    /// Group by total (default), campaign, adset, ad, job, location or week (weeks start on Monday).
    pub by: Option<By>,
    /// Most rows to return, 1 to 500 (default 100), largest spend then most applications first.
    pub limit: Option<Bounded<1, 500>>,
}

/// One row: Meta's figures with the pipeline's counts, and the pipeline's group behind them.
type Joined<'a> = (Counts, Option<&'a store::StageRow>);

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The funnel from impression to hire for an ad account: impressions, clicks and leads from the mirrors, then applications, qualified, interviewed, offered and hired from the pipeline, each with its rate from the stage before and its cost; by campaign, ad set, ad, job, location or week, with the join keys and the unattributed applications.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let (account, since, until) = account_days(cx, &input.ad_account_id, input.since, input.until).await?;
        let by = input.by.unwrap_or(By::Total);
        let pipeline = store::stage_counts(cx.ports, cx.workspace, &account.id, &since, &until, &by.pipeline_sql()).await?;
        let meta = match by.meta_sql() {
            Some((level, dim)) => Some(store::meta_figures(cx.ports, cx.workspace, &account.id, &since, &until, level, &dim).await?),
            None => None,
        };
        // Rows by key: Meta's figures and the pipeline's counts of the same object, week or group.
        let mut rows: BTreeMap<Option<String>, Joined> = BTreeMap::new();
        for (k, m) in meta.iter().flatten() {
            rows.entry(Some(k.clone())).or_default().0.meta = Some(*m);
        }
        for p in &pipeline {
            let e = rows.entry(p.key.clone()).or_default();
            let meta = e.0.meta;
            e.0 = Counts { meta, ..p.counts.clone() };
            e.1 = Some(p);
        }
        let mut total = Counts::default();
        for (c, _) in rows.values() {
            total.add(c);
        }
        if meta.is_some() && total.meta.is_none() {
            total.meta = Some(Default::default());
        }
        let mut ordered: Vec<(Option<String>, Joined)> = rows.into_iter().collect();
        ordered.sort_by_key(|(k, (c, _))| (std::cmp::Reverse(c.meta.map_or(0, |m| m.spend_minor)), std::cmp::Reverse(c.applications), k.clone()));
        let limit = input.limit.map_or(100, |l| l.get()) as usize;
        let more = ordered.len() > limit;
        ordered.truncate(limit);
        let ids: Vec<String> = ordered.iter().filter_map(|(k, _)| k.clone()).collect();
        let names = insights_read::names(cx.ports, cx.workspace, by.names_table(), &ids).await?;
        let data: Vec<Value> = ordered
            .iter()
            .map(|(k, (c, p))| {
                json!({
                    "key": k,
                    "name": names.iter().find(|(id, _)| Some(id) == k.as_ref()).map(|n| n.1.clone()),
                    "funnel": c.funnel(),
                    "spend_minor": c.meta.map(|m| m.spend_minor),
                    "cost_per_hire_minor": crate::recruiting::funnel::cost_per(c.meta.map(|m| m.spend_minor), Some(c.hired)),
                    "rejected": p.map_or(0, |p| p.rejected),
                    "withdrawn": p.map_or(0, |p| p.withdrawn),
                    "joined_by": p.map(|p| Value::Object(p.joined_by.clone())).unwrap_or(json!({})),
                    "mean_confidence": p.and_then(|p| p.confidence),
                })
            })
            .collect();
        let other_costs = costs::for_days(cx.ports, cx.workspace, &account.id, input.since.date(), input.until.date()).await?;
        let unattributed = store::unattributed(cx.ports, cx.workspace, &since, &until).await?;
        let (synced_at, _) = insights_read::freshness(cx.ports, cx.workspace, &account.id).await?;
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id),
            "since": since,
            "until": until,
            "by": by,
            "data": data,
            "more": more,
            "total": {
                "funnel": total.funnel(),
                "spend_minor": total.meta.map(|m| m.spend_minor),
                "cost_per_hire_minor": crate::recruiting::funnel::cost_per(total.meta.map(|m| m.spend_minor), Some(total.hired)),
                "cost_per_hire_total": total.meta.map(|m| costs::total_block(m.spend_minor, &other_costs, total.hired)),
            },
            "cost_per_hire_variant": COST_PER_HIRE_VARIANT,
            "cohort": "applications applied on these days (UTC), counted at every stage reached since; Meta's figures are the same days'",
            "meta_figures": if meta.is_some() { "from the daily mirrors, default attribution window" } else { "not split by job or location: Meta reports per ad object" },
            "unattributed": unattributed,
            "insights_synced_at": synced_at,
        })))
    }
}
