//! `recruiter_paid_media_analytics/create_async_report_job`: Saves an insights question as a
//! report and queues it. The jobs queue's consumer writes it as CSV to the reports bucket, page
//! by page, so a report of a million rows or more is produced in bounded memory. With `repeat`,
//! the same question over the last `last_days` days runs every day or week, and each run's link
//! is sent, signed, to the workspace's notification endpoint.

use super::get_insights_with_breakdowns::Breakdown;
use super::report::{Spec, MAX_REPORT_DAYS};
use super::{bad, resolve, AttributionWindow, Increment, Metric, Question, Shape};
use crate::actions::action::{Action, Change, Cx, Meta, Record, RECRUITER_OR_ADMIN};
use crate::db::insights_read::{self, Level};
use crate::db::{ad_accounts, notifications, reports};
use crate::domain::{AdAccountId, Bounded, Day, List, MetaId};
use crate::failure::Failure;
use crate::ports::{new_id, Job};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    Daily,
    Weekly,
}

impl Repeat {
    pub fn every(self) -> &'static str {
        match self {
            Repeat::Daily => "day",
            Repeat::Weekly => "week",
        }
    }

    pub fn period_ms(every: &str) -> i64 {
        if every == "week" {
            7 * 86_400_000
        } else {
            86_400_000
        }
    }
}

/// A report over the mirrors: the same question an insights read asks, for every row at once.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account.
    pub ad_account_id: AdAccountId,
    /// The level rows are grouped at (default campaign).
    pub level: Option<Level>,
    /// The first day, in the account's time zone (with `until`; or give `last_days`).
    pub since: Option<Day>,
    /// The last day (at most 400 days after `since`).
    pub until: Option<Day>,
    /// Instead of `since` and `until`: the last 1 to 90 whole days, ending yesterday in the account's zone. Required with `repeat`.
    pub last_days: Option<Bounded<1, 90>>,
    /// `day` (default): one row per object and day; `total`: one per object.
    pub time_increment: Option<Increment>,
    /// Columns (default: spend, impressions, clicks, ctr, cpc, cpm, leads, cpl).
    pub metrics: Option<List<Metric, 15>>,
    /// Whose conversions count (default: the account's default window); others must be synced.
    pub attribution_window: Option<AttributionWindow>,
    /// Split rows by a synced breakdown set (e.g. ["country"]).
    pub breakdowns: Option<List<Breakdown, 3>>,
    /// Only these objects (of the level).
    pub ids: Option<List<MetaId, 100>>,
    /// Only objects of this campaign.
    pub campaign_id: Option<MetaId>,
    /// Only objects of this ad set.
    pub adset_id: Option<MetaId>,
    /// Run again every day or week (needs `last_days` and a notification endpoint).
    pub repeat: Option<Repeat>,
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Saves an insights question as a CSV report produced in the background (any size, streamed); optionally repeats daily or weekly with each run's link sent, signed, to the workspace's endpoint.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", &input.ad_account_id).await?;
        let (since, until) = match (input.since, input.until, input.last_days) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => return Err(bad("last_days", "give either last_days or since and until, not both")),
            (Some(s), Some(u), None) => (s, u),
            (None, _, None) => return Err(bad("since", "is required (or give last_days)")),
            (Some(_), None, None) => return Err(bad("until", "is required with since")),
            (None, None, Some(n)) => {
                let (_, tz) = insights_read::freshness(cx.ports, cx.workspace, &account.id).await?;
                let today = crate::sync::insights::today_in(&tz, cx.ports.now_millis()).map_err(Failure::Internal)?;
                let (since, until) = crate::sync::insights::last_whole_days(today, n.get());
                (Day::from(since), Day::from(until))
            }
        };
        if until >= since && (until.date() - since.date()).num_days() >= MAX_REPORT_DAYS {
            return Err(bad("until", format!("a report covers at most {MAX_REPORT_DAYS} days")));
        }
        if let Some(repeat) = input.repeat {
            if input.last_days.is_none() {
                return Err(bad("repeat", "a repeating report needs last_days (the days each run covers)"));
            }
            if notifications::endpoint(cx.ports, cx.workspace).await?.is_none() {
                return Err(bad(
                    "repeat",
                    format!(
                        "each {} run is delivered to the workspace's notification endpoint, and none is set; an admin sets one with set_notification_endpoint",
                        repeat.every()
                    ),
                ));
            }
        }
        let level = input.level.unwrap_or(Level::Campaign);
        let wanted: Vec<String> = input.breakdowns.as_ref().map(|b| b.items().iter().map(|b| b.as_str().to_string()).collect()).unwrap_or_default();
        let question = Question {
            ad_account_id: &input.ad_account_id,
            since,
            until,
            metrics: input.metrics.as_ref(),
            attribution_window: input.attribution_window,
            time_increment: Some(input.time_increment.unwrap_or(Increment::Day)),
            ids: input.ids.as_ref(),
            campaign_id: input.campaign_id.as_ref(),
            adset_id: input.adset_id.as_ref(),
            sort_by: None,
            order: None,
            limit: None,
            cursor: None,
        };
        let shape = Shape { level, breakdown: (!wanted.is_empty()).then(|| ("breakdowns", wanted.clone())) };
        let resolved = resolve(cx, &question, &shape).await?;
        let spec = Spec::of(&resolved.ask, &resolved.metrics, &wanted);
        let spec_json = serde_json::to_string(&spec).map_err(|e| Failure::Internal(e.to_string()))?;
        let now = cx.ports.now_iso();
        let id = new_id("rpt");
        let mut writes = Vec::new();
        let mut schedule = None;
        if let (Some(repeat), Some(days)) = (input.repeat, input.last_days) {
            let sid = new_id("rsc");
            let next = crate::timefmt::iso_from_millis(cx.ports.now_millis() + Repeat::period_ms(repeat.every()));
            let s = reports::NewSchedule {
                id: &sid,
                account: &account.id,
                spec_json: &spec_json,
                every: repeat.every(),
                last_days: days.get(),
                next_run_at: &next,
                first_job: &id,
            };
            writes.push(reports::insert_schedule(cx.workspace, &s, &cx.exec.actor, &now));
            schedule = Some(json!({ "id": sid, "every": repeat.every(), "last_days": days.get(), "next_run_at": next }));
        }
        writes.push(reports::insert_job(cx.workspace, &id, &account.id, schedule.as_ref().and_then(|s| s["id"].as_str()), &spec_json, &cx.exec.actor, &now));
        let body = json!({
            "report_id": id, "status": "queued", "ad_account_id": format!("act_{}", account.id),
            "level": level.as_str(), "since": spec.since, "until": spec.until, "by_day": spec.by_day, "columns": spec.header(),
            "schedule": schedule, "created_at": now,
            "next": "poll get_async_report_status with report_id; when it has succeeded, download_report gives a signed link",
        });
        let record = Record {
            ad_account_id: Some(account.id.clone()),
            external_id: Some(id.clone()),
            before: None,
            after: Some(json!({ "report_id": id, "spec": spec, "schedule": schedule })),
        };
        Ok(Change::done(202, body, writes, record).enqueue(Job::Report(id)))
    }
}
