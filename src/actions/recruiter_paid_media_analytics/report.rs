//! Reports: a checked insights question saved as a `Spec`, walked page by page in key order (each
//! query bounded, day by day when rows are per day) and written as CSV a page at a time, so a
//! report of any size is produced in the memory of one page and one upload part.

use super::Metric;
use crate::db::insights_read::{self, Ask, Level, Row, Source};
use crate::failure::Failure;
use crate::ports::Ports;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Rows read per query.
pub const ROWS_PER_PAGE: i64 = 5_000;
/// The size of every upload part but the last (R2 wants parts of one size, at least 5 MiB).
pub const PART_BYTES: usize = 5 * 1024 * 1024;
/// A report covers at most this many days.
pub const MAX_REPORT_DAYS: i64 = 400;

/// A report's question, as stored with its job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub level: Level,
    /// The synced breakdown set's stored name, or empty for whole days.
    pub breakdown_set: String,
    /// Its members, one CSV column each (`hourly`: the column `hour`).
    pub breakdowns: Vec<String>,
    pub window: String,
    pub since: String,
    pub until: String,
    pub by_day: bool,
    pub ids: Vec<String>,
    pub campaign_id: Option<String>,
    pub adset_id: Option<String>,
    pub metrics: Vec<Metric>,
}

impl Spec {
    /// The spec of a checked question.
    pub fn of(ask: &Ask, metrics: &[Metric], breakdowns: &[String]) -> Spec {
        Spec {
            level: ask.level,
            breakdown_set: match &ask.source {
                Source::Daily => String::new(),
                Source::Breakdown(set) => set.clone(),
            },
            breakdowns: breakdowns.to_vec(),
            window: ask.window.clone(),
            since: ask.since.clone(),
            until: ask.until.clone(),
            by_day: ask.by_day,
            ids: ask.ids.clone(),
            campaign_id: ask.campaign_id.clone(),
            adset_id: ask.adset_id.clone(),
            metrics: metrics.to_vec(),
        }
    }

    /// The same question over other days (a repeating report's next run).
    pub fn over(&self, since: &str, until: &str) -> Spec {
        Spec { since: since.into(), until: until.into(), ..self.clone() }
    }

    /// The question for `days`, in key order, of one workspace's account.
    fn ask(&self, ws: &str, account: &str, (since, until): (&str, &str)) -> Ask {
        Ask {
            workspace: ws.into(),
            account: account.into(),
            level: self.level,
            source: if self.breakdown_set.is_empty() { Source::Daily } else { Source::Breakdown(self.breakdown_set.clone()) },
            window: self.window.clone(),
            since: since.into(),
            until: until.into(),
            by_day: self.by_day,
            ids: self.ids.clone(),
            campaign_id: self.campaign_id.clone(),
            adset_id: self.adset_id.clone(),
            order_by: "object_id",
            descending: false,
            limit: ROWS_PER_PAGE,
            offset: 0,
        }
    }

    fn hourly(&self) -> bool {
        self.breakdown_set == "hourly"
    }

    /// The CSV header.
    pub fn header(&self) -> Vec<String> {
        let mut h = Vec::new();
        if self.by_day {
            h.push("date".to_string());
        }
        if self.hourly() {
            h.push("hour".to_string());
        } else {
            h.extend(self.breakdowns.iter().cloned());
        }
        let level = match self.level {
            Level::Account => "ad_account",
            Level::Campaign => "campaign",
            Level::AdSet => "adset",
            Level::Ad => "ad",
        };
        h.push(format!("{level}_id"));
        h.push(format!("{level}_name"));
        h.extend(self.metrics.iter().map(|m| m.key().to_string()));
        h
    }

