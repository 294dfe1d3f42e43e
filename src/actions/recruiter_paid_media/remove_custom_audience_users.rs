//! `recruiter_paid_media/remove_custom_audience_users`: Removes people from a customer-list
//! audience, matched by the same normalised, hashed keys an upload uses.

use super::add_custom_audience_users::{batches, send};
use super::read_audience;
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::db::ad_accounts::BoundAccount;
use crate::failure::Failure;

pub type Input = super::add_custom_audience_users::Input;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = BoundAccount;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Removes people from a customer-list audience, matched by the same normalised SHA-256 hashes an upload uses.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<BoundAccount>, Failure> {
        batches(input, 0)?;
        Ok(Plan::go(read_audience(cx, &input.ad_account_id, "audience_id", &input.audience_id).await?))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, account: BoundAccount) -> Result<Change, Failure> {
        send(cx, account, input, "DELETE", 200).await
    }
}
