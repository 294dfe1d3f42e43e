//! `audit_log`: one row for every mutation, attempted or done, written in the same batch as the
//! change it records.

use crate::audit::{json_text, AuditEntry, INSERT_SQL};
use crate::binds;
use crate::failure::Failure;
use crate::ports::{new_id, Ports, Query};
use serde_json::Value;

/// The INSERT for one audit row.
pub fn insert(entry: &AuditEntry, now: &str) -> Query {
    Query::new(
        INSERT_SQL,
        binds![
            new_id("aud"),
            now,
            entry.workspace_id.as_deref(),
            entry.ad_account_id.as_deref(),
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.risk_tier.as_deref(),
            entry.external_id.as_deref(),
            json_text(&entry.before),
            json_text(&entry.after),
            entry.correlation_id.as_str(),
            entry.idempotency_key.as_deref(),
            entry.approval_id.as_deref(),
            entry.outcome.as_str(),
            json_text(&entry.graph_error),
            entry.actor_member_id.as_deref(),
            entry.via.as_deref(),
            entry.meta_writes,
        ],
    )
}

/// What `get_audit_events` filters on (all optional but the limit).
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub action: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub ad_account_id: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub limit: i64,
}

/// The workspace's audit rows, newest first.
pub async fn list(ports: &dyn Ports, ws: &str, f: &Filter<'_>) -> Result<Vec<Value>, Failure> {
    super::all(
        ports,
        Query::new(
            "SELECT * FROM audit_log WHERE workspace_id = ?1 AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR actor = ?3) \
             AND (?4 IS NULL OR ad_account_id = ?4) AND (?5 IS NULL OR occurred_at >= ?5) AND (?6 IS NULL OR occurred_at <= ?6) \
             ORDER BY occurred_at DESC, id LIMIT ?7",
            binds![ws, f.action, f.actor, f.ad_account_id, f.since, f.until, f.limit],
        ),
    )
    .await
}

/// Whether a campaign of the account was ever launched (resumed) here: the first launch of an
/// account needs an approval.
/// Whether a campaign has been set ACTIVE through adgate on this account (resumed, created
/// ACTIVE or launched from a draft).
pub async fn has_launched(ports: &dyn Ports, ws: &str, account: &str) -> Result<bool, Failure> {
    let q = Query::new(
        "SELECT 1 AS yes FROM audit_log WHERE workspace_id = ?2 AND ad_account_id = ?1 AND outcome = 'succeeded' \
         AND (action = 'resume_campaign' OR (action = 'create_campaign' AND json_extract(after_json, '$.status') = 'ACTIVE') \
         OR (action = 'launch_campaign_draft' AND json_extract(after_json, '$.activated') = 1)) LIMIT 1",
        binds![account, ws],
    );
    Ok(!ports.rows(q).await?.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Outcome;
    use crate::ports::Bind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_insert_binds_the_entry_in_column_order() {
        let mut e = AuditEntry::new("pause_campaign", "key_1", "cid", Outcome::Failed);
        e.via = Some("mcp".into());
        e.meta_writes = Some(2);
        let q = insert(&e, "2026-11-24T00:00:00.000Z");
        assert_eq!(q.binds.len(), 18);
        assert_eq!(q.binds[17], Bind::Int(2));
        assert_eq!(
            (&q.binds[4], &q.binds[5], &q.binds[13], &q.binds[16]),
            (&Bind::from("key_1"), &Bind::from("pause_campaign"), &Bind::from("failed"), &Bind::from("mcp"))
        );
        assert_eq!(q.binds[2], Bind::Null);
    }
}
