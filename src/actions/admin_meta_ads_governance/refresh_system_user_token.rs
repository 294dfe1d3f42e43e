//! `admin_meta_ads_governance/refresh_system_user_token`: Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.

use crate::actions::action::{Action, Meta, ADMIN};

pub type Input = super::IntegrationRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Refreshes an integration's token now (a person's token is exchanged for a new long-lived one; a system user's is re-checked); marks it expired if Meta refuses it.");
}
