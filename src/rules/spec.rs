//! What a rule says: the objects it watches, its conditions over a window of days, the action it
//! takes, when it runs and how often it may act. Checked once at creation (each problem names
//! its field), so a stored rule is always one that can run.

use crate::db::insights_read::Level;
use crate::domain::{AmountMinor, Bounded, List, MetaId, Text, MAX_BUDGET_MINOR};
use crate::records::FieldError;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The level a rule watches and acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleLevel {
    Campaign,
    #[serde(rename = "adset")]
    AdSet,
    Ad,
}

impl RuleLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleLevel::Campaign => "campaign",
            RuleLevel::AdSet => "adset",
            RuleLevel::Ad => "ad",
        }
    }

    pub fn insights(self) -> Level {
        match self {
            RuleLevel::Campaign => Level::Campaign,
            RuleLevel::AdSet => Level::AdSet,
            RuleLevel::Ad => Level::Ad,
        }
    }

    pub fn object_kind(self) -> ObjectKind {
        match self {
            RuleLevel::Campaign => ObjectKind::Campaign,
            RuleLevel::AdSet => ObjectKind::AdSet,
            RuleLevel::Ad => ObjectKind::Ad,
        }
    }

    /// The mirror rows a run reads: id, name, own status, daily budget, creative and ad set.
    pub fn objects_sql(self) -> &'static str {
        match self {
            RuleLevel::Campaign => "SELECT id, name, status, daily_budget, NULL AS creative_id, NULL AS adset_id FROM meta_campaigns",
            RuleLevel::AdSet => "SELECT id, name, status, daily_budget, NULL AS creative_id, NULL AS adset_id FROM meta_ad_sets",
            RuleLevel::Ad => "SELECT id, name, status, NULL AS daily_budget, creative_id, adset_id FROM meta_ads",
        }
    }
}

/// A figure over the rule's window. Money is in minor units; `ctr` and `spend_vs_budget_pct`
/// are percentages; `frequency` is impressions per person reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Spend,
    Impressions,
    Reach,
    Clicks,
    Leads,
    Ctr,
    Cpm,
    Cpc,
    Cpl,
    Frequency,
    DailyBudget,
    SpendVsBudgetPct,
}

/// What a metric measures: only figures of one unit compare with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Money,
    Count,
    Percent,
    Ratio,
}

impl Metric {
    pub fn unit(self) -> Unit {
        match self {
            Metric::Spend | Metric::Cpm | Metric::Cpc | Metric::Cpl | Metric::DailyBudget => Unit::Money,
            Metric::Impressions | Metric::Reach | Metric::Clicks | Metric::Leads => Unit::Count,
            Metric::Ctr | Metric::SpendVsBudgetPct => Unit::Percent,
            Metric::Frequency => Unit::Ratio,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Spend => "spend",
            Metric::Impressions => "impressions",
            Metric::Reach => "reach",
            Metric::Clicks => "clicks",
            Metric::Leads => "leads",
            Metric::Ctr => "ctr",
            Metric::Cpm => "cpm",
            Metric::Cpc => "cpc",
            Metric::Cpl => "cpl",
            Metric::Frequency => "frequency",
            Metric::DailyBudget => "daily_budget",
            Metric::SpendVsBudgetPct => "spend_vs_budget_pct",
        }
    }

    /// The values the metric can take: a comparison outside them can never hold (or always does).
    fn range(self) -> (f64, f64) {
        match self.unit() {
            Unit::Money => (0.0, MAX_BUDGET_MINOR as f64 * 1_000.0),
            Unit::Count => (0.0, 1e15),
            Unit::Percent if self == Metric::Ctr => (0.0, 100.0),
            Unit::Percent => (0.0, 100_000.0),
            Unit::Ratio => (1.0, 1e6),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

impl Op {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Gte => a >= b,
            Op::Lt => a < b,
            Op::Lte => a <= b,
            Op::Eq => a == b,
        }
    }
}

/// `metric op value`, or `metric op other_metric × other_pct / 100` (same unit only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub metric: Metric,
    pub op: Op,
    /// The threshold, in the metric's unit (minor units for money).
    pub value: Option<f64>,
    /// Compare with this metric of the same object instead of a fixed value.
    pub other_metric: Option<Metric>,
    /// The share of `other_metric` compared with, in percent (default 100).
    pub other_pct: Option<Bounded<1, 10_000>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Join {
    All,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Notify,
    Pause,
    Resume,
    ChangeBudget,
    RotateCreative,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Notify => "notify",
            ActionKind::Pause => "pause",
            ActionKind::Resume => "resume",
            ActionKind::ChangeBudget => "change_budget",
            ActionKind::RotateCreative => "rotate_creative",
        }
    }
}

