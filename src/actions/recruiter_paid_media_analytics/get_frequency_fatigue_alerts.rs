//! `recruiter_paid_media_analytics/get_frequency_fatigue_alerts`: Ads whose audience is seeing
//! them too often: frequency in the second half of the range at or above a threshold and rising,
//! while CTR falls, each with its evidence and the creative it shows. From the mirrors.

use super::{fatigued_ads, series_range};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts;
use crate::db::insights_read;
use crate::domain::{AdAccountId, Bounded, Day};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Ads showing frequency fatigue, with the evidence.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The first day, in the account's time zone.
    pub since: Day,
    /// The last day (at most 92 days after `since`).
    pub until: Day,
    /// Alert when the second half's frequency is at least this, in tenths (default 25: 2.5).
    pub frequency_at_least_tenths: Option<Bounded<10, 1_000>>,
    /// ...and CTR fell by at least this percent between the halves (default 20).
    pub ctr_drop_pct: Option<Bounded<1, 100>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Ads whose frequency reached a threshold and rose while CTR fell between the halves of a range, each with its evidence and creative, from the mirrors.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let (since, until, split) = series_range(input.since, input.until)?;
        let threshold = input.frequency_at_least_tenths.map_or(25, |t| t.get()) as f64 / 10.0;
        let drop = input.ctr_drop_pct.map_or(20, |d| d.get()) as f64;
        let alerts = fatigued_ads(cx.ports, cx.workspace, &account.id, (&since, &until, &split), threshold, drop).await?;
        let ids: Vec<String> = alerts.iter().map(|(ad, _, _)| ad.clone()).collect();
        let ads = cx
            .ports
            .rows(crate::ports::Query::new(
                "SELECT id, name, adset_id, campaign_id, creative_id, effective_status FROM meta_ads WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
                crate::binds![cx.workspace, Value::from(ids).to_string()],
            ))
            .await?;
        let mut data: Vec<Value> = alerts
            .into_iter()
            .map(|(ad, frequency, f)| {
                let m = ads.iter().find(|a| a["id"] == ad.as_str()).cloned().unwrap_or(Value::Null);
                json!({
                    "kind": "frequency_fatigue", "ad_id": ad, "name": m["name"], "adset_id": m["adset_id"], "campaign_id": m["campaign_id"],
                    "creative_id": m["creative_id"], "effective_status": m["effective_status"], "frequency": frequency, "evidence": f.evidence(),
                    "suggestion": "rotate in a fresh creative (suggest_creative_rotation) or widen the audience",
                })
            })
            .collect();
        data.sort_by(|a, b| b["frequency"].as_f64().partial_cmp(&a["frequency"].as_f64()).unwrap_or(std::cmp::Ordering::Equal));
        let (synced_at, tz) = insights_read::freshness(cx.ports, cx.workspace, &account.id).await?;
        Ok(Change::read(json!({
            "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "second_half_from": split,
            "frequency_at_least": threshold, "ctr_drop_pct": drop, "alerts": data, "source": "mirror",
            "freshness": { "insights_synced_at": synced_at, "time_zone": tz },
        })))
    }
}
