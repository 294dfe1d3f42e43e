//! The `recruiter_paid_media` router: one file per action, and what its object actions share:
//! reading an object from Meta through the account's gate (checked to belong to the account),
//! writing a change with the object as Meta had it before and has it after, and refreshing the
//! object's mirror row in the same batch as the audit row.

use crate::actions::action::{Change, Cx, Record};
use crate::actions::policy::{BudgetThresholds, Flag, Violation};
use crate::db::ad_accounts::{self, BoundAccount};
use crate::db::{audit_log, governance_policies, meta_objects};
use crate::domain::{AdAccountId, MetaId, Refusal, SpecialAdCategory, Targeting};
use crate::failure::Failure;
use crate::ports::{GraphCall, Query};
use crate::problem::Problem;
use crate::records::FieldError;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use crate::actions::objects::{ads_using, graph_all, graph_read, graph_write, read_back, Params};

/// A campaign of a bound ad account: the input of pause, resume and delete.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignRef {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta campaign id.
    pub campaign_id: MetaId,
}

/// An ad set of a bound ad account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdSetRef {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad set id.
    pub ad_set_id: MetaId,
}

/// An ad of a bound ad account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdRef {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad id.
    pub ad_id: MetaId,
}

/// A creative of a bound ad account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreativeRef {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The Meta ad creative id.
    pub creative_id: MetaId,
}

/// What an object action's `prepare` found: the bound account, the object as Meta has it, and
/// (for a copy) the account to copy into.
#[derive(Debug, Default)]
pub struct Found {
    pub account: BoundAccount,
    pub object: Value,
    pub target: Option<BoundAccount>,
}

impl Found {
    pub fn id(&self) -> String {
        self.object["id"].as_str().unwrap_or_default().to_string()
    }
}

/// Reads an object of `kind` and checks it belongs to the account. An id the mirror knows in
/// another account (perhaps another workspace's) is refused from D1, before any Graph call:
/// nobody spends a token or an account's budget probing another tenant's objects.
pub async fn read_object(cx: &Cx<'_>, account: &BoundAccount, field: &str, id: &str, kind: ObjectKind) -> Result<Value, Failure> {
    let not_here = || Failure::from(FieldError { field: field.into(), reason: format!("{id} is not in ad account act_{}", account.id) });
    if meta_objects::account_of(cx.ports, kind, id).await?.is_some_and(|a| a != account.id) {
        return Err(not_here());
    }
    let params = [("fields".to_string(), kind.fields())];
    let (object, _) = cx.ports.graph(account.scope(cx.workspace), GraphCall::Object(id), &params).await.map_err(|e| e.refused_as_field(field))?;
    if object["account_id"].as_str().map(|a| a.trim_start_matches("act_")) != Some(account.id.as_str()) {
        return Err(not_here());
    }
    if object["status"] == "DELETED" {
        return Err(Problem::conflict(format!("{id} is deleted on Meta")).into());
    }
    Ok(object)
}

/// The bound account named by `ad_account_id` and the object of `kind` named by `field`.
pub async fn find(cx: &Cx<'_>, ad_account_id: &AdAccountId, field: &str, id: &MetaId, kind: ObjectKind) -> Result<Found, Failure> {
    let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", ad_account_id).await?;
    let object = read_object(cx, &account, field, id.as_str(), kind).await?;
    Ok(Found { account, object, target: None })
}

/// The bound account and the campaign it names, as Meta has it now.
pub async fn find_campaign(cx: &Cx<'_>, ad_account_id: &AdAccountId, campaign_id: &MetaId) -> Result<Found, Failure> {
    find(cx, ad_account_id, "campaign_id", campaign_id, ObjectKind::Campaign).await
}

/// Why activating spend on `account` needs an approval: the first launch through adgate on the
/// account, and a budget rise above the workspace's thresholds. A budget where there was none
/// (`from` is `None`) is held to the absolute threshold only: a percentage of nothing says nothing.
pub async fn launch_flags(cx: &Cx<'_>, account: &str, from: Option<i64>, to: Option<i64>) -> Result<Vec<Flag>, Failure> {
    let mut flags = Vec::new();
    if !audit_log::has_launched(cx.ports, cx.workspace, account).await? {
        flags.push(Flag::FirstLaunch { ad_account_id: account.to_string() });
    }
    if let Some(to) = to {
        flags.extend(budget_flag(cx, from, to).await?);
    }
    Ok(flags)
}

