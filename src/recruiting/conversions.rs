//! Closing the loop with Meta: each stage an Instant Form lead reaches goes back to the
//! workspace's dataset through the Conversions API for CRM ("Conversion Leads"), so Meta can
//! optimise for leads that become applicants and hires. A stage is queued once per lead (the
//! table's key), claimed by one sender, sent through the lead's ad account's gate and token in
//! requests of up to 1,000 events, and each request gets its audit row.

use super::attribution::Scope;
use crate::audit::{AuditEntry, Outcome};
use crate::failure::Failure;
use crate::graph::ErrorClass;
use crate::ports::{new_id, GraphCall, Ports, Query, Scope as GraphScope};
use serde_json::{json, Value};

/// Meta's limit on events per request.
pub const MAX_PER_REQUEST: usize = 1_000;
/// Meta refuses (the whole request) an event older than this (seconds).
pub const MAX_AGE_SECS: i64 = 7 * 86_400;
/// A claim older than this lost its sender; another may take the rows.
pub const CLAIM_STALE_MS: i64 = 15 * 60_000;
/// Rows one sender claims at a time.
const CLAIM_ROWS: i64 = 5_000;
/// The CRM name Meta is told the stages come from.
pub const LEAD_EVENT_SOURCE: &str = "adgate";
/// The audit action of a request to Meta.
pub const AUDIT_ACTION: &str = "send_pipeline_conversions";

/// The stages sent, in funnel order: (stage, the column holding when it was reached, event name).
/// Rejection and withdrawal are not sent: Meta learns from progress through the funnel.
pub const SENT_STAGES: &[(&str, &str, &str)] = &[
    ("applied", "applied_at", "Lead"),
    ("screened", "screened_at", "Screened"),
    ("qualified", "qualified_at", "Qualified"),
    ("interviewed", "interviewed_at", "Interviewed"),
    ("offered", "offered_at", "Offered"),
    ("hired", "hired_at", "Hired"),
];

/// Queues every sent stage reached by the Instant Form leads in `scope` that are joined to their
/// ad, when the workspace has a dataset; a stage already queued (or sent) is left alone.
pub fn queue(ws: &str, now: &str, scope: &Scope) -> Query {
    let (clause, extra) = scope.clause();
    // One row per application and stage from a list of stages (D1 allows few compound SELECTs).
    let list: Vec<Value> = SENT_STAGES.iter().map(|(stage, _, name)| json!([stage, name])).collect();
    let at: Vec<String> = SENT_STAGES.iter().map(|(stage, col, _)| format!("WHEN '{stage}' THEN a.{col}")).collect();
    let mut binds = vec![ws.into(), now.into(), now.into()];
    binds.extend(extra);
    Query::new(
        format!(
            "INSERT OR IGNORE INTO pipeline_conversions (workspace_id, lead_id, stage, ad_account_id, event_name, event_time, status, created_at, updated_at) \
             SELECT workspace_id, meta_lead_id, stage, ad_account_id, name, CAST(strftime('%s', at) AS INTEGER), 'queued', ?2, ?3 FROM ( \
             SELECT a.workspace_id, a.meta_lead_id, a.ad_account_id, st.stage, st.name, CASE st.stage {} END AS at \
             FROM pipeline_applications AS a, (SELECT json_extract(value, '$[0]') AS stage, json_extract(value, '$[1]') AS name FROM json_each('{}')) AS st \
             WHERE a.workspace_id = ?1 AND a.join_key = 'lead_id' AND a.ad_account_id IS NOT NULL AND {clause} \
             AND EXISTS (SELECT 1 FROM pipeline_settings AS p WHERE p.workspace_id = ?1 AND p.conversions_dataset_id IS NOT NULL)) WHERE at IS NOT NULL",
            at.join(" "),
            Value::Array(list)
        ),
        binds,
    )
}

/// Workspaces with stages waiting and no live claim on them.
pub fn waiting(now_ms: i64, limit: i64) -> Query {
    let stale = crate::timefmt::iso_from_millis(now_ms - CLAIM_STALE_MS);
    Query::new(
        "SELECT DISTINCT workspace_id FROM pipeline_conversions WHERE status = 'queued' AND (claim IS NULL OR claimed_at < ?1) LIMIT ?2",
        crate::binds![stale, limit],
    )
}

fn claim(ws: &str, claim: &str, now_ms: i64) -> Query {
    let stale = crate::timefmt::iso_from_millis(now_ms - CLAIM_STALE_MS);
    let open = "workspace_id = ?1 AND status = 'queued' AND (claim IS NULL OR claimed_at < ?4)";
    Query::new(
        format!(
            "UPDATE pipeline_conversions SET claim = ?2, claimed_at = ?3, attempts = attempts + 1, updated_at = ?3 WHERE {open} \
             AND (lead_id, stage) IN (SELECT lead_id, stage FROM pipeline_conversions WHERE {open} ORDER BY event_time LIMIT ?5)"
        ),
        crate::binds![ws, claim, crate::timefmt::iso_from_millis(now_ms), stale, CLAIM_ROWS],
    )
}

