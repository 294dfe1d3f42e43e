//! The body of a message on the sync queue, and its validation. The consumer and the dead-letter
//! consumer share `parse`, so a dead letter records the same reason the consumer failed with.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SCHEMA_VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    InsightsResync,
    TokenHealth,
    Structure,
    /// Leads a leadgen webhook named (`leads:{id}`), fetched and stored.
    Leads,
}

impl SyncKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::InsightsResync => "insights_resync",
            SyncKind::TokenHealth => "token_health",
            SyncKind::Structure => "structure",
            SyncKind::Leads => "leads",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Cron,
    Webhook,
    Manual,
    Backfill,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Webhook => "webhook",
            Trigger::Manual => "manual",
            Trigger::Backfill => "backfill",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncMessage {
    pub v: u8,
    pub kind: SyncKind,
    pub trigger: Trigger,
    pub ad_account_id: String,
    pub workspace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_run_id: Option<String>,
    pub enqueued_at: String,
    /// A run created beforehand (manual and backfill runs), which the consumer continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Objects a webhook named (`campaigns:123`): a targeted structure re-sync of just those.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    /// Set on a job sent straight to the dead-letter queue: why retrying cannot fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The message that continues an existing run (`kind` and `trigger` as stored on its row).
pub fn resume(run_id: &str, kind: &str, trigger: &str, ad_account_id: &str, workspace_id: &str, enqueued_at: &str) -> Result<SyncMessage, String> {
    parse(&serde_json::json!({
        "v": SCHEMA_VERSION, "kind": kind, "trigger": trigger, "ad_account_id": ad_account_id,
        "workspace_id": workspace_id, "enqueued_at": enqueued_at, "run_id": run_id,
    }))
}

/// Validates a queue body. Unknown extra members are tolerated (a newer producer may add some);
/// a wrong schema version or a malformed account id is not.
pub fn parse(body: &Value) -> Result<SyncMessage, String> {
    let msg: SyncMessage = serde_json::from_value(body.clone()).map_err(|e| format!("malformed sync message: {e}"))?;
    if msg.v != SCHEMA_VERSION {
        return Err(format!("unsupported sync message version {} (expected {SCHEMA_VERSION})", msg.v));
    }
    let known = |k: &str| crate::sync::structure::ObjectKind::parse(k).is_some() || k == "leads";
    if let Some(bad) =
        msg.objects.iter().find(|o| !o.split_once(':').is_some_and(|(k, id)| known(k) && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())))
    {
        return Err(format!("objects: {bad:?} is not kind:id (campaigns, adsets, ads, adcreatives or leads)"));
    }
    if !crate::records::is_meta_account_id(&msg.ad_account_id) {
        return Err(format!("ad_account_id {:?} is not a Meta ad account id", msg.ad_account_id));
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sample() -> SyncMessage {
        SyncMessage {
            v: 1,
            kind: SyncKind::InsightsResync,
            trigger: Trigger::Cron,
            ad_account_id: "1234567890".into(),
            workspace_id: "ws_1".into(),
            cron_run_id: Some("cr_1".into()),
            enqueued_at: "2026-11-23T00:00:00.000Z".into(),
            run_id: None,
            objects: vec![],
            error: None,
        }
    }

    #[test]
    fn round_trips_through_json() {
        let body = serde_json::to_value(sample()).unwrap();
        assert_eq!(body["kind"], "insights_resync");
        assert_eq!(parse(&body), Ok(sample()));
    }

    #[test]
    fn a_resume_message_names_its_run() {
        let m = resume("sync_1", "insights_resync", "backfill", "123", "ws", "now").unwrap();
        assert_eq!((m.run_id.as_deref(), m.kind, m.trigger), (Some("sync_1"), SyncKind::InsightsResync, Trigger::Backfill));
        assert!(resume("sync_1", "nonsense", "cron", "123", "ws", "now").is_err());
    }

    #[test]
    fn rejects_poison_with_a_reason() {
        assert!(parse(&json!({"hello": 1})).unwrap_err().starts_with("malformed sync message"));
        let mut v = serde_json::to_value(sample()).unwrap();
        v["v"] = json!(9);
        assert!(parse(&v).unwrap_err().contains("version 9"));
        let mut v = serde_json::to_value(sample()).unwrap();
        v["ad_account_id"] = json!("act_x");
        assert!(parse(&v).unwrap_err().contains("act_x"));
    }
}
