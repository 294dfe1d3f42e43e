//! Retention: how long each kind of data is kept (per workspace, in days, within bounds), and the
//! bounded purges the daily tick runs, each recorded in `retention_purges`. Audit rows have their
//! own, longer rule, and the database lets them go only inside a recorded purge (a trigger).

use crate::binds;
use crate::failure::Failure;
use crate::ports::{new_id, Ports, Query};
use serde::Serialize;
use serde_json::{json, Value};

/// Whose rows a kind holds: one workspace's, or rows several workspaces share (webhook events,
/// dead letters), which are kept for the longest window any workspace asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Workspace,
    Shared,
}

/// A kind of data with its retention bounds in days, and where its rows are.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub default_days: i64,
    pub min_days: i64,
    pub max_days: i64,
    pub owner: Owner,
    /// The table and the columns that name one row (its primary key).
    table: &'static str,
    key: &'static str,
    /// Which rows of the table are this kind's and older than `?2`; `?1` is the workspace.
    older: &'static str,
    /// For partitioned facts: which rows of an account's fact object are older than `?1`; `?3`
    /// is the workspace.
    object_older: Option<&'static str>,
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "insights_breakdowns",
        default_days: 400,
        min_days: 30,
        max_days: 1_100,
        owner: Owner::Workspace,
        table: "insights_facts",
        key: "ad_account_id, object_id, date, hour, breakdown_key, attribution_window",
        older: "ad_account_id IN (SELECT id FROM ad_accounts WHERE workspace_id = ?1) AND date < substr(?2, 1, 10) AND breakdown_set != '' AND hour = -1 \
                AND ad_account_id NOT IN (SELECT ad_account_id FROM fact_placement WHERE store = 'settling')",
        object_older: Some("workspace_id = ?3 AND date < substr(?1, 1, 10) AND breakdown_set != '' AND hour = -1"),
    },
    Kind {
        name: "insights_hourly",
        default_days: 90,
        min_days: 7,
        max_days: 1_100,
        owner: Owner::Workspace,
        table: "insights_facts",
        key: "ad_account_id, object_id, date, hour, breakdown_key, attribution_window",
        older: "ad_account_id IN (SELECT id FROM ad_accounts WHERE workspace_id = ?1) AND date < substr(?2, 1, 10) AND hour >= 0 \
                AND ad_account_id NOT IN (SELECT ad_account_id FROM fact_placement WHERE store = 'settling')",
        object_older: Some("workspace_id = ?3 AND date < substr(?1, 1, 10) AND hour >= 0"),
    },
    Kind {
        name: "meta_api_events",
        default_days: 90,
        min_days: 7,
        max_days: 730,
        owner: Owner::Workspace,
        table: "meta_api_events",
        key: "id",
        older: "workspace_id = ?1 AND occurred_at < ?2",
        object_older: None,
    },
    Kind {
        name: "sync_runs",
        default_days: 90,
        min_days: 7,
        max_days: 730,
        owner: Owner::Workspace,
        table: "sync_runs",
        key: "id",
        older: "workspace_id = ?1 AND started_at < ?2 AND status NOT IN ('queued', 'running')",
        object_older: None,
    },
    Kind {
        name: "telemetry_rollups",
        default_days: 35,
        min_days: 7,
        max_days: 400,
        owner: Owner::Workspace,
        table: "ops_rollups",
        key: "bucket, workspace_id, ad_account_id, metric, labels",
        older: "workspace_id = ?1 AND bucket != '' AND bucket < ?2",
        object_older: None,
    },
    Kind {
        name: "webhook_events",
        default_days: 30,
        min_days: 1,
        max_days: 365,
        owner: Owner::Shared,
        table: "webhook_events",
        key: "id",
        older: "?1 = '' AND received_at < ?2",
        object_older: None,
    },
    Kind {
        name: "dead_letters",
        default_days: 30,
        min_days: 7,
        max_days: 365,
        owner: Owner::Shared,
        table: "dead_letters",
        key: "id",
        older: "?1 = '' AND received_at < ?2",
        object_older: None,
    },
    Kind {
        name: "audit_log",
        default_days: 2_555,
        min_days: 365,
        max_days: 3_650,
        owner: Owner::Workspace,
        table: "audit_log",
        key: "id",
        older: "workspace_id = ?1 AND occurred_at < ?2",
        object_older: None,
    },
];

pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// Rows one purge statement removes at most, and statements per kind and workspace in one tick:
/// a purge never holds D1's single writer for long; what is left goes on the next day.
pub const BATCH_ROWS: i64 = 5_000;
pub const ROUNDS_PER_TARGET: usize = 4;
/// Statements one tick runs at most, over all workspaces and kinds.
pub const ROUNDS_PER_TICK: usize = 120;

/// The effective windows of a workspace: its settings over the defaults.
pub fn effective(stored: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    KINDS.iter().map(|k| (k.name, stored.iter().find(|(n, _)| n == k.name).map_or(k.default_days, |(_, d)| (*d).clamp(k.min_days, k.max_days)))).collect()
}

/// The window of a shared kind: the longest any workspace asks for, and never under the default.
pub fn shared_days(k: &Kind, all_settings: &[i64]) -> i64 {
    all_settings.iter().copied().map(|d| d.clamp(k.min_days, k.max_days)).fold(k.default_days, i64::max)
}

/// The instant before which rows go: `days` before now.
pub fn cutoff(now_millis: i64, days: i64) -> String {
    crate::timefmt::iso_from_millis(now_millis - days * 86_400_000)
}

/// One round of a purge, as one batch (one transaction): the purge row says `running` (which
/// lets the audit trigger allow exactly these rows), up to `BATCH_ROWS` rows go, and the row
/// says `done` with the count added and whether older rows remain.
pub fn round(k: &Kind, purge_id: &str, workspace: &str, cutoff: &str, cron_run_id: Option<&str>, now: &str) -> Vec<Query> {
    let open = Query::new(
        "INSERT INTO retention_purges (id, workspace_id, kind, cutoff, status, rows_deleted, more, cron_run_id, started_at) \
         VALUES (?1, ?2, ?3, ?4, 'running', 0, 0, ?5, ?6) ON CONFLICT (id) DO UPDATE SET status = 'running'",
        binds![purge_id, workspace, k.name, cutoff, cron_run_id, now],
    );
    let delete = Query::new(
        format!("DELETE FROM {t} WHERE ({key}) IN (SELECT {key} FROM {t} WHERE {older} LIMIT ?3)", t = k.table, key = k.key, older = k.older),
        binds![workspace, cutoff, BATCH_ROWS],
    );
    // `changes()` is the count of the statement before it, the DELETE.
    let close = Query::new(
        format!(
            "UPDATE retention_purges SET status = 'done', rows_deleted = rows_deleted + changes(), \
             more = EXISTS (SELECT 1 FROM {t} WHERE {older}), finished_at = ?3 WHERE id = ?4",
            t = k.table,
            older = k.older
        ),
        binds![workspace, cutoff, now, purge_id],
    );
    vec![open, delete, close]
}

/// One round of a purge inside an account's fact object: up to `BATCH_ROWS` of the workspace's
/// rows of the kind older than the cutoff.
pub fn object_round(k: &Kind, workspace: &str, cutoff: &str) -> Option<Query> {
    let older = k.object_older?;
    Some(Query::new(
        format!("DELETE FROM {t} WHERE ({key}) IN (SELECT {key} FROM {t} WHERE {older} LIMIT ?2)", t = k.table, key = k.key),
        binds![cutoff, BATCH_ROWS, workspace],
    ))
}

/// Adds an object round's count to its purge record.
fn object_counted(purge_id: &str, deleted: i64, more: bool) -> Query {
    Query::new("UPDATE retention_purges SET rows_deleted = rows_deleted + ?2, more = MAX(more, ?3) WHERE id = ?1", binds![purge_id, deleted, i64::from(more)])
}

/// What one tick purged, for its ledger line.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Purged {
    pub purges: usize,
    pub rows: i64,
    pub unfinished: usize,
}

