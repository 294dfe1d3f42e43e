//! `admin_meta_ads_governance/get_rate_limit_posture`: The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.

use crate::actions::action::{Action, Meta, ADMIN};

pub type Input = super::SinceHours;

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: Read, summary: "The latest Meta usage headers per ad account (highest usage first) and how often each was throttled.");
}
