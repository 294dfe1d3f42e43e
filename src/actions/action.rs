//! What every action declares: its typed input and its metadata. The router and the name come
//! from the module path, so an action's file is where its URL says:
//! `POST /v1/actions/{router}/{action}` is `src/actions/{router}/{action}.rs`.

use crate::api_keys::Role;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
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
        !self.tier.is_mutation() || self.name().starts_with("set_") || matches!(self.name(), "pause_campaign" | "resume_campaign")
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

/// An action: a typed input (unknown fields refused, field docs as descriptions) and metadata.
pub trait Action {
    type Input: DeserializeOwned + JsonSchema;
    const META: Meta;
}

/// The input's JSON Schema (2020-12), as `/v1/actions`, OpenAPI and MCP publish it.
pub fn input_schema<A: Action>() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(A::Input)).unwrap_or(Value::Null);
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
