//! Custom audiences: customer-list and lookalike creates, the `users` edge that adds and removes
//! hashed members in upload sessions, and the approximate counts those members give.

use crate::catalogue;
use crate::error::{GraphError, GraphResult};
use crate::objects::{self, live_parent, one_of, required};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use serde_json::{json, Map, Value};

pub const SUBTYPES: &[&str] = &["CUSTOM", "LOOKALIKE", "WEBSITE", "APP", "ENGAGEMENT", "OFFLINE_CONVERSION"];
pub const CUSTOMER_FILE_SOURCES: &[&str] = &["USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"];

/// Meta's limit: "only a maximum of 10000 at a time".
pub const MAX_ROWS: usize = 10_000;

/// Customer-file keys Meta matches on. All but these arrive SHA-256 hashed.
const SCHEMA_KEYS: &[&str] =
    &["EMAIL", "PHONE", "GEN", "DOBY", "DOBM", "DOBD", "LN", "FN", "FI", "CT", "ST", "ZIP", "COUNTRY", "MADID", "EXTERN_ID", "PAGEUID"];
const UNHASHED: &[&str] = &["MADID", "EXTERN_ID", "PAGEUID"];

pub fn build(store: &Store, account_id: &str, p: &Params) -> GraphResult<Node> {
    required(p, "name")?;
    one_of(p, "subtype", SUBTYPES)?;
    let subtype = p.str("subtype").unwrap_or("CUSTOM");
    match subtype {
        "CUSTOM" => {
            required(p, "customer_file_source")?;
            one_of(p, "customer_file_source", CUSTOMER_FILE_SOURCES)?;
        }
        "LOOKALIKE" => {
            let origin = required(p, "origin_audience_id")?.as_str().unwrap_or_default().to_string();
            live_parent(store, account_id, &origin, Kind::CustomAudience, "origin_audience_id")?;
            let spec = required(p, "lookalike_spec")?;
            let ratio = spec.get("ratio").and_then(Value::as_f64).unwrap_or(0.0);
            if !(0.01..=0.20).contains(&ratio) || spec.get("country").is_none() {
                return Err(GraphError::invalid_param("(#100) lookalike_spec needs a country and a ratio from 0.01 to 0.20"));
            }
        }
        _ => {}
    }
    let mut fields = Map::new();
    fields.insert("subtype".into(), json!(subtype));
    objects::finish(store, Kind::CustomAudience, account_id, p, fields, (None, None))
}

/// The people an audience reaches: its matched members, or a lookalike's share of its country.
pub fn size(store: &Store, n: &Node) -> u64 {
    match n.fields.get("subtype").and_then(Value::as_str).unwrap_or("CUSTOM") {
        "CUSTOM" => store.audience_members.get(&n.id).map_or(0, |m| m.len() as u64),
        "LOOKALIKE" => {
            let spec = n.fields.get("lookalike_spec");
            let ratio = spec.and_then(|s| s.get("ratio")).and_then(Value::as_f64).unwrap_or(0.01);
            let country = spec.and_then(|s| s.get("country")).and_then(Value::as_str).unwrap_or("US");
            let population = catalogue::place_by_key(country).map_or(10_000_000, |p| p.population);
            (population as f64 * ratio) as u64
        }
        _ => 0,
    }
}

/// `approximate_count_lower_bound` / `_upper_bound`: the size give or take a tenth.
pub fn approximate_count(store: &Store, n: &Node) -> (u64, u64) {
    let s = size(store, n);
    (s - s / 10, s + s / 10)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A schema key as Meta takes it (`EMAIL` or `EMAIL_SHA256`), reduced to its base key.
fn schema_key(raw: &str) -> GraphResult<String> {
    let base = raw.strip_suffix("_SHA256").unwrap_or(raw);
    if SCHEMA_KEYS.contains(&base) {
        Ok(base.to_string())
    } else {
        Err(GraphError::invalid_param(format!("(#100) Invalid schema key {raw} in payload. Use keys such as EMAIL, PHONE, FN, LN, ZIP, MADID or EXTERN_ID.")))
    }
}

fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| if v.is_null() { String::new() } else { v.to_string() })
}

/// `POST` (add) or `DELETE` (remove) `/{audience_id}/users`.
pub fn users(store: &mut Store, audience: &Node, add: bool, p: &Params) -> GraphResult<Value> {
    if audience.fields.get("subtype").and_then(Value::as_str).unwrap_or("CUSTOM") != "CUSTOM" {
        return Err(GraphError::invalid_param("(#100) Users can only be added to or removed from a customer list custom audience (subtype CUSTOM)"));
    }
    let payload = required(p, "payload")?;
    let schema: Vec<String> = match payload.get("schema") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(text).collect(),
        _ => return Err(GraphError::invalid_param("(#100) payload.schema is required: a key such as EMAIL_SHA256, or a list of keys")),
    };
    let keys = schema.iter().map(|k| schema_key(k)).collect::<GraphResult<Vec<String>>>()?;
    let data = payload.get("data").and_then(Value::as_array).ok_or_else(|| GraphError::invalid_param("(#100) payload.data is required: a list of rows"))?;
    if data.len() > MAX_ROWS {
        return Err(GraphError::invalid_param(format!(
            "(#100) payload.data has {} rows: a request can add or remove at most {MAX_ROWS} at a time. Split the list into sessions of several batches.",
            data.len()
        )));
    }
    let (mut invalid, mut samples) = (0u64, Map::new());
    let members = store.audience_members.entry(audience.id.clone()).or_default();
    for row in data {
        let values: Vec<Value> = match row {
            Value::Array(a) => a.clone(),
            other if keys.len() == 1 => vec![other.clone()],
            _ => Vec::new(),
        };
        let mut entry = Map::new();
        let mut ok = values.len() == keys.len();
        for (key, v) in keys.iter().zip(&values) {
            let v = text(v);
            if v.is_empty() {
                continue;
            }
            if !UNHASHED.contains(&key.as_str()) && !is_sha256_hex(&v) {
                ok = false;
                if samples.len() < 10 {
                    samples.insert(v.clone(), json!(key));
                }
                continue;
            }
            entry.insert(key.clone(), json!(v));
        }
        if !ok || entry.is_empty() {
            invalid += 1;
            continue;
        }
        let row_key = entry.iter().map(|(k, v)| format!("{k}={}", text(v))).collect::<Vec<_>>().join("|");
        if add {
            members.insert(row_key, Value::Object(entry));
        } else {
            members.remove(&row_key);
        }
    }
    let session = p.get("session");
    let session_id = match session.and_then(|s| s.get("session_id")) {
        Some(v) => text(v),
        None => format!("{}", store.hash(&["session", &audience.id, &store.seq.to_string(), &store.now().to_string()]) % 1_000_000_000_000),
    };
    store.seq += 1;
    let totals = store.audience_sessions.entry((audience.id.clone(), session_id.clone())).or_default();
    totals.0 += data.len() as u64;
    totals.1 += invalid;
    let (received, invalid_total) = *totals;
    Ok(json!({
        "audience_id": audience.id,
        "session_id": session_id,
        "num_received": received,
        "num_invalid_entries": invalid_total,
        "invalid_entry_samples": samples,
    }))
}

/// What arrived for an audience, for the control API: members as received (hashes and the
/// unhashed keys Meta takes as they are).
pub fn members_json(store: &Store, id: &str) -> Value {
    let members: Vec<&Value> = store.audience_members.get(id).map(|m| m.values().collect()).unwrap_or_default();
    json!({ "audience_id": id, "count": members.len(), "members": members })
}
