//! `admin_meta_ads_governance/get_meta_api_error_digest`: Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.

use crate::actions::action::{Action, Meta, ADMIN};

pub type Input = super::SinceHours;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "Meta API errors and throttling grouped by Graph code, subcode and class, with the latest message and fbtrace_id.");
}