    /// One row's cells, in header order.
    fn cells(&self, r: &Row, name: &str) -> Vec<String> {
        let mut c = Vec::new();
        if self.by_day {
            c.push(r.date.clone().unwrap_or_default());
        }
        if self.hourly() {
            c.push(r.hour.map(|h| h.to_string()).unwrap_or_default());
        } else if !self.breakdowns.is_empty() {
            let values = super::breakdown_object(r.breakdown_key.as_deref().unwrap_or_default());
            c.extend(self.breakdowns.iter().map(|b| inert(values[b].as_str().unwrap_or_default())));
        }
        c.push(r.object_id.clone().unwrap_or_default());
        c.push(inert(name));
        for m in &self.metrics {
            c.push(match m.value(&r.sums) {
                serde_json::Value::Null => String::new(),
                v => v.to_string(),
            });
        }
        c
    }
}

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) is
/// prefixed with `'`, so a name from Meta cannot execute when the CSV is opened.
pub fn inert(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// Where a walk through a report is.
#[derive(Debug, Default)]
pub struct Walk {
    /// The day being read (when rows are per day).
    day: Option<chrono::NaiveDate>,
    after: Option<Row>,
    started: bool,
    pub done: bool,
    pub rows: u64,
    /// Names of the objects seen so far (a report names each object once per lookup).
    names: HashMap<String, String>,
}

fn parse_day(d: &str) -> Result<chrono::NaiveDate, Failure> {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| Failure::Internal(format!("a stored report day {d} does not parse")))
}

/// The next page of the report as CSV (the header first), or `None` when it is all written.
pub async fn next_page(ports: &dyn Ports, ws: &str, account: &str, spec: &Spec, walk: &mut Walk) -> Result<Option<Vec<u8>>, Failure> {
    let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
    let csv_err = |e: csv::Error| Failure::Internal(format!("writing CSV: {e}"));
    if !walk.started {
        walk.started = true;
        walk.day = if spec.by_day { Some(parse_day(&spec.since)?) } else { None };
        out.write_record(spec.header()).map_err(csv_err)?;
    }
    let until = parse_day(&spec.until)?;
    while !walk.done {
        let days = match walk.day {
            Some(d) => (d.format("%Y-%m-%d").to_string(), d.format("%Y-%m-%d").to_string()),
            None => (spec.since.clone(), spec.until.clone()),
        };
        let ask = spec.ask(ws, account, (&days.0, &days.1));
        let rows: Vec<Row> = insights_read::keyset(ports, &ask, walk.after.as_ref(), ROWS_PER_PAGE).await?;
        let full = rows.len() as i64 == ROWS_PER_PAGE;
        if full {
            walk.after = rows.last().cloned();
        } else {
            walk.after = None;
            match walk.day {
                Some(d) if d < until => walk.day = Some(d + chrono::Duration::days(1)),
                _ => walk.done = true,
            }
        }
        if rows.is_empty() {
            continue;
        }
        let unknown: Vec<String> = rows.iter().filter_map(|r| r.object_id.clone()).filter(|id| !walk.names.contains_key(id)).collect();
        if !unknown.is_empty() {
            let mut unique = unknown;
            unique.sort_unstable();
            unique.dedup();
            let found = insights_read::names(ports, ws, spec.level.table(), &unique).await?;
            for id in unique {
                walk.names.insert(id, String::new());
            }
            walk.names.extend(found);
        }
        for r in &rows {
            let name = r.object_id.as_ref().and_then(|id| walk.names.get(id)).map_or("", String::as_str);
            out.write_record(spec.cells(r, name)).map_err(csv_err)?;
        }
        walk.rows += rows.len() as u64;
        break;
    }
    let bytes = out.into_inner().map_err(|e| Failure::Internal(format!("writing CSV: {e}")))?;
    Ok(if bytes.is_empty() && walk.done { None } else { Some(bytes) })
}

/// Bytes gathered into upload parts of exactly `part` bytes (the last may be shorter), with the
/// SHA-256 and size of everything pushed.
pub struct Parts {
    part: usize,
    buf: Vec<u8>,
    hash: Sha256,
    pub bytes: u64,
}

impl Parts {
    pub fn new(part: usize) -> Parts {
        Parts { part, buf: Vec::with_capacity(part), hash: Sha256::new(), bytes: 0 }
    }

