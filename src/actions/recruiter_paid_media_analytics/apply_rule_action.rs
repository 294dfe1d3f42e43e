//! `recruiter_paid_media_analytics/apply_rule_action`: What a rule does to one object (pause,
//! resume, a new daily budget, another creative), as a governed change under the rule's owner:
//! only while the rule is active, on fresh data, with the object as the rule saw it, within the
//! workspace's cooldowns and daily cap, guardrails and approvals. Undone by `rollback_optimization`.

use super::optimize::{self, Edit, Field, Origin};
use super::suggestion::MAX_ID_CHARS;
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::recruiter_paid_media::bad;
use crate::db::ad_accounts::{self, BoundAccount};
use crate::db::{optimizations, rules};
use crate::domain::{AdAccountId, Text};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::rules::evaluate;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

const PURPOSE: &str = "rule-decision";
/// A decision waits at most this long (an approval it needs included).
const LIFETIME_MS: i64 = 3 * 86_400_000;

/// What a rule's run decided for one object, sealed so no caller can alter it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub workspace: String,
    pub account: String,
    pub rule_id: String,
    pub run_id: String,
    /// `campaigns`, `adsets` or `ads`.
    pub kind: String,
    pub edit: evaluate::Edit,
    pub data_as_of: String,
    pub expires_ms: i64,
}

impl Decision {
    pub fn new(run: &rules::Run, account: &str, kind: ObjectKind, e: &evaluate::Edit, data_as_of: &str, now_ms: i64) -> Decision {
        Decision {
            workspace: run.workspace_id.clone(),
            account: account.into(),
            rule_id: run.rule_id.clone(),
            run_id: run.id.clone(),
            kind: kind.as_str().into(),
            edit: e.clone(),
            data_as_of: data_as_of.into(),
            expires_ms: now_ms.saturating_add(LIFETIME_MS),
        }
    }

    pub fn seal(&self, ports: &dyn crate::ports::Ports) -> Result<String, Failure> {
        ports.seal(PURPOSE, &json!(self))
    }
}

/// The decision to carry out.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// A rule run's `decision_id` for one object.
    pub decision_id: Text<MAX_ID_CHARS>,
}

pub struct Act;

#[derive(Debug, Default)]
pub struct Ready {
    account: BoundAccount,
    edit: Option<Edit>,
    data_as_of: String,
    rule_id: String,
    run_id: String,
}

fn open(cx: &Cx<'_>, input: &Input, account: &str) -> Result<Decision, Failure> {
    let d = cx
        .ports
        .open(PURPOSE, input.decision_id.as_str())?
        .and_then(|v| serde_json::from_value::<Decision>(v).ok())
        .filter(|d| d.workspace == cx.workspace)
        .ok_or_else(|| bad("decision_id", "is not a rule decision adgate made for this workspace"))?;
    if d.account != account {
        return Err(bad("decision_id", format!("was made for act_{}, not act_{account}", d.account)));
    }
    if cx.ports.now_millis() > d.expires_ms {
        return Err(Problem::new("decision-expired", "Decision Expired", 409, "decision_id: the rule's decision expired; its next run decides again").into());
    }
    Ok(d)
}

impl Action for Act {
    type Input = Input;
    type Plan = Ready;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Carries out a rule's decision for one object (pause, resume, a new daily budget, another creative) under the rule's owner, on fresh data only, within cooldowns, the daily cap, guardrails and approvals; undone with rollback_optimization.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Ready>, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let d = open(cx, input, &account.id)?;
        let rule = rules::get(cx.ports, cx.workspace, &d.rule_id).await?;
        match rule.as_ref().map(|r| r.status.as_str()) {
            Some("active") => {}
            status => return Err(Problem::conflict(format!("decision_id: rule {} is {}; it no longer acts", d.rule_id, status.unwrap_or("deleted"))).into()),
        }
        let kind = ObjectKind::parse(&d.kind).ok_or_else(|| Failure::Internal("a sealed decision names no object kind".into()))?;
        let field = Field::parse(&d.edit.field, kind.as_str()).ok_or_else(|| Failure::Internal("a sealed decision names no field".into()))?;
        let settings = optimizations::settings(cx.ports, cx.workspace).await?;
        let (data_as_of, _) = optimize::fresh_data(cx, &account, &settings).await?;
        let object = optimize::read_objects(cx, &account, &[("decision_id".into(), d.edit.object_id.clone(), kind)]).await?;
        let now = object.first().and_then(|o| field.current(o));
        if now.as_deref() != Some(d.edit.from.as_str()) {
            let p = Problem::new("changed-since", "Changed Since The Rule Decided", 409, "the object changed since the rule's run; its next run decides again")
                .with_extension("differences", json!([{ "object_id": d.edit.object_id, "field": d.edit.field, "when_decided": d.edit.from, "now": now }]));
            return Err(p.into());
        }
        let edit = Edit { field, object_id: d.edit.object_id.clone(), input: "decision_id".into(), from: d.edit.from.clone(), to: d.edit.to.clone() };
        optimize::within_limits(cx, &settings, std::slice::from_ref(&edit)).await?;
        let flags = optimize::money_policy(cx, &account, std::slice::from_ref(&edit)).await?;
        Ok(Plan { account: Some(account.id.clone()), flags, state: Ready { account, edit: Some(edit), data_as_of, rule_id: d.rule_id, run_id: d.run_id } })
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, r: Ready) -> Result<Change, Failure> {
        let edit = r.edit.ok_or_else(|| Failure::Internal("a rule action without its edit".into()))?;
        let origin = Origin { suggestion_kind: Some("rule"), data_as_of: Some(&r.data_as_of) };
        let body = json!({ "rule_id": r.rule_id, "run_id": r.run_id, "data_as_of": r.data_as_of });
        optimize::carry_out(cx, &r.account, std::slice::from_ref(&edit), Some(origin), Vec::new(), body).await
    }
}
