//! `recruiter_paid_media_analytics/apply_budget_reallocation`: Moves daily budget between ad sets
//! of one account, from a suggestion (by id) or as given, keeping the total: only on fresh data,
//! within the daily cap and each ad set's cooldown, held to the guardrail and the account's cap,
//! with an approval for a rise above the thresholds. Undone by `rollback_optimization`.

use super::optimize::{self, Edit, Field, Ready};
use super::suggest_budget_reallocation::KIND;
use super::suggestion::{Suggestion, MAX_ID_CHARS};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media::bad;
use crate::db::ad_accounts;
use crate::db::optimizations;
use crate::domain::{AdAccountId, BudgetMinor, List, MetaId, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One ad set's new daily budget.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetChange {
    /// The Meta ad set id.
    pub ad_set_id: MetaId,
    /// Its new daily budget, in minor units.
    pub daily_budget_minor: BudgetMinor,
}

/// A suggestion to apply, or the changes themselves (one of the two).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// A `suggest_budget_reallocation` answer's `suggestion_id`.
    pub suggestion_id: Option<Text<MAX_ID_CHARS>>,
    /// New daily budgets (2 to 50 ad sets); their total must equal the current total.
    pub changes: Option<List<BudgetChange, 50>>,
}

pub struct Act;

/// One ad set's budget as asked: by whom (the input field) and, from a suggestion, the budget
/// it had when suggested.
struct Wanted {
    id: String,
    field: String,
    to: i64,
    seen: Option<String>,
}

fn wanted(cx: &Cx<'_>, input: &Input, account: &str) -> Result<Vec<Wanted>, Failure> {
    match (&input.suggestion_id, &input.changes) {
        (Some(id), None) => {
            let s = Suggestion::open(cx, "suggestion_id", id.as_str(), KIND, account)?;
            s.changes
                .into_iter()
                .map(|p| {
                    let to = p.2.parse::<i64>().map_err(|_| bad("suggestion_id", "holds an amount that is not a number"))?;
                    Ok(Wanted { id: p.0, field: "suggestion_id".into(), to, seen: Some(p.1) })
                })
                .collect()
        }
        (None, Some(list)) => {
            let items = list.items();
            if items.len() < 2 {
                return Err(bad("changes", "a reallocation moves budget between at least 2 ad sets (one ad set: update_ad_set_budget)"));
            }
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for (i, c) in items.iter().enumerate() {
                if !seen.insert(c.ad_set_id.as_str()) {
                    return Err(bad(&format!("changes[{i}].ad_set_id"), "names an ad set twice"));
                }
                out.push(Wanted { id: c.ad_set_id.as_str().into(), field: format!("changes[{i}].ad_set_id"), to: c.daily_budget_minor.get(), seen: None });
            }
            Ok(out)
        }
        _ => Err(bad("suggestion_id", "give either suggestion_id or changes")),
    }
}

impl Action for Act {
    type Input = Input;
    type Plan = Ready;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Moves daily budget between ad sets (a suggestion by id, or given changes; total unchanged) on fresh data only, within cooldowns, the daily cap, guardrails and approvals; undone with rollback_optimization.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Ready>, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let wanted = wanted(cx, input, &account.id)?;
        let settings = optimizations::settings(cx.ports, cx.workspace).await?;
        let (data_as_of, _) = optimize::fresh_data(cx, &account, &settings).await?;
        let reads: Vec<(String, String, ObjectKind)> = wanted.iter().map(|w| (w.field.clone(), w.id.clone(), ObjectKind::AdSet)).collect();
        let objects = optimize::read_objects(cx, &account, &reads).await?;
        let mut edits = Vec::new();
        let mut moved = Vec::new();
        for (w, object) in wanted.iter().zip(&objects) {
            let from = Field::DailyBudget
                .current(object)
                .ok_or_else(|| bad(&w.field, format!("{} has no daily budget (it uses a lifetime or campaign budget)", w.id)))?;
            if w.seen.as_ref().is_some_and(|seen| *seen != from) {
                moved.push(json!({ "ad_set_id": w.id, "daily_budget_when_suggested": w.seen, "daily_budget_now": from }));
            }
            edits.push(Edit { field: Field::DailyBudget, object_id: w.id.clone(), input: w.field.clone(), from, to: w.to.to_string() });
        }
        if !moved.is_empty() {
            let p = Problem::new("changed-since", "Changed Since The Suggestion", 409, "budgets changed since the suggestion was made; ask for a new one")
                .with_extension("differences", json!(moved));
            return Err(p.into());
        }
        let total = |f: fn(&Edit) -> &String| edits.iter().map(|e| f(e).parse::<i64>().unwrap_or(0)).fold(0i64, i64::saturating_add);
        let (before, after) = (total(|e| &e.from), total(|e| &e.to));
        if before != after {
            return Err(bad(
                "changes",
                format!("the new budgets total {after}, the current ones {before}: a reallocation keeps the total (to change it, use update_ad_set_budget)"),
            ));
        }
        edits.retain(|e| e.from != e.to);
        if edits.is_empty() {
            return Err(bad("changes", "every budget is already as asked"));
        }
        optimize::within_limits(cx, &settings, &edits).await?;
        let flags = optimize::money_policy(cx, &account, &edits).await?;
        let suggestion_kind = input.suggestion_id.is_some().then_some(KIND);
        Ok(Plan { account: Some(account.id.clone()), flags, state: Ready { account, edits, data_as_of, suggestion_kind } })
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, r: Ready) -> Result<Change, Failure> {
        r.apply(cx).await
    }
}
