//! `recruiter_paid_media/list_campaigns`: The workspace's campaigns from the D1 mirror (filters,
//! paging, freshness per account, an "as of" time), or from Meta with `fresh: true`.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::mirror_lists;
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;

crate::list_input!("The workspace's campaigns, from the mirror or (fresh) from Meta." {});

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The workspace's campaigns from the D1 mirror (filters, paging, freshness, as of a time), or from Meta with fresh: true.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        mirror_lists::list(cx, ObjectKind::Campaign, input.filters(), None).await
    }
}
