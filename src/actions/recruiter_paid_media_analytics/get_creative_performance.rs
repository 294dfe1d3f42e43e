//! `recruiter_paid_media_analytics/get_creative_performance`: Each creative's performance across
//! every ad that shows it, over a range of up to 92 days, with signs of fatigue: frequency rising
//! and CTR falling from the first half of the range to the second.

use super::{add, bad, by_object, series_range, Fatigue, Metric, DEFAULT_METRICS};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts;
use crate::db::insights_read::{self, Sums};
use crate::domain::{AdAccountId, Day, List};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Each creative across its ads, with fatigue signs.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The first day, in the account's time zone.
    pub since: Day,
    /// The last day (at most 92 days after `since`).
    pub until: Day,
    /// Metrics to return (default: spend, impressions, clicks, ctr, cpc, cpm, leads, cpl).
    pub metrics: Option<List<Metric, 15>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Each creative's performance across every ad showing it over up to 92 days, with fatigue signs (frequency rising, CTR falling between the halves of the range), from the mirrors.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let (since, until, split) = series_range(input.since, input.until)?;
        let metrics: Vec<Metric> = input.metrics.as_ref().map(|m| m.items().to_vec()).unwrap_or_else(|| DEFAULT_METRICS.to_vec());
        let rows = insights_read::daily_series(cx.ports, cx.workspace, &account.id, &since, &until, true).await?;
        let series = by_object(&rows);
        if series.len() > 5_000 {
            return Err(bad("until", "more than 5,000 creatives delivered in this range; ask for a shorter one"));
        }
        let ids: Vec<String> = series.iter().map(|(id, _)| id.clone()).collect();
        let names = insights_read::names(cx.ports, cx.workspace, Some("meta_creatives"), &ids).await?;
        let mut data: Vec<Value> = series
            .iter()
            .map(|(id, days)| {
                let mut total = Sums::default();
                days.iter().for_each(|d| add(&mut total, &d.sums));
                let fatigue = Fatigue::of(days, &split);
                let mut o = Map::new();
                o.insert("creative_id".into(), json!(id));
                o.insert("name".into(), json!(names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone())));
                for m in &metrics {
                    o.insert(m.key().into(), m.value(&total));
                }
                o.insert("fatigue".into(), json!({ "signs": fatigue.fatigued(20.0, 20.0), "evidence": fatigue.evidence() }));
                Value::Object(o)
            })
            .collect();
        data.sort_by_key(|o| std::cmp::Reverse(o["spend_minor"].as_i64().unwrap_or(0)));
        let (synced_at, tz) = insights_read::freshness(cx.ports, cx.workspace, &account.id).await?;
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "second_half_from": split,
            "data": data, "source": "mirror", "freshness": { "insights_synced_at": synced_at, "time_zone": tz },
        })))
    }
}
