//! The simulator's state: the clock, ad accounts, objects, tokens, usage, faults and the ledger.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub app_id: String,
    pub app_secret: String,
    /// When true, every call must carry a valid `appsecret_proof`.
    pub require_proof: bool,
    /// Public base URL used in `paging.next` links.
    pub base_url: String,
    pub webhook_verify_token: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 42,
            app_id: "1000000000000001".into(),
            app_secret: "sim-app-secret".into(),
            require_proof: false,
            base_url: "http://127.0.0.1".into(),
            webhook_verify_token: "sim-verify-token".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Campaign,
    AdSet,
    Ad,
    Creative,
    AdImage,
    CustomAudience,
    LeadForm,
    Lead,
    ReportRun,
    Dataset,
}

impl Kind {
    /// The account-level edge that lists this kind.
    pub fn edge(self) -> &'static str {
        match self {
            Kind::Campaign => "campaigns",
            Kind::AdSet => "adsets",
            Kind::Ad => "ads",
            Kind::Creative => "adcreatives",
            Kind::AdImage => "adimages",
            Kind::CustomAudience => "customaudiences",
            Kind::LeadForm => "leadgen_forms",
            Kind::Lead => "leads",
            Kind::ReportRun => "insights",
            Kind::Dataset => "adspixels",
        }
    }

    pub fn from_edge(edge: &str) -> Option<Kind> {
        Some(match edge {
            "campaigns" => Kind::Campaign,
            "adsets" => Kind::AdSet,
            "ads" => Kind::Ad,
            "adcreatives" => Kind::Creative,
            "adimages" => Kind::AdImage,
            "customaudiences" => Kind::CustomAudience,
            "leadgen_forms" => Kind::LeadForm,
            "leads" => Kind::Lead,
            "adspixels" => Kind::Dataset,
            _ => return None,
        })
    }

    pub fn has_status(self) -> bool {
        matches!(self, Kind::Campaign | Kind::AdSet | Kind::Ad | Kind::Creative)
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub timezone_name: String,
    pub account_status: i64,
    pub business_id: String,
    pub created: i64,
    /// Calls allowed per usage window on every use case, overriding Meta's formulas (tests).
    pub call_budget: Option<u32>,
    /// Calls allowed per window on one use case (`ads_insights`, ...), overriding the rest (tests).
    pub use_case_budgets: BTreeMap<String, u32>,
    /// The app's Marketing API access tier on this account: `standard_access` or `development_access`.
    pub access_tier: String,
    /// Insights follow budgets, status and fatigue (`crate::delivery`) instead of the legacy
    /// per-(ad, day) hash; set only by seeding with `"delivery_model": true`.
    pub delivery_model: bool,
}

impl Account {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone_name.parse().unwrap_or(chrono_tz::UTC)
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub kind: Kind,
    pub account_id: String,
    pub campaign_id: Option<String>,
    pub adset_id: Option<String>,
    pub fields: Map<String, Value>,
    pub created: i64,
    pub updated: i64,
    /// Set by the control API to simulate review states (IN_PROCESS, WITH_ISSUES, ...).
    pub delivery_override: Option<String>,
}

impl Node {
    pub fn status(&self) -> &str {
        self.fields.get("status").and_then(Value::as_str).unwrap_or("ACTIVE")
    }

