//! Insights arithmetic, late attribution and time zones; async report runs; injected faults;
//! signed webhook deliveries with retries.

mod common;

use common::Sim;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

fn num(v: &Value) -> i64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn cents(v: &Value) -> i64 {
    (v.as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0) * 100.0).round() as i64
}

fn all_rows(sim: &Sim, path: &str, params: &[(&str, &str)]) -> Vec<Value> {
    let mut q: Vec<(&str, &str)> = params.to_vec();
    q.push(("limit", "5000"));
    let r = sim.call("GET", path, &q);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["paging"].get("next").is_none(), "one page expected");
    r.body["data"].as_array().unwrap().clone()
}

#[test]
fn breakdowns_split_totals_exactly_and_bad_combinations_fail() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let path = format!("/v26.0/act_{acct}/insights");
    let base = [
        ("access_token", tok.as_str()),
        ("level", "campaign"),
        ("date_preset", "last_7d"),
        ("time_increment", "1"),
        ("fields", "campaign_id,impressions,spend,clicks,actions"),
    ];
    let plain = all_rows(&sim, &path, &base);
    assert_eq!(plain.len(), 3 * 7);
    let total_imp: i64 = plain.iter().map(|r| num(&r["impressions"])).sum();
    let total_spend: i64 = plain.iter().map(|r| cents(&r["spend"])).sum();
    for b in ["age,gender", "publisher_platform,platform_position", "country", "hourly_stats_aggregated_by_advertiser_time_zone"] {
        let mut q = base.to_vec();
        q.push(("breakdowns", b));
        let rows = all_rows(&sim, &path, &q);
        assert!(rows.len() > plain.len(), "{b}");
        assert_eq!(rows.iter().map(|r| num(&r["impressions"])).sum::<i64>(), total_imp, "{b}");
        assert_eq!(rows.iter().map(|r| cents(&r["spend"])).sum::<i64>(), total_spend, "{b}");
        let first = b.split(',').next().unwrap();
        assert!(rows[0][first].is_string(), "{b}: rows carry the breakdown value");
    }
    let mut q = base.to_vec();
    q.push(("breakdowns", "age,country"));
    let bad = sim.call("GET", &path, &q);
    assert_eq!(bad.code(), 100);
    assert!(bad.body["error"]["message"].as_str().unwrap().contains("combination"));
    // The truth endpoint agrees with the account-level sum.
    let since = plain.iter().map(|r| r["date_start"].as_str().unwrap()).min().unwrap();
    let until = plain.iter().map(|r| r["date_stop"].as_str().unwrap()).max().unwrap();
    let truth = sim.control("GET", &format!("/truth?account_id={acct}&since={since}&until={until}"), json!(null));
    assert_eq!(truth["totals"]["impressions"], total_imp);
    assert_eq!(truth["totals"]["spend_cents"], total_spend);
}

#[test]
fn placements_come_only_in_the_pairs_meta_reports_and_still_sum() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let path = format!("/v26.0/act_{acct}/insights");
    let base = [("access_token", tok.as_str()), ("level", "ad"), ("date_preset", "last_7d"), ("fields", "ad_id,impressions,spend")];
    let plain = all_rows(&sim, &path, &base);
    let mut q = base.to_vec();
    q.push(("breakdowns", "publisher_platform,platform_position"));
    let rows = all_rows(&sim, &path, &q);
    let pairs: std::collections::BTreeSet<(String, String)> =
        rows.iter().map(|r| (r["publisher_platform"].as_str().unwrap().to_string(), r["platform_position"].as_str().unwrap().to_string())).collect();
    let has = |p: &str, pos: &str| pairs.contains(&(p.to_string(), pos.to_string()));
    assert!(has("instagram", "stream") && !has("instagram", "feed"), "Instagram's feed is stream: {pairs:?}");
    assert!(has("facebook", "feed") && has("audience_network", "an_classic") && has("messenger", "messenger_inbox"), "{pairs:?}");
    assert!(!pairs.iter().any(|(p, pos)| p == "audience_network" && pos.contains("reels")), "{pairs:?}");
    assert!(!has("messenger", "marketplace") && !has("instagram", "marketplace"), "{pairs:?}");
    for ad in plain.iter().map(|r| r["ad_id"].as_str().unwrap()) {
        let want: i64 = plain.iter().filter(|r| r["ad_id"] == ad).map(|r| num(&r["impressions"])).sum();
        let got: i64 = rows.iter().filter(|r| r["ad_id"] == ad).map(|r| num(&r["impressions"])).sum();
        assert_eq!(got, want, "ad {ad}'s placements sum to its impressions");
    }
    assert_eq!(rows.iter().map(|r| cents(&r["spend"])).sum::<i64>(), plain.iter().map(|r| cents(&r["spend"])).sum::<i64>());
}

