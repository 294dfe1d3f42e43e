//! `recruiter_paid_media/archive_creative`: Retires a creative nobody uses. Meta keeps no archive
//! state for creatives (their statuses are ACTIVE, IN_PROCESS, WITH_ISSUES and DELETED), so this
//! deletes it on Meta, and only when no ad that is not deleted shows it; the mirror keeps the row.

use super::{ads_using, delete, find, Found};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::failure::Failure;
use crate::problem::Problem;
use crate::sync::structure::ObjectKind;

pub type Input = super::CreativeRef;

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Retires a creative no ad shows (Meta has no archive state for creatives: it is deleted there, and kept in the mirror).", destructive: true);

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        let found = find(cx, &input.ad_account_id, "creative_id", &input.creative_id, ObjectKind::Creative).await?;
        let users = ads_using(cx, &found.account, input.creative_id.as_str()).await?;
        if !users.is_empty() {
            let ids: Vec<&str> = users.iter().take(10).filter_map(|a| a["id"].as_str()).collect();
            let mut p = Problem::conflict(format!(
                "creative {} is shown by {} ad(s) ({}): attach another creative to them first",
                input.creative_id.as_str(),
                users.len(),
                ids.join(", ")
            ));
            p.field = Some("creative_id".into());
            return Err(p.into());
        }
        Ok(Plan::go(found))
    }

    async fn apply(cx: &Cx<'_>, _input: &Input, found: Found) -> Result<Change, Failure> {
        delete(cx, found, ObjectKind::Creative).await
    }
}
