//! What actions and the pipeline need from the platform, as one small interface: storage (SQL
//! with bound values, rows back as JSON), the governed Graph path (gate, token, event rows), the
//! gate objects, the token vault and the clock. The runtime implements it with D1, Durable
//! Objects and `fetch`; everything written against it is plain Rust, compiled and tested natively.

use crate::failure::Failure;
use crate::graph::{BatchCall, BatchResult};
use crate::token_health::TokenHealth;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// A port's answer: a future that is not `Send` (the worker is single-threaded).
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, Failure>> + 'a>>;

/// What one statement run in an ad account's fact object answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactAnswer {
    pub rows: Vec<Value>,
    /// Rows the statement wrote (inserted, updated or deleted).
    pub written: i64,
}

/// A value bound to a `?N` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
    Real(f64),
    Null,
}

impl From<&str> for Bind {
    fn from(s: &str) -> Self {
        Bind::Text(s.to_string())
    }
}

impl From<String> for Bind {
    fn from(s: String) -> Self {
        Bind::Text(s)
    }
}

impl From<&String> for Bind {
    fn from(s: &String) -> Self {
        Bind::Text(s.clone())
    }
}

impl From<i64> for Bind {
    fn from(n: i64) -> Self {
        Bind::Int(n)
    }
}

impl From<f64> for Bind {
    fn from(n: f64) -> Self {
        Bind::Real(n)
    }
}

impl<T: Into<Bind>> From<Option<T>> for Bind {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Bind::Null)
    }
}

/// One SQL statement and its bound values.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub sql: String,
    pub binds: Vec<Bind>,
}

impl Query {
    pub fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Self {
        Query { sql: sql.into(), binds }
    }

    /// A query given the binds of a family of statements: SQLite counts parameters up to the
    /// highest `?N` the statement uses, and D1 refuses any other count, so the rest are dropped.
    pub fn numbered(sql: impl Into<String>, mut binds: Vec<Bind>) -> Self {
        let sql = sql.into();
        let highest = sql.split('?').skip(1).filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok()).max().unwrap_or(0);
        binds.truncate(highest);
        Query { sql, binds }
    }
}

/// Builds a query's binds from mixed values: `binds![ws, limit, None::<&str>]`.
#[macro_export]
macro_rules! binds {
    ($($v:expr),* $(,)?) => { vec![$($crate::ports::Bind::from($v)),*] };
}

/// Where a Graph call comes from: the event row's workspace, integration and account, and the
/// account whose gate admits it.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub workspace_id: &'a str,
    pub integration_id: Option<&'a str>,
    pub ad_account_id: Option<&'a str>,
    /// The Graph API version to call at instead of the workspace's (an upgrade's shadow check).
    pub api_version: Option<&'a str>,
}

