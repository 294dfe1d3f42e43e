//! The `recruiter_paid_media_analytics` router: performance read from the D1 mirrors (fast, no
//! Graph call), with every answer saying how fresh it is and which days may still change as late
//! conversions are attributed.

pub mod alerts;
pub mod apply_bid_adjustment;
pub mod apply_budget_reallocation;
pub mod apply_rule_action;
pub mod create_async_report_job;
pub mod create_rule;
pub mod delete_rule;
pub mod download_report;
pub mod dry_run_rule;
pub mod get_async_report_status;
pub mod get_creative_performance;
pub mod get_frequency_fatigue_alerts;
pub mod get_insights_ad_level;
pub mod get_insights_adset_level;
pub mod get_insights_campaign_level;
pub mod get_insights_with_breakdowns;
pub mod get_placement_performance;
pub mod list_alerts;
pub mod list_rule_runs;
pub mod optimize;
pub mod pause_rule;
pub mod report;
pub mod resume_rule;
pub mod rollback_optimization;
pub mod rotate_creative_variant;
pub mod rule_admin;
pub mod stop_report_schedule;
pub mod suggest_audience_narrowing;
pub mod suggest_budget_reallocation;
pub mod suggest_creative_rotation;
pub mod suggestion;
pub mod update_rule;

use crate::actions::action::Cx;
use crate::db::insights_read::{self, Ask, Level, Row, Source, Sums};
use crate::db::{ad_accounts, insights_settings};
use crate::domain::{AdAccountId, Bounded, Day, List, MetaId};
use crate::failure::Failure;
use crate::records::FieldError;
use crate::sync::insights::{self as sync_insights, DEFAULT_ATTRIBUTION_WINDOW_DAYS};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The longest range one question may cover (Meta keeps 37 months of insights).
pub const MAX_RANGE_DAYS: i64 = 1_100;

/// What can be read; money is in the account's minor currency unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Spend,
    Impressions,
    Reach,
    Frequency,
    Clicks,
    LinkClicks,
    Ctr,
    Cpc,
    Cpm,
    Leads,
    Cpl,
    Purchases,
    PurchaseValue,
    Cpa,
    Roas,
}

pub const DEFAULT_METRICS: &[Metric] = &[Metric::Spend, Metric::Impressions, Metric::Clicks, Metric::Ctr, Metric::Cpc, Metric::Cpm, Metric::Leads, Metric::Cpl];

