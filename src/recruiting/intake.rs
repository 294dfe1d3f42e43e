//! Taking a batch of pipeline events (from the events endpoint, a CSV file or an ATS adapter):
//! each row checked on its own, stage changes matched to applications this workspace holds,
//! then one D1 batch writes the applications, the stages, the join and the audit row together,
//! so a failure leaves nothing half-written.

use super::attribution::{self, Scope};
use super::conversions;
use super::events::{self, Event, META_LEAD_SOURCE};
use super::store::{self as applications, LeadPick};
use crate::api_keys::Principal;
use crate::audit::{AuditEntry, Outcome};
use crate::failure::Failure;
use crate::ingest::{err, RowError};
use crate::ports::{new_id, Job, Ports, Query};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Rows per statement, bound as one JSON text: a row's fields hold at most about 2,500
/// characters (up to 4 bytes each), so 150 rows stay under D1's 2,000,000-byte limit on a value.
const PAGE: usize = 150;

/// What a batch came to.
#[derive(Debug)]
pub struct Taken {
    pub applications: usize,
    pub stage_changes: usize,
    pub errors: Vec<RowError>,
    /// The join run over the batch's applications: how many each key joined, and how many it left.
    pub joined: Map<String, Value>,
    pub unattributed: i64,
}

impl Taken {
    pub fn answer(&self) -> Value {
        json!({
            "accepted": self.applications + self.stage_changes,
            "applications": self.applications,
            "stage_changes": self.stage_changes,
            "rejected": self.errors.len(),
            "errors": self.errors,
            "attribution": { "joined": self.joined, "unattributed": self.unattributed },
        })
    }
}

type Pair = (String, String);

/// Where each stage change goes: the application it names, or for a Meta lead, the application
/// that names the lead (one from a recruiting system first), holding the lead on its own if none
/// does yet. Changes for nothing held are errors.
async fn route_stages(
    ports: &dyn Ports,
    ws: &str,
    stages: Vec<(usize, Pair, events::Stage, String)>,
    batch_apps: &HashMap<Pair, Option<String>>,
    errors: &mut Vec<RowError>,
) -> Result<(Vec<Value>, Vec<String>), Failure> {
    let asked: Vec<Pair> = stages.iter().filter(|s| s.1 .0 != META_LEAD_SOURCE).map(|s| s.1.clone()).collect();
    let mut held: HashSet<Pair> = HashSet::new();
    if !asked.is_empty() {
        for r in ports.rows(applications::known(ws, json!(asked).to_string())).await? {
            held.insert((r["source"].as_str().unwrap_or_default().into(), r["application_id"].as_str().unwrap_or_default().into()));
        }
    }
    let leads: Vec<&str> = stages.iter().filter(|s| s.1 .0 == META_LEAD_SOURCE).map(|s| s.1 .1.as_str()).collect();
    // Per lead: the applications naming it (a recruiting system's first) and whether it is mirrored.
    let mut by_lead: HashMap<String, (Option<Pair>, bool)> = HashMap::new();
    for (pair, lead) in batch_apps {
        if let Some(l) = lead {
            by_lead.entry(l.clone()).or_default().0 = Some(pair.clone());
        }
    }
    if !leads.is_empty() {
        for r in ports.rows(applications::by_leads(ws, json!(leads).to_string())).await? {
            let lead = r["lead_id"].as_str().unwrap_or_default().to_string();
            let e = by_lead.entry(lead).or_default();
            match (r["source"].as_str(), r["application_id"].as_str()) {
                (Some(s), Some(a)) if e.0.as_ref().is_none_or(|p| p.0 == META_LEAD_SOURCE) => e.0 = Some((s.into(), a.into())),
                (None, _) => e.1 = true,
                _ => {}
            }
        }
    }
    let (mut rows, mut stubs) = (Vec::new(), Vec::new());
    for (index, pair, stage, at) in stages {
        let target = if pair.0 == META_LEAD_SOURCE {
            match by_lead.get(&pair.1) {
                Some((Some(app), _)) => Some(app.clone()),
                Some((None, true)) => {
                    stubs.push(pair.1.clone());
                    Some(pair.clone())
                }
                _ => None,
            }
        } else if batch_apps.contains_key(&pair) || held.contains(&pair) {
            Some(pair.clone())
        } else {
            None
        };
        match target {
            Some((s, a)) => rows.push(json!([s, a, stage.as_str(), at])),
            None if pair.0 == META_LEAD_SOURCE => {
                errors.push(err(index, "application_id", "is not a Meta lead of this workspace's ad accounts (leads arrive with leadgen webhooks)"))
            }
            None => errors.push(err(index, "application_id", "names no application from this source; send the application first or in the same batch")),
        }
    }
    stubs.sort();
    stubs.dedup();
    Ok((rows, stubs))
}

/// Who sent a batch, for its audit row: a key (and its member), or a connected recruiting system.
pub struct Sender<'a> {
    pub actor: String,
    pub member_id: Option<&'a str>,
}

impl<'a> From<&'a Principal> for Sender<'a> {
    fn from(p: &'a Principal) -> Self {
        Sender { actor: p.actor(), member_id: p.member_id() }
    }
}

