//! Audit completeness: every write adgate sent to Meta is a `mutation` row in `meta_api_events`
//! under the correlation id of the work that sent it, and every audit row says how many writes
//! its work sent (`meta_writes`). Per workspace and correlation id the two must agree; where they
//! do not, the difference is a gap (an event, and a service alert).

use crate::binds;
use crate::failure::Failure;
use crate::ports::{new_id, Ports, Query};
use serde::Serialize;
use serde_json::Value;

/// Work still in flight is not judged: its audit row may not be committed yet.
pub const SETTLE_MS: i64 = 10 * 60 * 1_000;
/// The daily check looks this far back (overlapping days, so nothing falls between two runs).
pub const DEFAULT_WINDOW_HOURS: i64 = 48;
/// At most this many gaps are recorded per run (the rest wait for the next).
pub const MAX_GAPS: i64 = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub workspace_id: String,
    pub correlation_id: String,
    /// `unaudited_mutation` (Meta was sent more writes than audit rows account for) or
    /// `unrecorded_mutation` (audit rows claim writes no event records).
    pub kind: &'static str,
    pub mutations: i64,
    pub audited: i64,
    pub first_mutation_at: Option<String>,
}

pub fn classify(mutations: i64, audited: i64) -> Option<&'static str> {
    match mutations.cmp(&audited) {
        std::cmp::Ordering::Greater => Some("unaudited_mutation"),
        std::cmp::Ordering::Less => Some("unrecorded_mutation"),
        std::cmp::Ordering::Equal => None,
    }
}

/// The correlation ids of either side in `[from, to)`, each counted on both sides in full, where
/// the counts differ; `workspace` limits it to one workspace (`None`: all).
pub fn differences(workspace: Option<&str>, from: &str, to: &str) -> Query {
    Query::new(
        "WITH ids AS ( \
           SELECT workspace_id, correlation_id FROM meta_api_events WHERE kind = 'mutation' AND occurred_at >= ?1 AND occurred_at < ?2 \
             AND correlation_id IS NOT NULL AND workspace_id IS NOT NULL AND (?3 IS NULL OR workspace_id = ?3) \
           UNION SELECT workspace_id, correlation_id FROM audit_log WHERE meta_writes > 0 AND occurred_at >= ?1 AND occurred_at < ?2 \
             AND workspace_id IS NOT NULL AND (?3 IS NULL OR workspace_id = ?3)), \
         counted AS (SELECT ids.workspace_id, ids.correlation_id, \
           (SELECT COUNT(*) FROM meta_api_events e WHERE e.kind = 'mutation' AND e.correlation_id = ids.correlation_id AND e.workspace_id = ids.workspace_id) AS mutations, \
           (SELECT COALESCE(SUM(a.meta_writes), 0) FROM audit_log a WHERE a.correlation_id = ids.correlation_id AND a.workspace_id = ids.workspace_id AND a.meta_writes IS NOT NULL) AS audited, \
           (SELECT MIN(e.occurred_at) FROM meta_api_events e WHERE e.kind = 'mutation' AND e.correlation_id = ids.correlation_id AND e.workspace_id = ids.workspace_id) AS first_mutation_at \
           FROM ids) \
         SELECT * FROM counted WHERE mutations != audited ORDER BY workspace_id, correlation_id LIMIT ?4",
        binds![from, to, workspace, MAX_GAPS],
    )
}

/// What one check found and how much it looked at.
#[derive(Debug, Default, Serialize)]
pub struct Checked {
    pub from: String,
    pub to: String,
    pub gaps: Vec<Gap>,
    /// Gaps not seen by an earlier check.
    pub new_gaps: usize,
}

/// Runs the check over the `hours` before the settle time, recording each gap once.
pub async fn run(ports: &dyn Ports, workspace: Option<&str>, hours: i64, detected_by: &str) -> Result<Checked, Failure> {
    let to_ms = ports.now_millis() - SETTLE_MS;
    let from = crate::timefmt::iso_from_millis(to_ms - hours * 3_600_000);
    let to = crate::timefmt::iso_from_millis(to_ms);
    let rows = ports.rows(differences(workspace, &from, &to)).await?;
    let gaps: Vec<Gap> = rows.iter().filter_map(gap_of).collect();
    let mut new_gaps = 0;
    if !gaps.is_empty() {
        let ids = serde_json::to_string(&gaps.iter().map(|g| g.correlation_id.as_str()).collect::<Vec<_>>()).unwrap_or_default();
        let known = ports
            .rows(Query::new(
                "SELECT correlation_id, kind, workspace_id FROM audit_gaps WHERE correlation_id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR workspace_id = ?2)",
                binds![ids, workspace],
            ))
            .await?;
        let now = ports.now_iso();
        let mut writes = Vec::new();
        for g in &gaps {
            if !known.iter().any(|k| k["correlation_id"] == g.correlation_id.as_str() && k["kind"] == g.kind && k["workspace_id"] == g.workspace_id.as_str()) {
                new_gaps += 1;
            }
            writes.push(Query::new(
                "INSERT INTO audit_gaps (id, workspace_id, correlation_id, kind, mutations, audited, first_mutation_at, detected_by, detected_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (workspace_id, correlation_id, kind) \
                 DO UPDATE SET mutations = excluded.mutations, audited = excluded.audited",
                binds![
                    new_id("gap"),
                    g.workspace_id.as_str(),
                    g.correlation_id.as_str(),
                    g.kind,
                    g.mutations,
                    g.audited,
                    g.first_mutation_at.as_deref(),
                    detected_by,
                    now.as_str()
                ],
            ));
        }
        ports.batch(writes).await?;
    }
    Ok(Checked { from, to, gaps, new_gaps })
}

fn gap_of(r: &Value) -> Option<Gap> {
    let mutations = r["mutations"].as_i64()?;
    let audited = r["audited"].as_i64()?;
    Some(Gap {
        workspace_id: r["workspace_id"].as_str()?.to_string(),
        correlation_id: r["correlation_id"].as_str()?.to_string(),
        kind: classify(mutations, audited)?,
        mutations,
        audited,
        first_mutation_at: r["first_mutation_at"].as_str().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn counts_that_differ_are_gaps_of_the_side_that_is_short() {
        assert_eq!(classify(2, 1), Some("unaudited_mutation"));
        assert_eq!(classify(0, 3), Some("unrecorded_mutation"));
        assert_eq!(classify(4, 4), None);
        let g = gap_of(&json!({"workspace_id": "ws", "correlation_id": "c", "mutations": 1, "audited": 0, "first_mutation_at": "t"})).unwrap();
        assert_eq!((g.kind, g.mutations, g.audited), ("unaudited_mutation", 1, 0));
        assert!(gap_of(&json!({"workspace_id": "ws", "correlation_id": "c", "mutations": 1, "audited": 1})).is_none());
    }

    #[test]
    fn the_query_is_bounded_and_can_be_limited_to_one_workspace() {
        let q = differences(Some("ws_1"), "a", "b");
        assert!(q.sql.contains("LIMIT ?4") && q.sql.contains("mutations != audited"));
        assert_eq!(q.binds.len(), 4);
        assert_eq!(differences(None, "a", "b").binds[2], crate::ports::Bind::Null);
    }
}
