//! `recruiter_paid_media/update_ad_set_schedule`: Moves an ad set's start or end time on Meta. An
//! end time must follow the start, and an ad set with a lifetime budget keeps one.

use super::{bad, find, money, write, Found, Params, Write};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, RECRUITER_OR_ADMIN};
use crate::domain::{AdAccountId, MetaId, Timestamp};
use crate::failure::Failure;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Moves an ad set's start or end time on Meta.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad set id.
    pub ad_set_id: MetaId,
    /// The new start (RFC 3339).
    pub start_time: Option<Timestamp>,
    /// The new end (RFC 3339).
    pub end_time: Option<Timestamp>,
}

fn unix(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t).or_else(|_| chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z")).ok().map(|d| d.timestamp())
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = Found;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Moves an ad set's start or end time on Meta; the end must follow the start.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Found>, Failure> {
        if input.start_time.is_none() && input.end_time.is_none() {
            return Err(bad("input", "set start_time, end_time or both"));
        }
        let found = find(cx, &input.ad_account_id, "ad_set_id", &input.ad_set_id, ObjectKind::AdSet).await?;
        let start = input.start_time.as_ref().map(Timestamp::as_str).or(found.object["start_time"].as_str()).and_then(unix);
        let end = input.end_time.as_ref().map(Timestamp::as_str).or(found.object["end_time"].as_str()).and_then(unix);
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                return Err(bad(if input.end_time.is_some() { "end_time" } else { "start_time" }, "the end must follow the start"));
            }
        }
        if money(&found.object["lifetime_budget"]).is_some() && end.is_none() {
            return Err(bad("end_time", "an ad set with a lifetime budget needs an end time"));
        }
        Ok(Plan::go(found))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, found: Found) -> Result<Change, Failure> {
        let params = Params::new()
            .opt_text("start_time", input.start_time.as_ref().map(Timestamp::as_str))
            .opt_text("end_time", input.end_time.as_ref().map(Timestamp::as_str));
        let id = found.id();
        write(cx, &found.account, Write::update(&id, &params.0, ObjectKind::AdSet), &found.object).await
    }
}
