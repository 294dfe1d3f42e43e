//! `governance_policies`: a workspace's guardrails, budget caps and approval thresholds, one
//! row per kind holding the validated JSON.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Row {
    value_json: Option<String>,
}

/// The workspace's stored policy of one kind.
pub async fn get(ports: &dyn Ports, ws: &str, kind: &str) -> Result<Option<Value>, Failure> {
    let row: Option<Row> =
        super::first(ports, Query::new("SELECT value_json FROM governance_policies WHERE workspace_id = ?1 AND kind = ?2", binds![ws, kind])).await?;
    Ok(row.map(|r| super::parsed(r.value_json.as_deref())).filter(|v| !v.is_null()))
}

#[derive(Deserialize)]
struct KindRow {
    kind: String,
    value_json: Option<String>,
}

/// Several kinds of the workspace's policies in one round trip, in the order asked.
pub async fn get_many<const N: usize>(ports: &dyn Ports, ws: &str, kinds: [&str; N]) -> Result<[Option<Value>; N], Failure> {
    let rows: Vec<KindRow> = super::all(
        ports,
        Query::new(
            "SELECT kind, value_json FROM governance_policies WHERE workspace_id = ?1 AND kind IN (SELECT value FROM json_each(?2))",
            binds![ws, serde_json::json!(kinds.as_slice()).to_string()],
        ),
    )
    .await?;
    Ok(kinds.map(|k| rows.iter().find(|r| r.kind == k).map(|r| super::parsed(r.value_json.as_deref())).filter(|v| !v.is_null())))
}

pub fn upsert(ws: &str, kind: &str, value: &Value, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO governance_policies (workspace_id, kind, value_json, updated_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT (workspace_id, kind) DO UPDATE SET value_json = excluded.value_json, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        binds![ws, kind, value.to_string(), by, now],
    )
}

/// The highest daily budget the workspace allows on `account` (minor units): the campaign
/// guardrail or the account's daily cap, whichever is lower; none when neither is set.
pub async fn daily_budget_ceiling(ports: &dyn Ports, ws: &str, account: &str) -> Result<Option<i64>, Failure> {
    let [guardrails, caps] = get_many(ports, ws, ["campaign_guardrails", "daily_budget_caps"]).await?;
    Ok([guardrails.as_ref().and_then(|g| g["max_daily_budget_minor"].as_i64()), caps.as_ref().and_then(|c| c["caps"][account].as_i64())]
        .into_iter()
        .flatten()
        .min())
}
