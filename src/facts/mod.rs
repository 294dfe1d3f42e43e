//! Where an ad account's facts live, and the one query layer that reads them there.
//!
//! Whole-day ad facts (no breakdown) stay in D1: the daily aggregates are rebuilt from them in
//! D1's own transaction. Breakdown and hourly facts (`breakdown_set` not `''`), the bulk, live in
//! the account's `AccountFacts` Durable Object once its `fact_placement` row says `object`:
//! one SQLite database per account, written in parallel with every other account's instead of
//! through D1's single writer, each up to Cloudflare's 10 GB. The object's table has D1's name
//! and columns, so one statement (built by `db::insights_read` and the sync) runs in either.

pub mod migration;

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Bind, FactAnswer as Answer, Ports, Query};
use serde_json::{json, Value};

/// The migration that creates D1's `insights_facts` (no later one alters it; a test checks).
const D1_FACTS_MIGRATION: &str = include_str!("../../migrations/0006_mirrors_insights.sql");

/// The object's schema: D1's `insights_facts` exactly as its migration creates it (one source for
/// both), and an index for the object's reads (the account is the object, so it starts at the
/// breakdown set).
pub fn object_schema() -> [String; 2] {
    const END: &str = ") WITHOUT ROWID";
    let start = D1_FACTS_MIGRATION.find("CREATE TABLE insights_facts (").expect("the facts migration creates insights_facts");
    let end = start + D1_FACTS_MIGRATION[start..].find(END).expect("insights_facts is a WITHOUT ROWID table") + END.len();
    [
        D1_FACTS_MIGRATION[start..end].replacen("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1),
        "CREATE INDEX IF NOT EXISTS insights_facts_by_set_day ON insights_facts (breakdown_set, date, attribution_window, breakdown_key, hour)".into(),
    ]
}

/// Statements one call to an object runs at most (in order, each atomic).
pub const MAX_STATEMENTS: usize = 16;

/// Where an account's partitioned facts are (its `fact_placement.store`; no row is D1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    D1,
    Copying,
    Settling,
    Object,
}

/// Where a writer of partitioned facts sends them now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    D1,
    Object,
    /// The copy is being checked: come back later.
    Wait,
}

impl Store {
    pub fn parse(stored: Option<&str>) -> Store {
        match stored {
            Some("copying") => Store::Copying,
            Some("settling") => Store::Settling,
            Some("object") => Store::Object,
            _ => Store::D1,
        }
    }

    /// Reads go to the object only once the copy is checked; until then D1 holds everything.
    pub fn reads_object(self) -> bool {
        self == Store::Object
    }

    pub fn write(self) -> Write {
        match self {
            Store::D1 | Store::Copying => Write::D1,
            Store::Settling => Write::Wait,
            Store::Object => Write::Object,
        }
    }
}

/// Whether facts of a breakdown set (`''`, `country`, `hourly`) are partitioned.
pub fn partitioned(set: &str) -> bool {
    !set.is_empty()
}

pub fn store_query(account: &str) -> Query {
    Query::new("SELECT store FROM fact_placement WHERE ad_account_id = ?1", binds![account])
}

/// Places a new account's facts in its object from the start: only when D1 holds none of its
/// partitioned facts (an older account's are moved by the migration instead).
pub fn claim_query(account: &str, workspace: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO fact_placement (ad_account_id, workspace_id, store, started_at, switched_at, updated_at) \
         SELECT ?1, ?2, 'object', ?3, ?3, ?3 WHERE NOT EXISTS (SELECT 1 FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set <> '') \
         ON CONFLICT (ad_account_id) DO NOTHING",
        binds![account, workspace, now],
    )
}

pub async fn store_of(ports: &dyn Ports, account: &str) -> Result<Store, Failure> {
    let rows = ports.rows(store_query(account)).await?;
    Ok(Store::parse(rows.first().and_then(|r| r["store"].as_str())))
}

/// The query layer: `q` (over `insights_facts`, naming `account`) answered where the account's
/// partitioned facts live now. Callers build the same statement either way.
pub async fn rows(ports: &dyn Ports, account: &str, q: Query) -> Result<Vec<Value>, Failure> {
    Ok(rows_of_each(ports, account, vec![q]).await?.pop().unwrap_or_default())
}

/// `rows` for several statements about one account: one placement read, and one request to the
/// object when the facts are there.
pub async fn rows_of_each(ports: &dyn Ports, account: &str, queries: Vec<Query>) -> Result<Vec<Vec<Value>>, Failure> {
    if store_of(ports, account).await?.reads_object() {
        return Ok(ports.fact_object(account, queries).await?.into_iter().map(|a| a.rows).collect());
    }
    in_d1(ports, queries).await
}

/// Each statement's rows from D1, in order.
pub async fn in_d1(ports: &dyn Ports, queries: Vec<Query>) -> Result<Vec<Vec<Value>>, Failure> {
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        out.push(ports.rows(q).await?);
    }
    Ok(out)
}

