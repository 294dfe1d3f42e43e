//! The control API (`/__control/...`), for tests and the demo: seed accounts, mint tokens,
//! move the clock, inject faults, and read what "Meta" received.

use crate::error::GraphError;
use crate::insights::{self, Level, Query};
use crate::params::Params;
use crate::server::Shared;
use crate::store::{Fault, FaultKind, Kind, Node, Store, Subscription, Token};
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/reset", post(reset))
        .route("/accounts", post(seed_account))
        .route("/tokens", post(create_token))
        .route("/tokens/expire", post(expire_token))
        .route("/tokens/revoke", post(revoke_token))
        .route("/time", get(time))
        .route("/time/advance", post(advance))
        .route("/time/freeze", post(freeze))
        .route("/faults", post(add_fault).delete(clear_faults).get(list_faults))
        .route("/ledger", get(ledger).delete(clear_ledger))
        .route("/counters", get(counters))
        .route("/truth", get(truth))
        .route("/objects/{id}/delivery", post(set_delivery))
        .route("/config", post(config))
        .route("/leadgen_forms", post(create_form))
        .route("/leads", post(create_lead))
        .route("/datasets", post(create_dataset))
        .route("/datasets/{id}/events", get(dataset_events))
        .route("/webhooks/deliveries", get(deliveries))
        .route("/audiences/{id}/members", get(audience_members))
        .route("/sink/{name}", post(sink_receive).get(sink_list))
        .route("/sink_fail", post(sink_fail))
}

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg.into() }))).into_response()
}

async fn reset(State(s): State<Shared>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    let cfg = st.cfg.clone();
    *st = Store::new(cfg, None);
    Json(json!({ "reset": true }))
}

#[derive(Deserialize)]
struct SeedSpec {
    account_id: Option<String>,
    name: Option<String>,
    currency: Option<String>,
    timezone_name: Option<String>,
    #[serde(default = "d2")]
    campaigns: usize,
    #[serde(default = "d2")]
    adsets_per_campaign: usize,
    #[serde(default = "d2")]
    ads_per_adset: usize,
    #[serde(default = "d30")]
    days: i64,
    access_token: Option<String>,
    scopes: Option<Vec<String>>,
    call_budget: Option<u32>,
    /// `development_access` for Meta's lower budgets (default `standard_access`).
    access_tier: Option<String>,
    /// Calls per window for single use cases, e.g. `{"ads_insights": 6}`.
    #[serde(default)]
    budgets: std::collections::BTreeMap<String, u32>,
    special_ad_categories: Option<Vec<String>>,
    name_prefix: Option<String>,
    #[serde(default)]
    system_user: bool,
    /// Insights from the delivery model (budgets, status, fatigue) instead of the legacy hash.
    #[serde(default)]
    delivery_model: bool,
}
fn d2() -> usize {
    2
}
fn d30() -> i64 {
    30
}

/// The Page seeded creatives, ad sets and lead forms run as.
const SEED_PAGE: &str = "5550001";

/// A seeded campaign as the rules for new ones would leave it: ad set budgets, no budget sharing,
/// and the country of its special ad categories.
fn campaign_fields(name: &str, cats: &[String]) -> Value {
    let mut v = json!({ "name": name, "objective": "OUTCOME_LEADS", "status": "ACTIVE", "special_ad_categories": cats, "buying_type": "AUCTION", "is_adset_budget_sharing_enabled": false });
    if cats.iter().any(|c| c != "NONE") {
        v["special_ad_category_country"] = json!(["US"]);
    }
    v
}

fn node(store: &mut Store, kind: Kind, account: &str, campaign: Option<&str>, adset: Option<&str>, fields: Value, created: i64) -> String {
    let id = store.new_id();
    let fields: Map<String, Value> = fields.as_object().cloned().unwrap_or_default();
    store.put(Node {
        id: id.clone(),
        kind,
        account_id: account.into(),
        campaign_id: campaign.map(Into::into),
        adset_id: adset.map(Into::into),
        fields,
        created,
        updated: created,
        delivery_override: None,
    });
    id
}

