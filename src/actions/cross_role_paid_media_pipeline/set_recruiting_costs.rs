//! `cross_role_paid_media_pipeline/set_recruiting_costs`: an ad account's recruiting costs besides
//! Meta's ad spend, by month, so cost per hire can be shown as ANSI/SHRM 06001's total (ad spend,
//! other external and internal costs over hires) next to the paid-media-only figure.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::actions::recruiter_paid_media_analytics::bad;
use crate::db::ad_accounts;
use crate::domain::{AdAccountId, AmountMinor, List, Month};
use crate::failure::Failure;
use crate::ports::Query;
use crate::recruiting::costs;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One month's costs, in the account currency's minor units.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthInput {
    /// The month, `YYYY-MM`.
    pub month: Month,
    /// Internal recruiting costs: recruiters' and coordinators' time, tools, travel.
    pub internal_minor: AmountMinor,
    /// External costs other than Meta ad spend: agencies, job boards, events, background checks (default 0).
    pub other_external_minor: Option<AmountMinor>,
}

/// Months to set for an account; a month with both amounts zero is removed.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account the costs belong to (its currency).
    pub ad_account_id: AdAccountId,
    /// The months to set, at most 36, each at most once; other months are left as they are.
    pub months: List<MonthInput, 36>,
}

pub struct Act;

fn row_json(month: &str, internal: i64, external: i64) -> Value {
    json!({ "month": month, "internal_minor": internal, "other_external_minor": external })
}

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Sets an ad account's recruiting costs besides Meta ad spend (internal, and other external such as agencies and job boards) by month, so cost per hire is also shown as ANSI/SHRM 06001's total.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let months = input.months.items();
        if months.is_empty() {
            return Err(bad("months", "must name at least one month"));
        }
        for (i, m) in months.iter().enumerate() {
            if months[..i].iter().any(|o| o.month == m.month) {
                return Err(bad(&format!("months[{i}].month"), "names a month already given"));
            }
        }
        let (from, to) = (months.iter().map(|m| m.month).min(), months.iter().map(|m| m.month).max());
        let (from, to) = (from.map(|m| m.text()).unwrap_or_default(), to.map(|m| m.text()).unwrap_or_default());
        let held = costs::load(cx.ports, cx.workspace, &account.id, &from, &to).await?;
        let now = cx.ports.now_iso();
        let (mut before, mut after, mut removed, mut writes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for m in months {
            let month = m.month.text();
            if let Some(h) = held.iter().find(|h| h.first == m.month.first()) {
                before.push(row_json(&month, h.internal_minor, h.external_minor));
            }
            let (internal, external) = (m.internal_minor.get(), m.other_external_minor.map_or(0, |e| e.get()));
            writes.push(if internal == 0 && external == 0 {
                removed.push(month.clone());
                Query::new("DELETE FROM pipeline_costs WHERE workspace_id = ?1 AND ad_account_id = ?2 AND month = ?3", crate::binds![cx.workspace, account.id.as_str(), month.as_str()])
            } else {
                after.push(row_json(&month, internal, external));
                Query::new(
                    "INSERT INTO pipeline_costs (workspace_id, ad_account_id, month, internal_minor, external_minor, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (workspace_id, ad_account_id, month) DO UPDATE SET internal_minor = excluded.internal_minor, external_minor = excluded.external_minor, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    crate::binds![cx.workspace, account.id.as_str(), month.as_str(), internal, external, cx.exec.actor.as_str(), now.as_str()],
                )
            });
        }
        let body = json!({
            "ad_account_id": format!("act_{}", account.id),
            "months": after,
            "removed": removed,
            "variant": costs::TOTAL_VARIANT,
            "updated_at": now,
        });
        let record = Record {
            ad_account_id: Some(account.id.clone()),
            external_id: Some("pipeline_costs".into()),
            before: Some(json!({ "months": before })),
            after: Some(json!({ "months": after })),
        };
        Ok(Change::done(200, body, writes, record))
    }
}
