//! `recruiter_paid_media_analytics/suggest_budget_reallocation`: Moves budget from ad sets whose
//! leads cost more than the group's to those whose leads cost less, within the guardrail and the
//! account's cap, with the evidence and the expected effect. Writes nothing: the answer's
//! `suggestion_id` is what `apply_budget_reallocation` takes.

use super::suggestion::{active_ad_sets, leads_per_day, offer_reallocation, reallocate, AdSetResult, Limits};
use super::{look_back, LookBack, Metric};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read::{self, Ask, Source};
use crate::db::{ad_accounts, governance_policies};
use crate::domain::{AdAccountId, AmountMinor, Bounded, MetaId};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const KIND: &str = super::suggestion::REALLOCATION_KIND;

/// Where to look for a better split of the daily budget.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// Only this campaign's ad sets (default: every active ad set with a daily budget).
    pub campaign_id: Option<MetaId>,
    /// Whole days looked back, ending yesterday in the account's time zone (default 7).
    pub look_back_days: Option<Bounded<3, 28>>,
    /// The share of a dear ad set's budget moved, in percent (default 20).
    pub max_shift_pct: Option<Bounded<1, 50>>,
    /// No budget is suggested below this, in minor units (default 500).
    pub min_budget_minor: Option<AmountMinor>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Suggest, summary: "Suggests moving daily budget from ad sets with dear leads to ad sets with cheap ones (total unchanged, within guardrails), with evidence and expected effect; apply it with apply_budget_reallocation.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let LookBack { since, until, synced_at, .. } = look_back(cx, &account, input.look_back_days.map_or(7, |d| d.get())).await?;
        let sets = active_ad_sets(cx, &account.id, input.campaign_id.as_ref()).await?;
        let ids: Vec<String> = sets.iter().map(|s| s.id.clone()).collect();
        let ask = Ask::adsets_over(cx.workspace, &account.id, Source::Daily, (&since, &until), &ids, 201);
        let rows = if ids.is_empty() { Vec::new() } else { insights_read::rows(cx.ports, &ask).await? };
        let sums = |id: &str| rows.iter().find(|r| r.object_id.as_deref() == Some(id)).map(|r| r.sums).unwrap_or_default();
        let results: Vec<AdSetResult> = sets
            .iter()
            .map(|s| AdSetResult { id: s.id.clone(), daily_budget: s.daily_budget, spend: sums(&s.id).spend_minor, leads: sums(&s.id).leads })
            .collect();
        let max_budget = governance_policies::daily_budget_ceiling(cx.ports, cx.workspace, &account.id).await?;
        let limits = Limits { shift_pct: input.max_shift_pct.map_or(20, |p| p.get()), min_budget: input.min_budget_minor.map_or(500, |m| m.get()), max_budget };
        let moves = reallocate(&results, limits);
        let to = |a: &AdSetResult| moves.iter().find(|m| m.0 == a.id).map_or(a.daily_budget, |m| m.2);
        let evidence: Vec<Value> = sets
            .iter()
            .zip(&results)
            .map(|(s, r)| {
                json!({ "ad_set_id": s.id, "name": s.name, "daily_budget_minor": s.daily_budget, "spend_minor": r.spend, "leads": r.leads, "cpl_minor": Metric::Cpl.value(&sums(&s.id)) })
            })
            .collect();
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let (before, after) = (leads_per_day(&results, |a| a.daily_budget), leads_per_day(&results, to));
        let mut body = json!({
            "kind": KIND, "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "data_as_of": synced_at,
            "evidence": evidence,
            "expected_effect": { "leads_per_day_before": round(before), "leads_per_day_after": round(after),
                "assumption": "each ad set keeps its cost per lead over the look-back; delivery rarely scales evenly, so read this as a direction" },
        });
        if moves.is_empty() {
            body["reason"] = json!("no ad set's leads cost clearly (20%) more than the group's while another's cost clearly less, or no leads in the range");
        }
        offer_reallocation(cx, &account.id, &synced_at, &sets, &moves, limits, &mut body)?;
        Ok(Change::read(body))
    }
}
