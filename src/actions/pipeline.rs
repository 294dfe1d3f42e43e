//! The one pipeline every action runs through, whoever called it (HTTP, MCP, an approval being
//! executed): role, workspace, typed input (the failing field named), idempotency, `prepare`,
//! then an approval or `apply`, and the audit row in the same batch as the change.

use super::action::{Change, Cx, Meta};
pub use super::action::{Exec, Via};
use super::catalog::{Entry, Stage, Step};
use super::idempotency::{self, Decision};
use super::policy::Flag;
use crate::api_keys::Principal;
use crate::audit::Outcome;
use crate::db;
use crate::failure::Failure;
use crate::ports::{new_id, Ports};
use crate::problem::Problem;
use crate::records::FieldError;
use serde_json::{json, Value};

/// Idempotency records live this long (a day): long enough for any client's retries.
pub const IDEMPOTENCY_TTL_MS: i64 = 86_400_000;

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

/// Runs one call: `instance` is the request path, named in problems a replay returns. Its
/// answer's status and time go to telemetry under the workspace it acted in.
pub async fn run(ports: &dyn Ports, principal: &Principal, entry: &Entry, body: Value, key: &KeyFrom, via: Via, instance: &str) -> Result<Reply, Failure> {
    let workspace = workspace_of(principal, &body).ok();
    let reply = run_once(ports, principal, entry, body, key, via, instance).await;
    if let Some(ws) = workspace {
        let status = match &reply {
            Ok(Reply::Fresh(s, _) | Reply::Replayed(s, _)) => *s,
            Err(f) => f.to_problem().map_or(500, |p| p.status),
        };
        ports.observe_action(&ws, &format!("{}/{}", entry.meta.router(), entry.meta.name()), via.as_str(), status);
    }
    reply
}

async fn run_once(ports: &dyn Ports, principal: &Principal, entry: &Entry, body: Value, key: &KeyFrom, via: Via, instance: &str) -> Result<Reply, Failure> {
    let meta = entry.meta;
    check_role(meta, principal)?;
    let key = if meta.tier.is_mutation() { Some(key.checked()?) } else { None };
    let workspace = workspace_of(principal, &body)?;
    let mut bare = body;
    if let Some(o) = bare.as_object_mut() {
        o.remove("workspace_id");
    }
    let input = (entry.decode)(&bare)?;
    if principal.workspace().is_none() {
        // A key's own workspace exists (its member references it); the one the bootstrap key
        // names may not. One round trip fewer on every call made with a workspace key.
        db::workspaces::must_exist(ports, &workspace).await?;
    }
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
    let outcome = execute(ports, entry, exec, workspace, input, Stage::Approved).await;
    let status = match &outcome {
        Ok((s, _)) => *s,
        Err(f) => f.to_problem().map_or(500, |p| p.status),
    };
    ports.observe_action(workspace, &format!("{}/{}", entry.meta.router(), entry.meta.name()), exec.via.as_str(), status);
    outcome
}

async fn execute(ports: &dyn Ports, entry: &Entry, exec: &Exec, ws: &str, input: &Value, stage: Stage) -> Result<(u16, Value), Failure> {
    let cx = Cx { ports, workspace: ws, exec, meta: entry.meta };
    let writes_before = ports.meta_writes();
    match (entry.run)(&cx, input, stage).await? {
        Step::Held { account, flags } => request_approval(ports, exec, entry.meta, ws, input, account.as_deref(), &flags).await,
        Step::Applied(change) => commit(ports, exec, entry.meta, ws, *change, ports.meta_writes() - writes_before).await,
    }
}