/// Sums an `actions` list per action type, optionally only entries with `key` = `value`.
fn action_sums(rows: &[Value], field: &str) -> std::collections::BTreeMap<String, i64> {
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        for a in r[field].as_array().into_iter().flatten() {
            *out.entry(a["action_type"].as_str().unwrap().to_string()).or_default() += num(&a["value"]);
        }
    }
    out
}

#[test]
fn action_breakdowns_split_each_action_and_sum_to_its_total_at_every_level() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let path = format!("/v26.0/act_{acct}/insights");
    let rows = |level: &str, ab: Option<&str>| {
        let mut q = vec![
            ("access_token", tok.as_str()),
            ("level", level),
            ("date_preset", "last_7d"),
            ("fields", "actions,action_values"),
            ("action_attribution_windows", "[\"1d_click\",\"default\"]"),
        ];
        if let Some(ab) = ab {
            q.push(("action_breakdowns", ab));
        }
        all_rows(&sim, &path, &q)
    };
    let plain = rows("ad", None);
    let totals = action_sums(&plain, "actions");
    assert!(totals["lead"] > 0, "{totals:?}");
    for ab in [
        "action_type,action_device",
        "action_reaction",
        "action_video_type,action_destination",
        "action_target_id",
        "action_carousel_card_id,action_carousel_card_name",
    ] {
        let split = rows("ad", Some(ab));
        assert_eq!(action_sums(&split, "actions"), totals, "{ab}: the parts sum to each action's total");
        assert_eq!(action_sums(&split, "action_values"), action_sums(&plain, "action_values"), "{ab}: purchase values too");
        let by_campaign = rows("campaign", Some(ab));
        assert_eq!(action_sums(&by_campaign, "actions"), totals, "{ab} at campaign level");
        let first = &split.iter().find(|r| r["actions"].is_array()).unwrap()["actions"][0];
        for key in ab.split(',') {
            assert!(first[key].is_string(), "{ab}: each entry names its {key}: {first}");
        }
        let windowed = split.iter().flat_map(|r| r["actions"].as_array().into_iter().flatten()).any(|a| a["1d_click"].is_string());
        assert!(windowed, "{ab}: windows are kept per entry");
    }
    let devices = rows("ad", Some("action_device"));
    let seen: std::collections::BTreeSet<&str> =
        devices.iter().flat_map(|r| r["actions"].as_array().into_iter().flatten()).map(|a| a["action_device"].as_str().unwrap()).collect();
    assert!(seen.contains("iphone") && seen.contains("desktop") && seen.len() > 3, "{seen:?}");
    let card = rows("ad", Some("action_carousel_card_name,action_carousel_card_id"));
    let entry = &card.iter().find(|r| r["actions"].is_array()).unwrap()["actions"][0];
    assert_eq!(
        entry["action_carousel_card_name"].as_str().unwrap(),
        format!("Card {}", entry["action_carousel_card_id"].as_str().unwrap()),
        "a card's id and name go together"
    );
    for bad in ["action_colour", "action_device,action_reaction,action_video_type"] {
        let r = sim.call("GET", &path, &[("access_token", &tok), ("action_breakdowns", bad)]);
        assert_eq!((r.status, r.code()), (400, 100), "{bad}: {}", r.body);
    }
}

