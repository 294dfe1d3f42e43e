//! Creating, updating and rendering ad objects. The rules shared by every kind live here; each
//! kind's own rules live in its module (campaigns, adsets, ads, creatives, audiences).

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use crate::subcodes;
use serde_json::{json, Map, Value};

pub use crate::budgets::budget_cap_minor;

pub const SETTABLE_STATUS: &[&str] = &["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"];

/// Members Graph manages itself; a create or update may not set them.
const READ_ONLY: &[&str] = &["id", "account_id", "effective_status", "created_time", "updated_time", "configured_status"];

/// Parameters that steer a call rather than describe the object.
pub const INFRA: &[&str] = &["access_token", "appsecret_proof", "execution_options", "fields"];

/// Parameters a create consumes itself instead of storing as given.
const CONSUMED: &[&str] =
    &["special_ad_categories", "creative", "campaign_id", "adset_id", "subtype", "campaign_spec", "adset_spec", "is_adset_budget_sharing_enabled"];

/// The id an object gets while it exists only in a create (or a `validate_only` check); real ids
/// are given when the tree is stored.
pub fn placeholder(kind: Kind) -> String {
    format!("new:{}", kind.edge())
}

pub fn required<'a>(p: &'a Params, key: &str) -> GraphResult<&'a Value> {
    p.get(key).filter(|v| !v.is_null() && v.as_str() != Some("")).ok_or_else(|| GraphError::invalid_param(format!("(#100) The parameter {key} is required")))
}

pub fn one_of(p: &Params, key: &str, allowed: &[&str]) -> GraphResult<()> {
    if let Some(v) = p.str(key) {
        if !allowed.contains(&v) {
            return Err(GraphError::invalid_param(format!("(#100) Param {key} must be one of {{{}}} - got \"{v}\"", allowed.join(", "))));
        }
    }
    Ok(())
}

pub fn positive_money(p: &Params, key: &str) -> GraphResult<Option<i64>> {
    match p.int(key)? {
        Some(n) if n <= 0 => Err(GraphError::invalid_param(format!("(#100) {key} must be a positive amount in the account's minor currency unit"))),
        other => Ok(other),
    }
}

/// A boolean as the SDKs send it: `true`, `"true"`, `"True"`, `1`.
pub fn bool_param(p: &Params, key: &str) -> GraphResult<Option<bool>> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(Some(n.as_i64() == Some(1))),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(GraphError::invalid_param(format!("(#100) Param {key} must be a boolean"))),
        },
        Some(_) => Err(GraphError::invalid_param(format!("(#100) Param {key} must be a boolean"))),
    }
}

/// A JSON array of strings, or nothing.
pub fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// A nested spec (`campaign_spec`, `adset_spec`, an inline `creative`) read as the parameters of
/// its own create.
pub fn spec_params(v: &Value, key: &str) -> GraphResult<Params> {
    match v {
        Value::Object(o) => Ok(Params(o.clone())),
        _ => Err(GraphError::invalid_param(format!("(#100) Param {key} must be a JSON object"))),
    }
}

pub fn account_currency(store: &Store, account_id: &str) -> String {
    store.accounts.get(account_id).map(|a| a.currency.clone()).unwrap_or_else(|| "USD".into())
}

/// Refuses a budget above Meta's cap, as Meta does (ADPRO2__CAMPAIGN_BUDGET_TOO_HIGH).
fn within_cap(store: &Store, account_id: &str, p: &Params) -> GraphResult<()> {
    let currency = account_currency(store, account_id);
    let cap = budget_cap_minor(&currency);
    for key in ["daily_budget", "lifetime_budget"] {
        if positive_money(p, key)?.is_some_and(|n| n > cap) {
            return Err(GraphError::invalid_param("Invalid parameter").subcode(subcodes::BUDGET_TOO_HIGH).user(
                "Budget Too High",
                &format!("The {key} is above the maximum of {cap} (in the account's minor currency unit) for an ad account in {currency}."),
            ));
        }
    }
    Ok(())
}

