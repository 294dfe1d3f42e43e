//! The simulator behaves like the Graph API: objects and edges, fields, cursors, filtering,
//! Meta's validation rules, the batch API, usage headers and throttling, tokens and proofs.

mod common;

use common::{Resp, Sim};
use serde_json::{json, Value};

#[test]
fn edges_select_fields_expand_children_and_page_with_cursors() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let path = format!("/v26.0/act_{acct}/campaigns");
    let first = sim.call("GET", &path, &[("access_token", &tok), ("fields", "name,adsets{name,effective_status}"), ("limit", "2")]);
    assert_eq!(first.status, 200, "{}", first.body);
    let data = first.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["adsets"]["data"].as_array().unwrap().len(), 2);
    assert!(data[0]["adsets"]["data"][0]["effective_status"].is_string());
    assert!(data[0].get("status").is_none(), "only the selected fields");
    let after = first.body["paging"]["cursors"]["after"].as_str().unwrap();
    assert!(first.body["paging"]["next"].as_str().unwrap().contains("after="));
    let second = sim.call("GET", &path, &[("access_token", &tok), ("fields", "name"), ("limit", "2"), ("after", after)]);
    assert_eq!(second.body["data"].as_array().unwrap().len(), 1);
    assert!(second.body["paging"].get("next").is_none(), "last page has no next");
    let before = second.body["paging"]["cursors"]["before"].as_str().unwrap();
    let back = sim.call("GET", &path, &[("access_token", &tok), ("limit", "2"), ("before", before)]);
    assert_eq!(back.body["data"][0]["id"], data[0]["id"]);
    let with_summary = sim.call("GET", &path, &[("access_token", &tok), ("summary", "true")]);
    assert_eq!(with_summary.body["summary"]["total_count"], 3);
    let ad = sim.call(
        "GET",
        &format!("/v26.0/act_{acct}/ads"),
        &[("access_token", &tok), ("fields", "name,adset{name},campaign{objective},creative{name}"), ("limit", "1")],
    );
    let ad = &ad.body["data"][0];
    assert!(ad["adset"]["name"].is_string() && ad["campaign"]["objective"] == "OUTCOME_LEADS" && ad["creative"]["name"] == "Drive with us", "{ad}");
}

#[test]
fn status_effective_status_deletion_and_filters() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let list = |extra: &[(&str, &str)]| {
        let mut q = vec![("access_token", tok.as_str()), ("fields", "name,status,effective_status"), ("limit", "100")];
        q.extend_from_slice(extra);
        sim.call("GET", &format!("/v26.0/act_{acct}/campaigns"), &q).body["data"].as_array().unwrap().clone()
    };
    let campaigns = list(&[]);
    let (c0, c1) = (campaigns[0]["id"].as_str().unwrap().to_string(), campaigns[1]["id"].as_str().unwrap().to_string());
    let t0 = sim.control("GET", "/time", json!(null))["now"].as_i64().unwrap();
    sim.control("POST", "/time/advance", json!({"seconds": 1}));
    assert_eq!(sim.call("POST", &format!("/v26.0/{c0}"), &[("access_token", &tok), ("status", "PAUSED")]).body, json!({"success": true}));
    let sets = sim.call("GET", &format!("/v26.0/{c0}/adsets"), &[("access_token", &tok), ("fields", "status,effective_status")]);
    for s in sets.body["data"].as_array().unwrap() {
        assert_eq!((s["status"].as_str(), s["effective_status"].as_str()), (Some("ACTIVE"), Some("CAMPAIGN_PAUSED")));
    }
    sim.control("POST", "/time/advance", json!({"seconds": 10}));
    assert_eq!(sim.call("DELETE", &format!("/v26.0/{c1}"), &[("access_token", &tok)]).status, 200);
    assert_eq!(list(&[]).len(), 2, "deleted objects are left out by default");
    let deleted = list(&[("effective_status", "[\"DELETED\"]")]);
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["id"], c1.as_str());
    let changed = list(&[("filtering", &format!("[{{\"field\":\"updated_time\",\"operator\":\"GREATER_THAN\",\"value\":{}}}]", t0 + 5))]);
    assert!(changed.is_empty(), "deleted objects need an explicit status filter");
    let changed = list(&[
        ("filtering", &format!("[{{\"field\":\"updated_time\",\"operator\":\"GREATER_THAN\",\"value\":{t0}}},{{\"field\":\"effective_status\",\"operator\":\"IN\",\"value\":[\"ACTIVE\",\"PAUSED\",\"DELETED\"]}}]")),
    ]);
    assert_eq!(changed.len(), 2, "the paused and the deleted campaign changed after t0");
    let again = sim.call("POST", &format!("/v26.0/{c1}"), &[("access_token", &tok), ("name", "x")]);
    assert_eq!((again.status, again.code()), (400, 100), "{}", again.body);
}