impl Metric {
    /// The answer's key, with its unit.
    pub fn key(self) -> &'static str {
        match self {
            Metric::Spend => "spend_minor",
            Metric::Impressions => "impressions",
            Metric::Reach => "reach",
            Metric::Frequency => "frequency",
            Metric::Clicks => "clicks",
            Metric::LinkClicks => "link_clicks",
            Metric::Ctr => "ctr_pct",
            Metric::Cpc => "cpc_minor",
            Metric::Cpm => "cpm_minor",
            Metric::Leads => "leads",
            Metric::Cpl => "cpl_minor",
            Metric::Purchases => "purchases",
            Metric::PurchaseValue => "purchase_value_minor",
            Metric::Cpa => "cpa_minor",
            Metric::Roas => "roas",
        }
    }

    /// The SQL ordering expression over the sums (a fixed text per metric).
    pub fn order_sql(self) -> &'static str {
        match self {
            Metric::Spend => "SUM(d.spend_minor)",
            Metric::Impressions => "SUM(d.impressions)",
            Metric::Reach => "SUM(d.reach)",
            Metric::Frequency => "SUM(d.impressions) * 1.0 / NULLIF(SUM(d.reach), 0)",
            Metric::Clicks => "SUM(d.clicks)",
            Metric::LinkClicks => "SUM(d.link_clicks)",
            Metric::Ctr => "SUM(d.clicks) * 1.0 / NULLIF(SUM(d.impressions), 0)",
            Metric::Cpc => "SUM(d.spend_minor) * 1.0 / NULLIF(SUM(d.clicks), 0)",
            Metric::Cpm => "SUM(d.spend_minor) * 1.0 / NULLIF(SUM(d.impressions), 0)",
            Metric::Leads => "SUM(d.leads)",
            Metric::Cpl => "SUM(d.spend_minor) * 1.0 / NULLIF(SUM(d.leads), 0)",
            Metric::Purchases => "SUM(d.purchases)",
            Metric::PurchaseValue => "SUM(d.purchase_value_minor)",
            Metric::Cpa => "SUM(d.spend_minor) * 1.0 / NULLIF(SUM(d.purchases), 0)",
            Metric::Roas => "SUM(d.purchase_value_minor) * 1.0 / NULLIF(SUM(d.spend_minor), 0)",
        }
    }

    /// The metric from the sums: counts and money exact, ratios to 4 decimals, `null` where the
    /// divisor is zero.
    pub fn value(self, s: &Sums) -> Value {
        let ratio = |n: i64, d: i64, scale: f64| if d == 0 { Value::Null } else { json!(((n as f64) * scale / (d as f64) * 10_000.0).round() / 10_000.0) };
        match self {
            Metric::Spend => json!(s.spend_minor),
            Metric::Impressions => json!(s.impressions),
            Metric::Reach => json!(s.reach),
            Metric::Frequency => ratio(s.impressions, s.reach, 1.0),
            Metric::Clicks => json!(s.clicks),
            Metric::LinkClicks => json!(s.link_clicks),
            Metric::Ctr => ratio(s.clicks, s.impressions, 100.0),
            Metric::Cpc => ratio(s.spend_minor, s.clicks, 1.0),
            Metric::Cpm => ratio(s.spend_minor, s.impressions, 1_000.0),
            Metric::Leads => json!(s.leads),
            Metric::Cpl => ratio(s.spend_minor, s.leads, 1.0),
            Metric::Purchases => json!(s.purchases),
            Metric::PurchaseValue => json!(s.purchase_value_minor),
            Metric::Cpa => ratio(s.spend_minor, s.purchases, 1.0),
            Metric::Roas => ratio(s.purchase_value_minor, s.spend_minor, 1.0),
        }
    }
}

/// Which attribution window's conversions to count (`default`: the account's, 7-day click and
/// 1-day view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AttributionWindow {
    #[serde(rename = "default")]
    Default,
    #[serde(rename = "1d_click")]
    OneDayClick,
    #[serde(rename = "7d_click")]
    SevenDayClick,
    #[serde(rename = "28d_click")]
    TwentyEightDayClick,
    #[serde(rename = "1d_view")]
    OneDayView,
}

impl AttributionWindow {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributionWindow::Default => "default",
            AttributionWindow::OneDayClick => "1d_click",
            AttributionWindow::SevenDayClick => "7d_click",
            AttributionWindow::TwentyEightDayClick => "28d_click",
            AttributionWindow::OneDayView => "1d_view",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Increment {
    Total,
    Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Asc,
    Desc,
}

/// The parts of a question every insights read shares, borrowed from its input.
pub struct Question<'a> {
    pub ad_account_id: &'a AdAccountId,
    pub since: Day,
    pub until: Day,
    pub metrics: Option<&'a List<Metric, 15>>,
    pub attribution_window: Option<AttributionWindow>,
    pub time_increment: Option<Increment>,
    pub ids: Option<&'a List<MetaId, 100>>,
    pub campaign_id: Option<&'a MetaId>,
    pub adset_id: Option<&'a MetaId>,
    pub sort_by: Option<Metric>,
    pub order: Option<Order>,
    pub limit: Option<Bounded<1, 500>>,
    pub cursor: Option<Bounded<0, 1_000_000>>,
}

