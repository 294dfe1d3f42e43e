//! `admin_meta_ads_governance/plan_api_version_upgrade`: A shadow check of a later Graph API version before switching to it: each bound account's structure and yesterday's insights read at the version in use and at the new one, compared field by field and total by total, nothing written to the mirrors; the report is kept as a plan to apply.

use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, ADMIN};
use crate::db::{ad_accounts, api_versions};
use crate::domain::{AdAccountId, List, Text};
use crate::failure::Failure;
use crate::graph::schema::refused_field;
use crate::ports::{GraphCall, Scope};
use crate::records::FieldError;
use crate::sync::structure::ObjectKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A shadow check of a later Graph API version before switching to it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The version to check, later than the one in use (`v27.0`).
    pub to_version: Text<16>,
    /// The bound ad accounts to check (default: every bound account, at most 20).
    pub ad_account_ids: Option<List<AdAccountId, 20>>,
}

/// Accounts checked at most when none are named.
const ACCOUNTS_MAX: usize = 20;
/// Objects of each kind compared per account (the first page).
const OBJECTS_PER_KIND: &str = "50";

pub struct Act;

/// The version in use, and the accounts to check (digits, integration).
#[derive(Default)]
pub struct Checked {
    from: String,
    accounts: Vec<ad_accounts::BoundAccount>,
    truncated: bool,
}

fn bad(field: &str, reason: impl Into<String>) -> Failure {
    FieldError { field: field.into(), reason: reason.into() }.into()
}

/// One read at a version: the rows (a list's `data`, or the object) or Meta's refusal.
async fn read(cx: &Cx<'_>, scope: Scope<'_>, path: &str, params: &[(String, String)]) -> Result<Vec<Value>, String> {
    match cx.ports.graph(scope, GraphCall::Object(path), params).await {
        Ok((body, _)) => Ok(body["data"].as_array().cloned().unwrap_or_else(|| vec![body])),
        Err(Failure::Graph(g)) => Err(g.graph_error().map_or_else(|| g.to_string(), |e| e.message.clone())),
        Err(other) => Err(format!("{other:?}")),
    }
}

impl Action for Act {
    type Input = Input;
    type Plan = Checked;
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteHigh, summary: "A shadow check of a later Graph API version before switching to it: each bound account's structure and yesterday's insights read at the version in use and at the new one, compared field by field and total by total, nothing written to the mirrors; the report is kept as a plan to apply.");

    /// The version must be a later, live one, and the accounts bound here: refused before anyone
    /// is asked to approve.
    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<Checked>, Failure> {
        let (from, _) = api_versions::effective(cx.ports, cx.workspace).await?;
        let today = crate::timefmt::date_from_millis(cx.ports.now_millis());
        if let Some(why) = crate::api_versions::upgrade_refusal(&from, input.to_version.as_str(), today) {
            return Err(bad("to_version", why));
        }
        let mut accounts = Vec::new();
        let mut truncated = false;
        match &input.ad_account_ids {
            Some(ids) if !ids.is_empty() => {
                for id in ids.items() {
                    accounts.push(ad_accounts::bound(cx.ports, cx.workspace, "ad_account_ids", id).await?);
                }
            }
            _ => {
                let rows = ad_accounts::list(cx.ports, cx.workspace).await?;
                for r in &rows {
                    if let (Some(id), Some(iid)) = (r["id"].as_str(), r["integration_id"].as_str()) {
                        if accounts.len() == ACCOUNTS_MAX {
                            truncated = true;
                            break;
                        }
                        accounts.push(ad_accounts::BoundAccount { id: id.to_string(), integration_id: iid.to_string() });
                    }
                }
            }
        }
        if accounts.is_empty() {
            return Err(bad("ad_account_ids", "no ad account is bound to this workspace through an integration: there is nothing to check"));
        }
        Ok(Plan::go(Checked { from, accounts, truncated }))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, checked: Checked) -> Result<Change, Failure> {
        let (from, to) = (checked.from.as_str(), input.to_version.as_str());
        let mut blocking = Vec::new();
        let mut differences = Vec::new();
        let mut report_accounts = Vec::new();
        for account in &checked.accounts {
            let (before_at, after_at) =
                (Scope { api_version: Some(from), ..account.scope(cx.workspace) }, Scope { api_version: Some(to), ..account.scope(cx.workspace) });
            let mut reads = Vec::new();
            for kind in ObjectKind::ALL {
                let params = vec![("fields".to_string(), kind.fields()), ("limit".to_string(), OBJECTS_PER_KIND.to_string())];
                reads.push((format!("act_{{id}}/{}", kind.edge()), format!("act_{}/{}", account.id, kind.edge()), params, false));
            }
            let insights = vec![
                ("fields".to_string(), crate::sync::insights::FIELDS.to_string()),
                ("level".to_string(), "ad".to_string()),
                ("date_preset".to_string(), "yesterday".to_string()),
                ("limit".to_string(), "500".to_string()),
            ];
            reads.push(("act_{id}/insights".to_string(), format!("act_{}/insights", account.id), insights, true));
            let mut compared = 0;
            for (endpoint, path, params, is_insights) in &reads {
                let before = read(cx, before_at, path, params).await;
                let after = read(cx, after_at, path, params).await;
                let here = json!({ "ad_account_id": account.id, "endpoint": endpoint });
                match (before, after) {
                    (_, Err(message)) => blocking.push(json!({ "at": here, "change": "refused", "field": refused_field(&message), "message": message })),
                    (Err(message), Ok(_)) => differences.push(json!({ "at": here, "change": "refused_before_only", "message": message })),
                    (Ok(a), Ok(b)) => {
                        compared += a.len();
                        if *is_insights {
                            for t in crate::api_versions::compare_totals(&a, &b) {
                                blocking.push(json!({ "at": here, "change": "total_changed", "detail": t }));
                            }
                        } else {
                            for d in crate::api_versions::compare_rows(&a, &b) {
                                let breaks = matches!(d["change"].as_str(), Some("field_missing" | "type_changed" | "object_missing"));
                                let entry = json!({ "at": here, "change": d["change"], "field": d["field"], "detail": d["detail"], "objects": d["objects"] });
                                if breaks {
                                    blocking.push(entry);
                                } else {
                                    differences.push(entry);
                                }
                            }
                        }
                    }
                }
            }
            report_accounts.push(json!({ "ad_account_id": account.id, "objects_and_rows_compared": compared }));
        }
        let now = cx.ports.now_iso();
        let id = crate::ports::new_id("avp");
        let report = json!({
            "id": id,
            "from_version": from,
            "to_version": to,
            "safe": blocking.is_empty(),
            "accounts": report_accounts,
            "accounts_truncated": checked.truncated,
            "blocking": blocking,
            "differences": differences,
            "calendar": crate::api_versions::standing(from, crate::timefmt::date_from_millis(cx.ports.now_millis())),
            "created_at": now,
        });
        let write = api_versions::insert_plan(cx.workspace, &id, from, to, &report, &cx.exec.actor, &now);
        let record = Record {
            external_id: Some(id.clone()),
            after: Some(json!({ "plan_id": id, "from_version": from, "to_version": to, "safe": report["safe"] })),
            ..Record::default()
        };
        Ok(Change::done(201, report, vec![write], record))
    }
}
