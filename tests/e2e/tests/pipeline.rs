//! The recruiting pipeline end to end: applications and stage changes in (JSON and CSV), each
//! joined to Meta by the strongest key it has (lead id, ad id, UTM values the taxonomy maps, a
//! mapped ATS source), bad rows reported and good ones kept, Instant Form leads held as
//! applications, the join re-run after mappings change, and the funnel, the weekly costs and the
//! source scores equal to figures computed here from the same inputs. No contact detail is kept
//! in plain text, and another workspace neither sees nor moves any of it.

use adgate_e2e::{json, Connected, Resp, Value};
use sha2::{Digest, Sha256};

const TOKEN: &str = "e2e-pipeline-token-81c4";
const A: &str = "555000444";
const ROUTER: &str = "cross_role_paid_media_pipeline";

struct Ids {
    campaign: String,
    campaign_name: String,
    adsets: Vec<String>,
    ads: Vec<String>,
    since: String,
    until: String,
    /// The last whole day (the last may be today, which suggestions leave out).
    day: String,
}

fn ids(c: &Connected) -> Ids {
    let col = |sql: &str| c.gw.query(sql, &[]).iter().map(|r| r["v"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let range = c.gw.query("SELECT MIN(date) AS since, MAX(date) AS until, date(MAX(date), '-1 day') AS day FROM insights_daily WHERE level = 'campaign'", &[]);
    Ids {
        campaign: col("SELECT id AS v FROM meta_campaigns")[0].clone(),
        campaign_name: col("SELECT name AS v FROM meta_campaigns")[0].clone(),
        adsets: col("SELECT id AS v FROM meta_ad_sets ORDER BY id"),
        ads: col("SELECT a.id AS v FROM meta_ads a JOIN meta_ad_sets s ON s.id = a.adset_id ORDER BY s.id, a.id"),
        since: range[0]["since"].as_str().unwrap().to_string(),
        until: range[0]["until"].as_str().unwrap().to_string(),
        day: range[0]["day"].as_str().unwrap().to_string(),
    }
}

fn events(c: &Connected, key: &str, ws: &str, events: Value) -> Resp {
    c.gw.request(
        "POST",
        &format!("/v1/workspaces/{ws}/pipeline/events"),
        &[("Authorization", &format!("Bearer {key}"))],
        Some(&json!({ "events": events }).to_string()),
    )
}

fn app(id: &str, at: &str, extra: Value) -> Value {
    let mut o = json!({"type": "application", "source": "ats", "application_id": id, "applied_at": at, "job_id": "req-7", "location": "Austin, TX"});
    o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    o
}

fn stage(id: &str, stage: &str, at: &str) -> Value {
    json!({"type": "stage", "source": "ats", "application_id": id, "stage": stage, "at": at})
}

fn row(c: &Connected, id: &str) -> Value {
    c.gw.query("SELECT * FROM pipeline_applications WHERE application_id = ?1 AND workspace_id = ?2", &[&id, &c.ws]).into_iter().next().unwrap_or(Value::Null)
}

/// The Wilson lower bound (95%) in percent with one decimal, computed here apart from the gateway.
fn wilson(k: f64, n: f64) -> f64 {
    let z = 1.959964_f64;
    let p = k / n;
    let lower = (p + z * z / (2.0 * n) - z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt()) / (1.0 + z * z / n);
    (lower * 1000.0).round() / 10.0
}

fn stage_count(funnel: &Value, name: &str) -> Value {
    funnel.as_array().unwrap().iter().find(|s| s["stage"] == name).map(|s| s["count"].clone()).unwrap_or(Value::Null)
}

#[test]
fn applications_join_by_each_key_and_the_funnel_adds_up() {
    let c = Connected::start("pipeline", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 1, "adsets_per_campaign": 2, "ads_per_adset": 1, "days": 10, "timezone_name": "UTC", "access_token": TOKEN}),
    );
    let recruiter = c.key("recruiter");
    c.bind_and_backfill(TOKEN, A);
    let m = ids(&c);
    let (day, ws) = (m.day.clone(), c.ws.clone());
    let at = |h: u32| format!("{day}T{h:02}:00:00Z");
    // Instant Form leads as the leadgen webhook's fetch leaves them.
    for (lead, ad, adset) in
        [("9001", &m.ads[0], &m.adsets[0]), ("9002", &m.ads[1], &m.adsets[1]), ("9003", &m.ads[0], &m.adsets[0]), ("9004", &m.ads[1], &m.adsets[1])]
    {
        c.gw.plant(
            "INSERT INTO meta_leads (id, ad_account_id, workspace_id, form_id, ad_id, adset_id, campaign_id, created_time, field_data_json, synced_at) \
             VALUES (?1, ?2, ?3, 'f1', ?4, ?5, ?6, ?7, '[]', ?8)",
            &[&lead, &A, &ws, ad, adset, &m.campaign, &format!("{day}T08:00:00+0000"), &at(8)],
        );
    }

    // The taxonomy: every campaign, ad set and ad by id and name, and a source mapped by hand.
    let r = c.gw.act(
        &recruiter,
        ROUTER,
        "sync_campaign_taxonomy_to_pipeline",
        &json!({"ad_account_id": format!("act_{A}"), "mappings": [{"kind": "ats_source", "value": " FB_Jobs_Board ", "campaign_id": m.campaign}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let mapped = c.gw.query("SELECT kind, origin, COUNT(*) AS n FROM pipeline_mappings WHERE workspace_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2", &[&ws]);
    assert_eq!(
        mapped,
        vec![
            json!({"kind": "ats_source", "origin": "manual", "n": 1}),
            json!({"kind": "utm_campaign", "origin": "taxonomy", "n": 2}),
            json!({"kind": "utm_content", "origin": "taxonomy", "n": 4}),
            json!({"kind": "utm_term", "origin": "taxonomy", "n": 4}),
        ]
    );
    assert_eq!(r.body["mappings"].as_array().unwrap().len(), 4, "the answer counts what was written: {}", r.text);
    let r = c.gw.act(
        &recruiter,
        ROUTER,
        "sync_campaign_taxonomy_to_pipeline",
        &json!({"ad_account_id": format!("act_{A}"), "mappings": [{"kind": "utm_term", "value": "x", "ad_id": "123"}]}),
    );
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("mappings[0].ad_id")), "{}", r.text);

    // One batch: an application joined by each key, three that cannot be, bad rows, stages.
    let mut batch = vec![
        app("a1", &at(9), json!({"lead_id": "9001", "email": " Jane.Doe@Example.com ", "phone": "+1 (512) 555-0100"})),
        app("a2", &at(9), json!({"ad_id": m.ads[1]})),
        app("a3", &at(9), json!({"utm_source": "facebook", "utm_campaign": m.campaign_name.to_uppercase(), "utm_content": m.ads[0]})),
        app("a4", &at(9), json!({"utm_source": "ig", "utm_campaign": m.campaign_name})),
        app("a5", &at(9), json!({"ats_source": "fb_jobs_board"})),
        app("a6", &at(9), json!({"utm_source": "google", "utm_campaign": m.campaign_name})),
        app("a7", &at(9), json!({"utm_campaign": "Spring_Hiring_Push"})),
        app("a8", &at(9), json!({})),
        app("bad-email", &at(9), json!({"email": "jane.at.example"})),
        stage("nobody", "hired", &at(10)),
        json!({"source": "ats", "application_id": "x"}),
    ];
    for s in ["qualified", "interviewed", "offered", "hired"] {
        batch.push(stage("a1", s, &at(12)));
    }
    batch.extend([stage("a2", "qualified", &at(12)), stage("a3", "qualified", &at(12)), stage("a3", "rejected", &at(13)), stage("a5", "hired", &at(14))]);
    // Enough applicants per ad set for a score: 30 on the first (12 qualify), 12 on the second (3).
    for (adset, n, q) in [(0, 30, 12), (1, 12, 3)] {
        for i in 0..n {
            let id = format!("bulk-{adset}-{i}");
            // The first ad set's qualified applicants are mostly from Canada.
            let country = if adset == 0 && i < 15 { "CA" } else { "US" };
            batch.push(app(&id, &at(9), json!({"utm_source": "fb", "utm_term": m.adsets[adset], "country": country})));
            if i < q {
                batch.push(stage(&id, "qualified", &at(11)));
            }
        }
    }
    let r = events(&c, &recruiter, &ws, Value::Array(batch.clone()));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["applications"].as_i64(), r.body["rejected"].as_i64()), (Some(50), Some(3)), "{}", r.text);
    let errors: Vec<(i64, &str)> = r.body["errors"].as_array().unwrap().iter().map(|e| (e["index"].as_i64().unwrap(), e["field"].as_str().unwrap())).collect();
    assert_eq!(errors, vec![(8, "email"), (9, "application_id"), (10, "type")]);
    assert!(!r.text.contains("jane.at.example"), "a bad value is not echoed");
    assert_eq!(
        r.body["attribution"],
        json!({"joined": {"lead_id": 1, "ad_id": 1, "utm_content": 1, "utm_term": 42, "utm_campaign": 1, "ats_source": 1}, "unattributed": 3})
    );
    let a1 = row(&c, "a1");
    assert_eq!(
        (a1["join_key"].as_str(), a1["confidence"].as_f64(), a1["ad_id"].as_str(), a1["adset_id"].as_str()),
        (Some("lead_id"), Some(1.0), Some(m.ads[0].as_str()), Some(m.adsets[0].as_str()))
    );
    assert_eq!((a1["hired_at"].as_str(), a1["ad_account_id"].as_str()), (Some(at(12).as_str()), Some(A)));
    assert_eq!(a1["email_sha256"], hex::encode(Sha256::digest(b"jane.doe@example.com")));
    assert_eq!(a1["phone_sha256"], hex::encode(Sha256::digest(b"15125550100")));
    assert_eq!((row(&c, "a3")["join_key"].as_str(), row(&c, "a3")["ad_id"].as_str()), (Some("utm_content"), Some(m.ads[0].as_str())));
    assert_eq!((row(&c, "a4")["join_key"].as_str(), row(&c, "a4")["adset_id"].clone()), (Some("utm_campaign"), Value::Null));
    assert_eq!((row(&c, "a5")["join_key"].as_str(), row(&c, "a5")["campaign_id"].as_str()), (Some("ats_source"), Some(m.campaign.as_str())));
    assert_eq!(row(&c, "a6")["join_key"], Value::Null, "a Google campaign of the same name does not join");

    // The same batch again changes nothing: upserted by the source's key, stages kept.
    let r = events(&c, &recruiter, &ws, Value::Array(batch));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM pipeline_applications WHERE workspace_id = ?1", &[&ws])[0]["n"], 50);
    assert_eq!(row(&c, "a1")["hired_at"].as_str(), Some(at(12).as_str()));

    // The same shape as CSV.
    let csv = format!(
        "type,source,application_id,applied_at,utm_source,utm_content,stage,at\napplication,ats,a10,{},facebook,{},,\nstage,ats,a10,,,,qualified,{}\n",
        at(9),
        m.ads[1],
        at(15)
    );
    let r = c.gw.request_raw(
        "POST",
        &format!("/v1/workspaces/{ws}/pipeline/events"),
        &[("Authorization", &format!("Bearer {recruiter}")), ("Content-Type", "text/csv")],
        &csv,
    );
    assert_eq!((r.status, r.body["applications"].as_i64(), r.body["stage_changes"].as_i64()), (200, Some(1), Some(1)), "{}", r.text);
    assert_eq!((row(&c, "a10")["join_key"].as_str(), row(&c, "a10")["qualified_at"].as_str()), (Some("utm_content"), Some(at(15).as_str())));

    // Stage changes of Instant Form leads: to the application that names the lead, else to the
    // lead held as an application of its own; a lead this workspace does not have is an error.
    let lead_stage = |lead: &str, s: &str| json!({"type": "stage", "source": "meta_lead", "application_id": lead, "stage": s, "at": at(16)});
    // (With an application re-sent in the same batch, as a mixed export does.)
    let r = events(
        &c,
        &recruiter,
        &ws,
        json!([
            app("a8", &at(9), json!({})),
            lead_stage("9001", "screened"),
            lead_stage("9002", "qualified"),
            lead_stage("9003", "rejected"),
            lead_stage("777", "hired")
        ]),
    );
    assert_eq!((r.status, r.body["stage_changes"].as_i64()), (200, Some(3)), "{}", r.text);
    assert_eq!(r.body["errors"][0]["index"], 4);
    let held = row(&c, "9003");
    assert_eq!((held["join_key"].as_str(), held["rejected_at"].as_str()), (Some("lead_id"), Some(at(16).as_str())), "{held}");
    assert_eq!(row(&c, "a1")["screened_at"].as_str(), Some(at(16).as_str()));
    let held = row(&c, "9002");
    assert_eq!(
        (held["source"].as_str(), held["join_key"].as_str(), held["qualified_at"].as_str()),
        (Some("meta_lead"), Some("lead_id"), Some(at(16).as_str()))
    );
    assert!(c.gw.query("SELECT 1 FROM pipeline_applications WHERE application_id = '9001'", &[]).is_empty(), "a1 is lead 9001's application");

    // A mapping for the unmapped campaign, then the join again: that application and the lead no
    // application names (held on its own by the backfill) move.
    let r = c.gw.act(
        &recruiter,
        ROUTER,
        "sync_campaign_taxonomy_to_pipeline",
        &json!({"ad_account_id": format!("act_{A}"), "mappings": [{"kind": "ats_source", "value": "fb_jobs_board", "campaign_id": m.campaign}, {"kind": "utm_campaign", "value": "spring_hiring_push", "campaign_id": m.campaign}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let backfill = || c.gw.act(&recruiter, ROUTER, "backfill_missing_attribution", &json!({"since": m.since, "until": m.until}));
    let r = backfill();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["moved"].as_i64(), r.body["attributed"].clone()), (Some(2), json!({"lead_id": 1, "utm_campaign": 1})), "{}", r.text);
    assert_eq!(row(&c, "9004")["join_key"].as_str(), Some("lead_id"));
    assert_eq!(r.body["unattributed"]["by_reason"], json!({"not_from_meta": 1, "no_source_fields": 1}), "{}", r.text);
    let r = backfill();
    assert_eq!((r.status, r.body["moved"].as_i64()), (200, Some(0)), "a second run moves nothing: {}", r.text);
    let audited = c.gw.query("SELECT action, COUNT(*) AS n FROM audit_log WHERE workspace_id = ?1 AND action IN ('backfill_missing_attribution', 'ingest_pipeline_events') GROUP BY 1 ORDER BY 1", &[&ws]);
    assert_eq!(audited, vec![json!({"action": "backfill_missing_attribution", "n": 2}), json!({"action": "ingest_pipeline_events", "n": 4})]);

    // The funnel, against figures computed here: Meta's from the mirrors' rows, the pipeline's
    // from the events sent (52 joined: 10 named and 42 in bulk; 21 qualified; 2 interviewed,
    // offered and hired, a5's hire counting at every stage before it).
    let meta = c.gw.query(
        "SELECT SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(leads) AS leads, SUM(spend_minor) AS spend FROM insights_daily \
         WHERE level = 'campaign' AND attribution_window = 'default' AND date BETWEEN ?1 AND ?2",
        &[&m.since, &m.until],
    )[0]
    .clone();
    let spend = meta["spend"].as_i64().unwrap();
    assert!(spend > 0);
    let funnel = |by: &str| {
        c.gw.act(
            &recruiter,
            ROUTER,
            "get_paid_media_to_pipeline_funnel",
            &json!({"ad_account_id": format!("act_{A}"), "since": m.since, "until": m.until, "by": by}),
        )
    };
    let r = funnel("total");
    assert_eq!(r.status, 200, "{}", r.text);
    let total = &r.body["total"]["funnel"];
    for (stage, want) in [("impressions", meta["impressions"].clone()), ("clicks", meta["clicks"].clone()), ("leads", meta["leads"].clone())] {
        assert_eq!(stage_count(total, stage), want, "{stage}");
    }
    for (stage, want) in [("applications", 52), ("qualified", 21), ("interviewed", 2), ("offered", 2), ("hired", 2)] {
        assert_eq!(stage_count(total, stage), json!(want), "{stage}: {}", r.text);
    }
    assert_eq!(total[4]["rate_from_previous_pct"], json!(((21.0 / 52.0) * 10_000.0_f64).round() / 100.0));
    assert_eq!(r.body["total"]["cost_per_hire_minor"], json!((spend as f64 / 2.0).round() as i64));
    assert_eq!(total[7]["cost_per_minor"], r.body["total"]["cost_per_hire_minor"]);
    assert_eq!(r.body["unattributed"]["applications"], 2);
    let r = funnel("adset");
    let by_key =
        |k: Option<&str>| r.body["data"].as_array().unwrap().iter().find(|d| d["key"].as_str() == k).cloned().unwrap_or_else(|| panic!("{k:?}: {}", r.text));
    let first = by_key(Some(&m.adsets[0]));
    assert_eq!((stage_count(&first["funnel"], "applications"), stage_count(&first["funnel"], "qualified")), (json!(33), json!(14)));
    assert_eq!(first["joined_by"], json!({"lead_id": 2, "utm_content": 1, "utm_term": 30}));
    assert_eq!(stage_count(&by_key(Some(&m.adsets[1]))["funnel"], "applications"), json!(16));
    assert_eq!(stage_count(&by_key(None)["funnel"], "applications"), json!(3), "joined at campaign level only");
    let r = funnel("job");
    assert_eq!((r.body["data"][0]["key"].as_str(), stage_count(&r.body["data"][0]["funnel"], "impressions")), (Some("req-7"), Value::Null), "{}", r.text);

    // Weekly costs: every week young enough to still be waiting for hires.
    let r = c.gw.act(&recruiter, ROUTER, "get_cpl_to_hire_trend", &json!({"ad_account_id": format!("act_{A}"), "since": m.since, "until": m.until}));
    assert_eq!(r.status, 200, "{}", r.text);
    let weeks = r.body["weeks"].as_array().unwrap();
    assert_eq!(weeks.iter().map(|w| w["spend_minor"].as_i64().unwrap()).sum::<i64>(), spend);
    assert_eq!(weeks.iter().map(|w| w["hired"].as_i64().unwrap()).sum::<i64>(), 2);
    assert!(weeks.iter().all(|w| w["immature"] == true), "{}", r.text);
    assert_eq!((r.body["lag_days"]["hires_measured"].as_i64(), r.body["cost_per_hire"]["hires"].as_i64()), (Some(2), Some(2)));

    // Recruiting costs besides ad spend (admins only): each month set to a whole amount per day,
    // so the range's share is that amount times its days; the first month also has agency fees.
    let admin = c.key("admin");
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (from, to) = (date(&m.since), date(&m.until));
    let mut months: Vec<(String, i64, i64)> = Vec::new();
    let mut d = from;
    while d <= to {
        let month = d.format("%Y-%m").to_string();
        if !months.iter().any(|x| x.0 == month) {
            let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
            let days = (first.checked_add_months(chrono::Months::new(1)).unwrap() - first).num_days();
            months.push((month, days * 1_000, if months.is_empty() { days * 300 } else { 0 }));
        }
        d += chrono::Duration::days(1);
    }
    let first_month_days =
        (to.min(date(&format!("{}-01", months[0].0)).checked_add_months(chrono::Months::new(1)).unwrap() - chrono::Duration::days(1)) - from).num_days() + 1;
    let range_days = (to - from).num_days() + 1;
    let set = |key: &str, body: Value| c.gw.act(key, ROUTER, "set_recruiting_costs", &body);
    let body = json!({"ad_account_id": format!("act_{A}"), "months": months.iter().map(|(m, i, e)| json!({"month": m, "internal_minor": i, "other_external_minor": e})).collect::<Vec<_>>()});
    assert_eq!(set(&recruiter, body.clone()).status, 403, "recruiters do not set costs");
    let r = set(&admin, body);
    assert_eq!((r.status, r.body["months"].as_array().map(Vec::len)), (200, Some(months.len())), "{}", r.text);
    let held = c.gw.query(
        "SELECT month, internal_minor, external_minor, updated_by FROM pipeline_costs WHERE workspace_id = ?1 AND ad_account_id = ?2 ORDER BY month",
        &[&ws, &A],
    );
    assert_eq!(
        held.iter()
            .map(|h| (h["month"].as_str().unwrap().to_string(), h["internal_minor"].as_i64().unwrap(), h["external_minor"].as_i64().unwrap()))
            .collect::<Vec<_>>(),
        months
    );
    let r = c.gw.act(&recruiter, ROUTER, "get_cpl_to_hire_trend", &json!({"ad_account_id": format!("act_{A}"), "since": m.since, "until": m.until}));
    let t = &r.body["cost_per_hire_total"];
    let (internal, external) = (range_days * 1_000, first_month_days * 300);
    assert_eq!(
        (t["internal_minor"].as_i64(), t["other_external_minor"].as_i64(), t["total_minor"].as_i64()),
        (Some(internal), Some(external), Some(spend + internal + external)),
        "{}",
        r.text
    );
    assert_eq!(t["cost_per_hire_minor"], json!(((spend + internal + external) as f64 / 2.0).round() as i64));
    assert_eq!(r.body["cost_per_hire"]["cost_per_hire_minor"], json!((spend as f64 / 2.0).round() as i64), "the paid-media variant stays as it was");
    let r = funnel("total");
    assert_eq!(r.body["total"]["cost_per_hire_total"]["total_minor"].as_i64(), Some(spend + internal + external), "{}", r.text);
    // A month with both amounts zero is removed; the trend then names it as without costs.
    let last = months.last().unwrap().0.clone();
    let r = set(&admin, json!({"ad_account_id": format!("act_{A}"), "months": [{"month": last, "internal_minor": 0}]}));
    assert_eq!((r.status, r.body["removed"].clone()), (200, json!([last])), "{}", r.text);
    let r = c.gw.act(&recruiter, ROUTER, "get_cpl_to_hire_trend", &json!({"ad_account_id": format!("act_{A}"), "since": m.since, "until": m.until}));
    assert_eq!(r.body["cost_per_hire_total"]["months_without_costs"], json!([last]), "{}", r.text);
    let audit =
        c.gw.query("SELECT actor, before_json, after_json FROM audit_log WHERE workspace_id = ?1 AND action = 'set_recruiting_costs' ORDER BY rowid", &[&ws]);
    assert_eq!(audit.len(), 2, "one audit row per change: {audit:?}");
    assert!(audit[1]["before_json"].as_str().unwrap().contains(&last) && !audit[1]["after_json"].as_str().unwrap().contains(&last));
    // Bad months are refused by field, and nothing is written.
    let costs_now = || c.gw.query("SELECT * FROM pipeline_costs ORDER BY month", &[]);
    let kept = costs_now();
    for (months, field) in [
        (json!([{"month": "2026-01", "internal_minor": 1}, {"month": "2026-01", "internal_minor": 2}]), "months[1].month"),
        // Decoding names the top field, with the reason.
        (json!([{"month": "2026-13", "internal_minor": 1}]), "months"),
        (json!([{"month": "2026-01", "internal_minor": -1}]), "months"),
        (json!([{"month": "2026-01", "internal_minor": 1, "other_external_minor": 100_000_000_001_i64}]), "months"),
        (json!([]), "months"),
        (json!(vec![json!({"month": "2026-01", "internal_minor": 1}); 37]), "months"),
    ] {
        let r = set(&admin, json!({"ad_account_id": format!("act_{A}"), "months": months}));
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{}", r.text);
    }
    assert_eq!(costs_now(), kept);

    // Source scores: no score from three applicants; the lower bound ranks the rest.
    let r = c.gw.act(
        &recruiter,
        ROUTER,
        "get_source_quality_score",
        &json!({"ad_account_id": format!("act_{A}"), "since": m.since, "until": m.until, "by": "adset", "min_applications": 10}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let s = r.body["sources"].as_array().unwrap();
    assert_eq!((s[0]["source"].as_str(), s[0]["score"].as_f64()), (Some(m.adsets[0].as_str()), Some(wilson(14.0, 33.0))));
    assert_eq!((s[1]["source"].as_str(), s[1]["score"].as_f64()), (Some(m.adsets[1].as_str()), Some(wilson(6.0, 16.0))));
    assert_eq!((s[2]["score"].clone(), s[2]["applications"].as_i64()), (Value::Null, Some(3)));

    // Channel mix: budget follows what a qualified applicant costs, against the rule computed
    // here from the mirrors' spend and the qualified counts sent (14 and 6).
    let r = c.gw.act(&recruiter, ROUTER, "suggest_channel_mix", &json!({"ad_account_id": format!("act_{A}"), "min_applications": 10}));
    assert_eq!(r.status, 200, "{}", r.text);
    let (since, until) = (r.body["since"].as_str().unwrap().to_string(), r.body["until"].as_str().unwrap().to_string());
    let spent = |adset: &str| {
        c.gw.query(
            "SELECT COALESCE(SUM(spend_minor), 0) AS s FROM insights_daily WHERE level = 'adset' AND attribution_window = 'default' AND object_id = ?1 AND date BETWEEN ?2 AND ?3",
            &[&adset, &since, &until],
        )[0]["s"]
            .as_i64()
            .unwrap() as i128
    };
    let (s1, s2) = (spent(&m.adsets[0]), spent(&m.adsets[1]));
    let (q, total_q, total_s) = ([14i128, 6], 20i128, s1 + s2);
    let moves: Vec<(String, bool)> = [(0usize, s1), (1, s2)]
        .iter()
        .filter_map(|&(i, s)| {
            let donor = s * total_q * 10 > total_s * q[i] * 12;
            let recipient = s * total_q * 12 < total_s * q[i] * 10;
            (donor || recipient).then(|| (m.adsets[i].clone(), recipient))
        })
        .collect();
    let both_sides = moves.iter().any(|m| m.1) && moves.iter().any(|m| !m.1);
    let changes: Vec<(String, bool)> =
        r.body["changes"].as_array().unwrap().iter().map(|c| (c["ad_set_id"].as_str().unwrap().to_string(), c["change_minor"].as_i64().unwrap() > 0)).collect();
    assert_eq!(changes, if both_sides { moves } else { vec![] }, "spend {s1} and {s2}: {}", r.text);
    assert_eq!(r.body["evidence"][0]["cost_per_qualified_minor"], json!((s1 as f64 / 14.0).round() as i64));
    assert_eq!(r.body["apply_with"]["action"].as_str().is_some(), both_sides);

    // Geo expansion: Canada's applicants qualify clearly better than the account's (12 of 15
    // against 21 of 52); ad sets buying qualified applicants at or under the account's cost are
    // offered it, as a targeting Meta accepts for job ads.
    let r = c.gw.act(&recruiter, ROUTER, "suggest_geo_expansion", &json!({"ad_account_id": format!("act_{A}"), "min_applications": 10}));
    assert_eq!(r.status, 200, "{}", r.text);
    let account_cost = (total_s as f64 / 20.0).round() as i64;
    let efficient: Vec<&String> =
        [(0usize, s1), (1, s2)].iter().filter(|&&(i, s)| (s as f64 / q[i] as f64).round() as i64 <= account_cost).map(|&(i, _)| &m.adsets[i]).collect();
    let offered: Vec<(&str, &str)> =
        r.body["suggestions"].as_array().unwrap().iter().map(|s| (s["ad_set_id"].as_str().unwrap(), s["add_country"].as_str().unwrap())).collect();
    assert_eq!(offered, efficient.iter().map(|a| (a.as_str(), "CA")).collect::<Vec<_>>(), "{}", r.text);
    for s in r.body["suggestions"].as_array().unwrap() {
        assert_eq!(s["evidence"]["applications"], 15);
        assert_eq!(s["apply_with"]["input"]["targeting"]["geo_locations"]["countries"], json!(["US", "CA"]), "{}", r.text);
    }

    // Nothing personal in plain text: not in D1's rows, the audit, or the log.
    let dump =
        c.gw.query("SELECT * FROM pipeline_applications", &[])
            .iter()
            .chain(c.gw.query("SELECT * FROM audit_log", &[]).iter())
            .map(Value::to_string)
            .collect::<String>();
    for secret in ["jane.doe", "Jane.Doe", "555-0100", "5125550100"] {
        assert!(!dump.contains(secret) && !c.gw.log_text().contains(secret), "{secret} was kept");
    }

    // Bad input to each action is refused naming the field, and nothing runs.
    let acct = format!("act_{A}");
    let audited = || c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE workspace_id = ?1", &[&ws])[0]["n"].clone();
    let before = audited();
    for (action, body, field) in [
        ("get_paid_media_to_pipeline_funnel", json!({"ad_account_id": acct, "since": m.until, "until": m.since}), "until"),
        ("get_paid_media_to_pipeline_funnel", json!({"ad_account_id": acct, "since": m.since, "until": m.until, "by": "county"}), "by"),
        ("get_cpl_to_hire_trend", json!({"ad_account_id": acct, "since": "2020-01-01", "until": "2026-11-01"}), "until"),
        (
            "get_source_quality_score",
            json!({"ad_account_id": acct, "since": m.since, "until": m.until, "by": "adset", "min_applications": 3}),
            "min_applications",
        ),
        ("backfill_missing_attribution", json!({"since": m.since, "until": m.until, "dry_run": true}), "dry_run"),
        (
            "sync_campaign_taxonomy_to_pipeline",
            json!({"ad_account_id": acct, "mappings": [{"kind": "utm_term", "value": "x", "campaign_id": m.campaign, "ad_id": m.ads[0]}]}),
            "mappings[0]",
        ),
        ("suggest_channel_mix", json!({"ad_account_id": acct, "look_back_days": 200}), "look_back_days"),
        ("suggest_geo_expansion", json!({"ad_account_id": acct, "min_applications": 0}), "min_applications"),
    ] {
        let r = c.gw.act(&recruiter, ROUTER, action, &body);
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{action}: {}", r.text);
    }
    assert_eq!(audited(), before, "nothing ran");

    // Another workspace: its events name none of ours, and our rows do not move.
    let other = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "other", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let theirs = c.gw.member_key(&other, "recruiter");
    let r = events(&c, &theirs, &other, json!([stage("a2", "hired", &at(18)), lead_stage("9002", "hired")]));
    assert_eq!((r.status, r.body["rejected"].as_i64()), (422, Some(2)), "{}", r.text);
    let r = events(&c, &theirs, &other, json!([app("a2", &at(9), json!({"ad_id": m.ads[1], "lead_id": "9001"}))]));
    assert_eq!((r.status, r.body["attribution"]["unattributed"].as_i64()), (200, Some(1)), "our ads and leads join nothing of theirs: {}", r.text);
    assert_eq!((row(&c, "a2")["hired_at"].clone(), row(&c, "a2")["workspace_id"].as_str()), (Value::Null, Some(ws.as_str())));
    assert_eq!(events(&c, &theirs, &ws, json!([stage("a2", "hired", &at(18))])).status, 403);
    let their_admin = c.gw.member_key(&other, "admin");
    let r = c.gw.act(
        &their_admin,
        ROUTER,
        "set_recruiting_costs",
        &json!({"ad_account_id": format!("act_{A}"), "months": [{"month": "2026-01", "internal_minor": 5}]}),
    );
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("ad_account_id")), "{}", r.text);
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM pipeline_costs WHERE workspace_id = ?1", &[&other])[0]["n"], 0);
    let r = c.gw.act(&theirs, ROUTER, "backfill_missing_attribution", &json!({"since": m.since, "until": m.until}));
    assert_eq!((r.status, r.body["moved"].as_i64(), r.body["unattributed"]["applications"].as_i64()), (200, Some(0), Some(1)), "{}", r.text);
}
