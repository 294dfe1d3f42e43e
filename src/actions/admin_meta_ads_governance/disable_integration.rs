//! `admin_meta_ads_governance/disable_integration`: Disables an integration for good: no more Graph calls through it.

use crate::actions::action::{Action, Meta, ADMIN};

pub type Input = super::IntegrationStop;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta =
        crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "Disables an integration for good: no more Graph calls through it.", destructive: true);
}