#[test]
fn creation_rules_validate_only_and_special_category_targeting() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 0, "days": 1 }));
    let path = format!("/v26.0/act_{acct}/campaigns");
    let missing = sim.call("POST", &path, &[("access_token", &tok), ("name", "x"), ("objective", "OUTCOME_LEADS")]);
    assert_eq!((missing.status, missing.code()), (400, 100));
    assert_eq!(missing.body["error"]["error_user_title"], "Special Ad Categories Required");
    let bad_objective = sim.call("POST", &path, &[("access_token", &tok), ("name", "x"), ("objective", "SELL"), ("special_ad_categories", "[]")]);
    assert!(bad_objective.body["error"]["message"].as_str().unwrap().contains("objective"));
    let dry = sim.call(
        "POST",
        &path,
        &[
            ("access_token", &tok),
            ("name", "Jobs"),
            ("objective", "OUTCOME_LEADS"),
            ("special_ad_categories", "[\"EMPLOYMENT\"]"),
            ("special_ad_category_country", "[\"US\"]"),
            ("is_adset_budget_sharing_enabled", "false"),
            ("execution_options", "[\"validate_only\"]"),
        ],
    );
    assert_eq!(dry.body, json!({"success": true}));
    assert_eq!(sim.call("GET", &path, &[("access_token", &tok)]).body["data"].as_array().unwrap().len(), 0, "validate_only creates nothing");
    let created = sim.call(
        "POST",
        &path,
        &[
            ("access_token", &tok),
            ("name", "Jobs"),
            ("objective", "OUTCOME_LEADS"),
            ("special_ad_categories", "[\"EMPLOYMENT\"]"),
            ("special_ad_category_country", "[\"US\"]"),
            ("is_adset_budget_sharing_enabled", "false"),
            ("status", "PAUSED"),
        ],
    );
    let cid = created.body["id"].as_str().unwrap().to_string();
    let adsets = format!("/v26.0/act_{acct}/adsets");
    let base = |targeting: &str| {
        sim.call(
            "POST",
            &adsets,
            &[
                ("access_token", &tok),
                ("name", "Drivers"),
                ("campaign_id", &cid),
                ("billing_event", "IMPRESSIONS"),
                ("optimization_goal", "LEAD_GENERATION"),
                ("destination_type", "ON_AD"),
                ("promoted_object", r#"{"page_id":"5550001"}"#),
                ("daily_budget", "5000"),
                ("targeting", targeting),
            ],
        )
    };
    let narrowed = base(r#"{"geo_locations":{"countries":["US"]},"age_min":25,"genders":[1]}"#);
    assert_eq!(narrowed.code(), 100);
    let msg = narrowed.body["error"]["error_user_msg"].as_str().unwrap();
    assert!(msg.contains("EMPLOYMENT") && msg.contains("age_min") && msg.contains("genders"), "{msg}");
    let zips = base(r#"{"geo_locations":{"zips":[{"key":"US:94107"}]}}"#);
    assert!(zips.body["error"]["error_user_msg"].as_str().unwrap().contains("zips"));
    let fine = base(r#"{"geo_locations":{"countries":["US"]},"age_min":18,"age_max":65}"#);
    assert!(fine.body["id"].is_string(), "{}", fine.body);
    let no_geo = base(r#"{"age_min":18}"#);
    assert_eq!(no_geo.body["error"]["error_user_title"], "Location Is Missing");
}

#[test]
fn batch_api_answers_each_request_and_caps_at_fifty() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let batch = json!([
        { "method": "GET", "relative_url": format!("act_{acct}?fields=name,currency") },
        { "method": "GET", "relative_url": "v26.0/999999?fields=name" },
        { "method": "POST", "relative_url": format!("act_{acct}/campaigns"), "body": "name=Batch&objective=OUTCOME_LEADS&special_ad_categories=[]&is_adset_budget_sharing_enabled=false" },
    ]);
    let r = sim.call("POST", "/v26.0/", &[("access_token", &tok), ("batch", &batch.to_string())]);
    let items = r.body.as_array().unwrap();
    assert_eq!(items.iter().map(|i| i["code"].as_i64().unwrap()).collect::<Vec<_>>(), vec![200, 400, 200]);
    let first: Value = serde_json::from_str(items[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(first["currency"], "USD");
    let second: Value = serde_json::from_str(items[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(second["error"]["error_subcode"], 33);
    let counters = sim.control("GET", "/counters", json!(null));
    assert_eq!(counters["by_endpoint"]["POST /act_{id}/campaigns"], 1, "{counters}");
    let ledger = sim.control("GET", "/ledger", json!(null));
    let inner = ledger["entries"].as_array().unwrap().iter().find(|e| e["batch"] == true && e["method"] == "POST").unwrap().clone();
    assert_eq!(inner["params"]["name"], "Batch", "a call inside a batch is in the ledger with its parameters: {inner}");

    // An injected error fault fails the matching call inside a batch, and only that one.
    sim.control("POST", "/faults", json!({"kind": "status", "status": 500, "path_contains": "/campaigns", "method": "POST", "after": 1}));
    let two = json!([
        { "method": "POST", "relative_url": format!("act_{acct}/campaigns"), "body": "name=One&objective=OUTCOME_LEADS&special_ad_categories=[]&is_adset_budget_sharing_enabled=false" },
        { "method": "POST", "relative_url": format!("act_{acct}/campaigns"), "body": "name=Two&objective=OUTCOME_LEADS&special_ad_categories=[]&is_adset_budget_sharing_enabled=false" },
        { "method": "GET", "relative_url": format!("act_{acct}/campaigns?fields=name") },
    ]);
    let r = sim.call("POST", "/v26.0/", &[("access_token", &tok), ("batch", &two.to_string())]);
    let codes: Vec<i64> = r.body.as_array().unwrap().iter().map(|i| i["code"].as_i64().unwrap()).collect();
    assert_eq!(codes, vec![200, 500, 200], "{}", r.body);
    let too_many: Vec<Value> = (0..51).map(|_| json!({"method": "GET", "relative_url": "me"})).collect();
    let r = sim.call("POST", "/v26.0/", &[("access_token", &tok), ("batch", &Value::Array(too_many).to_string())]);
    assert_eq!(r.code(), 100);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Maximum batch size is 50"));
}

#[test]
fn usage_headers_rise_and_an_account_over_budget_is_throttled() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 1, "days": 1, "call_budget": 4 }));
    let path = format!("/v26.0/act_{acct}/campaigns");
    let mut pcts = vec![];
    for _ in 0..4 {
        let r = sim.call("GET", &path, &[("access_token", &tok)]);
        assert_eq!(r.status, 200);
        let usage: Value = serde_json::from_str(r.header("x-ad-account-usage").unwrap()).unwrap();
        pcts.push(usage["acc_id_util_pct"].as_i64().unwrap());
        assert!(r.header("x-app-usage").is_some());
        let buc: Value = serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
        assert_eq!(buc.as_object().unwrap().values().next().unwrap()[0]["type"], "ads_management");
    }
    assert_eq!(pcts, vec![25, 50, 75, 100]);
    let r = sim.call("GET", &path, &[("access_token", &tok)]);
    assert_eq!((r.status, r.code()), (400, 80004));
    assert_eq!(r.body["error"]["is_transient"], true);
    assert!(r.body["error"]["error_data"]["estimated_time_to_regain_access"].as_i64().unwrap() >= 1);
    let buc: Value = serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
    assert!(buc.as_object().unwrap().values().next().unwrap()[0]["estimated_time_to_regain_access"].as_i64().unwrap() >= 1);
    // Insights are another business use case, with a budget of their own.
    let insights_path = format!("/v26.0/act_{acct}/insights");
    for n in 1..=4 {
        let r = sim.call("GET", &insights_path, &[("access_token", &tok)]);
        assert_eq!(r.status, 200, "the insights budget is not the management one: {}", r.body);
        let throttle: Value = serde_json::from_str(r.header("x-fb-ads-insights-throttle").expect("on every insights answer")).unwrap();
        assert_eq!((throttle["acc_id_util_pct"].as_i64(), throttle["ads_api_access_tier"].as_str()), (Some(n * 25), Some("standard_access")));
        assert!(throttle["app_id_util_pct"].is_i64());
        let buc: Value = serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
        let entries = buc.as_object().unwrap().values().next().unwrap().as_array().unwrap().clone();
        let of = |t: &str| entries.iter().find(|e| e["type"] == t).map(|e| e["call_count"].as_i64().unwrap());
        assert_eq!((of("ads_management"), of("ads_insights")), (Some(100), Some(n * 25)), "each use case its own entry: {buc}");
    }
    assert!(sim.call("GET", &path, &[("access_token", &tok)]).header("x-fb-ads-insights-throttle").is_none(), "only on insights answers");
    let insights = sim.call("GET", &insights_path, &[("access_token", &tok)]);
    assert_eq!((insights.code(), insights.body["error"]["error_subcode"].as_i64()), (80000, Some(2_446_079)), "insights calls are throttled as ads_insights");
    sim.control("POST", "/time/advance", json!({"seconds": 3601}));
    assert_eq!(sim.call("GET", &path, &[("access_token", &tok)]).status, 200, "the window passed");
}

#[test]
fn budgets_follow_the_tier_and_active_ads_per_use_case() {
    // Development tier: ads management allows 300 + 40 x active ads an hour (4 ads: 460).
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 1, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 1, "access_tier": "development_access" }));
    let r = sim.call("GET", &format!("/v26.0/act_{acct}"), &[("access_token", &tok)]);
    let buc: Value = serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
    let entry = buc.as_object().unwrap().values().next().unwrap()[0].clone();
    assert_eq!((entry["type"].as_str(), entry["ads_api_access_tier"].as_str()), (Some("ads_management"), Some("development_access")));
    for _ in 0..229 {
        sim.call("GET", &format!("/v26.0/act_{acct}"), &[("access_token", &tok)]);
    }
    let usage: Value =
        serde_json::from_str(sim.call("GET", &format!("/v26.0/act_{acct}"), &[("access_token", &tok)]).header("x-ad-account-usage").unwrap()).unwrap();
    assert_eq!(usage["acc_id_util_pct"], 50, "231 of 460 calls: {usage}");
    // A use case's own budget (a test's override) binds only that use case.
    let (acct, tok) = sim.seed(json!({ "campaigns": 1, "days": 1, "budgets": {"custom_audience": 1} }));
    let audiences = format!("/v26.0/act_{acct}/customaudiences");
    assert_eq!(sim.call("GET", &audiences, &[("access_token", &tok)]).status, 200);
    let r = sim.call("GET", &audiences, &[("access_token", &tok)]);
    assert_eq!((r.code(), r.body["error"]["error_subcode"].as_i64()), (80003, Some(2_446_079)), "{}", r.body);
    assert_eq!(sim.call("GET", &format!("/v26.0/act_{acct}/campaigns"), &[("access_token", &tok)]).status, 200);
    assert!(sim.control("POST", "/accounts", json!({ "campaigns": 1, "access_tier": "gold" }))["account_id"].is_null(), "an unknown tier is refused");
}

