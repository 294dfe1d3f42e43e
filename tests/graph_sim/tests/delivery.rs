//! The delivery model (accounts seeded with `"delivery_model": true`): spend follows budgets and
//! status within the day, results have diminishing returns, creatives fatigue, all from the
//! seed; accounts without the flag keep the legacy numbers.

mod common;

use chrono::{Duration, NaiveDate};
use common::Sim;
use graph_sim::Config;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const V: &str = "/v26.0";

/// Day 0 of every run; the clock is frozen at 09:00 UTC on it, so runs are repeatable.
fn day0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

fn day(n: i64) -> String {
    (day0() + Duration::days(n)).to_string()
}

fn num(v: &Value) -> i64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn cents(v: &Value) -> i64 {
    (v.as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0) * 100.0).round() as i64
}

fn leads(row: &Value) -> i64 {
    row["actions"].as_array().and_then(|a| a.iter().find(|x| x["action_type"] == "lead")).map(|x| num(&x["value"])).unwrap_or(0)
}

/// A day's spend paced from a (time-weighted) budget: 92% to 100% of it, in whole cents.
fn assert_paced(spend: i64, budget: f64, what: &str) {
    let lo = (budget * 0.92).floor() as i64 - 1;
    assert!((lo..=budget.ceil() as i64).contains(&spend), "{what}: spend {spend} outside 92..100% of {budget}");
}

struct Run {
    sim: Sim,
    acct: String,
    tok: String,
    creative: String,
}

impl Run {
    /// A simulator with this seed, its clock frozen at 09:00 UTC on day 0, and one delivery
    /// account of the given shape (in UTC).
    fn new(seed: u64, shape: Value) -> Run {
        let sim = Sim::start_with(Config { seed, ..Config::default() });
        let at = day0().and_hms_opt(9, 0, 0).unwrap().and_utc().timestamp();
        let frozen = sim.control("POST", "/time/freeze", json!({ "at": at }));
        assert_eq!(frozen["now"], at, "{frozen}");
        let mut spec = json!({ "delivery_model": true, "timezone_name": "UTC", "special_ad_categories": ["NONE"] });
        spec.as_object_mut().unwrap().extend(shape.as_object().unwrap().clone());
        let r = sim.control("POST", "/accounts", spec);
        assert_eq!(r["delivery_model"], true, "{r}");
        let (acct, tok, creative) =
            (r["account_id"].as_str().unwrap().into(), r["access_token"].as_str().unwrap().into(), r["creative_id"].as_str().unwrap().into());
        Run { sim, acct, tok, creative }
    }

    /// Ids of an account edge's objects, ordered by name ("Campaign 1.2.1" is campaign 1, ad set 2, ad 1).
    fn ids(&self, edge: &str) -> Vec<String> {
        let r = self.sim.call("GET", &format!("{V}/act_{}/{edge}", self.acct), &[("access_token", &self.tok), ("fields", "id,name"), ("limit", "100")]);
        let mut named: Vec<(String, String)> =
            r.body["data"].as_array().unwrap().iter().map(|n| (n["name"].as_str().unwrap().into(), n["id"].as_str().unwrap().into())).collect();
        named.sort();
        named.into_iter().map(|(_, id)| id).collect()
    }

    fn post(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let mut all = vec![("access_token", self.tok.as_str())];
        all.extend_from_slice(params);
        let r = self.sim.call("POST", &format!("{V}/{path}"), &all);
        assert_eq!(r.status, 200, "POST {path}: {}", r.body);
        r.body
    }

    /// Several updates in one batch request.
    fn batch(&self, calls: &[(&str, &str)]) {
        let batch: Vec<Value> = calls.iter().map(|(id, body)| json!({ "method": "POST", "relative_url": id, "body": body })).collect();
        let r = self.post("", &[("batch", &Value::Array(batch).to_string())]);
        for item in r.as_array().unwrap() {
            assert_eq!(item["code"], 200, "{item}");
        }
    }

