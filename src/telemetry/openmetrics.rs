//! `/metrics` in the OpenMetrics text format (the exposition every monitoring stack scrapes):
//! counters and histograms from the all-time rollups, gauges read from live state at scrape time.

use super::{histogram, recorded, Kind};
use std::collections::BTreeMap;
use std::fmt::Write;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One all-time rollup row as D1 holds it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Row {
    pub workspace_id: String,
    pub ad_account_id: String,
    pub metric: String,
    pub labels: String,
    pub count: i64,
    pub sum: f64,
    pub max: f64,
}

/// A gauge family read at scrape time: samples of canonical labels and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub samples: Vec<(String, f64)>,
}

/// Parses canonical labels (`a="x",b="y"`) into names and their still-escaped values.
pub fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if chars.next() != Some('"') {
            break;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    value.push('\\');
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                }
                '"' => break,
                c => value.push(c),
            }
        }
        out.push((name, value));
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    out
}

fn join(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(",")
}

/// The scope labels first (workspace, account when set), then the metric's own.
fn scoped(workspace: &str, account: &str, labels: &[(String, String)]) -> String {
    let mut all: Vec<(String, String)> = Vec::new();
    if !workspace.is_empty() {
        all.push(("workspace".into(), super::escape(workspace)));
    }
    if !account.is_empty() {
        all.push(("account".into(), super::escape(account)));
    }
    all.extend(labels.iter().cloned());
    join(&all)
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The whole exposition: each family once, its samples in a stable order, and `# EOF`.
pub fn render(rows: &[Row], gauges: &[Gauge]) -> String {
    let mut families: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        if let Some(m) = recorded(&r.metric) {
            families.entry(m.name).or_default().push(r);
        }
    }
    let mut out = String::new();
    for (name, rows) in &families {
        let Some(metric) = recorded(name) else { continue };
        match metric.kind {
            Kind::Counter => {
                let _ = writeln!(out, "# TYPE {name} counter\n# HELP {name} {}", metric.help);
                for r in rows {
                    let l = scoped(&r.workspace_id, &r.ad_account_id, &parse_labels(&r.labels));
                    let _ = writeln!(out, "{name}_total{{{l}}} {}", r.count);
                }
            }
            Kind::Peak => {
                let _ = writeln!(out, "# TYPE {name} gauge\n# HELP {name} {}", metric.help);
                for r in rows {
                    let l = scoped(&r.workspace_id, &r.ad_account_id, &parse_labels(&r.labels));
                    let _ = writeln!(out, "{name}{{{l}}} {}", number(r.max));
                }
            }
            Kind::Histogram(bounds) => {
                let _ = writeln!(out, "# TYPE {name} histogram\n# HELP {name} {}", metric.help);
                histogram_samples(&mut out, name, bounds, rows);
            }
        }
    }
    for g in gauges {
        let _ = writeln!(out, "# TYPE {} gauge\n# HELP {} {}", g.name, g.name, g.help);
        for (labels, v) in &g.samples {
            let _ = writeln!(out, "{}{{{labels}}} {}", g.name, number(*v));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A histogram's series: cumulative `_bucket` counts for every bound and `+Inf`, then `_count`
/// and `_sum`, from per-bucket rows (with `le`) and the series row (without).
fn histogram_samples(out: &mut String, name: &str, bounds: &[f64], rows: &[&Row]) {
    // Per series (scope and labels without le): per-bucket counts, and count and sum.
    let mut series: BTreeMap<String, (Vec<i64>, i64, f64)> = BTreeMap::new();
    for r in rows {
        let mut labels = parse_labels(&r.labels);
        let le = labels.iter().position(|(k, _)| k == "le").map(|i| labels.remove(i).1);
        let entry = series.entry(scoped(&r.workspace_id, &r.ad_account_id, &labels)).or_insert_with(|| (vec![0; bounds.len() + 1], 0, 0.0));
        match le.as_deref().and_then(histogram::parse_bound) {
            Some(b) => {
                let i = bounds.iter().position(|x| *x == b).unwrap_or(bounds.len());
                entry.0[i] += r.count;
            }
            None => {
                entry.1 += r.count;
                entry.2 += r.sum;
            }
        }
    }
    for (labels, (counts, count, sum)) in series {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, n) in counts.iter().enumerate() {
            cumulative += n;
            let le = bounds.get(i).map_or_else(|| "+Inf".to_string(), |b| histogram::format_bound(*b));
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}\n{name}_sum{{{labels}}} {}", number(sum));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{labels, Recorder, ACTION_DURATION, ALL_TIME, GRAPH_CALLS, META_USAGE};
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rows_of(r: &mut Recorder) -> Vec<Row> {
        r.take()
            .into_iter()
            .filter(|(k, _)| k.bucket == ALL_TIME)
            .map(|(k, s)| Row {
                workspace_id: k.workspace,
                ad_account_id: k.account,
                metric: k.metric.into(),
                labels: k.labels,
                count: s.count,
                sum: s.sum,
                max: s.max,
            })
            .collect()
    }

    #[test]
    fn labels_round_trip_through_their_canonical_form() {
        let text = labels(&[("b", "x\"y,z"), ("a", "back\\slash")]);
        assert_eq!(parse_labels(&text), vec![("a".into(), "back\\\\slash".into()), ("b".into(), "x\\\"y,z".into())]);
        assert!(parse_labels("").is_empty());
    }

    #[test]
    fn renders_counters_peaks_histograms_and_gauges_as_openmetrics() {
        let mut r = Recorder::default();
        r.observe(0, &GRAPH_CALLS, "ws_1", "100", &[("endpoint", "act_{id}/insights"), ("outcome", "ok")], 12.0);
        r.observe(0, &GRAPH_CALLS, "ws_1", "100", &[("endpoint", "act_{id}/insights"), ("outcome", "ok")], 30.0);
        r.observe(0, &META_USAGE, "ws_1", "100", &[("use_case", "ads_management")], 61.5);
        for v in [3.0, 40.0, 700.0] {
            r.observe(0, &ACTION_DURATION, "ws_1", "", &[("action", "x/y")], v);
        }
        let gauges = [Gauge { name: "adgate_dead_letters", help: "Dead letters held.", samples: vec![(String::new(), 2.0)] }];
        let text = render(&rows_of(&mut r), &gauges);
        let expected = [
            "# TYPE adgate_action_duration_milliseconds histogram",
            "adgate_action_duration_milliseconds_bucket{workspace=\"ws_1\",action=\"x/y\",le=\"5\"} 1",
            "adgate_action_duration_milliseconds_bucket{workspace=\"ws_1\",action=\"x/y\",le=\"50\"} 2",
            "adgate_action_duration_milliseconds_bucket{workspace=\"ws_1\",action=\"x/y\",le=\"1000\"} 3",
            "adgate_action_duration_milliseconds_bucket{workspace=\"ws_1\",action=\"x/y\",le=\"+Inf\"} 3",
            "adgate_action_duration_milliseconds_count{workspace=\"ws_1\",action=\"x/y\"} 3",
            "adgate_action_duration_milliseconds_sum{workspace=\"ws_1\",action=\"x/y\"} 743",
            "# TYPE adgate_graph_calls counter",
            "adgate_graph_calls_total{workspace=\"ws_1\",account=\"100\",endpoint=\"act_{id}/insights\",outcome=\"ok\"} 2",
            "# TYPE adgate_meta_usage_peak_percent gauge",
            "adgate_meta_usage_peak_percent{workspace=\"ws_1\",account=\"100\",use_case=\"ads_management\"} 61.5",
            "# TYPE adgate_dead_letters gauge",
            "adgate_dead_letters{} 2",
        ];
        for line in expected {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        // Each family is declared once, before its samples.
        assert_eq!(text.matches("# TYPE adgate_graph_calls ").count(), 1);
        assert!(text.find("# TYPE adgate_graph_calls ").unwrap() < text.find("adgate_graph_calls_total").unwrap());
    }

    #[test]
    fn unknown_metrics_are_not_served() {
        let row =
            Row { workspace_id: String::new(), ad_account_id: String::new(), metric: "made_up".into(), labels: String::new(), count: 1, sum: 0.0, max: 0.0 };
        assert_eq!(render(&[row], &[]), "# EOF\n");
    }
}
