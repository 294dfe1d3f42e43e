//! Insights generated deterministically from the seed: every (ad, day) has fixed delivery
//! numbers, conversions mature over `attribution_lag_days` as simulated time passes, and
//! breakdowns split each day's integers exactly (largest remainder), so every total adds up.

use crate::error::{GraphError, GraphResult};
use crate::params::Params;
use crate::store::{Kind, Node, Store};
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const ACTION_TYPES: [&str; 3] = ["lead", "link_click", "purchase"];
/// Attribution windows the simulator reports, and the default sum Meta uses.
pub const WINDOWS: [&str; 4] = ["1d_click", "7d_click", "28d_click", "1d_view"];

/// One ad's numbers for one day (or one breakdown slice of it). Money in minor units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    pub link_clicks: i64,
    pub spend_cents: i64,
    /// Conversions per action type and attribution window, as observed now.
    pub actions: BTreeMap<(String, String), i64>,
    pub purchase_value_cents: BTreeMap<String, i64>,
    /// With `action_breakdowns` beyond `action_type`: each (action, window) count split by the
    /// breakdowns' values, and purchase values likewise (keyed `purchase`).
    pub action_parts: BTreeMap<(String, String, Vec<String>), i64>,
    pub value_parts: BTreeMap<(String, String, Vec<String>), i64>,
}

impl Metrics {
    fn add(&mut self, o: &Metrics) {
        self.impressions += o.impressions;
        self.reach += o.reach;
        self.clicks += o.clicks;
        self.link_clicks += o.link_clicks;
        self.spend_cents += o.spend_cents;
        for (k, v) in &o.actions {
            *self.actions.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.purchase_value_cents {
            *self.purchase_value_cents.entry(k.clone()).or_default() += v;
        }
        for (mine, theirs) in [(&mut self.action_parts, &o.action_parts), (&mut self.value_parts, &o.value_parts)] {
            for (k, v) in theirs {
                *mine.entry(k.clone()).or_default() += v;
            }
        }
    }
}

/// A hash mapped onto lo..=hi.
pub fn pct(h: u64, lo: u64, hi: u64) -> i64 {
    (lo + h % (hi - lo + 1)) as i64
}

/// One ad-day's delivery before attribution: what the two models differ in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Base {
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    pub link_clicks: i64,
    pub spend_cents: i64,
    /// Leads once every late conversion has arrived.
    pub leads_final: i64,
}

/// The day's numbers for one ad, with conversions matured to `today` (the account's date now).
/// Delivery-model accounts take their base numbers from `crate::delivery`; others from the
/// legacy hash, unchanged.
pub fn ad_day(store: &Store, ad: &Node, day: NaiveDate, today: NaiveDate) -> Metrics {
    let base =
        if store.accounts.get(&ad.account_id).is_some_and(|a| a.delivery_model) { crate::delivery::base(store, ad, day) } else { legacy_base(store, ad, day) };
    attributed(store, ad, day, today, base)
}

/// The legacy model: every (ad, day) has fixed numbers from the seed, whatever its budget or status.
pub fn legacy_base(store: &Store, ad: &Node, day: NaiveDate) -> Base {
    let d = day.to_string();
    let h = |k: &str| store.hash(&[&ad.id, &d, k]);
    let impressions = 200 + (h("imp") % 1_800) as i64;
    let reach = impressions * pct(h("reach"), 55, 90) / 100;
    let clicks = impressions * pct(h("ctr"), 5, 30) / 1_000;
    let link_clicks = clicks * pct(h("lc"), 70, 100) / 100;
    let spend_cents = impressions * pct(h("cpm"), 300, 1_500) / 1_000;
    let leads_final = clicks * pct(h("cvr"), 5, 25) / 100;
    Base { impressions, reach, clicks, link_clicks, spend_cents, leads_final }
}

