//! `recruiter_paid_media_analytics/suggest_creative_rotation`: For each active ad whose audience
//! tires of its creative (frequency up, CTR down), a fresh variant from the account's creatives
//! that no active ad shows, with the evidence. Writes nothing: `rotate_creative_variant` takes
//! the answer's `suggestion_id`.

use super::suggestion::{Proposed, Suggestion};
use super::{fatigued_ads, look_back, LookBack};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, Bounded};
use crate::failure::Failure;
use crate::ports::Query;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const KIND: &str = "creative_rotation";

/// What counts as a tired creative.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// Whole days looked back, ending yesterday in the account's zone, compared half against half (default 14).
    pub look_back_days: Option<Bounded<4, 28>>,
    /// Tired when the second half's frequency is at least this, in tenths (default 25: 2.5)...
    pub frequency_at_least_tenths: Option<Bounded<10, 1_000>>,
    /// ...and CTR fell by at least this percent between the halves (default 20).
    pub ctr_drop_pct: Option<Bounded<1, 100>>,
}

pub struct Act;

#[derive(Deserialize)]
struct AdRow {
    id: String,
    name: Option<String>,
    adset_id: Option<String>,
    creative_id: Option<String>,
}

#[derive(Deserialize)]
struct Fresh {
    id: String,
    name: Option<String>,
}

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Suggest, summary: "Suggests swapping each tired creative (frequency up, CTR down) for a fresh variant no active ad shows, with evidence; apply it with rotate_creative_variant.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let LookBack { since, until, second_half_from: split, synced_at } = look_back(cx, &account, input.look_back_days.map_or(14, |d| d.get())).await?;
        let frequency = input.frequency_at_least_tenths.map_or(25, |t| t.get()) as f64 / 10.0;
        let drop = input.ctr_drop_pct.map_or(20, |d| d.get()) as f64;
        let mut tired = fatigued_ads(cx.ports, cx.workspace, &account.id, (&since, &until, &split), frequency, drop).await?;
        tired.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
        let ids: Vec<String> = tired.iter().map(|t| t.0.clone()).collect();
        let ads: Vec<AdRow> = crate::db::all(
            cx.ports,
            Query::new(
                "SELECT id, name, adset_id, creative_id FROM meta_ads WHERE workspace_id = ?1 AND ad_account_id = ?2 AND effective_status = 'ACTIVE' \
                 AND id IN (SELECT value FROM json_each(?3))",
                crate::binds![cx.workspace, account.id.as_str(), Value::from(ids).to_string()],
            ),
        )
        .await?;
        let fresh: Vec<Fresh> = crate::db::all(
            cx.ports,
            Query::new(
                "SELECT c.id, c.name FROM meta_creatives c WHERE c.workspace_id = ?1 AND c.ad_account_id = ?2 AND COALESCE(c.status, 'ACTIVE') NOT IN ('DELETED', 'ARCHIVED') \
                 AND c.id NOT IN (SELECT creative_id FROM meta_ads WHERE workspace_id = ?1 AND ad_account_id = ?2 AND effective_status = 'ACTIVE' AND creative_id IS NOT NULL) \
                 ORDER BY length(c.id) DESC, c.id DESC LIMIT 200",
                crate::binds![cx.workspace, account.id.as_str()],
            ),
        )
        .await?;
        let mut variants = fresh.iter();
        let (mut changes, mut proposed, mut without) = (Vec::new(), Vec::new(), Vec::new());
        for (ad_id, freq, f) in &tired {
            let Some(ad) = ads.iter().find(|a| &a.id == ad_id) else { continue };
            let Some(from) = &ad.creative_id else { continue };
            let evidence = json!({ "frequency": freq, "signs": f.evidence() });
            match variants.next() {
                Some(v) => {
                    changes.push(json!({ "ad_id": ad.id, "name": ad.name, "adset_id": ad.adset_id, "from_creative_id": from, "to_creative_id": v.id, "to_creative_name": v.name, "evidence": evidence }));
                    proposed.push(Proposed(ad.id.clone(), from.clone(), v.id.clone()));
                }
                None => without.push(json!({ "ad_id": ad.id, "name": ad.name, "creative_id": from, "evidence": evidence })),
            }
        }
        let mut body = json!({
            "kind": KIND, "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "second_half_from": split, "data_as_of": synced_at,
            "frequency_at_least": frequency, "ctr_drop_pct": drop, "changes": changes, "without_variant": without,
        });
        if !without.is_empty() {
            body["advice"] = json!("some tired ads have no fresh variant to rotate to: create one (create_creative) and ask again");
        }
        Suggestion::new(cx, KIND, &account.id, &synced_at, proposed).offer(cx, &mut body, "rotate_creative_variant")?;
        Ok(Change::read(body))
    }
}
