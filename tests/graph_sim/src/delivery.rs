//! The delivery model of accounts seeded with `"delivery_model": true`. Spend follows each ad
//! set's budget and the status of its campaign, ad set and ads within the day; results follow
//! spend with diminishing returns; creatives fatigue as frequency rises. Every number is a
//! function of the seed (`Store::hash`) and the recorded history of status and budget changes,
//! and everything reaches insights through `insights::ad_day`, so `/__control/truth`, sync
//! insights, report runs and batches agree.

use crate::insights::{pct, split, Base};
use crate::store::{Kind, Node, Store};
use chrono::{DateTime, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, MutexGuard};

/// A day's spend is its budget times a pacing in 0.92..=1.00, so it never exceeds the budget.
const PACING_FLOOR: f64 = 0.92;
/// CTR divides by 1 + FATIGUE x (frequency - 1): the same people see the ad again and click less.
const FATIGUE: f64 = 0.35;
/// Days a lifetime budget is spread over when its object has no end time.
const DEFAULT_FLIGHT_DAYS: i64 = 30;

/// An object's status and budgets from `at` (Unix seconds) on.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub at: i64,
    pub status: String,
    /// Held by a review state (`delivery_override` other than ACTIVE): it does not deliver.
    pub held: bool,
    pub daily_budget: Option<i64>,
    pub lifetime_budget: Option<i64>,
}

impl Change {
    fn of(node: &Node, at: i64) -> Change {
        Change {
            at,
            status: node.status().to_string(),
            held: node.delivery_override.as_deref().is_some_and(|s| s != "ACTIVE"),
            daily_budget: money(node.fields.get("daily_budget")),
            lifetime_budget: money(node.fields.get("lifetime_budget")),
        }
    }

    fn same_state(&self, o: &Change) -> bool {
        (&self.status, self.held, self.daily_budget, self.lifetime_budget) == (&o.status, o.held, o.daily_budget, o.lifetime_budget)
    }

    fn live(&self) -> bool {
        self.status == "ACTIVE" && !self.held
    }
}

fn money(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))).filter(|n| *n > 0)
}

/// Called by `Store::put` for every node written: appends to a delivery account's campaign, ad
/// set or ad time line when its status, hold or budgets changed.
pub fn observe(store: &mut Store, node: &Node) {
    let tracked = matches!(node.kind, Kind::Campaign | Kind::AdSet | Kind::Ad);
    if !tracked || !store.accounts.get(&node.account_id).is_some_and(|a| a.delivery_model) {
        return;
    }
    let now = store.now();
    let line = store.history.entry(node.id.clone()).or_default();
    // The first entry is the creation; later ones happen now, never before the last (the clock
    // can be moved back).
    let at = line.last().map_or(node.created, |l| now.max(l.at));
    let change = Change::of(node, at);
    if line.last().is_some_and(|l| l.same_state(&change)) {
        return;
    }
    line.push(change);
    store.history_gen += 1;
}

fn state_at(store: &Store, id: &str, t: i64) -> Option<Change> {
    store.history.get(id)?.iter().rev().find(|c| c.at <= t).cloned()
}

/// A campaign's ad sets and its ads (with their ad set), sorted so float sums are repeatable.
#[derive(Debug, Default)]
struct Members {
    adsets: Vec<String>,
    ads: Vec<(String, String)>,
}

/// One campaign-day's spend in minor units, per ad and per ad set (each ad set's is the exact
/// sum of its ads').
#[derive(Debug, Default)]
struct CampaignDay {
    ads: BTreeMap<String, i64>,
    adsets: BTreeMap<String, i64>,
}

/// Memoised whole days; forgotten when the history changes or the clock goes back.
#[derive(Default)]
pub struct Cache {
    generation: u64,
    last_now: i64,
    members: Option<Arc<BTreeMap<String, Members>>>,
    days: HashMap<(String, NaiveDate), Arc<CampaignDay>>,
    /// Per ad: prefix[k] is its impressions summed over its first k days (whole days only).
    prefix: HashMap<String, Vec<i64>>,
    /// Whole ad-days already computed (reports reread the same days).
    bases: HashMap<(String, NaiveDate), Base>,
}