    /// A nested member by path, e.g. `creative/id`.
    pub fn at(&self, path: &str) -> Option<&Value> {
        let (first, rest) = path.split_once('/').unwrap_or((path, ""));
        let v = self.fields.get(first)?;
        if rest.is_empty() {
            Some(v)
        } else {
            v.pointer(&format!("/{rest}"))
        }
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub user_id: String,
    pub kind: &'static str,
    pub scopes: Vec<String>,
    pub expires_at: Option<i64>,
    pub data_access_expires_at: i64,
    pub revoked: bool,
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum FaultKind {
    Status(u16),
    Transient,
    Throttle(i64),
    LatencyMs(u64),
    /// The call is done, then its answer waits this long (a caller that stops meanwhile never
    /// learns what Meta did).
    SlowAnswerMs(u64),
    DropConnection,
    TokenExpired,
    /// One 190 answer without touching the token (Meta invalidated the session, e.g. subcode 460).
    SessionInvalidated,
}

#[derive(Debug, Clone)]
pub struct Fault {
    pub kind: FaultKind,
    pub remaining: u32,
    pub path_contains: Option<String>,
    /// Only calls with this HTTP method (any when unset).
    pub method: Option<String>,
    /// Matching calls still to let through before this fault starts failing them.
    pub skip: u32,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LedgerEntry {
    pub seq: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub endpoint: String,
    pub params: Value,
    pub status: u16,
    pub error_code: Option<i64>,
    pub batch: bool,
    /// Parameter names that came in the URL's query string.
    pub query_keys: Vec<String>,
    /// The API version the call was served at (after any auto-upgrade).
    pub version: String,
}

#[derive(Debug, Clone)]
pub struct ReportRun {
    pub id: String,
    pub account_id: String,
    pub object_id: String,
    pub params: crate::params::Params,
    pub created: i64,
    /// Number of status polls after which the job completes (or fails).
    pub polls_to_finish: u32,
    pub polls: u32,
    pub fail: bool,
    /// The finished report's rows, computed once on the first read (Meta materialises a report).
    pub rows: Option<std::sync::Arc<Vec<serde_json::Value>>>,
}

pub struct Store {
    pub cfg: Config,
    /// The API version the call being handled is served at (set per call, under the lock).
    pub serving: crate::versions::Version,
    started: Instant,
    start_sim: i64,
    pub advanced_secs: i64,
    pub accounts: BTreeMap<String, Account>,
    pub nodes: BTreeMap<String, Node>,
    pub tokens: HashMap<String, Token>,
    pub auth_codes: HashMap<String, String>,
    next_id: u64,
    pub ledger: Vec<LedgerEntry>,
    pub counters: BTreeMap<String, u64>,
    pub faults: VecDeque<Fault>,
    pub usage: HashMap<String, VecDeque<i64>>,
    pub app_calls: VecDeque<i64>,
    pub app_call_budget: u32,
    pub usage_window_secs: i64,
    pub report_runs: HashMap<String, ReportRun>,
    pub report_polls_to_finish: u32,
    /// The next this many async report runs fail (as Meta's do when a report is too large).
    pub fail_next_reports: u32,
    /// Days over which late conversions keep arriving.
    pub attribution_lag_days: i64,
    /// Added to the spend of account-level insights rows, in cents: a Meta whose totals disagree
    /// with the sum of its ads (0, the default, keeps them exact).
    pub account_total_skew_cents: i64,
    pub seq: u64,
    pub subscriptions: Vec<Subscription>,
    pub deliveries: Vec<Delivery>,
    /// What was POSTed to `/__control/sink/{name}` (a stand-in for a customer's HTTPS endpoint).
    pub sinks: HashMap<String, Vec<Value>>,
    /// The next this many sink POSTs are answered 503.
    pub sink_fail_next: u32,
    /// Added to every Graph call, to stand in for the network between a client and Meta.
    pub base_latency_ms: u64,
    /// Customer-list members per audience: a canonical row key -> the row as it arrived.
    pub audience_members: BTreeMap<String, BTreeMap<String, Value>>,
    /// Upload sessions per (audience, session id): rows received and rows invalid so far.
    pub audience_sessions: HashMap<(String, String), (u64, u64)>,
    /// Delivery accounts' campaigns, ad sets and ads: their status and budgets over time.
    pub history: HashMap<String, Vec<crate::delivery::Change>>,
    /// Bumped on every history change, so the delivery cache knows when to forget.
    pub history_gen: u64,
    /// Memoised delivery days (behind a lock because insights read the store through `&Store`).
    pub delivery_cache: std::sync::Mutex<crate::delivery::Cache>,
    /// When set, simulated now stops following the wall clock (`/__control/time/freeze`): two
    /// simulators then see the same instants, for repeatable runs.
    pub frozen_at: Option<i64>,
    /// Conversions API events each dataset accepted, as they arrived.
    pub server_events: BTreeMap<String, Vec<Value>>,
}

/// A webhook subscription, made as Meta makes them: `POST /{app_id}/subscriptions`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Subscription {
    pub object: String,
    pub callback_url: String,
    pub fields: Vec<String>,
}

/// One signed change notification and its delivery attempts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub id: u64,
    pub url: String,
    pub body: String,
    pub attempts: u32,
    pub delivered: bool,
    pub gave_up: bool,
    pub last_status: Option<u16>,
    /// Simulated-clock-independent schedule: milliseconds since the simulator started.
    #[serde(skip)]
    pub next_attempt_ms: u128,
}

impl Store {
    pub fn new(cfg: Config, start: Option<DateTime<Utc>>) -> Store {
        let start_sim = start.unwrap_or_else(Utc::now).timestamp();
        Store {
            cfg,
            serving: crate::versions::Version(26),
            started: Instant::now(),
            start_sim,
            advanced_secs: 0,
            accounts: BTreeMap::new(),
            nodes: BTreeMap::new(),
            tokens: HashMap::new(),
            auth_codes: HashMap::new(),
            next_id: 120_200_000_000_000_000,
            ledger: Vec::new(),
            counters: BTreeMap::new(),
            faults: VecDeque::new(),
            usage: HashMap::new(),
            app_calls: VecDeque::new(),
            app_call_budget: 100_000,
            usage_window_secs: 3600,
            report_runs: HashMap::new(),
            report_polls_to_finish: 3,
            fail_next_reports: 0,
            attribution_lag_days: 7,
            account_total_skew_cents: 0,
            seq: 0,
            subscriptions: Vec::new(),
            deliveries: Vec::new(),
            sinks: HashMap::new(),
            sink_fail_next: 0,
            base_latency_ms: 0,
            audience_members: BTreeMap::new(),
            audience_sessions: HashMap::new(),
            history: HashMap::new(),
            history_gen: 0,
            delivery_cache: Default::default(),
            frozen_at: None,
            server_events: BTreeMap::new(),
        }
    }

