//! `recruiter_paid_media/update_ad_set_budget`: Changes an ad set's daily budget: held to the
//! guardrail and the account's daily cap; an increase above the approval threshold needs an approval.

use super::{money, read_object, refused, write, Found, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy::{self, BudgetThresholds};
use crate::db::{ad_accounts, governance_policies};
use crate::domain::{AdAccountId, BudgetMinor, MetaId};
use crate::failure::Failure;
use crate::records::FieldError;
use crate::sync::structure::ObjectKind;
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
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Changes an ad set's daily budget: held to the guardrail and the account's daily cap; an increase above the approval threshold needs an approval.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let (ports, ws) = (cx.ports, cx.workspace);
        let account = ad_accounts::bound(ports, ws, "ad_account_id", &input.ad_account_id).await?;
        let [guardrails, caps, thresholds] =
            governance_policies::get_many(ports, ws, ["campaign_guardrails", "daily_budget_caps", "approval_thresholds"]).await?;
        let object = read_object(cx, &account, "ad_set_id", input.ad_set_id.as_str(), ObjectKind::AdSet).await?;
        let to = input.daily_budget_minor.get();
        if object.get("daily_budget").is_none() {
            return Err(
                FieldError { field: "ad_set_id".into(), reason: "this ad set has no daily budget (it uses a lifetime or campaign budget)".into() }.into()
            );
        }
        policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &account.id, "daily_budget_minor", to).map_err(refused)?;
        let thresholds = BudgetThresholds::from_policy(thresholds.as_ref());
        let flags = thresholds.flag(money(&object["daily_budget"]), to).into_iter().collect();
        Ok(Plan { account: Some(account.id.clone()), flags, state: Found { account, object, target: None } })
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let id = found.object["id"].as_str().unwrap_or_default().to_string();
        let params = [("daily_budget".to_string(), input.daily_budget_minor.get().to_string())];
        write(cx, &found.account, Write::update(&id, &params, ObjectKind::AdSet), &found.object).await
    }
}