    fn hold(&self, id: &str, status: Value) {
        self.sim.control("POST", &format!("/objects/{id}/delivery"), json!({ "effective_status": status }));
    }

    fn advance_hours(&self, hours: i64) {
        self.sim.control("POST", "/time/advance", json!({ "seconds": hours * 3_600 }));
    }

    fn query(&self, level: &str, since: &str, until: &str) -> Vec<(&'static str, String)> {
        vec![
            ("level", level.to_string()),
            ("time_range", json!({ "since": since, "until": until }).to_string()),
            ("time_increment", "1".into()),
            ("fields", format!("{level}_id,impressions,reach,clicks,inline_link_clicks,spend,actions,frequency")),
            ("limit", "5000".into()),
        ]
    }

    fn rows(&self, level: &str, since: &str, until: &str) -> Vec<Value> {
        let q = self.query(level, since, until);
        let mut all = vec![("access_token", self.tok.as_str())];
        all.extend(q.iter().map(|(k, v)| (*k, v.as_str())));
        let r = self.sim.call("GET", &format!("{V}/act_{}/insights", self.acct), &all);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["data"].as_array().unwrap().clone()
    }

    /// One object's rows by date (a day without delivery has no row).
    fn daily(&self, level: &str, id: &str, since: i64, until: i64) -> BTreeMap<String, Value> {
        let key = format!("{level}_id");
        self.rows(level, &day(since), &day(until)).into_iter().filter(|r| r[&key] == id).map(|r| (r["date_start"].as_str().unwrap().to_string(), r)).collect()
    }

    fn spend(&self, level: &str, id: &str, on: i64) -> i64 {
        self.daily(level, id, on, on).values().map(|r| cents(&r["spend"])).sum()
    }
}

#[test]
fn spend_follows_the_budget_and_a_raise_doubles_it() {
    let run = Run::new(42, json!({ "campaigns": 1, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 10 }));
    let sets = run.ids("adsets");
    // Created at 08:00 on day -10: days -9..-1 are whole.
    let before = run.daily("adset", &sets[0], -10, -1);
    for d in -9..=-1 {
        assert_paced(cents(&before[&day(d)]["spend"]), 5_000.0, &format!("day {d}"));
    }
    assert_paced(cents(&before[&day(-10)]["spend"]), 5_000.0 * 16.0 / 24.0, "the creation day from 08:00");
    assert_paced(run.spend("adset", &sets[0], 0), 5_000.0 * 9.0 / 24.0, "today until 09:00");
    // The ad rows add up to the ad set's, day by day.
    let ad_rows = run.rows("ad", &day(-10), &day(-1));
    let set_rows = run.rows("adset", &day(-10), &day(-1));
    for d in -10..=-1 {
        let of = |rows: &[Value]| rows.iter().filter(|r| r["date_start"] == day(d).as_str()).map(|r| cents(&r["spend"])).sum::<i64>();
        assert_eq!(of(&ad_rows), of(&set_rows), "day {d}");
    }

    run.post(&sets[0], &[("daily_budget", "10000")]);
    run.advance_hours(48);
    let mean: f64 = (-9..=-1).map(|d| cents(&before[&day(d)]["spend"]) as f64).sum::<f64>() / 9.0;
    let raised = run.spend("adset", &sets[0], 1);
    assert_paced(raised, 10_000.0, "the first whole day at the doubled budget");
    let ratio = raised as f64 / mean;
    assert!((1.8..=2.2).contains(&ratio), "doubling the budget gave {ratio}x the spend");
    assert_paced(run.spend("adset", &sets[0], 0), (5_000.0 * 9.0 + 10_000.0 * 15.0) / 24.0, "the day of the raise, time-weighted");
    assert_paced(run.spend("adset", &sets[1], 1), 5_000.0, "the other ad set is unchanged");
}

