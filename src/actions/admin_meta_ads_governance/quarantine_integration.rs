//! `admin_meta_ads_governance/quarantine_integration`: Stops all Graph calls through an integration until it is released.

use crate::actions::action::{Action, Meta, ADMIN};

pub type Input = super::IntegrationStop;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Stops all Graph calls through an integration until it is released.");
}
