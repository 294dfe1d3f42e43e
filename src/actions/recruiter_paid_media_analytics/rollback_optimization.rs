//! `recruiter_paid_media_analytics/rollback_optimization`: Puts back exactly what an optimisation
//! changed (its snapshot), once. Refused (409, with each difference) when someone changed an
//! object since, so a rollback never overwrites a later decision. Restored budgets are held to
//! today's guardrails, caps and approvals; no freshness, cooldown or daily cap holds an undo.

use super::optimize::{self, Edit, Field};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media::bad;
use crate::db::ad_accounts::{self, BoundAccount};
use crate::db::optimizations;
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The optimisation to undo.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// An apply action's `optimization_id`.
    pub optimization_id: Text<64>,
}

pub struct Act;

#[derive(Debug, Default)]
pub struct Ready {
    account: BoundAccount,
    edits: Vec<Edit>,
}

impl Action for Act {
    type Input = Input;
    type Plan = Ready;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Puts back exactly what an optimisation changed, once; refused with the differences when an object was changed since.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Ready>, Failure> {
        let id = input.optimization_id.as_str();
        let rows = optimizations::get(cx.ports, cx.workspace, id).await?;
        let first = rows.first().ok_or_else(|| bad("optimization_id", "is not an optimisation of this workspace"))?;
        if let Some(at) = &first.rolled_back_at {
            let by = first.rolled_back_by.clone().unwrap_or_default();
            return Err(Problem::conflict(format!("{id} was rolled back at {at} by {by}; a rollback happens once")).into());
        }
        let account_id = AdAccountId::parse(&first.ad_account_id).ok_or_else(|| Failure::Internal("a stored account id does not parse".into()))?;
        let account = ad_accounts::bound(cx.ports, cx.workspace, "optimization_id", &account_id).await?;
        let mut edits = Vec::new();
        for r in &rows {
            let field = Field::parse(&r.field, &r.object_kind).ok_or_else(|| Failure::Internal(format!("unknown optimisation field {}", r.field)))?;
            edits.push(Edit {
                field,
                object_id: r.object_id.clone(),
                input: "optimization_id".into(),
                from: r.after_value.clone(),
                to: r.before_value.clone(),
            });
        }
        let reads: Vec<_> = edits.iter().map(|e| (e.input.clone(), e.object_id.clone(), e.field.kind())).collect();
        let objects = optimize::read_objects(cx, &account, &reads).await?;
        let differences: Vec<_> = edits
            .iter()
            .zip(&objects)
            .filter_map(|(e, o)| {
                let now = e.field.current(o);
                (now.as_deref() != Some(e.from.as_str()))
                    .then(|| json!({ "object_id": e.object_id, "field": e.field.as_str(), "set_by_optimization": e.from, "now": now, "would_restore": e.to }))
            })
            .collect();
        if !differences.is_empty() {
            let p =
                Problem::new("changed-since", "Changed Since The Optimisation", 409, format!("{id}: objects were changed after it; nothing was rolled back"))
                    .with_extension("differences", json!(differences));
            return Err(p.into());
        }
        let flags = optimize::money_policy(cx, &account, &edits).await?;
        Ok(Plan { account: Some(account.id.clone()), flags, state: Ready { account, edits } })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, r: Ready) -> Result<Change, Failure> {
        let id = input.optimization_id.as_str();
        let mark = optimizations::mark_rolled_back(cx.workspace, id, &cx.exec.person(), &cx.ports.now_iso());
        optimize::carry_out(cx, &r.account, &r.edits, None, vec![mark], json!({ "optimization_id": id, "rolled_back": true })).await
    }
}
