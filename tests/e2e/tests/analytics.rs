//! Analytics end to end: an account synced from the simulator, then read through the
//! recruiter_paid_media_analytics actions. Totals equal the simulator's truth, filters and pages
//! keep to what was asked, breakdowns and windows that are not synced are refused with how to
//! turn them on, fatigue is found where the mirror shows it, and no other workspace reads it.

use adgate_e2e::{json, Connected, Resp, Value};

const TOKEN: &str = "e2e-analytics-token-5a1e";
const A: &str = "555000111";

struct Setup {
    c: Connected,
    recruiter: String,
    since: String,
    until: String,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.control("POST", "/accounts", json!({"account_id": A, "campaigns": 2, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 30, "timezone_name": "America/New_York", "access_token": TOKEN}));
    let admin = c.key("admin");
    let set = c.gw.request(
        "POST",
        "/v1/actions/admin_meta_ads_governance/set_insights_settings",
        &[("Authorization", &format!("Bearer {admin}")), ("Idempotency-Key", "settings-1")],
        Some(
            &json!({"breakdown_sets": ["country", "publisher_platform,platform_position"], "attribution_windows": ["1d_click"], "backfill_days": 10})
                .to_string(),
        ),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    c.bind_and_backfill(TOKEN, A);
    let w = c.gw.query("SELECT window_start, window_end FROM sync_runs WHERE ad_account_id = ?1 AND kind = 'insights_resync'", &[&A]);
    let (since, until) = (w[0]["window_start"].as_str().unwrap().to_string(), w[0]["window_end"].as_str().unwrap().to_string());
    let recruiter = c.key("recruiter");
    Setup { c, recruiter, since, until }
}

impl Setup {
    fn ask_as(&self, key: &str, action: &str, mut body: Value) -> Resp {
        for (k, v) in [("ad_account_id", json!(format!("act_{A}"))), ("since", json!(self.since)), ("until", json!(self.until))] {
            if body.get(k).is_none() {
                body[k] = v;
            }
        }
        self.c.gw.request(
            "POST",
            &format!("/v1/actions/recruiter_paid_media_analytics/{action}"),
            &[("Authorization", &format!("Bearer {key}"))],
            Some(&body.to_string()),
        )
    }