#[test]
fn filtering_follows_metas_dot_notation_on_edges_and_insights() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 2, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 3 }));
    let get = |path: &str, filtering: Value, fields: &str| {
        sim.call(
            "GET",
            &format!("/v26.0/{path}"),
            &[("access_token", tok.as_str()), ("filtering", &filtering.to_string()), ("fields", fields), ("limit", "100")],
        )
    };
    let campaigns = get(&format!("act_{acct}/campaigns"), json!([]), "id");
    let (paused, running) = (campaigns.body["data"][0]["id"].as_str().unwrap().to_string(), campaigns.body["data"][1]["id"].as_str().unwrap().to_string());
    sim.control("POST", "/time/advance", json!({"seconds": 60}));
    let before = sim.control("GET", "/time", json!(null))["now"].as_i64().unwrap();
    assert_eq!(sim.call("POST", &format!("/v26.0/{paused}"), &[("access_token", &tok), ("status", "PAUSED")]).status, 200);
    let ids = |r: &Resp, key: &str| -> Vec<String> {
        r.body["data"].as_array().unwrap_or_else(|| panic!("{}", r.body)).iter().map(|a| a[key].as_str().unwrap().to_string()).collect()
    };
    // On /ads: the parent campaign's status and update time, in dot notation.
    let r = get(&format!("act_{acct}/ads"), json!([{"field": "campaign.effective_status", "operator": "IN", "value": ["PAUSED"]}]), "campaign_id");
    assert_eq!(ids(&r, "campaign_id"), vec![paused.clone(), paused.clone()]);
    let r = get(&format!("act_{acct}/ads"), json!([{"field": "campaign.effective_status", "operator": "NOT_IN", "value": ["PAUSED"]}]), "campaign_id");
    assert_eq!(ids(&r, "campaign_id"), vec![running.clone(), running.clone()]);
    let r = get(&format!("act_{acct}/ads"), json!([{"field": "campaign.updated_time", "operator": "GREATER_THAN_OR_EQUAL", "value": before}]), "campaign_id");
    assert_eq!(ids(&r, "campaign_id"), vec![paused.clone(), paused.clone()]);
    let r = get(
        &format!("act_{acct}/campaigns"),
        json!([{"field": "campaign.id", "operator": "EQUAL", "value": running}, {"field": "name", "operator": "CONTAIN", "value": ""}]),
        "id",
    );
    assert_eq!(ids(&r, "id"), vec![running.clone()], "filters combine");
    // In insights, every level of an ad's tree.
    let r = get(&format!("act_{acct}/insights"), json!([{"field": "campaign.effective_status", "operator": "IN", "value": ["ACTIVE"]}]), "campaign_id,spend");
    let rows = r.body["data"].as_array().unwrap_or_else(|| panic!("{}", r.body)).clone();
    let r2 = sim.call(
        "GET",
        &format!("/v26.0/act_{acct}/insights"),
        &[
            ("access_token", tok.as_str()),
            ("level", "campaign"),
            ("fields", "campaign_id"),
            ("filtering", &json!([{"field": "campaign.effective_status", "operator": "IN", "value": ["ACTIVE"]}]).to_string()),
        ],
    );
    assert_eq!(ids(&r2, "campaign_id"), vec![running.clone()], "{}", r2.body);
    assert_eq!(rows.len(), 1);
    // Meta's errors: an operator outside its list, one a field does not take, a field it does not filter on.
    for (filtering, want) in [
        (json!([{"field": "name", "operator": "LIKE", "value": "x"}]), "(#100) Param filtering[0][operator] must be one of {EQUAL, NOT_EQUAL,"),
        (
            json!([{"field": "campaign.updated_time", "operator": "NOT_EQUAL", "value": 1}]),
            "(#100) Filtering field 'campaign.updated_time' with operation 'not_equal' is not supported",
        ),
        (json!([{"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}]), "(#100) Filtering field 'ad.effective_status' is not supported"),
    ] {
        let r = get(&format!("act_{acct}/campaigns"), filtering, "id");
        assert_eq!(r.code(), 100);
        assert!(r.body["error"]["message"].as_str().unwrap().starts_with(want), "{}", r.body);
    }
}

#[test]
fn edges_clients_list_answer_with_lists() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 1, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 1, "system_user": true }));
    let get = |path: &str, extra: &[(&str, &str)]| {
        let mut form = vec![("access_token", tok.as_str())];
        form.extend_from_slice(extra);
        sim.call("GET", &format!("/v26.0/{path}"), &form)
    };
    let users = get("me/business_users", &[]);
    assert_eq!(users.status, 200, "{}", users.body);
    assert_eq!(users.body["data"][0]["tasks"], json!(["MANAGE", "ADVERTISE", "ANALYZE", "DRAFT"]));
    let r = get(&format!("act_{acct}/assigned_users"), &[]);
    assert_eq!((r.code(), r.body["error"]["message"].as_str()), (100, Some("(#100) The parameter business is required")));
    let r = get(&format!("act_{acct}/assigned_users"), &[("business", "123")]);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!((r.body["data"][0]["user_type"].as_str(), r.body["data"][0]["tasks"][0].as_str()), (Some("system_user"), Some("MANAGE")));
    for edge in ["advideos", "customconversions"] {
        let r = get(&format!("act_{acct}/{edge}"), &[]);
        assert_eq!((r.status, r.body["data"].clone()), (200, json!([])), "{edge}: {}", r.body);
    }
    let r = get(&format!("act_{acct}/activities"), &[("fields", "event_type,object_type,event_time")]);
    let kinds: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|a| a["event_type"].as_str().unwrap()).collect();
    for k in ["create_campaign", "create_ad_set", "create_ad"] {
        assert!(kinds.contains(&k), "{k}: {}", r.body);
    }
    let r = get(&format!("act_{acct}/activities"), &[("since", "4102444800")]);
    assert_eq!(r.body["data"], json!([]), "none after 2100");
    // An unknown edge of the caller, or of an account, is Meta's unknown path, not an unknown object.
    for path in ["me/boguspath".to_string(), format!("act_{acct}/boguspath")] {
        let r = get(&path, &[]);
        assert_eq!(
            (r.code(), r.body["error"]["message"].as_str(), r.body["error"]["type"].as_str()),
            (2500, Some("Unknown path components: /boguspath"), Some("OAuthException")),
            "{path}"
        );
    }
}

