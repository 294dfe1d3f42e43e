//! The funnel's arithmetic: counts from impression to hire, each stage's rate from the one before
//! and its cost, the lag from application to hire, when a week's hires can be taken as final,
//! and a rate's lower confidence bound (so three applicants never make a best source).

use serde_json::{json, Value};

/// One row of the funnel: Meta's figures (absent where they cannot be split, such as by job)
/// and the pipeline's counts of applications that reached each stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub meta: Option<MetaFigures>,
    pub applications: i64,
    pub qualified: i64,
    pub interviewed: i64,
    pub offered: i64,
    pub hired: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetaFigures {
    pub impressions: i64,
    pub clicks: i64,
    pub leads: i64,
    pub spend_minor: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        if let Some(m) = o.meta {
            let mine = self.meta.get_or_insert_with(MetaFigures::default);
            mine.impressions += m.impressions;
            mine.clicks += m.clicks;
            mine.leads += m.leads;
            mine.spend_minor += m.spend_minor;
        }
        self.applications += o.applications;
        self.qualified += o.qualified;
        self.interviewed += o.interviewed;
        self.offered += o.offered;
        self.hired += o.hired;
    }

    /// The stages in order with their counts (`None` for Meta's where unknown).
    pub fn stages(&self) -> [(&'static str, Option<i64>); 8] {
        let m = self.meta;
        [
            ("impressions", m.map(|m| m.impressions)),
            ("clicks", m.map(|m| m.clicks)),
            ("leads", m.map(|m| m.leads)),
            ("applications", Some(self.applications)),
            ("qualified", Some(self.qualified)),
            ("interviewed", Some(self.interviewed)),
            ("offered", Some(self.offered)),
            ("hired", Some(self.hired)),
        ]
    }

    /// Each stage with its count, its rate from the previous stage (percent, 2 decimals) and
    /// what spend bought one of it (minor units, rounded): `null` where a figure is missing or zero.
    pub fn funnel(&self) -> Vec<Value> {
        let spend = self.meta.map(|m| m.spend_minor);
        let stages = self.stages();
        let mut prev: Option<i64> = None;
        stages
            .iter()
            .map(|(name, n)| {
                let rate = match (prev, n) {
                    (Some(p), Some(n)) if p > 0 => json!(pct(*n, p)),
                    _ => Value::Null,
                };
                prev = *n;
                json!({ "stage": name, "count": n, "rate_from_previous_pct": rate, "cost_per_minor": cost_per(spend, *n) })
            })
            .collect()
    }
}

/// `n / d` as a percentage with 2 decimals.
pub fn pct(n: i64, d: i64) -> f64 {
    ((n as f64) * 10_000.0 / (d as f64)).round() / 100.0
}

/// Spend per unit, in whole minor units; `None` without spend or units.
pub fn cost_per(spend_minor: Option<i64>, n: Option<i64>) -> Option<i64> {
    match (spend_minor, n) {
        (Some(s), Some(n)) if n > 0 => Some(((s as f64) / (n as f64)).round() as i64),
        _ => None,
    }
}

/// The `p`-th percentile (0..=100) of `days`, by nearest rank; `None` when empty.
pub fn percentile(days: &mut [f64], p: f64) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    days.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * days.len() as f64).ceil().max(1.0) as usize;
    Some(days[rank.min(days.len()) - 1])
}

/// The fewest hires a measured lag needs; with fewer, `DEFAULT_LAG_DAYS` stands in.
pub const MIN_HIRES_FOR_LAG: usize = 5;
/// How long hires are assumed to keep arriving when there are too few to measure.
pub const DEFAULT_LAG_DAYS: f64 = 60.0;

/// A week's hires are final once the 90th percentile of the lag has passed since its last day.
pub fn mature(week_last_day: chrono::NaiveDate, today: chrono::NaiveDate, lag_p90_days: f64) -> bool {
    (today - week_last_day).num_days() as f64 >= lag_p90_days.ceil()
}

/// The Wilson score interval's lower bound (95%) for `k` of `n`, in percent with one decimal:
/// a rate that small samples cannot inflate.
pub fn wilson_lower_pct(k: i64, n: i64) -> Option<f64> {
    if n <= 0 {
        return None;
    }
    let (k, n, z) = (k as f64, n as f64, 1.959_964);
    let p = k / n;
    let centre = p + z * z / (2.0 * n);
    let margin = z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt();
    Some((((centre - margin) / (1.0 + z * z / n)).max(0.0) * 1_000.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn each_stage_has_its_rate_and_its_cost() {
        let c = Counts {
            meta: Some(MetaFigures { impressions: 10_000, clicks: 200, leads: 40, spend_minor: 50_000 }),
            applications: 30,
            qualified: 12,
            interviewed: 6,
            offered: 2,
            hired: 1,
        };
        let f = c.funnel();
        assert_eq!(f[1], json!({"stage": "clicks", "count": 200, "rate_from_previous_pct": 2.0, "cost_per_minor": 250}));
        assert_eq!(f[4]["rate_from_previous_pct"], json!(40.0));
        assert_eq!(f[4]["cost_per_minor"], json!(4167), "50,000 over 12, rounded");
        assert_eq!(f[7]["cost_per_minor"], json!(50_000));
        let by_job = Counts { meta: None, applications: 3, qualified: 0, ..Counts::default() };
        let f = by_job.funnel();
        assert_eq!(
            (f[0]["count"].clone(), f[3]["rate_from_previous_pct"].clone(), f[4]["rate_from_previous_pct"].clone()),
            (Value::Null, Value::Null, json!(0.0))
        );
        assert_eq!(f[5]["rate_from_previous_pct"], Value::Null, "no rate from zero");
        let mut total = Counts::default();
        total.add(&c);
        total.add(&by_job);
        assert_eq!((total.applications, total.meta.unwrap().spend_minor), (33, 50_000));
    }

    #[test]
    fn lag_percentiles_and_maturity() {
        let mut days = vec![30.0, 10.0, 20.0, 40.0, 50.0];
        assert_eq!(percentile(&mut days, 50.0), Some(30.0));
        assert_eq!(percentile(&mut days, 90.0), Some(50.0));
        assert_eq!(percentile(&mut [], 50.0), None);
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(mature(d("2026-09-06"), d("2026-11-24"), 50.0));
        assert!(!mature(d("2026-11-01"), d("2026-11-24"), 50.0));
    }

    #[test]
    fn few_applicants_cannot_make_a_high_score() {
        let three = wilson_lower_pct(3, 3).unwrap();
        let many = wilson_lower_pct(60, 100).unwrap();
        assert!(three < many, "3 of 3 ({three}) must score below 60 of 100 ({many})");
        assert_eq!(wilson_lower_pct(0, 50), Some(0.0));
        assert_eq!(wilson_lower_pct(1, 0), None);
        assert!((wilson_lower_pct(50, 100).unwrap() - 40.4).abs() < 0.11);
    }
}