/// Purchases, attribution windows, late maturation and purchase values on top of a base.
fn attributed(store: &Store, ad: &Node, day: NaiveDate, today: NaiveDate, b: Base) -> Metrics {
    let d = day.to_string();
    let h = |k: &str| store.hash(&[&ad.id, &d, k]);
    let purchases_final = b.leads_final * pct(h("pr"), 10, 40) / 100;
    let age = (today - day).num_days();
    let lag = store.attribution_lag_days.max(1);
    // Conversions arrive late: a fraction (age+1)/lag has been attributed so far.
    let matured = |n: i64| {
        if age + 1 >= lag {
            n
        } else {
            n * (age + 1) / lag
        }
    };
    let mut m =
        Metrics { impressions: b.impressions, reach: b.reach, clicks: b.clicks, link_clicks: b.link_clicks, spend_cents: b.spend_cents, ..Default::default() };
    for (action, fin) in [("lead", b.leads_final), ("link_click", b.link_clicks), ("purchase", purchases_final)] {
        let total = if action == "link_click" { fin } else { matured(fin) };
        let view = total * pct(h(&format!("{action}v")), 5, 20) / 100;
        let click7 = total - view;
        let click1 = click7 * pct(h(&format!("{action}1")), 55, 85) / 100;
        let click28 = click7 + click7 * pct(h(&format!("{action}28")), 0, 15) / 100;
        for (w, v) in [("1d_click", click1), ("7d_click", click7), ("28d_click", click28), ("1d_view", view)] {
            m.actions.insert((action.to_string(), w.to_string()), v);
        }
    }
    let unit = pct(h("aov"), 2_000, 10_000);
    for w in WINDOWS {
        let n = m.actions[&("purchase".to_string(), w.to_string())];
        m.purchase_value_cents.insert(w.to_string(), n * unit);
    }
    m
}

