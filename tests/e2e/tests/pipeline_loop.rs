//! The pipeline's two ends beyond the events endpoint: recruiting systems' webhooks (Greenhouse
//! and Lever, each verified by its own signature scheme) taken as pipeline events, and the
//! stages of Instant Form leads sent back to Meta's dataset through the Conversions API for CRM,
//! once each, through the gate, with an audit row per request. Secrets stay sealed, and another
//! workspace can neither use nor change a connection or the settings.

use adgate_e2e::{json, Connected, Resp, Value};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

const TOKEN: &str = "e2e-pipeline-loop-token-3d1f";
const A: &str = "555000777";
const ROUTER: &str = "cross_role_paid_media_pipeline";
const GH_SECRET: &str = "greenhouse-secret-key-0123456789abcdef";
const LEVER_SECRET: &str = "lever-signature-token-fedcba9876543210";

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(msg);
    hex::encode(m.finalize().into_bytes())
}

fn greenhouse(c: &Connected, id: &str, body: &Value, secret: &str) -> Resp {
    let text = body.to_string();
    let sig = format!("sha256 {}", hmac_hex(secret, text.as_bytes()));
    c.gw.request("POST", &format!("/webhooks/ats/{id}"), &[("Signature", &sig), ("Content-Type", "application/json")], Some(&text))
}

fn lever_body(event: &str, data: Value, secret: &str, age_ms: i64) -> Value {
    let at = chrono::Utc::now().timestamp_millis() - age_ms;
    let token = format!("tok-{at}-{event}");
    json!({ "event": event, "triggeredAt": at, "token": token, "signature": hmac_hex(secret, format!("{token}{at}").as_bytes()), "data": data })
}

fn lever(c: &Connected, id: &str, body: &Value) -> Resp {
    c.gw.request("POST", &format!("/webhooks/ats/{id}"), &[("Content-Type", "application/json")], Some(&body.to_string()))
}

fn gh_application(action: &str, id: i64, extra: Value) -> Value {
    let mut app = json!({
        "id": id, "applied_at": "__", "last_activity_at": "__",
        "candidate": { "id": id + 1_000, "email_addresses": [{ "value": format!("cand{id}@example.com"), "type": "personal" }], "phone_numbers": [] },
        "jobs": [{ "id": 4_401, "name": "Registered Nurse", "offices": [{ "name": "Austin", "location": { "name": "Austin, TX" } }] }],
        "source": { "id": 16, "public_name": "Meta Jobs Ads" },
        "current_stage": { "id": 1, "name": "Application Review" },
        "custom_fields": {},
    });
    app.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({ "action": action, "payload": { "application": app } })
}

fn app_row(c: &Connected, source: &str, id: &str) -> Value {
    c.gw.query("SELECT * FROM pipeline_applications WHERE workspace_id = ?1 AND source = ?2 AND application_id = ?3", &[&c.ws, &source, &id])
        .into_iter()
        .next()
        .unwrap_or(Value::Null)
}

fn conversions(c: &Connected) -> Vec<Value> {
    c.gw.query(
        "SELECT lead_id, stage, event_name, event_time, status, error FROM pipeline_conversions WHERE workspace_id = ?1 ORDER BY lead_id, event_time, stage",
        &[&c.ws],
    )
}

fn received(c: &Connected, dataset: &str) -> Vec<Value> {
    c.sim.control("GET", &format!("/datasets/{dataset}/events"), json!(null))["data"].as_array().unwrap().clone()
}