#[test]
fn a_batch_items_parameters_are_in_the_ledger_with_tokens_redacted() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let batch = json!([
        { "method": "GET", "name": "first", "relative_url": format!("act_{acct}/campaigns?fields=name&limit=2&access_token={tok}") },
        { "method": "GET", "relative_url": "{result=missing:$.id}?fields=name" },
        { "method": "POST", "relative_url": format!("act_{acct}/campaigns"), "body": "name=Kept&objective=OUTCOME_LEADS&special_ad_categories=[]&is_adset_budget_sharing_enabled=false&status=PAUSED" },
    ]);
    sim.call("POST", "/v26.0/", &[("access_token", &tok), ("batch", &batch.to_string())]);
    let ledger = sim.control("GET", "/ledger", json!(null));
    let items: Vec<Value> = ledger["entries"].as_array().unwrap().iter().filter(|e| e["batch"] == true).cloned().collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!((items[0]["params"]["limit"].as_str(), items[0]["params"]["access_token"].as_str()), (Some("2"), Some("<redacted>")));
    assert_eq!(items[0]["query_keys"], json!(["fields", "limit", "access_token"]), "names of what came in the item's URL");
    assert_eq!(items[1]["params"]["fields"], "name", "kept though its dependency failed: {}", items[1]);
    assert_eq!((items[2]["params"]["name"].as_str(), items[2]["params"]["status"].as_str()), (Some("Kept"), Some("PAUSED")));
    assert!(!ledger.to_string().contains(&tok), "no token anywhere in the ledger");
}

