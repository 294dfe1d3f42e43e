//! `recruiter_paid_media_analytics/list_alerts`: The alerts stored after each insights sync
//! (pacing, overspend, delivery drop, CPL spike, frequency fatigue), open or closed, newest
//! first, each with its evidence.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::{ad_accounts, alerts};
use crate::domain::{AdAccountId, Bounded};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Pacing,
    Overspend,
    DeliveryDrop,
    CplSpike,
    FrequencyFatigue,
}

/// Which alerts to list.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Only this bound account's alerts.
    pub ad_account_id: Option<AdAccountId>,
    /// `open` or `closed` (default both).
    pub status: Option<Status>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<Bounded<1, 500>>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Bounded<0, 1_000_000>>,
}

fn text<T: Serialize>(v: Option<T>) -> Option<String> {
    v.and_then(|v| serde_json::to_value(v).ok()).and_then(|v| v.as_str().map(str::to_string))
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The stored alerts (pacing, overspend, delivery drop, CPL spike, frequency fatigue), open or closed, with their evidence.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = match &input.ad_account_id {
            Some(a) => Some(ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", a).await?.id),
            None => None,
        };
        let limit = input.limit.map_or(100, |l| l.get());
        let offset = input.cursor.map_or(0, |c| c.get());
        let (status, kind) = (text(input.status), text(input.kind));
        let filter = alerts::Filter { account: account.as_deref(), status: status.as_deref(), kind: kind.as_deref(), limit: limit + 1, offset };
        let mut rows = alerts::list(cx.ports, cx.workspace, &filter).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let data: Vec<Value> = rows
            .into_iter()
            .map(|a| {
                json!({ "id": a.id, "kind": a.kind, "status": a.status, "ad_account_id": format!("act_{}", a.ad_account_id), "object_id": a.object_id,
                    "object_level": a.object_level, "evidence": serde_json::from_str::<Value>(&a.evidence_json).unwrap_or(Value::Null),
                    "opened_at": a.opened_at, "last_seen_at": a.last_seen_at, "closed_at": a.closed_at })
            })
            .collect();
        Ok(Change::read(json!({ "data": data, "next_cursor": more.then_some(offset + limit) })))
    }
}
