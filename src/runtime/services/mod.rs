//! The platform services that actions, HTTP handlers, the sync job and cron share: D1, the gate
//! objects, the governed Graph path and the token vault. `Services` implements the `Ports` the
//! pure action code is written against; nothing here knows about HTTP.

pub mod events;
pub mod facts;
pub mod gate;
pub mod governed;
pub mod schemas;
pub mod telemetry;
pub mod tokens;

use super::d1::{now_millis, statement};
use super::env::env_text;
use crate::failure::Failure;
use crate::graph::{BatchCall, BatchResult};
use crate::ports::{Deployment, Fut, GraphCall, Job, Ports, Query, Scope, TokenChange};
use crate::token_health::TokenHealth;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use worker::{D1Database, Env};

/// What one request, job or tick runs with: the environment and its correlation id.
pub struct Services {
    pub env: Env,
    pub correlation_id: String,
    /// Storage round trips made so far (D1 queries and batches, Durable Object calls): what the
    /// hot path is measured in (a local gateway reports it in `X-Adgate-Storage-Trips`).
    trips: Cell<u32>,
    /// Writes sent to Meta so far (each also a `mutation` event), for the audit rows.
    meta_writes: Cell<u32>,
    /// When this work started (the platform's clock, not the simulated one), for its duration.
    started_ms: f64,
    /// Integration tokens opened during this HTTP request (`workspace/integration` -> token), so
    /// an action's several Graph calls open the sealed token once. Off for jobs and ticks, which
    /// run long enough that a quarantine in the meantime must still stop their next call.
    tokens: Option<RefCell<Vec<(String, String)>>>,
    /// Each workspace's pinned Graph API version, read with its integration's token.
    pins: RefCell<Vec<(String, Option<String>)>>,
}

impl Services {
    pub fn new(env: Env, correlation_id: impl Into<String>) -> Services {
        Services {
            env,
            correlation_id: correlation_id.into(),
            trips: Cell::new(0),
            meta_writes: Cell::new(0),
            started_ms: worker::Date::now().as_millis() as f64,
            tokens: None,
            pins: RefCell::new(Vec::new()),
        }
    }

    /// Services for one HTTP request: as `new`, remembering the tokens it opens.
    pub fn for_request(env: Env, correlation_id: impl Into<String>) -> Services {
        Services { tokens: Some(RefCell::new(Vec::new())), ..Services::new(env, correlation_id) }
    }

    pub fn remembered_token(&self, key: &str) -> Option<String> {
        self.tokens.as_ref()?.borrow().iter().find(|(k, _)| k == key).map(|(_, t)| t.clone())
    }

    /// The workspace's pinned Graph API version, if it was read (`None` inside: not pinned).
    pub fn remembered_pin(&self, workspace_id: &str) -> Option<Option<String>> {
        self.pins.borrow().iter().find(|(w, _)| w == workspace_id).map(|(_, v)| v.clone())
    }

    pub fn remember_pin(&self, workspace_id: &str, version: Option<String>) {
        let mut pins = self.pins.borrow_mut();
        pins.retain(|(w, _)| w != workspace_id);
        pins.push((workspace_id.to_string(), version));
    }

    pub fn remember_token(&self, key: &str, token: &str) {
        if let Some(tokens) = &self.tokens {
            let mut tokens = tokens.borrow_mut();
            tokens.retain(|(k, _)| k != key);
            tokens.push((key.to_string(), token.to_string()));
        }
    }

    pub fn forget_token(&self, key: &str) {
        if let Some(tokens) = &self.tokens {
            tokens.borrow_mut().retain(|(k, _)| k != key);
        }
    }

    /// Counts one storage round trip.
    pub fn trip(&self) {
        self.trips.set(self.trips.get() + 1);
    }

    pub fn trips(&self) -> u32 {
        self.trips.get()
    }

    pub fn count_meta_writes(&self, n: u32) {
        self.meta_writes.set(self.meta_writes.get() + n);
    }

    /// Milliseconds since this work started.
    pub fn elapsed_ms(&self) -> f64 {
        worker::Date::now().as_millis() as f64 - self.started_ms
    }

    /// A configured plain variable or secret, if set and non-empty.
    pub fn var(&self, name: &str) -> Option<String> {
        env_text(&self.env, name)
    }

    pub fn db(&self) -> worker::Result<D1Database> {
        self.env.d1("DB")
    }
}

impl Ports for Services {
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    fn log_error(&self, message: &str) {
        worker::console_error!("{message}");
    }

    fn now_millis(&self) -> i64 {
        now_millis()
    }

    fn meta_writes(&self) -> u32 {
        self.meta_writes.get()
    }

