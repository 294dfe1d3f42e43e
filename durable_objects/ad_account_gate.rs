//! `AdAccountGate`: one instance per Meta ad account (`id_from_name(account_id)`), on
//! SQLite-backed storage. It serialises what must be serialised for its account; today that is
//! the account's call budget, a fixed window whose rules live in `crate::account_gate`.
//!
//! Protocol (from the worker only): `GET https://gate/{name}/state`, `POST .../admit`,
//! `GET .../ping`.

use crate::account_gate::{self, Admission, GatePolicy, WindowState};
use crate::config::parse_positive;
use crate::timefmt::iso_from_millis;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State};

#[durable_object]
pub struct AdAccountGate {
    sql: SqlStorage,
    env: Env,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS call_window (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    name            TEXT NOT NULL,
    window_start_ms INTEGER NOT NULL,
    calls_in_window INTEGER NOT NULL,
    admitted_total  INTEGER NOT NULL,
    rejected_total  INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
)";

impl DurableObject for AdAccountGate {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        // Runs before any request is delivered; a failure surfaces on the first query instead.
        if let Err(e) = sql.exec(SCHEMA, None) {
            worker::console_error!("AdAccountGate schema: {e}");
        }
        AdAccountGate { sql, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        let mut parts = path.trim_start_matches('/').splitn(2, '/');
        let (name, op) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        match (req.method().to_string().as_str(), op) {
            ("GET", "ping") => {
                let row: Value = self.sql.exec("SELECT 1 AS one", None)?.one()?;
                Response::from_json(&json!({ "storage": if row["one"] == 1 { "sqlite" } else { "unknown" } }))
            }
            ("GET", "state") => Response::from_json(&json!({ "account_id": name, "state": self.load()?, "policy": policy_json(&self.policy()?) })),
            ("POST", "admit") => self.admit(name),
            _ => Response::error(format!("no gate operation {op}"), 404),
        }
    }
}

fn policy_json(p: &GatePolicy) -> Value {
    json!({ "window_ms": p.window_ms, "max_calls": p.max_calls })
}

impl AdAccountGate {
    fn policy(&self) -> Result<GatePolicy> {
        let read = |name: &str, default: u32| {
            let raw = self.env.var(name).ok().map(|v| v.to_string());
            parse_positive(name, raw.as_deref(), default).map_err(worker::Error::RustError)
        };
        Ok(GatePolicy { window_ms: i64::from(read("GATE_WINDOW_SECONDS", 60)?) * 1_000, max_calls: read("GATE_MAX_CALLS", 100)? })
    }

    fn load(&self) -> Result<WindowState> {
        let rows: Vec<WindowState> = self
            .sql
            .exec(
                "SELECT window_start_ms, calls_in_window, admitted_total, rejected_total FROM call_window WHERE id = 1",
                None,
            )?
            .to_array()?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }

    /// Load, decide and store with no await in between, so concurrent requests to this object
    /// cannot interleave inside one decision.
    fn admit(&self, name: &str) -> Result<Response> {
        let policy = self.policy()?;
        let now_ms = worker::Date::now().as_millis() as i64;
        let (next, decision) = account_gate::admit(self.load()?, policy, now_ms);
        self.sql.exec(
            "INSERT INTO call_window (id, name, window_start_ms, calls_in_window, admitted_total, rejected_total, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET window_start_ms = excluded.window_start_ms,
               calls_in_window = excluded.calls_in_window, admitted_total = excluded.admitted_total,
               rejected_total = excluded.rejected_total, updated_at = excluded.updated_at",
            vec![
                SqlStorageValue::from(name.to_string()),
                SqlStorageValue::Integer(next.window_start_ms),
                SqlStorageValue::Integer(i64::from(next.calls_in_window)),
                SqlStorageValue::Integer(next.admitted_total as i64),
                SqlStorageValue::Integer(next.rejected_total as i64),
                SqlStorageValue::from(iso_from_millis(now_ms)),
            ],
        )?;
        let body = match decision {
            Admission::Admitted { remaining } => json!({ "admitted": true, "remaining": remaining, "state": next }),
            Admission::Rejected { retry_after_ms } => {
                json!({ "admitted": false, "retry_after_ms": retry_after_ms, "state": next })
            }
        };
        Response::from_json(&body)
    }
}
