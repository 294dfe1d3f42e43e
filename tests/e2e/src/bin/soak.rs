//! Soak: MINUTES of mixed traffic on one gateway (`wrangler dev`, local D1, Durable Objects and
//! Queues) and the simulator, at the rates a busy team produces, then the checks that nothing was
//! lost or done twice:
//!   - ACCOUNTS ad accounts bound and backfilled, then re-synced by cron ticks every minute (each
//!     account's structure and insights every few minutes) and by a daily tick every 10 minutes;
//!   - actions, about one a second from four people: analytics reads and the operations digest,
//!     and ad pauses and resumes each with its own idempotency key, one in five sent twice (a
//!     client retry that must be replayed, never sent to Meta again);
//!   - Meta renaming an ad set and notifying it every two seconds, one in ten delivered twice;
//!   - with OUTAGE_MINUTES > 0, Meta failing every call for that long in the middle of the run.
//!
//! Then: every account's daily totals equal Meta's to the cent; Meta received each mutation once
//! (its ledger against the keys answered 200) and the audit has one row each; every notification
//! was stored once and dispatched, and the mirror holds Meta's names; no 5xx outside the outage;
//! the runtime's memory after warm-up against the end. Exits 1 if a check fails.
//!
//! usage: soak [MINUTES ACCOUNTS OUTAGE_MINUTES]   (defaults 30 20 0)

use adgate_e2e::{json, Connected, Resp, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TOKEN: &str = "soak-token-8e21";

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<String, BTreeMap<u16, u64>>,
    /// 5xx answers outside the outage, with what was asked.
    errors: Vec<String>,
    /// Idempotency keys of mutations answered 200, with the ad and the status set.
    mutations: BTreeMap<String, (String, String)>,
    replays: u64,
    replay_mismatches: Vec<String>,
    webhooks: BTreeSet<String>,
    duplicate_deliveries: u64,
}

struct Soak<'a> {
    c: &'a Connected,
    tally: Mutex<Tally>,
    outage: AtomicBool,
    stop: AtomicBool,
}

impl Soak<'_> {
    /// Makes one request; a request that got no answer (the harness panics on a transport error)
    /// is counted as such and is a failure outside the outage.
    fn call(&self, what: &str, asked: &str, send: impl FnOnce() -> Resp) -> Option<Resp> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(send)) {
            Ok(r) => {
                self.count(what, &r, asked);
                Some(r)
            }
            Err(e) => {
                let why = e.downcast_ref::<String>().cloned().unwrap_or_default();
                let mut t = self.tally.lock().unwrap();
                *t.statuses.entry(what.to_string()).or_default().entry(0).or_default() += 1;
                if !self.outage.load(Ordering::Relaxed) {
                    t.errors.push(format!("{what} {asked}: no answer: {}", why.chars().take(200).collect::<String>()));
                }
                None
            }
        }
    }

    fn count(&self, what: &str, r: &Resp, asked: &str) {
        let mut t = self.tally.lock().unwrap();
        *t.statuses.entry(what.to_string()).or_default().entry(r.status).or_default() += 1;
        if r.status >= 500 && !self.outage.load(Ordering::Relaxed) {
            t.errors.push(format!("{what} {asked}: {} {}", r.status, r.text.chars().take(300).collect::<String>()));
        }
    }
}

