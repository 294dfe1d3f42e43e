//! `admin_meta_ads_governance/apply_api_version_upgrade`: Pins the workspace to the Graph API version of an upgrade plan that found nothing blocking, made from the version in use within the last 7 days; every later call of the workspace uses it (META_API_VERSION stays the default of unpinned workspaces).

use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, ADMIN};
use crate::db::api_versions;
use crate::domain::Text;
use crate::failure::Failure;
use crate::records::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Pins the workspace to the version of a safe, recent upgrade plan.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The plan (`avp_...`) from plan_api_version_upgrade.
    pub plan_id: Text<64>,
}

/// A plan older than this is stale: Meta's answers may have changed since.
const PLAN_MAX_AGE_MS: i64 = 7 * 86_400_000;

pub struct Act;

fn bad(reason: impl Into<String>) -> Failure {
    FieldError { field: "plan_id".into(), reason: reason.into() }.into()
}

impl Action for Act {
    type Input = Input;
    type Plan = Value;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Pins the workspace to the Graph API version of an upgrade plan that found nothing blocking, made from the version in use within the last 7 days; every later call of the workspace uses it (META_API_VERSION stays the default of unpinned workspaces).");

    /// The plan must be this workspace's, safe, recent and made from the version in use.
    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Value>, Failure> {
        let plan =
            api_versions::plan(cx.ports, cx.workspace, input.plan_id.as_str()).await?.ok_or_else(|| bad("no upgrade plan with this id in this workspace"))?;
        let report = crate::db::parsed(Some(&plan.report_json));
        if report["safe"] != true {
            let n = report["blocking"].as_array().map_or(0, Vec::len);
            return Err(bad(format!("the plan found {n} blocking difference(s) at {}; resolve them and plan again", plan.to_version)));
        }
        let (current, pinned) = api_versions::effective(cx.ports, cx.workspace).await?;
        if current != plan.from_version {
            return Err(bad(format!("the plan was made from {} but the workspace now uses {current}; plan again", plan.from_version)));
        }
        let age = crate::timefmt::millis_from_iso(&plan.created_at).map(|t| cx.ports.now_millis() - t);
        if age.is_none_or(|a| a > PLAN_MAX_AGE_MS) {
            return Err(bad("the plan is more than 7 days old; plan again"));
        }
        Ok(Plan::go(json!({ "api_version": current, "pinned": pinned, "plan": { "id": plan.id, "to_version": plan.to_version } })))
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, before: Value) -> Result<Change, Failure> {
        let (from, to, plan_id) = (
            before["api_version"].as_str().unwrap_or_default(),
            before["plan"]["to_version"].as_str().unwrap_or_default(),
            before["plan"]["id"].as_str().unwrap_or_default(),
        );
        let now = cx.ports.now_iso();
        let write = api_versions::pin(cx.workspace, to, from, plan_id, &cx.exec.actor, &now);
        let after = json!({ "api_version": to, "previous_version": from, "plan_id": plan_id, "pinned_at": now });
        let record = Record {
            external_id: Some(plan_id.to_string()),
            before: Some(json!({ "api_version": from, "pinned": before["pinned"] })),
            after: Some(after.clone()),
            ..Record::default()
        };
        Ok(Change::done(200, after, vec![write], record))
    }
}
