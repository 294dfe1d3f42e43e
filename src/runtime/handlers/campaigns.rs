//! Campaign mutations of the recruiter router, under the workspace's policies: `prepare` reads
//! the object from Meta (through the account's gate), refuses what the guardrails forbid and says
//! which policy flags apply; `apply` makes the change on Meta and writes the audit row with the
//! object as Meta had it before and after. A flagged action waits for an approval; when it is
//! approved, `prepare` runs again so the guardrails hold at execution time too.

use super::actions::{action_audit, stored_policy, write_audit, Exec};
use super::integrations::{call_through, GraphCall};
use super::meta_events::Scope;
use crate::actions::policy::{self, BudgetThresholds, Flag, Violation};
use crate::actions::Meta;
use crate::audit::Outcome;
use crate::problem::Problem;
use crate::records::{normalise_account_id, FieldError};
use crate::runtime::context::{HandlerError, RequestContext};
use crate::runtime::d1::text;
use serde_json::{json, Map, Value};

const CAMPAIGN_FIELDS: &str =
    "id,account_id,name,objective,status,effective_status,special_ad_categories,buying_type,daily_budget,lifetime_budget,bid_strategy,updated_time";
const AD_SET_FIELDS: &str = "id,account_id,campaign_id,name,status,effective_status,daily_budget,lifetime_budget,updated_time";

/// A bound ad account and the integration its calls go through.
pub struct BoundAccount {
    pub id: String,
    pub integration_id: String,
}

/// The account named by `field`, which must be bound to the workspace through an integration.
pub async fn bound_account(ctx: &RequestContext, ws: &str, field: &str, raw: &str) -> Result<BoundAccount, HandlerError> {
    let id = normalise_account_id(raw).ok_or(FieldError { field: field.into(), reason: "must be a Meta ad account id such as act_1234567890".into() })?;
    let row = ctx
        .env
        .d1("DB")?
        .prepare("SELECT integration_id FROM ad_accounts WHERE id = ?1 AND workspace_id = ?2")
        .bind(&[text(&id), text(ws)])?
        .first::<Value>(None)
        .await?
        .ok_or_else(|| HandlerError::from(FieldError { field: field.into(), reason: format!("act_{id} is not bound to this workspace") }))?;
    let integration_id = row["integration_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| HandlerError::from(Problem::conflict(format!("ad account act_{id} has no Meta integration; bind it through one"))))?;
    Ok(BoundAccount { id, integration_id })
}

fn scope<'a>(ws: &'a str, account: &'a BoundAccount) -> Scope<'a> {
    Scope { workspace_id: ws, integration_id: Some(&account.integration_id), ad_account_id: Some(&account.id) }
}

fn fields(list: &str) -> Vec<(String, String)> {
    vec![("fields".to_string(), list.to_string())]
}

/// Reads a campaign or ad set and checks it belongs to the account. An id the mirror knows in
/// another account (perhaps another workspace's) is refused from D1, before any Graph call:
/// nobody spends a token or an account's budget probing another tenant's objects.
async fn read_object(ctx: &RequestContext, ws: &str, account: &BoundAccount, field: &str, id: &str, list: &str) -> Result<Value, HandlerError> {
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError { field: field.into(), reason: "must be a Meta object id (up to 32 digits)".into() }.into());
    }
    let not_here = || HandlerError::from(FieldError { field: field.into(), reason: format!("{id} is not in ad account act_{}", account.id) });
    let mirror = if list == AD_SET_FIELDS { "meta_ad_sets" } else { "meta_campaigns" };
    let mirrored = ctx.env.d1("DB")?.prepare(format!("SELECT ad_account_id FROM {mirror} WHERE id = ?1")).bind(&[text(id)])?.first::<Value>(None).await?;
    if mirrored.is_some_and(|m| m["ad_account_id"].as_str() != Some(account.id.as_str())) {
        return Err(not_here());
    }
    let (object, _) =
        call_through(ctx, &scope(ws, account), GraphCall::Object(id), &fields(list)).await.map_err(|e| super::meta::refused_as_field(e, field))?;
    if object["account_id"].as_str().map(|a| a.trim_start_matches("act_")) != Some(account.id.as_str()) {
        return Err(not_here());
    }
    if object["status"] == "DELETED" {
        return Err(Problem::conflict(format!("{id} is deleted on Meta")).into());
    }
    Ok(object)
}