/// The cache, cleared if stale. Never held across a call that takes it again.
fn cache(store: &Store) -> MutexGuard<'_, Cache> {
    let mut c = store.delivery_cache.lock().unwrap_or_else(|e| e.into_inner());
    let now = store.now();
    if c.generation != store.history_gen || now < c.last_now {
        *c = Cache { generation: store.history_gen, ..Cache::default() };
    }
    c.last_now = now;
    c
}

fn members(store: &Store) -> Arc<BTreeMap<String, Members>> {
    if let Some(m) = cache(store).members.clone() {
        return m;
    }
    let mut out: BTreeMap<String, Members> = BTreeMap::new();
    for n in store.history.keys().filter_map(|id| store.nodes.get(id)) {
        match (n.kind, &n.campaign_id, &n.adset_id) {
            (Kind::AdSet, Some(c), _) => out.entry(c.clone()).or_default().adsets.push(n.id.clone()),
            (Kind::Ad, Some(c), Some(s)) => out.entry(c.clone()).or_default().ads.push((s.clone(), n.id.clone())),
            _ => {}
        }
    }
    for m in out.values_mut() {
        m.adsets.sort();
        m.ads.sort();
    }
    let m = Arc::new(out);
    cache(store).members = Some(m.clone());
    m
}

fn account_tz(store: &Store, node: &Node) -> Tz {
    store.accounts.get(&node.account_id).map(|a| a.tz()).unwrap_or(chrono_tz::UTC)
}

fn local_date(tz: Tz, ts: i64) -> NaiveDate {
    DateTime::from_timestamp(ts, 0).unwrap_or_default().with_timezone(&tz).date_naive()
}

/// The first instant of a local day (the first hour that exists, should DST skip midnight).
fn midnight(tz: Tz, day: NaiveDate) -> i64 {
    (0..4)
        .find_map(|h| tz.from_local_datetime(&day.and_hms_opt(h, 0, 0)?).earliest())
        .map(|t| t.timestamp())
        .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp())
}

/// A local day as [start, end) in Unix seconds (23 or 25 hours across DST).
fn day_bounds(tz: Tz, day: NaiveDate) -> (i64, i64) {
    (midnight(tz, day), midnight(tz, day + Duration::days(1)))
}

/// A hash as a fraction in [0, 1).
fn unit(h: u64) -> f64 {
    (h % 1_000_000) as f64 / 1_000_000.0
}

/// Rounds a non-negative amount up with probability equal to its fraction, decided by a hash:
/// unbiased on average, and the same every time.
fn round_h(x: f64, h: u64) -> i64 {
    let floor = x.max(0.0).floor();
    floor as i64 + i64::from(x - floor > unit(h))
}

/// A factor in [1 - amp, 1 + amp].
fn noise(h: u64, amp: f64) -> f64 {
    1.0 + amp * (2.0 * unit(h) - 1.0)
}

fn h(store: &Store, id: &str, what: &str) -> u64 {
    store.hash(&["delivery", id, what])
}

fn pacing(store: &Store, adset: &str, day: NaiveDate) -> f64 {
    PACING_FLOOR + pct(store.hash(&["delivery", adset, &day.to_string(), "pacing"]), 0, 800) as f64 / 10_000.0
}

