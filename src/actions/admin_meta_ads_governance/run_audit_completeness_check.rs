//! `admin_meta_ads_governance/run_audit_completeness_check`: Checks now, for this workspace,
//! that every write sent to Meta has its audit row and every audit row's writes were sent (as
//! the daily tick does for all workspaces); each difference is recorded as a gap once and
//! becomes a service alert.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::domain::Bounded;
use crate::failure::Failure;
use crate::ops::audit_check;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// How far back to look, in hours (default 48, at most 90 days); the last 10 minutes are
    /// left to work still in flight.
    pub hours: Option<Bounded<1, 2_160>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Checks that every write sent to Meta has its audit row and the reverse, over a window; records each gap once and raises a service alert for it.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let hours = input.hours.map_or(audit_check::DEFAULT_WINDOW_HOURS, |h| h.get());
        let checked = audit_check::run(cx.ports, Some(cx.workspace), hours, &format!("action:{}", cx.exec.actor)).await?;
        let body = json!({ "workspace_id": cx.workspace, "from": checked.from, "to": checked.to, "gaps": checked.gaps, "new_gaps": checked.new_gaps });
        let record = Record {
            external_id: Some("audit:completeness".into()),
            after: Some(json!({ "gaps": checked.gaps.len(), "new_gaps": checked.new_gaps, "hours": hours })),
            ..Record::default()
        };
        Ok(Change::done(200, body, Vec::new(), record))
    }
}