/// Checks, writes and joins a batch; `action` names it in the audit row.
pub async fn take(ports: &dyn Ports, ws: &str, sender: Sender<'_>, action: &str, rows: &[Value]) -> Result<Taken, Failure> {
    let now = ports.now_iso();
    let clock = DateTime::<Utc>::from_timestamp_millis(ports.now_millis()).unwrap_or_default();
    let mut errors = Vec::new();
    let mut apps: Vec<Value> = Vec::new();
    let mut batch_apps: HashMap<Pair, Option<String>> = HashMap::new();
    let mut stages = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match events::event(i, r, clock) {
            Ok(Event::Application(cols)) => {
                let pair = (cols[0].as_str().unwrap_or_default().to_string(), cols[1].as_str().unwrap_or_default().to_string());
                let lead = cols[events::APPLICATION_COLUMNS.iter().position(|c| *c == "meta_lead_id").unwrap_or(0)].as_str().map(str::to_string);
                batch_apps.insert(pair, lead);
                apps.push(Value::Array(cols));
            }
            Ok(Event::Stage { source, application_id, stage, at }) => stages.push((i, (source, application_id), stage, at)),
            Err(e) => errors.push(e),
        }
    }
    let (stage_rows, stubs) = route_stages(ports, ws, stages, &batch_apps, &mut errors).await?;
    errors.sort_by_key(|e| e.index);
    let run = new_id("attr");
    let mut scope_pairs: Vec<Pair> = batch_apps.keys().cloned().collect();
    scope_pairs.extend(stubs.iter().map(|l| (META_LEAD_SOURCE.to_string(), l.clone())));
    let pairs_json = json!(scope_pairs).to_string();
    let mut writes: Vec<Query> = Vec::new();
    for page in apps.chunks(PAGE) {
        writes.push(applications::upsert(ws, Value::Array(page.to_vec()).to_string(), &now));
    }
    if !stubs.is_empty() {
        writes.push(applications::lead_stubs(ws, LeadPick::Ids(json!(stubs).to_string()), &now));
    }
    if !apps.is_empty() {
        let own: Vec<&Pair> = batch_apps.keys().collect();
        writes.extend(applications::absorb_lead_stubs(ws, &json!(own).to_string(), &now));
    }
    for page in stage_rows.chunks(PAGE) {
        writes.push(applications::record_stages(ws, Value::Array(page.to_vec()).to_string(), &now));
    }
    if !scope_pairs.is_empty() {
        let scope = Scope::Batch(pairs_json.clone());
        writes.extend(attribution::passes(ws, &run, &now, &scope));
        writes.push(conversions::queue(ws, &now, &scope));
    }
    let mut audit = AuditEntry::new(action, &sender.actor, ports.correlation_id(), Outcome::Succeeded);
    audit.actor_member_id = sender.member_id.map(str::to_string);
    audit.workspace_id = Some(ws.to_string());
    audit.risk_tier = Some("execute_low".into());
    audit.after = Some(json!({ "applications": apps.len(), "stage_changes": stage_rows.len(), "rejected": errors.len(), "attribution_run": run }));
    if apps.is_empty() && stage_rows.is_empty() {
        return Ok(Taken { applications: 0, stage_changes: 0, errors, joined: Map::new(), unattributed: 0 });
    }
    writes.push(crate::db::audit_log::insert(&audit, &now));
    ports.batch(writes).await?;
    if !stage_rows.is_empty() || !stubs.is_empty() {
        // Stages of Instant Form leads go back to Meta from the jobs queue (or the next tick).
        ports.enqueue(Job::Conversions(ws.to_string())).await?;
    }
    let mut joined = Map::new();
    for r in ports.rows(attribution::moved(ws, &run)).await? {
        if let Some(k) = r["join_key"].as_str() {
            let n = joined.get(k).and_then(Value::as_i64).unwrap_or(0) + r["n"].as_i64().unwrap_or(0);
            joined.insert(k.to_string(), json!(n));
        }
    }
    let unattributed = if apps.is_empty() {
        0
    } else {
        let q = Query::new(
            "SELECT COUNT(*) AS n FROM pipeline_applications WHERE workspace_id = ?1 AND join_key IS NULL \
             AND (source, application_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))",
            vec![ws.into(), pairs_json.into()],
        );
        ports.rows(q).await?.first().and_then(|r| r["n"].as_i64()).unwrap_or(0)
    };
    Ok(Taken { applications: apps.len(), stage_changes: stage_rows.len(), errors, joined, unattributed })
}

/// The statements that hold a newly mirrored Instant Form lead as an application (unless one
/// already names it) and join it, or the applications naming it, to its ad.
pub fn lead_arrived(ws: &str, lead_id: &str, now: &str) -> Vec<Query> {
    let mut writes = vec![applications::lead_stubs(ws, LeadPick::Ids(json!([lead_id]).to_string()), now)];
    let scope = Scope::Lead(lead_id.to_string());
    writes.extend(attribution::passes(ws, &new_id("attr"), now, &scope));
    // Its first stage (the lead itself) goes back to Meta with the next tick's sweep.
    writes.push(conversions::queue(ws, now, &scope));
    writes
}
