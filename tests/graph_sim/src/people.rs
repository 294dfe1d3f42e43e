//! Who works on an ad account and what happened on it, as clients list them: the token's
//! business users (`/me/business_users`), the users assigned to an account with their tasks
//! (`/act_{id}/assigned_users?business=`), and the account's activity log (`/act_{id}/activities`),
//! read from the objects the simulator holds. (Meta, "User Business Users", "Ad Account,
//! Assigned Users", AdActivity.)

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Kind, Store, Token};
use serde_json::{json, Value};

/// The tasks a user with full access holds on an ad account.
const TASKS: [&str; 4] = ["MANAGE", "ADVERTISE", "ANALYZE", "DRAFT"];

fn user_type(t: &Token) -> &'static str {
    if t.kind == "SYSTEM_USER" {
        "system_user"
    } else {
        "business_user"
    }
}

/// `/me/business_users`: the caller as a business user of each business whose accounts it sees.
pub fn business_users(store: &Store, tok: &Token) -> Vec<Value> {
    let mut businesses: Vec<&str> = store.accounts.values().filter(|a| crate::graph::can_see(tok, &a.id)).map(|a| a.business_id.as_str()).collect();
    businesses.sort_unstable();
    businesses.dedup();
    businesses
        .into_iter()
        .map(|b| {
            json!({
                "id": format!("{}{b}", tok.user_id),
                "name": format!("Sim User {}", tok.user_id),
                "role": "ADMIN",
                "business": { "id": b, "name": format!("Sim business {b}") },
                "tasks": TASKS,
            })
        })
        .collect()
}

/// `/act_{id}/assigned_users?business=`: the users whose tokens reach the account, with their
/// tasks; `business` is required, as Meta requires it.
pub fn assigned_users(store: &Store, account: &str, p: &Params) -> GraphResult<Vec<Value>> {
    let business = p.str("business").ok_or_else(|| GraphError::invalid_param("(#100) The parameter business is required"))?;
    if !business.bytes().all(|b| b.is_ascii_digit()) || business.is_empty() {
        return Err(GraphError::invalid_param("(#100) Param business must be a valid ID string (e.g. \"123\")"));
    }
    let mut users: Vec<(&str, &Token)> =
        store.tokens.values().filter(|t| !t.revoked && crate::graph::can_see(t, account)).map(|t| (t.user_id.as_str(), t)).collect();
    users.sort_by_key(|u| u.0);
    users.dedup_by_key(|u| u.0);
    Ok(users
        .into_iter()
        .map(|(id, t)| json!({ "id": id, "name": format!("Sim User {id}"), "user_type": user_type(t), "tasks": TASKS, "permitted_tasks": TASKS }))
        .collect())
}

/// `/act_{id}/activities`: a creation event per campaign, ad set and ad, and a status event
/// where one changed later, newest first; `since`/`until` (Unix seconds) bound them.
pub fn activities(store: &Store, account: &str, p: &Params) -> GraphResult<Vec<Value>> {
    let bound = |k: &str| -> GraphResult<Option<i64>> {
        match p.str(k) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| GraphError::invalid_param(format!("(#100) Param {k} must be a Unix timestamp"))),
        }
    };
    let (since, until) = (bound("since")?, bound("until")?);
    let mut out: Vec<(i64, Value)> = Vec::new();
    for kind in [Kind::Campaign, Kind::AdSet, Kind::Ad] {
        let (word, object_type) = match kind {
            Kind::Campaign => ("campaign", "CAMPAIGN_GROUP"),
            Kind::AdSet => ("ad_set", "CAMPAIGN"),
            _ => ("ad", "ADGROUP"),
        };
        for n in store.children(account, kind) {
            let name = n.fields.get("name").cloned().unwrap_or(Value::Null);
            let mut event = |at: i64, event_type: String, translated: String| {
                out.push((
                    at,
                    json!({
                        "actor_id": "0", "actor_name": "Sim User", "application_id": "0", "application_name": "Graph API simulator",
                        "event_time": Store::iso(at), "event_type": event_type, "translated_event_type": translated,
                        "object_id": n.id, "object_name": name, "object_type": object_type, "extra_data": "{}",
                    }),
                ))
            };
            event(n.created, format!("create_{word}"), format!("{} created", word.replace('_', " ")));
            if n.updated > n.created {
                event(n.updated, format!("update_{word}_run_status"), format!("{} status updated to {}", word.replace('_', " "), n.status()));
            }
        }
    }
    out.retain(|(at, _)| since.is_none_or(|s| *at >= s) && until.is_none_or(|u| *at <= u));
    out.sort_by_key(|e| std::cmp::Reverse(e.0));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}