fn claimed(ws: &str, claim: &str) -> Query {
    Query::new(
        "SELECT lead_id, stage, ad_account_id, event_name, event_time FROM pipeline_conversions WHERE workspace_id = ?1 AND claim = ?2 AND status = 'queued' \
         ORDER BY ad_account_id, event_time, lead_id",
        crate::binds![ws, claim],
    )
}

/// Ends the claim on these (lead, stage) pairs: `status` sent or refused (with why), or back to
/// queued (`None`) for a later try.
fn finish(ws: &str, claim: &str, pairs: &[(String, String)], status: Option<&str>, dataset: Option<&str>, error: Option<&str>, now: &str) -> Query {
    Query::new(
        "UPDATE pipeline_conversions SET status = COALESCE(?4, status), dataset_id = COALESCE(?5, dataset_id), error = ?6, \
         sent_at = CASE WHEN ?4 = 'sent' THEN ?7 ELSE sent_at END, claim = NULL, claimed_at = NULL, updated_at = ?7 \
         WHERE workspace_id = ?1 AND claim = ?2 AND (lead_id, stage) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?3))",
        crate::binds![ws, claim, json!(pairs).to_string(), status, dataset, error, now],
    )
}

/// One stage as the Conversions API for CRM takes it.
pub fn event(lead_id: &str, event_name: &str, event_time: i64) -> Value {
    let lead = lead_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(lead_id));
    json!({
        "event_name": event_name,
        "event_time": event_time,
        "action_source": "system_generated",
        "user_data": { "lead_id": lead },
        "custom_data": { "event_source": "crm", "lead_event_source": LEAD_EVENT_SOURCE },
    })
}

/// The workspace's dataset, if it sends stages back.
pub async fn dataset(ports: &dyn Ports, ws: &str) -> Result<Option<String>, Failure> {
    let q = Query::new("SELECT conversions_dataset_id AS d FROM pipeline_settings WHERE workspace_id = ?1", crate::binds![ws]);
    Ok(ports.rows(q).await?.first().and_then(|r| r["d"].as_str().map(str::to_string)))
}

/// What one sender did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub sent: usize,
    pub refused: usize,
    /// Stages left queued because Meta could not take them now (throttled, unreachable).
    pub retry: usize,
}

struct Row {
    lead: String,
    stage: String,
    account: String,
    name: String,
    time: i64,
}

