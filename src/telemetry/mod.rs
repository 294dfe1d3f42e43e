//! Telemetry an operator can act on: the metric catalogue, label canonical form, and the
//! in-memory recorder an isolate fills while it works and flushes as hourly rollups (one D1
//! batch per request, job batch or tick, never a row per event). Pure, so tested natively.

pub mod histogram;
pub mod openmetrics;

use std::collections::BTreeMap;

/// How a metric is kept and served.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Counts events (`count`; `sum` carries a total where one helps, such as milliseconds).
    Counter,
    /// Observations in fixed buckets (`le` label), with count and sum.
    Histogram(&'static [f64]),
    /// The highest value seen in a bucket (`max`).
    Peak,
}

/// One metric of the catalogue: its name as served, how it is kept, and what it says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

/// Milliseconds an action takes, from 5 ms to a minute.
pub const DURATION_MS_BOUNDS: &[f64] = &[5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0, 30_000.0, 60_000.0];
/// Hours after a day ends at which its conversions were still seen to change (1 day to 4 weeks).
pub const AGE_HOURS_BOUNDS: &[f64] = &[24.0, 48.0, 72.0, 96.0, 120.0, 168.0, 336.0, 672.0];
/// Seconds from Meta's event time to its processing.
pub const LAG_SECONDS_BOUNDS: &[f64] = &[1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3_600.0, 21_600.0, 86_400.0];

pub const GRAPH_CALLS: Metric = Metric {
    name: "adgate_graph_calls",
    kind: Kind::Counter,
    help: "Outbound Graph API calls by normalised endpoint, method, outcome (ok or Meta's error class) and Graph error code; sum is milliseconds spent.",
};
pub const GRAPH_RETRIES: Metric =
    Metric { name: "adgate_graph_retries", kind: Kind::Counter, help: "Retries the Graph client made after transient errors, by endpoint." };
pub const ACTION_DURATION: Metric = Metric {
    name: "adgate_action_duration_milliseconds",
    kind: Kind::Histogram(DURATION_MS_BOUNDS),
    help: "Time to answer an action call, by action, channel and status class.",
};
pub const GATE_DECISIONS: Metric = Metric {
    name: "adgate_gate_decisions",
    kind: Kind::Counter,
    help: "The account gate's decisions on Graph calls: admitted, held (Meta's usage) or refused (own window, quarantine).",
};
pub const META_USAGE: Metric =
    Metric { name: "adgate_meta_usage_peak_percent", kind: Kind::Peak, help: "Highest Meta usage percentage reported per account and business use case." };
pub const ATTRIBUTION_CHANGE_AGE: Metric = Metric {
    name: "adgate_attribution_change_age_hours",
    kind: Kind::Histogram(AGE_HOURS_BOUNDS),
    help: "Hours after a day ended at which a re-sync still changed its conversions (attribution lag).",
};
pub const WEBHOOK_LAG: Metric = Metric {
    name: "adgate_webhook_lag_seconds",
    kind: Kind::Histogram(LAG_SECONDS_BOUNDS),
    help: "Seconds from Meta's event time to adgate processing the webhook change, by field.",
};

/// Every recorded metric, so a row's name finds its kind when served.
pub const RECORDED: &[Metric] = &[GRAPH_CALLS, GRAPH_RETRIES, ACTION_DURATION, GATE_DECISIONS, META_USAGE, ATTRIBUTION_CHANGE_AGE, WEBHOOK_LAG];

pub fn recorded(name: &str) -> Option<&'static Metric> {
    RECORDED.iter().find(|m| m.name == name)
}

/// The gauge of the serving instance's linear memory (served with every scrape).
pub const INSTANCE_MEMORY_HELP: &str =
    "Bytes of linear memory of the wasm instance that answered this scrape; it never shrinks, so a rise across scrapes is memory the worker keeps.";

