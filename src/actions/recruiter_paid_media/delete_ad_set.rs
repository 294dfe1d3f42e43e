//! `recruiter_paid_media/delete_ad_set`: Deletes an ad set on Meta; always needs an approval.

use super::{delete, find, Found};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::actions::policy::Flag;
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;

pub type Input = super::AdSetRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Deletes an ad set on Meta; always needs an approval, since it cannot be undone.", destructive: true);

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find(cx, &input.ad_account_id, "ad_set_id", &input.ad_set_id, ObjectKind::AdSet).await?;
        let flags = vec![Flag::Deletion { object_id: input.ad_set_id.as_str().to_string() }];
        Ok(Plan { account: Some(found.account.id.clone()), flags, state: found })
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, found: Found) -> Result<Change, Failure> {
        delete(cx, found, ObjectKind::AdSet).await
    }
}
