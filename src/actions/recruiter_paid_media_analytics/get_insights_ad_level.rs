//! `recruiter_paid_media_analytics/get_insights_ad_level`: Performance of the account's ads
//! from the D1 mirrors: chosen metrics over a date range in the account's time zone, totals,
//! per day or in total, sorted and paged, with freshness and the days that may still change.

use super::{answer, Shape};
use crate::actions::action::{Action, Change, Cx, Meta, RECRUITER_OR_ADMIN};
use crate::db::insights_read::Level;
use crate::failure::Failure;

crate::insights_input!("Performance of the account's ads, from the mirrors." {});

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: Read, summary: "Performance of the account's ads from the D1 mirrors: metrics over a date range in the account's zone, totals, per day or in total, sorted and paged, with freshness and the days still inside the attribution window.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        Ok(Change::read(answer(cx, &input.question(), Shape { level: Level::Ad, breakdown: None }).await?))
    }
}