    fn observe_action(&self, workspace: &str, action: &str, via: &str, status: u16) {
        let class = format!("{}xx", status / 100);
        telemetry::observe(&crate::telemetry::ACTION_DURATION, workspace, "", &[("action", action), ("via", via), ("status", &class)], self.elapsed_ms());
    }

    fn rows<'a>(&'a self, q: Query) -> Fut<'a, Vec<Value>> {
        Box::pin(async move {
            let db = self.db()?;
            self.trip();
            Ok(statement(&db, &q)?.all().await?.results::<Value>()?)
        })
    }

    fn batch<'a>(&'a self, writes: Vec<Query>) -> Fut<'a, ()> {
        Box::pin(async move {
            if writes.is_empty() {
                return Ok(());
            }
            let db = self.db()?;
            let statements = writes.iter().map(|q| statement(&db, q)).collect::<worker::Result<Vec<_>>>()?;
            self.trip();
            db.batch(statements).await?;
            Ok(())
        })
    }

    fn graph<'a>(&'a self, scope: Scope<'a>, call: GraphCall<'a>, params: &'a [(String, String)]) -> Fut<'a, (Value, u32)> {
        Box::pin(async move { governed::call(self, &scope, call, params).await })
    }

    fn graph_batch<'a>(&'a self, scope: Scope<'a>, calls: &'a [BatchCall]) -> Fut<'a, Vec<BatchResult>> {
        Box::pin(async move { governed::batch(self, &scope, calls).await })
    }

    fn fact_object<'a>(&'a self, account: &'a str, statements: Vec<Query>) -> Fut<'a, Vec<crate::ports::FactAnswer>> {
        Box::pin(async move {
            self.trip();
            let body = facts::run(&self.env, account, &statements).await?;
            crate::facts::answers(&body)
        })
    }

    fn gate<'a>(&'a self, name: &'a str, op: &'a str, body: Value) -> Fut<'a, Value> {
        Box::pin(async move {
            self.trip();
            gate::json_op(&self.env, name, op, &body).await
        })
    }

    fn token_health<'a>(&'a self, workspace_id: &'a str, integration_id: &'a str) -> Fut<'a, TokenHealth> {
        Box::pin(async move { tokens::token_health_of(self, workspace_id, integration_id).await })
    }

    fn refresh_token<'a>(&'a self, workspace_id: &'a str, integration_id: &'a str) -> Fut<'a, TokenChange> {
        Box::pin(async move { tokens::refresh(self, workspace_id, integration_id).await })
    }

    fn reseal_tokens<'a>(&'a self, workspace_id: &'a str) -> Fut<'a, TokenChange> {
        Box::pin(async move { tokens::reseal_workspace_tokens(self, workspace_id).await })
    }

    fn seal(&self, purpose: &str, payload: &Value) -> Result<String, Failure> {
        Ok(crate::sealed::seal(&self.sealing_secret()?, purpose, payload))
    }

    fn open(&self, purpose: &str, token: &str) -> Result<Option<Value>, Failure> {
        Ok(crate::sealed::open(&self.sealing_secret()?, purpose, token))
    }

    fn vault_seal(&self, plaintext: &str, row_id: &str) -> Result<String, Failure> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| Failure::Internal(format!("no randomness for a nonce: {e}")))?;
        Ok(tokens::keyring(self)?.seal(plaintext, row_id, nonce))
    }

    fn enqueue<'a>(&'a self, job: Job) -> Fut<'a, ()> {
        // Typed, not a `serde_json::Value`: a Value map crosses into JavaScript as a `Map`, which
        // the queue delivers as an empty object.
        Box::pin(async move { Ok(self.env.queue("JOB_QUEUE")?.send(job).await?) })
    }

    fn deployment(&self) -> Deployment {
        Deployment {
            public_url: self.var("ADGATE_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
            local: self.var("ADGATE_ENV").as_deref() == Some("local"),
            meta_api_version: self.var("META_API_VERSION").unwrap_or_else(|| crate::config::DEFAULT_META_API_VERSION.into()),
        }
    }
}

impl Services {
    /// The secret that signs what the gateway hands out (OAuth states, suggestions, links).
    fn sealing_secret(&self) -> Result<String, Failure> {
        self.var("ADGATE_STATE_SECRET").ok_or_else(|| Failure::Internal("the ADGATE_STATE_SECRET secret is not set".into()))
    }
}

/// Applies queries as one D1 batch.
pub async fn commit(svc: &Services, writes: Vec<Query>) -> Result<(), Failure> {
    (svc as &dyn Ports).batch(writes).await
}