/// Seeds an ad account of a given shape with `days` of history, and a token that can see it.
async fn seed_account(State(s): State<Shared>, Json(spec): Json<SeedSpec>) -> Response {
    match seed(&mut s.lock().unwrap(), &spec) {
        Ok(v) => Json(v).into_response(),
        Err(msg) => bad(msg),
    }
}

fn seed(st: &mut Store, spec: &SeedSpec) -> Result<Value, String> {
    if spec.campaigns * spec.adsets_per_campaign * spec.ads_per_adset > 20_000 {
        return Err("at most 20,000 ads per seeded account".into());
    }
    let tz = spec.timezone_name.clone().unwrap_or_else(|| "America/Los_Angeles".into());
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(format!("unknown time zone {tz}"));
    }
    let id = spec
        .account_id
        .clone()
        .map(|a| a.trim_start_matches("act_").to_string())
        .unwrap_or_else(|| format!("{}", 100_000_000 + st.accounts.len() as u64 * 7 + 1));
    if st.accounts.contains_key(&id) {
        return Err(format!("account {id} exists"));
    }
    let created = st.now() - spec.days.max(0) * 86_400 - 3_600;
    st.add_account(&id, spec.name.as_deref().unwrap_or("Sim ad account"), spec.currency.as_deref().unwrap_or("USD"), &tz, created);
    let acct = st.accounts.get_mut(&id).unwrap();
    acct.call_budget = spec.call_budget;
    acct.use_case_budgets = spec.budgets.clone();
    match spec.access_tier.as_deref() {
        None => {}
        Some(t @ (crate::usage::STANDARD | crate::usage::DEVELOPMENT)) => acct.access_tier = t.to_string(),
        Some(_) => return Err("access_tier must be standard_access or development_access".into()),
    }
    // Set before any object exists, so every object's history starts at its creation.
    acct.delivery_model = spec.delivery_model;
    let cats = spec.special_ad_categories.clone().unwrap_or_else(|| vec!["EMPLOYMENT".into()]);
    let prefix = spec.name_prefix.as_deref().unwrap_or("Campaign");
    let creative = node(
        st,
        Kind::Creative,
        &id,
        None,
        None,
        json!({ "name": "Drive with us", "status": "ACTIVE", "object_story_spec": { "page_id": SEED_PAGE, "link_data": { "message": "Now hiring drivers", "link": "https://example.com/jobs" } } }),
        created,
    );
    let (mut n_sets, mut n_ads) = (0, 0);
    for c in 0..spec.campaigns {
        let cid = node(st, Kind::Campaign, &id, None, None, campaign_fields(&format!("{prefix} {}", c + 1), &cats), created);
        for a in 0..spec.adsets_per_campaign {
            let sid = node(
                st,
                Kind::AdSet,
                &id,
                Some(&cid),
                None,
                json!({ "name": format!("{prefix} {}.{}", c + 1, a + 1), "status": "ACTIVE", "daily_budget": "5000", "billing_event": "IMPRESSIONS", "optimization_goal": "LEAD_GENERATION", "bid_strategy": "LOWEST_COST_WITHOUT_CAP", "destination_type": "ON_AD", "promoted_object": { "page_id": SEED_PAGE }, "start_time": Store::iso(created), "targeting": { "geo_locations": { "countries": ["US"] } } }),
                created,
            );
            n_sets += 1;
            for d in 0..spec.ads_per_adset {
                node(
                    st,
                    Kind::Ad,
                    &id,
                    Some(&cid),
                    Some(&sid),
                    json!({ "name": format!("{prefix} {}.{}.{}", c + 1, a + 1, d + 1), "status": "ACTIVE", "creative": { "id": creative } }),
                    created,
                );
                n_ads += 1;
            }
        }
    }
    let token = spec.access_token.clone().unwrap_or_else(|| format!("sim-token-{id}"));
    let scopes = spec.scopes.clone().unwrap_or_else(|| vec!["ads_management".into(), "ads_read".into(), "business_management".into()]);
    let now = st.now();
    match st.tokens.get_mut(&token) {
        Some(t) => t.accounts.push(id.clone()),
        None => st.add_token(
            &token,
            Token {
                user_id: if spec.system_user { "20000000000002".into() } else { "10000000000001".into() },
                kind: if spec.system_user { "SYSTEM_USER" } else { "USER" },
                scopes,
                expires_at: if spec.system_user { None } else { Some(now + 60 * 86_400) },
                data_access_expires_at: now + 90 * 86_400,
                revoked: false,
                accounts: vec![id.clone()],
            },
        ),
    }
    Ok(json!({
        "account_id": id,
        "access_token": token,
        "campaigns": spec.campaigns,
        "adsets": n_sets,
        "ads": n_ads,
        "creative_id": creative,
        "delivery_model": spec.delivery_model,
    }))
}