pub const BREAKDOWNS: [(&str, &[&str]); 8] = [
    ("age", &["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]),
    ("gender", &["female", "male", "unknown"]),
    ("country", &["US", "CA", "GB", "IN", "DE"]),
    ("region", &["California", "Texas", "New York", "Ontario", "Maharashtra"]),
    ("publisher_platform", &["facebook", "instagram", "audience_network", "messenger"]),
    ("platform_position", &[]),
    ("device_platform", &["mobile_app", "mobile_web", "desktop"]),
    ("impression_device", &["iphone", "android_smartphone", "ipad", "desktop"]),
];
/// Where each platform shows ads, under the names insights report (Instagram's feed is `stream`,
/// unlike Facebook's `feed`): only these pairs come back, so no `audience_network` x `reels` and
/// no `messenger` x `marketplace`.
pub const PLACEMENTS: &[(&str, &[&str])] = &[
    ("facebook", &["feed", "facebook_stories", "facebook_reels", "marketplace", "video_feeds", "right_hand_column", "search", "instream_video"]),
    ("instagram", &["stream", "instagram_stories", "instagram_reels", "instagram_explore", "instagram_profile_feed"]),
    ("audience_network", &["an_classic", "rewarded_video"]),
    ("messenger", &["messenger_inbox", "messenger_stories"]),
];
pub const HOURLY: &str = "hourly_stats_aggregated_by_advertiser_time_zone";

/// Combinations Graph accepts (order-insensitive); anything else fails as Graph fails it.
const VALID_COMBINATIONS: &[&[&str]] = &[
    &["age"],
    &["gender"],
    &["age", "gender"],
    &["country"],
    &["region"],
    &["publisher_platform"],
    &["publisher_platform", "platform_position"],
    &["publisher_platform", "platform_position", "device_platform"],
    &["publisher_platform", "device_platform"],
    &["device_platform"],
    &["impression_device"],
    &["publisher_platform", "impression_device"],
    &["publisher_platform", "platform_position", "impression_device"],
    &[HOURLY],
];

pub fn check_breakdowns(b: &[String]) -> GraphResult<()> {
    if b.is_empty() {
        return Ok(());
    }
    for name in b {
        if name != HOURLY && !BREAKDOWNS.iter().any(|(n, _)| n == name) {
            return Err(GraphError::invalid_param(format!(
                "(#100) breakdowns[0] must be one of the following values: {}",
                BREAKDOWNS.iter().map(|(n, _)| *n).chain([HOURLY]).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let mut sorted: Vec<&str> = b.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let ok = VALID_COMBINATIONS.iter().any(|c| {
        let mut c: Vec<&str> = c.to_vec();
        c.sort_unstable();
        c == sorted
    });
    if ok {
        Ok(())
    } else {
        Err(GraphError::invalid_param(format!("(#100) Current combination of data breakdown columns (action_type, {}) is invalid ", b.join(", "))))
    }
}

fn bucket_values(name: &str) -> Vec<String> {
    if name == HOURLY {
        return (0..24).map(|h| format!("{h:02}:00:00 - {h:02}:59:59")).collect();
    }
    if name == "platform_position" {
        let all: Vec<String> = PLACEMENTS.iter().flat_map(|(_, ps)| ps.iter().map(|p| p.to_string())).collect();
        return all;
    }
    BREAKDOWNS.iter().find(|(n, _)| *n == name).map(|(_, v)| v.iter().map(|s| s.to_string()).collect()).unwrap_or_default()
}

/// Whether a combination of breakdown values is one Meta reports (a position on its own platform).
fn reported(breakdowns: &[String], values: &[String]) -> bool {
    let of = |name: &str| breakdowns.iter().position(|b| b == name).map(|i| values[i].as_str());
    match (of("publisher_platform"), of("platform_position")) {
        (Some(platform), Some(position)) => PLACEMENTS.iter().any(|(p, ps)| *p == platform && ps.contains(&position)),
        _ => true,
    }
}

/// Splits `total` over `weights` so the parts sum to `total` exactly (largest remainder).
pub fn split(total: i64, weights: &[u64]) -> Vec<i64> {
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut parts: Vec<i64> = weights.iter().map(|w| (total as i128 * *w as i128 / sum as i128) as i64).collect();
    let mut rest = total - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((total as i128 * weights[i] as i128 % sum as i128, std::cmp::Reverse(i))));
    for i in order {
        if rest == 0 {
            break;
        }
        parts[i] += 1;
        rest -= 1;
    }
    parts
}

/// The breakdown slices of one ad-day: each combination of bucket values with its metrics.
fn slices(store: &Store, ad: &Node, day: &str, m: &Metrics, breakdowns: &[String]) -> Vec<(Vec<String>, Metrics)> {
    if breakdowns.is_empty() {
        return vec![(vec![], m.clone())];
    }
    let dims: Vec<Vec<String>> = breakdowns.iter().map(|b| bucket_values(b)).collect();
    let mut combos: Vec<Vec<String>> = vec![vec![]];
    for d in &dims {
        combos = combos.iter().flat_map(|c| d.iter().map(move |v| [c.clone(), vec![v.clone()]].concat())).collect();
    }
    combos.retain(|c| reported(breakdowns, c));
    let weights: Vec<u64> = combos.iter().map(|c| c.iter().zip(breakdowns).map(|(v, b)| 1 + store.hash(&[&ad.id, day, b, v]) % 100).product::<u64>()).collect();
    let mut out: Vec<(Vec<String>, Metrics)> = combos.into_iter().map(|c| (c, Metrics::default())).collect();
    let mut apply = |total: i64, set: &mut dyn FnMut(&mut Metrics, i64)| {
        for (i, p) in split(total, &weights).into_iter().enumerate() {
            set(&mut out[i].1, p);
        }
    };
    apply(m.impressions, &mut |x, v| x.impressions = v);
    apply(m.reach, &mut |x, v| x.reach = v);
    apply(m.clicks, &mut |x, v| x.clicks = v);
    apply(m.link_clicks, &mut |x, v| x.link_clicks = v);
    apply(m.spend_cents, &mut |x, v| x.spend_cents = v);
    for (k, v) in &m.actions {
        apply(*v, &mut |x, p| {
            x.actions.insert(k.clone(), p);
        });
    }
    for (k, v) in &m.purchase_value_cents {
        apply(*v, &mut |x, p| {
            x.purchase_value_cents.insert(k.clone(), p);
        });
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Account,
    Campaign,
    AdSet,
    Ad,
}

impl Level {
    pub fn parse(s: &str) -> GraphResult<Level> {
        Ok(match s {
            "account" => Level::Account,
            "campaign" => Level::Campaign,
            "adset" => Level::AdSet,
            "ad" => Level::Ad,
            _ => return Err(GraphError::invalid_param("(#100) level must be one of the following values: ad, adset, campaign, account")),
        })
    }
}

pub struct Query {
    pub level: Level,
    pub since: NaiveDate,
    pub until: NaiveDate,
    /// Days per bucket; None means one bucket for the whole range.
    pub increment: Option<i64>,
    pub breakdowns: Vec<String>,
    pub fields: Vec<String>,
    pub windows: Option<Vec<String>>,
    /// Action breakdowns besides `action_type` (always reported).
    pub action_breakdowns: Vec<String>,
    pub filters: Vec<crate::filtering::Filter>,
}

impl Query {
    /// A query of the simulator's own (truth, amounts spent): no breakdowns, windows or filters.
    pub fn plain(level: Level, since: NaiveDate, until: NaiveDate, increment: Option<i64>, fields: &[&str]) -> Query {
        Query {
            level,
            since,
            until,
            increment,
            breakdowns: vec![],
            fields: fields.iter().map(|f| f.to_string()).collect(),
            windows: None,
            action_breakdowns: vec![],
            filters: vec![],
        }
    }
}

fn parse_date(s: &str, what: &str) -> GraphResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| GraphError::invalid_param(format!("(#100) {what} must be a date in YYYY-MM-DD form, got {s}")))
}

/// Reads the insights parameters. `default_level` is the level of the object queried.
pub fn parse_query(p: &Params, default_level: Level, today: NaiveDate, account_created: NaiveDate, v: crate::versions::Version) -> GraphResult<Query> {
    let level = match p.str("level") {
        Some(l) => Level::parse(l)?,
        None => default_level,
    };
    if level < default_level {
        return Err(GraphError::invalid_param("(#100) level cannot be higher than the object queried"));
    }
    let (since, until) = if let Some(tr) = p.get("time_range") {
        let since = tr.get("since").and_then(Value::as_str).ok_or_else(|| GraphError::invalid_param("(#100) time_range requires since and until"))?;
        let until = tr.get("until").and_then(Value::as_str).ok_or_else(|| GraphError::invalid_param("(#100) time_range requires since and until"))?;
        (parse_date(since, "since")?, parse_date(until, "until")?)
    } else {
        let preset = p.str("date_preset").unwrap_or("last_30d");
        let yesterday = today - Duration::days(1);
        match preset {
            "today" => (today, today),
            "yesterday" => (yesterday, yesterday),
            "maximum" => (account_created, today),
            "this_month" => (today.with_day(1).unwrap(), today),
            "last_month" => {
                let first_this = today.with_day(1).unwrap();
                let last_prev = first_this - Duration::days(1);
                (last_prev.with_day(1).unwrap(), last_prev)
            }
            p if p.starts_with("last_") && p.ends_with('d') => {
                let n: i64 = p[5..p.len() - 1].parse().map_err(|_| bad_preset(p))?;
                if ![3, 7, 14, 28, 30, 90].contains(&n) {
                    return Err(bad_preset(p));
                }
                (today - Duration::days(n), yesterday)
            }
            other => return Err(bad_preset(other)),
        }
    };
    if since > until {
        return Err(GraphError::invalid_param("(#100) since must be on or before until"));
    }
    if (today - since).num_days() > 37 * 31 {
        return Err(GraphError::invalid_param("(#3018) The start date of the time range cannot be beyond 37 months from the current date").subcode(1_487_534));
    }
    let increment = match p.get("time_increment") {
        None => None,
        Some(Value::String(s)) if s == "all_days" => None,
        Some(v) => {
            let n = v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(0);
            if !(1..=90).contains(&n) {
                return Err(GraphError::invalid_param("(#100) time_increment must be all_days, monthly or an integer from 1 to 90"));
            }
            Some(n)
        }
    };
    let breakdowns = p.list("breakdowns").unwrap_or_default();
    check_breakdowns(&breakdowns)?;
    let action_breakdowns = crate::action_breakdowns::parse(p.list("action_breakdowns"))?;
    let fields = p.list("fields").unwrap_or_else(|| vec!["impressions".into(), "spend".into()]);
    crate::readable::check_insights(&fields, v)?;
    let windows = p.list("action_attribution_windows");
    if let Some(ws) = &windows {
        if let Some(bad) = ws.iter().find(|w| !WINDOWS.contains(&w.as_str()) && w.as_str() != "default") {
            return Err(GraphError::invalid_param(format!(
                "(#100) action_attribution_windows[0] must be one of the following values: {}, default; got {bad}",
                WINDOWS.join(", ")
            )));
        }
    }
    let filters = crate::filtering::parse(p, None)?;
    Ok(Query { level, since, until, increment, breakdowns, fields, windows, action_breakdowns, filters })
}

fn bad_preset(p: &str) -> GraphError {
    GraphError::invalid_param(format!("(#100) date_preset must be one of the following values: today, yesterday, this_month, last_month, maximum, last_3d, last_7d, last_14d, last_28d, last_30d, last_90d; got {p}"))
}

/// The account's date at simulated now.
pub fn account_today(store: &Store, account_id: &str) -> NaiveDate {
    let tz = store.accounts.get(account_id).map(|a| a.tz()).unwrap_or(chrono_tz::UTC);
    store.now_dt().with_timezone(&tz).date_naive()
}

/// Rows for an account (optionally only under one object), grouped by level, date bucket and
/// breakdown values, rendered in Graph's shape.
pub fn run(store: &Store, account_id: &str, under: Option<&Node>, q: &Query) -> Vec<Value> {
    let today = account_today(store, account_id);
    let tz = store.accounts.get(account_id).map(|a| a.tz()).unwrap_or(chrono_tz::UTC);
    let until = q.until.min(today);
    type Key = (String, NaiveDate, Vec<String>);
    let mut groups: BTreeMap<Key, (Metrics, NaiveDate, NaiveDate, Option<String>)> = BTreeMap::new();
    for ad in store.children(account_id, Kind::Ad) {
        if let Some(u) = under {
            let inside = match u.kind {
                Kind::Campaign => ad.campaign_id.as_deref() == Some(&u.id),
                Kind::AdSet => ad.adset_id.as_deref() == Some(&u.id),
                Kind::Ad => ad.id == u.id,
                _ => false,
            };
            if !inside {
                continue;
            }
        }
        if !crate::filtering::passes_all(store, ad, &q.filters) {
            continue;
        }
        let created = chrono::DateTime::from_timestamp(ad.created, 0).unwrap_or_default().with_timezone(&tz).date_naive();
        let mut day = q.since.max(created);
        let object = match q.level {
            Level::Account => account_id.to_string(),
            Level::Campaign => ad.campaign_id.clone().unwrap_or_default(),
            Level::AdSet => ad.adset_id.clone().unwrap_or_default(),
            Level::Ad => ad.id.clone(),
        };
        while day <= until {
            let m = ad_day(store, ad, day, today);
            // Meta returns no row for a day an ad did not deliver (only the delivery model has such days).
            if m.impressions == 0 && m.spend_cents == 0 {
                day += Duration::days(1);
                continue;
            }
            let (bucket_start, bucket_end) = match q.increment {
                None => (q.since, q.until),
                Some(n) => {
                    let idx = (day - q.since).num_days() / n;
                    let s = q.since + Duration::days(idx * n);
                    (s, (s + Duration::days(n - 1)).min(q.until))
                }
            };
            for (values, mut slice) in slices(store, ad, &day.to_string(), &m, &q.breakdowns) {
                if !q.action_breakdowns.is_empty() {
                    let salt = format!("{day}|{}", values.join("|"));
                    slice.action_parts = crate::action_breakdowns::parts(store, ad, &salt, &slice.actions, &q.action_breakdowns);
                    let values_by_window = slice.purchase_value_cents.iter().map(|(w, v)| (("purchase".to_string(), w.clone()), *v)).collect();
                    slice.value_parts = crate::action_breakdowns::parts(store, ad, &salt, &values_by_window, &q.action_breakdowns);
                }
                let e =
                    groups.entry((object.clone(), bucket_start, values)).or_insert_with(|| (Metrics::default(), bucket_start, bucket_end, Some(ad.id.clone())));
                e.0.add(&slice);
            }
            day += Duration::days(1);
        }
    }
    let mut rows: Vec<(NaiveDate, String, Vec<String>, Value)> = groups
        .into_iter()
        .map(|((object, _, values), (m, start, stop, _))| {
            let row = render(store, account_id, q, &object, &values, &m, start, stop);
            (start, object, values, row)
        })
        .collect();
    rows.sort_by(|a, b| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)));
    rows.into_iter().map(|r| r.3).collect()
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn ratio(n: f64, d: f64, scale: f64) -> Option<String> {
    (d > 0.0).then(|| format!("{:.6}", n / d * scale).trim_end_matches('0').trim_end_matches('.').to_string())
}

/// One entry's value: (action type, action breakdown values, window) -> the number as text.
type ValueOf<'a> = dyn Fn(&str, &[String], &str) -> Option<String> + 'a;

#[allow(clippy::too_many_arguments)]
fn render(store: &Store, account_id: &str, q: &Query, object: &str, values: &[String], m: &Metrics, start: NaiveDate, stop: NaiveDate) -> Value {
    let mut row = Map::new();
    let node = store.nodes.get(object);
    let name_of = |id: Option<&String>| id.and_then(|i| store.nodes.get(i)).and_then(|n| n.fields.get("name").cloned()).unwrap_or(Value::Null);
    let (campaign_id, adset_id) = match node {
        Some(n) if n.kind == Kind::Ad => (n.campaign_id.clone(), n.adset_id.clone()),
        Some(n) if n.kind == Kind::AdSet => (n.campaign_id.clone(), Some(n.id.clone())),
        Some(n) if n.kind == Kind::Campaign => (Some(n.id.clone()), None),
        _ => (None, None),
    };
    let windows = q.windows.clone().unwrap_or_default();
    // With action breakdowns each action type has one entry per combination of their values.
    let keys = crate::action_breakdowns::keys(&q.action_breakdowns);
    let combos: Vec<Vec<String>> = if keys.is_empty() {
        vec![vec![]]
    } else {
        m.action_parts.keys().map(|(_, _, c)| c.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect()
    };
    let action_list = |value_of: &ValueOf| -> Value {
        let mut items = Vec::new();
        for a in ACTION_TYPES {
            for c in &combos {
                let Some(v) = value_of(a, c, "default") else { continue };
                let mut item = json!({ "action_type": a });
                for (k, x) in keys.iter().zip(c) {
                    item[k.as_str()] = json!(x);
                }
                item["value"] = json!(v);
                for w in &windows {
                    if w != "default" {
                        if let Some(x) = value_of(a, c, w) {
                            item[w.as_str()] = json!(x);
                        }
                    }
                }
                items.push(item);
            }
        }
        Value::Array(items)
    };
    // A count (or purchase value) for one action, combination and window; `default` is Meta's
    // default attribution, 7-day click plus 1-day view.
    let pick = |whole: &dyn Fn(&str) -> i64, parts: &BTreeMap<(String, String, Vec<String>), i64>, a: &str, c: &[String], w: &str| -> i64 {
        let one = |w: &str| if c.is_empty() { whole(w) } else { parts.get(&(a.to_string(), w.to_string(), c.to_vec())).copied().unwrap_or(0) };
        if w == "default" {
            one("7d_click") + one("1d_view")
        } else {
            one(w)
        }
    };
    let count = |a: &str, c: &[String], w: &str| pick(&|w| m.actions.get(&(a.to_string(), w.to_string())).copied().unwrap_or(0), &m.action_parts, a, c, w);
    let purchase_value = |c: &[String], w: &str| pick(&|w| m.purchase_value_cents.get(w).copied().unwrap_or(0), &m.value_parts, "purchase", c, w);
    for f in &q.fields {
        let v = match f.as_str() {
            "account_id" => json!(account_id),
            "account_name" => store.accounts.get(account_id).map(|a| json!(a.name)).unwrap_or(Value::Null),
            "account_currency" => store.accounts.get(account_id).map(|a| json!(a.currency)).unwrap_or(Value::Null),
            "campaign_id" => campaign_id.clone().map(Value::from).unwrap_or(Value::Null),
            "campaign_name" => name_of(campaign_id.as_ref()),
            "adset_id" => adset_id.clone().map(Value::from).unwrap_or(Value::Null),
            "adset_name" => name_of(adset_id.as_ref()),
            "ad_id" => node.filter(|n| n.kind == Kind::Ad).map(|n| json!(n.id)).unwrap_or(Value::Null),
            "ad_name" => node.filter(|n| n.kind == Kind::Ad).and_then(|n| n.fields.get("name").cloned()).unwrap_or(Value::Null),
            "impressions" => json!(m.impressions.to_string()),
            "reach" => json!(m.reach.to_string()),
            "clicks" => json!(m.clicks.to_string()),
            "inline_link_clicks" => json!(m.link_clicks.to_string()),
            "spend" => json!(money(m.spend_cents + if q.level == Level::Account { store.account_total_skew_cents } else { 0 })),
            "ctr" => ratio(m.clicks as f64, m.impressions as f64, 100.0).map(Value::from).unwrap_or(Value::Null),
            "cpc" => ratio(m.spend_cents as f64 / 100.0, m.clicks as f64, 1.0).map(Value::from).unwrap_or(Value::Null),
            "cpm" => ratio(m.spend_cents as f64 / 100.0, m.impressions as f64, 1000.0).map(Value::from).unwrap_or(Value::Null),
            "frequency" => ratio(m.impressions as f64, m.reach as f64, 1.0).map(Value::from).unwrap_or(Value::Null),
            "actions" => action_list(&|a, c, w| {
                let n = count(a, c, w);
                (n > 0).then(|| n.to_string())
            }),
            "action_values" => action_list(&|a, c, w| {
                if a != "purchase" {
                    return None;
                }
                let cents = purchase_value(c, w);
                (cents > 0).then(|| money(cents))
            }),
            "cost_per_action_type" => action_list(&|a, c, w| {
                let n = count(a, c, w);
                (n > 0).then(|| format!("{:.6}", m.spend_cents as f64 / 100.0 / n as f64))
            }),
            "date_start" | "date_stop" => continue,
            other => match derived(store, q, node, m, other) {
                Some(v) => v,
                None => continue,
            },
        };
        let empty_list = v.as_array().is_some_and(|a| a.is_empty());
        if !v.is_null() && !empty_list {
            row.insert(f.clone(), v);
        }
    }
    // From v27.0 every row says which attribution setting computed it.
    if store.serving >= crate::versions::Version(27) && !row.contains_key("attribution_setting") {
        row.insert("attribution_setting".into(), json!(ATTRIBUTION_SETTING));
    }
    for (b, v) in q.breakdowns.iter().zip(values) {
        row.insert(b.clone(), json!(v));
    }
    row.insert("date_start".into(), json!(start.to_string()));
    row.insert("date_stop".into(), json!(stop.to_string()));
    Value::Object(row)
}

/// The attribution setting the simulator's default windows are: 7-day click plus 1-day view.
pub const ATTRIBUTION_SETTING: &str = "7d_click_1d_view";
const RANKINGS: [&str; 5] = ["ABOVE_AVERAGE", "AVERAGE", "BELOW_AVERAGE_35", "BELOW_AVERAGE_20", "BELOW_AVERAGE_10"];

/// Fields Meta derives from a row's delivery, or reads from the row's object, kept consistent:
/// unique clicks never above clicks, each video quartile never above the one before.
fn derived(store: &Store, q: &Query, node: Option<&Node>, m: &Metrics, field: &str) -> Option<Value> {
    let spend = m.spend_cents as f64 / 100.0;
    let unique_clicks = m.clicks * 9 / 10;
    let plays = m.impressions / 4;
    let p25 = plays * 7 / 10;
    let p50 = p25 * 3 / 4;
    let p75 = p50 * 4 / 5;
    let p95 = p75 * 17 / 20;
    let p100 = p95 * 9 / 10;
    let video = |n: i64| (n > 0).then(|| json!([{ "action_type": "video_view", "value": n.to_string() }]));
    let set = node.and_then(|n| match n.kind {
        Kind::AdSet => Some(n),
        Kind::Ad => n.adset_id.as_ref().and_then(|s| store.nodes.get(s)),
        _ => None,
    });
    let campaign = node.and_then(|n| if n.kind == Kind::Campaign { Some(n) } else { n.campaign_id.as_ref().and_then(|c| store.nodes.get(c)) });
    let day = |ts: i64| chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default().date_naive().to_string();
    let num = |x: Option<String>| x.map(Value::from);
    match field {
        "objective" => campaign.and_then(|c| c.fields.get("objective").cloned()),
        "optimization_goal" => set.and_then(|s| s.fields.get("optimization_goal").cloned()),
        "buying_type" => (q.level != Level::Account).then(|| json!("AUCTION")),
        "attribution_setting" => Some(json!(ATTRIBUTION_SETTING)),
        "created_time" => node.map(|n| json!(day(n.created))),
        "updated_time" => node.map(|n| json!(day(n.updated))),
        "unique_clicks" => Some(json!(unique_clicks.to_string())),
        "unique_ctr" => num(ratio(unique_clicks as f64, m.reach as f64, 100.0)),
        "cost_per_unique_click" => num(ratio(spend, unique_clicks as f64, 1.0)),
        "outbound_clicks" => (m.link_clicks > 0).then(|| json!([{ "action_type": "outbound_click", "value": m.link_clicks.to_string() }])),
        "inline_link_click_ctr" => num(ratio(m.link_clicks as f64, m.impressions as f64, 100.0)),
        "cost_per_inline_link_click" => num(ratio(spend, m.link_clicks as f64, 1.0)),
        "cpp" => num(ratio(spend, m.reach as f64, 1000.0)),
        "quality_ranking" | "engagement_rate_ranking" | "conversion_rate_ranking" => node.filter(|n| n.kind == Kind::Ad).map(|n| {
            // Meta ranks an ad only after 500 impressions.
            if m.impressions < 500 {
                json!("UNKNOWN")
            } else {
                json!(RANKINGS[(store.hash(&[&n.id, field]) % RANKINGS.len() as u64) as usize])
            }
        }),
        "video_play_actions" => video(plays),
        "video_p25_watched_actions" => video(p25),
        "video_p50_watched_actions" => video(p50),
        "video_p75_watched_actions" | "video_30_sec_watched_actions" => video(p75),
        "video_p95_watched_actions" => video(p95),
        "video_p100_watched_actions" => video(p100),
        "video_thruplay_watched_actions" => video(p50),
        "video_avg_time_watched_actions" => (plays > 0).then(|| json!([{ "action_type": "video_view", "value": "6" }])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_exact_and_deterministic() {
        let parts = split(1_001, &[3, 3, 1, 90]);
        assert_eq!(parts.iter().sum::<i64>(), 1_001);
        assert_eq!(parts, split(1_001, &[3, 3, 1, 90]));
        assert_eq!(split(0, &[1, 2]), vec![0, 0]);
    }

    #[test]
    fn breakdown_combinations_follow_graph() {
        assert!(check_breakdowns(&["age".into(), "gender".into()]).is_ok());
        assert!(check_breakdowns(&["gender".into(), "age".into()]).is_ok());
        let e = check_breakdowns(&["age".into(), "country".into()]).unwrap_err();
        assert_eq!(e.code, 100);
        assert!(e.message.contains("combination"));
        assert!(check_breakdowns(&[HOURLY.into(), "age".into()]).is_err());
        assert!(check_breakdowns(&["colour".into()]).is_err());
    }
}
