//! The one pipeline every action runs through, whoever called it (HTTP, MCP, an approval being
//! executed): role, workspace, typed input (the failing field named), idempotency, `prepare`,
//! then an approval or `apply`, and the audit row in the same batch as the change.

use super::action::{Change, Cx, Meta};
use super::catalog::{Entry, Stage, Step};
use super::idempotency::{self, Decision};
use super::policy::Flag;
use crate::api_keys::Principal;
use crate::audit::{AuditEntry, Outcome};
use crate::db;
use crate::failure::Failure;
use crate::ports::{new_id, Ports};
use crate::problem::Problem;
use crate::records::FieldError;
use serde_json::{json, Value};

/// Idempotency records live this long (a day): long enough for any client's retries.
pub const IDEMPOTENCY_TTL_MS: i64 = 86_400_000;

/// Where a call came in, recorded on its audit rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Http,
    Mcp,
    Approval,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Http => "http",
            Via::Mcp => "mcp",
            Via::Approval => "approval",
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

/// An idempotency key as the caller gave it, and what the caller calls it (the
/// `Idempotency-Key` header, or MCP's `idempotency_key` argument) for the error message.
pub struct KeyFrom {
    pub value: Option<String>,
    pub field: &'static str,
}

impl KeyFrom {
    pub fn checked(&self) -> Result<String, Failure> {
        let key = self.value.as_deref().unwrap_or_default().trim();
        if (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(key.to_string())
        } else {
            let mut p = Problem::bad_request(format!("mutations need an {}: 1 to 200 visible ASCII characters, unique per intended change", self.field));
            p.field = Some(self.field.into());
            Err(p.into())
        }
    }
}

/// What the pipeline answers: a fresh result, or the first result of this idempotency key.
#[derive(Debug)]
pub enum Reply {
    Fresh(u16, Value),
    Replayed(u16, String),
}

/// The caller's role must be one the action allows.
pub fn check_role(meta: &Meta, principal: &Principal) -> Result<(), Failure> {
    if let Principal::Key { role, .. } = principal {
        if !meta.roles.contains(role) {
            let roles = meta.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or ");
            return Err(Problem::forbidden(format!("{}/{} needs the role {roles}", meta.router(), meta.name())).into());
        }
    }
    Ok(())
}

/// The workspace a call acts in: the key's own (a key learns nothing about another workspace,
/// not even whether its input would have been valid there), or the one the bootstrap key names.
fn workspace_of(principal: &Principal, body: &Value) -> Result<String, Failure> {
    match (principal.workspace(), body.get("workspace_id")) {
        (_, Some(v)) if !v.as_str().is_some_and(|w| (1..=64).contains(&w.len())) => {
            Err(FieldError { field: "workspace_id".into(), reason: "must be a workspace id".into() }.into())
        }
        (Some(own), Some(asked)) if asked.as_str() != Some(own) => Err(Problem::forbidden("this key belongs to another workspace").into()),
        (Some(own), _) => Ok(own.to_string()),
        (None, Some(asked)) => Ok(asked.as_str().unwrap_or_default().to_string()),
        (None, None) => Err(FieldError { field: "workspace_id".into(), reason: "is required with the bootstrap key".into() }.into()),
    }
}

/// Runs one call: `instance` is the request path, named in problems a replay returns.
pub async fn run(ports: &dyn Ports, principal: &Principal, entry: &Entry, body: Value, key: &KeyFrom, via: Via, instance: &str) -> Result<Reply, Failure> {
    let meta = entry.meta;
    check_role(meta, principal)?;
    let key = if meta.tier.is_mutation() { Some(key.checked()?) } else { None };
    let workspace = workspace_of(principal, &body)?;
    let mut bare = body;
    if let Some(o) = bare.as_object_mut() {
        o.remove("workspace_id");
    }
    let input = (entry.decode)(&bare)?;
    db::workspaces::must_exist(ports, &workspace).await?;
    let Some(key) = key else {
        let exec = Exec::of(principal, None, via);
        let (status, out) = execute(ports, entry, &exec, &workspace, &input, Stage::Requested).await?;
        return Ok(Reply::Fresh(status, out));
    };

    let gate = format!("ws:{workspace}");
    let record_key = format!("{}/{}:{key}", meta.router(), meta.name());
    let hash = idempotency::body_hash(meta.router(), meta.name(), &json!({ "workspace_id": workspace, "input": input }));
    let answer = ports.gate(&gate, "idem/begin", json!({ "key": record_key, "body_hash": hash, "ttl_ms": IDEMPOTENCY_TTL_MS })).await?;
    let decision: Decision = serde_json::from_value(answer).map_err(|e| Failure::Internal(format!("gate decision: {e}")))?;
    match decision {
        Decision::Replay { status, response } => Ok(Reply::Replayed(status, response)),
        Decision::Mismatch => Err(Problem::new(
            "idempotency-key-reused",
            "Idempotency Key Reused",
            422,
            "this Idempotency-Key was used with a different request; use a new key for a new change",
        )
        .into()),
        Decision::InFlight => {
            let mut p = Problem::conflict("a request with this Idempotency-Key is still running; retry shortly to get its result");
            p.retry_after_seconds = Some(1);
            Err(p.into())
        }
        Decision::Proceed => {
            let exec = Exec::of(principal, Some(key), via);
            let outcome = execute(ports, entry, &exec, &workspace, &input, Stage::Requested).await;
            let (status, text) = match &outcome {
                Ok((status, out)) => (*status, out.to_string()),
                Err(f) => match f.to_problem() {
                    Some(p) => (p.status, p.with_context(instance, ports.correlation_id()).to_json()),
                    None => {
                        // Nothing reliable to replay: free the key so the client's retry can run.
                        ports.gate(&gate, "idem/release", json!({ "key": record_key })).await?;
                        return outcome.map(|(s, v)| Reply::Fresh(s, v));
                    }
                },
            };
            if let Err(e) = ports.gate(&gate, "idem/complete", json!({ "key": record_key, "status": status, "response": text })).await {
                // The result could not be recorded: free the key rather than leave it claimed, so a
                // retry is not refused as in flight for the lease (the audit row says what ran).
                ports.log_error(&format!("could not record the result of {record_key} [{}]: {}", ports.correlation_id(), e.summary()));
                ports.gate(&gate, "idem/release", json!({ "key": record_key })).await?;
            }
            outcome.map(|(status, out)| Reply::Fresh(status, out))
        }
    }
}

