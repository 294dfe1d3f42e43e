//! What the rule actions share: a rule is managed by an admin or by its owner, and a rule spec
//! is checked against the workspace's budget caps before it is stored.

use super::bad;
use crate::actions::action::Cx;
use crate::api_keys::Role;
use crate::db::rules::{self, Rule};
use crate::db::{governance_policies, insights_read, members};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::rules::spec::RuleSpec;

/// The rule `id` names, if the caller may change it: an admin (or the platform operator) any
/// rule of the workspace, a recruiter their own.
pub async fn managed(cx: &Cx<'_>, id: &str) -> Result<Rule, Failure> {
    let rule = rules::get(cx.ports, cx.workspace, id).await?.ok_or_else(|| bad("rule_id", "is not a rule of this workspace"))?;
    if let Some(member) = cx.exec.member_id.as_deref() {
        let role = members::member_of(cx.ports, cx.workspace, member).await?.and_then(|m| Role::parse(&m.role));
        if role != Some(Role::Admin) && member != rule.owner_member_id {
            return Err(Problem::forbidden(format!("rule {id} belongs to another member: only its owner or an admin manages it")).into());
        }
    }
    Ok(rule)
}

/// The person a new rule acts for: a member (the bootstrap key is no one to act under).
pub fn owner(cx: &Cx<'_>) -> Result<String, Failure> {
    cx.exec.member_id.clone().ok_or_else(|| Problem::forbidden("a rule acts under its owner: create it with a member's key, not the bootstrap key").into())
}

/// Checks `spec` (problems named under `rule.`) against the guardrail and the account's cap, and
/// gives its first scheduled run in the account's zone.
pub async fn checked(cx: &Cx<'_>, account: &str, spec: &RuleSpec) -> Result<Option<String>, Failure> {
    let max_budget = governance_policies::daily_budget_ceiling(cx.ports, cx.workspace, account).await?;
    spec.check("rule.", max_budget)?;
    let (_, tz) = insights_read::freshness(cx.ports, cx.workspace, account).await?;
    Ok(spec.next_run_ms(&tz, cx.ports.now_millis()).map(crate::timefmt::iso_from_millis))
}

/// Moves a rule from one of `from` to `to`, audited with the status before and after; 409 from
/// any other status (or when it is already `to`).
pub fn move_status(cx: &Cx<'_>, rule: Rule, from: &[&str], to: &str) -> Result<crate::actions::action::Change, Failure> {
    use crate::actions::action::{Change, Record};
    if rule.status == to || !from.contains(&rule.status.as_str()) {
        let why = rule.status_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        return Err(Problem::conflict(format!("rule {} is {}{why}", rule.id, rule.status)).into());
    }
    let now = cx.ports.now_iso();
    let record = Record {
        ad_account_id: Some(rule.ad_account_id.clone()),
        external_id: Some(rule.id.clone()),
        before: Some(serde_json::json!({ "status": rule.status })),
        after: Some(serde_json::json!({ "status": to })),
    };
    let body = serde_json::json!({ "rule_id": rule.id, "status": to, "was": rule.status, "at": now });
    Ok(Change::done(200, body, vec![rules::set_status(cx.workspace, &rule.id, to, None, &now)], record))
}