#[test]
fn tokens_proofs_and_the_oauth_flow() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let me = format!("/v26.0/act_{acct}");
    assert_eq!(sim.call("GET", &me, &[]).code(), 104, "no token");
    assert_eq!(sim.call("GET", &me, &[("access_token", "nope")]).code(), 190);
    sim.control("POST", "/config", json!({"require_proof": true}));
    assert!(sim.call("GET", &me, &[("access_token", &tok)]).body["error"]["message"].as_str().unwrap().contains("require an appsecret_proof"));
    assert!(sim.call("GET", &me, &[("access_token", &tok), ("appsecret_proof", "00")]).body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Invalid appsecret_proof"));
    let proof = graph_sim::graph::appsecret_proof("sim-app-secret", &tok);
    assert_eq!(sim.call("GET", &me, &[("access_token", &tok), ("appsecret_proof", &proof)]).status, 200);
    sim.control("POST", "/config", json!({"require_proof": false}));

    let dialog = sim.call(
        "GET",
        "/v26.0/dialog/oauth",
        &[("client_id", "1000000000000001"), ("redirect_uri", "http://127.0.0.1:9/cb"), ("state", "s1"), ("scope", "ads_management,ads_read")],
    );
    assert_eq!(dialog.status, 302);
    let loc = url::Url::parse(dialog.header("location").unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "s1");
    let exchange = |code: &str, secret: &str| {
        sim.call(
            "GET",
            "/v26.0/oauth/access_token",
            &[("client_id", "1000000000000001"), ("client_secret", secret), ("redirect_uri", "http://127.0.0.1:9/cb"), ("code", code)],
        )
    };
    assert_eq!(exchange(&q["code"], "wrong").code(), 1);
    let short = exchange(&q["code"], "sim-app-secret");
    let short_token = short.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(short.body["expires_in"], 7200);
    assert_eq!(exchange(&q["code"], "sim-app-secret").body["error"]["error_subcode"], 36009, "a code works once");
    let long = sim.call(
        "GET",
        "/v26.0/oauth/access_token",
        &[("grant_type", "fb_exchange_token"), ("client_id", "1000000000000001"), ("client_secret", "sim-app-secret"), ("fb_exchange_token", &short_token)],
    );
    let long_token = long.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(long.body["expires_in"], 60 * 86_400);
    let debug = sim.call("GET", "/v26.0/debug_token", &[("input_token", &long_token), ("access_token", "1000000000000001|sim-app-secret")]);
    let d = &debug.body["data"];
    assert_eq!(d["is_valid"], true);
    assert_eq!(d["scopes"], json!(["ads_management", "ads_read"]));
    assert!(d["expires_at"].as_i64().unwrap() > d["issued_at"].as_i64().unwrap() + 59 * 86_400);
    sim.control("POST", "/tokens/expire", json!({"access_token": long_token}));
    let expired = sim.call("GET", "/v26.0/debug_token", &[("input_token", &long_token), ("access_token", "1000000000000001|sim-app-secret")]);
    assert_eq!(expired.body["data"]["is_valid"], false);
    let call = sim.call("GET", "/v26.0/me", &[("access_token", &long_token)]);
    assert_eq!((call.code(), call.body["error"]["error_subcode"].as_i64()), (190, Some(463)));
    assert!(call.header("www-authenticate").is_some());
}