/// Sends the workspace's waiting stages. Stages too old for Meta are refused here, so one stale
/// stage never sinks a request; a request Meta refuses marks its stages refused with Meta's reason.
pub async fn send(ports: &dyn Ports, ws: &str) -> Result<Sent, Failure> {
    let mut done = Sent::default();
    let Some(dataset) = dataset(ports, ws).await? else { return Ok(done) };
    let claim_id = new_id("cnv");
    let now_ms = ports.now_millis();
    ports.batch(vec![claim(ws, &claim_id, now_ms)]).await?;
    let rows: Vec<Row> = ports
        .rows(claimed(ws, &claim_id))
        .await?
        .into_iter()
        .map(|r| Row {
            lead: r["lead_id"].as_str().unwrap_or_default().into(),
            stage: r["stage"].as_str().unwrap_or_default().into(),
            account: r["ad_account_id"].as_str().unwrap_or_default().into(),
            name: r["event_name"].as_str().unwrap_or_default().into(),
            time: r["event_time"].as_i64().unwrap_or_default(),
        })
        .collect();
    let now_s = now_ms / 1_000;
    let now = ports.now_iso();
    let (stale, fresh): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.time < now_s - MAX_AGE_SECS + 60);
    if !stale.is_empty() {
        let pairs: Vec<(String, String)> = stale.iter().map(|r| (r.lead.clone(), r.stage.clone())).collect();
        let why = "reached more than 7 days before it could be sent: Meta takes CRM stages within 7 days";
        ports.batch(vec![finish(ws, &claim_id, &pairs, Some("refused"), None, Some(why), &now)]).await?;
        done.refused += pairs.len();
    }
    let mut start = 0;
    while start < fresh.len() {
        let account = &fresh[start].account;
        let end = (start..fresh.len()).find(|&i| fresh[i].account != *account || i - start == MAX_PER_REQUEST).unwrap_or(fresh.len());
        let group = &fresh[start..end];
        start = end;
        let pairs: Vec<(String, String)> = group.iter().map(|r| (r.lead.clone(), r.stage.clone())).collect();
        let integration = crate::db::ad_accounts::integration_of(ports, ws, account).await?;
        let Some(integration) = integration else {
            let why = format!("act_{account} is no longer bound to the workspace through an integration");
            ports.batch(vec![finish(ws, &claim_id, &pairs, Some("refused"), None, Some(&why), &now)]).await?;
            done.refused += pairs.len();
            continue;
        };
        // Meta takes no event stamped ahead of its clock.
        let events: Vec<Value> = group.iter().map(|r| event(&r.lead, &r.name, r.time.min(now_s))).collect();
        let params = vec![("data".to_string(), Value::Array(events).to_string())];
        let path = format!("{dataset}/events");
        let scope = GraphScope { workspace_id: ws, integration_id: Some(&integration), ad_account_id: Some(account), api_version: None };
        let writes_before = ports.meta_writes();
        let result = ports.graph(scope, GraphCall::Write("POST", &path), &params).await;
        let mut audit = AuditEntry::new(AUDIT_ACTION, "pipeline", ports.correlation_id(), Outcome::Succeeded);
        audit.meta_writes = Some(i64::from(ports.meta_writes() - writes_before));
        audit.workspace_id = Some(ws.to_string());
        audit.ad_account_id = Some(account.clone());
        audit.risk_tier = Some("execute_low".into());
        audit.external_id = Some(dataset.clone());
        let mut stages = serde_json::Map::new();
        for r in group {
            let n = stages.get(&r.stage).and_then(Value::as_i64).unwrap_or(0) + 1;
            stages.insert(r.stage.clone(), json!(n));
        }
        let now = ports.now_iso();
        match result {
            Ok((answer, _)) => {
                audit.after =
                    Some(json!({ "events": group.len(), "stages": stages, "events_received": answer["events_received"], "fbtrace_id": answer["fbtrace_id"] }));
                ports.batch(vec![finish(ws, &claim_id, &pairs, Some("sent"), Some(&dataset), None, &now), crate::db::audit_log::insert(&audit, &now)]).await?;
                done.sent += pairs.len();
            }
            Err(e) if matches!(e.graph_class(), Some(ErrorClass::Permanent | ErrorClass::Auth)) => {
                audit.outcome = Outcome::Failed;
                audit.after = Some(json!({ "events": group.len(), "stages": stages }));
                audit.graph_error = e.audit_record();
                let why = format!("Meta refused the request: {}", e.summary());
                ports
                    .batch(vec![finish(ws, &claim_id, &pairs, Some("refused"), Some(&dataset), Some(&why), &now), crate::db::audit_log::insert(&audit, &now)])
                    .await?;
                done.refused += pairs.len();
            }
            Err(e) => {
                ports.log_error(&format!("pipeline conversions for {ws}: {} stages wait: {}", pairs.len(), e.summary()));
                let mut writes = vec![finish(ws, &claim_id, &pairs, None, None, Some(&e.summary()), &now)];
                // A request that may have reached Meta is audited as failed (the stages wait and
                // are sent again), so no write to Meta is ever without its audit row.
                if audit.meta_writes.unwrap_or(0) > 0 {
                    audit.outcome = Outcome::Failed;
                    audit.after = Some(json!({ "events": group.len(), "stages": stages, "will_retry": true }));
                    audit.graph_error = e.audit_record();
                    writes.push(crate::db::audit_log::insert(&audit, &now));
                }
                ports.batch(writes).await?;
                done.retry += pairs.len();
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_stage_is_sent_as_meta_documents_a_crm_event() {
        let e = event("1234567890123456", "Qualified", 1_800_000_000);
        assert_eq!(e["user_data"]["lead_id"], json!(1_234_567_890_123_456u64), "a number, unhashed");
        assert_eq!((e["action_source"].as_str(), e["custom_data"]["event_source"].as_str()), (Some("system_generated"), Some("crm")));
        assert_eq!(e["custom_data"]["lead_event_source"], LEAD_EVENT_SOURCE);
    }

    #[test]
    fn the_queue_takes_each_sent_stage_once_and_only_for_joined_leads() {
        let q = queue("ws_1", "2026-11-24T00:00:00Z", &Scope::Lead("99".into()));
        assert!(q.sql.starts_with("INSERT OR IGNORE"));
        assert_eq!(q.sql.matches(" THEN a.").count(), SENT_STAGES.len());
        assert!(q.sql.contains("a.join_key = 'lead_id'") && !q.sql.contains("rejected_at") && !q.sql.contains("UNION"));
        assert_eq!(q.binds.len(), 4);
    }
}