#[derive(Deserialize)]
struct TokenSpec {
    access_token: String,
    #[serde(default)]
    accounts: Vec<String>,
    scopes: Option<Vec<String>>,
    expires_in: Option<i64>,
    #[serde(default)]
    system_user: bool,
}

async fn create_token(State(s): State<Shared>, Json(t): Json<TokenSpec>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    let now = st.now();
    let accounts = t.accounts.iter().map(|a| a.trim_start_matches("act_").to_string()).collect();
    st.add_token(
        &t.access_token,
        Token {
            user_id: if t.system_user { "20000000000002".into() } else { "10000000000001".into() },
            kind: if t.system_user { "SYSTEM_USER" } else { "USER" },
            scopes: t.scopes.unwrap_or_else(|| vec!["ads_management".into(), "ads_read".into()]),
            expires_at: t.expires_in.map(|e| now + e).or(if t.system_user { None } else { Some(now + 60 * 86_400) }),
            data_access_expires_at: now + 90 * 86_400,
            revoked: false,
            accounts,
        },
    );
    Json(json!({ "access_token": t.access_token }))
}

#[derive(Deserialize)]
struct TokenRef {
    access_token: String,
}

async fn expire_token(State(s): State<Shared>, Json(t): Json<TokenRef>) -> Response {
    let mut st = s.lock().unwrap();
    let now = st.now();
    match st.tokens.get_mut(&t.access_token) {
        Some(tok) => {
            tok.expires_at = Some(now - 1);
            Json(json!({ "expired": true })).into_response()
        }
        None => bad("no such token"),
    }
}

async fn revoke_token(State(s): State<Shared>, Json(t): Json<TokenRef>) -> Response {
    let mut st = s.lock().unwrap();
    match st.tokens.get_mut(&t.access_token) {
        Some(tok) => {
            tok.revoked = true;
            Json(json!({ "revoked": true })).into_response()
        }
        None => bad("no such token"),
    }
}

async fn time(State(s): State<Shared>) -> Json<Value> {
    let st = s.lock().unwrap();
    Json(json!({ "now": st.now(), "iso": Store::iso(st.now()) }))
}

#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    days: i64,
}

async fn advance(State(s): State<Shared>, Json(a): Json<Advance>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    st.advanced_secs += a.seconds + a.days * 86_400;
    Json(json!({ "now": st.now(), "iso": Store::iso(st.now()) }))
}

#[derive(Deserialize)]
struct Freeze {
    #[serde(default = "yes")]
    frozen: bool,
    /// Unix seconds to set now to (default: leave now where it is).
    at: Option<i64>,
}
fn yes() -> bool {
    true
}

/// Stops the wall clock's part of simulated now (or restarts it with `"frozen": false`), so runs
/// that seed, write and advance in the same steps see the same instants.
async fn freeze(State(s): State<Shared>, Json(f): Json<Freeze>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    st.set_clock(f.frozen, f.at);
    Json(json!({ "now": st.now(), "iso": Store::iso(st.now()), "frozen": st.frozen_at.is_some() }))
}

