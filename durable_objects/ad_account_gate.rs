//! `AdAccountGate`: one instance per Meta ad account (`id_from_name(account_id)`), on
//! SQLite-backed storage. It serialises what must be serialised for its account; today that is
//! the account's call budget, a fixed window whose rules live in `crate::account_gate`.
//!
//! Protocol (from the worker only): `GET https://gate/{name}/state`, `POST .../admit`,
//! `GET .../ping`, and `POST .../idem/begin|complete|release` for idempotency records (a
//! workspace-level action uses the instance named `ws:{workspace_id}`).

use crate::account_gate::{self, Admission, GatePolicy, Pressure, Pressures, WindowState};
use crate::actions::idempotency::{self, Decision, Record};
use crate::config::parse_positive;
use crate::timefmt::iso_from_millis;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State};

#[durable_object]
pub struct AdAccountGate {
    state: State,
    sql: SqlStorage,
    env: Env,
}

/// Sync messages to send later (polling an async report run): the alarm sends the due ones.
const SCHEDULED_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS scheduled (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    body  TEXT NOT NULL
)";

const IDEMPOTENCY_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS idempotency (
    key           TEXT PRIMARY KEY,
    body_hash     TEXT NOT NULL,
    done          INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    response      TEXT NOT NULL,
    claimed_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
)";

/// What Meta last said of each budget (`all`, or a business use case such as `ads_insights`).
const PRESSURE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS meta_pressure_by_budget (
    budget          TEXT PRIMARY KEY,
    usage_pct       REAL NOT NULL,
    usage_at_ms     INTEGER NOT NULL,
    regain_until_ms INTEGER NOT NULL
)";

/// The single pooled figure kept before budgets were told apart.
const RETIRED_SCHEMA: &str = "DROP TABLE IF EXISTS meta_pressure";

const QUARANTINE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS quarantine (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    reason   TEXT NOT NULL,
    since_ms INTEGER NOT NULL
)";

/// Failed authentications of one client (an instance named `auth:{client}`).
const AUTH_FAILURES_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS auth_failures (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    window_start_ms INTEGER NOT NULL,
    count           INTEGER NOT NULL
)";

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
        for schema in [SCHEMA, IDEMPOTENCY_SCHEMA, PRESSURE_SCHEMA, RETIRED_SCHEMA, QUARANTINE_SCHEMA, SCHEDULED_SCHEMA, AUTH_FAILURES_SCHEMA] {
            if let Err(e) = sql.exec(schema, None) {
                worker::console_error!("AdAccountGate schema: {e}");
            }
        }
        AdAccountGate { state, sql, env }
    }

    /// Sends the sync messages that are due, then re-arms for the next one.
    async fn alarm(&self) -> Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        let due: Vec<Value> =
            self.sql.exec("SELECT id, body FROM scheduled WHERE at_ms <= ?1 ORDER BY at_ms", vec![SqlStorageValue::Integer(now)])?.to_array()?;
        let queue = self.env.queue("SYNC_QUEUE")?;
        for row in &due {
            let body: Value = serde_json::from_str(row["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
            match crate::sync_message::parse(&body) {
                Ok(msg) => queue.send(msg).await?,
                Err(e) => {
                    worker::console_error!("AdAccountGate: dropping a scheduled message: {e}")
                }
            }
            self.sql.exec("DELETE FROM scheduled WHERE id = ?1", vec![SqlStorageValue::Integer(row["id"].as_i64().unwrap_or_default())])?;
        }
        self.arm().await?;
        Response::ok("sent")
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let mut parts = path.trim_start_matches('/').splitn(2, '/');
        let (name, op) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        match (req.method().to_string().as_str(), op) {
            ("GET", "ping") => {
                let row: Value = self.sql.exec("SELECT 1 AS one", None)?.one()?;
                Response::from_json(&json!({ "storage": if row["one"] == 1 { "sqlite" } else { "unknown" } }))
            }
            ("GET", "state") => Response::from_json(&json!({
                "account_id": name, "state": self.load()?, "pressure": self.pressure()?,
                "quarantine": self.quarantine()?, "policy": policy_json(&self.policy()?),
            })),
            ("POST", "quarantine") => {
                let b: Value = req.json().await?;
                let now = worker::Date::now().as_millis() as i64;
                self.sql.exec(
                    "INSERT INTO quarantine (id, reason, since_ms) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET reason = excluded.reason",
                    vec![SqlStorageValue::from(text(&b, "reason")?.to_string()), SqlStorageValue::Integer(now)],
                )?;
                Response::from_json(&json!({ "quarantine": self.quarantine()? }))
            }
            ("POST", "release") => {
                self.sql.exec("DELETE FROM quarantine", None)?;
                Response::from_json(&json!({ "quarantine": Value::Null }))
            }
            ("POST", "report") => {
                let b: Value = req.json().await?;
                let usage: Vec<(String, f64)> =
                    b["usage"].as_object().map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_f64()?))).take(16).collect()).unwrap_or_default();
                let throttled = b["throttled"]["budget"].as_str().map(|k| (k, b["throttled"]["regain_minutes"].as_i64().unwrap_or(1)));
                self.report(&usage, throttled)
            }
            ("POST", "admit") => {
                // A batch request asks for as many calls as it holds (`{"calls": n}`); a plain call for one.
                let body = req.text().await.unwrap_or_default();
                let body = serde_json::from_str::<Value>(&body).unwrap_or_default();
                let wanted = body["calls"].as_u64().unwrap_or(1).clamp(1, 50) as u32;
                let use_cases: Vec<&str> = body["use_cases"].as_array().map(|a| a.iter().filter_map(Value::as_str).take(16).collect()).unwrap_or_default();
                self.admit(name, wanted, &use_cases)
            }
            ("POST", "auth/fail") => self.auth_failure(),
            ("POST", "schedule") => {
                let b: Value = req.json().await?;
                let at = b["at_ms"].as_i64().ok_or_else(|| worker::Error::RustError("at_ms is required".into()))?;
                self.sql.exec(
                    "INSERT INTO scheduled (at_ms, body) VALUES (?1, ?2)",
                    vec![SqlStorageValue::Integer(at), SqlStorageValue::from(b["message"].to_string())],
                )?;
                self.arm().await?;
                Response::from_json(&json!({ "scheduled_at_ms": at }))
            }
            ("POST", "idem/begin") => {
                let b: Value = req.json().await?;
                self.idem_begin(text(&b, "key")?, text(&b, "body_hash")?, b["ttl_ms"].as_i64().unwrap_or(86_400_000))
            }
            ("POST", "idem/complete") => {
                let b: Value = req.json().await?;
                self.idem_complete(text(&b, "key")?, b["status"].as_i64().unwrap_or(200), text(&b, "response")?)
            }
            ("POST", "idem/release") => {
                let b: Value = req.json().await?;
                self.sql.exec("DELETE FROM idempotency WHERE key = ?1 AND done = 0", vec![SqlStorageValue::from(text(&b, "key")?.to_string())])?;
                Response::from_json(&json!({ "released": true }))
            }
            _ => Response::error(format!("no gate operation {op}"), 404),
        }
    }
}