/// Declares an insights read's input: the shared question plus the action's own fields.
#[macro_export]
macro_rules! insights_input {
    ($doc:literal { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        #[doc = $doc]
        #[derive(Debug, Clone, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Input {
            /// The bound ad account.
            pub ad_account_id: $crate::domain::AdAccountId,
            /// The first day, in the account's time zone.
            pub since: $crate::domain::Day,
            /// The last day, in the account's time zone (at most 1,100 days after `since`).
            pub until: $crate::domain::Day,
            $($(#[$fdoc])* pub $field: $ty,)*
            /// Metrics to return (default: spend, impressions, clicks, ctr, cpc, cpm, leads, cpl).
            pub metrics: Option<$crate::domain::List<$crate::actions::recruiter_paid_media_analytics::Metric, 15>>,
            /// Whose conversions count (default: the account's default window); others must be synced.
            pub attribution_window: Option<$crate::actions::recruiter_paid_media_analytics::AttributionWindow>,
            /// `total` (default): one row per object; `day`: one per object and day.
            pub time_increment: Option<$crate::actions::recruiter_paid_media_analytics::Increment>,
            /// Only these objects.
            pub ids: Option<$crate::domain::List<$crate::domain::MetaId, 100>>,
            /// Only objects of this campaign.
            pub campaign_id: Option<$crate::domain::MetaId>,
            /// Only objects of this ad set.
            pub adset_id: Option<$crate::domain::MetaId>,
            /// Sort by this metric (default spend).
            pub sort_by: Option<$crate::actions::recruiter_paid_media_analytics::Metric>,
            /// `desc` (default) or `asc`.
            pub order: Option<$crate::actions::recruiter_paid_media_analytics::Order>,
            /// Page size, 1 to 500 (default 100).
            pub limit: Option<$crate::domain::Bounded<1, 500>>,
            /// The `next_cursor` of the previous page.
            pub cursor: Option<$crate::domain::Bounded<0, 1_000_000>>,
        }

        impl Input {
            fn question(&self) -> $crate::actions::recruiter_paid_media_analytics::Question<'_> {
                $crate::actions::recruiter_paid_media_analytics::Question {
                    ad_account_id: &self.ad_account_id,
                    since: self.since,
                    until: self.until,
                    metrics: self.metrics.as_ref(),
                    attribution_window: self.attribution_window,
                    time_increment: self.time_increment,
                    ids: self.ids.as_ref(),
                    campaign_id: self.campaign_id.as_ref(),
                    adset_id: self.adset_id.as_ref(),
                    sort_by: self.sort_by,
                    order: self.order,
                    limit: self.limit,
                    cursor: self.cursor,
                }
            }
        }
    };
}

pub fn bad(field: &str, reason: impl Into<String>) -> Failure {
    FieldError { field: field.into(), reason: reason.into() }.into()
}

/// What to ask beyond the shared question: the level, and the breakdown set (with the input
/// field naming it) when the rows come from the facts rather than whole days.
pub struct Shape {
    pub level: Level,
    pub breakdown: Option<(&'static str, Vec<String>)>,
}

/// The breakdown sets the workspace's insights settings sync, each as its members.
pub fn synced_sets(settings: &Value) -> Vec<Vec<String>> {
    settings["breakdown_sets_json"].as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

/// The synced breakdown set (in the workspace's `settings`) equal to `wanted` in any order, by
/// its stored name; a set that is not synced is refused naming `field`, saying how to turn it on.
fn synced_breakdown(settings: &Value, field: &str, wanted: &[String]) -> Result<String, Failure> {
    sync_insights::check_breakdown_set(wanted).map_err(|r| bad(field, r))?;
    let sets = synced_sets(settings);
    fn sorted(v: &[String]) -> Vec<String> {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    }
    let want = sorted(wanted);
    for members in &sets {
        if sorted(members) == want {
            return Ok(sync_insights::set_name(members));
        }
    }
    Err(bad(
        field,
        format!(
            "the breakdown set [{}] is not synced for this workspace; an admin can turn it on with set_insights_settings (breakdown_sets including \"{}\"), and the next sync fills it",
            wanted.join(", "),
            wanted.join(",")
        ),
    ))
}

/// A question checked against the account, the range and what the workspace syncs: ready to ask.
pub struct Resolved {
    pub account: ad_accounts::BoundAccount,
    pub ask: Ask,
    pub metrics: Vec<Metric>,
    pub window: AttributionWindow,
    /// The workspace's insights settings (null when it set none).
    pub settings: Value,
}

/// The days of a question as text, checked: `until` not before `since`, at most 1,100 days.
pub fn days(since: Day, until: Day) -> Result<(String, String), Failure> {
    if until < since {
        return Err(bad("until", format!("{} is before since {}", until.text(), since.text())));
    }
    if (until.date() - since.date()).num_days() >= MAX_RANGE_DAYS {
        return Err(bad("until", format!("a range covers at most {MAX_RANGE_DAYS} days")));
    }
    Ok((since.text(), until.text()))
}

/// Checks a question (the account is bound here, the range, the filters, the breakdown set and
/// window are synced) and makes it an `Ask` for one page (`limit` + 1 rows, to see if more follow).
pub async fn resolve(cx: &Cx<'_>, q: &Question<'_>, shape: &Shape) -> Result<Resolved, Failure> {
    let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", q.ad_account_id).await?;
    days(q.since, q.until)?;
    match shape.level {
        Level::Account if q.campaign_id.is_some() => return Err(bad("campaign_id", "an account-level answer has no campaign filter; ask at campaign level")),
        Level::Account | Level::Campaign if q.adset_id.is_some() => return Err(bad("adset_id", "filters ad set and ad levels only")),
        _ => {}
    }
    let settings = insights_settings::get(cx.ports, cx.workspace).await?.unwrap_or(Value::Null);
    let source = match &shape.breakdown {
        Some((field, wanted)) => Source::Breakdown(synced_breakdown(&settings, field, wanted)?),
        None => Source::Daily,
    };
    let window = q.attribution_window.unwrap_or(AttributionWindow::Default);
    if window != AttributionWindow::Default {
        let windows: Vec<String> = settings["attribution_windows_json"].as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        if !windows.iter().any(|w| w == window.as_str()) {
            return Err(bad(
                "attribution_window",
                format!("{} is not synced for this workspace; an admin can add it with set_insights_settings (attribution_windows)", window.as_str()),
            ));
        }
    }
    let metrics: Vec<Metric> = q.metrics.map(|m| m.items().to_vec()).unwrap_or_else(|| DEFAULT_METRICS.to_vec());
    let sort = q.sort_by.unwrap_or(Metric::Spend);
    let limit = q.limit.map_or(100, |l| l.get());
    let offset = q.cursor.map_or(0, |c| c.get());
    let ask = Ask {
        workspace: cx.workspace.to_string(),
        account: account.id.clone(),
        level: shape.level,
        source,
        window: window.as_str().to_string(),
        since: q.since.text(),
        until: q.until.text(),
        by_day: q.time_increment == Some(Increment::Day),
        ids: q.ids.map(|l| l.items().iter().map(|i| i.as_str().to_string()).collect()).unwrap_or_default(),
        campaign_id: q.campaign_id.map(|c| c.as_str().to_string()),
        adset_id: q.adset_id.map(|c| c.as_str().to_string()),
        order_by: sort.order_sql(),
        descending: q.order != Some(Order::Asc),
        limit: limit + 1,
        offset,
    };
    Ok(Resolved { account, ask, metrics, window, settings })
}

/// Answers an insights question: one page of rows with the chosen metrics, the totals over the
/// whole range, and the freshness and attribution state of the data.
pub async fn answer(cx: &Cx<'_>, q: &Question<'_>, shape: Shape) -> Result<Value, Failure> {
    let Resolved { account, ask, metrics, window, settings } = resolve(cx, q, &shape).await?;
    let limit = ask.limit - 1;
    let offset = ask.offset;
    let (mut rows, totals) = insights_read::page_and_totals(cx.ports, &ask).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let ids: Vec<String> = rows.iter().filter_map(|r| r.object_id.clone()).collect();
    let names = insights_read::names(cx.ports, cx.workspace, shape.level.table(), &ids).await?;
    let (synced_at, tz) = insights_read::freshness(cx.ports, cx.workspace, &account.id).await?;
    let window_days = settings["attribution_window_days"].as_i64().unwrap_or(DEFAULT_ATTRIBUTION_WINDOW_DAYS);
    let may_change_from = sync_insights::today_in(&tz, cx.ports.now_millis()).ok().map(|today| sync_insights::fresh_window(today, window_days).0);
    let changing = |date: &str| may_change_from.is_some_and(|from| date >= from.format("%Y-%m-%d").to_string().as_str());
    let data: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("object_id".into(), json!(r.object_id));
            if let Some(name) = names.iter().find(|(id, _)| Some(id) == r.object_id.as_ref()) {
                o.insert("name".into(), json!(name.1));
            }
            if let Some(d) = &r.date {
                o.insert("date".into(), json!(d));
                o.insert("may_change".into(), json!(changing(d)));
            }
            if let Some(h) = r.hour {
                o.insert("hour".into(), json!(h));
            }
            if let Some(k) = &r.breakdown_key {
                o.insert("breakdown".into(), breakdown_object(k));
            }
            for m in &metrics {
                o.insert(m.key().into(), m.value(&r.sums));
            }
            Value::Object(o)
        })
        .collect();
    let mut total = Map::new();
    for m in &metrics {
        total.insert(m.key().into(), m.value(&totals));
    }
    let from_text = may_change_from.map(|d| d.format("%Y-%m-%d").to_string());
    Ok(json!({
        "ad_account_id": format!("act_{}", account.id),
        "level": shape.level.as_str(),
        "since": q.since.text(),
        "until": q.until.text(),
        "attribution_window": window.as_str(),
        "data": data,
        "totals": total,
        "next_cursor": more.then_some(offset + limit),
        "source": "mirror",
        "freshness": { "insights_synced_at": synced_at, "time_zone": tz },
        "may_change_from": from_text,
        "range_may_change": from_text.as_deref().is_some_and(|f| q.until.text().as_str() >= f),
        "reach_note": "reach over more than one day or object is the sum of daily reach per ad (people may be counted more than once), so frequency is a floor",
    }))
}

/// `country=US|age=25-34` as `{"country": "US", "age": "25-34"}`.
pub fn breakdown_object(key: &str) -> Value {
    Value::Object(key.split('|').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), json!(v))).collect())
}