#[derive(Deserialize)]
struct FaultSpec {
    kind: String,
    #[serde(default = "one")]
    count: u32,
    status: Option<u16>,
    code: Option<i64>,
    ms: Option<u64>,
    path_contains: Option<String>,
    method: Option<String>,
    /// Let this many matching calls through first (fail "the third ad set create").
    #[serde(default)]
    after: u32,
}
fn one() -> u32 {
    1
}

async fn add_fault(State(s): State<Shared>, Json(f): Json<FaultSpec>) -> Response {
    let kind = match f.kind.as_str() {
        "status" => FaultKind::Status(f.status.unwrap_or(500)),
        "transient" => FaultKind::Transient,
        "throttle" => FaultKind::Throttle(f.code.unwrap_or(17)),
        "latency" => FaultKind::LatencyMs(f.ms.unwrap_or(200)),
        "slow_answer" => FaultKind::SlowAnswerMs(f.ms.unwrap_or(10_000)),
        "drop" => FaultKind::DropConnection,
        "token_expired" => FaultKind::TokenExpired,
        "session_invalidated" => FaultKind::SessionInvalidated,
        other => {
            return bad(format!(
                "unknown fault kind {other}: use status, transient, throttle, latency, slow_answer, drop, token_expired or session_invalidated"
            ))
        }
    };
    if f.count == 0 {
        return bad("count must be at least 1");
    }
    let mut st = s.lock().unwrap();
    st.faults.push_back(Fault { kind, remaining: f.count, path_contains: f.path_contains, method: f.method.map(|m| m.to_ascii_uppercase()), skip: f.after });
    Json(json!({ "queued": st.faults.len() })).into_response()
}

async fn clear_faults(State(s): State<Shared>) -> Json<Value> {
    s.lock().unwrap().faults.clear();
    Json(json!({ "cleared": true }))
}

async fn list_faults(State(s): State<Shared>) -> Json<Value> {
    let st = s.lock().unwrap();
    Json(
        json!({ "pending": st.faults.iter().map(|f| json!({ "kind": format!("{:?}", f.kind), "remaining": f.remaining, "after": f.skip })).collect::<Vec<_>>() }),
    )
}

async fn ledger(State(s): State<Shared>, UrlQuery(q): UrlQuery<HashMap<String, String>>) -> Json<Value> {
    let st = s.lock().unwrap();
    let since: u64 = q.get("since").and_then(|v| v.parse().ok()).unwrap_or(0);
    let entries: Vec<&crate::store::LedgerEntry> = st.ledger.iter().filter(|e| e.seq > since).collect();
    Json(json!({ "entries": entries }))
}

async fn clear_ledger(State(s): State<Shared>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    st.ledger.clear();
    st.counters.clear();
    Json(json!({ "cleared": true }))
}

async fn counters(State(s): State<Shared>) -> Json<Value> {
    let st = s.lock().unwrap();
    let total: u64 = st.counters.values().sum();
    Json(json!({ "total": total, "by_endpoint": st.counters }))
}

