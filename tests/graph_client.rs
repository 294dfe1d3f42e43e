//! The Graph client, natively, against the simulator: every error class, the usage headers,
//! retries and their bounds, paging, the batch API, and that the token stays out of URLs.

use adgate::graph::native::UreqTransport;
use adgate::graph::{
    BatchCall, BatchResult, ErrorClass, GraphClient, GraphConfig, GraphFailure, HttpClient, HttpRequest, HttpResponse, QuotaObserver, QuotaSnapshot,
    RetryPolicy, Sleeper, TransportError,
};
use futures::executor::block_on;
use graph_sim::Config;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The native transport, keeping every URL it was asked for.
#[derive(Clone, Default)]
struct Ureq {
    inner: UreqTransport,
    urls: Rc<RefCell<Vec<String>>>,
}

impl HttpClient for Ureq {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.urls.borrow_mut().push(req.url.clone());
        self.inner.send(req).await
    }
}

/// Records the waits instead of sleeping, so retry tests are fast and exact.
#[derive(Clone, Default)]
struct FakeSleep(Rc<RefCell<Vec<u64>>>);

impl Sleeper for FakeSleep {
    async fn sleep_ms(&self, ms: u64) {
        self.0.borrow_mut().push(ms);
    }
}

#[derive(Default)]
struct Seen {
    snapshots: RefCell<Vec<QuotaSnapshot>>,
    throttles: RefCell<Vec<i64>>,
}

struct Obs(Rc<Seen>);

impl QuotaObserver for Obs {
    fn observe(&self, s: &QuotaSnapshot) {
        self.0.snapshots.borrow_mut().push(s.clone());
    }
    fn throttled(&self, e: &adgate::graph::GraphApiError) {
        self.0.throttles.borrow_mut().push(e.code);
    }
}

fn start_sim() -> String {
    graph_sim::spawn_background(Config { require_proof: true, ..Config::default() }).0
}

fn control(base: &str, path: &str, body: Value) -> Value {
    ureq::post(&format!("{base}/__control{path}")).send_json(body).unwrap().into_json().unwrap()
}

fn ledger(base: &str) -> Vec<Value> {
    let v: Value = ureq::get(&format!("{base}/__control/ledger")).call().unwrap().into_json().unwrap();
    v["entries"].as_array().unwrap().clone()
}

struct Fixture {
    base: String,
    account: String,
    client: GraphClient<Ureq, FakeSleep>,
    http: Ureq,
    sleeps: FakeSleep,
    seen: Rc<Seen>,
    token: String,
}

fn fixture(spec: Value) -> Fixture {
    fixture_with(spec, RetryPolicy::default())
}

fn fixture_with(spec: Value, policy: RetryPolicy) -> Fixture {
    let base = start_sim();
    let seeded = control(&base, "/accounts", spec);
    let token = seeded["access_token"].as_str().unwrap().to_string();
    let (http, sleeps, seen) = (Ureq::default(), FakeSleep::default(), Rc::new(Seen::default()));
    let cfg = GraphConfig { base_url: base.clone(), version: "v26.0".into(), app_secret: "sim-app-secret".into(), policy, retry_mutations: false };
    let client = GraphClient::new(cfg, &token, http.clone(), sleeps.clone(), 7).with_observer(Box::new(Obs(seen.clone())));
    Fixture { base, account: format!("act_{}", seeded["account_id"].as_str().unwrap()), client, http, sleeps, seen, token }
}

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn reads_with_appsecret_proof_and_keeps_the_token_out_of_urls() {
    let f = fixture(json!({"campaigns": 2, "days": 3}));
    let (body, meta) = block_on(f.client.get(&f.account, &p(&[("fields", "name,currency")]))).unwrap();
    assert_eq!(body["currency"], "USD");
    assert_eq!(meta.attempts, 1);
    assert!(meta.fbtrace_id.is_some());
    let q = meta.quota.expect("usage headers parsed");
    assert!(q.account_util_pct.is_some() && q.app_call_pct.is_some() && q.buc_max_pct.is_some());
    assert_eq!(f.seen.snapshots.borrow().len(), 1, "the observer saw the call's quota");
    assert!(f.http.urls.borrow().iter().all(|u| !u.contains(&f.token)), "token never in a URL");
    assert!(f.http.urls.borrow()[0].contains("appsecret_proof="));
}