/// Signs of creative fatigue in a day-by-day series: the range split in two halves by day,
/// frequency rising and CTR falling from the first half to the second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fatigue {
    pub first: Sums,
    pub second: Sums,
}

impl Fatigue {
    /// `series` is one object's rows, ordered by date; `split` is the first day of the second half.
    pub fn of(series: &[&Row], split: &str) -> Fatigue {
        let mut f = Fatigue { first: Sums::default(), second: Sums::default() };
        for r in series {
            let half = if r.date.as_deref().is_some_and(|d| d >= split) { &mut f.second } else { &mut f.first };
            add(half, &r.sums);
        }
        f
    }

    fn ratio(n: i64, d: i64) -> Option<f64> {
        (d > 0).then(|| n as f64 / d as f64)
    }

    pub fn frequency_change_pct(&self) -> Option<f64> {
        let (a, b) = (Self::ratio(self.first.impressions, self.first.reach)?, Self::ratio(self.second.impressions, self.second.reach)?);
        (a > 0.0).then(|| ((b - a) / a * 1_000.0).round() / 10.0)
    }

    pub fn ctr_change_pct(&self) -> Option<f64> {
        let (a, b) = (Self::ratio(self.first.clicks, self.first.impressions)?, Self::ratio(self.second.clicks, self.second.impressions)?);
        (a > 0.0).then(|| ((b - a) / a * 1_000.0).round() / 10.0)
    }