/// Ground truth: ad-level daily totals as the generator defines them, for tests to compare with.
async fn truth(State(s): State<Shared>, UrlQuery(q): UrlQuery<HashMap<String, String>>) -> Response {
    let st = s.lock().unwrap();
    let Some(account) = q.get("account_id").map(|a| a.trim_start_matches("act_").to_string()) else {
        return bad("account_id is required");
    };
    if !st.accounts.contains_key(&account) {
        return bad("no such account");
    }
    let today = insights::account_today(&st, &account);
    let parse = |k: &str| q.get(k).and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok());
    let (Some(since), Some(until)) = (parse("since"), parse("until")) else {
        return bad("since and until (YYYY-MM-DD) are required");
    };
    let query = Query::plain(Level::Ad, since, until, Some(1), &["impressions", "spend", "clicks", "actions"]);
    let rows = insights::run(&st, &account, None, &query);
    let mut by_day: std::collections::BTreeMap<String, (i64, i64, i64, i64)> = Default::default();
    for r in &rows {
        let day = r["date_start"].as_str().unwrap_or_default().to_string();
        let e = by_day.entry(day).or_default();
        e.0 += r["impressions"].as_str().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let spend = r["spend"].as_str().unwrap_or("0.00");
        let (u, c) = spend.split_once('.').unwrap_or((spend, "0"));
        e.1 += u.parse::<i64>().unwrap_or(0) * 100 + c.parse::<i64>().unwrap_or(0);
        e.2 += r["clicks"].as_str().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        e.3 += r["actions"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["action_type"] == "lead"))
            .and_then(|x| x["value"].as_str())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
    }
    let days: Vec<Value> = by_day.iter().map(|(d, t)| json!({ "date": d, "impressions": t.0, "spend_cents": t.1, "clicks": t.2, "leads": t.3 })).collect();
    let sum = by_day.values().fold((0, 0, 0, 0), |a, t| (a.0 + t.0, a.1 + t.1, a.2 + t.2, a.3 + t.3));
    Json(json!({ "account_id": account, "today": today.to_string(), "rows": rows.len(), "days": days, "totals": { "impressions": sum.0, "spend_cents": sum.1, "clicks": sum.2, "leads": sum.3 } })).into_response()
}

#[derive(Deserialize)]
struct Delivery {
    effective_status: Option<String>,
}

