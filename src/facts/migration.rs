//! Moving an account's partitioned facts from D1 to its object, with no pause in reads and
//! nothing lost: a resumable copy by key order, then a check day by day by totals, then the
//! switch, then D1's copies removed. Each tick does a bounded number of rounds and the
//! `fact_placement` row says where each account is, so a stop anywhere resumes there.
//!
//! While `copying`, syncs still write D1 and reads still read it; a day written behind the
//! cursor is found by the check. While `settling`, D1 refuses partitioned writes (a trigger)
//! and writers wait, so the check compares a D1 that no longer moves; a day that differs is
//! copied again whole. Reads keep going to D1 until the switch, and to the object after it.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{FactAnswer as Answer, Ports, Query};
use serde::Serialize;
use serde_json::{json, Value};

/// Rows one copy round moves (one D1 read, one object write, one D1 cursor update).
pub const COPY_ROWS: i64 = 1_000;
/// Rows one cleanup round removes from D1 after the switch.
pub const CLEANUP_ROWS: i64 = 5_000;
/// Rounds one tick runs at most, over every account.
pub const ROUNDS_PER_TICK: usize = 100;
/// Accounts whose move a tick starts at most.
pub const STARTS_PER_TICK: i64 = 50;

/// The key within one account (its `ad_account_id` is the same on every row).
fn key() -> String {
    crate::sync::insights::FACT_KEY[1..].join(", ")
}

/// Every column the copy carries, as one JSON array per row (the object's upsert spreads it):
/// what a page upsert fills, and the source.
fn copy_columns() -> Vec<&'static str> {
    crate::sync::insights::FACT_COLUMNS.iter().copied().chain(["source"]).collect()
}

/// The object's upsert of copied rows: the copy is what D1 holds, so it replaces.
pub fn copy_upsert() -> String {
    let columns = copy_columns();
    crate::json_rows::upsert_sql("insights_facts", &columns, crate::sync::insights::FACT_KEY, None)
}

/// The next `limit` partitioned rows of an account after `after` (a key as a JSON array), in
/// key order, optionally of one day.
pub fn chunk_query(account: &str, after: &Value, day: Option<&str>, limit: i64) -> Query {
    let a = |i: usize| after.get(i).cloned().unwrap_or(Value::Null);
    let text = |v: Value| v.as_str().unwrap_or_default().to_string();
    let day_clause = if day.is_some() { " AND date = ?8" } else { " AND ?8 IS NULL" };
    let key = key();
    Query::new(
        format!(
            "SELECT json_array({}) AS r, {key} FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set <> ''{day_clause} \
             AND ({key}) > (?2, ?3, ?4, ?5, ?6) ORDER BY {key} LIMIT ?7",
            copy_columns().join(", ")
        ),
        binds![account, text(a(0)), text(a(1)), a(2).as_i64().unwrap_or(-2), text(a(3)), text(a(4)), limit, day],
    )
}

/// The key of a chunk's row, as the cursor keeps it.
pub fn key_of(row: &Value) -> Value {
    json!([row["object_id"], row["date"], row["hour"], row["breakdown_key"], row["attribution_window"]])
}

/// Totals per day of an account's partitioned facts: the rows, every metric, the latest write
/// and the size of the action maps. Two stores agree on a day when these agree.
pub fn day_totals_query(account: &str) -> Query {
    Query::new(
        "SELECT date, COUNT(*) AS n, SUM(impressions) AS impressions, SUM(reach) AS reach, SUM(clicks) AS clicks, SUM(link_clicks) AS link_clicks, \
         SUM(spend_minor) AS spend_minor, SUM(leads) AS leads, SUM(purchases) AS purchases, SUM(purchase_value_minor) AS purchase_value_minor, \
         MAX(updated_at) AS updated_at, TOTAL(length(actions_json)) AS actions FROM insights_facts \
         WHERE ad_account_id = ?1 AND breakdown_set <> '' GROUP BY date ORDER BY date",
        binds![account],
    )
}

/// Days whose totals differ between D1 and the object (either side may lack the day). Numbers
/// are compared as numbers: one store may answer a sum as `12` and the other as `12.0`.
pub fn differing_days(d1: &[Value], object: &[Value]) -> Vec<String> {
    let day = |r: &Value| r["date"].as_str().unwrap_or_default().to_string();
    let same = |a: Option<&Value>, b: Option<&Value>| match (a, b) {
        (Some(a), Some(b)) => {
            let keys = a.as_object().into_iter().chain(b.as_object()).flat_map(|m| m.keys());
            keys.into_iter().all(|k| match (&a[k], &b[k]) {
                (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
                (x, y) => x == y,
            })
        }
        (a, b) => a.is_none() && b.is_none(),
    };
    let mut days: Vec<String> = d1.iter().chain(object).map(day).collect();
    days.sort();
    days.dedup();
    days.into_iter().filter(|d| !same(d1.iter().find(|r| day(r) == *d), object.iter().find(|r| day(r) == *d))).collect()
}

/// What both stores hold in all, for the placement's record of the switch.
pub fn summary(days: &[Value]) -> Value {
    let sum = |k: &str| days.iter().map(|r| r[k].as_i64().unwrap_or(0)).sum::<i64>();
    json!({ "days": days.len(), "rows": sum("n"), "spend_minor": sum("spend_minor"), "impressions": sum("impressions"), "leads": sum("leads") })
}

/// What one tick moved, for its ledger line.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Moved {
    pub started: i64,
    pub rows_copied: i64,
    pub days_recopied: i64,
    pub switched: i64,
    pub d1_rows_removed: i64,
    pub unfinished: i64,
}