/// Bytes of linear memory this wasm instance holds (`None` outside wasm). The heap only grows,
/// so this is its high-water mark: flat over a soak means the worker holds nothing per request.
pub fn instance_memory_bytes() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        Some(core::arch::wasm32::memory_size(0) as u64 * 65_536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// Label values are bounded and printable: at most this many characters.
pub const LABEL_VALUE_MAX: usize = 100;

/// Labels in canonical form: sorted by name, values escaped as OpenMetrics writes them
/// (`name="value",...`), so equal label sets are equal strings and render as they are.
pub fn labels(pairs: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = pairs.iter().collect();
    sorted.sort_by_key(|(k, _)| *k);
    sorted.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect::<Vec<_>>().join(",")
}

/// A label value as OpenMetrics writes it: bounded, with `\\`, `\"` and newlines escaped.
pub fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars().take(LABEL_VALUE_MAX) {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// A Graph path as a label: the endpoint as the schema records know it (version and query
/// dropped, ids as `{id}`), also `{page}_{post}` ids replaced, at most four segments of plain
/// characters, so series stay few (`act_{id}/insights`, `{id}/ads`, `me/adaccounts`).
pub fn endpoint(path: &str) -> String {
    let known = crate::graph::schema::endpoint_of(path);
    let segments: Vec<String> = known
        .split('/')
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| {
            if s.chars().any(|c| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_digit() || c == '_') {
                "{id}".to_string()
            } else {
                s.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '{' | '}')).take(40).collect()
            }
        })
        .collect();
    if segments.is_empty() {
        "batch".to_string()
    } else {
        segments.join("/")
    }
}

/// The hour an instant falls in, as the rollup bucket (`2026-11-24T13:00:00.000Z`, comparable
/// with every other timestamp the gateway writes).
pub fn hour_bucket(millis: i64) -> String {
    crate::timefmt::iso_from_millis(millis.div_euclid(3_600_000) * 3_600_000)
}

/// Where a sum goes: the bucket (`ALL_TIME` for the totals), workspace, account, metric, labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub bucket: String,
    pub workspace: String,
    pub account: String,
    pub metric: &'static str,
    pub labels: String,
}

/// The bucket of the all-time totals.
pub const ALL_TIME: &str = "";

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub count: i64,
    pub sum: f64,
    pub max: f64,
}

/// What an isolate has recorded and not yet flushed.
#[derive(Debug, Default)]
pub struct Recorder {
    sums: BTreeMap<Key, Sums>,
}

/// The most keys a recorder holds before it drops new ones (a runaway label set cannot grow an
/// isolate's memory without bound; what it drops is counted in `dropped`).
pub const RECORDER_MAX_KEYS: usize = 2_000;

impl Recorder {
    /// Records one observation of `metric` at `millis`, into its hour and the all-time totals.
    pub fn observe(&mut self, millis: i64, metric: &Metric, workspace: &str, account: &str, pairs: &[(&str, &str)], value: f64) {
        let value = if value.is_finite() { value } else { 0.0 };
        let base = labels(pairs);
        for bucket in [hour_bucket(millis), ALL_TIME.to_string()] {
            let key = |labels: String| Key { bucket: bucket.clone(), workspace: workspace.into(), account: account.into(), metric: metric.name, labels };
            self.add(key(base.clone()), value);
            if let Kind::Histogram(bounds) = metric.kind {
                let le = histogram::bucket_label(bounds, value);
                let mut with_le: Vec<(&str, &str)> = pairs.to_vec();
                with_le.push(("le", &le));
                self.add(key(labels(&with_le)), value);
            }
        }
    }

    fn add(&mut self, key: Key, value: f64) {
        if self.sums.len() >= RECORDER_MAX_KEYS && !self.sums.contains_key(&key) {
            return;
        }
        let s = self.sums.entry(key).or_default();
        s.count += 1;
        s.sum += value;
        s.max = if s.count == 1 { value } else { s.max.max(value) };
    }

    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Everything recorded, leaving the recorder empty.
    pub fn take(&mut self) -> Vec<(Key, Sums)> {
        std::mem::take(&mut self.sums).into_iter().collect()
    }