    /// Simulated now (Unix seconds): the start, plus real time elapsed, plus time advanced.
    pub fn now(&self) -> i64 {
        self.frozen_at.unwrap_or_else(|| self.start_sim + self.started.elapsed().as_secs() as i64) + self.advanced_secs
    }

    /// Stops (`freeze`) or restarts the wall clock's part of now, at `at` (default: now); the
    /// clock then moves only by `advance`. Restarting keeps now continuous.
    pub fn set_clock(&mut self, freeze: bool, at: Option<i64>) {
        let now = at.unwrap_or_else(|| self.now());
        if freeze {
            self.frozen_at = Some(now - self.advanced_secs);
        } else {
            self.frozen_at = None;
            self.advanced_secs = now - (self.start_sim + self.started.elapsed().as_secs() as i64);
        }
    }

    pub fn now_dt(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.now(), 0).single().unwrap_or_default()
    }

    pub fn uptime_ms(&self) -> u128 {
        self.started.elapsed().as_millis()
    }

    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    pub fn add_account(&mut self, id: &str, name: &str, currency: &str, tz: &str, created: i64) -> Account {
        let acct = Account {
            id: id.to_string(),
            name: name.to_string(),
            currency: currency.to_string(),
            timezone_name: tz.to_string(),
            account_status: 1,
            business_id: format!("9{id}"),
            created,
            call_budget: None,
            use_case_budgets: BTreeMap::new(),
            access_tier: crate::usage::STANDARD.to_string(),
            delivery_model: false,
        };
        self.accounts.insert(id.to_string(), acct.clone());
        acct
    }

    pub fn add_token(&mut self, token: &str, t: Token) {
        self.tokens.insert(token.to_string(), t);
    }

    /// Stores a node. Every write of a node goes through here, so delivery accounts record each
    /// change of status or budget once, whatever the path (Graph, batch, control).
    pub fn put(&mut self, node: Node) {
        crate::delivery::observe(self, &node);
        self.nodes.insert(node.id.clone(), node);
    }

    pub fn children(&self, account_id: &str, kind: Kind) -> impl Iterator<Item = &Node> {
        let account_id = account_id.to_string();
        self.nodes.values().filter(move |n| n.kind == kind && n.account_id == account_id)
    }

    /// Meta's effective_status: the object's own status, or its parent's pause showing through.
    pub fn effective_status(&self, node: &Node) -> String {
        let own = node.status();
        if matches!(own, "DELETED" | "ARCHIVED" | "PAUSED") {
            return own.to_string();
        }
        let parent_status = |id: &Option<String>| id.as_ref().and_then(|i| self.nodes.get(i)).map(|p| p.status().to_string());
        match node.kind {
            Kind::AdSet | Kind::Ad => {
                if let Some(s) = parent_status(&node.campaign_id) {
                    if s != "ACTIVE" {
                        return if s == "PAUSED" { "CAMPAIGN_PAUSED".into() } else { s };
                    }
                }
                if node.kind == Kind::Ad {
                    if let Some(s) = parent_status(&node.adset_id) {
                        if s != "ACTIVE" {
                            return if s == "PAUSED" { "ADSET_PAUSED".into() } else { s };
                        }
                    }
                }
            }
            _ => {}
        }
        node.delivery_override.clone().unwrap_or_else(|| own.to_string())
    }

    pub fn iso(ts: i64) -> String {
        Utc.timestamp_opt(ts, 0).single().unwrap_or_default().format("%Y-%m-%dT%H:%M:%S+0000").to_string()
    }

    /// A deterministic 64-bit number from the seed and the given parts.
    pub fn hash(&self, parts: &[&str]) -> u64 {
        let mut h = Sha256::new();
        h.update(self.cfg.seed.to_le_bytes());
        for p in parts {
            h.update(p.as_bytes());
            h.update([0]);
        }
        let d = h.finalize();
        u64::from_le_bytes(d[..8].try_into().unwrap())
    }

    pub fn account_json(&self, a: &Account) -> Value {
        json!({
            "id": format!("act_{}", a.id),
            "account_id": a.id,
            "name": a.name,
            "currency": a.currency,
            "timezone_name": a.timezone_name,
            "account_status": a.account_status,
            "business": { "id": a.business_id },
            "created_time": Store::iso(a.created),
        })
    }
}
