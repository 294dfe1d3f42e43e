//! Listing mirrored objects for the read actions: from D1 by default (fast, with freshness
//! said), or from Meta through the account's gate when the caller asks for `fresh`.

use super::action::{Change, Cx};
use super::objects::graph_read;
use crate::db::ad_accounts;
use crate::db::meta_objects::{self, ListQuery};
use crate::domain::{AdAccountId, Bounded, List, Text, Timestamp};
use crate::failure::Failure;
use crate::records::FieldError;
use crate::sync::structure::{self, ObjectKind};
use serde_json::{json, Value};

/// The filters every list action takes.
pub struct Filters<'a> {
    pub ad_account_id: Option<&'a AdAccountId>,
    pub effective_status: Option<&'a List<Text<40>, 13>>,
    pub name_contains: Option<&'a Text<100>>,
    pub as_of: Option<&'a Timestamp>,
    pub limit: Option<Bounded<1, 500>>,
    pub cursor: Option<&'a Text<64>>,
    pub fresh: bool,
}

fn bad(field: &str, reason: &str) -> Failure {
    FieldError { field: field.into(), reason: reason.into() }.into()
}

/// One page of `kind` under `parent` (a column and its id), newest data the caller asked for.
pub async fn list(cx: &Cx<'_>, kind: ObjectKind, f: Filters<'_>, parent: Option<(&'static str, String)>) -> Result<Change, Failure> {
    let limit = f.limit.map_or(100, |l| l.get());
    let statuses: Vec<String> = f.effective_status.map(|s| s.items().iter().map(|t| t.as_str().to_string()).collect()).unwrap_or_default();
    if let Some(bad_status) = statuses.iter().find(|s| !structure::ALL_EFFECTIVE_STATUSES.contains(&s.as_str())) {
        return Err(bad(
            "effective_status",
            &format!("{} is not one of Meta's statuses: {}", crate::problem::excerpt(bad_status), structure::ALL_EFFECTIVE_STATUSES.join(", ")),
        ));
    }
    let one = match f.ad_account_id {
        Some(a) => Some(ad_accounts::bound(cx.ports, cx.workspace, "ad_account_id", a).await?),
        None => None,
    };
    if f.fresh {
        let Some(account) = one else {
            return Err(bad("ad_account_id", "is required with fresh: true (Meta is read one account at a time)"));
        };
        if f.as_of.is_some() {
            return Err(bad("as_of", "reads the mirror; leave it out with fresh: true"));
        }
        let path = match &parent {
            Some((_, id)) => format!("{id}/{}", kind.edge()),
            None => format!("act_{}/{}", account.id, kind.edge()),
        };
        let mut filtering = Vec::new();
        if !statuses.is_empty() && kind.has_effective_status() {
            filtering.push(json!({ "field": "effective_status", "operator": "IN", "value": statuses }));
        }
        if let Some(n) = f.name_contains {
            filtering.push(json!({ "field": "name", "operator": "CONTAIN", "value": n.as_str() }));
        }
        let mut params = vec![("fields".to_string(), kind.fields()), ("limit".to_string(), limit.to_string())];
        if !filtering.is_empty() {
            params.push(("filtering".into(), Value::Array(filtering).to_string()));
        }
        if let Some(c) = f.cursor {
            params.push(("after".into(), c.as_str().to_string()));
        }
        let page = graph_read(cx, &account, &path, &params).await?;
        let next = page["paging"]["next"].is_string().then(|| page["paging"]["cursors"]["after"].clone());
        return Ok(Change::read(json!({ "data": page["data"], "next_cursor": next, "source": "meta", "read_at": cx.ports.now_iso() })));
    }
    let accounts = match one {
        Some(a) => vec![a.id],
        None => ad_accounts::list(cx.ports, cx.workspace).await?.iter().filter_map(|r| r["id"].as_str().map(str::to_string)).collect(),
    };
    let created_by_unix = f.as_of.and_then(|t| chrono::DateTime::parse_from_rfc3339(t.as_str()).ok()).map(|d| d.timestamp());
    let q = ListQuery {
        accounts: accounts.clone(),
        parent,
        statuses,
        name_contains: f.name_contains.map(|n| n.as_str().to_string()),
        created_by_unix,
        after_id: f.cursor.map(|c| c.as_str().to_string()),
        limit: limit + 1,
    };
    let mut data = meta_objects::list(cx.ports, cx.workspace, kind, &q).await?;
    let more = data.len() as i64 > limit;
    data.truncate(limit as usize);
    let next = if more { data.last().map(|d| d["id"].clone()) } else { None };
    let synced = meta_objects::structure_synced(cx.ports, cx.workspace, &accounts).await?;
    let freshness: Vec<Value> = synced
        .into_iter()
        .map(|(a, t)| json!({ "ad_account_id": a, "structure_synced_at": t.map(|s| crate::timefmt::iso_from_millis(s.saturating_mul(1000))) }))
        .collect();
    Ok(Change::read(json!({ "data": data, "next_cursor": next, "source": "mirror", "as_of": f.as_of, "freshness": freshness })))
}

/// Declares a list action's input: the common filters plus the action's own parent ids.
#[macro_export]
macro_rules! list_input {
    ($doc:literal { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        #[doc = $doc]
        #[derive(Debug, Clone, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Input {
            /// One bound ad account (default: every account bound to the workspace).
            pub ad_account_id: Option<$crate::domain::AdAccountId>,
            $($(#[$fdoc])* pub $field: $ty,)*
            /// Keep these effective statuses (default: all but DELETED and ARCHIVED).
            pub effective_status: Option<$crate::domain::List<$crate::domain::Text<40>, 13>>,
            /// Keep names containing this text (any case).
            pub name_contains: Option<$crate::domain::Text<100>>,
            /// Only objects Meta had created at this time (RFC 3339), from the mirror.
            pub as_of: Option<$crate::domain::Timestamp>,
            /// Page size, 1 to 500 (default 100).
            pub limit: Option<$crate::domain::Bounded<1, 500>>,
            /// The `next_cursor` of the previous page.
            pub cursor: Option<$crate::domain::Text<64>>,
            /// Read Meta now through the account's gate instead of the mirror (needs ad_account_id).
            pub fresh: Option<bool>,
        }

        impl Input {
            fn filters(&self) -> $crate::actions::mirror_lists::Filters<'_> {
                $crate::actions::mirror_lists::Filters {
                    ad_account_id: self.ad_account_id.as_ref(),
                    effective_status: self.effective_status.as_ref(),
                    name_contains: self.name_contains.as_ref(),
                    as_of: self.as_of.as_ref(),
                    limit: self.limit,
                    cursor: self.cursor.as_ref(),
                    fresh: self.fresh.unwrap_or(false),
                }
            }
        }
    };
}
