//! Building campaigns as Meta checks them: campaign budget choices and special ad categories, ad
//! set bids, budgets and lead ads, regulated targeting, targeting search and reach estimates,
//! customer lists, creatives, `validate_only` trees, name filters, page lead forms, faults that
//! wait for the Nth call, and batch dependencies.

mod common;

use common::{Resp, Sim};
use serde_json::{json, Value};

const V: &str = "/v26.0";

fn subcode(r: &Resp) -> Option<i64> {
    r.body["error"]["error_subcode"].as_i64()
}

fn user_msg(r: &Resp) -> String {
    r.body["error"]["error_user_msg"].as_str().unwrap_or_default().to_string()
}

/// Base parameters with `extra` replacing or adding and `without` removing.
fn form(base: &[(&str, &str)], extra: &[(&str, &str)], without: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        base.iter().filter(|(k, _)| !without.contains(k) && !extra.iter().any(|(e, _)| e == k)).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

struct Account {
    sim: Sim,
    acct: String,
    tok: String,
}

impl Account {
    fn new() -> Account {
        Account::with(json!({ "campaigns": 0, "days": 1 }))
    }

    fn with(spec: Value) -> Account {
        let sim = Sim::start();
        let (acct, tok) = sim.seed(spec);
        Account { sim, acct, tok }
    }

    fn call(&self, method: &str, path: &str, params: Vec<(String, String)>) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("access_token", self.tok.as_str())];
        all.extend(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.sim.call(method, &format!("{V}/{path}"), &all)
    }

    fn get(&self, path: &str, params: &[(&str, &str)]) -> Resp {
        self.call("GET", path, form(&[], params, &[]))
    }

    fn campaign(&self, extra: &[(&str, &str)], without: &[&str]) -> Resp {
        let base = [
            ("name", "Drivers TX"),
            ("objective", "OUTCOME_LEADS"),
            ("special_ad_categories", r#"["EMPLOYMENT"]"#),
            ("special_ad_category_country", r#"["US"]"#),
            ("is_adset_budget_sharing_enabled", "false"),
            ("status", "PAUSED"),
        ];
        self.call("POST", &format!("act_{}/campaigns", self.acct), form(&base, extra, without))
    }

    fn campaign_id(&self, extra: &[(&str, &str)], without: &[&str]) -> String {
        let r = self.campaign(extra, without);
        r.body["id"].as_str().unwrap_or_else(|| panic!("campaign: {}", r.body)).to_string()
    }

    fn adset(&self, campaign: &str, extra: &[(&str, &str)], without: &[&str]) -> Resp {
        let base = [
            ("name", "Drivers 25mi"),
            ("campaign_id", campaign),
            ("billing_event", "IMPRESSIONS"),
            ("optimization_goal", "LINK_CLICKS"),
            ("daily_budget", "5000"),
            ("targeting", r#"{"geo_locations":{"countries":["US"]}}"#),
            ("status", "PAUSED"),
        ];
        self.call("POST", &format!("act_{}/adsets", self.acct), form(&base, extra, without))
    }

    fn adset_id(&self, campaign: &str, extra: &[(&str, &str)]) -> String {
        let r = self.adset(campaign, extra, &[]);
        r.body["id"].as_str().unwrap_or_else(|| panic!("ad set: {}", r.body)).to_string()
    }

    fn creative(&self, spec: Value, extra: &[(&str, &str)]) -> Resp {
        let spec = spec.to_string();
        self.call("POST", &format!("act_{}/adcreatives", self.acct), form(&[("name", "Apply now"), ("object_story_spec", &spec)], extra, &[]))
    }

    fn audience(&self, extra: &[(&str, &str)]) -> String {
        let r = self.call(
            "POST",
            &format!("act_{}/customaudiences", self.acct),
            form(&[("name", "Applicants"), ("subtype", "CUSTOM"), ("customer_file_source", "USER_PROVIDED_ONLY")], extra, &[]),
        );
        r.body["id"].as_str().unwrap_or_else(|| panic!("audience: {}", r.body)).to_string()
    }

    fn count(&self, edge: &str) -> usize {
        self.get(&format!("act_{}/{edge}", self.acct), &[("limit", "100")]).body["data"].as_array().map_or(0, Vec::len)
    }
}

fn sha(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[test]
fn campaigns_declare_categories_countries_and_where_the_budget_lives() {
    let a = Account::new();
    let no_flag = a.campaign(&[], &["is_adset_budget_sharing_enabled"]);
    assert_eq!((no_flag.code(), subcode(&no_flag)), (100, Some(4_834_011)), "{}", no_flag.body);
    let no_country = a.campaign(&[], &["special_ad_category_country"]);
    assert_eq!(subcode(&no_country), Some(3_858_530));
    assert!(user_msg(&no_country).contains("EMPLOYMENT"));
    assert_eq!(a.campaign(&[("special_ad_category_country", r#"["usa"]"#)], &[]).code(), 100);
    let none = a.campaign(&[("special_ad_categories", "[]")], &["special_ad_category_country"]);
    assert!(none.body["id"].is_string(), "no category, no country needed: {}", none.body);
    let sharing_with_budget = a.campaign(&[("daily_budget", "20000"), ("is_adset_budget_sharing_enabled", "true")], &[]);
    assert_eq!(subcode(&sharing_with_budget), Some(4_834_002));
    let sharing_without_strategy = a.campaign(&[("is_adset_budget_sharing_enabled", "true")], &[]);
    assert_eq!(subcode(&sharing_without_strategy), Some(4_834_005));

    // Advantage campaign budget: the campaign carries budget and bid strategy.
    let cbo = a.campaign_id(&[("daily_budget", "20000"), ("bid_strategy", "COST_CAP")], &["is_adset_budget_sharing_enabled"]);
    let shown = a.get(&cbo, &[("fields", "special_ad_categories,special_ad_category_country,is_adset_budget_sharing_enabled,bid_strategy,daily_budget")]);
    assert_eq!(
        shown.body,
        json!({ "special_ad_categories": ["EMPLOYMENT"], "special_ad_category_country": ["US"], "is_adset_budget_sharing_enabled": false, "bid_strategy": "COST_CAP", "daily_budget": "20000", "id": cbo })
    );
    let no_bid = a.adset(&cbo, &[], &["daily_budget"]);
    assert_eq!(subcode(&no_bid), Some(2_490_487), "the campaign's COST_CAP needs a bid amount: {}", no_bid.body);
    let own_budget = a.adset(&cbo, &[("bid_amount", "300")], &[]);
    assert_eq!((own_budget.code(), subcode(&own_budget)), (100, Some(1_885_621)), "{}", own_budget.body);
    let under_cbo = a.adset(&cbo, &[("bid_amount", "300")], &["daily_budget"]).body["id"].as_str().unwrap().to_string();
    let set = a.get(&under_cbo, &[("fields", "bid_strategy,bid_amount,daily_budget")]);
    assert_eq!((set.body["bid_strategy"].as_str(), set.body["bid_amount"].as_i64(), set.body.get("daily_budget")), (Some("COST_CAP"), Some(300), None));
    assert_eq!(subcode(&a.call("POST", &under_cbo, form(&[("daily_budget", "9000")], &[], &[]))), Some(1_885_621));

    // Ad set budgets: each ad set needs one.
    let abo = a.campaign_id(&[], &[]);
    let no_budget = a.adset(&abo, &[], &["daily_budget"]);
    assert_eq!((subcode(&no_budget), no_budget.body["error"]["error_user_title"].as_str()), (Some(1_487_061), Some("Budget Is Required")));

    // Edits beyond status or name restate the categories; budget sharing can only be turned off.
    assert_eq!(a.call("POST", &abo, form(&[("name", "Drivers TX v2")], &[], &[])).body, json!({"success": true}));
    assert_eq!(a.call("POST", &abo, form(&[("status", "ACTIVE")], &[], &[])).body, json!({"success": true}));
    let edit = a.call("POST", &abo, form(&[("bid_strategy", "LOWEST_COST_WITHOUT_CAP")], &[], &[]));
    assert_eq!((edit.code(), edit.body["error"]["error_user_title"].as_str()), (100, Some("Special Ad Categories Required")), "{}", edit.body);
    let restated = a.call("POST", &abo, form(&[("bid_strategy", "LOWEST_COST_WITHOUT_CAP"), ("special_ad_categories", r#"["EMPLOYMENT"]"#)], &[], &[]));
    assert_eq!(restated.body, json!({"success": true}));
    let enable = a.call("POST", &abo, form(&[("is_adset_budget_sharing_enabled", "true"), ("special_ad_categories", r#"["EMPLOYMENT"]"#)], &[], &[]));
    assert_eq!(subcode(&enable), Some(3_858_418));
}

#[test]
fn ad_sets_hold_bids_minimum_budgets_schedules_and_lead_ad_rules() {
    let a = Account::new();
    let mins = a.get(&format!("act_{}/minimum_budgets", a.acct), &[]);
    assert_eq!(
        mins.body["data"][0],
        json!({ "currency": "USD", "min_daily_budget_imp": 100, "min_daily_budget_video_views": 500, "min_daily_budget_high_freq": 500, "min_daily_budget_low_freq": 4000 })
    );
    let yen = Account::with(json!({ "campaigns": 0, "days": 1, "currency": "JPY" }));
    assert_eq!(yen.get(&format!("act_{}/minimum_budgets", yen.acct), &[]).body["data"][0]["min_daily_budget_imp"], 150);

    let c = a.campaign_id(&[], &[]);
    assert!(a.adset(&c, &[("bid_strategy", "LOWEST_COST")], &[]).body["error"]["message"].as_str().unwrap().contains("bid_strategy"));
    assert_eq!(subcode(&a.adset(&c, &[("bid_strategy", "LOWEST_COST_WITH_BID_CAP")], &[])), Some(2_490_487));
    assert_eq!(subcode(&a.adset(&c, &[("bid_strategy", "LOWEST_COST_WITH_MIN_ROAS")], &[])), Some(2_490_487));
    assert_eq!(a.adset(&c, &[("bid_strategy", "COST_CAP"), ("bid_amount", "-5")], &[]).code(), 100);

    let low = a.adset(&c, &[("daily_budget", "99")], &[]);
    assert_eq!((low.code(), subcode(&low), low.body["error"]["error_user_title"].as_str()), (100, Some(1_885_272), Some("Budget Is Too Low")));
    assert!(user_msg(&low).contains("USD1.00"), "{}", low.body);
    let clicks = a.adset(&c, &[("billing_event", "LINK_CLICKS"), ("daily_budget", "400")], &[]);
    assert!(subcode(&clicks) == Some(1_885_272) && user_msg(&clicks).contains("USD5.00"), "{}", clicks.body);
    assert!(a.adset(&c, &[("billing_event", "LINK_CLICKS"), ("daily_budget", "500")], &[]).body["id"].is_string());
    assert_eq!(a.adset(&c, &[("lifetime_budget", "50000")], &["daily_budget"]).code(), 100, "a lifetime budget needs end_time");
    let week = [("lifetime_budget", "600"), ("start_time", "2030-01-01T00:00:00+0000"), ("end_time", "2030-01-08T00:00:00+0000")];
    assert_eq!(subcode(&a.adset(&c, &week, &["daily_budget"])), Some(1_885_272), "7 days need 7 x USD1.00");
    assert_eq!(a.adset(&c, &[("start_time", "2030-01-08T00:00:00+0000"), ("end_time", "2030-01-01T00:00:00+0000")], &[]).code(), 100);

    let lead = [("optimization_goal", "LEAD_GENERATION")];
    assert_eq!(subcode(&a.adset(&c, &lead, &[])), Some(3_858_532));
    assert_eq!(subcode(&a.adset(&c, &[lead[0], ("destination_type", "WEBSITE")], &[])), Some(3_858_532));
    assert_eq!(subcode(&a.adset(&c, &[lead[0], ("destination_type", "ON_AD")], &[])), Some(3_858_533));
    let set = a.adset_id(
        &c,
        &[
            lead[0],
            ("destination_type", "ON_AD"),
            ("promoted_object", r#"{"page_id":"5550001"}"#),
            ("bid_strategy", "LOWEST_COST_WITH_BID_CAP"),
            ("bid_amount", "250"),
            ("start_time", "2030-01-01T00:00:00Z"),
            ("end_time", "1894060800"),
        ],
    );
    let shown = a.get(&set, &[("fields", "bid_strategy,bid_amount,destination_type,promoted_object,start_time,end_time,targeting")]);
    assert_eq!(
        shown.body,
        json!({
            "bid_strategy": "LOWEST_COST_WITH_BID_CAP", "bid_amount": 250, "destination_type": "ON_AD", "promoted_object": { "page_id": "5550001" },
            "start_time": "2030-01-01T00:00:00+0000", "end_time": "2030-01-08T00:00:00+0000", "targeting": { "geo_locations": { "countries": ["US"] } }, "id": set
        })
    );
    let moved = a.call("POST", &set, form(&[("promoted_object", r#"{"page_id":"999"}"#)], &[], &[]));
    assert_eq!(subcode(&moved), Some(3_858_534));
    assert_eq!(subcode(&a.call("POST", &set, form(&[("daily_budget", "50")], &[], &[]))), Some(1_885_272));
    assert_eq!(a.call("POST", &set, form(&[("daily_budget", "150")], &[], &[])).body, json!({"success": true}));
}

#[test]
fn employment_housing_and_credit_ads_keep_to_their_targeting_limits() {
    let a = Account::new();
    let c = a.campaign_id(&[], &[]);
    let lookalike_origin = a.audience(&[]);
    let lookalike = a.audience(&[
        ("name", "Lookalike US 1%"),
        ("subtype", "LOOKALIKE"),
        ("origin_audience_id", &lookalike_origin),
        ("lookalike_spec", r#"{"ratio":0.01,"country":"US"}"#),
    ]);
    let refused = |t: Value, names: &str| {
        let r = a.adset(&c, &[("targeting", &t.to_string())], &[]);
        assert_eq!((r.code(), subcode(&r)), (100, Some(3_858_531)), "{t}: {}", r.body);
        assert_eq!(r.body["error"]["error_user_title"], "Targeting Not Allowed for Special Ad Category");
        let msg = user_msg(&r);
        assert!(msg.contains("EMPLOYMENT") && msg.contains(names), "{names}: {msg}");
    };
    let us = json!({ "countries": ["US"] });
    refused(json!({ "geo_locations": us, "age_min": 21 }), "age_min");
    refused(json!({ "geo_locations": us, "age_max": 40 }), "age_max");
    refused(json!({ "geo_locations": us, "genders": [2] }), "genders");
    refused(json!({ "geo_locations": { "zips": [{ "key": "US:94107" }] } }), "geo_locations.zips");
    refused(json!({ "geo_locations": us, "excluded_geo_locations": { "cities": [{ "key": "2421836" }] } }), "excluded_geo_locations");
    refused(json!({ "geo_locations": { "cities": [{ "key": "2430191", "radius": 10, "distance_unit": "mile" }] } }), "geo_locations.cities[0] radius 10 mile");
    refused(json!({ "geo_locations": { "cities": [{ "key": "2430191", "radius": 20, "distance_unit": "kilometer" }] } }), "radius 20 kilometer");
    refused(
        json!({ "geo_locations": { "custom_locations": [{ "latitude": 30.27, "longitude": -97.74, "radius": 5, "distance_unit": "mile" }] } }),
        "custom_locations[0]",
    );
    refused(json!({ "geo_locations": us, "excluded_custom_audiences": [{ "id": lookalike_origin }] }), "excluded_custom_audiences");
    refused(json!({ "geo_locations": us, "custom_audiences": [{ "id": lookalike }] }), "lookalike");
    refused(json!({ "geo_locations": us, "flexible_spec": [{ "interests": [{ "id": "6003500000401", "name": "Retirement" }] }] }), "Retirement");
    refused(json!({ "geo_locations": us, "behaviors": [{ "id": "6002700000503" }] }), "Frequent international travelers");
    let two = a.adset(&c, &[("targeting", &json!({ "geo_locations": us, "age_min": 25, "genders": [1] }).to_string())], &[]);
    assert!(user_msg(&two).contains("age_min") && user_msg(&two).contains("genders"), "every broken rule is named");

    let fine = json!({
        "geo_locations": { "cities": [{ "key": "2430191", "radius": 25, "distance_unit": "kilometer" }, { "key": "2430536" }], "custom_locations": [{ "latitude": 30.27, "longitude": -97.74, "radius": 15 }] },
        "age_min": 18, "age_max": 65,
        "custom_audiences": [{ "id": lookalike_origin }],
        "flexible_spec": [{ "interests": [{ "id": "6003200000101", "name": "Truck driver" }, { "id": "6003107902433" }] }],
    });
    let set = a.adset_id(&c, &[("targeting", &fine.to_string())]);
    let outside = a.adset(&c, &[("targeting", r#"{"geo_locations":{"countries":["CA"]}}"#)], &[]);
    assert_eq!(subcode(&outside), Some(2_909_034), "{}", outside.body);
    let update = a.call("POST", &set, form(&[("targeting", &json!({ "geo_locations": us, "age_max": 50 }).to_string())], &[], &[]));
    assert_eq!(subcode(&update), Some(3_858_531), "targeting updates are held to the same rules");
    let unknown = a.adset(&c, &[("targeting", r#"{"geo_locations":{"countries":["US"]},"interests":[{"id":"42"}]}"#)], &[]);
    assert_eq!(subcode(&unknown), Some(1_487_694));

    let open = a.campaign_id(&[("special_ad_categories", r#"["NONE"]"#)], &["special_ad_category_country"]);
    let narrow = json!({ "geo_locations": { "countries": ["CA"], "zips": [{ "key": "US:94107" }] }, "age_min": 25, "genders": [1], "interests": [{ "id": "6003500000401" }] });
    assert!(a.adset(&open, &[("targeting", &narrow.to_string())], &[]).body["id"].is_string(), "other campaigns may narrow freely");
}

#[test]
fn targeting_search_and_browse_come_from_one_catalogue() {
    let a = Account::new();
    let interests = a.get("search", &[("type", "adinterest"), ("q", "nurs")]);
    let first = &interests.body["data"][0];
    assert_eq!((first["name"].as_str(), first["id"].as_str(), first["topic"].as_str()), (Some("Nursing"), Some("6003107902433"), Some("Health")));
    assert!(first["audience_size_lower_bound"].as_u64().unwrap() < first["audience_size_upper_bound"].as_u64().unwrap());
    assert_eq!(first["path"], json!(["Interests", "Business and industry", "Nursing"]));
    let page = a.get("search", &[("type", "adinterest"), ("q", "e"), ("limit", "2")]);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 2);
    assert!(page.body["paging"]["next"].is_string());
    let suggested = a.get("search", &[("type", "adinterestsuggestion"), ("interest_list", r#"["Nursing"]"#)]);
    let names: Vec<&str> = suggested.body["data"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Registered nurse") && !names.contains(&"Nursing") && !names.contains(&"Truck driver"), "{names:?}");
    let geo = a.get("search", &[("type", "adgeolocation"), ("q", "Austin"), ("location_types", r#"["city"]"#)]);
    assert_eq!(
        geo.body["data"][0],
        json!({ "key": "2430191", "name": "Austin", "type": "city", "country_code": "US", "country_name": "United States", "supports_region": true, "supports_city": true, "region": "Texas", "region_id": 3886 })
    );
    let zip = a.get("search", &[("type", "adgeolocation"), ("q", "94107"), ("location_types", r#"["zip"]"#)]);
    assert_eq!((zip.body["data"][0]["key"].as_str(), zip.body["data"][0]["primary_city"].as_str()), (Some("US:94107"), Some("San Francisco")));
    assert_eq!(a.get("search", &[("type", "adfriends"), ("q", "x")]).code(), 100);
    assert_eq!(a.sim.call("GET", &format!("{V}/search"), &[("type", "adinterest"), ("q", "nurs")]).code(), 104, "a token is needed");
    a.sim.control("POST", "/tokens", json!({ "access_token": "no-accounts" }));
    let bare = a.sim.call("GET", &format!("{V}/search"), &[("access_token", "no-accounts"), ("type", "adinterest"), ("q", "truck")]);
    assert_eq!((bare.status, bare.body["data"][0]["name"].as_str()), (200, Some("Trucking")), "search is no ad account's edge");

    let browse = |cats: Option<&str>| {
        let mut q = vec![("limit", "100")];
        if let Some(c) = cats {
            q.push(("regulated_categories", c));
        }
        let r = a.get(&format!("act_{}/targetingbrowse", a.acct), &q);
        r.body["data"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let all = browse(None);
    let employment = browse(Some(r#"["EMPLOYMENT"]"#));
    assert!(all.contains(&"Retirement".to_string()) && !employment.contains(&"Retirement".to_string()));
    assert!(employment.contains(&"Nursing".to_string()) && employment.len() < all.len());
}

#[test]
fn reach_and_delivery_estimates_shrink_as_targeting_narrows() {
    let a = Account::new();
    let reach = |t: Value| {
        let r = a.get(&format!("act_{}/reachestimate", a.acct), &[("targeting_spec", &t.to_string())]);
        assert_eq!(r.body["data"]["estimate_ready"], true, "{t}: {}", r.body);
        let (lo, hi) = (r.body["data"]["users_lower_bound"].as_u64().unwrap(), r.body["data"]["users_upper_bound"].as_u64().unwrap());
        assert!(lo < hi);
        hi
    };
    let us = reach(json!({ "geo_locations": { "countries": ["US"] } }));
    let texas = reach(json!({ "geo_locations": { "regions": [{ "key": "3886" }] } }));
    let austin_15 = reach(json!({ "geo_locations": { "cities": [{ "key": "2430191", "radius": 15, "distance_unit": "mile" }] } }));
    let austin_40 = reach(json!({ "geo_locations": { "cities": [{ "key": "2430191", "radius": 40, "distance_unit": "mile" }] } }));
    assert!(us > texas && texas > austin_40 && austin_40 > austin_15, "{us} {texas} {austin_40} {austin_15}");
    let adults = reach(json!({ "geo_locations": { "countries": ["US"] }, "age_min": 25, "age_max": 54 }));
    let women = reach(json!({ "geo_locations": { "countries": ["US"] }, "age_min": 25, "age_max": 54, "genders": [2] }));
    assert!(us > adults && adults > women);
    let nurses = reach(json!({ "geo_locations": { "countries": ["US"] }, "flexible_spec": [{ "interests": [{ "id": "6003107902433" }] }] }));
    let nurses_or_carers =
        reach(json!({ "geo_locations": { "countries": ["US"] }, "flexible_spec": [{ "interests": [{ "id": "6003107902433" }, { "id": "6003107902438" }] }] }));
    let nurses_and_drivers = reach(
        json!({ "geo_locations": { "countries": ["US"] }, "flexible_spec": [{ "interests": [{ "id": "6003107902433" }] }, { "interests": [{ "id": "6003200000101" }] }] }),
    );
    assert!(nurses_or_carers > nurses && nurses > nurses_and_drivers, "OR widens, AND narrows: {nurses_or_carers} {nurses} {nurses_and_drivers}");
    let list = a.audience(&[]);
    let rows: Vec<Vec<String>> = (0..2000).map(|i| vec![sha(&format!("driver{i}@example.com"))]).collect();
    let payload = json!({ "schema": "EMAIL_SHA256", "data": rows }).to_string();
    a.call("POST", &format!("{list}/users"), form(&[("payload", &payload)], &[], &[]));
    let listed = reach(json!({ "custom_audiences": [{ "id": list }] }));
    assert_eq!(listed, 2300, "a customer list reaches its members, give or take");
    let missing = a.get(&format!("act_{}/reachestimate", a.acct), &[("targeting_spec", r#"{"age_min":18}"#)]);
    assert_eq!((missing.code(), subcode(&missing), missing.body["error"]["error_user_title"].as_str()), (100, Some(1_487_756), Some("Location Is Missing")));

    let delivery = a.get(
        &format!("act_{}/delivery_estimate", a.acct),
        &[("targeting_spec", r#"{"geo_locations":{"countries":["US"]},"age_min":25}"#), ("optimization_goal", "LEAD_GENERATION")],
    );
    let est = &delivery.body["data"][0];
    assert_eq!(est["estimate_ready"], true, "{}", delivery.body);
    assert!(est["estimate_dau"].as_u64().unwrap() < est["estimate_mau_upper_bound"].as_u64().unwrap());
    assert!(est["estimate_mau_lower_bound"].as_u64().unwrap() < est["estimate_mau_upper_bound"].as_u64().unwrap());
    let curve = est["daily_outcomes_curve"].as_array().unwrap();
    assert_eq!(curve[0], json!({ "spend": 0, "reach": 0, "impressions": 0, "actions": 0 }));
    for w in curve.windows(2) {
        for k in ["spend", "reach", "impressions"] {
            assert!(w[1][k].as_u64() > w[0][k].as_u64(), "{k} rises with spend: {w:?}");
        }
        assert!(w[1]["actions"].as_u64() >= w[0]["actions"].as_u64());
    }
    let no_goal = a.get(&format!("act_{}/delivery_estimate", a.acct), &[("targeting_spec", r#"{"geo_locations":{"countries":["US"]}}"#)]);
    assert_eq!(no_goal.code(), 100);
    let c = a.campaign_id(&[], &[]);
    let set = a.adset_id(&c, &[]);
    let own = a.get(&format!("{set}/delivery_estimate"), &[]);
    assert_eq!(own.body["data"][0]["estimate_mau_upper_bound"].as_u64(), Some(us), "an ad set's estimate uses its own targeting");
}

#[test]
fn customer_lists_take_hashes_in_sessions_and_count_what_they_hold() {
    let a = Account::new();
    let without_source = a.call("POST", &format!("act_{}/customaudiences", a.acct), form(&[("name", "Applicants"), ("subtype", "CUSTOM")], &[], &[]));
    assert_eq!(without_source.code(), 100);
    assert!(without_source.body["error"]["message"].as_str().unwrap().contains("customer_file_source"));
    let list = a.audience(&[]);
    let users = |method: &str, payload: Value, session: Option<Value>| {
        let mut f = vec![("payload".to_string(), payload.to_string())];
        if let Some(s) = session {
            f.push(("session".into(), s.to_string()));
        }
        a.call(method, &format!("{list}/users"), f)
    };
    let hashes: Vec<String> = ["ana@example.com", "bo@example.com", "cy@example.com"].iter().map(|e| sha(e)).collect();
    let first = users(
        "POST",
        json!({ "schema": "EMAIL_SHA256", "data": [[hashes[0]], [hashes[1]], "plain@example.com"] }),
        Some(json!({ "session_id": 9001, "batch_seq": 1, "last_batch_flag": false, "estimated_num_total": 5 })),
    );
    assert_eq!(
        first.body,
        json!({ "audience_id": list, "session_id": "9001", "num_received": 3, "num_invalid_entries": 1, "invalid_entry_samples": { "plain@example.com": "EMAIL" } })
    );
    let second = users(
        "POST",
        json!({ "schema": ["EMAIL", "PHONE"], "data": [[hashes[2], sha("15551234567")], [hashes[0], ""]] }),
        Some(json!({ "session_id": 9001, "batch_seq": 2, "last_batch_flag": true, "estimated_num_total": 5 })),
    );
    assert_eq!((second.body["num_received"].as_u64(), second.body["num_invalid_entries"].as_u64()), (Some(5), Some(1)), "a session counts all its batches");
    let counts = |a: &Account| {
        let r = a.get(&list, &[("fields", "approximate_count_lower_bound,approximate_count_upper_bound,subtype,customer_file_source")]);
        assert_eq!((r.body["subtype"].as_str(), r.body["customer_file_source"].as_str()), (Some("CUSTOM"), Some("USER_PROVIDED_ONLY")));
        (r.body["approximate_count_lower_bound"].as_u64().unwrap(), r.body["approximate_count_upper_bound"].as_u64().unwrap())
    };
    assert_eq!(counts(&a), (3, 3), "ana (again, deduplicated as the same row), bo, cy with phone");
    let many: Vec<Value> = (0..30).map(|i| json!([sha(&format!("p{i}@example.com"))])).collect();
    users("POST", json!({ "schema": "EMAIL_SHA256", "data": many }), None);
    assert_eq!(counts(&a), (30, 36));
    let removed = users("DELETE", json!({ "schema": "EMAIL_SHA256", "data": [[hashes[1]]] }), None);
    assert_eq!(removed.body["num_received"], 1);
    assert_eq!(counts(&a), (29, 35));
    let ids = users("POST", json!({ "schema": ["EXTERN_ID", "MADID"], "data": [["crm-42", "6D92078A-8246-4BA4-AE5B-76104861E7DC"]] }), None);
    assert_eq!(ids.body["num_invalid_entries"], 0, "Meta does not hash EXTERN_ID or MADID");
    let too_many: Vec<Value> = (0..10_001).map(|_| json!([hashes[0]])).collect();
    let big = users("POST", json!({ "schema": "EMAIL_SHA256", "data": too_many }), None);
    assert_eq!(big.code(), 100);
    assert!(big.body["error"]["message"].as_str().unwrap().contains("10000"));
    let unknown_key = users("POST", json!({ "schema": ["EMAIL", "SSN"], "data": [[hashes[0], "x"]] }), None);
    assert!(unknown_key.code() == 100 && unknown_key.body["error"]["message"].as_str().unwrap().contains("SSN"));

    let arrived = a.sim.control("GET", &format!("/audiences/{list}/members"), json!(null));
    assert_eq!(arrived["count"], 33);
    let text = arrived.to_string();
    assert!(!text.contains("@example.com") && !text.contains("15551234567"), "no plaintext was kept");
    for m in arrived["members"].as_array().unwrap() {
        for (k, v) in m.as_object().unwrap() {
            let v = v.as_str().unwrap();
            assert!(
                matches!(k.as_str(), "EXTERN_ID" | "MADID") || (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())),
                "{k}={v}"
            );
        }
    }
}

#[test]
fn creatives_are_checked_on_create_frozen_after_and_kept_while_ads_use_them() {
    let a = Account::new();
    let form_page =
        a.sim.control("POST", "/leadgen_forms", json!({ "account_id": a.acct, "name": "Drivers", "page_id": "7770001" }))["id"].as_str().unwrap().to_string();
    let other_page =
        a.sim.control("POST", "/leadgen_forms", json!({ "account_id": a.acct, "name": "Nurses", "page_id": "7770002" }))["id"].as_str().unwrap().to_string();
    let link = |cta: Value| json!({ "page_id": "7770001", "link_data": { "link": "https://jobs.example.com/drivers", "message": "Now hiring", "call_to_action": cta } });
    assert_eq!(subcode(&a.creative(json!({ "link_data": { "link": "https://x.example" } }), &[])), Some(3_858_535));
    assert_eq!(subcode(&a.creative(json!({ "page_id": "7770001", "link_data": { "message": "hi" } }), &[])), Some(2_061_015));
    assert_eq!(a.creative(json!({ "page_id": "7770001", "link_data": { "link": "ftp://jobs.example.com" } }), &[]).code(), 100);
    let no_image = a.creative(json!({ "page_id": "7770001", "link_data": { "link": "https://jobs.example.com", "image_hash": "abc" } }), &[]);
    assert_eq!(subcode(&no_image), Some(3_858_536));
    let upload = a.call("POST", &format!("act_{}/adimages", a.acct), form(&[("bytes", "iVBORw0KGgo"), ("name", "truck.png")], &[], &[]));
    let hash = upload.body["images"]["truck.png"]["hash"].as_str().unwrap().to_string();
    let with_image = a.creative(json!({ "page_id": "7770001", "link_data": { "link": "https://jobs.example.com", "image_hash": hash } }), &[]);
    assert!(with_image.body["id"].is_string(), "{}", with_image.body);
    assert!(a.creative(link(json!({ "type": "CLICK_HERE" })), &[]).body["error"]["message"].as_str().unwrap().contains("call_to_action"));
    let wrong_form = a.creative(link(json!({ "type": "APPLY_NOW", "value": { "lead_gen_form_id": other_page } })), &[]);
    assert_eq!(subcode(&wrong_form), Some(3_858_537));
    let made =
        a.creative(link(json!({ "type": "APPLY_NOW", "value": { "lead_gen_form_id": form_page } })), &[("url_tags", "utm_source=meta&utm_campaign=drivers")]);
    let creative = made.body["id"].as_str().unwrap_or_else(|| panic!("{}", made.body)).to_string();
    let shown = a.get(&creative, &[("fields", "url_tags,status,object_story_spec{page_id}")]);
    assert_eq!(
        (shown.body["url_tags"].as_str(), shown.body["status"].as_str(), shown.body["object_story_spec"]["page_id"].as_str()),
        (Some("utm_source=meta&utm_campaign=drivers"), Some("ACTIVE"), Some("7770001"))
    );

    let edit = a.call("POST", &creative, form(&[("url_tags", "utm_source=other")], &[], &[]));
    assert_eq!((edit.code(), subcode(&edit)), (100, Some(1_815_573)), "{}", edit.body);
    assert_eq!(
        subcode(&a.call("POST", &creative, form(&[("object_story_spec", &link(json!({ "type": "LEARN_MORE" })).to_string())], &[], &[]))),
        Some(1_815_573)
    );
    assert_eq!(a.call("POST", &creative, form(&[("name", "Apply now v2")], &[], &[])).body, json!({"success": true}));
    assert_eq!(a.call("POST", &creative, form(&[("status", "ARCHIVED")], &[], &[])).code(), 100, "ARCHIVED is no creative status");

    let c = a.campaign_id(&[], &[]);
    let set = a.adset_id(&c, &[]);
    let ad = a.call(
        "POST",
        &format!("act_{}/ads", a.acct),
        form(&[("name", "Ad 1"), ("adset_id", &set), ("creative", &json!({ "creative_id": creative }).to_string())], &[], &[]),
    );
    let ad = ad.body["id"].as_str().unwrap().to_string();
    let in_use = a.call("DELETE", &creative, vec![]);
    assert_eq!((in_use.code(), subcode(&in_use)), (100, Some(3_858_538)));
    assert!(in_use.body["error"]["message"].as_str().unwrap().contains("currently in use"));
    assert_eq!(subcode(&a.call("POST", &creative, form(&[("status", "DELETED")], &[], &[]))), Some(3_858_538));

    let other = a.creative(link(json!({ "type": "LEARN_MORE" })), &[]).body["id"].as_str().unwrap().to_string();
    let swapped = a.call("POST", &ad, form(&[("creative", &json!({ "creative_id": other }).to_string())], &[], &[]));
    assert_eq!(swapped.body, json!({"success": true}));
    assert_eq!(a.get(&ad, &[("fields", "creative")]).body["creative"]["id"], other.as_str());
    assert_eq!(a.call("DELETE", &creative, vec![]).body, json!({"success": true}), "no ad uses it now");
    assert_eq!(subcode(&a.call("POST", &ad, form(&[("creative", &json!({ "creative_id": creative }).to_string())], &[], &[]))), Some(1_487_056));
    let b = a.sim.control("POST", "/accounts", json!({ "campaigns": 0, "days": 1, "access_token": "b-token" }));
    let foreign = b["creative_id"].as_str().unwrap().to_string();
    let taken = a.call("POST", &ad, form(&[("creative", &json!({ "creative_id": foreign }).to_string())], &[], &[]));
    assert!(taken.code() == 100 && taken.body["error"]["message"].as_str().unwrap().contains("valid id of this ad account"));
}

#[test]
fn validate_only_checks_a_whole_tree_before_anything_exists() {
    let a = Account::new();
    let campaign_spec = json!({
        "name": "Drivers TX", "objective": "OUTCOME_LEADS", "special_ad_categories": ["EMPLOYMENT"], "special_ad_category_country": ["US"],
        "is_adset_budget_sharing_enabled": false, "status": "PAUSED",
    });
    let adset_spec = |targeting: Value| {
        json!({
            "name": "Drivers 25mi", "campaign_spec": campaign_spec, "billing_event": "IMPRESSIONS", "optimization_goal": "LEAD_GENERATION",
            "destination_type": "ON_AD", "promoted_object": { "page_id": "5550001" }, "daily_budget": 5000, "targeting": targeting, "status": "PAUSED",
        })
    };
    let creative = json!({ "name": "Apply", "object_story_spec": { "page_id": "5550001", "link_data": { "link": "https://jobs.example.com", "call_to_action": { "type": "APPLY_NOW" } } } });
    let ad = |targeting: Value, creative: &Value, validate: bool| {
        let mut f =
            form(&[("name", "Ad 1"), ("adset_spec", &adset_spec(targeting).to_string()), ("creative", &creative.to_string()), ("status", "PAUSED")], &[], &[]);
        if validate {
            f.push(("execution_options".into(), r#"["validate_only"]"#.into()));
        }
        a.call("POST", &format!("act_{}/ads", a.acct), f)
    };
    let good = json!({ "geo_locations": { "countries": ["US"] } });
    assert_eq!(ad(good.clone(), &creative, true).body, json!({"success": true}));
    assert_eq!([a.count("campaigns"), a.count("adsets"), a.count("ads"), a.count("adcreatives")], [0, 0, 0, 1], "only the seeded creative exists");
    let deep = ad(json!({ "geo_locations": { "countries": ["US"] }, "age_min": 30 }), &creative, true);
    assert_eq!(subcode(&deep), Some(3_858_531), "the ad set inside the ad's spec is checked: {}", deep.body);
    let no_link = json!({ "object_story_spec": { "page_id": "5550001", "link_data": { "message": "hi" } } });
    assert_eq!(subcode(&ad(good.clone(), &no_link, true)), Some(2_061_015), "so is the inline creative");
    let mut broken_campaign = adset_spec(good.clone());
    broken_campaign["campaign_spec"].as_object_mut().unwrap().remove("special_ad_category_country");
    let f = form(
        &[("name", "Ad"), ("adset_spec", &broken_campaign.to_string()), ("creative", &creative.to_string()), ("execution_options", r#"["validate_only"]"#)],
        &[],
        &[],
    );
    assert_eq!(subcode(&a.call("POST", &format!("act_{}/ads", a.acct), f)), Some(3_858_530), "and the campaign inside the ad set's spec");
    let set_only = a.call(
        "POST",
        &format!("act_{}/adsets", a.acct),
        form(
            &[
                ("name", "Set"),
                ("campaign_spec", &campaign_spec.to_string()),
                ("billing_event", "IMPRESSIONS"),
                ("optimization_goal", "LINK_CLICKS"),
                ("daily_budget", "5000"),
                ("targeting", &good.to_string()),
                ("execution_options", r#"["validate_only"]"#),
            ],
            &[],
            &[],
        ),
    );
    assert_eq!(set_only.body, json!({"success": true}));

    let made = ad(good, &creative, false);
    let ad_id = made.body["id"].as_str().unwrap_or_else(|| panic!("{}", made.body)).to_string();
    assert_eq!([a.count("campaigns"), a.count("adsets"), a.count("ads"), a.count("adcreatives")], [1, 1, 1, 2], "without validate_only the tree is made");
    let shown = a.get(&ad_id, &[("fields", "adset{name},campaign{name,special_ad_category_country},creative{name}")]);
    assert_eq!(
        (shown.body["adset"]["name"].as_str(), shown.body["campaign"]["special_ad_category_country"].clone(), shown.body["creative"]["name"].as_str()),
        (Some("Drivers 25mi"), json!(["US"]), Some("Apply"))
    );
}

#[test]
fn edges_filter_on_name_with_the_other_filters() {
    let a = Account::with(json!({ "campaigns": 3, "adsets_per_campaign": 2, "ads_per_adset": 1, "days": 1, "name_prefix": "Drivers" }));
    let names = |path: &str, filters: Value| {
        let r = a.get(path, &[("filtering", &filters.to_string()), ("fields", "name"), ("limit", "100")]);
        let mut n: Vec<String> =
            r.body["data"].as_array().unwrap_or_else(|| panic!("{}", r.body)).iter().map(|x| x["name"].as_str().unwrap().to_string()).collect();
        n.sort();
        n
    };
    let campaigns = format!("act_{}/campaigns", a.acct);
    assert_eq!(names(&campaigns, json!([{ "field": "name", "operator": "EQUAL", "value": "Drivers 2" }])), ["Drivers 2"]);
    assert_eq!(names(&campaigns, json!([{ "field": "name", "operator": "CONTAIN", "value": "drivers" }])).len(), 3);
    let first =
        a.get(&campaigns, &[("filtering", r#"[{"field":"name","operator":"EQUAL","value":"Drivers 1"}]"#)]).body["data"][0]["id"].as_str().unwrap().to_string();
    a.call("POST", &first, form(&[("status", "PAUSED")], &[], &[]));
    let active_drivers =
        json!([{ "field": "name", "operator": "CONTAIN", "value": "Drivers" }, { "field": "effective_status", "operator": "IN", "value": ["ACTIVE"] }]);
    assert_eq!(names(&campaigns, active_drivers), ["Drivers 2", "Drivers 3"]);
    assert_eq!(
        names(&format!("act_{}/adsets", a.acct), json!([{ "field": "name", "operator": "CONTAIN", "value": ".2" }])),
        ["Drivers 1.2", "Drivers 2.2", "Drivers 3.2"]
    );
    assert_eq!(names(&format!("{first}/adsets"), json!([{ "field": "name", "operator": "EQUAL", "value": "Drivers 1.2" }])), ["Drivers 1.2"]);
    assert_eq!(names(&format!("act_{}/ads", a.acct), json!([{ "field": "name", "operator": "EQUAL", "value": "Drivers 3.1.1" }])), ["Drivers 3.1.1"]);
    assert_eq!(names(&format!("act_{}/adcreatives", a.acct), json!([{ "field": "name", "operator": "CONTAIN", "value": "drive" }])), ["Drive with us"]);
    let bad = a.get(&campaigns, &[("filtering", r#"[{"field":"name","operator":"STARTS_WITH","value":"D"}]"#)]);
    assert_eq!(bad.code(), 100);
}

#[test]
fn a_pages_lead_forms_are_listed_for_tokens_that_see_its_accounts() {
    let a = Account::new();
    let (b_acct, b_tok) = a.sim.seed(json!({ "campaigns": 0, "days": 1, "access_token": "other-token" }));
    for (acct, name, page) in [(&a.acct, "Drivers", "880001"), (&a.acct, "Nurses", "880001"), (&b_acct, "Cooks", "880002")] {
        a.sim.control("POST", "/leadgen_forms", json!({ "account_id": acct, "name": name, "page_id": page }));
    }
    let listed = a.get("880001/leadgen_forms", &[]);
    let forms = listed.body["data"].as_array().unwrap_or_else(|| panic!("{}", listed.body));
    assert_eq!(forms.iter().map(|f| f["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Nurses", "Drivers"], "newest first");
    let keys: Vec<&String> = forms[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "status", "locale", "created_time"]);
    assert_eq!((forms[0]["status"].as_str(), forms[0]["locale"].as_str()), (Some("ACTIVE"), Some("en_US")));
    assert_eq!(a.get("880001/leadgen_forms", &[("fields", "name")]).body["data"][0], json!({ "name": "Nurses", "id": forms[0]["id"] }));
    let hidden = a.get("880002/leadgen_forms", &[]);
    assert_eq!((hidden.code(), subcode(&hidden)), (100, Some(33)), "another business's page");
    let theirs = a.sim.call("GET", &format!("{V}/880002/leadgen_forms"), &[("access_token", &b_tok)]);
    assert_eq!(theirs.body["data"][0]["name"], "Cooks");
    assert_eq!(a.get("123456/leadgen_forms", &[]).code(), 100);
}

#[test]
fn a_fault_can_wait_for_the_third_matching_call() {
    let a = Account::new();
    let c = a.campaign_id(&[], &[]);
    a.sim.control("POST", "/faults", json!({ "kind": "status", "status": 500, "path_contains": "adsets", "method": "POST", "after": 2, "count": 1 }));
    assert_eq!(a.get(&format!("act_{}/adsets", a.acct), &[]).status, 200, "a GET does not count");
    let statuses: Vec<u16> = (0..4).map(|i| a.adset(&c, &[("name", &format!("Set {i}"))], &[]).status).collect();
    assert_eq!(statuses, [200, 200, 500, 200]);
    assert_eq!(a.count("adsets"), 3);
}

#[test]
fn batch_calls_use_earlier_results_and_fail_with_their_dependencies() {
    let a = Account::new();
    let campaign_body = "name=Batch&objective=OUTCOME_LEADS&special_ad_categories=%5B%5D&is_adset_budget_sharing_enabled=false&status=PAUSED";
    let adset_body = "name=Batch%20set&campaign_id={result=camp:$.id}&billing_event=IMPRESSIONS&optimization_goal=LINK_CLICKS&daily_budget=5000&targeting=%7B%22geo_locations%22%3A%7B%22countries%22%3A%5B%22US%22%5D%7D%7D";
    let batch = json!([
        { "method": "POST", "name": "camp", "relative_url": format!("act_{}/campaigns", a.acct), "body": campaign_body },
        { "method": "POST", "name": "set", "relative_url": format!("act_{}/adsets", a.acct), "body": adset_body, "omit_response_on_success": false },
        { "method": "GET", "relative_url": "{result=camp:$.id}?fields=name,adsets{name}" },
        { "method": "GET", "relative_url": "{result=set:$.id}?fields=campaign_id" },
        { "method": "POST", "name": "broken", "relative_url": format!("act_{}/campaigns", a.acct), "body": "name=No%20categories&objective=OUTCOME_LEADS" },
        { "method": "POST", "relative_url": format!("act_{}/adsets", a.acct), "depends_on": "broken", "body": "name=never" },
        { "method": "GET", "relative_url": "{result=broken:$.id}" },
    ]);
    let r = a.sim.call("POST", &format!("{V}/"), &[("access_token", &a.tok), ("batch", &batch.to_string())]);
    let items = r.body.as_array().unwrap_or_else(|| panic!("{}", r.body));
    assert_eq!(items[0], Value::Null, "a named call others used is left out of the answer");
    let body = |i: usize| -> Value { serde_json::from_str(items[i]["body"].as_str().unwrap()).unwrap() };
    assert_eq!(items[1]["code"], 200, "{}", items[1]);
    let set = body(1)["id"].as_str().unwrap().to_string();
    assert_eq!(body(2)["name"], "Batch");
    assert_eq!(body(2)["adsets"]["data"][0]["id"], set.as_str());
    let campaign = body(2)["id"].as_str().unwrap().to_string();
    assert_eq!(body(3)["campaign_id"], campaign.as_str());
    assert_eq!(items[4]["code"], 400, "the broken create fails on its own");
    for i in [5, 6] {
        assert_eq!((items[i]["code"].as_i64(), body(i)["error"]["code"].as_i64()), (Some(400), Some(100)), "{}", items[i]);
        assert!(body(i)["error"]["message"].as_str().unwrap().contains("\"broken\""));
    }
    assert_eq!(a.count("adsets"), 1, "the dependant of the failed call was not run");
}