async fn set_delivery(State(s): State<Shared>, Path(id): Path<String>, Json(d): Json<Delivery>) -> Response {
    let mut st = s.lock().unwrap();
    let Some(mut n) = st.nodes.get(&id).cloned() else {
        return bad("no such object");
    };
    n.delivery_override = d.effective_status;
    let account = n.account_id.clone();
    st.put(n);
    crate::webhooks::object_changed(&mut st, &account, &id, "updated");
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct ConfigSpec {
    require_proof: Option<bool>,
    report_polls_to_finish: Option<u32>,
    fail_next_reports: Option<u32>,
    attribution_lag_days: Option<i64>,
    app_call_budget: Option<u32>,
    usage_window_secs: Option<i64>,
    account_call_budget: Option<(String, u32)>,
    base_latency_ms: Option<u64>,
    account_total_skew_cents: Option<i64>,
}

async fn config(State(s): State<Shared>, Json(c): Json<ConfigSpec>) -> Json<Value> {
    let mut st = s.lock().unwrap();
    if let Some(v) = c.require_proof {
        st.cfg.require_proof = v;
    }
    if let Some(v) = c.account_total_skew_cents {
        st.account_total_skew_cents = v;
    }
    if let Some(v) = c.fail_next_reports {
        st.fail_next_reports = v;
    }
    if let Some(v) = c.report_polls_to_finish {
        st.report_polls_to_finish = v.max(1);
    }
    if let Some(v) = c.attribution_lag_days {
        st.attribution_lag_days = v.max(1);
    }
    if let Some(v) = c.app_call_budget {
        st.app_call_budget = v;
    }
    if let Some(v) = c.usage_window_secs {
        st.usage_window_secs = v.max(1);
    }
    if let Some(ms) = c.base_latency_ms {
        st.base_latency_ms = ms;
    }
    if let Some((acct, budget)) = c.account_call_budget {
        if let Some(a) = st.accounts.get_mut(acct.trim_start_matches("act_")) {
            a.call_budget = Some(budget);
        }
    }
    Json(json!({ "require_proof": st.cfg.require_proof, "report_polls_to_finish": st.report_polls_to_finish, "attribution_lag_days": st.attribution_lag_days }))
}

#[derive(Deserialize)]
struct FormSpec {
    account_id: String,
    name: String,
    page_id: Option<String>,
    locale: Option<String>,
}

async fn create_form(State(s): State<Shared>, Json(f): Json<FormSpec>) -> Response {
    let mut st = s.lock().unwrap();
    let account = f.account_id.trim_start_matches("act_").to_string();
    if !st.accounts.contains_key(&account) {
        return bad("no such account");
    }
    let now = st.now();
    let id = node(
        &mut st,
        Kind::LeadForm,
        &account,
        None,
        None,
        json!({ "name": f.name, "page_id": f.page_id.unwrap_or_else(|| SEED_PAGE.into()), "status": "ACTIVE", "locale": f.locale.unwrap_or_else(|| "en_US".into()) }),
        now,
    );
    Json(json!({ "id": id })).into_response()
}

#[derive(Deserialize)]
struct LeadSpec {
    form_id: String,
    ad_id: Option<String>,
    field_data: Value,
}

async fn create_lead(State(s): State<Shared>, Json(l): Json<LeadSpec>) -> Response {
    let mut st = s.lock().unwrap();
    let Some(form) = st.nodes.get(&l.form_id).filter(|n| n.kind == Kind::LeadForm).cloned() else {
        return bad("no such form");
    };
    let now = st.now();
    let id =
        node(&mut st, Kind::Lead, &form.account_id, Some(&form.id), None, json!({ "form_id": form.id, "ad_id": l.ad_id, "field_data": l.field_data }), now);
    let page = form.fields.get("page_id").and_then(Value::as_str).unwrap_or(SEED_PAGE).to_string();
    crate::webhooks::lead_created(&mut st, &page, json!({ "leadgen_id": id, "form_id": form.id, "ad_id": l.ad_id, "page_id": page, "created_time": now }));
    Json(json!({ "id": id })).into_response()
}

#[derive(Deserialize)]
struct DatasetSpec {
    account_id: String,
    name: Option<String>,
}

/// A dataset (pixel) shared with an ad account, so the account's token may send it events.
async fn create_dataset(State(s): State<Shared>, Json(d): Json<DatasetSpec>) -> Response {
    let mut st = s.lock().unwrap();
    let account = d.account_id.trim_start_matches("act_").to_string();
    if !st.accounts.contains_key(&account) {
        return bad("no such account");
    }
    let now = st.now();
    let id = node(&mut st, Kind::Dataset, &account, None, None, json!({ "name": d.name.unwrap_or_else(|| "CRM dataset".into()) }), now);
    Json(json!({ "id": id })).into_response()
}

/// The events a dataset accepted through the Conversions API.
async fn dataset_events(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let st = s.lock().unwrap();
    match st.nodes.get(&id) {
        Some(n) if n.kind == Kind::Dataset => Json(json!({ "data": st.server_events.get(&id).cloned().unwrap_or_default() })).into_response(),
        _ => bad("no such dataset"),
    }
}

/// What reached a customer-list audience: only hashes (and the keys Meta takes unhashed).
async fn audience_members(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let st = s.lock().unwrap();
    match st.nodes.get(&id) {
        Some(n) if n.kind == Kind::CustomAudience => Json(crate::audiences::members_json(&st, &id)).into_response(),
        _ => bad("no such custom audience"),
    }
}

/// A customer's endpoint: records each POST (headers, body and whether it was refused); the next
/// `sink_fail_next` are answered 503.
async fn sink_receive(State(s): State<Shared>, Path(name): Path<String>, headers: axum::http::HeaderMap, body: axum::body::Bytes) -> Response {
    let mut st = s.lock().unwrap();
    let refused = st.sink_fail_next > 0;
    st.sink_fail_next = st.sink_fail_next.saturating_sub(1);
    let headers: Map<String, Value> = headers.iter().map(|(k, v)| (k.as_str().to_string(), json!(v.to_str().unwrap_or_default()))).collect();
    st.sinks.entry(name).or_default().push(json!({ "headers": headers, "body": String::from_utf8_lossy(&body), "refused": refused }));
    if refused {
        (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
    } else {
        (StatusCode::OK, "ok").into_response()
    }
}

async fn sink_list(State(s): State<Shared>, Path(name): Path<String>) -> Json<Value> {
    Json(json!({ "received": s.lock().unwrap().sinks.get(&name).cloned().unwrap_or_default() }))
}

#[derive(Deserialize)]
struct SinkFail {
    next: u32,
}

async fn sink_fail(State(s): State<Shared>, Json(f): Json<SinkFail>) -> Json<Value> {
    s.lock().unwrap().sink_fail_next = f.next;
    Json(json!({ "sink_fail_next": f.next }))
}

async fn deliveries(State(s): State<Shared>) -> Json<Value> {
    let st = s.lock().unwrap();
    Json(json!({ "subscriptions": st.subscriptions, "deliveries": st.deliveries }))
}

/// `POST|GET /{app_id}/subscriptions` with the app token, as Meta's API takes them.
pub async fn subscriptions(store: Shared, method: &str, path: &str, p: Params) -> Response {
    let (app_id, secret, token_ok) = {
        let st = store.lock().unwrap();
        let app_token = format!("{}|{}", st.cfg.app_id, st.cfg.app_secret);
        (st.cfg.app_id.clone(), st.cfg.app_secret.clone(), p.str("access_token") == Some(app_token.as_str()))
    };
    let _ = secret;
    let fail = |e: GraphError| (StatusCode::from_u16(e.http_status).unwrap(), Json(e.to_json("Asubscriptions"))).into_response();
    if path.trim_end_matches("/subscriptions") != app_id {
        return fail(GraphError::unknown_object(path.trim_end_matches("/subscriptions")));
    }
    if !token_ok {
        return fail(GraphError::new(400, "OAuthException", 15, "(#15) This method must be called with an app access_token."));
    }
    if method == "GET" {
        let st = store.lock().unwrap();
        let data: Vec<Value> = st.subscriptions.iter().map(|s| json!({ "object": s.object, "callback_url": s.callback_url, "fields": s.fields.iter().map(|f| json!({ "name": f, "version": "v26.0" })).collect::<Vec<_>>(), "active": true })).collect();
        return Json(json!({ "data": data })).into_response();
    }
    let (Some(object), Some(url), Some(verify)) =
        (p.str("object").map(str::to_string), p.str("callback_url").map(str::to_string), p.str("verify_token").map(str::to_string))
    else {
        return fail(GraphError::invalid_param("(#100) object, callback_url and verify_token are required"));
    };
    let fields = p.list("fields").unwrap_or_default();
    let challenge = format!("{}", store.lock().unwrap().hash(&["challenge", &url]) % 1_000_000_000);
    let check = tokio::task::spawn_blocking(move || crate::webhooks::verify_callback(&url, &verify, &challenge).map(|_| url)).await;
    match check {
        Ok(Ok(url)) => {
            let mut st = store.lock().unwrap();
            st.subscriptions.retain(|s| !(s.object == object && s.callback_url == url));
            st.subscriptions.push(Subscription { object, callback_url: url, fields });
            Json(json!({ "success": true })).into_response()
        }
        Ok(Err(reason)) => fail(GraphError::invalid_param(format!("(#2200) callback verification failed: {reason}")).subcode(2200)),
        Err(_) => fail(GraphError::new(500, "OAuthException", 1, "An unknown error has occurred.")),
    }
}

/// The demo account `scripts/dev` starts with: 3 campaigns x 2 ad sets x 2 ads, 30 days, seen by
/// a system-user token.
pub fn seed_demo(store: &Shared, token: &str) {
    let spec = SeedSpec {
        account_id: Some("100200300".into()),
        name: Some("Demo drivers".into()),
        currency: None,
        timezone_name: None,
        campaigns: 3,
        adsets_per_campaign: 2,
        ads_per_adset: 2,
        days: 30,
        access_token: Some(token.into()),
        scopes: None,
        call_budget: None,
        access_tier: None,
        budgets: Default::default(),
        special_ad_categories: None,
        name_prefix: Some("Drivers".into()),
        system_user: true,
        delivery_model: false,
    };
    seed(&mut store.lock().unwrap(), &spec).expect("the demo account seeds");
}