#[test]
fn changes_within_the_day_count_by_time_and_pauses_stop_spend() {
    let run = Run::new(42, json!({ "campaigns": 3, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 2 }));
    let (campaigns, sets, ads) = (run.ids("campaigns"), run.ids("adsets"), run.ids("ads"));
    // Midday of day 1: a budget triples, an ad set pauses (in a batch), one ad of three pauses.
    run.advance_hours(27);
    run.post(&sets[0], &[("daily_budget", "15000")]);
    run.batch(&[(&sets[1], "status=PAUSED")]);
    run.post(&ads[4], &[("status", "PAUSED")]);
    run.advance_hours(24);
    run.post(&campaigns[0], &[("status", "PAUSED")]);
    run.advance_hours(48);
    assert_paced(run.spend("adset", &sets[0], 1), 10_000.0, "half a day at 5,000 and half at 15,000");
    assert_paced(run.spend("adset", &sets[1], 1), 2_500.0, "paused at midday");
    assert_paced(run.spend("adset", &sets[2], 1), 5_000.0, "the ad set's other ad takes the whole budget");
    assert_paced(run.spend("adset", &sets[0], 2), 7_500.0, "campaign paused at midday");
    for (level, id, what) in [("adset", &sets[1], "paused ad set"), ("ad", &ads[4], "paused ad"), ("adset", &sets[0], "paused campaign")] {
        assert_eq!(run.spend(level, id, 3), 0, "{what}");
        assert!(run.daily(level, id, 3, 3).is_empty(), "{what}: a day without delivery has no row");
    }
    assert_eq!(run.spend("adset", &sets[1], 2), 0);
    assert_paced(run.spend("ad", &ads[5], 3), 5_000.0, "the unpaused ad");

    // Midday of day 4: everything resumes, and a review hold stops the ad that kept running.
    run.batch(&[(&campaigns[0], "status=ACTIVE"), (&sets[1], "status=ACTIVE")]);
    run.post(&ads[4], &[("status", "ACTIVE")]);
    run.hold(&ads[5], json!("WITH_ISSUES"));
    run.advance_hours(48);
    assert_paced(run.spend("adset", &sets[0], 4), 7_500.0, "resumed at midday");
    assert_paced(run.spend("adset", &sets[0], 5), 15_000.0, "resumed");
    assert_paced(run.spend("adset", &sets[1], 5), 5_000.0, "resumed ad set");
    assert_paced(run.spend("ad", &ads[4], 5), 5_000.0, "the resumed ad alone");
    assert_eq!(run.spend("ad", &ads[5], 5), 0, "held in review");
    run.hold(&ads[4], json!("IN_PROCESS"));
    run.advance_hours(48);
    assert_paced(run.spend("adset", &sets[2], 6), 2_500.0, "its last ad held at midday");
    assert_eq!(run.spend("adset", &sets[2], 7), 0, "every ad held: the ad set does not deliver");
    run.hold(&ads[5], Value::Null);
    run.advance_hours(48);
    assert_paced(run.spend("ad", &ads[5], 9), 5_000.0, "released from review");
}