    /// Takes `data`; returns the parts it completed.
    pub fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.hash.update(data);
        self.bytes += data.len() as u64;
        self.buf.extend_from_slice(data);
        let mut full = Vec::new();
        while self.buf.len() >= self.part {
            let rest = self.buf.split_off(self.part);
            full.push(std::mem::replace(&mut self.buf, rest));
        }
        full
    }

    /// The last (short) part and the hex SHA-256 of everything.
    pub fn finish(self) -> (Vec<u8>, String) {
        (self.buf, hex::encode(self.hash.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::insights_read::Sums;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn spec(by_day: bool, set: &str, breakdowns: &[&str]) -> Spec {
        Spec {
            level: Level::Ad,
            breakdown_set: set.into(),
            breakdowns: breakdowns.iter().map(|s| s.to_string()).collect(),
            window: "default".into(),
            since: "2026-11-01".into(),
            until: "2026-11-03".into(),
            by_day,
            ids: vec![],
            campaign_id: None,
            adset_id: None,
            metrics: vec![Metric::Spend, Metric::Leads, Metric::Cpl],
        }
    }

    #[test]
    fn rows_become_cells_in_header_order_with_formulas_made_inert() {
        let s = spec(true, "country", &["country"]);
        assert_eq!(s.header(), ["date", "country", "ad_id", "ad_name", "spend_minor", "leads", "cpl_minor"]);
        let r = Row {
            object_id: Some("9".into()),
            date: Some("2026-11-02".into()),
            hour: None,
            breakdown_key: Some("country=US".into()),
            sums: Sums { spend_minor: 1_000, leads: 0, ..Sums::default() },
        };
        assert_eq!(s.cells(&r, "=HYPERLINK(\"x\")"), ["2026-11-02", "US", "9", "'=HYPERLINK(\"x\")", "1000", "0", ""]);
        let hourly = spec(false, "hourly", &["hourly_stats_aggregated_by_advertiser_time_zone"]);
        assert_eq!(hourly.header()[0], "hour");
        for (given, made) in [("-1", "'-1"), ("+x", "'+x"), ("@a", "'@a"), ("Jobs - London", "Jobs - London"), ("", "")] {
            assert_eq!(inert(given), made);
        }
    }

    #[test]
    fn parts_are_all_one_size_but_the_last_and_hash_everything() {
        let mut p = Parts::new(4);
        let mut parts = p.push(b"abc");
        parts.extend(p.push(b"defghij"));
        parts.extend(p.push(b"k"));
        assert_eq!(parts, vec![b"abcd".to_vec(), b"efgh".to_vec()]);
        assert_eq!(p.bytes, 11);
        let (last, sha) = p.finish();
        assert_eq!(last, b"ijk");
        assert_eq!(sha, hex::encode(Sha256::digest(b"abcdefghijk")));
    }

    #[test]
    fn keyset_pages_follow_the_last_key_and_never_skip_by_offset() {
        let s = spec(true, "country", &["country"]);
        let ask = s.ask("ws", "1", ("2026-11-02", "2026-11-02"));
        let last = Row { object_id: Some("9".into()), breakdown_key: Some("country=US".into()), ..Row::default() };
        let q = ask.keyset_query(Some(&last), ROWS_PER_PAGE);
        assert!(q.sql.contains("(d.object_id, d.breakdown_key) > (?") && !q.sql.contains("OFFSET"), "{}", q.sql);
        assert!(q.sql.ends_with(&format!("ORDER BY d.object_id, d.date, d.breakdown_key LIMIT ?{}", q.binds.len())), "{}", q.sql);
        let daily = spec(false, "", &[]).ask("ws", "1", ("2026-11-01", "2026-11-03"));
        let q = daily.keyset_query(Some(&Row { object_id: Some("5".into()), ..Row::default() }), 10);
        assert!(q.sql.contains("AND d.object_id > ?7"), "{}", q.sql);
        let first = daily.keyset_query(None, 10);
        assert!(!first.sql.contains(" > ?"), "{}", first.sql);
    }
}