    /// Fatigued: frequency up by at least `rise_pct` and CTR down by at least `drop_pct`.
    pub fn fatigued(&self, rise_pct: f64, drop_pct: f64) -> bool {
        matches!((self.frequency_change_pct(), self.ctr_change_pct()), (Some(f), Some(c)) if f >= rise_pct && c <= -drop_pct)
    }

    pub fn evidence(&self) -> Value {
        json!({
            "first_half": { "impressions": self.first.impressions, "reach": self.first.reach, "clicks": self.first.clicks,
                "frequency": Metric::Frequency.value(&self.first), "ctr_pct": Metric::Ctr.value(&self.first) },
            "second_half": { "impressions": self.second.impressions, "reach": self.second.reach, "clicks": self.second.clicks,
                "frequency": Metric::Frequency.value(&self.second), "ctr_pct": Metric::Ctr.value(&self.second) },
            "frequency_change_pct": self.frequency_change_pct(),
            "ctr_change_pct": self.ctr_change_pct(),
        })
    }
}

/// Adds sums; the mirror's sums are far below `i64::MAX`, and saturating keeps a corrupt row
/// from wrapping.
pub fn add(to: &mut Sums, s: &Sums) {
    to.impressions = to.impressions.saturating_add(s.impressions);
    to.reach = to.reach.saturating_add(s.reach);
    to.clicks = to.clicks.saturating_add(s.clicks);
    to.link_clicks = to.link_clicks.saturating_add(s.link_clicks);
    to.spend_minor = to.spend_minor.saturating_add(s.spend_minor);
    to.leads = to.leads.saturating_add(s.leads);
    to.purchases = to.purchases.saturating_add(s.purchases);
    to.purchase_value_minor = to.purchase_value_minor.saturating_add(s.purchase_value_minor);
}