#[test]
fn ledger_redacts_secrets_and_counts_endpoints() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    sim.call("GET", &format!("/v26.0/act_{acct}/campaigns"), &[("access_token", &tok)]);
    sim.call("GET", &format!("/v26.0/act_{acct}/campaigns"), &[("access_token", &tok)]);
    let ledger = sim.control("GET", "/ledger", json!(null));
    let text = ledger.to_string();
    assert!(!text.contains(&tok), "tokens never appear in the ledger");
    assert_eq!(ledger["entries"][0]["params"]["access_token"], "<redacted>");
    assert_eq!(sim.control("GET", "/counters", json!(null))["by_endpoint"]["GET /act_{id}/campaigns"], 2);
}

#[test]
fn budgets_above_metas_cap_are_refused_on_create_and_update() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let cap = graph_sim::objects::budget_cap_minor("USD");
    assert_eq!(cap, 100_000_000, "1 million USD in cents");
    let sets = sim.call("GET", &format!("/v26.0/act_{acct}/adsets"), &[("access_token", &tok), ("fields", "daily_budget")]);
    let set = sets.body["data"][0]["id"].as_str().unwrap().to_string();
    let over = sim.call("POST", &format!("/v26.0/{set}"), &[("access_token", &tok), ("daily_budget", &(cap + 1).to_string())]);
    assert_eq!((over.status, over.code(), over.body["error"]["error_subcode"].as_i64()), (400, 100, Some(1_885_261)), "{}", over.body);
    assert_eq!(over.body["error"]["error_user_title"], "Budget Too High");
    let huge = sim.call("POST", &format!("/v26.0/{set}"), &[("access_token", &tok), ("daily_budget", "100000000000000000")]);
    assert_eq!(huge.body["error"]["error_subcode"], 1_885_261);
    let at_cap = sim.call("POST", &format!("/v26.0/{set}"), &[("access_token", &tok), ("daily_budget", &cap.to_string())]);
    assert_eq!(at_cap.status, 200, "{}", at_cap.body);
    let created = sim.call(
        "POST",
        &format!("/v26.0/act_{acct}/campaigns"),
        &[
            ("access_token", &tok),
            ("name", "Too big"),
            ("objective", "OUTCOME_LEADS"),
            ("special_ad_categories", "[\"EMPLOYMENT\"]"),
            ("lifetime_budget", &(cap * 10).to_string()),
        ],
    );
    assert_eq!(created.body["error"]["error_subcode"], 1_885_261, "{}", created.body);
}

#[test]
fn a_post_with_method_get_is_served_as_the_read_and_the_ledger_names_url_parameters() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let app = "1000000000000001|sim-app-secret";
    let in_body = sim.call("POST", "/v26.0/debug_token", &[("access_token", app), ("input_token", &tok), ("method", "GET")]);
    assert_eq!((in_body.status, in_body.body["data"]["is_valid"].as_bool()), (200, Some(true)), "{}", in_body.body);
    let in_url = sim.call("GET", "/v26.0/debug_token", &[("access_token", app), ("input_token", &tok)]);
    assert_eq!(in_url.body["data"], in_body.body["data"]);
    let read = sim.call("POST", &format!("/v26.0/act_{acct}"), &[("access_token", &tok), ("fields", "currency"), ("method", "get")]);
    assert_eq!(read.body["currency"], "USD", "a read, not an update");
    let ledger = sim.control("GET", "/ledger", json!(null))["entries"].as_array().unwrap().clone();
    let debug: Vec<&Value> = ledger.iter().filter(|e| e["endpoint"] == "/debug_token").collect();
    assert_eq!(debug.len(), 2);
    assert!(debug.iter().all(|e| e["method"] == "GET" && e["params"]["input_token"] == "<redacted>"));
    assert_eq!(debug[0]["query_keys"], json!([]), "the POST carried nothing in its URL");
    assert_eq!(debug[1]["query_keys"], json!(["access_token", "input_token"]));
}

