//! A rule against the figures of its objects: which match, and what it would do to each
//! (or why it does nothing). Pure: the run reads the figures and carries the decisions out.

use super::spec::{ActionKind, Condition, Join, Metric, RuleSpec};
use crate::db::insights_read::Sums;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The lowest daily budget a rule sets when none is given (Meta refuses most budgets below it).
pub const DEFAULT_FLOOR_MINOR: i64 = 100;

/// One object as a run sees it: its state in the mirror and its sums over the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub object_id: String,
    pub name: Option<String>,
    pub status: String,
    pub daily_budget: Option<i64>,
    /// Ads: the creative shown and the ad set.
    pub creative_id: Option<String>,
    pub adset_id: Option<String>,
    pub sums: Sums,
    /// Days the window spans (budget comparisons scale by it).
    pub days: i64,
}

fn ratio(n: i64, d: i64, scale: f64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64 * scale)
}

/// A metric's value, or none when it is undefined (a cost with nothing bought).
pub fn value(metric: Metric, f: &Figures) -> Option<f64> {
    let s = &f.sums;
    match metric {
        Metric::Spend => Some(s.spend_minor as f64),
        Metric::Impressions => Some(s.impressions as f64),
        Metric::Reach => Some(s.reach as f64),
        Metric::Clicks => Some(s.clicks as f64),
        Metric::Leads => Some(s.leads as f64),
        Metric::Ctr => ratio(s.clicks, s.impressions, 100.0),
        Metric::Cpm => ratio(s.spend_minor, s.impressions, 1_000.0),
        Metric::Cpc => ratio(s.spend_minor, s.clicks, 1.0),
        Metric::Cpl => ratio(s.spend_minor, s.leads, 1.0),
        Metric::Frequency => ratio(s.impressions, s.reach, 1.0),
        Metric::DailyBudget => f.daily_budget.filter(|b| *b > 0).map(|b| b as f64),
        Metric::SpendVsBudgetPct => f.daily_budget.and_then(|b| ratio(s.spend_minor, b.saturating_mul(f.days.max(1)), 100.0)),
    }
}

/// One condition on one object: the figures compared and whether it held (an undefined
/// figure never holds).
fn test(c: &Condition, f: &Figures) -> (bool, Value) {
    let left = value(c.metric, f);
    let right = match (c.value, c.other_metric) {
        (Some(v), _) => Some(v),
        (None, Some(other)) => value(other, f).map(|v| v * c.other_pct.map_or(100, |p| p.get()) as f64 / 100.0),
        (None, None) => None,
    };
    let held = matches!((left, right), (Some(l), Some(r)) if c.op.holds(l, r));
    (held, json!({ "metric": c.metric.as_str(), "value": left.map(round), "against": right.map(round), "held": held }))
}

fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Whether the rule's conditions hold for the object, with each condition's figures.
pub fn matches(spec: &RuleSpec, f: &Figures) -> (bool, Vec<Value>) {
    let tests: Vec<(bool, Value)> = spec.conditions.items().iter().map(|c| test(c, f)).collect();
    let held = match spec.join {
        Join::All => tests.iter().all(|t| t.0),
        Join::Any => tests.iter().any(|t| t.0),
    };
    (held, tests.into_iter().map(|t| t.1).collect())
}

/// A change a rule makes to one field of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub object_id: String,
    /// `status`, `daily_budget` or `creative_id`.
    pub field: String,
    pub from: String,
    pub to: String,
}

/// What a run does with one matched object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Notify,
    Act(Edit),
    Skip(String),
}