/// What the rule does to each object that matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleAction {
    pub kind: ActionKind,
    /// change_budget: by this percentage of the current daily budget (-90 to 100).
    pub by_pct: Option<Bounded<{ -90 }, 100>>,
    /// change_budget: by this amount in minor units (negative lowers it).
    pub by_minor: Option<Bounded<{ -100_000_000 }, 100_000_000>>,
    /// change_budget: never below this daily budget.
    pub floor_minor: Option<AmountMinor>,
    /// change_budget: never above this daily budget.
    pub ceiling_minor: Option<AmountMinor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Sync,
    Hour,
    Day,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Sync => "sync",
            Every::Hour => "hour",
            Every::Day => "day",
        }
    }
}

/// When the rule runs: after each insights sync of the account (`sync`, new data), every hour,
/// or once a day at `at` in the account's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub every: Every,
    /// `HH:MM` in the account's time zone, for `every: day`.
    pub at: Option<Text<5>>,
}

/// A rule as its creator wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub level: RuleLevel,
    /// Only these objects of the level (default: every object of the level in the account).
    pub object_ids: Option<List<MetaId, 100>>,
    /// Whole days looked back, ending yesterday in the account's zone; 0 is today so far.
    pub window_days: Bounded<0, 28>,
    /// Whether all conditions must hold or any one.
    #[serde(rename = "match")]
    pub join: Join,
    pub conditions: List<Condition, 10>,
    pub action: RuleAction,
    pub schedule: Schedule,
    /// An object the rule acted on rests this long before the rule acts on it again (default 1440).
    pub cooldown_minutes: Option<Bounded<0, 43_200>>,
    /// At most this many actions in one run (default 10).
    pub max_actions_per_run: Option<Bounded<1, 50>>,
    /// At most this many actions in 24 hours (default 20).
    pub max_actions_per_day: Option<Bounded<1, 500>>,
}

impl RuleSpec {
    pub fn cooldown_minutes(&self) -> i64 {
        self.cooldown_minutes.map_or(1_440, |c| c.get())
    }

    pub fn max_per_run(&self) -> i64 {
        self.max_actions_per_run.map_or(10, |c| c.get())
    }

    pub fn max_per_day(&self) -> i64 {
        self.max_actions_per_day.map_or(20, |c| c.get())
    }