/// What to ask Graph for through an integration.
#[derive(Debug, Clone, Copy)]
pub enum GraphCall<'a> {
    /// One object (GET).
    Object(&'a str),
    /// One object read to prove the integration sees it, before it is bound to anyone here:
    /// admitted by the integration's own gate (`int:{id}`), not the object's account's, though
    /// what Meta answers is recorded against the account.
    Verify(&'a str),
    /// Every page of an edge (GET).
    AllPages(&'a str),
    /// A write: POST or DELETE.
    Write(&'a str, &'a str),
}

/// A change to integrations' sealed tokens, ready to commit: the rows to write, before and after
/// for the audit row (expiry, status, key ids; never a token), and the answer to give.
#[derive(Debug, Clone)]
pub struct TokenChange {
    pub before: Value,
    pub after: Value,
    pub writes: Vec<Query>,
    pub answer: Value,
}

pub trait Ports {
    /// The request's (or job's) correlation id, carried into audit rows.
    fn correlation_id(&self) -> &str;
    /// Writes sent to Meta so far by this work (each also a `mutation` event), for audit rows.
    fn meta_writes(&self) -> u32 {
        0
    }
    /// Telemetry: an action call answered with `status`, timed from the start of the work.
    fn observe_action(&self, _workspace: &str, _action: &str, _via: &str, _status: u16) {}
    /// A line for the operators' log (never a secret).
    fn log_error(&self, message: &str);
    fn now_millis(&self) -> i64;
    /// Rows of one query, each a JSON object by column name.
    fn rows<'a>(&'a self, q: Query) -> Fut<'a, Vec<Value>>;
    /// Statements applied together: all or none.
    fn batch<'a>(&'a self, writes: Vec<Query>) -> Fut<'a, ()>;
    /// One call through the governed path: the account's gate admits it, the integration's
    /// token signs it (with one just-in-time refresh on a refused token), and what Meta answers
    /// is recorded. Returns the body (an array for `AllPages`) and the calls made.
    fn graph<'a>(&'a self, scope: Scope<'a>, call: GraphCall<'a>, params: &'a [(String, String)]) -> Fut<'a, (Value, u32)>;
    /// Calls through Meta's batch API on the governed path: each request of up to `BATCH_MAX`
    /// calls is admitted by the account's gate for as many calls as it holds (Meta counts each),
    /// and every call's failure is recorded. One result per call, in order; an `Err` means the
    /// request itself failed and the calls of that request and after it have no result.
    fn graph_batch<'a>(&'a self, scope: Scope<'a>, calls: &'a [BatchCall]) -> Fut<'a, Vec<BatchResult>>;
    /// Statements run in an ad account's fact object (`crate::facts`), in order and each atomic,
    /// each answering its rows and the rows it wrote.
    fn fact_object<'a>(&'a self, _account: &'a str, _statements: Vec<Query>) -> Fut<'a, Vec<FactAnswer>> {
        Box::pin(async { Err(Failure::Internal("fact objects are not reachable here".into())) })
    }
    /// One operation on a gate object (`ws:{id}`, an account id, `int:{id}`): its JSON answer.
    fn gate<'a>(&'a self, name: &'a str, op: &'a str, body: Value) -> Fut<'a, Value>;
    /// Live token health from Meta.
    fn token_health<'a>(&'a self, workspace_id: &'a str, integration_id: &'a str) -> Fut<'a, TokenHealth>;
    /// A refreshed (or re-checked) token, not yet written.
    fn refresh_token<'a>(&'a self, workspace_id: &'a str, integration_id: &'a str) -> Fut<'a, TokenChange>;
    /// Every token of the workspace re-sealed under the active vault key, not yet written.
    fn reseal_tokens<'a>(&'a self, workspace_id: &'a str) -> Fut<'a, TokenChange>;
    /// `payload` sealed for `purpose` with the gateway's secret (see `sealed`).
    fn seal(&self, purpose: &str, payload: &Value) -> Result<String, Failure>;
    /// What `seal` sealed for `purpose`, if `token` is unaltered.
    fn open(&self, purpose: &str, token: &str) -> Result<Option<Value>, Failure>;
    /// `plaintext` sealed by the token vault's active key, bound to `row_id` (a secret to store).
    fn vault_seal(&self, plaintext: &str, row_id: &str) -> Result<String, Failure>;
    /// Sends a message to the jobs queue.
    fn enqueue<'a>(&'a self, job: Job) -> Fut<'a, ()>;
    /// Where this deployment answers and whether it is a local one.
    fn deployment(&self) -> Deployment;
}

/// A jobs queue message: the one row it is about (`{"report": id}`, `{"notification": id}`), so
/// a redelivery finds the row's state and does nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// A report to produce.
    Report(String),
    /// A notification to deliver.
    Notification(String),
    /// A rule run to carry out.
    RuleRun(String),
    /// A workspace's queued pipeline stages to send to Meta's dataset.
    Conversions(String),
}

/// What actions may know of the deployment they run in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// `ADGATE_PUBLIC_URL`: the gateway's origin as its users reach it (for links), if set.
    pub public_url: Option<String>,
    /// `ADGATE_ENV=local`: plain-HTTP loopback endpoints are allowed (tests, `scripts/dev`).
    pub local: bool,
    /// `META_API_VERSION`: the Graph API version of workspaces not pinned to another.
    pub meta_api_version: String,
}

impl dyn Ports + '_ {
    pub fn now_iso(&self) -> String {
        crate::timefmt::iso_from_millis(self.now_millis())
    }
}

/// A new id with a readable prefix, e.g. `apr_3f2a...`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod numbered_tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_numbered_query_keeps_the_binds_up_to_its_highest_placeholder() {
        let all = || vec![Bind::Int(1), Bind::Int(2), Bind::Int(3)];
        assert_eq!(Query::numbered("SELECT ?1", all()).binds.len(), 1);
        assert_eq!(Query::numbered("SELECT ?2 WHERE x = ?1", all()).binds.len(), 2);
        assert_eq!(Query::numbered("SELECT ?3", all()).binds.len(), 3);
        assert_eq!(Query::numbered("SELECT 1", all()).binds.len(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_job_names_its_row_under_its_kind() {
        assert_eq!(serde_json::to_value(Job::Report("rpt_1".into())).unwrap(), serde_json::json!({"report": "rpt_1"}));
        let n: Job = serde_json::from_value(serde_json::json!({"notification": "ntf_1"})).unwrap();
        assert_eq!(n, Job::Notification("ntf_1".into()));
        assert!(serde_json::from_value::<Job>(serde_json::json!({})).is_err());
    }
}