/// The daily purge: every workspace's kinds, then the shared kinds, each in bounded rounds.
pub async fn run(ports: &dyn Ports, cron_run_id: Option<&str>) -> Result<Purged, Failure> {
    let settings = ports.rows(Query::new("SELECT workspace_id, kind, days FROM retention_settings", vec![])).await?;
    let workspaces = ports.rows(Query::new("SELECT id FROM workspaces ORDER BY id LIMIT 10000", vec![])).await?;
    let now_ms = ports.now_millis();
    let mut targets: Vec<(&Kind, String, i64)> = Vec::new();
    for w in &workspaces {
        let ws = w["id"].as_str().unwrap_or_default();
        let stored: Vec<(String, i64)> = settings
            .iter()
            .filter(|s| s["workspace_id"] == ws)
            .map(|s| (s["kind"].as_str().unwrap_or_default().to_string(), s["days"].as_i64().unwrap_or(0)))
            .collect();
        for (name, days) in effective(&stored) {
            let k = kind(name).expect("effective names only known kinds");
            if k.owner == Owner::Workspace {
                targets.push((k, ws.to_string(), days));
            }
        }
    }
    for k in KINDS.iter().filter(|k| k.owner == Owner::Shared) {
        let all: Vec<i64> = settings.iter().filter(|s| s["kind"] == k.name).filter_map(|s| s["days"].as_i64()).collect();
        targets.push((k, String::new(), shared_days(k, &all)));
    }
    // Accounts whose partitioned facts are in their objects, with their workspaces: read once.
    let placed: Vec<(String, String)> = ports
        .rows(Query::new("SELECT ad_account_id, workspace_id FROM fact_placement WHERE store = 'object' ORDER BY ad_account_id", vec![]))
        .await?
        .iter()
        .filter_map(|r| Some((r["ad_account_id"].as_str()?.to_string(), r["workspace_id"].as_str()?.to_string())))
        .collect();
    let mut out = Purged::default();
    let mut rounds = 0;
    for (k, ws, days) in targets {
        if rounds >= ROUNDS_PER_TICK {
            out.unfinished += 1;
            continue;
        }
        let id = new_id("prg");
        let cut = cutoff(now_ms, days);
        out.purges += 1;
        let (mut deleted, mut more) = (0, false);
        for _ in 0..ROUNDS_PER_TARGET {
            rounds += 1;
            ports.batch(round(k, &id, &ws, &cut, cron_run_id, &ports.now_iso())).await?;
            let row = ports.rows(Query::new("SELECT rows_deleted, more FROM retention_purges WHERE id = ?1", binds![id.as_str()])).await?;
            deleted = row.first().and_then(|r| r["rows_deleted"].as_i64()).unwrap_or(0);
            more = row.first().and_then(|r| r["more"].as_i64()).unwrap_or(0) == 1;
            if !more || rounds >= ROUNDS_PER_TICK {
                break;
            }
        }
        // Partitioned facts of accounts placed in their objects: the same cutoff, object by object.
        if let Some(q) = object_round(k, &ws, &cut) {
            for account in placed.iter().filter(|(_, w)| *w == ws).map(|(a, _)| a.as_str()) {
                let (n, left) = purge_object(ports, account, &q, &id, &mut rounds).await?;
                deleted += n;
                more |= left;
            }
        }
        out.rows += deleted;
        out.unfinished += usize::from(more);
    }
    Ok(out)
}

/// Rounds of one object purge (`q`) in one account's object, counted on purge `id`, within the
/// tick's rounds: the rows deleted, and whether some are left.
async fn purge_object(ports: &dyn Ports, account: &str, q: &Query, id: &str, rounds: &mut usize) -> Result<(i64, bool), Failure> {
    let mut deleted = 0;
    for _ in 0..ROUNDS_PER_TARGET {
        if *rounds >= ROUNDS_PER_TICK {
            return Ok((deleted, true));
        }
        *rounds += 1;
        let n = ports.fact_object(account, vec![q.clone()]).await?.pop().map_or(0, |r| r.written);
        let left = n >= BATCH_ROWS;
        ports.batch(vec![object_counted(id, n, left)]).await?;
        deleted += n;
        if !left {
            return Ok((deleted, false));
        }
    }
    Ok((deleted, true))
}

/// A workspace's policy as the digest and the settings action show it.
pub fn describe(stored: &[(String, i64)]) -> Value {
    let windows: serde_json::Map<String, Value> = effective(stored)
        .into_iter()
        .map(|(name, days)| {
            let k = kind(name).expect("known");
            (name.to_string(), json!({ "days": days, "default_days": k.default_days, "shared": k.owner == Owner::Shared }))
        })
        .collect();
    Value::Object(windows)
}