/// A small deterministic generator (no randomness in what a run does, so runs compare).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn actions(s: &Soak, accounts: &[String], ads: &BTreeMap<String, Vec<String>>, keys: &[String], window: &(String, String), seed: u64) {
    let mut rng = Lcg(seed);
    let mut n = 0u64;
    while !s.stop.load(Ordering::Relaxed) {
        n += 1;
        let account = &accounts[rng.next(accounts.len())];
        let key = &keys[rng.next(keys.len())];
        match rng.next(10) {
            0..=5 => {
                let body = json!({"ad_account_id": format!("act_{account}"), "since": window.0, "until": window.1, "breakdowns": ["country"], "time_increment": "day", "limit": 100});
                s.call("get_insights_with_breakdowns", account, || s.c.gw.act(key, "recruiter_paid_media_analytics", "get_insights_with_breakdowns", &body));
            }
            6 => {
                s.call("get_operations_digest", "", || s.c.gw.act(&keys[0], "admin_meta_ads_governance", "get_operations_digest", &json!({})));
            }
            _ => {
                let list = &ads[account];
                let ad = &list[rng.next(list.len())];
                let action = if rng.next(2) == 0 { "pause_ad" } else { "resume_ad" };
                let idem = format!("soak-{seed}-{n}");
                let body = json!({"ad_account_id": format!("act_{account}"), "ad_id": ad}).to_string();
                let send = || {
                    s.c.gw.request(
                        "POST",
                        &format!("/v1/actions/recruiter_paid_media/{action}"),
                        &[("Authorization", &format!("Bearer {key}")), ("Idempotency-Key", &idem)],
                        Some(&body),
                    )
                };
                let Some(r) = s.call(action, ad, send) else { continue };
                if r.status == 200 {
                    s.tally.lock().unwrap().mutations.insert(idem.clone(), (ad.clone(), action.to_string()));
                }
                if rng.next(5) == 0 {
                    let Some(again) = s.call(&format!("{action} (retried)"), ad, send) else { continue };
                    let mut t = s.tally.lock().unwrap();
                    t.replays += 1;
                    if again.status != r.status || (r.status == 200 && again.body != r.body) {
                        t.replay_mismatches.push(format!("{idem}: {} then {}", r.status, again.status));
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2_000 + rng.next(2_000) as u64));
    }
}

fn webhooks(s: &Soak, sets: &[(String, String)]) {
    let mut rng = Lcg(77);
    let mut n = 0u64;
    while !s.stop.load(Ordering::Relaxed) {
        n += 1;
        let (account, set) = &sets[rng.next(sets.len())];
        if !s.outage.load(Ordering::Relaxed) {
            s.c.sim.graph_post(set, TOKEN, &[("name", &format!("soak rename {n}"))]);
        }
        let time = 1_795_000_000 + n;
        let body = json!({"object": "ad_account", "entry": [{"id": account, "time": time, "changes": [{"field": "in_process_ad_objects", "value": {"id": set, "level": "AD_SET"}}]}]}).to_string();
        let sig = adgate_e2e::sign_webhook(&body);
        let deliveries = if rng.next(10) == 0 { 2 } else { 1 };
        for _ in 0..deliveries {
            s.call("webhook", set, || s.c.gw.request("POST", "/webhooks/meta", &[("X-Hub-Signature-256", &sig)], Some(&body)));
        }
        let mut t = s.tally.lock().unwrap();
        t.webhooks.insert(format!("{account}/{time}"));
        t.duplicate_deliveries += deliveries - 1;
        drop(t);
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The worker's own linear memory in KiB, as its `/metrics` reports it (apart from the runtime's).
fn instance_kib(s: &Soak) -> Option<u64> {
    let r = s.c.gw.admin("GET", "/metrics", None);
    let line = r.text.lines().find(|l| l.starts_with("adgate_instance_memory_bytes{"))?;
    line.rsplit(' ').next()?.parse::<f64>().ok().map(|b| b as u64 / 1024)
}

/// Memory samples: [minute, the runtime's resident set, the worker's linear memory], in KiB.
type Samples = Mutex<Vec<[u64; 3]>>;

fn ticks(s: &Soak, started: Instant, minutes: u64, outage_minutes: u64, memory: &Samples) {
    let outage_from = Duration::from_secs(minutes * 60 / 2 - outage_minutes * 30);
    let outage_to = outage_from + Duration::from_secs(outage_minutes * 60);
    let mut minute = 0;
    while !s.stop.load(Ordering::Relaxed) {
        let at = started.elapsed();
        if outage_minutes > 0 && at >= outage_from && at < outage_to && !s.outage.load(Ordering::Relaxed) {
            println!("   {:.0}s: Meta down for {outage_minutes} minutes", at.as_secs_f64());
            s.c.sim.control("POST", "/faults", json!({"kind": "status", "status": 503, "count": 100_000_000}));
            s.outage.store(true, Ordering::Relaxed);
        }
        if s.outage.load(Ordering::Relaxed) && at >= outage_to {
            s.c.sim.control("DELETE", "/faults", Value::Null);
            s.outage.store(false, Ordering::Relaxed);
            println!("   {:.0}s: Meta back", at.as_secs_f64());
        }
        if at >= Duration::from_secs(minute * 60) {
            let cron = if minute > 0 && minute % 10 == 0 { "17+3+*+*+*" } else { "*/15+*+*+*+*" };
            s.call("cron", cron, || s.c.gw.get(&format!("/__scheduled?cron={cron}")));
            if let (Some(rss), Some(instance)) = (s.c.gw.runtime_rss_kib(), instance_kib(s)) {
                memory.lock().unwrap().push([minute, rss, instance]);
            }
            minute += 1;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (minutes, accounts_n, outage_minutes) = (arg(0, 30).max(2), arg(1, 20).clamp(1, 200) as usize, arg(2, 0));
    assert!(outage_minutes * 2 < minutes, "the outage must fit in the middle of the run");
    println!("== soak: {minutes} minutes, {accounts_n} accounts, Meta down {outage_minutes} minutes in the middle");
    let c = Connected::start(
        "soak",
        TOKEN,
        &[("BACKFILL_ON_BIND", "true"), ("SYNC_STALE_SECONDS", "120"), ("SYNC_COOLDOWN_SECONDS", "240"), ("GATE_MAX_CALLS", "1000000")],
    );
    let accounts = c.seed_fleet("8800", accounts_n, TOKEN, json!({"campaigns": 2, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 30}));
    c.set_insights(json!({"breakdown_sets": ["country"], "backfill_days": 14}));
    let iid = c.connect(TOKEN);
    for id in &accounts {
        let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{id}")})));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    c.gw.wait_for("every backfill", Duration::from_secs(1_800), || {
        let rows = c.gw.query("SELECT status FROM sync_runs", &[]);
        (rows.len() == 2 * accounts_n && rows.iter().all(|r| r["status"] == "succeeded")).then_some(())
    });
    let mut ads = BTreeMap::new();
    let mut sets = Vec::new();
    for id in &accounts {
        let q = |sql: &str| -> Vec<String> { c.gw.query(sql, &[id]).iter().map(|r| r["id"].as_str().unwrap().to_string()).collect() };
        ads.insert(id.clone(), q("SELECT id FROM meta_ads WHERE ad_account_id = ?1 ORDER BY id"));
        sets.extend(q("SELECT id FROM meta_ad_sets WHERE ad_account_id = ?1 ORDER BY id").into_iter().map(|s| (id.clone(), s)));
    }
    // The dashboard question: the last 14 days of the account, by country and day.
    let w = c.gw.query("SELECT MIN(date) AS lo, MAX(date) AS hi FROM insights_daily", &[]);
    let window = (w[0]["lo"].as_str().unwrap().to_string(), w[0]["hi"].as_str().unwrap().to_string());
    let keys = vec![c.key("admin"), c.key("recruiter"), c.key("recruiter"), c.key("admin")];
    c.sim.control("DELETE", "/ledger", Value::Null);
    println!("   {} accounts bound and backfilled; traffic starts", accounts_n);

    // A request without an answer is counted, not a crash: keep its panic to one line.
    std::panic::set_hook(Box::new(|info| eprintln!("   {info}")));
    let s = Soak { c: &c, tally: Mutex::new(Tally::default()), outage: AtomicBool::new(false), stop: AtomicBool::new(false) };
    let memory: Samples = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| ticks(&s, started, minutes, outage_minutes, &memory));
        scope.spawn(|| webhooks(&s, &sets));
        for seed in 1..=4 {
            let (accounts, ads, keys, window, s) = (&accounts, &ads, &keys, &window, &s);
            scope.spawn(move || actions(s, accounts, ads, keys, window, seed));
        }
        while started.elapsed() < Duration::from_secs(minutes * 60) {
            std::thread::sleep(Duration::from_secs(1));
        }
        s.stop.store(true, Ordering::Relaxed);
    });
    c.sim.control("DELETE", "/faults", Value::Null);
    println!("   traffic stopped after {:.0}s; settling", started.elapsed().as_secs_f64());

    // Settle: ticks until no run is pending and the queues are quiet, then one last insights pass.
    let settle = |what: &str| {
        c.gw.wait_for(what, Duration::from_secs(1_800), || {
            std::thread::sleep(Duration::from_secs(5));
            let open = c.gw.query("SELECT COUNT(*) AS n FROM sync_runs WHERE status IN ('queued', 'running')", &[])[0]["n"].as_i64().unwrap_or(1);
            let undispatched = c.gw.query("SELECT COUNT(*) AS n FROM webhook_events WHERE status <> 'dispatched'", &[])[0]["n"].as_i64().unwrap_or(1);
            if open == 0 && undispatched == 0 {
                return Some(());
            }
            c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
            None
        })
    };
    settle("the runs settled");
    for id in &accounts {
        let r = c.gw.admin("POST", &format!("/v1/accounts/act_{id}/sync"), Some(&json!({"kind": "insights"})));
        assert!(r.status == 202 || r.status == 409, "{}", r.text);
    }
    settle("the last insights pass");
    let mut failed = Vec::new();

    // Totals exact to the cent over each account's last window.
    let mut cents = 0i64;
    for id in &accounts {
        let w = c.gw.query(
            "SELECT window_start, window_end FROM sync_runs WHERE ad_account_id = ?1 AND kind = 'insights_resync' AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1",
            &[id],
        );
        let (since, until) = (w[0]["window_start"].as_str().unwrap().to_string(), w[0]["window_end"].as_str().unwrap().to_string());
        let truth = c.sim.control("GET", &format!("/truth?account_id={id}&since={since}&until={until}"), Value::Null);
        let theirs: Vec<Value> =
            truth["days"].as_array().unwrap().iter().map(|d| json!([d["date"], d["impressions"], d["spend_cents"], d["clicks"], d["leads"]])).collect();
        let ours: Vec<Value> = c
            .gw
            .query(
                "SELECT date, impressions, spend_minor, clicks, leads FROM insights_daily WHERE ad_account_id = ?1 AND level = 'account' AND attribution_window = 'default' \
                 AND date BETWEEN ?2 AND ?3 ORDER BY date",
                &[id, &since, &until],
            )
            .iter()
            .map(|r| json!([r["date"], r["impressions"], r["spend_minor"], r["clicks"], r["leads"]]))
            .collect();
        cents += ours.iter().map(|r| r[2].as_i64().unwrap_or(0)).sum::<i64>();
        if ours != theirs || ours.is_empty() {
            failed.push(format!("account {id}: daily totals differ from Meta's over {since}..{until}"));
        }
    }

    // Mutations: Meta's ledger against the keys answered 200; one audit row each.
    let t = s.tally.lock().unwrap();
    let ad_ids: BTreeSet<&String> = ads.values().flatten().collect();
    let ledger = c.sim.ledger();
    let writes: Vec<&Value> =
        ledger.iter().filter(|e| e["method"] == "POST" && e["status"] == 200 && ad_ids.iter().any(|a| e["path"] == format!("/{a}"))).collect();
    let mut per_ad: BTreeMap<String, usize> = BTreeMap::new();
    for (ad, _) in t.mutations.values() {
        *per_ad.entry(ad.clone()).or_default() += 1;
    }
    let mut in_ledger: BTreeMap<String, usize> = BTreeMap::new();
    for w in &writes {
        *in_ledger.entry(w["path"].as_str().unwrap_or_default().trim_start_matches('/').to_string()).or_default() += 1;
    }
    if per_ad != in_ledger {
        failed.push(format!("Meta received {} ad writes for {} mutations answered 200 (per ad differs)", writes.len(), t.mutations.len()));
    }
    let audited = c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('pause_ad', 'resume_ad') AND outcome = 'succeeded'", &[])[0]["n"]
        .as_i64()
        .unwrap_or(0);
    if audited != t.mutations.len() as i64 {
        failed.push(format!("{audited} audit rows for {} mutations", t.mutations.len()));
    }
    if !t.replay_mismatches.is_empty() {
        failed.push(format!("retries not replayed: {:?}", t.replay_mismatches));
    }

    // Webhooks: each stored once, each dispatched; the mirror holds Meta's names.
    let events = c.gw.query("SELECT COUNT(*) AS n, SUM(status = 'dispatched') AS d FROM webhook_events", &[]);
    let (stored, dispatched) = (events[0]["n"].as_i64().unwrap_or(0), events[0]["d"].as_i64().unwrap_or(0));
    if stored != t.webhooks.len() as i64 || dispatched != stored {
        failed.push(format!("{} notifications sent, {stored} stored, {dispatched} dispatched", t.webhooks.len()));
    }
    let mut stale_names = 0;
    for (_, set) in &sets {
        let meta = c.sim.graph_get(&format!("{set}?fields=name"), TOKEN)["name"].clone();
        if c.gw.query("SELECT name FROM meta_ad_sets WHERE id = ?1", &[set])[0]["name"] != meta {
            stale_names += 1;
        }
    }
    if stale_names > 0 {
        failed.push(format!("{stale_names} ad set names differ from Meta's"));
    }
    if !t.errors.is_empty() {
        failed.push(format!("{} 5xx answers: {:?}", t.errors.len(), t.errors.iter().take(5).collect::<Vec<_>>()));
    }
    let runs = c.gw.query("SELECT status, COUNT(*) AS n, SUM(graph_calls) AS calls, SUM(rows_written) AS rows FROM sync_runs GROUP BY status", &[]);
    let letters = c.gw.query("SELECT COUNT(*) AS n FROM dead_letters", &[])[0]["n"].clone();
    let memory = memory.lock().unwrap();
    // From minute 3 (after warm-up) to the end, and the peak, of one column of the samples.
    let span = |col: usize| {
        let warm = memory.iter().find(|m| m[0] >= 3).or(memory.first()).map_or(0, |m| m[col]);
        (warm, memory.last().map_or(0, |m| m[col]), memory.iter().map(|m| m[col]).max().unwrap_or(0))
    };

    println!("   requests by kind and status: {}", serde_json::to_string(&t.statuses).unwrap());
    println!(
        "   mutations answered 200: {} (Meta's ledger: {} ad writes), retries replayed: {}, audit rows: {audited}",
        t.mutations.len(),
        writes.len(),
        t.replays
    );
    println!("   notifications: {} sent ({} delivered twice), {stored} stored, {dispatched} dispatched", t.webhooks.len(), t.duplicate_deliveries);
    println!("   sync runs: {}; dead letters: {letters}", serde_json::to_string(&runs).unwrap());
    println!(
        "   facts: {} accounts exact to the cent ({cents} cents over their last windows)",
        accounts.len() - failed.iter().filter(|f| f.starts_with("account")).count()
    );
    for (what, col) in [("runtime memory (RSS)", 1), ("worker memory (wasm)", 2)] {
        let (warm, end, peak) = span(col);
        println!(
            "   {what}: after warm-up {:.1} MiB, end {:.1} MiB, peak {:.1} MiB; end/warm {:.2}x",
            warm as f64 / 1024.0,
            end as f64 / 1024.0,
            peak as f64 / 1024.0,
            end as f64 / warm.max(1) as f64
        );
    }
    // The runtime's resident set grows per request under `wrangler dev` whatever the worker does
    // (see scripts/bench-baseline); the worker's own memory is what must stay flat.
    let (warm, end, _) = span(2);
    if end > warm + warm / 4 {
        failed.push(format!("the worker's memory grew from {warm} KiB to {end} KiB after warm-up"));
    }
    println!("   samples (minute, RSS KiB, wasm KiB): {}", serde_json::to_string(&*memory).unwrap());
    if failed.is_empty() {
        println!("   soak passed: nothing lost, nothing done twice");
    } else {
        for f in &failed {
            println!("   FAILED: {f}");
        }
        std::process::exit(1);
    }
}