/// A budget change above the workspace's approval thresholds.
pub async fn budget_flag(cx: &Cx<'_>, from: Option<i64>, to: i64) -> Result<Option<Flag>, Failure> {
    let stored = governance_policies::get(cx.ports, cx.workspace, "approval_thresholds").await?;
    let mut thresholds = BudgetThresholds::from_policy(stored.as_ref());
    if from.is_none() {
        thresholds.increase_pct = None;
    }
    Ok(thresholds.flag(from, to))
}

/// The campaign's special ad categories that restrict targeting (EMPLOYMENT, HOUSING, ...).
pub fn restricted_category(campaign: &Value) -> Option<SpecialAdCategory> {
    str_list(&campaign["special_ad_categories"]).iter().filter_map(|c| SpecialAdCategory::parse(c)).find(|c| c.is_restricted())
}

/// Checks an audience before Meta sees it: a location, and for a restricted category what Meta
/// refuses (age, gender, postal codes, exclusions, small radii; lookalike audiences and detailed
/// options Meta does not allow for the category, both asked of Meta). Names the part refused.
pub async fn check_audience(cx: &Cx<'_>, account: &BoundAccount, campaign: &Value, targeting: &Targeting) -> Result<(), Failure> {
    let at = |r: Refusal| bad(&format!("targeting.{}", r.path), r.reason);
    if let Some(r) = targeting.missing_location() {
        return Err(at(r));
    }
    let Some(category) = restricted_category(campaign) else { return Ok(()) };
    if let Some(r) = targeting.restricted_refusals(category).into_iter().next() {
        return Err(at(r));
    }
    let allowed = str_list(&campaign["special_ad_category_country"]);
    if !allowed.is_empty() {
        if let Some(c) = targeting.geo_locations.countries.iter().flat_map(|l| l.items()).find(|c| !allowed.iter().any(|a| a == c.as_str())) {
            return Err(bad(
                "targeting.geo_locations.countries",
                format!("{} is not among the campaign's special_ad_category_country ({})", c.as_str(), allowed.join(", ")),
            ));
        }
    }
    for (i, a) in targeting.custom_audiences.iter().flat_map(|l| l.items()).enumerate() {
        let field = format!("targeting.custom_audiences[{i}]");
        let params = [("fields".to_string(), "id,account_id,subtype".to_string())];
        let audience = graph_read(cx, account, a.id.as_str(), &params).await.map_err(|e| e.refused_as_field(&field))?;
        if audience["subtype"] == "LOOKALIKE" {
            return Err(bad(&field, format!("{} ads cannot use lookalike audiences", category.as_str())));
        }
    }
    let details = targeting.details();
    if !details.is_empty() {
        let params = [("regulated_categories".to_string(), json!([category.as_str()]).to_string()), ("limit".to_string(), "1000".to_string())];
        let allowed = graph_read(cx, account, &format!("act_{}/targetingbrowse", account.id), &params).await?;
        let allowed: Vec<&str> = allowed["data"].as_array().into_iter().flatten().filter_map(|d| d["id"].as_str()).collect();
        if let Some(d) = details.iter().find(|d| !allowed.contains(&d.id.as_str())) {
            let reason = format!("{} is not a detailed targeting option Meta allows for {} ads", d.id.as_str(), category.as_str());
            return Err(bad("targeting.flexible_spec", reason));
        }
    }
    Ok(())
}

/// The bound account of a customer-list audience it owns (read from Meta), named by `field`.
/// Lookalikes are refused: nobody uploads to one or copies one.
pub async fn read_audience(cx: &Cx<'_>, ad_account_id: &AdAccountId, field: &str, audience_id: &MetaId) -> Result<BoundAccount, Failure> {
    let account = ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", ad_account_id).await?;
    let params = [("fields".to_string(), "id,account_id,subtype".to_string())];
    let audience = graph_read(cx, &account, audience_id.as_str(), &params).await.map_err(|e| e.refused_as_field(field))?;
    if audience["account_id"].as_str().map(|a| a.trim_start_matches("act_")) != Some(account.id.as_str()) {
        return Err(bad(field, format!("{} is not an audience of ad account act_{}", audience_id.as_str(), account.id)));
    }
    if audience["subtype"] != "CUSTOM" {
        return Err(bad(field, "is not a customer-list audience"));
    }
    Ok(account)
}

/// A workspace policy's refusal: 422 naming the field.
pub fn refused(v: Violation) -> Failure {
    let mut p = Problem::new("policy-violation", "Refused by Workspace Policy", 422, format!("{}: {}", v.field, v.reason));
    p.field = Some(v.field);
    p.into()
}