#[test]
fn a_campaign_budget_splits_over_ad_sets_made_through_graph() {
    let run = Run::new(42, json!({ "campaigns": 0, "days": 0 }));
    let c = run.post(
        &format!("act_{}/campaigns", run.acct),
        &[("name", "CBO"), ("objective", "OUTCOME_LEADS"), ("special_ad_categories", "[]"), ("daily_budget", "9000")],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let creative = json!({ "creative_id": run.creative }).to_string();
    let mut sets = Vec::new();
    for name in ["A", "B"] {
        let s = run.post(
            &format!("act_{}/adsets", run.acct),
            &[
                ("name", name),
                ("campaign_id", &c),
                ("billing_event", "IMPRESSIONS"),
                ("optimization_goal", "LINK_CLICKS"),
                ("targeting", r#"{"geo_locations":{"countries":["US"]}}"#),
            ],
        )["id"]
            .as_str()
            .unwrap()
            .to_string();
        run.post(&format!("act_{}/ads", run.acct), &[("name", name), ("adset_id", &s), ("creative", &creative)]);
        sets.push(s);
    }
    run.advance_hours(48);
    let (a, b) = (run.spend("adset", &sets[0], 1), run.spend("adset", &sets[1], 1));
    assert!(a > 0 && b > 0, "both ad sets deliver: {a}, {b}");
    assert!((a + b) as f64 <= 9_000.0 && (a + b) as f64 >= 9_000.0 * 0.92 - 2.0, "the campaign budget is shared: {a} + {b}");
    assert_paced(run.spend("campaign", &c, 0), 9_000.0 * 15.0 / 24.0, "created at 09:00");
}

#[test]
fn results_have_diminishing_returns() {
    // The same seed, so the same ad set parameters; only the budget differs.
    let totals = |budget: &str| {
        let run = Run::new(42, json!({ "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 0 }));
        run.sim.control("POST", "/config", json!({ "attribution_lag_days": 1 }));
        let set = run.ids("adsets").remove(0);
        run.post(&set, &[("daily_budget", budget)]);
        run.advance_hours(24 * 15);
        let rows = run.daily("adset", &set, 1, 14);
        assert_eq!(rows.len(), 14);
        rows.values().fold((0, 0, 0), |t, r| (t.0 + cents(&r["spend"]), t.1 + num(&r["clicks"]), t.2 + leads(r)))
    };
    let (low, high) = (totals("4000"), totals("32000"));
    let spend_ratio = high.0 as f64 / low.0 as f64;
    assert!((7.0..=9.0).contains(&spend_ratio), "{low:?} {high:?}");
    let per_spend = |t: (i64, i64, i64)| t.2 as f64 / t.0 as f64;
    let per_click = |t: (i64, i64, i64)| t.2 as f64 / t.1 as f64;
    assert!(low.2 > 20, "enough leads to compare: {low:?}");
    assert!(per_spend(high) < per_spend(low) * 0.8, "leads per unit spend fall as spend rises: {low:?} {high:?}");
    assert!(per_click(high) < per_click(low) * 0.8, "and per click (not only through fatigue): {low:?} {high:?}");
}

#[test]
fn frequency_fatigues_the_creative() {
    let run = Run::new(42, json!({ "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 0 }));
    let (set, ad) = (run.ids("adsets").remove(0), run.ids("ads").remove(0));
    run.post(&set, &[("daily_budget", "20000")]);
    run.advance_hours(24 * 28);
    let rows = run.daily("ad", &ad, 1, 27);
    let ctr = |from: i64, to: i64| {
        let (c, i) = (from..=to).map(|d| &rows[&day(d)]).fold((0, 0), |t, r| (t.0 + num(&r["clicks"]), t.1 + num(&r["impressions"])));
        c as f64 / i as f64
    };
    let (early, late) = (ctr(1, 3), ctr(15, 27));
    assert!(late < early * 0.9, "CTR in weeks 3-4 ({late}) below days 1-3 ({early})");
    assert!(ctr(22, 27) < ctr(8, 14), "and still falling");
    let spend = |d: i64| cents(&rows[&day(d)]["spend"]);
    assert_paced(spend(27), 20_000.0, "fatigue lowers results, not spend");
}

/// Seeds, writes and advances the same way each time; returns the run and its ad-level rows.
fn scripted(seed: u64) -> (Run, Vec<Value>) {
    let run = Run::new(seed, json!({ "campaigns": 2, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 20 }));
    let (sets, ads) = (run.ids("adsets"), run.ids("ads"));
    run.post(&sets[0], &[("daily_budget", "12000")]);
    run.advance_hours(30);
    run.post(&ads[3], &[("status", "PAUSED")]);
    run.advance_hours(50);
    let rows = run.rows("ad", &day(-20), &day(3));
    (run, rows)
}

#[test]
fn numbers_follow_the_seed_and_every_insights_path_agrees() {
    let (run, rows) = scripted(7);
    assert!(rows.len() > 100);
    assert_eq!(scripted(7).1, rows, "same seed and writes, same insights");
    let other = scripted(8).1;
    assert_ne!(other, rows, "another seed, other numbers");
    let spend = |rows: &[Value]| rows.iter().map(|r| cents(&r["spend"])).collect::<Vec<_>>();
    assert_ne!(spend(&other), spend(&rows), "including spend (pacing follows the seed)");

    let total = |f: &dyn Fn(&Value) -> i64| rows.iter().map(f).sum::<i64>();
    let truth = run.sim.control("GET", &format!("/truth?account_id={}&since={}&until={}", run.acct, day(-20), day(3)), json!(null));
    assert_eq!(truth["totals"]["spend_cents"], total(&|r| cents(&r["spend"])));
    assert_eq!(truth["totals"]["impressions"], total(&|r| num(&r["impressions"])));
    assert_eq!(truth["totals"]["leads"], total(&leads));

    let q = run.query("ad", &day(-20), &day(3));
    let url = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(q.iter().map(|(k, v)| (*k, v.as_str()))).finish();
    let batch = json!([{ "method": "GET", "relative_url": format!("act_{}/insights?{url}", run.acct) }]);
    let answer = run.post("", &[("batch", &batch.to_string())]);
    let body: Value = serde_json::from_str(answer[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"].as_array().unwrap(), &rows, "a batched read");

    let mut form = vec![("access_token", run.tok.as_str())];
    form.extend(q.iter().map(|(k, v)| (*k, v.as_str())));
    let id = run.sim.call("POST", &format!("{V}/act_{}/insights", run.acct), &form).body["report_run_id"].as_str().unwrap().to_string();
    let done = (0..10).any(|_| run.sim.call("GET", &format!("{V}/{id}"), &[("access_token", &run.tok)]).body["async_status"] == "Job Completed");
    assert!(done);
    let report = run.sim.call("GET", &format!("{V}/{id}/insights"), &[("access_token", &run.tok), ("limit", "5000")]);
    assert_eq!(report.body["data"].as_array().unwrap(), &rows, "an async report run");
}

#[test]
fn accounts_without_the_flag_keep_the_legacy_numbers() {
    let sim = Sim::start();
    let r = sim.control("POST", "/accounts", json!({ "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 5 }));
    assert_eq!(r["delivery_model"], false);
    let (acct, tok) = (r["account_id"].as_str().unwrap().to_string(), r["access_token"].as_str().unwrap().to_string());
    let set = sim.call("GET", &format!("{V}/act_{acct}/adsets"), &[("access_token", &tok)]).body["data"][0]["id"].as_str().unwrap().to_string();
    // A pause changes nothing in the legacy model: every day keeps its hash-derived numbers.
    assert_eq!(sim.call("POST", &format!("{V}/{set}"), &[("access_token", &tok), ("status", "PAUSED")]).status, 200);
    sim.control("POST", "/time/advance", json!({ "days": 2 }));
    let today = sim.control("GET", &format!("/truth?account_id={acct}&since=2000-01-01&until=2000-01-01"), json!(null))["today"].as_str().unwrap().to_string();
    let today = NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap();
    let tr = json!({ "since": (today - Duration::days(6)).to_string(), "until": (today - Duration::days(1)).to_string() }).to_string();
    let rows = sim
        .call(
            "GET",
            &format!("{V}/act_{acct}/insights"),
            &[("access_token", &tok), ("level", "ad"), ("time_range", &tr), ("time_increment", "1"), ("fields", "ad_id,impressions,spend"), ("limit", "500")],
        )
        .body["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), 12, "two ads, six days, paused or not");
    let store = sim.store.lock().unwrap();
    assert!(store.history.is_empty(), "no delivery history is kept for legacy accounts");
    for r in &rows {
        let (ad, d) = (r["ad_id"].as_str().unwrap(), r["date_start"].as_str().unwrap());
        // The legacy formulas, restated.
        let imp = 200 + (store.hash(&[ad, d, "imp"]) % 1_800) as i64;
        let spend = imp * (300 + (store.hash(&[ad, d, "cpm"]) % 1_201) as i64) / 1_000;
        assert_eq!((num(&r["impressions"]), cents(&r["spend"])), (imp, spend), "{ad} {d}");
    }
}