#[test]
fn pages_through_an_edge_with_cursors() {
    let f = fixture(json!({"campaigns": 12, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 1}));
    let mut pager = f.client.pages(&format!("{}/campaigns", f.account), &p(&[("fields", "name"), ("limit", "5")]));
    let all = block_on(pager.collect_all()).unwrap();
    assert_eq!(all.len(), 12);
    assert_eq!(pager.calls, 3);
    let ids: std::collections::HashSet<_> = all.iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 12, "no page repeated");
}

#[test]
fn transient_errors_are_retried_with_jittered_backoff_then_succeed() {
    let f = fixture(json!({"campaigns": 1, "days": 1}));
    control(&f.base, "/faults", json!({"kind": "status", "status": 503, "count": 1}));
    control(&f.base, "/faults", json!({"kind": "transient", "count": 1}));
    let (_, meta) = block_on(f.client.get(&format!("{}/campaigns", f.account), &[])).unwrap();
    assert_eq!(meta.attempts, 3);
    let sleeps = f.sleeps.0.borrow().clone();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] <= 200 && sleeps[1] <= 400, "{sleeps:?}");
    assert_eq!(ledger(&f.base).len(), 3, "the simulator received three calls");
}

#[test]
fn transient_errors_stop_at_the_attempt_bound() {
    let f = fixture(json!({"campaigns": 1, "days": 1}));
    control(&f.base, "/faults", json!({"kind": "transient", "count": 10}));
    let err = block_on(f.client.get(&format!("{}/campaigns", f.account), &[])).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Transient);
    assert_eq!(err.graph_error().unwrap().code, 2);
    assert_eq!(ledger(&f.base).len(), 4, "max_attempts = 4");
}

#[test]
fn a_dropped_connection_is_a_transport_failure_that_is_retried() {
    let f = fixture(json!({"campaigns": 3, "days": 1}));
    control(&f.base, "/faults", json!({"kind": "drop"}));
    let (body, meta) = block_on(f.client.get(&format!("{}/campaigns", f.account), &[])).unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(meta.attempts, 2);
}

#[test]
fn throttling_waits_for_metas_estimate_and_tells_the_observer() {
    let patient = RetryPolicy { max_throttle_wait_ms: 120_000, ..RetryPolicy::default() };
    let f = fixture_with(json!({"campaigns": 1, "days": 1}), patient);
    control(&f.base, "/faults", json!({"kind": "throttle", "code": 80004}));
    let (_, meta) = block_on(f.client.get(&format!("{}/campaigns", f.account), &[])).unwrap();
    assert_eq!(meta.attempts, 2);
    assert_eq!(*f.sleeps.0.borrow(), vec![60_000], "estimated_time_to_regain_access = 1 minute");
    assert_eq!(*f.seen.throttles.borrow(), vec![80004]);

    // With the default bound (30 s) a one-minute estimate is handed back to the caller at once.
    let f = fixture(json!({"campaigns": 1, "days": 1}));
    control(&f.base, "/faults", json!({"kind": "throttle", "code": 17}));
    let err = block_on(f.client.get(&format!("{}/campaigns", f.account), &[])).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Throttled);
    assert_eq!(err.graph_error().unwrap().subcode, Some(2_446_079));
    assert!(f.sleeps.0.borrow().is_empty());
}

#[test]
fn auth_and_permanent_errors_are_not_retried_and_keep_metas_details() {
    let f = fixture(json!({"campaigns": 1, "days": 1}));
    let err = block_on(f.client.post(&format!("{}/campaigns", f.account), &p(&[("name", "x"), ("objective", "OUTCOME_LEADS")]))).unwrap_err();
    let e = err.graph_error().unwrap();
    assert_eq!((err.class(), e.code), (ErrorClass::Permanent, 100));
    assert_eq!(e.user_title.as_deref(), Some("Special Ad Categories Required"));
    assert!(e.fbtrace_id.is_some());
    control(&f.base, "/faults", json!({"kind": "token_expired"}));
    let err = block_on(f.client.get(&f.account, &[])).unwrap_err();
    let e = err.graph_error().unwrap();
    assert_eq!((err.class(), e.code, e.subcode), (ErrorClass::Auth, 190, Some(463)));
    assert!(!format!("{err:?} {err}").contains(&f.token), "errors never carry the token");
    assert!(f.sleeps.0.borrow().is_empty());
    assert_eq!(ledger(&f.base).len(), 2);
}