pub fn live_parent(store: &Store, account_id: &str, id: &str, kind: Kind, param: &str) -> GraphResult<Node> {
    match store.nodes.get(id) {
        Some(n) if n.kind == kind && n.account_id == account_id && n.status() != "DELETED" => Ok(n.clone()),
        Some(n) if n.kind == kind && n.status() == "DELETED" => {
            Err(GraphError::invalid_param(format!("(#100) {param} {id} refers to a deleted object")).subcode(subcodes::OBJECT_DELETED))
        }
        _ => Err(GraphError::invalid_param(format!("(#100) Param {param} must be a valid id of this ad account, got {id}"))),
    }
}

/// A campaign's special ad categories (NONE already left out).
pub fn categories(n: &Node) -> Vec<String> {
    string_list(n.fields.get("special_ad_categories")).into_iter().filter(|c| c != "NONE").collect()
}

/// Unix seconds, or an ISO 8601 time as the SDKs send it (`2026-01-02T03:04:05+0000`, RFC 3339).
pub fn parse_time(p: &Params, key: &str) -> GraphResult<Option<i64>> {
    let bad = || GraphError::invalid_param(format!("(#100) Param {key} must be a Unix timestamp or an ISO 8601 time"));
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => {
            if let Ok(n) = s.parse::<i64>() {
                return Ok(Some(n));
            }
            chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(s))
                .map(|t| Some(t.timestamp()))
                .map_err(|_| bad())
        }
        Some(_) => Err(bad()),
    }
}

