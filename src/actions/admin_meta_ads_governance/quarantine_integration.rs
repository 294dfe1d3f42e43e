//! `admin_meta_ads_governance/quarantine_integration`: Stops all Graph calls through an integration until it is released.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::failure::Failure;

pub type Input = super::IntegrationStop;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Stops all Graph calls through an integration until it is released.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::stop_integration(cx, input, "quarantined").await
    }
}