#[test]
fn late_attribution_changes_only_recent_days_and_windows_are_reported() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 2, "adsets_per_campaign": 2, "ads_per_adset": 3, "days": 30 }));
    sim.control("POST", "/config", json!({"attribution_lag_days": 7}));
    let path = format!("/v26.0/act_{acct}/insights");
    let today = sim.control("GET", &format!("/truth?account_id={acct}&since=2000-01-01&until=2000-01-01"), json!(null))["today"].as_str().unwrap().to_string();
    let day = |offset: i64| (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() - chrono::Duration::days(offset)).to_string();
    let since = day(20);
    let leads_by_day = |sim: &Sim| -> std::collections::BTreeMap<String, i64> {
        let tr = json!({"since": since, "until": day(1)}).to_string();
        all_rows(sim, &path, &[("access_token", &tok), ("time_range", &tr), ("time_increment", "1"), ("fields", "actions")])
            .iter()
            .map(|r| {
                let leads = r["actions"].as_array().and_then(|a| a.iter().find(|x| x["action_type"] == "lead")).map(|x| num(&x["value"])).unwrap_or(0);
                (r["date_start"].as_str().unwrap().to_string(), leads)
            })
            .collect()
    };
    let before = leads_by_day(&sim);
    sim.control("POST", "/time/advance", json!({"days": 3}));
    let after = leads_by_day(&sim);
    let changed: Vec<&String> = before.keys().filter(|d| before[*d] != after[*d]).collect();
    assert!(!changed.is_empty(), "recent days gained late conversions");
    for d in &changed {
        assert!(**d >= day(7), "only the attribution window changes, not {d}");
        assert!(after[*d] > before[*d]);
    }
    let tr = json!({"since": day(3), "until": day(3)}).to_string();
    let rows = all_rows(
        &sim,
        &path,
        &[("access_token", &tok), ("time_range", &tr), ("fields", "actions"), ("action_attribution_windows", "[\"1d_click\",\"7d_click\",\"1d_view\"]")],
    );
    let lead = rows[0]["actions"].as_array().unwrap().iter().find(|x| x["action_type"] == "lead").unwrap().clone();
    assert_eq!(num(&lead["value"]), num(&lead["7d_click"]) + num(&lead["1d_view"]), "{lead}");
    assert!(num(&lead["1d_click"]) <= num(&lead["7d_click"]));
}

