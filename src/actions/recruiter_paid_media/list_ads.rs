//! `recruiter_paid_media/list_ads`: The workspace's ads (of one ad set or campaign, or all) from the
//! D1 mirror, or from Meta with `fresh: true`.

use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::actions::mirror_lists;
use crate::failure::Failure;
use crate::records::FieldError;
use crate::sync::structure::ObjectKind;

crate::list_input!("The workspace's ads, from the mirror or (fresh) from Meta." {
    /// Only this campaign's ads.
    campaign_id: Option<crate::domain::MetaId>,
    /// Only this ad set's ads.
    ad_set_id: Option<crate::domain::MetaId>,
});

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "The workspace's ads (of one ad set or campaign, or all) from the D1 mirror, or from Meta with fresh: true.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let parent = match (&input.campaign_id, &input.ad_set_id) {
            (Some(_), Some(_)) => return Err(FieldError { field: "ad_set_id".into(), reason: "name a campaign or an ad set, not both".into() }.into()),
            (Some(c), None) => Some(("campaign_id", c.as_str().to_string())),
            (None, Some(s)) => Some(("adset_id", s.as_str().to_string())),
            (None, None) => None,
        };
        mirror_lists::list(cx, ObjectKind::Ad, input.filters(), parent).await
    }
}