#[test]
fn objects_carry_the_fields_metas_reference_lists_consistent_with_each_other() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let get = |path: &str, fields: &str| {
        let r = sim.call("GET", &format!("/v26.0/{path}"), &[("access_token", &tok), ("fields", fields)]);
        assert_eq!(r.status, 200, "{path}?fields={fields}: {}", r.body);
        r.body
    };
    let account = get(&format!("act_{acct}"), "amount_spent,balance,spend_cap,timezone_offset_hours_utc,min_daily_budget,owner,currency");
    let truth = sim.control("GET", &format!("/truth?account_id={acct}&since=2000-01-01&until=2100-01-01"), json!(null));
    assert_eq!(account["amount_spent"], json!(truth["totals"]["spend_cents"].as_i64().unwrap().to_string()), "all spend to date, in minor units");
    assert!(account["min_daily_budget"].is_i64() && account["timezone_offset_hours_utc"].is_number() && account["owner"].is_string(), "{account}");
    let campaign =
        &get(&format!("act_{acct}/campaigns"), "start_time,budget_remaining,special_ad_category,special_ad_categories,bid_strategy,buying_type,daily_budget")
            ["data"][0];
    assert_eq!(campaign["special_ad_category"], campaign["special_ad_categories"][0], "{campaign}");
    assert!(campaign["start_time"].is_string() && campaign["buying_type"] == "AUCTION" && campaign["bid_strategy"].is_string(), "{campaign}");
    let set = &get(&format!("act_{acct}/adsets"), "bid_strategy,promoted_object,budget_remaining,billing_event,daily_budget,targeting,learning_stage_info")
        ["data"][0];
    let left: i64 = set["budget_remaining"].as_str().unwrap().parse().unwrap();
    let daily: i64 = set["daily_budget"].as_str().map_or(0, |d| d.parse().unwrap());
    assert!((0..=daily).contains(&left), "what is left of today's budget: {set}");
    let ad = &get(
        &format!("act_{acct}/ads"),
        "targeting,tracking_specs,conversion_specs,adset{targeting},creative{body,title,thumbnail_url,object_type,effective_object_story_id,object_story_spec}",
    )["data"][0];
    assert_eq!(ad["targeting"], ad["adset"]["targeting"], "an ad's targeting is its ad set's");
    let creative = &ad["creative"];
    assert_eq!(creative["body"], creative["object_story_spec"]["link_data"]["message"], "{creative}");
    let page = creative["object_story_spec"]["page_id"].as_str().unwrap();
    assert!(creative["effective_object_story_id"].as_str().unwrap().starts_with(&format!("{page}_")), "{creative}");
    assert_eq!(ad["tracking_specs"][0]["page"][0], page, "{ad}");
    get(
        &format!("act_{acct}/insights"),
        "objective,optimization_goal,buying_type,attribution_setting,created_time,updated_time,unique_ctr,inline_link_click_ctr,cost_per_inline_link_click,engagement_rate_ranking,conversion_rate_ranking,video_play_actions,video_p50_watched_actions,video_p75_watched_actions,video_p95_watched_actions,video_avg_time_watched_actions,video_30_sec_watched_actions,video_thruplay_watched_actions",
    );
    let rows = sim.call("GET", &format!("/v26.0/act_{acct}/insights"), &[("access_token", &tok), ("level", "ad"), ("date_preset", "last_7d"), ("fields", "objective,attribution_setting,clicks,unique_clicks,outbound_clicks,inline_link_clicks,quality_ranking,video_p25_watched_actions,video_p100_watched_actions,cpp,reach,spend")]).body["data"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    for r in &rows {
        let n = |k: &str| r[k].as_str().unwrap().parse::<i64>().unwrap();
        assert!(n("unique_clicks") <= n("clicks"), "{r}");
        assert_eq!(r["outbound_clicks"][0]["value"], r["inline_link_clicks"], "{r}");
        let v = |k: &str| r[k][0]["value"].as_str().map_or(0, |s| s.parse::<i64>().unwrap());
        assert!(v("video_p100_watched_actions") <= v("video_p25_watched_actions"), "{r}");
        assert_eq!((r["objective"].as_str(), r["attribution_setting"].as_str()), (Some("OUTCOME_LEADS"), Some("7d_click_1d_view")), "{r}");
        assert!(r["quality_ranking"].is_string(), "{r}");
    }
}