#[test]
fn dates_follow_each_accounts_time_zone() {
    let sim = Sim::start();
    let (la, tok_la) = sim.seed(json!({ "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 3, "timezone_name": "America/Los_Angeles" }));
    let (kol, tok_kol) = sim.seed(json!({ "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 3, "timezone_name": "Asia/Kolkata" }));
    let now = sim.control("GET", "/time", json!(null))["now"].as_i64().unwrap();
    let utc = chrono::DateTime::from_timestamp(now, 0).unwrap();
    for (acct, tok, tz) in [(la, tok_la, chrono_tz::America::Los_Angeles), (kol, tok_kol, chrono_tz::Asia::Kolkata)] {
        let rows = all_rows(&sim, &format!("/v26.0/act_{acct}/insights"), &[("access_token", &tok), ("date_preset", "today"), ("fields", "impressions")]);
        assert_eq!(rows[0]["date_start"], utc.with_timezone(&tz).date_naive().to_string(), "{tz}");
    }
}

#[test]
fn async_report_runs_walk_their_states_then_page_results() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    sim.control("POST", "/config", json!({"report_polls_to_finish": 4}));
    let run = sim.call(
        "POST",
        &format!("/v26.0/act_{acct}/insights"),
        &[("access_token", &tok), ("level", "ad"), ("date_preset", "last_7d"), ("time_increment", "1"), ("fields", "ad_id,impressions")],
    );
    let id = run.body["report_run_id"].as_str().unwrap().to_string();
    let early = sim.call("GET", &format!("/v26.0/{id}/insights"), &[("access_token", &tok)]);
    assert_eq!(early.code(), 100, "results are not readable before completion");
    let states: Vec<String> =
        (0..4).map(|_| sim.call("GET", &format!("/v26.0/{id}"), &[("access_token", &tok)]).body["async_status"].as_str().unwrap().to_string()).collect();
    assert_eq!(states, ["Job Not Started", "Job Started", "Job Running", "Job Completed"]);
    let page = sim.call("GET", &format!("/v26.0/{id}/insights"), &[("access_token", &tok), ("limit", "10")]);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 10);
    assert!(page.body["paging"]["next"].is_string());
}

#[test]
fn injected_faults_fail_the_next_calls_then_clear() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let path = format!("/v26.0/act_{acct}/campaigns");
    sim.control("POST", "/faults", json!({"kind": "status", "status": 503, "count": 2}));
    sim.control("POST", "/faults", json!({"kind": "transient"}));
    let statuses: Vec<(u16, i64)> = (0..4)
        .map(|_| {
            let r = sim.call("GET", &path, &[("access_token", &tok)]);
            (r.status, r.code())
        })
        .collect();
    assert_eq!(statuses, vec![(503, 1), (503, 1), (500, 2), (200, 0)]);
    sim.control("POST", "/faults", json!({"kind": "latency", "ms": 300}));
    let t = std::time::Instant::now();
    assert_eq!(sim.call("GET", &path, &[("access_token", &tok)]).status, 200);
    assert!(t.elapsed().as_millis() >= 300);
    sim.control("POST", "/faults", json!({"kind": "drop", "path_contains": "/campaigns"}));
    let dropped = ureq::get(&format!("{}{path}?access_token={tok}", sim.base)).call().map(|r| r.into_string());
    assert!(matches!(dropped, Err(_) | Ok(Err(_))), "the body is cut off mid-page");
    assert_eq!(sim.call("GET", &path, &[("access_token", &tok)]).status, 200);
    let ledger = sim.control("GET", "/ledger", json!(null));
    let errors: Vec<i64> = ledger["entries"].as_array().unwrap().iter().filter_map(|e| e["error_code"].as_i64()).collect();
    assert_eq!(errors, vec![1, 1, 2], "the ledger shows what failed");
}

/// A callback server: answers the handshake, fails the first `fail_first` POSTs, records the rest.
/// (signature header, body) of each notification received.
type Received = Arc<Mutex<Vec<(String, String)>>>;

fn receiver(fail_first: usize) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    std::thread::spawn(move || {
        let mut posts = 0;
        for stream in listener.incoming() {
            let mut s = stream.unwrap();
            let mut buf = vec![0u8; 65_536];
            let mut n = 0;
            loop {
                let k = s.read(&mut buf[n..]).unwrap();
                n += k;
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                        .unwrap_or(0);
                    if n >= end + 4 + len || k == 0 {
                        break;
                    }
                }
                if k == 0 {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            let (reply_status, reply) = if text.starts_with("GET") {
                let challenge = text.split("hub.challenge=").nth(1).unwrap().split(['&', ' ']).next().unwrap().to_string();
                ("200 OK", challenge)
            } else {
                posts += 1;
                if posts <= fail_first {
                    ("500 Internal Server Error", String::new())
                } else {
                    let sig = text
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().starts_with("x-hub-signature-256:").then(|| l.split_once(':').unwrap().1.trim().to_string()))
                        .unwrap_or_default();
                    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
                    seen.lock().unwrap().push((sig, body));
                    ("200 OK", "ok".into())
                }
            };
            let _ = write!(s, "HTTP/1.1 {reply_status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}", reply.len());
        }
    });
    (url, got)
}

#[test]
fn webhooks_verify_the_callback_sign_deliveries_and_retry() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let (url, got) = receiver(1);
    let app_token = "1000000000000001|sim-app-secret";
    let sub = sim.call(
        "POST",
        "/v26.0/1000000000000001/subscriptions",
        &[
            ("access_token", app_token),
            ("object", "ad_account"),
            ("callback_url", &url),
            ("verify_token", "vt"),
            ("fields", "in_process_ad_objects,with_issues_ad_objects"),
        ],
    );
    assert_eq!(sub.body, json!({"success": true}), "{}", sub.body);
    let no_app_token = sim.call(
        "POST",
        "/v26.0/1000000000000001/subscriptions",
        &[("access_token", &tok), ("object", "ad_account"), ("callback_url", &url), ("verify_token", "vt")],
    );
    assert_eq!(no_app_token.code(), 15);
    let campaigns = sim.call("GET", &format!("/v26.0/act_{acct}/campaigns"), &[("access_token", &tok)]);
    let cid = campaigns.body["data"][0]["id"].as_str().unwrap().to_string();
    sim.call("POST", &format!("/v26.0/{cid}"), &[("access_token", &tok), ("status", "PAUSED")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while got.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no delivery");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (sig, body) = got.lock().unwrap()[0].clone();
    assert_eq!(sig, graph_sim::webhooks::signature("sim-app-secret", body.as_bytes()));
    let note: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(note["object"], "ad_account");
    assert_eq!(note["entry"][0]["id"], acct.as_str());
    assert_eq!(note["entry"][0]["changes"][0]["value"]["id"], cid.as_str());
    let d = sim.control("GET", "/webhooks/deliveries", json!(null));
    assert_eq!(d["deliveries"][0]["attempts"], 2, "the first attempt failed and was retried: {d}");
    assert_eq!(d["deliveries"][0]["delivered"], true);
}

#[test]
fn a_dataset_takes_crm_lead_stages_all_or_nothing_and_records_what_it_took() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let dataset = sim.control("POST", "/datasets", json!({ "account_id": acct }))["id"].as_str().unwrap().to_string();
    let now = sim.control("GET", "/time", json!(null))["now"].as_i64().unwrap();
    let stage = |name: &str, at: i64| {
        json!({ "event_name": name, "event_time": at, "action_source": "system_generated",
            "user_data": { "lead_id": "1234567890123456" }, "custom_data": { "event_source": "crm", "lead_event_source": "adgate" } })
    };
    let path = format!("/v26.0/{dataset}/events");
    let send = |events: Value| sim.call("POST", &path, &[("access_token", &tok), ("data", &events.to_string())]);
    let listed = sim.call("GET", &format!("/v26.0/act_{acct}/adspixels"), &[("access_token", &tok)]);
    assert_eq!(listed.body["data"][0]["id"], json!(dataset), "the account lists its dataset");

    let ok = send(json!([stage("Qualified", now - 3_600), stage("Hired", now - 60)]));
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["events_received"], 2);
    assert!(ok.body["fbtrace_id"].is_string());

    // One stale event refuses the whole request.
    let old = send(json!([stage("Offered", now - 60), stage("Screened", now - 8 * 86_400)]));
    assert_eq!((old.status, old.code(), old.body["error"]["error_subcode"].as_i64()), (400, 100, Some(2_804_003)));
    assert_eq!(old.body["error"]["error_user_title"], "Event Timestamp Too Old");
    let mut no_crm = stage("Offered", now);
    no_crm["custom_data"] = json!({});
    let refused = send(json!([stage("Offered", now), no_crm]));
    assert_eq!(refused.status, 400);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("data[1]"), "{:?}", refused.body);
    assert_eq!(send(json!([])).status, 400);
    let too_many: Vec<Value> = (0..1_001).map(|_| stage("Offered", now)).collect();
    assert_eq!(send(json!(too_many)).status, 400);

    let received = sim.control("GET", &format!("/datasets/{dataset}/events"), json!(null));
    let names: Vec<&str> = received["data"].as_array().unwrap().iter().map(|e| e["event"]["event_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Qualified", "Hired"], "refused requests left nothing behind");
}