struct Placement {
    account: String,
    store: super::Store,
    cursor: Value,
    d1_rows_left: i64,
}

/// One tick of the migration over every account that has one under way (or needs one).
pub async fn run(ports: &dyn Ports, rounds_per_tick: usize) -> Result<Moved, Failure> {
    let now = ports.now_iso();
    let mut out = Moved::default();
    // Accounts whose partitioned facts are in D1 with no placement yet begin their move.
    let start = Query::new(
        "INSERT INTO fact_placement (ad_account_id, workspace_id, store, started_at, updated_at) \
         SELECT a.id, a.workspace_id, 'copying', ?1, ?1 FROM ad_accounts a WHERE NOT EXISTS (SELECT 1 FROM fact_placement p WHERE p.ad_account_id = a.id) \
         AND EXISTS (SELECT 1 FROM insights_facts f WHERE f.ad_account_id = a.id AND f.breakdown_set <> '') LIMIT ?2 RETURNING ad_account_id",
        binds![now.as_str(), STARTS_PER_TICK],
    );
    out.started = ports.rows(start).await?.len() as i64;
    let pending = ports
        .rows(Query::new(
            "SELECT ad_account_id, store, cursor, d1_rows_left FROM fact_placement WHERE store IN ('copying', 'settling') OR d1_rows_left > 0 ORDER BY updated_at LIMIT 100",
            vec![],
        ))
        .await?;
    let mut rounds = 0;
    for p in pending {
        let mut place = Placement {
            account: p["ad_account_id"].as_str().unwrap_or_default().to_string(),
            store: super::Store::parse(p["store"].as_str()),
            cursor: p["cursor"].as_str().and_then(|c| serde_json::from_str(c).ok()).unwrap_or(Value::Null),
            d1_rows_left: p["d1_rows_left"].as_i64().unwrap_or(0),
        };
        loop {
            if rounds >= rounds_per_tick {
                out.unfinished += 1;
                break;
            }
            rounds += 1;
            let more = step(ports, &mut place, &mut out).await?;
            if !more {
                break;
            }
        }
    }
    Ok(out)
}

/// One round for one account; whether it has more to do.
async fn step(ports: &dyn Ports, p: &mut Placement, out: &mut Moved) -> Result<bool, Failure> {
    let now = ports.now_iso();
    match p.store {
        super::Store::Copying => {
            let rows = ports.rows(chunk_query(&p.account, &p.cursor, None, COPY_ROWS)).await?;
            if let Some(last) = rows.last() {
                copy(ports, &p.account, &rows).await?;
                p.cursor = key_of(last);
                out.rows_copied += rows.len() as i64;
            }
            let done = (rows.len() as i64) < COPY_ROWS;
            ports
                .batch(vec![Query::new(
                    "UPDATE fact_placement SET cursor = ?2, rows_copied = rows_copied + ?3, store = CASE WHEN ?4 = 1 THEN 'settling' ELSE store END, updated_at = ?5 \
                     WHERE ad_account_id = ?1 AND store = 'copying'",
                    binds![p.account.as_str(), p.cursor.to_string(), rows.len() as i64, i64::from(done), now.as_str()],
                )])
                .await?;
            if done {
                p.store = super::Store::Settling;
            }
            Ok(true)
        }
        super::Store::Settling => {
            let d1 = ports.rows(day_totals_query(&p.account)).await?;
            let object = ports.fact_object(&p.account, vec![day_totals_query(&p.account)]).await?.pop().unwrap_or_default().rows;
            let days = differing_days(&d1, &object);
            if let Some(day) = days.first() {
                // D1 holds still now: the day is copied again whole, and checked again next round.
                ports.fact_object(&p.account, vec![Query::new("DELETE FROM insights_facts WHERE date = ?1", binds![day.as_str()])]).await?;
                let mut after = Value::Null;
                loop {
                    let rows = ports.rows(chunk_query(&p.account, &after, Some(day), COPY_ROWS)).await?;
                    let Some(last) = rows.last() else { break };
                    after = key_of(last);
                    copy(ports, &p.account, &rows).await?;
                    if (rows.len() as i64) < COPY_ROWS {
                        break;
                    }
                }
                out.days_recopied += 1;
                ports
                    .batch(vec![Query::new(
                        "UPDATE fact_placement SET days_recopied = days_recopied + 1, updated_at = ?2 WHERE ad_account_id = ?1",
                        binds![p.account.as_str(), now.as_str()],
                    )])
                    .await?;
                return Ok(true);
            }
            let checked = json!({ "d1": summary(&d1), "object": summary(&object) });
            let left: i64 = d1.iter().map(|r| r["n"].as_i64().unwrap_or(0)).sum();
            ports
                .batch(vec![Query::new(
                    "UPDATE fact_placement SET store = 'object', checked_json = ?2, d1_rows_left = ?3, switched_at = ?4, updated_at = ?4 \
                     WHERE ad_account_id = ?1 AND store = 'settling'",
                    binds![p.account.as_str(), checked.to_string(), left, now.as_str()],
                )])
                .await?;
            out.switched += 1;
            p.store = super::Store::Object;
            p.d1_rows_left = left;
            Ok(left > 0)
        }
        super::Store::Object if p.d1_rows_left > 0 => {
            let key = crate::sync::insights::FACT_KEY.join(", ");
            ports
                .batch(vec![
                    Query::new(
                        format!("DELETE FROM insights_facts WHERE ({key}) IN (SELECT {key} FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set <> '' LIMIT ?2)"),
                        binds![p.account.as_str(), CLEANUP_ROWS],
                    ),
                    // `changes()` is the DELETE's count: fewer than asked for means none are left.
                    Query::new(
                        "UPDATE fact_placement SET d1_rows_left = CASE WHEN changes() < ?2 THEN 0 ELSE MAX(d1_rows_left - changes(), 1) END, updated_at = ?3 WHERE ad_account_id = ?1",
                        binds![p.account.as_str(), CLEANUP_ROWS, now.as_str()],
                    ),
                ])
                .await?;
            let left = ports
                .rows(Query::new("SELECT d1_rows_left FROM fact_placement WHERE ad_account_id = ?1", binds![p.account.as_str()]))
                .await?
                .first()
                .and_then(|r| r["d1_rows_left"].as_i64())
                .unwrap_or(0);
            out.d1_rows_removed += (p.d1_rows_left - left).max(0);
            p.d1_rows_left = left;
            Ok(left > 0)
        }
        _ => Ok(false),
    }
}