#[test]
fn writes_are_not_retried_after_a_server_error() {
    let f = fixture(json!({"campaigns": 0, "days": 1}));
    control(&f.base, "/faults", json!({"kind": "status", "status": 500}));
    let params = p(&[
        ("name", "Jobs"),
        ("objective", "OUTCOME_LEADS"),
        ("special_ad_categories", "[\"EMPLOYMENT\"]"),
        ("special_ad_category_country", "[\"US\"]"),
        ("is_adset_budget_sharing_enabled", "false"),
    ]);
    let err = block_on(f.client.post(&format!("{}/campaigns", f.account), &params)).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Transient);
    assert_eq!(ledger(&f.base).len(), 1, "a write that may have landed is not sent twice");
    let (created, _) = block_on(f.client.post(&format!("{}/campaigns", f.account), &params)).unwrap();
    assert!(created["id"].is_string());
}

#[test]
fn batch_api_returns_one_result_per_call_across_chunks_of_fifty() {
    let f = fixture(json!({"campaigns": 2, "days": 1}));
    let mut calls: Vec<BatchCall> = (0..60).map(|_| BatchCall::get(f.account.as_str(), &[("fields".to_string(), "name".to_string())])).collect();
    calls.push(BatchCall::get("424242?fields=name", &[]));
    let results = block_on(f.client.batch(&calls)).unwrap();
    assert_eq!(results.len(), 61);
    assert!(results[..60].iter().all(|r| matches!(r, BatchResult::Ok(v) if v["name"].is_string())));
    match &results[60] {
        BatchResult::Err(e) => assert_eq!((e.code, e.subcode), (100, Some(33))),
        other => panic!("{other:?}"),
    }
    let envelopes = ledger(&f.base).iter().filter(|e| e["path"] == "/" && e["batch"] == false).count();
    assert_eq!(envelopes, 2, "61 calls went in two batch requests");
}

#[test]
fn a_wrong_app_secret_fails_the_proof() {
    let f = fixture(json!({"campaigns": 1, "days": 1}));
    let cfg = GraphConfig {
        base_url: f.base.clone(),
        version: "v26.0".into(),
        app_secret: "not-the-secret".into(),
        policy: RetryPolicy::default(),
        retry_mutations: false,
    };
    let client = GraphClient::new(cfg, &f.token, Ureq::default(), FakeSleep::default(), 1);
    let err = block_on(client.get(&f.account, &[])).unwrap_err();
    assert!(matches!(&err, GraphFailure::Graph(e) if e.code == 100 && e.message.contains("appsecret_proof")), "{err}");
    assert!(!format!("{client:?}").contains(&f.token));
}

#[test]
fn a_token_under_inspection_travels_in_a_post_body_never_in_a_url() {
    let f = fixture(json!({"campaigns": 1, "days": 1}));
    let app = "1000000000000001|sim-app-secret";
    let cfg = GraphConfig {
        base_url: f.base.clone(),
        version: "v26.0".into(),
        app_secret: "sim-app-secret".into(),
        policy: RetryPolicy::default(),
        retry_mutations: false,
    };
    let http = Ureq::default();
    let client = GraphClient::new(cfg, app, http.clone(), FakeSleep::default(), 7);
    let (body, _) = block_on(client.get_in_body("debug_token", &p(&[("input_token", &f.token)]))).unwrap();
    assert_eq!(body["data"]["is_valid"], true, "{body}");
    assert!(http.urls.borrow().iter().all(|u| !u.contains(&f.token) && !u.contains("input_token")), "{:?}", http.urls.borrow());
    let entry = ledger(&f.base).into_iter().rfind(|e| e["endpoint"] == "/debug_token").unwrap();
    assert_eq!((entry["method"].as_str(), entry["query_keys"].clone()), (Some("GET"), json!([])), "served as a read, nothing in the URL");
}
