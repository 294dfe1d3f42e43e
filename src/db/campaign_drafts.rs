//! `campaign_drafts` and `campaign_draft_objects`: draft trees by revision, and what a launch has
//! created on Meta so far.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
pub struct DraftRow {
    pub id: String,
    pub ad_account_id: String,
    pub revision: i64,
    pub tree_json: String,
    pub status: String,
}

/// The workspace's draft `id`, if it has one by that id.
pub async fn get(ports: &dyn Ports, ws: &str, id: &str) -> Result<Option<DraftRow>, Failure> {
    let q = Query::new("SELECT id, ad_account_id, revision, tree_json, status FROM campaign_drafts WHERE id = ?1 AND workspace_id = ?2", binds![id, ws]);
    super::first(ports, q).await
}

pub fn insert(ws: &str, id: &str, account: &str, tree: &str, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO campaign_drafts (id, workspace_id, ad_account_id, revision, tree_json, status, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, 1, ?4, 'draft', ?5, ?6, ?6)",
        binds![id, ws, account, tree, by, now],
    )
}

/// The next revision, only over the one the editor saw (a concurrent edit leaves it unchanged).
pub fn update(ws: &str, id: &str, seen: i64, tree: &str, now: &str) -> Query {
    Query::new(
        "UPDATE campaign_drafts SET tree_json = ?4, revision = revision + 1, updated_at = ?5 WHERE id = ?1 AND workspace_id = ?2 AND revision = ?3",
        binds![id, ws, seen, tree, now],
    )
}

pub fn set_status(ws: &str, id: &str, status: &str, now: &str) -> Query {
    Query::new("UPDATE campaign_drafts SET status = ?3, updated_at = ?4 WHERE id = ?1 AND workspace_id = ?2", binds![id, ws, status, now])
}

#[derive(Debug, Clone, Deserialize)]
pub struct ObjectRow {
    pub key: String,
    pub kind: String,
    pub meta_id: Option<String>,
    pub status: String,
    pub started_at: String,
}

/// Forgets an object Meta refused to create: it does not exist, so a resume sends it again
/// without looking for it first.
pub fn forget(draft: &str, key: &str) -> Query {
    Query::new("DELETE FROM campaign_draft_objects WHERE draft_id = ?1 AND key = ?2 AND meta_id IS NULL", binds![draft, key])
}

pub async fn objects(ports: &dyn Ports, draft: &str) -> Result<Vec<ObjectRow>, Failure> {
    super::all(ports, Query::new("SELECT key, kind, meta_id, status, started_at FROM campaign_draft_objects WHERE draft_id = ?1", binds![draft])).await
}

/// Records where one object of a launch stands; `started_at` is kept from the first attempt.
pub fn mark(draft: &str, key: &str, kind: &str, meta_id: Option<&str>, status: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO campaign_draft_objects (draft_id, key, kind, meta_id, status, started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
         ON CONFLICT (draft_id, key) DO UPDATE SET meta_id = COALESCE(excluded.meta_id, meta_id), status = excluded.status, updated_at = excluded.updated_at",
        binds![draft, key, kind, meta_id, status, now],
    )
}
