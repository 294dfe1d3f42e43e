//! `recruiter_paid_media/update_ad_set_budget`: Changes an ad set's daily budget: held to the guardrail and the account's daily cap; an increase above the approval threshold needs an approval.

use crate::actions::action::{Action, Meta, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, BudgetMinor, MetaId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Changes an ad set's daily budget: held to the guardrail and the account's daily cap; an increase above the approval threshold needs an approval.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad set id.
    pub ad_set_id: MetaId,
    /// The new daily budget in the account's minor currency unit.
    pub daily_budget_minor: BudgetMinor,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Changes an ad set's daily budget: held to the guardrail and the account's daily cap; an increase above the approval threshold needs an approval.");
}