#[test]
fn unknown_fields_are_refused_as_meta_refuses_them_on_nodes_edges_and_insights() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed_small();
    let refused = |path: &str, fields: &str| {
        let r = sim.call("GET", &format!("/v26.0/{path}"), &[("access_token", &tok), ("fields", fields)]);
        assert_eq!((r.status, r.code()), (400, 100), "{path}: {}", r.body);
        r.body["error"]["message"].as_str().unwrap().to_string()
    };
    assert_eq!(refused(&format!("act_{acct}"), "name,colour"), "(#100) Tried accessing nonexisting field (colour) on node type (AdAccount)");
    assert_eq!(refused(&format!("act_{acct}/campaigns"), "colour"), "(#100) Tried accessing nonexisting field (colour) on node type (AdCampaignGroup)");
    assert_eq!(refused(&format!("act_{acct}/adsets"), "colour"), "(#100) Tried accessing nonexisting field (colour) on node type (AdCampaign)");
    let ad = sim.call("GET", &format!("/v26.0/act_{acct}/ads"), &[("access_token", &tok), ("limit", "1")]).body["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(refused(&ad, "colour"), "(#100) Tried accessing nonexisting field (colour) on node type (Adgroup)");
    assert_eq!(refused(&ad, "creative{colour}"), "(#100) Tried accessing nonexisting field (colour) on node type (AdCreative)");
    assert_eq!(
        refused(&format!("act_{acct}/insights"), "spend,colour"),
        "(#100) colour is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values"
    );
}

#[test]
fn versions_are_served_upgraded_or_refused_and_differ_as_documented() {
    let sim = Sim::start();
    // 2026-11-24: v24.0 expired on 2026-11-10, v25.0 is live until 2027-02-23.
    sim.control("POST", "/time/freeze", json!({"at": 1_795_521_600}));
    let (acct, tok) = sim.seed_small();
    let at = |v: &str, method: &str, path: &str, fields: &str| {
        sim.call(method, &format!("/{v}/{path}"), &[("access_token", &tok), ("fields", fields), ("level", "ad"), ("date_preset", "last_7d")])
    };
    let old = at("v24.0", "GET", &format!("act_{acct}/campaigns"), "name");
    assert_eq!(old.status, 200, "{}", old.body);
    assert_eq!(old.header("x-ad-api-version-warning"), Some("The call has been auto-upgraded to v25.0 as v24.0 has been deprecated"));
    assert!(old.body["paging"]["next"].is_null() || old.body["paging"]["next"].as_str().unwrap().contains("/v25.0/"), "{}", old.body);
    let write = at("v24.0", "POST", &format!("act_{acct}/campaigns"), "name");
    assert_eq!((write.code(), write.body["error"]["type"].as_str()), (2635, Some("OAuthException")), "{}", write.body);
    assert_eq!(write.body["error"]["message"], "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v27.0.");
    assert_eq!(at("v19.0", "GET", &format!("act_{acct}"), "name").code(), 2635);
    assert!(at("v26.0", "GET", &format!("act_{acct}"), "name").header("x-ad-api-version-warning").is_none());
    // v27.0: insights rows always name their attribution setting; v26.0 only when asked.
    let insights = |v: &str| at(v, "GET", &format!("act_{acct}/insights"), "spend").body["data"][0].clone();
    assert!(insights("v26.0").get("attribution_setting").is_none());
    assert_eq!(insights("v27.0")["attribution_setting"], "7d_click_1d_view");
    // v28.0: a bid reads as a numeric string; url_tags is gone from creatives.
    let sets = |v: &str| at(v, "GET", &format!("act_{acct}/adsets"), "bid_amount").body["data"].as_array().unwrap().clone();
    let set = sets("v27.0")[0]["id"].as_str().unwrap().to_string();
    let bid = sim.call("POST", &format!("/v27.0/{set}"), &[("access_token", &tok), ("bid_amount", "250")]);
    assert_eq!(bid.status, 200, "{}", bid.body);
    let read = |v: &str| sets(v).into_iter().find(|s| s["id"] == set.as_str()).unwrap()["bid_amount"].clone();
    assert_eq!((read("v27.0"), read("v28.0")), (json!(250), json!("250")));
    assert_eq!(at("v27.0", "GET", &format!("act_{acct}/adcreatives"), "url_tags").status, 200);
    let gone = at("v28.0", "GET", &format!("act_{acct}/adcreatives"), "url_tags");
    assert_eq!(gone.body["error"]["message"], "(#100) Tried accessing nonexisting field (url_tags) on node type (AdCreative)");
    assert_eq!(at("v29.0", "GET", &format!("act_{acct}"), "name").code(), 100);
}

#[test]
fn a_write_naming_its_own_object_by_id_is_accepted_as_the_sdks_send_it() {
    let sim = Sim::start();
    let (acct, tok) = sim.seed(json!({ "campaigns": 1, "days": 1 }));
    let path = format!("/v26.0/act_{acct}/campaigns");
    let base = [
        ("access_token", tok.as_str()),
        ("name", "with id"),
        ("objective", "OUTCOME_LEADS"),
        ("special_ad_categories", "[\"NONE\"]"),
        ("is_adset_budget_sharing_enabled", "false"),
    ];
    let mut with_own = base.to_vec();
    let own = format!("act_{acct}");
    with_own.push(("id", &own));
    let made = sim.call("POST", &path, &with_own);
    assert_eq!(made.status, 200, "{}", made.body);
    let id = made.body["id"].as_str().unwrap().to_string();
    let mut other = base.to_vec();
    other.push(("id", "123"));
    assert_eq!(sim.call("POST", &path, &other).code(), 100, "an id naming another object is still refused");
    let renamed = sim.call("POST", &format!("/v26.0/{id}"), &[("access_token", &tok), ("id", &id), ("name", "renamed")]);
    assert_eq!(renamed.body, json!({"success": true}));
    assert_eq!(sim.call("POST", &format!("/v26.0/{id}"), &[("access_token", &tok), ("id", "999"), ("name", "x")]).code(), 100);
}