    /// Puts back sums a failed flush could not write, adding to what arrived meanwhile.
    pub fn restore(&mut self, rows: Vec<(Key, Sums)>) {
        for (key, s) in rows {
            let mine = self.sums.entry(key).or_default();
            mine.max = if mine.count == 0 { s.max } else { mine.max.max(s.max) };
            mine.count += s.count;
            mine.sum += s.sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn endpoints_lose_ids_versions_and_queries() {
        assert_eq!(endpoint("act_100200300/insights"), "act_{id}/insights");
        assert_eq!(endpoint("/v26.0/120210000001/ads?limit=5"), "{id}/ads");
        assert_eq!(endpoint("me/adaccounts"), "me/adaccounts");
        assert_eq!(endpoint("1234_5678"), "{id}");
        assert_eq!(endpoint(""), "batch");
        assert_eq!(endpoint("a/b/c/d/e/f"), "a/b/c/d");
        assert_eq!(endpoint("v2x/evil\"name"), "v2x/evilname");
    }

    #[test]
    fn labels_are_sorted_escaped_and_bounded() {
        assert_eq!(labels(&[("z", "1"), ("a", "q\"\\\n")]), "a=\"q\\\"\\\\\\n\",z=\"1\"");
        assert_eq!(labels(&[("a", &"x".repeat(500))]).len(), "a=\"\"".len() + LABEL_VALUE_MAX);
    }

    #[test]
    fn hour_buckets_start_on_the_hour() {
        assert_eq!(hour_bucket(1_764_000_000_000 + 1_234_567), "2025-11-24T16:00:00.000Z");
        assert_eq!(hour_bucket(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn observations_go_to_their_hour_and_the_totals_with_histogram_buckets() {
        let mut r = Recorder::default();
        r.observe(0, &ACTION_DURATION, "ws", "", &[("action", "a/b")], 7.0);
        r.observe(1_000, &ACTION_DURATION, "ws", "", &[("action", "a/b")], 70.0);
        r.observe(0, &META_USAGE, "ws", "1", &[("use_case", "ads_insights")], 40.0);
        r.observe(0, &META_USAGE, "ws", "1", &[("use_case", "ads_insights")], 25.0);
        let rows = r.take();
        assert!(r.is_empty());
        let find = |bucket: &str, metric: &str, labels: &str| {
            rows.iter().find(|(k, _)| k.bucket == bucket && k.metric == metric && k.labels == labels).map(|(_, s)| *s)
        };
        let all = find(ALL_TIME, ACTION_DURATION.name, "action=\"a/b\"").unwrap();
        assert_eq!((all.count, all.sum, all.max), (2, 77.0, 70.0));
        assert_eq!(find(ALL_TIME, ACTION_DURATION.name, "action=\"a/b\",le=\"10\"").unwrap().count, 1);
        assert_eq!(find(ALL_TIME, ACTION_DURATION.name, "action=\"a/b\",le=\"100\"").unwrap().count, 1);
        assert_eq!(find("1970-01-01T00:00:00.000Z", ACTION_DURATION.name, "action=\"a/b\"").unwrap().count, 2);
        assert_eq!(find(ALL_TIME, META_USAGE.name, "use_case=\"ads_insights\"").unwrap().max, 40.0);
    }

    #[test]
    fn a_failed_flush_is_restored_without_losing_what_came_meanwhile() {
        let mut r = Recorder::default();
        r.observe(0, &GRAPH_RETRIES, "ws", "", &[], 1.0);
        let taken = r.take();
        r.observe(0, &GRAPH_RETRIES, "ws", "", &[], 1.0);
        r.restore(taken);
        let rows = r.take();
        assert!(rows.iter().all(|(_, s)| s.count == 2), "{rows:?}");
    }

    #[test]
    fn the_recorder_is_bounded() {
        let mut r = Recorder::default();
        for i in 0..RECORDER_MAX_KEYS {
            r.observe(0, &GRAPH_RETRIES, "ws", "", &[("endpoint", &i.to_string())], 1.0);
        }
        assert_eq!(r.take().len(), RECORDER_MAX_KEYS);
        for m in RECORDED {
            assert!(recorded(m.name).is_some());
        }
    }
}
