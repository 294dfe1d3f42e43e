//! The `recruiter_paid_media` router: one file per action, and what its campaign actions share:
//! reading the object from Meta through the account's gate (checked to belong to the account),
//! and writing a change with the object as Meta had it before and has it after.

use crate::actions::action::{Change, Cx, Record};
use crate::actions::policy::Violation;
use crate::db::ad_accounts::{self, BoundAccount};
use crate::db::meta_objects::{self, Mirror};
use crate::domain::{AdAccountId, MetaId};
use crate::failure::Failure;
use crate::ports::GraphCall;
use crate::problem::Problem;
use crate::records::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const CAMPAIGN_FIELDS: &str =
    "id,account_id,name,objective,status,effective_status,special_ad_categories,buying_type,daily_budget,lifetime_budget,bid_strategy,updated_time";
pub const AD_SET_FIELDS: &str = "id,account_id,campaign_id,name,status,effective_status,daily_budget,lifetime_budget,updated_time";

/// A campaign of a bound ad account: the input of pause, resume and delete.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignRef {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta campaign id.
    pub campaign_id: MetaId,
}

/// What a campaign action's `prepare` found: the bound account, the object as Meta has it, and
/// (for a copy) the account to copy into.
#[derive(Debug, Default)]
pub struct Found {
    pub account: BoundAccount,
    pub object: Value,
    pub target: Option<BoundAccount>,
}

fn fields(list: &str) -> Vec<(String, String)> {
    vec![("fields".to_string(), list.to_string())]
}

/// Reads a campaign or ad set and checks it belongs to the account. An id the mirror knows in
/// another account (perhaps another workspace's) is refused from D1, before any Graph call:
/// nobody spends a token or an account's budget probing another tenant's objects.
pub async fn read_object(cx: &Cx<'_>, account: &BoundAccount, field: &str, id: &MetaId, mirror: Mirror) -> Result<Value, Failure> {
    let id = id.as_str();
    let not_here = || Failure::from(FieldError { field: field.into(), reason: format!("{id} is not in ad account act_{}", account.id) });
    if meta_objects::account_of(cx.ports, mirror, id).await?.is_some_and(|a| a != account.id) {
        return Err(not_here());
    }
    let list = if mirror == Mirror::AdSets { AD_SET_FIELDS } else { CAMPAIGN_FIELDS };
    let params = fields(list);
    let (object, _) = cx.ports.graph(account.scope(cx.workspace), GraphCall::Object(id), &params).await.map_err(|e| e.refused_as_field(field))?;
    if object["account_id"].as_str().map(|a| a.trim_start_matches("act_")) != Some(account.id.as_str()) {
        return Err(not_here());
    }
    if object["status"] == "DELETED" {
        return Err(Problem::conflict(format!("{id} is deleted on Meta")).into());
    }
    Ok(object)
}

/// The bound account of `input` and the campaign it names, as Meta has it now.
pub async fn find_campaign(cx: &Cx<'_>, ad_account_id: &AdAccountId, campaign_id: &MetaId) -> Result<Found, Failure> {
    let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", ad_account_id).await?;
    let object = read_object(cx, &account, "campaign_id", campaign_id, Mirror::Campaigns).await?;
    Ok(Found { account, object, target: None })
}

/// A workspace policy's refusal: 422 naming the field.
pub fn refused(v: Violation) -> Failure {
    let mut p = Problem::new("policy-violation", "Refused by Workspace Policy", 422, format!("{}: {}", v.field, v.reason));
    p.field = Some(v.field);
    p.into()
}

/// A money field as Meta returns it (a string of minor units).
pub fn money(v: &Value) -> Option<i64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_i64())
}

pub fn str_list(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// A write on Meta: `method` on `path` with `params`, answered with `status`. A create reads
/// back the new object; any other write reads back the object it changed.
pub struct Write<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    /// The fields to read back (`CAMPAIGN_FIELDS` or `AD_SET_FIELDS`).
    pub fields: &'a str,
    pub creates: bool,
    pub status: u16,
}

/// Makes one write on Meta for `account` and reads the object back. A refused write is
/// returned as the change's result, so the pipeline audits the attempt with Meta's error.
pub async fn write(cx: &Cx<'_>, account: &BoundAccount, w: Write<'_>, before: &Value) -> Result<Change, Failure> {
    let (created, status) = (w.creates, w.status);
    let id = before["id"].as_str().unwrap_or_default().to_string();
    let mut record = Record { ad_account_id: Some(account.id.clone()), external_id: Some(id.clone()), before: Some(before.clone()), after: None };
    let written = match cx.ports.graph(account.scope(cx.workspace), GraphCall::Write(w.method, w.path), w.params).await {
        Err(e @ Failure::Internal(_)) => return Err(e),
        Err(e) => return Ok(Change { result: Err(e), writes: Vec::new(), record }),
        Ok((v, _)) => v,
    };
    // The object as Meta has it now (for a copy: the new campaign).
    let changed = if created { written["id"].as_str().unwrap_or_default().to_string() } else { id };
    let read_params = fields(w.fields);
    let after = match cx.ports.graph(account.scope(cx.workspace), GraphCall::Object(&changed), &read_params).await {
        Ok((v, _)) => v,
        Err(_) => json!({ "id": changed, "meta_response": written }),
    };
    if created {
        record.external_id = Some(changed);
        record.before = Some(json!({ "source": before }));
    }
    record.after = Some(after.clone());
    Ok(Change::done(status, json!({ "ad_account_id": account.id, "object": after, "before": before }), Vec::new(), record))
}

/// Sets a campaign's status on Meta: pause and resume.
pub async fn set_status(cx: &Cx<'_>, found: Found, status: &str) -> Result<Change, Failure> {
    let id = found.object["id"].as_str().unwrap_or_default().to_string();
    let params = [("status".to_string(), status.to_string())];
    let w = Write { method: "POST", path: &id, params: &params, fields: CAMPAIGN_FIELDS, creates: false, status: 200 };
    write(cx, &found.account, w, &found.object).await
}

pub mod delete_campaign;
pub mod duplicate_campaign;
pub mod pause_campaign;
pub mod resume_campaign;
pub mod update_ad_set_budget;