/// Copied rows into the object, in one statement.
async fn copy(ports: &dyn Ports, account: &str, rows: &[Value]) -> Result<Vec<Answer>, Failure> {
    let page: Vec<Value> = rows.iter().map(|r| serde_json::from_str(r["r"].as_str().unwrap_or("[]")).unwrap_or(Value::Null)).collect();
    ports.fact_object(account, vec![Query::new(copy_upsert(), binds![Value::Array(page).to_string()])]).await
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_copy_walks_by_key_from_below_every_key_and_carries_every_column() {
        let first = chunk_query("1", &Value::Null, None, 10);
        assert_eq!(first.binds[1..7], binds!["", "", -2, "", "", 10][..]);
        assert!(first.sql.contains("AND ?8 IS NULL") && first.sql.contains("ORDER BY object_id, date, hour, breakdown_key, attribution_window"));
        let row = json!({ "object_id": "9", "date": "2026-11-01", "hour": -1, "breakdown_key": "country=DE", "attribution_window": "default" });
        let next = chunk_query("1", &key_of(&row), Some("2026-11-01"), 10);
        assert_eq!(next.binds[1..8], binds!["9", "2026-11-01", -1, "country=DE", "default", 10, "2026-11-01"][..]);
        assert!(next.sql.contains("AND date = ?8"));
        assert!(copy_columns().starts_with(crate::sync::insights::FACT_COLUMNS) && copy_columns().contains(&"source"));
        assert!(copy_upsert().contains("ON CONFLICT (ad_account_id, object_id, date, hour, breakdown_key, attribution_window)"));
    }

    #[test]
    fn a_day_differs_when_any_total_differs_or_one_side_lacks_it() {
        let d = |date: &str, n: i64, spend: i64| json!({ "date": date, "n": n, "spend_minor": spend, "updated_at": "t" });
        let d1 = vec![d("2026-11-01", 2, 100), d("2026-11-02", 1, 5), d("2026-11-03", 4, 7)];
        let object = vec![d("2026-11-01", 2, 100), d("2026-11-02", 1, 6), d("2026-11-04", 1, 1)];
        assert_eq!(differing_days(&d1, &object), vec!["2026-11-02", "2026-11-03", "2026-11-04"]);
        assert!(differing_days(&d1, &d1).is_empty());
        let whole = vec![json!({ "date": "2026-11-01", "n": 2, "actions": 12.0 })];
        assert!(differing_days(&whole, &[json!({ "date": "2026-11-01", "n": 2.0, "actions": 12 })]).is_empty(), "12 and 12.0 agree");
        assert_eq!(differing_days(&whole, &[json!({ "date": "2026-11-01", "n": 2 })]), vec!["2026-11-01"], "a missing total differs");
        assert_eq!(summary(&d1)["rows"], 7);
        assert_eq!(summary(&d1)["spend_minor"], 112);
    }
}