    /// `(hour, minute)` of a daily rule.
    pub fn daily_at(&self) -> Option<(u32, u32)> {
        let at = self.schedule.at.as_ref()?;
        let (h, m) = at.as_str().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && at.as_str().len() == 5).then_some((h, m))
    }

    /// When a scheduled rule runs next after `now_ms`: the next whole hour, or the next `at` in
    /// the account's zone. None for rules that run on new data.
    pub fn next_run_ms(&self, tz_name: &str, now_ms: i64) -> Option<i64> {
        use chrono::TimeZone;
        match self.schedule.every {
            Every::Sync => None,
            Every::Hour => Some((now_ms / 3_600_000 + 1) * 3_600_000),
            Every::Day => {
                let (h, m) = self.daily_at()?;
                let tz: chrono_tz::Tz = tz_name.parse().ok()?;
                let local = tz.from_utc_datetime(&chrono::DateTime::from_timestamp_millis(now_ms)?.naive_utc());
                (0..3).find_map(|d| {
                    let day = local.date_naive() + chrono::Duration::days(d);
                    let at = tz.from_local_datetime(&day.and_hms_opt(h, m, 0)?).earliest()?.timestamp_millis();
                    (at > now_ms).then_some(at)
                })
            }
        }
    }

    /// Every problem a stored rule must not have, the first one named by its field (under
    /// `prefix`). `max_budget` is the workspace's guardrail or the account's cap, if any.
    pub fn check(&self, prefix: &str, max_budget: Option<i64>) -> Result<(), FieldError> {
        let bad = |field: &str, reason: String| FieldError { field: format!("{prefix}{field}"), reason };
        if self.conditions.is_empty() {
            return Err(bad("conditions", "needs at least one condition".into()));
        }
        for (i, c) in self.conditions.items().iter().enumerate() {
            check_condition(c).map_err(|(f, r)| bad(&format!("conditions[{i}].{f}"), r))?;
        }
        match self.schedule.every {
            Every::Day if self.daily_at().is_none() => return Err(bad("schedule.at", "is required with every: day, as HH:MM (00:00 to 23:59)".into())),
            Every::Sync | Every::Hour if self.schedule.at.is_some() => return Err(bad("schedule.at", "goes only with every: day".into())),
            _ => {}
        }
        if self.max_per_run() > self.max_per_day() {
            return Err(bad("max_actions_per_run", "cannot be above max_actions_per_day".into()));
        }
        self.check_action(max_budget).map_err(|(f, r)| bad(&format!("action.{f}"), r))
    }

    fn check_action(&self, max_budget: Option<i64>) -> Result<(), (&'static str, String)> {
        let a = &self.action;
        let budget_fields = a.by_pct.is_some() || a.by_minor.is_some() || a.floor_minor.is_some() || a.ceiling_minor.is_some();
        match a.kind {
            ActionKind::ChangeBudget => {
                if self.level != RuleLevel::AdSet {
                    return Err(("kind", "change_budget acts on ad sets' daily budgets: use level adset".into()));
                }
                match (a.by_pct, a.by_minor) {
                    (Some(_), Some(_)) | (None, None) => return Err(("by_pct", "give one of by_pct and by_minor".into())),
                    (Some(p), None) if p.get() == 0 => return Err(("by_pct", "a change of 0% changes nothing".into())),
                    (None, Some(m)) if m.get() == 0 => return Err(("by_minor", "a change of 0 changes nothing".into())),
                    _ => {}
                }
                let (floor, ceiling) = (a.floor_minor.map(|f| f.get()), a.ceiling_minor.map(|c| c.get()));
                if let (Some(f), Some(c)) = (floor, ceiling) {
                    if f > c {
                        return Err(("floor_minor", format!("{f} is above ceiling_minor {c}")));
                    }
                }
                if let Some(max) = max_budget {
                    if let Some(c) = ceiling.filter(|c| *c > max) {
                        return Err(("ceiling_minor", format!("{c} is above the workspace's budget cap of {max}")));
                    }
                    if let Some(m) = a.by_minor.filter(|m| m.get().abs() > max) {
                        return Err(("by_minor", format!("a step of {} is beyond the workspace's budget cap of {max}", m.get())));
                    }
                }
                let rising = a.by_pct.is_some_and(|p| p.get() > 0) || a.by_minor.is_some_and(|m| m.get() > 0);
                if rising && ceiling.is_none() {
                    return Err(("ceiling_minor", "a rule that raises budgets needs a ceiling".into()));
                }
            }
            ActionKind::RotateCreative if self.level != RuleLevel::Ad => {
                return Err(("kind", "rotate_creative acts on ads: use level ad".into()));
            }
            _ if budget_fields => return Err(("by_pct", format!("budget fields go only with change_budget, not {}", a.kind.as_str()))),
            _ => {}
        }
        Ok(())
    }
}

fn check_condition(c: &Condition) -> Result<(), (&'static str, String)> {
    match (c.value, c.other_metric) {
        (Some(_), Some(_)) | (None, None) => return Err(("value", "give one of value and other_metric".into())),
        (None, Some(other)) => {
            if other.unit() != c.metric.unit() {
                return Err(("other_metric", format!("{} cannot be compared with {}: they measure different things", c.metric.as_str(), other.as_str())));
            }
            if other == c.metric {
                return Err(("other_metric", "compares the metric with itself".into()));
            }
            if c.op == Op::Eq {
                return Err(("op", "eq compares with a value, not another metric".into()));
            }
        }
        (Some(v), None) => {
            if c.other_pct.is_some() {
                return Err(("other_pct", "goes only with other_metric".into()));
            }
            let (lo, hi) = c.metric.range();
            if !v.is_finite() || v < lo || v > hi {
                return Err(("value", format!("{} is between {lo} and {hi}", c.metric.as_str())));
            }
            let never = match c.op {
                Op::Lt => v <= lo,
                Op::Gt => v >= hi,
                Op::Eq => c.metric.unit() != Unit::Count || v.fract() != 0.0,
                _ => false,
            };
            if never {
                let why = if c.op == Op::Eq { "eq is for whole counts (e.g. leads eq 0)" } else { "the comparison can never hold" };
                return Err(("op", format!("{} {:?} {v}: {why}", c.metric.as_str(), c.op).to_lowercase()));
            }
        }
    }
    Ok(())
}
