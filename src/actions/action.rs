//! What every action declares: its typed input and its metadata. The router and the name come
//! from the module path, so an action's file is where its URL says:
//! `POST /v1/actions/{router}/{action}` is `src/actions/{router}/{action}.rs`.

use super::policy::Flag;
use crate::api_keys::{Principal, Role};
use crate::audit::{AuditEntry, Outcome};
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Read,
    Suggest,
    ExecuteLow,
    ExecuteHigh,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Read => "read",
            Tier::Suggest => "suggest",
            Tier::ExecuteLow => "execute_low",
            Tier::ExecuteHigh => "execute_high",
        }
    }

    /// Mutations need an idempotency key and write audit rows.
    pub fn is_mutation(self) -> bool {
        matches!(self, Tier::ExecuteLow | Tier::ExecuteHigh)
    }
}

pub const ADMIN: &[Role] = &[Role::Admin];
pub const RECRUITER_OR_ADMIN: &[Role] = &[Role::Recruiter, Role::Admin];

/// An action's metadata.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    /// `module_path!()` of the action's file: `adgate::actions::{router}::{action}`.
    pub module: &'static str,
    pub roles: &'static [Role],
    pub tier: Tier,
    pub summary: &'static str,
    /// It cannot be undone (MCP's `destructiveHint`).
    pub destructive: bool,
}

impl Meta {
    fn segment(&self, from_end: usize) -> &'static str {
        self.module.rsplit("::").nth(from_end).unwrap_or_default()
    }

    pub fn router(&self) -> &'static str {
        self.segment(1)
    }

    pub fn name(&self) -> &'static str {
        self.segment(0)
    }

    /// Repeating the same call changes nothing more (reads, and settings that overwrite).
    pub fn idempotent(&self) -> bool {
        !self.tier.is_mutation() || ["set_", "pause_", "resume_"].iter().any(|p| self.name().starts_with(p))
    }
}

/// Declares an action's metadata from where it is declared.
#[macro_export]
macro_rules! action_meta {
    (roles: $roles:expr, tier: $tier:ident, summary: $summary:expr $(, destructive: $d:expr)? $(,)?) => {
        $crate::actions::action::Meta {
            module: module_path!(),
            roles: $roles,
            tier: $crate::actions::action::Tier::$tier,
            summary: $summary,
            destructive: false $(|| $d)?,
        }
    };
}

/// Where a call came in, recorded on its audit rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Http,
    Mcp,
    Approval,
    /// A workspace rule acting under its owner.
    Rule,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Http => "http",
            Via::Mcp => "mcp",
            Via::Approval => "approval",
            Via::Rule => "rule",
        }
    }
}

/// On whose behalf an action runs: the caller, or for an approved action the requester (with the
/// approval that released it).
#[derive(Debug, Clone)]
pub struct Exec {
    /// The key (or `bootstrap`) that acted.
    pub actor: String,
    /// The member behind that key (none for the bootstrap key).
    pub member_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub approval_id: Option<String>,
    /// Where the call came in.
    pub via: Via,
}

impl Exec {
    pub fn of(principal: &Principal, idempotency_key: Option<String>, via: Via) -> Exec {
        Exec { actor: principal.actor(), member_id: principal.member_id().map(str::to_string), idempotency_key, approval_id: None, via }
    }

    /// The person acting, as approvals compare them.
    pub fn person(&self) -> String {
        self.member_id.clone().unwrap_or_else(|| crate::api_keys::BOOTSTRAP_PERSON.into())
    }

    /// An audit row for `meta` in `ws`, done by this caller.
    pub fn audit(&self, correlation_id: &str, ws: &str, meta: &Meta, outcome: Outcome) -> AuditEntry {
        let mut audit = AuditEntry::new(meta.name(), &self.actor, correlation_id, outcome);
        audit.actor_member_id = self.member_id.clone();
        audit.via = Some(self.via.as_str().into());
        audit.workspace_id = Some(ws.to_string());
        audit.risk_tier = Some(meta.tier.as_str().into());
        audit.idempotency_key = self.idempotency_key.clone();
        audit.approval_id = self.approval_id.clone();
        audit
    }
}

/// What an action runs with: the platform, the workspace it acts in, on whose behalf, and its own metadata.
pub struct Cx<'a> {
    pub ports: &'a dyn Ports,
    pub workspace: &'a str,
    pub exec: &'a Exec,
    pub meta: &'static Meta,
}