pub async fn stored(ports: &dyn Ports, ws: &str) -> Result<Vec<(String, i64)>, Failure> {
    let rows = ports.rows(Query::new("SELECT kind, days FROM retention_settings WHERE workspace_id = ?1", binds![ws])).await?;
    Ok(rows.iter().map(|r| (r["kind"].as_str().unwrap_or_default().to_string(), r["days"].as_i64().unwrap_or(0))).collect())
}

pub fn upsert(ws: &str, kind: &str, days: i64, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO retention_settings (workspace_id, kind, days, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace_id, kind) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        binds![ws, kind, days, by, now],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_kind_has_sane_bounds_and_audit_the_longest_floor() {
        for k in KINDS {
            assert!(k.min_days >= 1 && k.min_days <= k.default_days && k.default_days <= k.max_days && k.max_days <= 3_650, "{}", k.name);
        }
        let audit = kind("audit_log").unwrap();
        assert!(KINDS.iter().all(|k| k.min_days <= audit.min_days));
        assert!(audit.min_days >= 365);
    }

    #[test]
    fn only_partitioned_facts_are_purged_in_objects_and_only_the_workspaces_rows() {
        let in_objects: Vec<&str> = KINDS.iter().filter(|k| object_round(k, "ws", "2026-01-01T00:00:00Z").is_some()).map(|k| k.name).collect();
        assert_eq!(in_objects, ["insights_breakdowns", "insights_hourly"]);
        let q = object_round(kind("insights_hourly").unwrap(), "ws", "2026-01-01T00:00:00Z").unwrap();
        assert!(q.sql.contains("workspace_id = ?3") && q.sql.contains("LIMIT ?2"), "{}", q.sql);
        assert_eq!(q.binds, binds!["2026-01-01T00:00:00Z", BATCH_ROWS, "ws"]);
        for k in in_objects {
            assert!(
                kind(k).unwrap().older.contains("fact_placement WHERE store = 'settling'"),
                "D1's purge leaves a settling account's facts as the check reads them"
            );
        }
    }

    #[test]
    fn settings_override_defaults_within_bounds() {
        let e = effective(&[("insights_hourly".into(), 30), ("audit_log".into(), 10), ("nonsense".into(), 5)]);
        assert!(e.contains(&("insights_hourly", 30)));
        assert!(e.contains(&("audit_log", 365)), "a stored value under the floor is read at the floor");
        assert!(e.contains(&("meta_api_events", 90)));
        assert_eq!(e.len(), KINDS.len());
        let webhooks = kind("webhook_events").unwrap();
        assert_eq!(shared_days(webhooks, &[]), 30);
        assert_eq!(shared_days(webhooks, &[5, 60]), 60);
        assert_eq!(shared_days(webhooks, &[5]), 30, "shared rows are kept for the longest window, never under the default");
    }

    #[test]
    fn a_round_opens_deletes_a_bounded_batch_and_closes_with_the_count() {
        let k = kind("insights_breakdowns").unwrap();
        let q = round(k, "prg_1", "ws_1", "2026-01-01T00:00:00.000Z", Some("cron_1"), "now");
        assert_eq!(q.len(), 3);
        assert!(q[0].sql.contains("'running'"));
        assert!(q[1].sql.starts_with("DELETE FROM insights_facts WHERE (ad_account_id"));
        assert!(q[1].sql.contains("LIMIT ?3") && q[1].sql.contains("breakdown_set != ''"));
        assert_eq!(q[1].binds[2], crate::ports::Bind::Int(BATCH_ROWS));
        assert!(q[2].sql.contains("changes()") && q[2].sql.contains("'done'"));
        assert_eq!(cutoff(86_400_000 * 10, 3), "1970-01-08T00:00:00.000Z");
    }

    #[test]
    fn the_policy_describes_every_kind() {
        let d = describe(&[("sync_runs".into(), 14)]);
        assert_eq!(d["sync_runs"]["days"], 14);
        assert_eq!(d["dead_letters"]["shared"], true);
        assert_eq!(d.as_object().unwrap().len(), KINDS.len());
    }
}
