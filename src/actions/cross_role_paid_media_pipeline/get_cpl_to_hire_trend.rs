//! `cross_role_paid_media_pipeline/get_cpl_to_hire_trend`: by week, what a lead, a qualified
//! applicant and a hire cost, with the lag from application to hire and the weeks whose hires
//! are still arriving.

use super::{account_days, week_sql, COST_PER_HIRE_VARIANT};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, Day};
use crate::failure::Failure;
use crate::recruiting::funnel::{cost_per, mature, percentile, DEFAULT_LAG_DAYS, MIN_HIRES_FOR_LAG};
use crate::recruiting::{costs, store};
use chrono::{Duration, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Weekly cost per lead, qualified applicant and hire for an ad account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The first day; weeks start on the Monday on or before it.
    pub since: Day,
    /// The last day (at most 1,100 days after `since`).
    pub until: Day,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Cost per lead, per qualified applicant and per hire by week for an ad account, with the lag from application to hire and which weeks are still immature (their hires still arriving).");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let (account, since, until) = account_days(cx, &input.ad_account_id, input.since, input.until).await?;
        let week = week_sql("applied_date");
        let pipeline = store::stage_counts(cx.ports, cx.workspace, &account.id, &since, &until, &week).await?;
        let meta = store::meta_figures(cx.ports, cx.workspace, &account.id, &since, &until, "campaign", &week_sql("date")).await?;
        let mut lags = store::hire_lags(cx.ports, cx.workspace, &account.id).await?;
        let measured = lags.len() >= MIN_HIRES_FOR_LAG;
        let median = percentile(&mut lags, 50.0);
        let p90 = percentile(&mut lags, 90.0);
        let horizon = if measured { p90.unwrap_or(DEFAULT_LAG_DAYS) } else { DEFAULT_LAG_DAYS };
        let today = chrono::DateTime::from_timestamp_millis(cx.ports.now_millis()).map(|t| t.date_naive()).unwrap_or_default();
        let mut weeks: BTreeMap<String, (Option<store::StageRow>, i64, i64)> = BTreeMap::new();
        for (k, m) in &meta {
            let e = weeks.entry(k.clone()).or_default();
            (e.1, e.2) = (m.spend_minor, m.leads);
        }
        for p in pipeline {
            if let Some(k) = p.key.clone() {
                weeks.entry(k).or_default().0 = Some(p);
            }
        }
        let data: Vec<Value> = weeks
            .iter()
            .map(|(start, (p, spend, leads))| {
                let c = p.as_ref().map(|p| p.counts.clone()).unwrap_or_default();
                let last = NaiveDate::parse_from_str(start, "%Y-%m-%d").map(|d| d + Duration::days(6)).unwrap_or(today);
                json!({
                    "week_start": start,
                    "spend_minor": spend,
                    "leads": leads,
                    "cost_per_lead_minor": cost_per(Some(*spend), Some(*leads)),
                    "applications": c.applications,
                    "qualified": c.qualified,
                    "cost_per_qualified_minor": cost_per(Some(*spend), Some(c.qualified)),
                    "hired": c.hired,
                    "cost_per_hire_minor": cost_per(Some(*spend), Some(c.hired)),
                    "immature": !mature(last, today, horizon),
                })
            })
            .collect();
        let spend: i64 = meta.iter().map(|(_, m)| m.spend_minor).sum();
        let hires_in_range = store::hires_in(cx.ports, cx.workspace, &account.id, &since, &until).await?;
        let other_costs = costs::for_days(cx.ports, cx.workspace, &account.id, input.since.date(), input.until.date()).await?;
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id),
            "since": since,
            "until": until,
            "weeks": data,
            "lag_days": {
                "from": "application (an Instant Form lead's is its click) to hire",
                "hires_measured": lags.len(),
                "median": median,
                "p90": p90,
                "immature_after": horizon,
                "basis": if measured { "the account's hires" } else { "too few hires to measure: a default of 60 days" },
            },
            "cost_per_hire": {
                "variant": COST_PER_HIRE_VARIANT,
                "spend_minor": spend,
                "hires": hires_in_range,
                "cost_per_hire_minor": cost_per(Some(spend), Some(hires_in_range)),
                "hires_counted": "hires made on these days, whenever they applied",
            },
            "cost_per_hire_total": costs::total_block(spend, &other_costs, hires_in_range),
            "weekly_costs": "each week's spend over what that week's applicants have reached so far",
        })))
    }
}