impl AdAccountGate {
    /// Points the alarm at the earliest scheduled message, if any.
    async fn arm(&self) -> Result<()> {
        let next: Value = self.sql.exec("SELECT MIN(at_ms) AS at FROM scheduled", None)?.one()?;
        if let Some(at) = next["at"].as_i64() {
            // An integer is an offset from now.
            let now = worker::Date::now().as_millis() as i64;
            self.state.storage().set_alarm((at - now).max(0)).await?;
        }
        Ok(())
    }
}

fn text<'a>(b: &'a Value, k: &str) -> Result<&'a str> {
    b[k].as_str().ok_or_else(|| worker::Error::RustError(format!("{k} is required")))
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
        let rows: Vec<WindowState> =
            self.sql.exec("SELECT window_start_ms, calls_in_window, admitted_total, rejected_total FROM call_window WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }

    /// Claims an idempotency key, or says why not (replay, mismatch, in flight). Decide and claim
    /// run with no await in between, so two concurrent duplicates cannot both proceed.
    fn idem_begin(&self, key: &str, body_hash: &str, ttl_ms: i64) -> Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        let rows: Vec<Record> = self
            .sql
            .exec(
                "SELECT body_hash, done = 1 AS done, status, response, claimed_at_ms, expires_at_ms FROM idempotency WHERE key = ?1",
                vec![SqlStorageValue::from(key.to_string())],
            )?
            .to_array()?;
        let decision = idempotency::decide(rows.first(), body_hash, now);
        if decision == Decision::Proceed {
            self.sql.exec(
                "INSERT INTO idempotency (key, body_hash, done, status, response, claimed_at_ms, expires_at_ms)
                 VALUES (?1, ?2, 0, 0, '', ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET body_hash = excluded.body_hash, done = 0, status = 0, response = '',
                   claimed_at_ms = excluded.claimed_at_ms, expires_at_ms = excluded.expires_at_ms",
                vec![
                    SqlStorageValue::from(key.to_string()),
                    SqlStorageValue::from(body_hash.to_string()),
                    SqlStorageValue::Integer(now),
                    SqlStorageValue::Integer(now + ttl_ms),
                ],
            )?;
        }
        // Expired records are swept on each claim, so the table holds only the window.
        self.sql.exec("DELETE FROM idempotency WHERE expires_at_ms <= ?1", vec![SqlStorageValue::Integer(now)])?;
        Response::from_json(&decision)
    }

    fn idem_complete(&self, key: &str, status: i64, response: &str) -> Result<Response> {
        self.sql.exec(
            "UPDATE idempotency SET done = 1, status = ?2, response = ?3 WHERE key = ?1",
            vec![SqlStorageValue::from(key.to_string()), SqlStorageValue::Integer(status), SqlStorageValue::from(response.to_string())],
        )?;
        Response::from_json(&json!({ "stored": true }))
    }

    /// Counts one failed authentication; load, decide and store with no await in between.
    fn auth_failure(&self) -> Result<Response> {
        use crate::auth_throttle::{record_failure, Failures, DEFAULT_POLICY};
        let now = worker::Date::now().as_millis() as i64;
        let rows: Vec<Failures> = self.sql.exec("SELECT window_start_ms, count FROM auth_failures WHERE id = 1", None)?.to_array()?;
        let (next, wait) = record_failure(rows.into_iter().next().unwrap_or_default(), DEFAULT_POLICY, now);
        self.sql.exec(
            "INSERT INTO auth_failures (id, window_start_ms, count) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET window_start_ms = excluded.window_start_ms, count = excluded.count",
            vec![SqlStorageValue::Integer(next.window_start_ms), SqlStorageValue::Integer(i64::from(next.count))],
        )?;
        Response::from_json(&json!({ "failures": next.count, "retry_after_ms": wait }))
    }

    /// The account's quarantine, if any: while set, no Graph call for it is admitted.
    fn quarantine(&self) -> Result<Value> {
        let rows: Vec<Value> = self.sql.exec("SELECT reason, since_ms FROM quarantine WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().unwrap_or(Value::Null))
    }

    fn pressure(&self) -> Result<Pressures> {
        #[derive(serde::Deserialize)]
        struct Row {
            budget: String,
            usage_pct: f64,
            usage_at_ms: i64,
            regain_until_ms: i64,
        }
        let rows: Vec<Row> = self.sql.exec("SELECT budget, usage_pct, usage_at_ms, regain_until_ms FROM meta_pressure_by_budget", None)?.to_array()?;
        Ok(rows.into_iter().map(|r| (r.budget, Pressure { usage_pct: r.usage_pct, usage_at_ms: r.usage_at_ms, regain_until_ms: r.regain_until_ms })).collect())
    }

    /// Records what Meta said after a call: the usage of each budget, and any wait it asked for.
    fn report(&self, usage: &[(String, f64)], throttled: Option<(&str, i64)>) -> Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        let before = self.pressure()?;
        let after = account_gate::report_by_budget(before.clone(), usage, throttled, now);
        for (budget, p) in after.iter().filter(|(k, p)| before.get(*k) != Some(*p)) {
            self.sql.exec(
                "INSERT INTO meta_pressure_by_budget (budget, usage_pct, usage_at_ms, regain_until_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (budget) DO UPDATE SET usage_pct = excluded.usage_pct, usage_at_ms = excluded.usage_at_ms, regain_until_ms = excluded.regain_until_ms",
                vec![SqlStorageValue::from(budget.clone()), SqlStorageValue::Float(p.usage_pct), SqlStorageValue::Integer(p.usage_at_ms), SqlStorageValue::Integer(p.regain_until_ms)],
            )?;
        }
        Response::from_json(&json!({ "pressure": after }))
    }

    /// Load, decide and store with no await in between, so concurrent requests to this object
    /// cannot interleave inside one decision. Meta's pressure is checked first, then our window.
    fn admit(&self, name: &str, wanted: u32, use_cases: &[&str]) -> Result<Response> {
        let policy = self.policy()?;
        let now_ms = worker::Date::now().as_millis() as i64;
        let quarantine = self.quarantine()?;
        if !quarantine.is_null() {
            return Response::from_json(&json!({ "admitted": false, "held_by": "quarantine", "quarantine": quarantine, "state": self.load()? }));
        }
        let pressure = self.pressure()?;
        if let Some(wait) = account_gate::held_for(&pressure, use_cases, now_ms) {
            let mut state = self.load()?;
            state.rejected_total += 1;
            self.store(name, &state, now_ms)?;
            let held_for = std::iter::once(account_gate::ALL_CALLS)
                .chain(use_cases.iter().copied())
                .find(|b| pressure.get(*b).and_then(|p| account_gate::held_by_meta(*p, now_ms)) == Some(wait));
            return Response::from_json(&json!({ "admitted": false, "retry_after_ms": wait, "held_by": "meta", "held_for": held_for, "state": state }));
        }
        let (next, decision) = account_gate::admit_up_to(self.load()?, policy, now_ms, wanted);
        self.store(name, &next, now_ms)?;
        let body = match decision {
            Admission::Admitted { calls, remaining } => {
                json!({ "admitted": true, "calls": calls, "remaining": remaining, "state": next })
            }
            Admission::Rejected { retry_after_ms } => {
                json!({ "admitted": false, "retry_after_ms": retry_after_ms, "held_by": "window", "state": next })
            }
        };
        Response::from_json(&body)
    }

    fn store(&self, name: &str, next: &WindowState, now_ms: i64) -> Result<()> {
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
        Ok(())
    }
}