    fn ask(&self, action: &str, body: Value) -> Value {
        let r = self.ask_as(&self.recruiter, action, body);
        assert_eq!(r.status, 200, "{action}: {}", r.text);
        r.body
    }
}

#[test]
fn insights_are_read_from_the_mirrors_exactly_filtered_paged_and_refused_where_not_synced() {
    let s = setup("analytics-reads");
    let truth = s.c.sim.control("GET", &format!("/truth?account_id={A}&since={}&until={}", s.since, s.until), Value::Null);
    let sum = |k: &str| truth["days"].as_array().unwrap().iter().map(|d| d[k].as_i64().unwrap()).sum::<i64>();
    let metrics = json!(["spend", "impressions", "clicks", "leads", "ctr", "cpl"]);

    // Campaign level over the synced range: totals are the simulator's truth, rows add up to them.
    let c = s.ask("get_insights_campaign_level", json!({"metrics": metrics}));
    assert_eq!(
        (c["totals"]["spend_minor"].as_i64(), c["totals"]["impressions"].as_i64(), c["totals"]["clicks"].as_i64(), c["totals"]["leads"].as_i64()),
        (Some(sum("spend_cents")), Some(sum("impressions")), Some(sum("clicks")), Some(sum("leads"))),
        "{c}"
    );
    let rows = c["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().map(|r| r["spend_minor"].as_i64().unwrap()).sum::<i64>(), sum("spend_cents"));
    assert!(rows[0]["spend_minor"].as_i64() >= rows[1]["spend_minor"].as_i64(), "sorted by spend, highest first");
    assert!(rows.iter().all(|r| r["name"].is_string()), "names from the mirror: {c}");
    let ctr = rows[0]["clicks"].as_f64().unwrap() * 100.0 / rows[0]["impressions"].as_f64().unwrap();
    assert!((rows[0]["ctr_pct"].as_f64().unwrap() - ctr).abs() < 1e-3);
    assert!(c["freshness"]["insights_synced_at"].is_string() && c["freshness"]["time_zone"] == "America/New_York", "{c}");
    assert_eq!(c["range_may_change"], true, "the last days are inside the attribution window");

    // Per day, one object per page.
    let first = s.ask("get_insights_campaign_level", json!({"time_increment": "day", "limit": 1, "sort_by": "impressions", "order": "asc"}));
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    let second = s.ask(
        "get_insights_campaign_level",
        json!({"time_increment": "day", "limit": 1, "sort_by": "impressions", "order": "asc", "cursor": first["next_cursor"]}),
    );
    assert!(second["data"][0]["impressions"].as_i64() >= first["data"][0]["impressions"].as_i64());
    assert!(first["data"][0]["date"].is_string() && first["data"][0]["may_change"].is_boolean(), "{first}");

    // Filters: ad sets of one campaign, ads of one ad set, only those.
    let campaign = rows[0]["object_id"].as_str().unwrap().to_string();
    let sets = s.ask("get_insights_adset_level", json!({"campaign_id": campaign}));
    let set_ids: Vec<&str> = sets["data"].as_array().unwrap().iter().map(|r| r["object_id"].as_str().unwrap()).collect();
    let expected = s.c.gw.query("SELECT id FROM meta_ad_sets WHERE campaign_id = ?1 ORDER BY id", &[&campaign]);
    let mut sorted = set_ids.clone();
    sorted.sort();
    assert_eq!(sorted, expected.iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>());
    assert_eq!(sets["totals"]["spend_minor"], rows[0]["spend_minor"], "a campaign's ad sets add up to it");
    let ads = s.ask("get_insights_ad_level", json!({"adset_id": set_ids[0]}));
    assert_eq!(ads["data"].as_array().unwrap().len(), 2);
    let refused = s.ask_as(&s.recruiter, "get_insights_campaign_level", json!({"adset_id": set_ids[0]}));
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("adset_id")));

    // Breakdowns: a synced set adds up to the totals; one not synced says how to turn it on.
    let by_country = s.ask("get_insights_with_breakdowns", json!({"breakdowns": ["country"], "metrics": ["spend"]}));
    assert_eq!(by_country["totals"]["spend_minor"].as_i64(), Some(sum("spend_cents")));
    assert!(by_country["data"][0]["breakdown"]["country"].is_string(), "{by_country}");
    let not_synced = s.ask_as(&s.recruiter, "get_insights_with_breakdowns", json!({"breakdowns": ["age", "gender"]}));
    assert_eq!((not_synced.status, not_synced.body["field"].as_str()), (422, Some("breakdowns")), "{}", not_synced.text);
    assert!(not_synced.body["detail"].as_str().unwrap().contains("set_insights_settings"), "{}", not_synced.text);
    let placements = s.ask("get_placement_performance", json!({"level": "campaign", "metrics": ["spend"]}));
    assert_eq!(placements["totals"]["spend_minor"].as_i64(), Some(sum("spend_cents")));
    assert!(placements["data"][0]["breakdown"]["publisher_platform"].is_string(), "{placements}");