/// Runs an approved action for its requester: `prepare` again (the guardrails hold at execution
/// time too), then `apply`, audited with the approval.
pub async fn run_approved(ports: &dyn Ports, entry: &Entry, exec: &Exec, workspace: &str, input: &Value) -> Result<(u16, Value), Failure> {
    execute(ports, entry, exec, workspace, input, Stage::Approved).await
}

async fn execute(ports: &dyn Ports, entry: &Entry, exec: &Exec, ws: &str, input: &Value, stage: Stage) -> Result<(u16, Value), Failure> {
    let cx = Cx { ports, workspace: ws, exec, meta: entry.meta };
    match (entry.run)(&cx, input, stage).await? {
        Step::Held { account, flags } => request_approval(ports, exec, entry.meta, ws, input, account.as_deref(), &flags).await,
        Step::Applied(change) => commit(ports, exec, entry.meta, ws, *change).await,
    }
}

/// How a failure is kept on its audit row: Meta's code, subcode and trace when Meta refused.
fn failure_record(f: &Failure) -> Option<Value> {
    let p = f.to_problem()?;
    Some(json!({
        "status": p.status, "detail": p.detail,
        "graph_code": p.extensions.get("graph_code"), "graph_subcode": p.extensions.get("graph_subcode"),
        "fbtrace_id": p.extensions.get("fbtrace_id"),
    }))
}

/// Writes a mutation's rows and its audit row (done, or attempted and failed) in one batch.
async fn commit(ports: &dyn Ports, exec: &Exec, meta: &Meta, ws: &str, change: Change) -> Result<(u16, Value), Failure> {
    let Change { result, mut writes, record } = change;
    if !meta.tier.is_mutation() || matches!(result, Err(Failure::Internal(_))) {
        return result;
    }
    let mut audit = exec.audit(ports.correlation_id(), ws, meta, Outcome::Succeeded);
    audit.ad_account_id = record.ad_account_id;
    audit.external_id = record.external_id;
    audit.before = record.before;
    audit.after = record.after;
    if let Err(f) = &result {
        audit.outcome = Outcome::Failed;
        audit.graph_error = failure_record(f);
        writes.clear();
    }
    writes.push(db::audit_log::insert(&audit, &ports.now_iso()));
    ports.batch(writes).await?;
    result
}

/// Records a pending approval (with its audit row) instead of acting: 202. `flags` say which
/// policies asked for it (none for an execute_high action, which always needs one).
async fn request_approval(
    ports: &dyn Ports,
    exec: &Exec,
    meta: &Meta,
    ws: &str,
    input: &Value,
    account: Option<&str>,
    flags: &[Flag],
) -> Result<(u16, Value), Failure> {
    let id = new_id("apr");
    let now = ports.now_iso();
    let stored = db::governance_policies::get(ports, ws, "approval_thresholds").await?;
    let ttl = super::approvals::ttl_seconds(stored.and_then(|v| v["approval_ttl_seconds"].as_i64()));
    let expires = crate::timefmt::iso_from_millis(ports.now_millis() + ttl * 1_000);
    let reasons: Vec<String> =
        if flags.is_empty() { vec![format!("{} is an execute_high action", meta.name())] } else { flags.iter().map(Flag::reason).collect() };
    let approval = json!({
        "id": id, "workspace_id": ws, "router": meta.router(), "action": meta.name(), "input": input,
        "requested_by": exec.actor, "requested_by_member": exec.person(), "status": "pending", "expires_at": expires, "created_at": now,
        "policy_flags": flags, "reasons": reasons,
    });
    let mut audit = exec.audit(ports.correlation_id(), ws, meta, Outcome::PendingApproval);
    audit.approval_id = Some(id.clone());
    audit.ad_account_id = account.map(str::to_string);
    audit.after = Some(json!({ "input": input, "policy_flags": flags, "reasons": reasons }));
    let row = db::approvals::NewApproval {
        id: &id,
        workspace_id: ws,
        router: meta.router(),
        action: meta.name(),
        input,
        requested_by: &exec.actor,
        requested_by_member: &exec.person(),
        idempotency_key: exec.idempotency_key.as_deref(),
        correlation_id: ports.correlation_id(),
        expires_at: &expires,
        reasons: &reasons,
        now: &now,
    };
    ports.batch(vec![db::approvals::insert(&row), db::audit_log::insert(&audit, &now)]).await?;
    Ok((202, json!({ "status": "pending_approval", "approval": approval, "decide": format!("POST /v1/approvals/{id}/approve or /reject by another admin") })))
}