#[test]
fn ats_webhooks_feed_the_pipeline_and_lead_stages_reach_meta_once() {
    let c = Connected::start("pipeline_loop", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 5, "timezone_name": "UTC", "access_token": TOKEN}),
    );
    let (admin, recruiter) = (c.key("admin"), c.key("recruiter"));
    c.bind_and_backfill(TOKEN, A);
    let ws = c.ws.clone();
    let campaign_name = c.gw.query("SELECT name FROM meta_campaigns", &[])[0]["name"].as_str().unwrap().to_string();
    let ads: Vec<String> = c.gw.query("SELECT id FROM meta_ads ORDER BY id", &[]).iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let now = chrono::Utc::now();
    let iso = |hours_ago: i64| (now - chrono::Duration::hours(hours_ago)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let r = c.gw.act(&recruiter, ROUTER, "sync_campaign_taxonomy_to_pipeline", &json!({"ad_account_id": format!("act_{A}")}));
    assert_eq!(r.status, 200, "{}", r.text);

    // ---- Settings: the dataset is checked through the account's token; admins only.
    let dataset = c.sim.control("POST", "/datasets", json!({"account_id": A}))["id"].as_str().unwrap().to_string();
    let settings = |key: &str, body: Value| c.gw.act(key, ROUTER, "set_pipeline_settings", &body);
    let r = settings(&recruiter, json!({"ad_account_id": format!("act_{A}"), "conversions_dataset_id": dataset}));
    assert_eq!(r.status, 403, "{}", r.text);
    let r = settings(&admin, json!({"conversions_dataset_id": dataset}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("ad_account_id")), "{}", r.text);
    let r = settings(&admin, json!({"ad_account_id": format!("act_{A}"), "conversions_dataset_id": "987654321"}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("conversions_dataset_id")), "a dataset the token cannot reach: {}", r.text);
    let r = settings(&admin, json!({"ad_account_id": format!("act_{A}"), "conversions_dataset_id": dataset}));
    assert_eq!((r.status, r.body["conversions_dataset_id"].as_str()), (200, Some(dataset.as_str())), "{}", r.text);
    assert_eq!(c.gw.query("SELECT conversions_dataset_id AS d FROM pipeline_settings WHERE workspace_id = ?1", &[&ws])[0]["d"], json!(dataset));

    // ---- Instant Form leads: one from yesterday, one older than Meta's 7 days.
    for (lead, ad, created) in [("9101", &ads[0], iso(30)), ("9102", &ads[1], iso(24 * 9))] {
        c.gw.plant(
            "INSERT INTO meta_leads (id, ad_account_id, workspace_id, form_id, ad_id, adset_id, campaign_id, created_time, field_data_json, synced_at) \
             SELECT ?1, ?2, ?3, 'f1', a.id, a.adset_id, a.campaign_id, ?5, '[]', ?5 FROM meta_ads a WHERE a.id = ?4",
            &[&lead, &A, &ws, ad, &created],
        );
    }
    let stage = |lead: &str, s: &str, at: &str| json!({"type": "stage", "source": "meta_lead", "application_id": lead, "stage": s, "at": at});
    let batch = json!({"events": [stage("9101", "qualified", &iso(20)), stage("9101", "hired", &iso(2)), stage("9102", "screened", &iso(5)), stage("9101", "rejected", &iso(1))]});
    let post = || {
        c.gw.request("POST", &format!("/v1/workspaces/{ws}/pipeline/events"), &[("Authorization", &format!("Bearer {recruiter}"))], Some(&batch.to_string()))
    };
    let r = post();
    assert_eq!((r.status, r.body["stage_changes"].as_i64()), (200, Some(4)), "{}", r.text);
    let settled = |c: &Connected| {
        let rows = conversions(c);
        (!rows.is_empty() && rows.iter().all(|r| r["status"] != "queued")).then_some(rows)
    };
    let rows = c.gw.wait_for("the stages sent", Duration::from_secs(60), || settled(&c));
    let status: Vec<(String, String, String)> =
        rows.iter().map(|r| (r["lead_id"].as_str().unwrap().into(), r["stage"].as_str().unwrap().into(), r["status"].as_str().unwrap().into())).collect();
    let own = |l: &str, s: &str, st: &str| (l.to_string(), s.to_string(), st.to_string());
    assert_eq!(
        status,
        vec![
            own("9101", "applied", "sent"),
            own("9101", "qualified", "sent"),
            own("9101", "hired", "sent"),
            own("9102", "applied", "refused"),
            own("9102", "screened", "sent")
        ],
        "every progress stage once; rejection is not sent; a stage older than 7 days is refused here"
    );
    assert!(rows[3]["error"].as_str().unwrap().contains("7 days"), "{:?}", rows[3]);
    let got = received(&c, &dataset);
    let mut names: Vec<(String, String, i64)> = got
        .iter()
        .map(|e| {
            (e["event"]["user_data"]["lead_id"].to_string(), e["event"]["event_name"].as_str().unwrap().to_string(), e["event"]["event_time"].as_i64().unwrap())
        })
        .collect();
    names.sort();
    let t = |h: i64| chrono::DateTime::parse_from_rfc3339(&iso(h)).unwrap().timestamp();
    assert_eq!(
        names,
        vec![
            ("9101".into(), "Hired".into(), t(2)),
            ("9101".into(), "Lead".into(), t(30)),
            ("9101".into(), "Qualified".into(), t(20)),
            ("9102".into(), "Screened".into(), t(5))
        ],
        "what Meta received: the lead unhashed, each stage at the time it was reached"
    );
    for e in &got {
        assert_eq!((e["event"]["action_source"].as_str(), e["event"]["custom_data"]["event_source"].as_str()), (Some("system_generated"), Some("crm")));
    }
    let audits = c.gw.query(
        "SELECT actor, ad_account_id, external_id, outcome, after_json FROM audit_log WHERE action = 'send_pipeline_conversions' AND workspace_id = ?1",
        &[&ws],
    );
    assert_eq!(audits.len(), 1, "one request, one audit row: {audits:?}");
    assert_eq!(
        (audits[0]["external_id"].as_str(), audits[0]["outcome"].as_str(), audits[0]["ad_account_id"].as_str()),
        (Some(dataset.as_str()), Some("succeeded"), Some(A))
    );
    let posts =
        c.sim.ledger().iter().filter(|e| e["method"] == "POST" && e["path"].as_str().unwrap_or_default().ends_with(&format!("{dataset}/events"))).count();
    assert_eq!(posts, 1, "one Graph call for the four stages");

    // The same batch again, and a tick: nothing new reaches Meta.
    assert_eq!(post().status, 200);
    c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(received(&c, &dataset).len(), 4, "each stage once");
    assert_eq!(conversions(&c).len(), 5);

    // ---- Greenhouse: connect (admins only), then signed deliveries.
    let r = c.gw.act(&recruiter, ROUTER, "connect_ats", &json!({"kind": "greenhouse", "secret": GH_SECRET}));
    assert_eq!(r.status, 403, "{}", r.text);
    let r = c.gw.act(&admin, ROUTER, "connect_ats", &json!({"kind": "greenhouse", "secret": "short"}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("secret")), "{}", r.text);
    let r = c.gw.act(&admin, ROUTER, "connect_ats", &json!({"kind": "greenhouse"}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("secret")), "{}", r.text);
    let r = c.gw.act(&admin, ROUTER, "connect_ats", &json!({"kind": "greenhouse", "secret": GH_SECRET}));
    assert_eq!(r.status, 200, "{}", r.text);
    let gh = r.body["connection_id"].as_str().unwrap().to_string();
    assert_eq!(r.body["webhook_path"], json!(format!("/webhooks/ats/{gh}")));
    assert!(!r.text.contains(GH_SECRET));

    let ping = greenhouse(&c, &gh, &json!({"action": "ping", "payload": {"web_hook_id": 1}}), GH_SECRET);
    assert_eq!((ping.status, ping.body["accepted"].as_i64()), (200, Some(0)), "{}", ping.text);
    let fill = |mut v: Value, applied: &str, activity: &str| {
        v["payload"]["application"]["applied_at"] = json!(applied);
        v["payload"]["application"]["last_activity_at"] = json!(activity);
        v
    };
    let new_app = fill(
        gh_application("new_candidate_application", 7_001, json!({"custom_fields": {"utm_campaign": {"name": "UTM campaign", "value": campaign_name}}})),
        &iso(48),
        &iso(48),
    );
    let r = greenhouse(&c, &gh, &new_app, "not-the-secret-at-all-000000000");
    assert_eq!(r.status, 401, "a wrong secret: {}", r.text);
    let r = greenhouse(&c, "ats_0000000000000000", &new_app, GH_SECRET);
    assert_eq!(r.status, 401, "an unknown connection answers like a bad signature: {}", r.text);
    let mut tampered = new_app.clone();
    let sig = format!("sha256 {}", hmac_hex(GH_SECRET, new_app.to_string().as_bytes()));
    tampered["payload"]["application"]["id"] = json!(7_999);
    let r = c.gw.request("POST", &format!("/webhooks/ats/{gh}"), &[("Signature", &sig)], Some(&tampered.to_string()));
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(app_row(&c, "greenhouse", "7999"), Value::Null);
    let r = greenhouse(&c, &gh, &new_app, GH_SECRET);
    assert_eq!((r.status, r.body["applications"].as_i64()), (200, Some(1)), "{}", r.text);
    let row = app_row(&c, "greenhouse", "7001");
    assert_eq!((row["job_id"].as_str(), row["location"].as_str(), row["ats_source"].as_str()), (Some("4401"), Some("Austin, TX"), Some("Meta Jobs Ads")));
    assert_eq!((row["join_key"].as_str(), row["candidate_id"].as_str()), (Some("utm_campaign"), Some("8001")), "{row}");
    assert_eq!(row["email_sha256"].as_str().unwrap().len(), 64);
    let moved = fill(gh_application("candidate_stage_change", 7_001, json!({"current_stage": {"id": 55, "name": "Hiring Manager Review"}})), &iso(48), &iso(3));
    let r = greenhouse(&c, &gh, &moved, GH_SECRET);
    assert_eq!((r.status, r.body["stage_changes"].as_i64()), (200, Some(1)), "{}", r.text);
    assert_eq!(app_row(&c, "greenhouse", "7001")["qualified_at"], json!(iso(3)));
    // An application naming an Instant Form lead takes the lead's join, and its hire goes to Meta.
    let hired = fill(gh_application("hire_candidate", 7_002, json!({"custom_fields": {"meta_lead_id": {"value": "9101"}}})), &iso(26), &iso(1));
    let r = greenhouse(&c, &gh, &hired, GH_SECRET);
    assert_eq!(r.status, 200, "{}", r.text);
    let row = app_row(&c, "greenhouse", "7002");
    // It absorbs the lead's stages; each stage keeps its earliest time (the lead's hire, 2 hours ago).
    assert_eq!(
        (row["join_key"].as_str(), row["hired_at"].as_str(), row["qualified_at"].as_str()),
        (Some("lead_id"), Some(iso(2).as_str()), Some(iso(20).as_str())),
        "{row}"
    );

    // ---- Lever: stage ids through the connection's map; the signature covers token and time.
    let r = c.gw.act(
        &admin,
        ROUTER,
        "connect_ats",
        &json!({"kind": "lever", "secret": LEVER_SECRET, "stages": [{"ats_stage": "stage-qual-1", "stage": "qualified"}, {"ats_stage": "STAGE-ONSITE", "stage": "interviewed"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let lv = r.body["connection_id"].as_str().unwrap().to_string();
    let created = lever_body(
        "applicationCreated",
        json!({"opportunityId": "opp-77", "candidateId": "cand-77", "opportunity": {"createdAt": now.timestamp_millis() - 3_600_000, "sources": ["FB Jobs Board"], "emails": ["lv@example.com"], "posting": {"id": "post-1", "text": "Night Nurse", "categories": {"location": "Dallas, TX"}}}}),
        LEVER_SECRET,
        0,
    );
    let r = lever(&c, &lv, &created);
    assert_eq!((r.status, r.body["applications"].as_i64()), (200, Some(1)), "{}", r.text);
    let row = app_row(&c, "lever", "opp-77");
    assert_eq!(
        (row["job_name"].as_str(), row["location"].as_str(), row["ats_source"].as_str()),
        (Some("Night Nurse"), Some("Dallas, TX"), Some("FB Jobs Board"))
    );
    let to_onsite = lever_body("candidateStageChange", json!({"opportunityId": "opp-77", "toStageId": "stage-onsite"}), LEVER_SECRET, 0);
    assert_eq!(lever(&c, &lv, &to_onsite).status, 200);
    assert!(app_row(&c, "lever", "opp-77")["interviewed_at"].is_string());
    let unmapped = lever_body("candidateStageChange", json!({"opportunityId": "opp-77", "toStageId": "stage-unknown"}), LEVER_SECRET, 0);
    let r = lever(&c, &lv, &unmapped);
    assert_eq!((r.status, r.body["accepted"].as_i64()), (200, Some(0)), "an unmapped stage is not guessed: {}", r.text);
    let stale = lever_body("candidateHired", json!({"opportunityId": "opp-77"}), LEVER_SECRET, 20 * 60_000);
    assert_eq!(lever(&c, &lv, &stale).status, 401, "a replay older than 15 minutes");
    let mut forged = lever_body("candidateHired", json!({"opportunityId": "opp-77"}), LEVER_SECRET, 0);
    forged["token"] = json!("another-token");
    assert_eq!(lever(&c, &lv, &forged).status, 401);
    assert!(app_row(&c, "lever", "opp-77")["hired_at"].is_null(), "nothing unverified was taken");
    let bad = lever_body("applicationCreated", json!({"opportunityId": "opp-78", "opportunity": {"emails": ["not an address"]}}), LEVER_SECRET, 0);
    let r = lever(&c, &lv, &bad);
    assert_eq!((r.status, r.body["errors"][0]["field"].as_str()), (422, Some("email")), "{}", r.text);

    // Audit rows name the connection; the secrets are nowhere.
    let n =
        |action: &str| c.gw.query("SELECT COUNT(*) AS n, MIN(actor) AS a FROM audit_log WHERE action = ?1 AND workspace_id = ?2", &[&action, &ws])[0].clone();
    assert_eq!(n("ingest_ats_webhook")["n"], json!(5), "three Greenhouse and two Lever deliveries were taken");
    assert_eq!(n("connect_ats")["n"], json!(2));
    c.gw.assert_nowhere(GH_SECRET);
    c.gw.assert_nowhere(LEVER_SECRET);

    // ---- Another workspace can neither change our connection nor point our leads elsewhere.
    let other = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "other", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let their_admin = c.gw.member_key(&other, "admin");
    let r = c.gw.act(&their_admin, ROUTER, "connect_ats", &json!({"connection_id": gh, "disconnect": true}));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("connection_id")), "{}", r.text);
    let r = c.gw.act(&their_admin, ROUTER, "set_pipeline_settings", &json!({"ad_account_id": format!("act_{A}"), "conversions_dataset_id": dataset}));
    assert!(matches!(r.status, 403 | 404 | 422), "{}", r.text);
    assert!(c.gw.query("SELECT * FROM pipeline_settings WHERE workspace_id = ?1", &[&other]).is_empty());

    // ---- Ending a connection refuses its deliveries from then on.
    let r = c.gw.act(&admin, ROUTER, "connect_ats", &json!({"connection_id": gh, "disconnect": true}));
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("disconnected")), "{}", r.text);
    assert_eq!(greenhouse(&c, &gh, &moved, GH_SECRET).status, 401);
    // Stopping the dataset: new stages are no longer queued.
    assert_eq!(settings(&admin, json!({})).status, 200);
    let late = json!({"events": [stage("9101", "offered", &iso(1))]});
    let r =
        c.gw.request("POST", &format!("/v1/workspaces/{ws}/pipeline/events"), &[("Authorization", &format!("Bearer {recruiter}"))], Some(&late.to_string()));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!conversions(&c).iter().any(|r| r["stage"] == "offered"));
}