/// A refusal of bad input, naming the field.
pub fn bad(field: &str, reason: impl Into<String>) -> Failure {
    FieldError { field: field.into(), reason: reason.into() }.into()
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
    /// What kind of object it writes (the fields to read back and the mirror to refresh).
    pub kind: ObjectKind,
    pub creates: bool,
    pub status: u16,
}

impl<'a> Write<'a> {
    /// An update of an existing object.
    pub fn update(path: &'a str, params: &'a [(String, String)], kind: ObjectKind) -> Self {
        Write { method: "POST", path, params, kind, creates: false, status: 200 }
    }

    /// A create on an account edge.
    pub fn create(path: &'a str, params: &'a [(String, String)], kind: ObjectKind) -> Self {
        Write { method: "POST", path, params, kind, creates: true, status: 201 }
    }
}

/// The mirror row refresh for `object` as Meta has it now.
pub fn mirror(cx: &Cx<'_>, account: &BoundAccount, kind: ObjectKind, object: &Value) -> Option<Query> {
    meta_objects::upsert(kind, object, &account.id, cx.workspace, &format!("action:{}", cx.meta.name()), &cx.ports.now_iso())
}

/// Makes one write on Meta for `account` and reads the object back. A refused write is
/// returned as the change's result, so the pipeline audits the attempt with Meta's error.
pub async fn write(cx: &Cx<'_>, account: &BoundAccount, w: Write<'_>, before: &Value) -> Result<Change, Failure> {
    let (created, status, kind) = (w.creates, w.status, w.kind);
    let id = before["id"].as_str().unwrap_or_default().to_string();
    let mut record = Record { ad_account_id: Some(account.id.clone()), external_id: Some(id.clone()), before: Some(before.clone()), after: None };
    let written = match graph_write(cx, account, w.method, w.path, w.params).await {
        Err(e) => return Change::refused(e, record),
        Ok(v) => v,
    };
    // The object as Meta has it now (for a create: the new object).
    let changed = if created { written["id"].as_str().unwrap_or_default().to_string() } else { id };
    let after = read_back(cx, account, kind, &changed, &written).await;
    if created {
        record.external_id = Some(changed);
        record.before = if before.is_null() { None } else { Some(json!({ "source": before })) };
    }
    record.after = Some(after.clone());
    let writes = mirror(cx, account, kind, &after).into_iter().collect();
    let mut body = json!({ "ad_account_id": account.id, "object": after });
    if !created {
        body["before"] = before.clone();
    }
    Ok(Change::done(status, body, writes, record))
}

/// Sets an object's status on Meta: pause and resume.
pub async fn set_status(cx: &Cx<'_>, found: Found, kind: ObjectKind, status: &str) -> Result<Change, Failure> {
    let id = found.id();
    let params = [("status".to_string(), status.to_string())];
    write(cx, &found.account, Write::update(&id, &params, kind), &found.object).await
}

/// Deletes an object on Meta.
pub async fn delete(cx: &Cx<'_>, found: Found, kind: ObjectKind) -> Result<Change, Failure> {
    let id = found.id();
    let w = Write { method: "DELETE", path: &id, params: &[], kind, creates: false, status: 200 };
    write(cx, &found.account, w, &found.object).await
}

pub mod add_custom_audience_users;
pub mod archive_creative;
pub mod attach_creative_to_ad;
pub mod create_ad;
pub mod create_ad_set;
pub mod create_ad_set_draft;
pub mod create_campaign;
pub mod create_campaign_draft;
pub mod create_creative;
pub mod create_creative_draft;
pub mod create_custom_audience;
pub mod create_lookalike_audience;
pub mod delete_ad;
pub mod delete_ad_set;
pub mod delete_campaign;
pub mod drafts;
pub mod duplicate_campaign;
pub mod estimate_audience_reach;
pub mod get_campaign;
pub mod get_targeting_suggestions;
pub mod launch_campaign_draft;
pub mod list_ad_accounts;
pub mod list_ad_sets;
pub mod list_ads;
pub mod list_campaigns;
pub mod list_lead_forms;
pub mod pause_ad;
pub mod pause_ad_set;
pub mod pause_campaign;
pub mod remove_custom_audience_users;
pub mod resume_ad;
pub mod resume_ad_set;
pub mod resume_campaign;
pub mod update_ad;
pub mod update_ad_set_budget;
pub mod update_ad_set_schedule;
pub mod update_ad_set_targeting;
pub mod update_campaign;
pub mod update_creative;
pub mod upload_ad_image;
pub mod validate_campaign_draft;
