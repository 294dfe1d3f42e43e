//! `recruiter_paid_media/list_ad_sets`: The workspace's ad sets (of one campaign, or all) from the
//! D1 mirror, or from Meta with `fresh: true`.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::mirror_lists;
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;

crate::list_input!("The workspace's ad sets, from the mirror or (fresh) from Meta." {
    /// Only this campaign's ad sets.
    campaign_id: Option<crate::domain::MetaId>,
});

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The workspace's ad sets (of one campaign, or all) from the D1 mirror, or from Meta with fresh: true.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let parent = input.campaign_id.as_ref().map(|c| ("campaign_id", c.as_str().to_string()));
        mirror_lists::list(cx, ObjectKind::AdSet, input.filters(), parent).await
    }
}
