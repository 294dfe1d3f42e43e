//! Reports and alerts end to end. A report is produced by the jobs queue into the local R2
//! bucket and streamed back through a signed link: a small one equals the simulator's truth, and
//! one of a million rows is written in bounded worker memory and read back whole. Alerts open
//! after an insights sync when the simulator's account overspends, are delivered signed (and
//! retried) to the workspace's endpoint, stay single while the condition lasts and close when it
//! clears. A repeating report runs on the tick and its link goes to the endpoint. No other
//! workspace reaches any of it.

use adgate_e2e::{json, Connected, Resp, Value};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Duration;

const TOKEN: &str = "e2e-reports-token-7c2d";
const A: &str = "555000222";
const SECRET: &str = "notify-secret-0123456789abcdef-0123456789";
const STATE_SECRET: &str = "e2e-state-secret-0c9d8e7f";

struct Setup {
    c: Connected,
    recruiter: String,
    admin: String,
    since: String,
    until: String,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 2, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 30, "timezone_name": "UTC", "access_token": TOKEN}),
    );
    let admin = c.key("admin");
    c.bind_and_backfill(TOKEN, A);
    let w = c.gw.query("SELECT window_start, window_end FROM sync_runs WHERE ad_account_id = ?1 AND kind = 'insights_resync'", &[&A]);
    let (since, until) = (w[0]["window_start"].as_str().unwrap().to_string(), w[0]["window_end"].as_str().unwrap().to_string());
    let recruiter = c.key("recruiter");
    Setup { c, recruiter, admin, since, until }
}

impl Setup {
    fn act_as(&self, key: &str, router: &str, action: &str, body: Value) -> Resp {
        self.c.gw.act(key, router, action, &body)
    }

    fn act(&self, action: &str, body: Value) -> Resp {
        self.act_as(&self.recruiter, "recruiter_paid_media_analytics", action, body)
    }

    fn report(&self, body: Value) -> String {
        let r = self.act("create_async_report_job", body);
        assert_eq!(r.status, 202, "{}", r.text);
        r.body["report_id"].as_str().unwrap().to_string()
    }

    fn wait_report(&self, id: &str, timeout: Duration) -> Value {
        self.c.gw.wait_for("the report", timeout, || {
            let r = self.act("get_async_report_status", json!({"report_id": id}));
            // Locally one isolate runs the consumer and the requests: a poll that waited behind a
            // long report may be answered "restarted" (503); the next one is not.
            if r.status == 503 {
                return None;
            }
            assert_eq!(r.status, 200, "{}", r.text);
            assert_ne!(r.body["status"], "failed", "{}", r.text);
            (r.body["status"] == "succeeded").then_some(r.body)
        })
    }

    fn download(&self, id: &str) -> (Value, Resp) {
        let link = self.act("download_report", json!({"report_id": id}));
        assert_eq!(link.status, 200, "{}", link.text);
        let csv = self.c.gw.get(link.body["path"].as_str().unwrap());
        assert_eq!(csv.status, 200, "{}", &csv.text[..csv.text.len().min(300)]);
        (link.body, csv)
    }

    fn sink(&self) -> Vec<Value> {
        self.c.sim.control("GET", "/sink/hooks", Value::Null)["received"].as_array().cloned().unwrap_or_default()
    }