/// How a failure is kept on its audit row: Meta's code, subcode and trace when Meta refused.
/// Writes a mutation's rows and its audit row (done, or attempted and failed) in one batch.
/// `meta_writes` is how many writes the action sent to Meta.
async fn commit(ports: &dyn Ports, exec: &Exec, meta: &Meta, ws: &str, change: Change, meta_writes: u32) -> Result<(u16, Value), Failure> {
    let Change { result, mut writes, record, then_enqueue } = change;
    if !meta.tier.is_mutation() || matches!(result, Err(Failure::Internal(_))) {
        return result;
    }
    let mut audit = exec.audit(ports.correlation_id(), ws, meta, Outcome::Succeeded);
    audit.ad_account_id = record.ad_account_id;
    audit.external_id = record.external_id;
    audit.before = record.before;
    audit.after = record.after;
    audit.meta_writes = Some(i64::from(meta_writes));
    if let Err(f) = &result {
        audit.outcome = Outcome::Failed;
        audit.graph_error = f.audit_record();
        writes.clear();
    }
    writes.push(db::audit_log::insert(&audit, &ports.now_iso()));
    ports.batch(writes).await?;
    if result.is_ok() {
        for job in then_enqueue {
            if let Err(e) = ports.enqueue(job).await {
                ports.log_error(&format!("a committed job waits for the sweep: could not enqueue it [{}]: {}", ports.correlation_id(), e.summary()));
            }
        }
    }
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

/// Native only: these block on the pipeline's futures with an executor the worker build lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::actions::catalog;
    use crate::api_keys::Role;
    use crate::ports::{Bind, Fut, GraphCall, Query, Scope, TokenChange};
    use crate::token_health::TokenHealth;
    use std::cell::RefCell;

    /// A platform that answers from memory and records what it was asked.
    #[derive(Default)]
    struct Fake {
        batches: RefCell<Vec<Vec<Query>>>,
        gate_ops: RefCell<Vec<String>>,
        reads: RefCell<u32>,
        graph_calls: RefCell<u32>,
        enqueued: RefCell<Vec<crate::ports::Job>>,
    }

    impl Ports for Fake {
        fn correlation_id(&self) -> &str {
            "cid"
        }
        fn log_error(&self, _: &str) {}
        fn now_millis(&self) -> i64 {
            1_790_000_000_000
        }
        fn rows<'a>(&'a self, _: Query) -> Fut<'a, Vec<Value>> {
            *self.reads.borrow_mut() += 1;
            Box::pin(async { Ok(Vec::new()) })
        }
        fn batch<'a>(&'a self, writes: Vec<Query>) -> Fut<'a, ()> {
            self.batches.borrow_mut().push(writes);
            Box::pin(async { Ok(()) })
        }
        fn graph<'a>(&'a self, _: Scope<'a>, _: GraphCall<'a>, _: &'a [(String, String)]) -> Fut<'a, (Value, u32)> {
            *self.graph_calls.borrow_mut() += 1;
            Box::pin(async { Err(Failure::Internal("no Graph here".into())) })
        }
        fn graph_batch<'a>(&'a self, _: Scope<'a>, _: &'a [crate::graph::BatchCall]) -> Fut<'a, Vec<crate::graph::BatchResult>> {
            *self.graph_calls.borrow_mut() += 1;
            Box::pin(async { Err(Failure::Internal("no Graph here".into())) })
        }
        fn gate<'a>(&'a self, _: &'a str, op: &'a str, _: Value) -> Fut<'a, Value> {
            self.gate_ops.borrow_mut().push(op.to_string());
            Box::pin(async move { Ok(if op == "idem/begin" { json!({"decision": "proceed"}) } else { json!({}) }) })
        }
        fn token_health<'a>(&'a self, _: &'a str, _: &'a str) -> Fut<'a, TokenHealth> {
            Box::pin(async { Err(Failure::Internal("no vault here".into())) })
        }
        fn refresh_token<'a>(&'a self, _: &'a str, _: &'a str) -> Fut<'a, TokenChange> {
            Box::pin(async { Err(Failure::Internal("no vault here".into())) })
        }
        fn reseal_tokens<'a>(&'a self, _: &'a str) -> Fut<'a, TokenChange> {
            Box::pin(async { Err(Failure::Internal("no vault here".into())) })
        }
        fn seal(&self, purpose: &str, payload: &Value) -> Result<String, Failure> {
            Ok(crate::sealed::seal("test", purpose, payload))
        }
        fn open(&self, purpose: &str, token: &str) -> Result<Option<Value>, Failure> {
            Ok(crate::sealed::open("test", purpose, token))
        }
        fn vault_seal(&self, plaintext: &str, row_id: &str) -> Result<String, Failure> {
            Ok(format!("sealed:{row_id}:{}", plaintext.len()))
        }
        fn enqueue<'a>(&'a self, job: crate::ports::Job) -> Fut<'a, ()> {
            self.enqueued.borrow_mut().push(job);
            Box::pin(async { Ok(()) })
        }
        fn deployment(&self) -> crate::ports::Deployment {
            crate::ports::Deployment::default()
        }
    }

    fn key(role: Role) -> Principal {
        Principal::Key { key_id: "key_1".into(), member_id: "mem_1".into(), workspace_id: "ws_1".into(), role }
    }

    fn run_entry(fake: &Fake, principal: &Principal, entry: &catalog::Entry, body: Value) -> Result<Reply, Failure> {
        let key = KeyFrom { value: Some("k-1".into()), field: "Idempotency-Key" };
        futures::executor::block_on(run(fake, principal, entry, body, &key, Via::Mcp, "/mcp"))
    }

    fn run_now(fake: &Fake, principal: &Principal, action: &str, body: Value) -> Result<Reply, Failure> {
        run_entry(fake, principal, catalog::find("admin_meta_ads_governance", action).unwrap(), body)
    }

    fn refusal(r: Result<Reply, Failure>) -> (u16, Option<String>) {
        match r {
            Err(f) => f.to_problem().map(|p| (p.status, p.field)).unwrap_or((500, None)),
            Ok(reply) => panic!("not refused: {reply:?}"),
        }
    }

    /// Every action in the catalogue, generated from its metadata and published schema: the
    /// wrong role, another workspace, an unknown field, an oversized text and an out-of-range
    /// number are refused (by name) before anything is read, claimed, written or sent to Meta.
    #[test]
    fn every_action_refuses_wrong_roles_other_workspaces_and_bad_input_before_touching_anything() {
        let mut fields_checked = 0;
        for entry in catalog::ALL {
            let name = entry.meta.name();
            let fake = Fake::default();
            let allowed = entry.meta.roles[0];
            for role in [Role::Admin, Role::Recruiter].into_iter().filter(|r| !entry.meta.roles.contains(r)) {
                assert_eq!(refusal(run_entry(&fake, &key(role), entry, json!({}))).0, 403, "{name} as {}", role.as_str());
            }
            assert_eq!(refusal(run_entry(&fake, &key(allowed), entry, json!({"workspace_id": "ws_2"}))).0, 403, "{name}: another workspace");
            let unknown = refusal(run_entry(&fake, &key(allowed), entry, json!({"zz_unknown": 1})));
            assert_eq!(unknown, (422, Some("zz_unknown".to_string())), "{name}");
            for (field, p) in (entry.schema)()["properties"].as_object().unwrap() {
                let bad = if p["type"].to_string().contains("integer") {
                    json!(p["maximum"].as_i64().unwrap().saturating_add(1))
                } else if let Some(max) = p["maxLength"].as_u64() {
                    json!("x".repeat(max as usize + 1))
                } else if let Some(max) = p["maxItems"].as_u64() {
                    json!(vec!["x"; max as usize + 1])
                } else if p["pattern"].is_string() {
                    json!("not/an id")
                } else {
                    continue;
                };
                assert_eq!(refusal(run_entry(&fake, &key(allowed), entry, json!({ field.clone(): bad }))), (422, Some(field.clone())), "{name}.{field}");
                fields_checked += 1;
            }
            assert!(
                fake.batches.borrow().is_empty() && fake.gate_ops.borrow().is_empty() && fake.enqueued.borrow().is_empty(),
                "{name} wrote, claimed or queued"
            );
            assert_eq!((*fake.reads.borrow(), *fake.graph_calls.borrow()), (0, 0), "{name} read or called Meta");
        }
        assert!(fields_checked >= 30, "{fields_checked}");
    }

    #[test]
    fn a_change_and_its_audit_row_go_in_one_batch_between_claim_and_completion() {
        let fake = Fake::default();
        let Ok(Reply::Fresh(200, out)) = run_now(&fake, &key(Role::Admin), "set_approval_thresholds", json!({"budget_increase_pct": 30})) else { panic!() };
        assert_eq!(out["value"], json!({"budget_increase_pct": 30}), "unset fields are left out of the stored policy");
        let batches = fake.batches.borrow();
        assert_eq!(batches.len(), 1);
        let [upsert, audit] = batches[0].as_slice() else { panic!("{batches:?}") };
        assert!(upsert.sql.starts_with("INSERT INTO governance_policies"));
        assert_eq!((&audit.binds[5], &audit.binds[15], &audit.binds[16]), (&Bind::from("set_approval_thresholds"), &Bind::from("mem_1"), &Bind::from("mcp")));
        assert_eq!(*fake.gate_ops.borrow(), ["idem/begin", "idem/complete"]);
        // A workspace key's own workspace is not looked up again: one read (the policy before).
        assert_eq!(*fake.reads.borrow(), 1);
    }

    #[test]
    fn refusals_write_nothing_and_the_role_is_checked_first() {
        let fake = Fake::default();
        let Err(f) = run_now(&fake, &key(Role::Recruiter), "set_approval_thresholds", json!({"budget_increase_pct": 30})) else { panic!() };
        assert_eq!(f.to_problem().unwrap().status, 403);
        let Err(f) = run_now(&fake, &key(Role::Admin), "set_approval_thresholds", json!({})) else { panic!() };
        assert_eq!(f.to_problem().unwrap().field.as_deref(), Some("input"));
        let Err(f) = run_now(&fake, &key(Role::Admin), "set_approval_thresholds", json!({"workspace_id": "ws_2", "budget_increase_pct": 1})) else { panic!() };
        assert_eq!(f.to_problem().unwrap().status, 403, "another workspace");
        assert!(fake.batches.borrow().is_empty());
        // The refused input was still claimed and completed, so a retry replays the refusal.
        assert_eq!(fake.gate_ops.borrow().iter().filter(|o| *o == "idem/complete").count(), 1);
    }

    #[test]
    fn an_execute_high_action_is_held_with_its_approval_and_audit_row() {
        let fake = Fake::default();
        let Ok(Reply::Fresh(202, out)) = run_now(&fake, &key(Role::Admin), "rotate_credentials", json!({"reason": "yearly"})) else { panic!() };
        assert_eq!(out["status"], "pending_approval");
        let batches = fake.batches.borrow();
        let [approval, audit] = batches[0].as_slice() else { panic!("{batches:?}") };
        assert!(approval.sql.starts_with("INSERT INTO approvals"));
        assert_eq!(audit.binds[13], Bind::from("pending_approval"));
    }
}