/// Budgets render as numeric strings and bids as numbers, whichever way they arrived.
fn normalized(key: &str, v: &Value) -> Value {
    match (key, v) {
        ("daily_budget" | "lifetime_budget", Value::Number(n)) => json!(n.to_string()),
        ("bid_amount", Value::String(s)) => s.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// The parameters without an `id` naming the object the path names: Meta's SDKs send an object's
/// own id with its writes (the Node.js SDK exports every field set on the object).
fn without_own_id(p: &Params, own: &[String]) -> Params {
    let mut p = p.clone();
    let named = p.get("id").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
    if named.is_some_and(|id| own.contains(&id)) {
        p.0.remove("id");
    }
    p
}

/// Validates a create and returns what it makes, not yet stored: parents made from nested specs
/// (`campaign_spec`, `adset_spec`, an inline `creative`) first, the requested object last.
pub fn build(store: &Store, account_id: &str, kind: Kind, p: &Params) -> GraphResult<Vec<Node>> {
    let p = &without_own_id(p, &[account_id.to_string(), format!("act_{account_id}")]);
    if let Some(k) = READ_ONLY.iter().find(|k| p.get(k).is_some()) {
        return Err(GraphError::invalid_param(format!("(#100) Param {k} cannot be set")));
    }
    within_cap(store, account_id, p)?;
    match kind {
        Kind::Campaign => Ok(vec![crate::campaigns::build(store, account_id, p)?]),
        Kind::AdSet => crate::adsets::build(store, account_id, p),
        Kind::Ad => crate::ads::build(store, account_id, p),
        Kind::Creative => Ok(vec![crate::creatives::build(store, account_id, p)?]),
        Kind::CustomAudience => Ok(vec![crate::audiences::build(store, account_id, p)?]),
        Kind::AdImage | Kind::LeadForm | Kind::Lead | Kind::ReportRun | Kind::Dataset => Err(GraphError::unknown_path(kind.edge())),
    }
}

/// The node a kind's create makes: its own `fields` plus every other parameter as given.
pub fn finish(
    store: &Store,
    kind: Kind,
    account_id: &str,
    p: &Params,
    mut fields: Map<String, Value>,
    parents: (Option<String>, Option<String>),
) -> GraphResult<Node> {
    if kind.has_status() {
        // IN_PROCESS and WITH_ISSUES are review states Meta sets on a creative, not a client.
        let allowed: &[&str] = if kind == Kind::Creative { &["ACTIVE"] } else { &["ACTIVE", "PAUSED"] };
        one_of(p, "status", allowed)?;
        fields.insert("status".into(), json!(p.str("status").unwrap_or("ACTIVE")));
    }
    for (k, v) in &p.0 {
        if !INFRA.contains(&k.as_str()) && !CONSUMED.contains(&k.as_str()) {
            fields.entry(k.clone()).or_insert_with(|| normalized(k, v));
        }
    }
    let now = store.now();
    Ok(Node {
        id: placeholder(kind),
        kind,
        account_id: account_id.to_string(),
        campaign_id: parents.0,
        adset_id: parents.1,
        fields,
        created: now,
        updated: now,
        delivery_override: None,
    })
}

/// Validates an update and applies it to a copy of the node.
pub fn apply_update(store: &Store, node: &Node, p: &Params) -> GraphResult<Node> {
    if node.status() == "DELETED" {
        return Err(GraphError::invalid_param(format!("(#100) Object {} has been deleted and cannot be updated", node.id)).subcode(subcodes::OBJECT_DELETED));
    }
    let p = &without_own_id(p, std::slice::from_ref(&node.id));
    if let Some(k) = READ_ONLY.iter().chain(["campaign_id", "adset_id", "objective"].iter()).find(|k| p.get(k).is_some()) {
        return Err(GraphError::invalid_param(format!("(#100) Param {k} cannot be changed on an existing object")));
    }
    within_cap(store, &node.account_id, p)?;
    match node.kind {
        Kind::Creative => one_of(p, "status", crate::creatives::STATUSES)?,
        k if k.has_status() => one_of(p, "status", SETTABLE_STATUS)?,
        _ => {}
    }
    let overrides = match node.kind {
        Kind::Campaign => crate::campaigns::check_update(node, p)?,
        Kind::AdSet => crate::adsets::check_update(store, node, p)?,
        Kind::Ad => crate::ads::check_update(store, node, p)?,
        Kind::Creative => crate::creatives::check_update(store, node, p)?,
        _ => Map::new(),
    };
    if node.kind != Kind::Campaign && node.kind != Kind::AdSet {
        if let Some(key) = ["daily_budget", "lifetime_budget"].into_iter().find(|k| p.get(k).is_some()) {
            return Err(GraphError::invalid_param(format!("(#100) {key} cannot be set on an object that does not use it")));
        }
    }
    let mut next = node.clone();
    for (k, v) in &p.0 {
        if !INFRA.contains(&k.as_str()) {
            next.fields.insert(k.clone(), normalized(k, v));
        }
    }
    next.fields.extend(overrides);
    next.updated = store.now();
    Ok(next)
}

/// All members Graph can return for a node (before field selection); members that read
/// insights only when `asked`.
pub fn render_full(store: &Store, n: &Node, asked: &dyn Fn(&str) -> bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(n.id));
    m.insert("account_id".into(), json!(n.account_id));
    for (k, v) in &n.fields {
        m.insert(k.clone(), v.clone());
    }
    for (k, v) in crate::full::derived(store, n, asked) {
        m.entry(k).or_insert(v);
    }
    // v28.0 reads an ad set's bid as a numeric string, like its budgets.
    if n.kind == Kind::AdSet && store.serving >= crate::versions::Version(28) {
        if let Some(b) = m.get("bid_amount").and_then(Value::as_i64) {
            m.insert("bid_amount".into(), json!(b.to_string()));
        }
    }
    if n.kind.has_status() {
        m.insert("configured_status".into(), json!(n.status()));
        m.insert("effective_status".into(), json!(store.effective_status(n)));
    }
    if n.kind == Kind::CustomAudience {
        let (lo, hi) = crate::audiences::approximate_count(store, n);
        m.insert("approximate_count_lower_bound".into(), json!(lo));
        m.insert("approximate_count_upper_bound".into(), json!(hi));
    }
    if let Some(c) = &n.campaign_id {
        m.insert("campaign_id".into(), json!(c));
    }
    if let Some(s) = &n.adset_id {
        m.insert("adset_id".into(), json!(s));
    }
    m.insert("created_time".into(), json!(Store::iso(n.created)));
    m.insert("updated_time".into(), json!(Store::iso(n.updated)));
    m
}

/// Members returned when the request names no fields.
pub fn default_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Lead => &["id", "created_time"],
        Kind::AdImage => &["id", "hash"],
        Kind::Dataset => &["id", "name"],
        _ => &["id"],
    }
}