fn refused(v: Violation) -> HandlerError {
    let mut p = Problem::new("policy-violation", "Refused by Workspace Policy", 422, format!("{}: {}", v.field, v.reason));
    p.field = Some(v.field);
    p.into()
}

fn money(v: &Value) -> Option<i64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_i64())
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// An action checked against the policies and ready to apply.
pub struct Prepared {
    pub account: BoundAccount,
    pub object: Value,
    pub target: Option<BoundAccount>,
    pub flags: Vec<Flag>,
}

async fn has_launched(ctx: &RequestContext, account: &str) -> Result<bool, HandlerError> {
    let row = ctx
        .env
        .d1("DB")?
        .prepare("SELECT 1 AS yes FROM audit_log WHERE ad_account_id = ?1 AND action = 'resume_campaign' AND outcome = 'succeeded' LIMIT 1")
        .bind(&[text(account)])?
        .first::<Value>(None)
        .await?;
    Ok(row.is_some())
}

pub async fn prepare(spec: &Meta, ctx: &RequestContext, ws: &str, input: &Map<String, Value>) -> Result<Prepared, HandlerError> {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default();
    let account = bound_account(ctx, ws, "ad_account_id", s("ad_account_id")).await?;
    let guardrails = stored_policy(ctx, ws, "campaign_guardrails").await?;
    let mut flags = Vec::new();
    let mut target = None;
    let object = match spec.name() {
        "update_ad_set_budget" => {
            let object = read_object(ctx, ws, &account, "ad_set_id", s("ad_set_id"), AD_SET_FIELDS).await?;
            let to = input.get("daily_budget_minor").and_then(Value::as_i64).unwrap_or_default();
            if to <= 0 {
                return Err(FieldError { field: "daily_budget_minor".into(), reason: "must be positive".into() }.into());
            }
            if object.get("daily_budget").is_none() {
                return Err(
                    FieldError { field: "ad_set_id".into(), reason: "this ad set has no daily budget (it uses a lifetime or campaign budget)".into() }.into()
                );
            }
            let caps = stored_policy(ctx, ws, "daily_budget_caps").await?;
            policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &account.id, "daily_budget_minor", to).map_err(refused)?;
            let thresholds = BudgetThresholds::from_policy(stored_policy(ctx, ws, "approval_thresholds").await?.as_ref());
            flags.extend(thresholds.flag(money(&object["daily_budget"]), to));
            object
        }
        _ => {
            let object = read_object(ctx, ws, &account, "campaign_id", s("campaign_id"), CAMPAIGN_FIELDS).await?;
            match spec.name() {
                "resume_campaign" => {
                    policy::check_launch(guardrails.as_ref(), object["name"].as_str().unwrap_or_default(), &str_list(&object["special_ad_categories"]))
                        .map_err(refused)?;
                    if object["status"] != "ACTIVE" && !has_launched(ctx, &account.id).await? {
                        flags.push(Flag::FirstLaunch { ad_account_id: account.id.clone() });
                    }
                }
                "delete_campaign" => flags.push(Flag::Deletion { object_id: s("campaign_id").to_string() }),
                "duplicate_campaign" => {
                    let to = match input.get("target_ad_account_id").and_then(Value::as_str) {
                        Some(raw) => bound_account(ctx, ws, "target_ad_account_id", raw).await?,
                        None => BoundAccount { id: account.id.clone(), integration_id: account.integration_id.clone() },
                    };
                    if let Some(daily) = money(&object["daily_budget"]) {
                        let caps = stored_policy(ctx, ws, "daily_budget_caps").await?;
                        policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &to.id, "campaign_id", daily).map_err(refused)?;
                    }
                    if to.id != account.id {
                        flags.push(Flag::CrossAccountDuplication { from_account: account.id.clone(), to_account: to.id.clone() });
                    }
                    target = Some(to);
                }
                _ => {}
            }
            object
        }
    };
    Ok(Prepared { account, object, target, flags })
}