/// The longest range a day-by-day fatigue read covers (it holds every object's days in memory).
pub const MAX_SERIES_DAYS: i64 = 92;

/// A range for a series read, checked, and the first day of its second half.
pub fn series_range(since: Day, until: Day) -> Result<(String, String, String), Failure> {
    if until < since {
        return Err(bad("until", format!("{} is before since {}", until.text(), since.text())));
    }
    let days = (until.date() - since.date()).num_days() + 1;
    if days > MAX_SERIES_DAYS {
        return Err(bad("until", format!("fatigue is read over at most {MAX_SERIES_DAYS} days")));
    }
    if days < 2 {
        return Err(bad("until", "fatigue compares two halves of the range: give at least 2 days"));
    }
    let split = since.date() + chrono::Duration::days(days / 2);
    Ok((since.text(), until.text(), split.format("%Y-%m-%d").to_string()))
}

/// The whole days a suggestion looks back over (ending yesterday in the account's zone), the
/// first day of their second half, and when the data behind them was synced.
pub struct LookBack {
    pub since: String,
    pub until: String,
    pub second_half_from: String,
    pub synced_at: String,
}

/// The last `days` whole days for a suggestion; refused (409) when the data is older than the
/// workspace's threshold.
pub async fn look_back(cx: &Cx<'_>, account: &ad_accounts::BoundAccount, days: i64) -> Result<LookBack, Failure> {
    let settings = crate::db::optimizations::settings(cx.ports, cx.workspace).await?;
    let (synced_at, tz) = optimize::fresh_data(cx, account, &settings).await?;
    let today = sync_insights::today_in(&tz, cx.ports.now_millis()).map_err(Failure::Internal)?;
    let (since, until) = sync_insights::last_whole_days(today, days);
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    Ok(LookBack { since: day(since), until: day(until), second_half_from: day(since + chrono::Duration::days(days.max(1) / 2)), synced_at })
}