    fn sync(&self, kind: &str) {
        let before = self.c.gw.query("SELECT COUNT(*) AS n FROM sync_runs WHERE ad_account_id = ?1 AND status = 'succeeded'", &[&A])[0]["n"].as_i64().unwrap();
        let r = self.c.gw.admin("POST", &format!("/v1/accounts/act_{A}/sync"), Some(&json!({"kind": kind})));
        assert_eq!(r.status, 202, "{}", r.text);
        let n = r.body["runs"].as_array().map_or(1, |a| a.len() as i64);
        self.c.gw.wait_for("the sync", Duration::from_secs(120), || {
            let done =
                self.c.gw.query("SELECT COUNT(*) AS n FROM sync_runs WHERE ad_account_id = ?1 AND status = 'succeeded'", &[&A])[0]["n"].as_i64().unwrap();
            (done >= before + n).then_some(())
        });
    }
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn reports_stream_as_csv_through_signed_links_and_a_million_rows_fit_the_workers_memory() {
    let s = setup("reports");
    let truth = s.c.sim.control("GET", &format!("/truth?account_id={A}&since={}&until={}", s.since, s.until), Value::Null);
    let truth_spend: i64 = truth["days"].as_array().unwrap().iter().map(|d| d["spend_cents"].as_i64().unwrap()).sum();

    // Campaign by day over the synced range: the CSV's spend adds up to the truth.
    let id = s.report(json!({"ad_account_id": format!("act_{A}"), "since": s.since, "until": s.until, "metrics": ["spend", "leads", "cpl"]}));
    let status = s.wait_report(&id, Duration::from_secs(120));
    let (link, csv) = s.download(&id);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "date,campaign_id,campaign_name,spend_minor,leads,cpl_minor");
    let spend: i64 = lines[1..].iter().map(|l| l.rsplit(',').nth(2).unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(spend, truth_spend);
    assert_eq!(status["rows"].as_u64(), Some(lines.len() as u64 - 1));
    assert_eq!(status["sha256"].as_str(), Some(sha_hex(csv.text.as_bytes()).as_str()));
    assert_eq!(link["sha256"], status["sha256"]);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'create_async_report_job' AND external_id = ?1", &[&id])[0]["n"], 1);

    // A link altered, expired, or sealed for another workspace opens nothing.
    let path = link["path"].as_str().unwrap();
    let mut altered = path.to_string();
    altered.pop();
    altered.push(if path.ends_with('A') { 'B' } else { 'A' });
    for p in [
        altered,
        adgate::sealed::seal(STATE_SECRET, "report-download", &json!({"r": id, "w": s.c.ws, "e": 1_000})),
        adgate::sealed::seal(STATE_SECRET, "report-download", &json!({"r": id, "w": "ws_other", "e": 4_000_000_000_000i64})),
    ] {
        let p = if p.starts_with('/') { p } else { format!("/v1/reports/download/{p}") };
        let r = s.c.gw.get(&p);
        assert_eq!(r.status, 404, "{p}: {}", r.text);
        assert!(!r.text.contains(&format!("act_{A}")), "{}", r.text);
    }

    // Bad input is refused naming the field; nothing is queued.
    let before = s.c.gw.query("SELECT COUNT(*) AS n FROM report_jobs", &[])[0]["n"].as_i64().unwrap();
    for (body, field) in [
        (json!({"last_days": 7, "since": s.since}), "last_days"),
        (json!({"since": "2024-01-01", "until": "2025-06-01"}), "until"),
        (json!({"since": s.since}), "until"),
        (json!({"last_days": 7, "repeat": "daily"}), "repeat"),
        (json!({"since": s.since, "until": s.until, "repeat": "daily"}), "repeat"),
        (json!({"since": s.since, "until": s.until, "breakdowns": ["age"]}), "breakdowns"),
        (json!({"last_days": 91}), "last_days"),
    ] {
        let mut body = body;
        body["ad_account_id"] = json!(format!("act_{A}"));
        let r = s.act("create_async_report_job", body.clone());
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{body}: {}", r.text);
    }
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM report_jobs", &[])[0]["n"].as_i64().unwrap(), before);

    // Another workspace sees none of it.
    let other = s.c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    let other_key = s.c.gw.member_key(other.body["id"].as_str().unwrap(), "recruiter");
    for (action, body, field) in [
        ("get_async_report_status", json!({"report_id": id}), "report_id"),
        ("download_report", json!({"report_id": id}), "report_id"),
        ("create_async_report_job", json!({"ad_account_id": format!("act_{A}"), "last_days": 3}), "ad_account_id"),
        ("list_alerts", json!({"ad_account_id": format!("act_{A}")}), "ad_account_id"),
    ] {
        let r = s.act_as(&other_key, "recruiter_paid_media_analytics", action, body);
        assert!((400..500).contains(&r.status) && r.body["field"] == field, "{action}: {}", r.text);
        assert!(!r.text.contains(&s.c.ws), "{action}: {}", r.text);
    }

    // A million ad-day rows (2,500 ads x 400 days), planted as a sync would have written them.
    s.c.gw.plant(
        "INSERT INTO meta_ads (id, ad_account_id, workspace_id, name, effective_status, raw_json, synced_at) \
         SELECT CAST(900000000 + i AS TEXT), ?1, ?2, CASE WHEN i = 7 THEN '=HYPERLINK(\"x\")' ELSE 'Ad ' || i END, 'PAUSED', '{}', 'x' \
         FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2499) SELECT i FROM n)",
        &[&A, &s.c.ws],
    );
    s.c.gw.plant(
        "INSERT INTO insights_daily (ad_account_id, level, object_id, date, attribution_window, workspace_id, impressions, reach, clicks, link_clicks, spend_minor, leads, purchases, purchase_value_minor, updated_at) \
         SELECT ?1, 'ad', CAST(900000000 + i % 2500 AS TEXT), date('2024-01-01', '+' || (i / 2500) || ' days'), 'default', ?2, 1000 + i % 7, 800, 10 + i % 5, 0, 100 + i % 97, i % 3, 0, 0, 'x' \
         FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999) SELECT i FROM n)",
        &[&A, &s.c.ws],
    );
    let planted = s.c.gw.query(
        "SELECT COUNT(*) AS n, SUM(spend_minor) AS spend FROM insights_daily WHERE level = 'ad' AND date < '2025-02-04' AND workspace_id = ?1",
        &[&s.c.ws],
    );
    assert_eq!(planted[0]["n"], 1_000_000);
    let id = s.report(json!({"ad_account_id": format!("act_{A}"), "level": "ad", "since": "2024-01-01", "until": "2025-02-03", "metrics": ["spend", "impressions", "clicks", "ctr"]}));
    let status = s.wait_report(&id, Duration::from_secs(900));
    assert_eq!(status["rows"], 1_000_000, "{status}");
    let bytes = status["bytes"].as_i64().unwrap();
    let memory = status["worker_memory_bytes"].as_i64().unwrap();
    // The CSV is several times the worker's whole memory, which stays under the 128 MiB limit.
    assert!(memory < 128 << 20 && bytes > 2 * memory, "memory {memory} bytes for a CSV of {bytes} bytes");
    let (_, csv) = s.download(&id);
    assert_eq!(csv.text.len() as i64, bytes);
    assert_eq!(status["sha256"].as_str(), Some(sha_hex(csv.text.as_bytes()).as_str()));
    let mut rows = 0;
    let mut spend = 0i64;
    for line in csv.text.lines().skip(1) {
        rows += 1;
        spend += line.rsplit(',').nth(3).unwrap().parse::<i64>().unwrap();
    }
    assert_eq!((rows, spend), (1_000_000, planted[0]["spend"].as_i64().unwrap()));
    assert!(csv.text.contains(",900000007,\"'=HYPERLINK(\"\"x\"\")\","), "a name that is a formula is made inert");
    eprintln!("1,000,000-row report: {bytes} bytes of CSV; worker memory {memory} bytes");
}

fn verify(delivery: &Value) -> Value {
    let h = &delivery["headers"];
    let body = delivery["body"].as_str().unwrap();
    let ts = h["x-adgate-timestamp"].as_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    assert_eq!(h["x-adgate-signature-256"].as_str().unwrap(), format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(h["x-adgate-delivery"].as_str(), v["id"].as_str());
    v
}

#[test]
fn alerts_open_once_are_delivered_signed_and_retried_close_when_cleared_and_scheduled_reports_arrive() {
    let s = setup("alerts");
    let sink = format!("{}/__control/sink/hooks", s.c.sim.base);

    // The endpoint: checked, its secret sealed and never shown or stored in the clear.
    for (body, field) in [
        (json!({"url": "http://hooks.example.com/a", "secret": SECRET}), "url"),
        (json!({"url": "https://user:pw@hooks.example.com/a", "secret": SECRET}), "url"),
        (json!({"url": sink, "secret": "short"}), "secret"),
        (json!({"url": sink}), "secret"),
    ] {
        let r = s.act_as(&s.admin, "admin_meta_ads_governance", "set_notification_endpoint", body.clone());
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{body}: {}", r.text);
    }
    let r = s.act_as(&s.recruiter, "admin_meta_ads_governance", "set_notification_endpoint", json!({"url": sink, "secret": SECRET}));
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s.act_as(&s.admin, "admin_meta_ads_governance", "set_notification_endpoint", json!({"url": sink, "secret": SECRET}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(SECRET));
    s.c.gw.assert_nowhere(SECRET);

    // An ad set's budget cut below what it spends today: the next syncs find it overspent.
    let adsets = s.c.gw.query("SELECT id FROM meta_ad_sets WHERE ad_account_id = ?1 ORDER BY id", &[&A]);
    let adset = adsets[0]["id"].as_str().unwrap().to_string();
    assert_eq!(s.c.sim.graph_post(&adset, TOKEN, &[("daily_budget", "100")])["success"], true);
    s.c.sim.control("POST", "/sink_fail", json!({"next": 1}));
    s.sync("all");
    let open =
        |kind: &str| s.c.gw.query("SELECT id, status, evidence_json FROM alerts WHERE object_id = ?1 AND kind = ?2 AND status = 'open'", &[&adset, &kind]);
    let alert = open("overspend");
    assert_eq!(alert.len(), 1, "{alert:?}");
    let alert_id = alert[0]["id"].as_str().unwrap().to_string();
    let evidence: Value = serde_json::from_str(alert[0]["evidence_json"].as_str().unwrap()).unwrap();
    assert_eq!(evidence["daily_budget_minor"], 100);
    assert!(evidence["spend_today_minor"].as_i64().unwrap() > 100, "{evidence}");

    // Delivered signed.
    let for_alert = |all: &[Value]| all.iter().filter(|d| d["body"].as_str().unwrap().contains(&alert_id)).cloned().collect::<Vec<_>>();
    let got = s.c.gw.wait_for("the alert's delivery", Duration::from_secs(180), || {
        let got = for_alert(&s.sink());
        got.iter().any(|d| d["refused"] == false).then_some(got)
    });
    let v = verify(got.last().unwrap());
    assert_eq!(
        (v["event"].as_str(), v["alert"]["kind"].as_str(), v["alert"]["object_id"].as_str()),
        (Some("alert.opened"), Some("overspend"), Some(adset.as_str()))
    );
    // The sink refused the first delivery it got (503): it was retried with the same id and bytes.
    let refused = s.sink().into_iter().find(|d| d["refused"] == true).expect("the sink refused one delivery");
    let retried = s.c.gw.wait_for("the retry", Duration::from_secs(180), || {
        s.sink().into_iter().find(|d| d["refused"] == false && d["headers"]["x-adgate-delivery"] == refused["headers"]["x-adgate-delivery"])
    });
    assert_eq!(retried["body"], refused["body"]);
    verify(&retried);
    let n = s.c.gw.query("SELECT status, attempts FROM notifications WHERE id = ?1", &[&refused["headers"]["x-adgate-delivery"].as_str().unwrap()]);
    assert_eq!((n[0]["status"].as_str(), n[0]["attempts"].as_i64()), (Some("delivered"), Some(2)));

    // Listed, with filters.
    let list = s.act("list_alerts", json!({"ad_account_id": format!("act_{A}"), "status": "open"}));
    assert_eq!(list.status, 200, "{}", list.text);
    let listed: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert!(listed.contains(&alert_id.as_str()), "{}", list.text);
    let overspend = s.act("list_alerts", json!({"kind": "overspend"}));
    assert!(overspend.body["data"].as_array().unwrap().iter().all(|a| a["kind"] == "overspend"), "{}", overspend.text);

    // Another sync while it lasts: still one open alert, no second notification.
    s.sync("insights");
    assert_eq!(open("overspend").len(), 1);
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM notifications WHERE event = 'alert.opened' AND subject_id = ?1", &[&alert_id])[0]["n"], 1);

    // The budget raised: the next syncs close it.
    assert_eq!(s.c.sim.graph_post(&adset, TOKEN, &[("daily_budget", "10000000")])["success"], true);
    s.sync("all");
    let closed = s.c.gw.query("SELECT status, closed_at FROM alerts WHERE id = ?1", &[&alert_id]);
    assert_eq!(closed[0]["status"], "closed");
    assert!(closed[0]["closed_at"].is_string());
    assert!(open("overspend").is_empty());

    // Another workspace lists none of ours.
    let other = s.c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    let other_key = s.c.gw.member_key(other.body["id"].as_str().unwrap(), "recruiter");
    let theirs = s.act_as(&other_key, "recruiter_paid_media_analytics", "list_alerts", json!({}));
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body["data"], json!([]), "{}", theirs.text);

    // A daily report: its first run's link arrives signed at the endpoint and downloads.
    let r = s.act("create_async_report_job", json!({"ad_account_id": format!("act_{A}"), "last_days": 7, "repeat": "daily", "level": "adset"}));
    assert_eq!(r.status, 202, "{}", r.text);
    let (first, schedule) = (r.body["report_id"].as_str().unwrap().to_string(), r.body["schedule"]["id"].as_str().unwrap().to_string());
    let ready = |report: &str| {
        s.c.gw.wait_for("the report's notification", Duration::from_secs(180), || {
            s.sink().iter().filter(|d| d["refused"] == false).map(verify).find(|v| v["event"] == "report.ready" && v["report"]["id"] == report)
        })
    };
    let v = ready(&first);
    let csv = s.c.gw.get(v["download"]["path"].as_str().unwrap());
    assert_eq!(csv.status, 200);
    assert_eq!(sha_hex(csv.text.as_bytes()), v["report"]["sha256"].as_str().unwrap());
    assert_eq!(csv.text.lines().count() as i64, v["report"]["rows"].as_i64().unwrap() + 1);

    // Due again: the tick makes exactly one next run and moves the schedule on by a day.
    s.c.gw.plant("UPDATE report_schedules SET next_run_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1", &[&schedule]);
    for _ in 0..2 {
        let t = s.c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
        assert!(t.status < 300, "{}", t.text);
    }
    let runs = s.c.gw.wait_for("the scheduled run", Duration::from_secs(60), || {
        let runs = s.c.gw.query("SELECT id FROM report_jobs WHERE schedule_id = ?1 AND id != ?2", &[&schedule, &first]);
        (!runs.is_empty()).then_some(runs)
    });
    assert_eq!(runs.len(), 1, "two ticks, one run");
    let next = s.c.gw.query("SELECT next_run_at FROM report_schedules WHERE id = ?1", &[&schedule]);
    assert!(next[0]["next_run_at"].as_str().unwrap() > "2026-01-01", "{next:?}");
    ready(runs[0]["id"].as_str().unwrap());
    let stop = s.act("stop_report_schedule", json!({"schedule_id": schedule}));
    assert_eq!((stop.status, stop.body["status"].as_str()), (200, Some("stopped")), "{}", stop.text);
    assert_eq!(s.act("stop_report_schedule", json!({"schedule_id": schedule})).status, 409);
    s.c.gw.assert_nowhere(SECRET);
}