/// Makes the change on Meta and audits it (attempted or done) with before and after.
pub async fn apply(spec: &Meta, ctx: &RequestContext, exec: &Exec, ws: &str, input: &Map<String, Value>, p: Prepared) -> Result<(u16, Value), HandlerError> {
    let id = p.object["id"].as_str().unwrap_or_default().to_string();
    let (method, path, params, list, account) = match spec.name() {
        "pause_campaign" => ("POST", id.clone(), vec![("status".to_string(), "PAUSED".to_string())], CAMPAIGN_FIELDS, &p.account),
        "resume_campaign" => ("POST", id.clone(), vec![("status".to_string(), "ACTIVE".to_string())], CAMPAIGN_FIELDS, &p.account),
        "delete_campaign" => ("DELETE", id.clone(), vec![], CAMPAIGN_FIELDS, &p.account),
        "update_ad_set_budget" => ("POST", id.clone(), vec![("daily_budget".to_string(), input["daily_budget_minor"].to_string())], AD_SET_FIELDS, &p.account),
        "duplicate_campaign" => {
            let target = p.target.as_ref().unwrap_or(&p.account);
            let name = input
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} (copy)", p.object["name"].as_str().unwrap_or("Campaign")));
            let mut params = vec![
                ("name".to_string(), name),
                ("status".to_string(), "PAUSED".to_string()),
                ("special_ad_categories".to_string(), json!(str_list(&p.object["special_ad_categories"])).to_string()),
            ];
            for k in ["objective", "buying_type", "bid_strategy", "daily_budget", "lifetime_budget"] {
                if let Some(v) = p.object.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string()))) {
                    params.push((k.to_string(), v));
                }
            }
            ("POST", format!("act_{}/campaigns", target.id), params, CAMPAIGN_FIELDS, target)
        }
        other => return Err(HandlerError::Internal(format!("{other} is not a campaign action"))),
    };
    let mut audit = action_audit(ctx, exec, ws, spec);
    audit.ad_account_id = Some(account.id.clone());
    audit.external_id = Some(id.clone());
    audit.before = Some(p.object.clone());
    let written = call_through(ctx, &scope(ws, account), GraphCall::Write(method, &path), &params).await;
    let result = match written {
        Err(HandlerError::Problem(problem)) => {
            audit.outcome = Outcome::Failed;
            audit.graph_error = Some(json!({
                "status": problem.status, "detail": problem.detail,
                "graph_code": problem.extensions.get("graph_code"), "graph_subcode": problem.extensions.get("graph_subcode"),
                "fbtrace_id": problem.extensions.get("fbtrace_id"),
            }));
            write_audit(ctx, &audit).await?;
            return Err(HandlerError::Problem(problem));
        }
        Err(e) => return Err(e),
        Ok((v, _)) => v,
    };
    // The object as Meta has it now (for a copy: the new campaign).
    let changed = if spec.name() == "duplicate_campaign" { result["id"].as_str().unwrap_or_default().to_string() } else { id.clone() };
    let after = match call_through(ctx, &scope(ws, account), GraphCall::Object(&changed), &fields(list)).await {
        Ok((v, _)) => v,
        Err(_) => json!({ "id": changed, "meta_response": result }),
    };
    if spec.name() == "duplicate_campaign" {
        audit.external_id = Some(changed.clone());
        audit.before = Some(json!({ "source": p.object }));
    }
    audit.after = Some(after.clone());
    write_audit(ctx, &audit).await?;
    let status = if spec.name() == "duplicate_campaign" { 201 } else { 200 };
    Ok((status, json!({ "ad_account_id": account.id, "object": after, "before": p.object })))
}

/// The approved path: check again, then apply (the approval covers the flags).
pub async fn execute(spec: &Meta, ctx: &RequestContext, exec: &Exec, ws: &str, input: &Map<String, Value>) -> Result<(u16, Value), HandlerError> {
    let prepared = prepare(spec, ctx, ws, input).await?;
    apply(spec, ctx, exec, ws, input, prepared).await
}
