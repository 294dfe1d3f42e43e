//! `admin_meta_ads_governance/disable_integration`: Disables an integration for good: no more Graph calls through it.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, ADMIN};
use crate::db::integrations;
use crate::failure::Failure;

pub type Input = super::IntegrationStop;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Disables an integration for good: no more Graph calls through it.", destructive: true);

    /// Refuses an integration that is not the workspace's before anyone is asked to approve.
    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<()>, Failure> {
        integrations::status_of(cx.ports, cx.workspace, "integration_id", input.integration_id.as_str()).await?;
        Ok(Plan::go(()))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::stop_integration(cx, input, "disabled").await
    }
}
