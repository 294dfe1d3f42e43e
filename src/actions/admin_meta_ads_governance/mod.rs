//! The `admin_meta_ads_governance` router: one file per action, and what its actions share
//! (stored policies, stopping an integration, quarantining an account).

use crate::actions::action::{Change, Cx, Plan, Record};
use crate::db::{ad_accounts, governance_policies, integrations};
use crate::domain::{AdAccountId, Bounded, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::records::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One of the workspace's integrations: the input of token health and refresh.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRef {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
}

/// How far back to look in Meta's answers: the input of the error digest and the rate-limit posture.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SinceHours {
    /// Look back this many hours (default 24).
    pub since_hours: Option<Bounded<1, 2_160>>,
}

impl SinceHours {
    /// The start of the look-back (default 24 hours) as ISO-8601 text.
    pub fn since(&self, now_millis: i64) -> String {
        let hours = self.since_hours.map(|h| h.get()).unwrap_or(24);
        crate::timefmt::iso_from_millis(now_millis - hours * 3_600_000)
    }
}

/// One of the workspace's integrations and why it is being stopped: quarantine and disable.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationStop {
    /// The integration (`int_...`), one of this workspace's.
    pub integration_id: Text<64>,
    /// Why, for the audit trail.
    pub reason: Text<500>,
}

/// A policy's fields as given (unset ones left out, so they keep their defaults); at least one.
pub fn given_fields<T: Serialize>(input: &T) -> Result<Value, Failure> {
    let mut v = serde_json::to_value(input).map_err(|e| Failure::Internal(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
        if o.is_empty() {
            return Err(FieldError { field: "input".into(), reason: "set at least one field".into() }.into());
        }
    }
    Ok(v)
}

/// Stores one policy of the workspace; the audit row says what it was before.
pub async fn set_policy(cx: &Cx<'_>, kind: &str, value: Value) -> Result<Change, Failure> {
    let before = governance_policies::get(cx.ports, cx.workspace, kind).await?;
    let now = cx.ports.now_iso();
    let write = governance_policies::upsert(cx.workspace, kind, &value, &cx.exec.actor, &now);
    let record = Record { external_id: Some(format!("policy:{kind}")), before, after: Some(value.clone()), ..Record::default() };
    Ok(Change::done(200, json!({ "workspace_id": cx.workspace, "policy": kind, "value": value, "updated_at": now }), vec![write], record))
}

/// Quarantines or disables an integration (a disabled one stays disabled).
pub async fn stop_integration(cx: &Cx<'_>, input: &IntegrationStop, status: &str) -> Result<Change, Failure> {
    let iid = input.integration_id.as_str();
    let before = integrations::status_of(cx.ports, cx.workspace, "integration_id", iid).await?;
    if before.status == "disabled" {
        return Err(Problem::conflict(format!("integration {iid} is disabled")).into());
    }
    let now = cx.ports.now_iso();
    let after = json!({ "id": iid, "status": status, "updated_at": now, "reason": input.reason.as_str() });
    let record = Record {
        external_id: Some(iid.to_string()),
        before: Some(json!({ "id": before.id, "status": before.status, "updated_at": before.updated_at })),
        after: Some(after.clone()),
        ..Record::default()
    };
    Ok(Change::done(200, after, vec![integrations::set_status(cx.workspace, iid, status, &now)], record))
}

/// Refuses an account that is not bound to the workspace.
pub async fn must_be_bound(cx: &Cx<'_>, account: &AdAccountId) -> Result<Plan<()>, Failure> {
    if !ad_accounts::is_bound(cx.ports, cx.workspace, account.digits()).await? {
        return Err(ad_accounts::not_bound("ad_account_id", account.digits()));
    }
    Ok(Plan { account: Some(account.digits().to_string()), ..Plan::go(()) })
}

/// Quarantines (`reason`) or releases an account at its gate: no Graph call for it is admitted
/// while it is quarantined.
pub async fn set_quarantine(cx: &Cx<'_>, account: &AdAccountId, reason: Option<&str>) -> Result<Change, Failure> {
    let (op, body) = match reason {
        Some(r) => ("quarantine", json!({ "reason": r })),
        None => ("release", json!({})),
    };
    cx.ports.gate(account.digits(), op, body).await?;
    let after = json!({ "ad_account_id": account.digits(), "quarantined": reason.is_some(), "reason": reason });
    let record = Record { ad_account_id: Some(account.digits().to_string()), external_id: Some(account.node()), before: None, after: Some(after.clone()) };
    Ok(Change::done(200, after, Vec::new(), record))
}

pub mod apply_api_version_upgrade;
pub mod disable_integration;
pub mod get_api_version_status;
pub mod get_approval_status;
pub mod get_audit_events;
pub mod get_meta_api_error_digest;
pub mod get_operations_digest;
pub mod get_rate_limit_posture;
pub mod get_token_health;
pub mod list_meta_integrations;
pub mod plan_api_version_upgrade;
pub mod quarantine_ad_account;
pub mod quarantine_integration;
pub mod rebind_ad_account;
pub mod refresh_system_user_token;
pub mod release_ad_account;
pub mod rotate_credentials;
pub mod run_audit_completeness_check;
pub mod set_approval_thresholds;
pub mod set_campaign_guardrails;
pub mod set_daily_budget_caps;
pub mod set_insights_settings;
pub mod set_notification_endpoint;
pub mod set_optimization_settings;
pub mod set_retention_policy;