/// The edit the rule's action makes to a matched object, or why it makes none. `peers` are the
/// figures of every object the run read (an ad's rotation picks another ad's creative).
pub fn decide(spec: &RuleSpec, f: &Figures, peers: &[Figures]) -> Decision {
    let edit = |field: &'static str, from: &str, to: &str| {
        Decision::Act(Edit { object_id: f.object_id.clone(), field: field.into(), from: from.into(), to: to.into() })
    };
    let a = &spec.action;
    match a.kind {
        ActionKind::Notify => Decision::Notify,
        ActionKind::Pause if f.status == "ACTIVE" => edit("status", "ACTIVE", "PAUSED"),
        ActionKind::Resume if f.status == "PAUSED" => edit("status", "PAUSED", "ACTIVE"),
        ActionKind::Pause | ActionKind::Resume => Decision::Skip(format!("it is {}", f.status)),
        ActionKind::ChangeBudget => {
            let Some(current) = f.daily_budget.filter(|b| *b > 0) else {
                return Decision::Skip("it has no daily budget of its own".into());
            };
            let step = match (a.by_pct, a.by_minor) {
                (Some(p), _) => i64::try_from(i128::from(current) * i128::from(p.get()) / 100).unwrap_or(i64::MAX),
                (None, Some(m)) => m.get(),
                (None, None) => 0,
            };
            let floor = a.floor_minor.map_or(DEFAULT_FLOOR_MINOR, |x| x.get());
            let mut to = current.saturating_add(step).max(floor);
            if let Some(c) = a.ceiling_minor {
                to = to.min(c.get());
            }
            if to == current {
                return Decision::Skip(format!("its budget {current} is already at the rule's floor or ceiling"));
            }
            edit("daily_budget", &current.to_string(), &to.to_string())
        }
        ActionKind::RotateCreative => {
            let Some(own) = f.creative_id.as_deref() else { return Decision::Skip("it shows no creative".into()) };
            let best = peers
                .iter()
                .filter(|p| p.adset_id == f.adset_id && p.creative_id.as_deref().is_some_and(|c| c != own) && p.sums.impressions > 0)
                .max_by(|x, y| {
                    let ctr = |p: &Figures| p.sums.clicks as f64 / p.sums.impressions as f64;
                    ctr(x).total_cmp(&ctr(y)).then_with(|| y.object_id.cmp(&x.object_id))
                });
            match best.and_then(|p| p.creative_id.clone()) {
                Some(c) => edit("creative_id", own, &c),
                None => Decision::Skip("no other creative runs in its ad set".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spec::RuleSpec;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn spec(v: Value) -> RuleSpec {
        serde_json::from_value(v).unwrap()
    }

    fn adset(id: &str, spend: i64, leads: i64, budget: i64) -> Figures {
        Figures {
            object_id: id.into(),
            status: "ACTIVE".into(),
            daily_budget: Some(budget),
            sums: Sums { spend_minor: spend, leads, impressions: spend * 10, clicks: spend / 10, reach: spend * 5, ..Default::default() },
            days: 7,
            ..Default::default()
        }
    }

    fn pause_over_cpl(cpl: i64) -> RuleSpec {
        spec(json!({ "level": "adset", "window_days": 7, "match": "all",
            "conditions": [{"metric": "cpl", "op": "gt", "value": cpl}, {"metric": "spend", "op": "gte", "value": 1000}],
            "action": {"kind": "pause"}, "schedule": {"every": "sync"} }))
    }

    #[test]
    fn conditions_join_and_undefined_figures_never_hold() {
        let s = pause_over_cpl(2_000);
        assert!(matches(&s, &adset("1", 10_000, 4, 5_000)).0, "CPL 2,500 > 2,000");
        assert!(!matches(&s, &adset("1", 10_000, 5, 5_000)).0, "CPL 2,000 is not above");
        assert!(!matches(&s, &adset("1", 10_000, 0, 5_000)).0, "no lead: no CPL, no match");
        let any = spec(json!({ "level": "adset", "window_days": 7, "match": "any",
            "conditions": [{"metric": "cpl", "op": "gt", "value": 2000}, {"metric": "leads", "op": "eq", "value": 0}],
            "action": {"kind": "pause"}, "schedule": {"every": "sync"} }));
        assert!(matches(&any, &adset("1", 10_000, 0, 5_000)).0, "results = 0 catches what CPL cannot");
        let (_, figures) = matches(&any, &adset("1", 10_000, 4, 5_000));
        assert_eq!(figures[0]["value"], json!(2500.0));
    }

    #[test]
    fn metric_against_metric_scales_by_the_window() {
        let s = spec(json!({ "level": "adset", "window_days": 7, "match": "all",
            "conditions": [{"metric": "spend", "op": "gt", "other_metric": "daily_budget", "other_pct": 700}],
            "action": {"kind": "notify"}, "schedule": {"every": "hour"} }));
        assert!(matches(&s, &adset("1", 35_001, 1, 5_000)).0);
        assert!(!matches(&s, &adset("1", 35_000, 1, 5_000)).0);
        let pct = value(Metric::SpendVsBudgetPct, &adset("1", 17_500, 1, 5_000)).unwrap();
        assert!((pct - 50.0).abs() < 1e-9);
    }

    #[test]
    fn budget_steps_stay_within_floor_and_ceiling_without_overflow() {
        let mut s = pause_over_cpl(1);
        s.action = serde_json::from_value(json!({"kind": "change_budget", "by_pct": 50, "ceiling_minor": 7_000})).unwrap();
        assert_eq!(
            decide(&s, &adset("9", 1, 1, 5_000), &[]),
            Decision::Act(Edit { object_id: "9".into(), field: "daily_budget".into(), from: "5000".into(), to: "7000".into() })
        );
        assert!(matches!(decide(&s, &adset("9", 1, 1, 7_000), &[]), Decision::Skip(_)));
        s.action = serde_json::from_value(json!({"kind": "change_budget", "by_pct": -90, "floor_minor": 2_000})).unwrap();
        assert_eq!(
            decide(&s, &adset("9", 1, 1, 5_000), &[]),
            Decision::Act(Edit { object_id: "9".into(), field: "daily_budget".into(), from: "5000".into(), to: "2000".into() })
        );
        s.action = serde_json::from_value(json!({"kind": "change_budget", "by_pct": 100, "ceiling_minor": 100_000_000_000i64})).unwrap();
        let huge = adset("9", 1, 1, i64::MAX / 2 + 7);
        assert!(matches!(decide(&s, &huge, &[]), Decision::Act(e) if e.to == "100000000000"));
    }

    #[test]
    fn pause_and_resume_only_change_what_they_would() {
        let s = pause_over_cpl(1);
        let mut f = adset("1", 1, 1, 1);
        assert!(matches!(decide(&s, &f, &[]), Decision::Act(e) if e.to == "PAUSED"));
        f.status = "PAUSED".into();
        assert_eq!(decide(&s, &f, &[]), Decision::Skip("it is PAUSED".into()));
    }

    #[test]
    fn rotation_takes_the_best_other_creative_of_the_ad_set() {
        let s = spec(json!({ "level": "ad", "window_days": 7, "match": "all", "conditions": [{"metric": "frequency", "op": "gt", "value": 3}],
            "action": {"kind": "rotate_creative"}, "schedule": {"every": "day", "at": "09:00"} }));
        let ad = |id: &str, set: &str, creative: &str, clicks: i64| Figures {
            object_id: id.into(),
            status: "ACTIVE".into(),
            creative_id: Some(creative.into()),
            adset_id: Some(set.into()),
            sums: Sums { impressions: 1_000, clicks, ..Default::default() },
            ..Default::default()
        };
        let peers = [ad("1", "s", "c1", 5), ad("2", "s", "c2", 30), ad("3", "s", "c3", 20), ad("4", "other", "c4", 90)];
        assert_eq!(
            decide(&s, &peers[0], &peers),
            Decision::Act(Edit { object_id: "1".into(), field: "creative_id".into(), from: "c1".into(), to: "c2".into() })
        );
        assert!(matches!(decide(&s, &peers[3], &peers), Decision::Skip(_)));
    }

    #[test]
    fn bad_rules_are_refused_naming_the_field() {
        let base = json!({ "level": "adset", "window_days": 7, "match": "all", "conditions": [{"metric": "cpl", "op": "gt", "value": 1000}],
            "action": {"kind": "pause"}, "schedule": {"every": "sync"} });
        let refused = |patch: Value| {
            let mut v = base.clone();
            for (k, x) in patch.as_object().unwrap() {
                v[k] = x.clone();
            }
            spec(v).check("", Some(50_000)).unwrap_err().field
        };
        assert!(spec(base.clone()).check("", None).is_ok());
        assert_eq!(refused(json!({"conditions": [{"metric": "ctr", "op": "gt", "other_metric": "spend"}]})), "conditions[0].other_metric");
        assert_eq!(refused(json!({"conditions": [{"metric": "ctr", "op": "gt", "value": 150}]})), "conditions[0].value");
        assert_eq!(refused(json!({"conditions": [{"metric": "spend", "op": "lt", "value": 0}]})), "conditions[0].op");
        assert_eq!(refused(json!({"conditions": [{"metric": "cpl", "op": "eq", "value": 5}]})), "conditions[0].op");
        assert_eq!(refused(json!({"conditions": [{"metric": "cpl", "op": "gt"}]})), "conditions[0].value");
        assert_eq!(refused(json!({"conditions": []})), "conditions");
        assert_eq!(refused(json!({"schedule": {"every": "day"}})), "schedule.at");
        assert_eq!(refused(json!({"schedule": {"every": "day", "at": "25:00"}})), "schedule.at");
        assert_eq!(refused(json!({"action": {"kind": "change_budget", "by_pct": 20}})), "action.ceiling_minor");
        assert_eq!(refused(json!({"action": {"kind": "change_budget", "by_pct": 20, "ceiling_minor": 60000}})), "action.ceiling_minor");
        assert_eq!(refused(json!({"action": {"kind": "change_budget", "by_minor": -60000}})), "action.by_minor");
        assert_eq!(refused(json!({"action": {"kind": "change_budget", "by_pct": -20, "by_minor": -5}})), "action.by_pct");
        assert_eq!(refused(json!({"action": {"kind": "rotate_creative"}})), "action.kind");
        assert_eq!(refused(json!({"action": {"kind": "pause", "by_pct": 5}})), "action.by_pct");
        assert_eq!(refused(json!({"max_actions_per_run": 30, "max_actions_per_day": 10})), "max_actions_per_run");
        assert!(serde_json::from_value::<RuleSpec>(json!({"level": "adset"})).is_err());
    }
}
