//! `recruiter_paid_media/get_campaign`: One campaign with its ad sets and ads, from the D1 mirror,
//! or from Meta with `fresh: true`.

use super::find_campaign;
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::{
    ad_accounts,
    meta_objects::{self, ListQuery},
};
use crate::domain::{AdAccountId, MetaId};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One campaign with its ad sets and ads.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta campaign id.
    pub campaign_id: MetaId,
    /// Read Meta now through the account's gate instead of the mirror.
    pub fresh: Option<bool>,
}

/// The most ad sets and ads the answer carries (list actions page beyond it).
const MAX_CHILDREN: i64 = 500;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "One campaign with its ad sets and ads, from the D1 mirror or (fresh: true) from Meta.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        if input.fresh == Some(true) {
            let found = find_campaign(cx, &input.ad_account_id, &input.campaign_id).await?;
            let params = |kind: ObjectKind| vec![("fields".to_string(), kind.fields()), ("limit".to_string(), MAX_CHILDREN.to_string())];
            let id = found.id();
            let sets = super::graph_read(cx, &found.account, &format!("{id}/adsets"), &params(ObjectKind::AdSet)).await?;
            let ads = super::graph_read(cx, &found.account, &format!("{id}/ads"), &params(ObjectKind::Ad)).await?;
            return Ok(Change::read(json!({ "campaign": found.object, "ad_sets": sets["data"], "ads": ads["data"], "source": "meta" })));
        }
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let id = input.campaign_id.as_str().to_string();
        let all = |parent: Option<(&'static str, String)>| ListQuery {
            accounts: vec![account.id.clone()],
            parent,
            statuses: crate::sync::structure::ALL_EFFECTIVE_STATUSES.iter().map(|s| s.to_string()).collect(),
            limit: MAX_CHILDREN,
            ..ListQuery::default()
        };
        let campaign = meta_objects::list(cx.ports, cx.workspace, ObjectKind::Campaign, &all(Some(("id", id.clone())))).await?;
        let Some(campaign) = campaign.into_iter().next() else {
            let mut p = Problem::new("not-found", "Not Found", 404, format!("campaign {id} is not in the mirror of act_{}; try fresh: true", account.id));
            p.field = Some("campaign_id".into());
            return Err(p.into());
        };
        let sets = meta_objects::list(cx.ports, cx.workspace, ObjectKind::AdSet, &all(Some(("campaign_id", id.clone())))).await?;
        let ads = meta_objects::list(cx.ports, cx.workspace, ObjectKind::Ad, &all(Some(("campaign_id", id)))).await?;
        let synced = meta_objects::structure_synced(cx.ports, cx.workspace, std::slice::from_ref(&account.id)).await?;
        let synced_at = synced.first().and_then(|(_, t)| *t).map(|s| crate::timefmt::iso_from_millis(s.saturating_mul(1000)));
        Ok(Change::read(json!({ "campaign": campaign, "ad_sets": sets, "ads": ads, "source": "mirror", "structure_synced_at": synced_at })))
    }
}