/// Ads whose second-half frequency is at least `frequency_at_least` and rising while CTR fell by
/// at least `ctr_drop_pct` between the halves of `(since, until, split)`: (ad, frequency, signs).
pub async fn fatigued_ads(
    ports: &dyn crate::ports::Ports,
    ws: &str,
    account: &str,
    range: (&str, &str, &str),
    frequency_at_least: f64,
    ctr_drop_pct: f64,
) -> Result<Vec<(String, f64, Fatigue)>, Failure> {
    let (since, until, split) = range;
    let rows = insights_read::daily_series(ports, ws, account, since, until, false).await?;
    let mut out = Vec::new();
    for (ad, days) in by_object(&rows) {
        let f = Fatigue::of(&days, split);
        let frequency = Metric::Frequency.value(&f.second).as_f64().unwrap_or(0.0);
        if frequency >= frequency_at_least && f.fatigued(0.1, ctr_drop_pct) {
            out.push((ad, frequency, f));
        }
    }
    Ok(out)
}

/// Groups an ordered series by object.
pub fn by_object(rows: &[Row]) -> Vec<(String, Vec<&Row>)> {
    let mut out: Vec<(String, Vec<&Row>)> = Vec::new();
    for r in rows {
        let Some(id) = &r.object_id else { continue };
        match out.last_mut() {
            Some((last, v)) if last == id => v.push(r),
            _ => out.push((id.clone(), vec![r])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn metrics_are_exact_sums_and_ratios_without_dividing_by_zero() {
        let s = Sums { impressions: 2_000, reach: 800, clicks: 30, link_clicks: 20, spend_minor: 4_500, leads: 3, purchases: 0, purchase_value_minor: 0 };
        assert_eq!(Metric::Spend.value(&s), json!(4_500));
        assert_eq!(Metric::Ctr.value(&s), json!(1.5));
        assert_eq!(Metric::Cpc.value(&s), json!(150.0));
        assert_eq!(Metric::Cpm.value(&s), json!(2_250.0));
        assert_eq!(Metric::Cpl.value(&s), json!(1_500.0));
        assert_eq!(Metric::Frequency.value(&s), json!(2.5));
        assert_eq!(Metric::Cpa.value(&s), Value::Null);
        assert_eq!(Metric::Roas.value(&Sums::default()), Value::Null);
        assert_eq!(breakdown_object("age=25-34|country=US"), json!({"age": "25-34", "country": "US"}));
    }

    #[test]
    fn fatigue_is_frequency_rising_while_ctr_falls() {
        let day = |date: &str, impressions, reach, clicks| Row {
            object_id: Some("ad".into()),
            date: Some(date.into()),
            sums: Sums { impressions, reach, clicks, ..Sums::default() },
            ..Row::default()
        };
        let rows = [day("2026-11-01", 1_000, 800, 20), day("2026-11-02", 1_000, 700, 18), day("2026-11-03", 1_000, 400, 10), day("2026-11-04", 1_000, 300, 8)];
        let refs: Vec<&Row> = rows.iter().collect();
        let f = Fatigue::of(&refs, "2026-11-03");
        assert_eq!((f.first.impressions, f.second.reach), (2_000, 700));
        assert_eq!(f.frequency_change_pct(), Some(114.3), "2000/1500 -> 2000/700");
        assert_eq!(f.ctr_change_pct(), Some(-52.6), "1.9% -> 0.9%");
        assert!(f.fatigued(20.0, 20.0) && !f.fatigued(200.0, 20.0));
        let (since, until, split) =
            series_range(serde_json::from_value(json!("2026-11-01")).unwrap(), serde_json::from_value(json!("2026-11-04")).unwrap()).unwrap();
        assert_eq!((since.as_str(), until.as_str(), split.as_str()), ("2026-11-01", "2026-11-04", "2026-11-03"));
        let one: Day = serde_json::from_value(json!("2026-11-01")).unwrap();
        assert!(series_range(one, one).is_err());
    }
}
