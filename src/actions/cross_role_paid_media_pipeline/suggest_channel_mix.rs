//! `cross_role_paid_media_pipeline/suggest_channel_mix`: moves daily budget between ad sets by
//! what a qualified applicant (or a hire) costs there, not what a lead costs: the ad sets whose
//! applicants qualify cheaply get more. Only ad sets with enough applications take part. The
//! answer is a budget reallocation suggestion: `apply_budget_reallocation` applies it, under the
//! same guardrails, approvals and undo as any other.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media_analytics::suggest_budget_reallocation::KIND;
use crate::actions::recruiter_paid_media_analytics::suggestion::{active_ad_sets, leads_per_day, offer_reallocation, reallocate, AdSetResult, Limits};
use crate::actions::recruiter_paid_media_analytics::{look_back, LookBack};
use crate::db::insights_read::{self, Ask, Source};
use crate::db::{ad_accounts, governance_policies};
use crate::domain::{AdAccountId, AmountMinor, Bounded, MetaId};
use crate::failure::Failure;
use crate::recruiting::funnel::{cost_per, wilson_lower_pct};
use crate::recruiting::store;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What a good ad set buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Qualified,
    Hired,
}

/// Where more spend would bring qualified applicants (or hires) cheaper.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// Only this campaign's ad sets (default: every active ad set with a daily budget).
    pub campaign_id: Option<MetaId>,
    /// Whole days looked back, ending yesterday in the account's zone, 7 to 90 (default 28: applicants take time to qualify).
    pub look_back_days: Option<Bounded<7, 90>>,
    /// What to buy cheaper: qualified applicants (default) or hires.
    pub outcome: Option<Outcome>,
    /// The fewest applications an ad set needs to take part, 10 to 100,000 (default 20).
    pub min_applications: Option<Bounded<10, 100_000>>,
    /// The share of a dear ad set's budget moved, in percent (default 20).
    pub max_shift_pct: Option<Bounded<1, 50>>,
    /// No budget is suggested below this, in minor units (default 500).
    pub min_budget_minor: Option<AmountMinor>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Suggest, summary: "Suggests moving daily budget from ad sets whose qualified applicants (or hires) cost more to those where they cost less, among ad sets with enough applications, with the pipeline evidence; apply it with apply_budget_reallocation.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let LookBack { since, until, synced_at, .. } = look_back(cx, &account, input.look_back_days.map_or(28, |d| d.get())).await?;
        let sets = active_ad_sets(cx, &account.id, input.campaign_id.as_ref()).await?;
        let ids: Vec<String> = sets.iter().map(|s| s.id.clone()).collect();
        let ask = Ask::adsets_over(cx.workspace, &account.id, Source::Daily, (&since, &until), &ids, 201);
        let meta = if ids.is_empty() { Vec::new() } else { insights_read::rows(cx.ports, &ask).await? };
        let pipeline = store::stage_counts(cx.ports, cx.workspace, &account.id, &since, &until, "adset_id").await?;
        let outcome = input.outcome.unwrap_or(Outcome::Qualified);
        let min = input.min_applications.map_or(20, |m| m.get());
        let mut eligible = Vec::new();
        let mut evidence = Vec::new();
        for s in &sets {
            let sums = meta.iter().find(|r| r.object_id.as_deref() == Some(&s.id)).map(|r| r.sums).unwrap_or_default();
            let c = pipeline.iter().find(|p| p.key.as_deref() == Some(&s.id)).map(|p| p.counts.clone()).unwrap_or_default();
            let bought = if outcome == Outcome::Qualified { c.qualified } else { c.hired };
            let enough = c.applications >= min;
            if enough {
                eligible.push(AdSetResult { id: s.id.clone(), daily_budget: s.daily_budget, spend: sums.spend_minor, leads: bought });
            }
            evidence.push(json!({
                "ad_set_id": s.id, "name": s.name, "daily_budget_minor": s.daily_budget, "spend_minor": sums.spend_minor, "leads": sums.leads,
                "applications": c.applications, "qualified": c.qualified, "hired": c.hired,
                "cost_per_qualified_minor": cost_per(Some(sums.spend_minor), Some(c.qualified)), "cost_per_hire_minor": cost_per(Some(sums.spend_minor), Some(c.hired)),
                "qualified_score": wilson_lower_pct(c.qualified, c.applications),
                "takes_part": enough,
                "why_not": if enough { Value::Null } else { json!(format!("{} applications; taking part needs {min}", c.applications)) },
            }));
        }
        let max_budget = governance_policies::daily_budget_ceiling(cx.ports, cx.workspace, &account.id).await?;
        let limits = Limits { shift_pct: input.max_shift_pct.map_or(20, |p| p.get()), min_budget: input.min_budget_minor.map_or(500, |m| m.get()), max_budget };
        let moves = reallocate(&eligible, limits);
        let to = |a: &AdSetResult| moves.iter().find(|m| m.0 == a.id).map_or(a.daily_budget, |m| m.2);
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let per_day = if outcome == Outcome::Qualified { "qualified_per_day" } else { "hires_per_day" };
        let mut body = json!({
            "kind": KIND, "ad_account_id": format!("act_{}", account.id), "since": since, "until": until, "data_as_of": synced_at,
            "outcome": outcome, "min_applications": min, "evidence": evidence,
        });
        let mut effect = serde_json::Map::new();
        effect.insert(format!("{per_day}_before"), json!(round(leads_per_day(&eligible, |a| a.daily_budget))));
        effect.insert(format!("{per_day}_after"), json!(round(leads_per_day(&eligible, to))));
        effect.insert("assumption".into(), json!("each ad set keeps what an applicant costs and how many qualify over the look-back; recent applicants may still qualify, so read this as a direction"));
        body["expected_effect"] = Value::Object(effect);
        if moves.is_empty() {
            body["reason"] = json!("no ad set with enough applications has outcomes clearly (20%) dearer than the group's while another's are clearly cheaper");
        }
        offer_reallocation(cx, &account.id, &synced_at, &sets, &moves, limits, &mut body)?;
        Ok(Change::read(body))
    }
}
