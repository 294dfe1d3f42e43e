//! `admin_meta_ads_governance/get_token_health`: Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.

use crate::actions::action::{Action, Meta, ADMIN};

pub type Input = super::IntegrationRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Live token health from Meta's debug_token: validity, expiry, data access expiry, missing scopes.");
}