    // Attribution windows: a synced one counts no more than the default; one not synced is refused.
    let one_day = s.ask("get_insights_campaign_level", json!({"attribution_window": "1d_click", "metrics": ["leads"]}));
    assert!(one_day["totals"]["leads"].as_i64() <= c["totals"]["leads"].as_i64());
    let refused = s.ask_as(&s.recruiter, "get_insights_campaign_level", json!({"attribution_window": "28d_click"}));
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("attribution_window")));

    // Creatives across their ads add up to the account.
    let creatives = s.ask("get_creative_performance", json!({"metrics": ["spend"]}));
    let by_creative: i64 = creatives["data"].as_array().unwrap().iter().map(|r| r["spend_minor"].as_i64().unwrap()).sum();
    assert_eq!(by_creative, sum("spend_cents"), "{creatives}");

    // Bad ranges are refused naming the field.
    let backwards = s.ask_as(&s.recruiter, "get_insights_ad_level", json!({"since": s.until, "until": s.since}));
    assert!(s.since == s.until || (backwards.status, backwards.body["field"].as_str()) == (422, Some("until")), "{}", backwards.text);
    let long = s.ask_as(&s.recruiter, "get_insights_ad_level", json!({"since": "2020-01-01", "until": "2026-01-01"}));
    assert_eq!((long.status, long.body["field"].as_str()), (422, Some("until")));
    let bad_day = s.ask_as(&s.recruiter, "get_insights_ad_level", json!({"since": "2026-02-30"}));
    assert_eq!((bad_day.status, bad_day.body["field"].as_str()), (422, Some("since")));

    // Another workspace's recruiter learns nothing about this account.
    let other = s.c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    let stranger = s.c.gw.member_key(other.body["id"].as_str().unwrap(), "recruiter");
    for action in ["get_insights_campaign_level", "get_insights_with_breakdowns", "get_creative_performance", "get_frequency_fatigue_alerts"] {
        let body = if action.contains("breakdowns") { json!({"breakdowns": ["country"]}) } else { json!({}) };
        let r = s.ask_as(&stranger, action, body);
        assert!(r.status == 404 || r.status == 422, "{action}: {}", r.text);
        assert_eq!(r.body["field"], "ad_account_id", "{action}: {}", r.text);
        assert!(!r.text.contains(&campaign), "{action}");
    }
}

#[test]
fn frequency_fatigue_is_found_where_frequency_rises_and_ctr_falls() {
    let s = setup("analytics-fatigue");
    // Two ads over four days as a sync would have mirrored them: one tiring, one steady.
    let ads = s.c.gw.query("SELECT id, creative_id FROM meta_ads ORDER BY id LIMIT 2", &[]);
    let (tired, steady) = (ads[0]["id"].as_str().unwrap().to_string(), ads[1]["id"].as_str().unwrap().to_string());
    let days = ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"];
    for (i, day) in days.iter().enumerate() {
        for (ad, reach, clicks) in [(&tired, [800, 700, 400, 300][i], [20, 18, 10, 8][i]), (&steady, 900, 20)] {
            s.c.gw.plant(
                "INSERT INTO insights_daily (ad_account_id, level, object_id, date, attribution_window, workspace_id, impressions, reach, clicks, link_clicks, spend_minor, leads, purchases, purchase_value_minor, updated_at) \
                 VALUES (?1, 'ad', ?2, ?3, 'default', ?4, 1000, ?5, ?6, 0, 500, 0, 0, 0, '2025-03-05T00:00:00Z')",
                &[&A, ad, day, &s.c.ws, &reach, &clicks],
            );
        }
    }
    let r = s.ask("get_frequency_fatigue_alerts", json!({"since": days[0], "until": days[3]}));
    let alerts = r["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{r}");
    assert_eq!(alerts[0]["ad_id"], tired.as_str());
    assert_eq!(alerts[0]["creative_id"], ads[0]["creative_id"]);
    assert_eq!(alerts[0]["evidence"]["ctr_change_pct"], -52.6);
    assert_eq!(r["second_half_from"], "2025-03-03");
    let strict = s.ask("get_frequency_fatigue_alerts", json!({"since": days[0], "until": days[3], "frequency_at_least_tenths": 40}));
    assert_eq!(strict["alerts"], json!([]), "2.9 is under a threshold of 4.0");
    let creatives = s.ask("get_creative_performance", json!({"since": days[0], "until": days[3]}));
    assert!(creatives["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["creative_id"] == ads[0]["creative_id"] && c["fatigue"]["evidence"]["frequency_change_pct"].is_number()));
    let long = s.ask_as(&s.recruiter, "get_frequency_fatigue_alerts", json!({"since": "2025-01-01", "until": "2025-06-01"}));
    assert_eq!((long.status, long.body["field"].as_str()), (422, Some("until")));
}
