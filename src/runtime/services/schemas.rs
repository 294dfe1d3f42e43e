//! Records the shape of Meta's answers (`api_schemas`) and what changed in them
//! (`schema_drift_events`), per workspace. Cheap by design: an answer whose shape this isolate
//! has already recorded costs nothing; a new shape costs one read, and a write only when
//! something is new. Recording never fails the call it describes.

use super::Services;
use crate::binds;
use crate::db;
use crate::graph::schema::{self, Drift, Shape};
use crate::ports::{Ports, Query, Scope};
use crate::runtime::d1::{new_id, now_iso};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashSet;
use worker::console_warn;

/// Shapes recorded by this isolate; cleared when full so memory stays bounded.
const SEEN_MAX: usize = 4_096;

thread_local! {
    static SEEN: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

fn first_sight(key: String) -> bool {
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        if s.contains(&key) {
            return false;
        }
        if s.len() >= SEEN_MAX {
            s.clear();
        }
        s.insert(key);
        true
    })
}

#[derive(Deserialize)]
struct Known {
    api_version: String,
    fields_json: String,
}

/// One read's answer: its shape compared with the one known for this version (or, the first
/// time on a version, with the one known for the nearest earlier version; versions compare as
/// text, which holds for two-digit majors), drift recorded, the known shape grown.
pub async fn observe(svc: &Services, scope: &Scope<'_>, version: &str, path: &str, params: &[(String, String)], seen: Shape) {
    let (endpoint, key) = (schema::endpoint_of(path), schema::request_key(params));
    let fp = schema::fingerprint(&seen);
    if !first_sight(format!("{}|{version}|{endpoint}|{key}|{fp}", scope.workspace_id)) {
        return;
    }
    if let Err(e) = record(svc, scope.workspace_id, version, &endpoint, &key, params, seen).await {
        console_warn!("could not record an answer's schema: {e:?}");
    }
}

async fn record(
    svc: &Services,
    ws: &str,
    version: &str,
    endpoint: &str,
    key: &str,
    params: &[(String, String)],
    seen: Shape,
) -> Result<(), crate::failure::Failure> {
    let known: Option<Known> = db::first(
        svc,
        Query::new(
            "SELECT api_version, fields_json FROM api_schemas WHERE workspace_id = ?1 AND endpoint = ?2 AND request_key = ?3 \
             ORDER BY api_version = ?4 DESC, api_version < ?4 DESC, api_version DESC, last_seen_at DESC LIMIT 1",
            binds![ws, endpoint, key, version],
        ),
    )
    .await?;
    let (same_version, known_shape) = match &known {
        Some(k) => (k.api_version == version, serde_json::from_str::<Shape>(&k.fields_json).unwrap_or_default()),
        None => (false, Shape::new()),
    };
    let requested = params.iter().find(|(k, _)| k == "fields").map(|(_, f)| schema::requested_fields(f));
    let drift = schema::compare(&known_shape, &seen, requested.as_ref(), &schema::extra_columns(params));
    let stored = if same_version { schema::merge(&known_shape, &seen) } else { seen };
    let mut writes = Vec::new();
    if !same_version || stored != known_shape {
        let now = now_iso();
        let fields = serde_json::to_string(&stored).unwrap_or_default();
        writes.push(Query::new(
            "INSERT INTO api_schemas (workspace_id, api_version, endpoint, request_key, fingerprint, fields_json, first_seen_at, last_seen_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (workspace_id, api_version, endpoint, request_key) \
             DO UPDATE SET fingerprint = excluded.fingerprint, fields_json = excluded.fields_json, last_seen_at = excluded.last_seen_at",
            binds![ws, version, endpoint, key, schema::fingerprint(&stored).as_str(), fields.as_str(), now.as_str()],
        ));
    }
    writes.extend(drift.iter().map(|d| drift_row(ws, version, endpoint, d, None)));
    if !writes.is_empty() {
        svc.batch(writes).await?;
    }
    Ok(())
}

fn drift_row(ws: &str, version: &str, endpoint: &str, d: &Drift, detail: Option<&str>) -> Query {
    let now = now_iso();
    Query::new(
        "INSERT OR IGNORE INTO schema_drift_events (id, workspace_id, api_version, endpoint, kind, field, before_type, after_type, detail, occurred_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        binds![new_id("drf").as_str(), ws, version, endpoint, d.kind, d.field.as_deref().unwrap_or(""), d.before.as_deref(), d.after.as_deref(), detail, now.as_str()],
    )
}

/// A difference Meta told us about outright: a field it refused as nonexisting, a deprecation
/// warning header, a version it no longer serves. Recorded once per (version, endpoint, field).
pub async fn note(svc: &Services, scope: &Scope<'_>, version: &str, path: &str, drift: Drift, detail: Option<&str>) {
    let endpoint = schema::endpoint_of(path);
    if !first_sight(format!("{}|{version}|{endpoint}|{}|{}", scope.workspace_id, drift.kind, drift.field.as_deref().unwrap_or(""))) {
        return;
    }
    let detail: Option<String> = detail.map(|d| d.chars().take(500).collect());
    if let Err(e) = svc.batch(vec![drift_row(scope.workspace_id, version, &endpoint, &drift, detail.as_deref())]).await {
        console_warn!("could not record schema drift: {e:?}");
    }
}