/// What `prepare` decided: go ahead with `state`, unless a policy flagged the change for an
/// approval (`flags`, with the account it concerns).
#[derive(Debug, Default)]
pub struct Plan<P> {
    pub state: P,
    pub flags: Vec<Flag>,
    pub account: Option<String>,
}

impl<P> Plan<P> {
    pub fn go(state: P) -> Self {
        Plan { state, flags: Vec::new(), account: None }
    }
}

/// What an audit row says about the object an action changed.
#[derive(Debug, Default, Clone)]
pub struct Record {
    pub ad_account_id: Option<String>,
    pub external_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What `apply` did: its answer (or the failure it met after starting, such as Meta refusing
/// the write), the rows to write, and the audit record. The pipeline commits the rows and the
/// audit row in one batch, so neither exists without the other.
#[derive(Debug)]
pub struct Change {
    pub result: Result<(u16, Value), Failure>,
    pub writes: Vec<Query>,
    pub record: Record,
    /// Jobs queue messages sent once the writes are committed (a message whose rows were never
    /// written would find nothing; a message lost after the commit is found again by the sweep).
    pub then_enqueue: Vec<crate::ports::Job>,
}

impl Change {
    /// An answer that writes nothing (reads).
    pub fn read(body: Value) -> Change {
        Change { result: Ok((200, body)), writes: Vec::new(), record: Record::default(), then_enqueue: Vec::new() }
    }

    /// A change Meta refused after `apply` began: audited as failed, with Meta's error, and
    /// nothing written. A failure of our own stays an error (nothing is audited as done).
    pub fn refused(failure: Failure, record: Record) -> Result<Change, Failure> {
        match failure {
            Failure::Internal(_) => Err(failure),
            f => Ok(Change { result: Err(f), writes: Vec::new(), record, then_enqueue: Vec::new() }),
        }
    }

    /// A change made: `writes` (if any) go in with the audit row.
    pub fn done(status: u16, body: Value, writes: Vec<Query>, record: Record) -> Change {
        Change { result: Ok((status, body)), writes, record, then_enqueue: Vec::new() }
    }

    /// Sends `job` to the jobs queue after the commit.
    pub fn enqueue(mut self, job: crate::ports::Job) -> Change {
        self.then_enqueue.push(job);
        self
    }
}

/// An action: a typed input (unknown fields refused, field docs as descriptions), metadata, and
/// its logic in two steps. `prepare` reads and decides (refuse, naming the field; or flag for an
/// approval) and never writes; `apply` makes the change once, now or after the approval, and
/// says what the object was before and after.
#[allow(async_fn_in_trait)]
pub trait Action {
    type Input: DeserializeOwned + Serialize + JsonSchema;
    /// What `prepare` found that `apply` needs (the object as Meta has it, the bound account).
    type Plan: Default;
    const META: Meta;

    async fn prepare(_cx: &Cx<'_>, _input: &Self::Input) -> Result<Plan<Self::Plan>, Failure> {
        Ok(Plan::go(Self::Plan::default()))
    }

    async fn apply(cx: &Cx<'_>, input: &Self::Input, plan: Self::Plan) -> Result<Change, Failure>;
}

/// The input's JSON Schema (2020-12), as `/v1/actions`, OpenAPI and MCP publish it.
pub fn input_schema<A: Action>() -> Value {
    // Nested types are inlined: the schema is published inside other documents (OpenAPI, MCP),
    // where a `$ref` into its own `$defs` would not resolve.
    let generator = schemars::generate::SchemaSettings::draft2020_12().with(|s| s.inline_subschemas = true).into_generator();
    let mut schema = serde_json::to_value(generator.into_root_schema_for::<A::Input>()).unwrap_or(Value::Null);
    if let Some(o) = schema.as_object_mut() {
        // Published inside other documents: the dialect is theirs, the title is the action's.
        o.remove("$schema");
        o.insert("title".into(), json!(A::META.name()));
        o.entry("properties").or_insert_with(|| json!({}));
    }
    schema
}

pub fn describe(meta: &Meta, input_schema: Value) -> Value {
    json!({
        "router": meta.router(),
        "action": meta.name(),
        "roles": meta.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "risk_tier": meta.tier.as_str(),
        "requires_idempotency_key": meta.tier.is_mutation(),
        "summary": meta.summary,
        "input_schema": input_schema,
    })
}
