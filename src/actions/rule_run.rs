//! A rule's run, from the jobs queue (never inside a request): the owner must still have access,
//! the figures are read from the mirrors, each matched object gets a decision, and every change
//! goes through `apply_rule_action` in the action pipeline under the owner, with an idempotency
//! key fixed by the run and the object, so a run delivered twice acts once.

use super::catalog;
use super::pipeline::{self, KeyFrom, Reply, Via};
use super::recruiter_paid_media_analytics::apply_rule_action;
use crate::api_keys::Principal;
use crate::db::rules::{self, Finished, Rule, Run};
use crate::db::{ad_accounts, members, notifications};
use crate::failure::Failure;
use crate::ports::{new_id, Job, Ports};
use crate::rules::evaluate::{self, Decision};
use crate::rules::figures::{describe, evaluate_now};
use crate::rules::spec::RuleSpec;
use serde_json::{json, Value};

/// Runs a queued rule run. `Ok` means the message is done with.
pub async fn run(ports: &dyn Ports, run_id: &str) -> Result<(), Failure> {
    let Some(run) = rules::run_by_id(ports, run_id).await? else { return Ok(()) };
    if run.status != "queued" {
        return Ok(());
    }
    let now = ports.now_iso();
    let stop = |why: String, stop_rule: bool| {
        let mut writes = vec![rules::finish(&run.id, &stopped(&why), &now)];
        if stop_rule {
            writes.push(rules::set_status(&run.workspace_id, &run.rule_id, "stopped", Some(&why), &now));
        }
        writes
    };
    let Some(rule) = rules::get(ports, &run.workspace_id, &run.rule_id).await?.filter(|r| r.status == "active") else {
        return ports.batch(stop("the rule is no longer active".into(), false)).await;
    };
    let Some(role) = members::live_role(ports, &rule.workspace_id, &rule.owner_member_id).await? else {
        let why = format!("its owner {} no longer has access to the workspace; the rule stopped", rule.owner_member_id);
        return ports.batch(stop(why, true)).await;
    };
    if !ad_accounts::is_bound(ports, &rule.workspace_id, &rule.ad_account_id).await? {
        return ports.batch(stop(format!("act_{} is no longer bound to the workspace; the rule stopped", rule.ad_account_id), true)).await;
    }
    let spec: RuleSpec = serde_json::from_str(&rule.spec).map_err(|e| Failure::Internal(format!("stored rule {}: {e}", rule.id)))?;
    let ev = evaluate_now(ports, &rule, &spec).await?;
    let principal =
        Principal::Key { key_id: format!("rule:{}", rule.id), member_id: rule.owner_member_id.clone(), workspace_id: rule.workspace_id.clone(), role };
    let mut actions = Vec::new();
    let mut writes = Vec::new();
    let mut notified = Vec::new();
    let at_ms = ports.now_millis();
    for (object, d) in &ev.decisions {
        match d {
            Decision::Skip(_) => {}
            Decision::Notify => {
                notified.push(object.clone());
                writes.push(rules::record_action(&run.id, &rule.id, &rule.workspace_id, object, "notify", "notified", at_ms));
            }
            Decision::Act(edit) => {
                let (outcome, record) = act(ports, &principal, &run, &rule, &spec, edit, ev.data_as_of.as_deref().unwrap_or_default()).await?;
                if let Some(kind) = record {
                    writes.push(rules::record_action(&run.id, &rule.id, &rule.workspace_id, object, spec.action.kind.as_str(), kind, at_ms));
                }
                actions.push(outcome);
            }
        }
    }
    let mut jobs = Vec::new();
    if !notified.is_empty() && notifications::endpoint(ports, &rule.workspace_id).await?.is_some() {
        let id = new_id("ntf");
        let body = json!({ "event": "rule.matched", "rule_id": rule.id, "rule_name": rule.name, "run_id": run.id, "ad_account_id": format!("act_{}", rule.ad_account_id),
            "objects": ev.inputs.iter().filter(|i| i["object_id"].as_str().is_some_and(|o| notified.iter().any(|n| n == o))).collect::<Vec<_>>(), "at": now });
        writes.push(notifications::insert(&rule.workspace_id, &id, "rule.matched", &rule.id, &body.to_string(), &now));
        jobs.push(Job::Notification(id));
    }
    let acted = i64::try_from(actions.iter().filter(|a| a["outcome"] != "refused").count() + notified.len()).unwrap_or(i64::MAX);
    let decisions: Vec<Value> = ev.decisions.iter().map(|(o, d)| describe(o, d)).collect();
    let finished = Finished {
        status: "done",
        data_as_of: ev.data_as_of.as_deref(),
        inputs: &json!({ "since": ev.since, "until": ev.until, "objects": ev.inputs }),
        decisions: &json!(decisions),
        actions: &json!(actions),
        acted,
        error: None,
    };
    writes.push(rules::finish(&run.id, &finished, &now));
    ports.batch(writes).await?;
    for job in jobs {
        if let Err(e) = ports.enqueue(job).await {
            ports.log_error(&format!("rule {}: a notification waits for the sweep: {}", rule.id, e.summary()));
        }
    }
    Ok(())
}