/// A lifetime budget's flight: start (or creation) to end_time (ad sets) or stop_time (campaigns).
fn flight_days(node: &Node) -> i64 {
    let time =
        |k: &str| node.fields.get(k).and_then(Value::as_str).and_then(|s| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z").ok()).map(|t| t.timestamp());
    let start = time("start_time").unwrap_or(node.created);
    match time("end_time").or_else(|| time("stop_time")) {
        Some(end) => ((end - start + 86_399) / 86_400).max(1),
        None => DEFAULT_FLIGHT_DAYS,
    }
}

/// What an object may spend per day in this state: its daily budget, or its lifetime budget
/// spread evenly over its flight.
fn daily_amount(store: &Store, id: &str, state: &Change) -> Option<f64> {
    let days = || store.nodes.get(id).map_or(DEFAULT_FLIGHT_DAYS, flight_days);
    state.daily_budget.map(|d| d as f64).or_else(|| state.lifetime_budget.map(|l| l as f64 / days() as f64))
}

/// Spend over one stretch of a day in which nothing changed: `share` is its part of the day.
struct Segment<'a> {
    campaign: &'a str,
    day: NaiveDate,
    at: i64,
    share: f64,
}

/// Adds a segment's spend per (ad set, ad). An ad set delivers while its campaign and it are
/// live and at least one of its ads is; its spend splits over its live ads by a per-ad weight.
fn segment_spend(store: &Store, m: &Members, seg: &Segment, acc: &mut BTreeMap<(String, String), f64>) {
    let live = |id: &str| state_at(store, id, seg.at).filter(Change::live);
    let Some(campaign) = live(seg.campaign) else { return };
    let delivering: Vec<(&str, Option<f64>, Vec<&str>)> = m
        .adsets
        .iter()
        .filter_map(|s| {
            let state = live(s)?;
            let ads: Vec<&str> = m.ads.iter().filter(|(p, a)| p == s && live(a).is_some()).map(|(_, a)| a.as_str()).collect();
            (!ads.is_empty()).then(|| (s.as_str(), daily_amount(store, s, &state), ads))
        })
        .collect();
    // Campaign budget: shared by the delivering ad sets without their own, by a per-set weight.
    let shared = daily_amount(store, seg.campaign, &campaign);
    let cbo_weight = |s: &str| pct(h(store, s, "cbo_weight"), 50, 150) as f64;
    let shared_weight: f64 = delivering.iter().filter(|d| d.1.is_none()).map(|d| cbo_weight(d.0)).sum();
    for (s, own, ads) in delivering {
        let budget = match (own, shared) {
            (Some(b), _) => b,
            (None, Some(c)) => c * cbo_weight(s) / shared_weight,
            (None, None) => continue,
        };
        let amount = budget * pacing(store, s, seg.day) * seg.share;
        let weights: Vec<f64> = ads.iter().map(|a| pct(h(store, a, "ad_weight"), 50, 150) as f64).collect();
        let total: f64 = weights.iter().sum();
        for (a, w) in ads.iter().zip(weights) {
            *acc.entry((s.to_string(), a.to_string())).or_default() += amount * w / total;
        }
    }
}