/// The request body an object runs: its statements, in order.
pub fn wire(statements: &[Query]) -> Value {
    let list: Vec<Value> = statements
        .iter()
        .map(|q| {
            let binds: Vec<Value> = q
                .binds
                .iter()
                .map(|b| match b {
                    Bind::Text(s) => json!(s),
                    Bind::Int(n) => json!(n),
                    Bind::Real(x) => json!(x),
                    Bind::Null => Value::Null,
                })
                .collect();
            json!({ "sql": q.sql, "binds": binds })
        })
        .collect();
    json!({ "statements": list })
}

/// An object's answer, one entry per statement.
pub fn answers(body: &Value) -> Result<Vec<Answer>, Failure> {
    let list = body["results"].as_array().ok_or_else(|| Failure::Internal("a fact object answered without results".into()))?;
    Ok(list.iter().map(|r| Answer { rows: r["rows"].as_array().cloned().unwrap_or_default(), written: r["written"].as_i64().unwrap_or(0) }).collect())
}

/// The statements a request body holds, bounded; an integer is bound as one, any other number
/// as a real.
pub fn unwire(body: &Value) -> Result<Vec<Query>, String> {
    let list = body["statements"].as_array().ok_or("statements is required")?;
    if list.is_empty() || list.len() > MAX_STATEMENTS {
        return Err(format!("from 1 to {MAX_STATEMENTS} statements"));
    }
    list.iter()
        .map(|s| {
            let sql = s["sql"].as_str().ok_or("each statement needs its sql")?;
            let binds = s["binds"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| match v {
                            Value::String(t) => Bind::Text(t.clone()),
                            Value::Number(n) => n.as_i64().map(Bind::Int).unwrap_or(Bind::Real(n.as_f64().unwrap_or(0.0))),
                            _ => Bind::Null,
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(Query::new(sql, binds))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn only_a_checked_copy_is_read_and_a_settling_one_holds_writes() {
        assert_eq!(Store::parse(None), Store::D1);
        assert_eq!(Store::parse(Some("bogus")), Store::D1);
        for (s, reads, write) in [("copying", false, Write::D1), ("settling", false, Write::Wait), ("object", true, Write::Object)] {
            let store = Store::parse(Some(s));
            assert_eq!((store.reads_object(), store.write()), (reads, write), "{s}");
        }
        assert_eq!(Store::D1.write(), Write::D1);
        assert!(!partitioned("") && partitioned("country") && partitioned("hourly"));
    }

    #[test]
    fn statements_cross_to_an_object_and_back_with_their_bind_types() {
        let q = vec![Query::new("SELECT ?1, ?2, ?3, ?4", vec![Bind::Text("a".into()), Bind::Int(9_007_199_254_740_991), Bind::Real(2.0), Bind::Null])];
        assert_eq!(unwire(&wire(&q)).unwrap(), q);
        assert!(unwire(&json!({ "statements": [] })).is_err());
        let many: Vec<Query> = (0..=MAX_STATEMENTS).map(|_| Query::new("SELECT 1", vec![])).collect();
        assert!(unwire(&wire(&many)).is_err());
        assert!(unwire(&json!({ "statements": [{ "binds": [] }] })).is_err());
        let a = answers(&json!({ "results": [{ "rows": [{ "n": 1 }], "written": 3 }] })).unwrap();
        assert_eq!(a, vec![Answer { rows: vec![json!({ "n": 1 })], written: 3 }]);
        assert!(answers(&json!({})).is_err());
    }

    #[test]
    fn the_object_table_is_d1s_and_has_every_column_a_page_upsert_fills() {
        let [table, index] = object_schema();
        assert!(table.starts_with("CREATE TABLE IF NOT EXISTS insights_facts (") && table.ends_with(") WITHOUT ROWID"), "{table}");
        assert!(table.contains("PRIMARY KEY (ad_account_id, object_id, date, hour, breakdown_key, attribution_window)"));
        assert!(index.starts_with("CREATE INDEX IF NOT EXISTS"));
        for c in crate::sync::insights::FACT_COLUMNS.iter().chain(["source"].iter()) {
            assert!(table.contains(&format!("{c} ")), "{c}");
        }
        assert!(claim_query("1", "ws", "t").sql.contains("NOT EXISTS (SELECT 1 FROM insights_facts WHERE ad_account_id = ?1 AND breakdown_set <> '')"));
    }

    /// The object's table is taken from the migration that creates D1's: a later migration
    /// altering it would have to change the object's too.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn no_later_migration_alters_the_facts_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let sql = std::fs::read_to_string(&path).unwrap().to_ascii_lowercase();
            assert!(!sql.contains("alter table insights_facts"), "{} alters insights_facts", path.display());
        }
    }
}
