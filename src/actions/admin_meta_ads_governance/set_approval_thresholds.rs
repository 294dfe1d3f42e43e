//! `admin_meta_ads_governance/set_approval_thresholds`: When budget changes need an approval, and how long approvals wait.

use crate::actions::action::{Action, Change, Cx, Meta, ADMIN};
use crate::domain::{AmountMinor, Bounded};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When budget changes need an approval, and how long approvals wait.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// An increase above this percentage needs approval.
    pub budget_increase_pct: Option<Bounded<0, { crate::actions::policy::MAX_INCREASE_PCT }>>,
    /// An increase above this amount (minor units) needs approval.
    pub budget_increase_minor: Option<AmountMinor>,
    /// Pending approvals expire after this many seconds (default a day, at most 30 days).
    pub approval_ttl_seconds: Option<Bounded<1, { crate::actions::approvals::MAX_APPROVAL_TTL_SECONDS }>>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "When budget changes need an approval, and how long approvals wait.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        super::set_policy(cx, "approval_thresholds", super::given_fields(input)?).await
    }
}