/// A campaign's day, cut at every change of the campaign, its ad sets and their ads; today's
/// window ends now.
fn compute_day(store: &Store, campaign: &str, m: &Members, day: NaiveDate, (start, day_end): (i64, i64)) -> CampaignDay {
    let end = day_end.min(store.now());
    if end <= start {
        return CampaignDay::default();
    }
    let ids = std::iter::once(campaign).chain(m.adsets.iter().map(String::as_str)).chain(m.ads.iter().map(|(_, a)| a.as_str()));
    let mut cuts = vec![start, end];
    for line in ids.filter_map(|id| store.history.get(id)) {
        cuts.extend(line.iter().map(|c| c.at).filter(|t| *t > start && *t < end));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let day_len = (day_end - start) as f64;
    let mut acc = BTreeMap::new();
    for w in cuts.windows(2) {
        segment_spend(store, m, &Segment { campaign, day, at: w[0], share: (w[1] - w[0]) as f64 / day_len }, &mut acc);
    }
    integral(acc)
}

/// Whole minor units: each ad set's spend rounded down (never above budget), split over its ads
/// exactly in proportion to their shares.
fn integral(acc: BTreeMap<(String, String), f64>) -> CampaignDay {
    let mut by_set: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for ((s, a), f) in acc {
        by_set.entry(s).or_default().push((a, f));
    }
    let mut out = CampaignDay::default();
    for (s, ads) in by_set {
        let total = (ads.iter().map(|x| x.1).sum::<f64>() + 1e-6).floor() as i64;
        let weights: Vec<u64> = ads.iter().map(|x| (x.1 * 1e6).round() as u64).collect();
        for ((a, _), part) in ads.into_iter().zip(split(total, &weights)) {
            out.ads.insert(a, part);
        }
        out.adsets.insert(s, total);
    }
    out
}

fn campaign_day(store: &Store, tz: Tz, campaign: &str, day: NaiveDate) -> Arc<CampaignDay> {
    let bounds = day_bounds(tz, day);
    let whole = bounds.1 <= store.now();
    let key = (campaign.to_string(), day);
    if whole {
        if let Some(d) = cache(store).days.get(&key) {
            return d.clone();
        }
    }
    let m = members(store);
    let d = Arc::new(m.get(campaign).map(|m| compute_day(store, campaign, m, day, bounds)).unwrap_or_default());
    if whole {
        cache(store).days.insert(key, d.clone());
    }
    d
}

/// Impressions bought with a spend: the ad set's CPM (600..=1400 cents) with ±10% daily noise.
fn impressions(store: &Store, adset: &str, ad: &str, day: NaiveDate, spend: i64) -> i64 {
    let d = day.to_string();
    let cpm = pct(h(store, adset, "cpm"), 600, 1_400) as f64 * noise(store.hash(&["delivery", adset, &d, "cpm_noise"]), 0.10);
    round_h(spend as f64 * 1_000.0 / cpm, store.hash(&["delivery", ad, &d, "impressions"]))
}

fn day_impressions(store: &Store, tz: Tz, ad: &Node, day: NaiveDate) -> i64 {
    let (Some(campaign), Some(adset)) = (ad.campaign_id.as_deref(), ad.adset_id.as_deref()) else { return 0 };
    let spend = campaign_day(store, tz, campaign, day).ads.get(&ad.id).copied().unwrap_or(0);
    impressions(store, adset, &ad.id, day, spend)
}

/// The ad's impressions on every day from its creation up to (not including) `day`.
fn cumulative(store: &Store, tz: Tz, ad: &Node, day: NaiveDate) -> i64 {
    let first = local_date(tz, ad.created);
    let n = (day - first).num_days().max(0) as usize;
    let mut prefix = cache(store).prefix.remove(&ad.id).unwrap_or_else(|| vec![0]);
    while prefix.len() <= n {
        let d = first + Duration::days(prefix.len() as i64 - 1);
        if day_bounds(tz, d).1 > store.now() {
            break;
        }
        let sum = prefix[prefix.len() - 1] + day_impressions(store, tz, ad, d);
        prefix.push(sum);
    }
    let known = prefix.len().min(n + 1) - 1;
    let rest: i64 = (known..n).map(|k| day_impressions(store, tz, ad, first + Duration::days(k as i64))).sum();
    let total = prefix[known] + rest;
    cache(store).prefix.insert(ad.id.clone(), prefix);
    total
}

/// Impressions per person after `c` impressions on an audience of `a`: reach grows as
/// a(1 - e^(-c/a)), so frequency c/reach rises from 1 as the audience saturates.
pub fn frequency(c: f64, a: f64) -> f64 {
    if c <= 0.0 {
        return 1.0;
    }
    c / (a * -(-c / a).exp_m1())
}

/// Leads once all have arrived: clicks convert at the ad set's rate, less so the more it spends
/// that day (half as well at `half` minor units), the law of diminishing returns.
pub fn leads_expected(clicks: i64, cvr: f64, half: f64, adset_spend: i64) -> f64 {
    clicks as f64 * cvr / (1.0 + adset_spend as f64 / half)
}

/// The ad's delivery on a local day of its account.
pub fn base(store: &Store, ad: &Node, day: NaiveDate) -> Base {
    let tz = account_tz(store, ad);
    let whole = day_bounds(tz, day).1 <= store.now();
    let key = (ad.id.clone(), day);
    if whole {
        if let Some(b) = cache(store).bases.get(&key) {
            return *b;
        }
    }
    let b = compute_base(store, tz, ad, day);
    if whole {
        cache(store).bases.insert(key, b);
    }
    b
}

fn compute_base(store: &Store, tz: Tz, ad: &Node, day: NaiveDate) -> Base {
    let (Some(campaign), Some(adset)) = (ad.campaign_id.as_deref(), ad.adset_id.as_deref()) else { return Base::default() };
    let cd = campaign_day(store, tz, campaign, day);
    let spend_cents = cd.ads.get(&ad.id).copied().unwrap_or(0);
    if spend_cents == 0 {
        return Base::default();
    }
    let d = day.to_string();
    let hd = |k: &str| store.hash(&["delivery", &ad.id, &d, k]);
    let impressions = impressions(store, adset, &ad.id, day, spend_cents);
    let i = impressions as f64;
    let audience = pct(h(store, adset, "audience"), 20_000, 150_000) as f64;
    let base_ctr = pct(h(store, &ad.id, "ctr"), 80, 250) as f64 / 10_000.0;
    let ctr = base_ctr / (1.0 + FATIGUE * (frequency(cumulative(store, tz, ad, day) as f64, audience) - 1.0));
    let clicks = round_h(i * ctr, hd("clicks")).min(impressions);
    let link_clicks = round_h(clicks as f64 * pct(hd("link_share"), 70, 100) as f64 / 100.0, hd("link_clicks"));
    let cvr = pct(h(store, adset, "cvr"), 800, 2_500) as f64 / 10_000.0;
    let half = pct(h(store, adset, "half_spend"), 2_000, 30_000) as f64;
    let adset_spend = cd.adsets.get(adset).copied().unwrap_or(spend_cents);
    let leads = leads_expected(clicks, cvr, half, adset_spend) * noise(hd("lead_noise"), 0.20);
    Base {
        impressions,
        // A day's reach: impressions less the repeats a finite audience forces.
        reach: ((i / (1.0 + i / audience)).round() as i64).min(impressions),
        clicks,
        link_clicks,
        spend_cents,
        leads_final: round_h(leads, hd("leads")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_starts_at_one_and_rises_with_saturation() {
        assert_eq!(frequency(0.0, 50_000.0), 1.0);
        // About 1 + c/2a while the audience is barely touched.
        assert!((frequency(1.0, 150_000.0) - 1.0).abs() < 1e-5);
        let f = frequency(100_000.0, 50_000.0);
        assert!(f > 2.0 && f < 2.5, "{f}");
        assert!(frequency(200_000.0, 50_000.0) > f);
    }

    #[test]
    fn hash_rounding_is_unbiased_and_repeatable() {
        let total: i64 = (0..10_000u64).map(|i| round_h(0.3, i.wrapping_mul(0x9E37_79B9_7F4A_7C15))).sum();
        assert!((2_800..=3_200).contains(&total), "{total}");
        assert_eq!(round_h(2.0, 5), 2);
        assert_eq!(round_h(2.5, 7), round_h(2.5, 7));
    }

    #[test]
    fn returns_diminish_with_spend() {
        let per_click = |spend| leads_expected(1_000, 0.2, 10_000.0, spend) / 1_000.0;
        assert!(per_click(5_000) > per_click(20_000));
        assert!((per_click(0) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn lifetime_budgets_spread_over_the_flight() {
        let mut n = Node {
            id: "1".into(),
            kind: Kind::AdSet,
            account_id: "1".into(),
            campaign_id: None,
            adset_id: None,
            fields: Default::default(),
            created: 0,
            updated: 0,
            delivery_override: None,
        };
        assert_eq!(flight_days(&n), DEFAULT_FLIGHT_DAYS);
        n.fields.insert("start_time".into(), "2026-01-01T00:00:00+0000".into());
        n.fields.insert("end_time".into(), "2026-01-11T00:00:00+0000".into());
        assert_eq!(flight_days(&n), 10);
    }
}