fn stopped(why: &str) -> Finished<'_> {
    Finished { status: "stopped", data_as_of: None, inputs: &Value::Null, decisions: &Value::Null, actions: &Value::Null, acted: 0, error: Some(why) }
}

/// One decision carried out through the pipeline: what came of it, and how it counts against
/// the rule's cooldown (none when refused).
async fn act(
    ports: &dyn Ports,
    principal: &Principal,
    run: &Run,
    rule: &Rule,
    spec: &RuleSpec,
    edit: &evaluate::Edit,
    data_as_of: &str,
) -> Result<(Value, Option<&'static str>), Failure> {
    let decision = apply_rule_action::Decision::new(run, &rule.ad_account_id, spec.level.object_kind(), edit, data_as_of, ports.now_millis());
    let input = json!({ "ad_account_id": format!("act_{}", rule.ad_account_id), "decision_id": decision.seal(ports)? });
    let entry = catalog::find("recruiter_paid_media_analytics", "apply_rule_action")
        .ok_or_else(|| Failure::Internal("apply_rule_action is not in the catalogue".into()))?;
    let key = KeyFrom { value: Some(format!("rule:{}:{}", run.id, edit.object_id)), field: "idempotency_key" };
    let base = json!({ "object_id": edit.object_id, "action": spec.action.kind.as_str(), "field": edit.field, "from": edit.from, "to": edit.to });
    let instance = format!("/v1/rules/{}", rule.id);
    let answer = match pipeline::run(ports, principal, entry, input, &key, Via::Rule, &instance).await {
        Ok(Reply::Fresh(status, body)) => Ok((status, body)),
        Ok(Reply::Replayed(status, text)) => Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null))),
        Err(f) => Err(f),
    };
    let mut out = base;
    let kind = match answer {
        Ok((202, body)) => {
            out["outcome"] = json!("pending_approval");
            out["approval_id"] = body["approval"]["id"].clone();
            out["reasons"] = body["approval"]["reasons"].clone();
            Some("pending_approval")
        }
        Ok((status, body)) if status < 300 => {
            out["outcome"] = json!("done");
            out["optimization_id"] = body["optimization_id"].clone();
            out["rollback_with"] = body["rollback_with"].clone();
            Some("done")
        }
        Ok((status, body)) => {
            out["outcome"] = json!("refused");
            out["problem"] = json!({ "status": status, "type": body["type"], "detail": body["detail"], "field": body["field"] });
            None
        }
        Err(Failure::Internal(e)) => return Err(Failure::Internal(e)),
        Err(f) => {
            let p = f.to_problem().map(|p| json!({ "status": p.status, "type": p.type_uri, "detail": p.detail, "field": p.field }));
            out["outcome"] = json!("refused");
            out["problem"] = p.unwrap_or(Value::Null);
            None
        }
    };
    Ok((out, kind))
}
