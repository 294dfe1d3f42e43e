//! Campaign building end to end: every recruiter_paid_media action against the simulator,
//! checked in what Meta received (the ledger and the simulator's objects) and in D1 (mirrors,
//! audit rows, drafts); Meta's rules for job ads refused before any call, naming the field;
//! customer lists hashed in the gateway; drafts validated by Meta and launched resumably.

use adgate_e2e::{json, Connected, Resp, Value};

const TOKEN: &str = "e2e-build-token-7c1d";
const A: &str = "777000111";
/// A 1x1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

struct Setup {
    c: Connected,
    recruiter: String,
    admin: String,
    n: std::cell::Cell<u32>,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[]);
    c.sim.control("POST", "/accounts", json!({"account_id": A, "campaigns": 0, "access_token": TOKEN}));
    let iid = c.connect(TOKEN);
    let r = c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{A}")})));
    assert_eq!(r.status, 201, "{}", r.text);
    let (recruiter, admin) = (c.key("recruiter"), c.key("admin"));
    Setup { c, recruiter, admin, n: std::cell::Cell::new(0) }
}

impl Setup {
    fn call(&self, key: &str, action: &str, body: Value) -> Resp {
        self.n.set(self.n.get() + 1);
        let auth = format!("Bearer {key}");
        let idem = format!("{action}-{}", self.n.get());
        self.c.gw.request(
            "POST",
            &format!("/v1/actions/recruiter_paid_media/{action}"),
            &[("Authorization", &auth), ("Idempotency-Key", &idem)],
            Some(&body.to_string()),
        )
    }

    fn recruit(&self, action: &str, mut body: Value) -> Resp {
        if body.get("ad_account_id").is_none() && !action.contains("draft") && action != "list_ad_accounts" {
            body["ad_account_id"] = json!(format!("act_{A}"));
        }
        self.call(&self.recruiter, action, body)
    }

    fn ok(&self, action: &str, body: Value) -> Value {
        let r = self.recruit(action, body);
        assert!(r.status == 200 || r.status == 201, "{action}: {} {}", r.status, r.text);
        r.body
    }

    fn approve(&self, id: &str) -> Resp {
        self.c.gw.request("POST", &format!("/v1/approvals/{id}/approve"), &[("Authorization", &format!("Bearer {}", self.admin))], None)
    }

    /// An object as Meta has it now.
    fn meta(&self, id: &str, fields: &str) -> Value {
        self.c.sim.graph_get(&format!("{id}?fields={fields}"), TOKEN)
    }

    fn posts_to(&self, suffix: &str) -> Vec<Value> {
        self.c.sim.ledger().into_iter().filter(|e| e["method"] == "POST" && e["path"].as_str().is_some_and(|p| p.ends_with(suffix))).collect()
    }

    fn mirror(&self, table: &str, id: &str) -> Value {
        let rows = self.c.gw.query(&format!("SELECT * FROM {table} WHERE id = ?1"), &[&id]);
        rows.into_iter().next().unwrap_or(Value::Null)
    }
}

fn campaign_body(name: &str) -> Value {
    json!({ "campaign": { "name": name, "objective": "OUTCOME_LEADS", "special_ad_categories": ["EMPLOYMENT"], "special_ad_category_country": ["US"] } })
}

fn ad_set_body(campaign: &str, targeting: Value) -> Value {
    json!({ "campaign_id": campaign, "ad_set": { "name": "Drivers TX", "optimization_goal": "LINK_CLICKS", "billing_event": "IMPRESSIONS",
        "daily_budget_minor": 5000, "targeting": targeting, "destination_type": "WEBSITE" } })
}

fn creative_body(name: &str, image: Option<&str>) -> Value {
    let mut c = json!({ "name": name, "page_id": "4242", "link": "https://jobs.example.com/drivers", "message": "Drive with us", "headline": "Now hiring", "call_to_action": "APPLY_NOW" });
    if let Some(h) = image {
        c["image_hash"] = json!(h);
    }
    json!({ "creative": c })
}

#[test]
fn a_campaign_is_built_changed_and_retired_object_by_object_on_meta_and_in_the_mirror() {
    let s = setup("build-objects");
    // Campaign: PAUSED, EMPLOYMENT with its country, ad set budgets shared or not as Meta asks.
    let c = s.ok("create_campaign", campaign_body("Drivers TX 2026-12"));
    let cid = c["object"]["id"].as_str().unwrap().to_string();
    let meta = s.meta(&cid, "status,special_ad_categories,special_ad_category_country,is_adset_budget_sharing_enabled");
    assert_eq!((meta["status"].as_str(), &meta["special_ad_categories"]), (Some("PAUSED"), &json!(["EMPLOYMENT"])), "{meta}");
    assert_eq!(s.mirror("meta_campaigns", &cid)["status"], "PAUSED", "the mirror sees the new campaign at once");
    let audit = s.c.gw.query("SELECT outcome, external_id FROM audit_log WHERE action = 'create_campaign'", &[]);
    assert_eq!(audit, vec![json!({"outcome": "succeeded", "external_id": cid})]);

    // Ad set with an open audience, image, creative with the UTM template, ad.
    let targeting = json!({ "geo_locations": { "countries": ["US"], "cities": [{ "key": "2420379", "radius": 15, "distance_unit": "mile" }] }, "age_min": 18, "age_max": 65 });
    let set = s.ok("create_ad_set", ad_set_body(&cid, targeting));
    let sid = set["object"]["id"].as_str().unwrap().to_string();
    assert_eq!(s.meta(&sid, "campaign_id,daily_budget,status")["daily_budget"].to_string().trim_matches('"'), "5000");
    assert_eq!(s.mirror("meta_ad_sets", &sid)["campaign_id"], cid.as_str());
    let image = s.ok("upload_ad_image", json!({"name": "drivers.png", "bytes_base64": PNG}));
    let hash = image["hash"].as_str().unwrap().to_string();
    assert_eq!(s.posts_to("/adimages").len(), 1);
    let cr = s.ok("create_creative", creative_body("Drivers v1", Some(&hash)));
    let crid = cr["object"]["id"].as_str().unwrap().to_string();
    let sent = s.meta(&crid, "url_tags,object_story_spec");
    assert!(
        sent["url_tags"].as_str().unwrap().contains("utm_source=facebook&utm_medium=paid_social&utm_campaign={{campaign.name}}&utm_content={{ad.id}}"),
        "{sent}"
    );
    assert_eq!(sent["object_story_spec"]["link_data"]["image_hash"], hash.as_str());
    assert_eq!(sent["object_story_spec"]["link_data"]["call_to_action"]["type"], "APPLY_NOW");
    let ad = s.ok("create_ad", json!({"ad_set_id": sid, "name": "Drivers ad 1", "creative_id": crid}));
    let adid = ad["object"]["id"].as_str().unwrap().to_string();
    assert_eq!(s.mirror("meta_ads", &adid)["creative_id"], crid.as_str());
    assert_eq!(s.meta(&adid, "status")["status"], "PAUSED");

    // Changes: each reaches Meta and the mirror.
    s.ok("update_campaign", json!({"campaign_id": cid, "name": "Drivers TX 2026-12 b"}));
    assert_eq!(s.meta(&cid, "name")["name"], "Drivers TX 2026-12 b");
    assert_eq!(s.mirror("meta_campaigns", &cid)["name"], "Drivers TX 2026-12 b");
    let wider = json!({ "geo_locations": { "countries": ["US"] } });
    s.ok("update_ad_set_targeting", json!({"ad_set_id": sid, "targeting": wider}));
    assert_eq!(s.meta(&sid, "targeting")["targeting"]["geo_locations"], json!({ "countries": ["US"] }));
    let abroad = s.recruit("update_ad_set_targeting", json!({"ad_set_id": sid, "targeting": { "geo_locations": { "countries": ["US", "CA"] } }}));
    assert_eq!((abroad.status, abroad.body["field"].as_str()), (422, Some("targeting.geo_locations.countries")), "{}", abroad.text);
    s.ok("update_ad_set_schedule", json!({"ad_set_id": sid, "start_time": "2026-12-01T00:00:00Z", "end_time": "2026-12-31T00:00:00Z"}));
    assert_eq!(s.meta(&sid, "end_time")["end_time"], "2026-12-31T00:00:00+0000");
    let backwards = s.recruit("update_ad_set_schedule", json!({"ad_set_id": sid, "end_time": "2026-11-01T00:00:00Z"}));
    assert_eq!((backwards.status, backwards.body["field"].as_str()), (422, Some("end_time")), "{}", backwards.text);
    for (action, id_field, id, status) in [
        ("pause_ad_set", "ad_set_id", &sid, "PAUSED"),
        ("resume_ad_set", "ad_set_id", &sid, "ACTIVE"),
        ("resume_ad", "ad_id", &adid, "ACTIVE"),
        ("pause_ad", "ad_id", &adid, "PAUSED"),
    ] {
        let r = s.ok(action, json!({ id_field: id }));
        assert_eq!(r["object"]["status"], status, "{action}");
        assert_eq!(s.meta(id, "status")["status"], status, "{action}");
    }
    s.ok("update_ad", json!({"ad_id": adid, "name": "Drivers ad 1 b"}));
    assert_eq!(s.mirror("meta_ads", &adid)["name"], "Drivers ad 1 b");

    // A creative's content cannot change on Meta: a new one is made and swapped into its ads.
    let changed = s.ok("update_creative", json!({"creative_id": crid, "message": "Drive with us: $25/hour"}));
    let new_crid = changed["object"]["id"].as_str().unwrap().to_string();
    assert_ne!(new_crid, crid);
    assert_eq!(changed["ads_moved"], json!([adid]));
    assert_eq!(s.meta(&adid, "creative")["creative"]["id"], new_crid.as_str());
    assert_eq!(s.meta(&new_crid, "object_story_spec")["object_story_spec"]["link_data"]["message"], "Drive with us: $25/hour");
    assert_eq!(s.mirror("meta_ads", &adid)["creative_id"], new_crid.as_str());
    let renamed = s.ok("update_creative", json!({"creative_id": new_crid, "name": "Drivers v2"}));
    assert_eq!(renamed["object"]["id"], new_crid.as_str(), "a name changes in place");
    // Swapping back by hand, then retiring: a creative in use is refused, an unused one goes.
    s.ok("attach_creative_to_ad", json!({"ad_id": adid, "creative_id": crid}));
    assert_eq!(s.meta(&adid, "creative")["creative"]["id"], crid.as_str());
    let in_use = s.recruit("archive_creative", json!({"creative_id": crid}));
    assert_eq!((in_use.status, in_use.body["field"].as_str()), (409, Some("creative_id")), "{}", in_use.text);
    s.ok("archive_creative", json!({"creative_id": new_crid}));
    assert_eq!(s.meta(&new_crid, "status")["status"], "DELETED");

    // Reads from the mirror, with freshness; and from Meta when asked.
    let listed = s.ok("list_campaigns", json!({}));
    assert_eq!(listed["source"], "mirror");
    assert_eq!(listed["data"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>(), vec![json!(cid)]);
    let sets = s.ok("list_ad_sets", json!({"campaign_id": cid}));
    assert_eq!(sets["data"][0]["id"], sid.as_str());
    let ads = s.ok("list_ads", json!({"ad_set_id": sid, "name_contains": "ad 1 B"}));
    assert_eq!(ads["data"][0]["id"], adid.as_str());
    assert_eq!(s.ok("list_ads", json!({"ad_set_id": sid, "name_contains": "nope"}))["data"], json!([]));
    let fresh = s.ok("list_campaigns", json!({"ad_account_id": format!("act_{A}"), "fresh": true}));
    assert_eq!((fresh["source"].as_str(), fresh["data"][0]["id"].as_str()), (Some("meta"), Some(cid.as_str())));
    let whole = s.ok("get_campaign", json!({"campaign_id": cid}));
    assert_eq!((whole["ad_sets"].as_array().unwrap().len(), whole["ads"].as_array().unwrap().len()), (1, 1));
    let before_anything = s.ok("list_campaigns", json!({"as_of": "2020-01-01T00:00:00Z"}));
    assert_eq!(before_anything["data"], json!([]), "nothing existed then");
    let accounts = s.ok("list_ad_accounts", json!({}));
    assert_eq!(accounts["data"][0]["id"], format!("act_{A}"));

    // Deleting waits for an approval, then reaches Meta once.
    let asked = s.recruit("delete_ad", json!({"ad_id": adid}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(s.meta(&adid, "status")["status"], "PAUSED");
    let done = s.approve(asked.body["approval"]["id"].as_str().unwrap());
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(s.meta(&adid, "status")["status"], "DELETED");
    assert_eq!(s.mirror("meta_ads", &adid)["status"], "DELETED");
    let asked = s.recruit("delete_ad_set", json!({"ad_set_id": sid}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_ne!(s.meta(&sid, "status")["status"], "DELETED", "nothing happens before the approval");
    let done = s.approve(asked.body["approval"]["id"].as_str().unwrap());
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(s.meta(&sid, "status")["status"], "DELETED");
    assert_eq!(s.mirror("meta_ad_sets", &sid)["status"], "DELETED");
    let deletes = s.c.sim.ledger().iter().filter(|e| e["method"] == "DELETE" && e["path"].as_str().is_some_and(|p| p.ends_with(sid.as_str()))).count();
    assert_eq!(deletes, 1, "Meta was asked once");
    let audit = s.c.gw.query("SELECT outcome FROM audit_log WHERE action = 'delete_ad_set' ORDER BY created_at", &[]);
    assert_eq!(audit.last().unwrap()["outcome"], "succeeded", "{audit:?}");
}

#[test]
fn job_ads_and_budgets_are_refused_before_meta_naming_the_field() {
    let s = setup("build-rules");
    let c = s.ok("create_campaign", campaign_body("Nurses 2026-12"));
    let cid = c["object"]["id"].as_str().unwrap().to_string();
    let before = s.c.sim.ledger().len();
    let geo = json!({ "countries": ["US"] });
    for (targeting, field) in [
        (json!({ "geo_locations": geo, "age_min": 25 }), "targeting.age_min"),
        (json!({ "geo_locations": geo, "age_max": 40 }), "targeting.age_max"),
        (json!({ "geo_locations": geo, "genders": [2] }), "targeting.genders"),
        (json!({ "geo_locations": { "zips": [{ "key": "US:94304" }] } }), "targeting.geo_locations.zips"),
        (json!({ "geo_locations": geo, "excluded_geo_locations": { "countries": ["CA"] } }), "targeting.excluded_geo_locations"),
        (json!({ "geo_locations": { "cities": [{ "key": "2420379", "radius": 10, "distance_unit": "mile" }] } }), "targeting.geo_locations.cities[0].radius"),
        (
            json!({ "geo_locations": { "custom_locations": [{ "latitude": 40712800, "longitude": -74006000, "radius": 20, "distance_unit": "kilometer" }] } }),
            "targeting.geo_locations.custom_locations[0].radius",
        ),
        (json!({ "geo_locations": geo, "excluded_custom_audiences": [{ "id": "1" }] }), "targeting.excluded_custom_audiences"),
        (json!({ "geo_locations": {} }), "targeting.geo_locations"),
    ] {
        let r = s.recruit("create_ad_set", ad_set_body(&cid, targeting));
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{}", r.text);
    }
    // Meta's budget and bidding rules, by the field.
    let mut both = ad_set_body(&cid, json!({ "geo_locations": geo }));
    both["ad_set"]["lifetime_budget_minor"] = json!(100000);
    let r = s.recruit("create_ad_set", both);
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("lifetime_budget_minor")), "{}", r.text);
    let mut capped = ad_set_body(&cid, json!({ "geo_locations": geo }));
    capped["ad_set"]["bid_strategy"] = json!("COST_CAP");
    let r = s.recruit("create_ad_set", capped);
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("bid_amount_minor")), "{}", r.text);
    let mut lead = ad_set_body(&cid, json!({ "geo_locations": geo }));
    lead["ad_set"]["optimization_goal"] = json!("LEAD_GENERATION");
    let r = s.recruit("create_ad_set", lead);
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("destination_type")), "{}", r.text);
    let r = s.recruit("create_campaign", json!({ "campaign": { "name": "x", "objective": "OUTCOME_LEADS", "special_ad_categories": ["EMPLOYMENT"] } }));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("special_ad_category_country")), "{}", r.text);
    let cbo = s.ok(
        "create_campaign",
        json!({ "campaign": { "name": "CBO 2026-12", "objective": "OUTCOME_TRAFFIC", "special_ad_categories": [], "daily_budget_minor": 10000 } }),
    );
    let cbo_id = cbo["object"]["id"].as_str().unwrap().to_string();
    let ledger_mid = s.c.sim.ledger().len();
    let r = s.recruit("create_ad_set", ad_set_body(&cbo_id, json!({ "geo_locations": geo })));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("daily_budget_minor")), "{}", r.text);
    let writes = |from: usize| s.c.sim.ledger()[from..].iter().filter(|e| e["method"] != "GET").count();
    assert_eq!(writes(before), 1, "only the CBO campaign was created: every refusal came before a write");
    assert_eq!(writes(ledger_mid), 0);
    // An audience Meta allows for job ads is created, and its detailed targeting is checked.
    let ok = s.ok("create_ad_set", ad_set_body(&cid, json!({ "geo_locations": geo, "age_min": 18 })));
    assert!(ok["object"]["id"].is_string());
    let audits = s.c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'create_ad_set' AND outcome = 'succeeded'", &[]);
    assert_eq!(audits[0]["n"], 1);
}

#[test]
fn customer_lists_reach_meta_only_as_normalised_hashes_in_batches() {
    let s = setup("build-audiences");
    let aud = s.ok("create_custom_audience", json!({"name": "Past applicants", "customer_file_source": "USER_PROVIDED_ONLY"}));
    let aid = aud["audience"]["id"].as_str().unwrap().to_string();
    let rows: Vec<Value> = (0..12_000).map(|i| json!([format!("  Applicant{i}@Example.COM "), format!("+1 (650) 555-{:04}", i % 10_000)])).collect();
    let added = s.ok("add_custom_audience_users", json!({"audience_id": aid, "schema": ["EMAIL", "PHONE"], "rows": rows}));
    assert_eq!((added["upload"]["batches"].as_i64(), added["upload"]["rows"].as_i64()), (Some(2), Some(12_000)), "{added}");
    let uploads = s.posts_to(&format!("/{aid}/users"));
    assert_eq!(uploads.len(), 2, "two batches of at most 10,000 rows");
    let mut seqs = Vec::new();
    for u in &uploads {
        let text = u["params"].to_string();
        assert!(!text.contains("example.com") && !text.contains("applicant") && !text.contains("650) 555"), "no plaintext reaches Meta");
        let session: Value = u["params"]["session"].as_str().map(|s| serde_json::from_str(s).unwrap()).unwrap_or_else(|| u["params"]["session"].clone());
        seqs.push((session["batch_seq"].as_i64().unwrap(), session["last_batch_flag"].as_bool().unwrap()));
        let payload: Value = u["params"]["payload"].as_str().map(|s| serde_json::from_str(s).unwrap()).unwrap_or_else(|| u["params"]["payload"].clone());
        let first = &payload["data"][0];
        assert!(first[0].as_str().unwrap().len() == 64 && first[0].as_str().unwrap().chars().all(|c| c.is_ascii_hexdigit()), "{first}");
        assert!(payload["data"].as_array().unwrap().len() <= 10_000);
    }
    seqs.sort();
    assert_eq!(seqs, vec![(1, false), (2, true)]);
    // The hash of the normalised address, as Meta computes it.
    let want = sha256_hex("applicant0@example.com");
    assert!(uploads.iter().any(|u| u["params"].to_string().contains(&want)));
    s.c.gw.assert_not_in_d1("Applicant0@Example.COM");
    s.c.gw.assert_not_in_d1("applicant0@example.com");
    let removed = s.ok("remove_custom_audience_users", json!({"audience_id": aid, "schema": ["EMAIL"], "rows": [["applicant0@example.com"]]}));
    assert_eq!(removed["upload"]["batches"], 1);
    assert_eq!(s.c.sim.ledger().iter().filter(|e| e["method"] == "DELETE" && e["path"].as_str().is_some_and(|p| p.ends_with("/users"))).count(), 1);
    let bad = s.recruit("add_custom_audience_users", json!({"audience_id": aid, "schema": ["EMAIL", "PHONE"], "rows": [["a@b.co"]]}));
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("rows")), "{}", bad.text);
    // Lookalikes: 1% to 20%, and never in a job ad's audience.
    let too_big = s.recruit("create_lookalike_audience", json!({"origin_audience_id": aid, "name": "LAL", "country": "US", "ratio_percent": 25}));
    assert_eq!((too_big.status, too_big.body["field"].as_str()), (422, Some("ratio_percent")));
    let lal = s.ok("create_lookalike_audience", json!({"origin_audience_id": aid, "name": "LAL 1%", "country": "US", "ratio_percent": 1}));
    let lal_id = lal["audience"]["id"].as_str().unwrap().to_string();
    assert_eq!(s.meta(&lal_id, "subtype")["subtype"], "LOOKALIKE");
    let c = s.ok("create_campaign", campaign_body("Warehouse 2026-12"));
    let cid = c["object"]["id"].as_str().unwrap();
    let r = s.recruit("create_ad_set", ad_set_body(cid, json!({ "geo_locations": { "countries": ["US"] }, "custom_audiences": [{ "id": lal_id }] })));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("targeting.custom_audiences[0]")), "{}", r.text);
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[test]
fn targeting_search_and_reach_come_from_meta_and_narrower_audiences_reach_fewer() {
    let s = setup("build-reach");
    let found = s.ok("get_targeting_suggestions", json!({"kind": "interest", "q": "nurs"}));
    assert!(!found["data"].as_array().unwrap().is_empty(), "{found}");
    let geo = s.ok("get_targeting_suggestions", json!({"kind": "geo", "q": "Hou", "location_types": ["city"]}));
    assert!(!geo["data"].as_array().unwrap().is_empty(), "{geo}");
    let missing = s.recruit("get_targeting_suggestions", json!({"kind": "interest"}));
    assert_eq!((missing.status, missing.body["field"].as_str()), (422, Some("q")));
    let wide = s.ok("estimate_audience_reach", json!({"targeting": { "geo_locations": { "countries": ["US"] } }, "optimization_goal": "LINK_CLICKS"}));
    let narrow = s.ok("estimate_audience_reach", json!({"targeting": { "geo_locations": { "countries": ["US"] }, "age_min": 30, "age_max": 40 }}));
    let upper = |v: &Value| v["reach"]["users_upper_bound"].as_i64().unwrap();
    assert!(upper(&narrow) < upper(&wide), "{narrow} vs {wide}");
    assert!(wide["delivery"]["estimate_dau"].is_number() || wide["delivery"]["daily_outcomes_curve"].is_array(), "{wide}");
    // Lead forms of a Page, and a lead ad creative that opens one.
    let form = s.c.sim.control("POST", "/leadgen_forms", json!({"account_id": A, "name": "Driver application", "page_id": "4242"}));
    let form_id = form["id"].as_str().unwrap().to_string();
    let forms = s.ok("list_lead_forms", json!({"page_id": "4242"}));
    assert_eq!(forms["data"].as_array().unwrap().iter().map(|f| f["id"].clone()).collect::<Vec<_>>(), vec![json!(form_id)], "{forms}");
    let mut lead = creative_body("Lead form ad", None);
    lead["creative"]["lead_gen_form_id"] = json!(form_id);
    let made = s.ok("create_creative", lead);
    let spec = s.meta(made["object"]["id"].as_str().unwrap(), "object_story_spec")["object_story_spec"].clone();
    assert_eq!(spec["link_data"]["call_to_action"]["value"]["lead_gen_form_id"], form_id.as_str());
    let mut wrong = creative_body("Wrong button", None);
    wrong["creative"]["lead_gen_form_id"] = json!(form_id);
    wrong["creative"]["call_to_action"] = json!("LEARN_MORE");
    let r = s.recruit("create_creative", wrong);
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("call_to_action")), "{}", r.text);
    let job = s.recruit(
        "estimate_audience_reach",
        json!({"targeting": { "geo_locations": { "countries": ["US"] }, "age_min": 30 }, "special_ad_category": "EMPLOYMENT"}),
    );
    assert_eq!((job.status, job.body["field"].as_str()), (422, Some("targeting.age_min")));
}

/// Batch requests among these ledger entries.
fn envelopes(entries: &[Value]) -> usize {
    entries.iter().filter(|e| e["method"] == "POST" && e["path"] == "/" && e["batch"] == false).count()
}

fn draft_tree(s: &Setup) -> (String, i64) {
    let d = s.ok("create_campaign_draft", json!({"ad_account_id": format!("act_{A}"), "campaign": campaign_body("Drivers draft 2026-12")["campaign"]}));
    let (id, mut rev) = (d["draft_id"].as_str().unwrap().to_string(), d["revision"].as_i64().unwrap());
    for k in ["a", "b"] {
        let r = s.ok(
            "create_creative_draft",
            json!({"draft_id": id, "revision": rev, "key": k, "creative": creative_body(&format!("Creative {k}"), None)["creative"]}),
        );
        rev = r["revision"].as_i64().unwrap();
    }
    for (i, k) in ["north", "south", "west"].iter().enumerate() {
        let set = ad_set_body("1", json!({ "geo_locations": { "countries": ["US"] } }))["ad_set"].clone();
        let mut set = set;
        set["name"] = json!(format!("Set {k}"));
        let ads = json!([{ "key": format!("{k}-1"), "name": format!("Ad {k} 1"), "creative_key": "a" }, { "key": format!("{k}-2"), "name": format!("Ad {k} 2"), "creative_key": if i % 2 == 0 { "b" } else { "a" } }]);
        let r = s.ok("create_ad_set_draft", json!({"draft_id": id, "revision": rev, "key": k, "ad_set": set, "ads": ads}));
        rev = r["revision"].as_i64().unwrap();
    }
    (id, rev)
}

#[test]
fn a_draft_is_checked_by_meta_then_launched_once_even_after_a_failure_half_way() {
    let s = setup("build-drafts");
    let (id, rev) = draft_tree(&s);
    assert_eq!(rev, 6);
    let stale = s.recruit("create_creative_draft", json!({"draft_id": id, "revision": 2, "key": "c", "creative": creative_body("Late", None)["creative"]}));
    assert_eq!((stale.status, stale.body["field"].as_str()), (409, Some("revision")), "{}", stale.text);
    let ledger = s.c.sim.ledger().len();
    let checked = s.ok("validate_campaign_draft", json!({"draft_id": id}));
    assert_eq!(checked["valid"], true, "{checked}");
    let sent: Vec<Value> = s.c.sim.ledger()[ledger..].to_vec();
    assert_eq!(
        sent.iter().filter(|e| e["method"] == "POST" && e["batch"] == true && e["params"].to_string().contains("validate_only")).count(),
        1 + 3 + 2,
        "campaign, 3 ad sets and 2 creatives checked by Meta"
    );
    assert_eq!(envelopes(&sent), 1, "in one batch request");
    assert_eq!(s.c.sim.graph_get(&format!("act_{A}/campaigns?fields=id"), TOKEN)["data"], json!([]), "validation creates nothing");

    // A 500 on the third ad set create stops the launch; its ads are not sent, nothing is ACTIVE,
    // and the answer says what exists.
    s.c.sim.control("POST", "/faults", json!({"kind": "status", "status": 500, "path_contains": "/adsets", "method": "POST", "after": 2, "count": 3}));
    let ledger = s.c.sim.ledger().len();
    let failed = s.recruit("launch_campaign_draft", json!({"draft_id": id, "revision": rev, "activate": false}));
    assert!(failed.status >= 500, "{}", failed.text);
    assert!(failed.body["created"]["campaign"].is_string(), "{}", failed.text);
    assert!(failed.body["created"]["ad_sets.south"].is_string() && failed.body["created"]["ad_sets.west"].is_null(), "{}", failed.text);
    assert_eq!(envelopes(&s.c.sim.ledger()[ledger..]), 1, "campaign, creatives, ad sets and ads went in one batch request");
    s.c.sim.control("DELETE", "/faults", json!(null));
    let status = s.c.gw.query("SELECT status FROM campaign_drafts WHERE id = ?1", &[&id]);
    assert_eq!(status[0]["status"], "failed");
    let recorded = s.c.gw.query("SELECT key, status FROM campaign_draft_objects WHERE draft_id = ?1 ORDER BY key", &[&id]);
    let keys: Vec<&str> = recorded.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["ad_sets.north", "ad_sets.south", "ads.north-1", "ads.north-2", "ads.south-1", "ads.south-2", "campaign", "creatives.a", "creatives.b"]);
    assert!(recorded.iter().all(|r| r["status"] == "created"), "the refused ad set and its ads are forgotten: {recorded:?}");
    // Launching again resumes: everything exists exactly once, PAUSED.
    let built = s.recruit("launch_campaign_draft", json!({"draft_id": id, "revision": rev, "activate": false}));
    assert_eq!(built.status, 201, "{}", built.text);
    let count = |edge: &str| s.c.sim.graph_get(&format!("act_{A}/{edge}?fields=id,name,status&limit=100"), TOKEN)["data"].as_array().unwrap().clone();
    let drafted = count("adcreatives").iter().filter(|c| c["name"].as_str().is_some_and(|n| n.starts_with("Creative "))).count();
    assert_eq!((count("campaigns").len(), count("adsets").len(), count("ads").len(), drafted), (1, 3, 6, 2));
    assert!(count("ads").iter().all(|a| a["status"] == "PAUSED"));
    let cid = built.body["campaign_id"].as_str().unwrap().to_string();
    assert_eq!(s.mirror("meta_campaigns", &cid)["status"], "PAUSED");
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM meta_ads WHERE campaign_id = ?1", &[&cid])[0]["n"], 6);
    // Activating is the account's first launch: held for an approval, then everything goes ACTIVE.
    let asked = s.recruit("launch_campaign_draft", json!({"draft_id": id, "revision": rev}));
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.body["approval"]["policy_flags"][0]["flag"], "first_launch");
    assert_eq!(s.meta(&cid, "status")["status"], "PAUSED");
    let done = s.approve(asked.body["approval"]["id"].as_str().unwrap());
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(s.meta(&cid, "status")["status"], "ACTIVE");
    assert!(count("ads").iter().all(|a| a["status"] == "ACTIVE"));
    assert_eq!((count("campaigns").len(), count("adsets").len(), count("ads").len()), (1, 3, 6), "nothing created twice");
    assert_eq!(s.c.sim.creates().len(), 1 + 3 + 6 + 2, "one create per object");
    assert_eq!(s.c.gw.query("SELECT status FROM campaign_drafts WHERE id = ?1", &[&id])[0]["status"], "launched");
}

#[test]
fn a_launch_cut_off_by_a_worker_restart_resumes_without_creating_anything_twice() {
    let mut s = setup("build-restart");
    let (id, rev) = draft_tree(&s);
    // Meta creates the whole tree, but its answer is late and the worker stops before it comes:
    // every object is on Meta and none is recorded with its id.
    s.c.sim.control("POST", "/faults", json!({"kind": "slow_answer", "ms": 120000, "method": "POST", "path_contains": "v26.0/"}));
    let url = format!("{}/v1/actions/recruiter_paid_media/launch_campaign_draft", s.c.gw.base);
    let auth = format!("Bearer {}", s.recruiter);
    let body = json!({"draft_id": id, "revision": rev, "activate": false}).to_string();
    let cut = std::thread::spawn(move || {
        let _ = ureq::post(&url).set("Authorization", &auth).set("Idempotency-Key", "cut-off").set("Content-Type", "application/json").send_string(&body);
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.c.sim.creates().len() < 1 + 3 + 6 + 2 {
        assert!(std::time::Instant::now() < deadline, "the launch never reached Meta");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    s.c.gw.restart();
    s.c.sim.control("DELETE", "/faults", json!(null));
    let _ = cut.join();
    let rows = s.c.gw.query("SELECT status, meta_id FROM campaign_draft_objects WHERE draft_id = ?1", &[&id]);
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r["status"] == "creating" && r["meta_id"].is_null()), "{rows:?}");
    assert_eq!(s.c.gw.query("SELECT status FROM campaign_drafts WHERE id = ?1", &[&id])[0]["status"], "launching");

    // Launching again finds every object by name under its parent, level by level, and sends no create.
    let ledger = s.c.sim.ledger().len();
    let resumed = s.recruit("launch_campaign_draft", json!({"draft_id": id, "revision": rev, "activate": false}));
    assert_eq!(resumed.status, 201, "{}", resumed.text);
    let after: Vec<Value> = s.c.sim.ledger()[ledger..].to_vec();
    let lookups = after.iter().filter(|e| e["method"] == "GET" && e["batch"] == true && e["params"]["filtering"].to_string().contains("EQUAL")).count();
    assert_eq!(lookups, 12, "one lookup per object");
    assert_eq!(envelopes(&after), 3 + 1, "a batch per level, then the mirror's read-back");
    assert_eq!(s.c.sim.creates().len(), 12, "nothing created twice");
    let count = |edge: &str| s.c.sim.graph_get(&format!("act_{A}/{edge}?fields=id&limit=100"), TOKEN)["data"].as_array().unwrap().len();
    assert_eq!((count("campaigns"), count("adsets"), count("ads")), (1, 3, 6));
    let rows = s.c.gw.query("SELECT key, meta_id FROM campaign_draft_objects WHERE draft_id = ?1 AND status = 'created'", &[&id]);
    assert_eq!(rows.len(), 12);
    for r in &rows {
        assert_eq!(resumed.body["objects"][r["key"].as_str().unwrap()], r["meta_id"], "the answer and D1 agree");
    }
    let cid = resumed.body["campaign_id"].as_str().unwrap().to_string();
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM meta_ads WHERE campaign_id = ?1", &[&cid])[0]["n"], 6, "mirrored by the launch");
    let creative = resumed.body["objects"]["creatives.a"].as_str().unwrap().to_string();
    assert_eq!(s.c.gw.query("SELECT COUNT(*) AS n FROM meta_creatives WHERE id = ?1", &[&creative])[0]["n"], 1, "creatives too");
}

#[test]
fn other_workspaces_cannot_see_or_launch_a_draft() {
    let s = setup("build-isolation");
    let (id, rev) = draft_tree(&s);
    let other = s.c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    let ows = other.body["id"].as_str().unwrap().to_string();
    let stranger = s.c.gw.member_key(&ows, "recruiter");
    for (action, body) in [
        ("validate_campaign_draft", json!({"draft_id": id})),
        ("launch_campaign_draft", json!({"draft_id": id, "revision": rev})),
        ("create_creative_draft", json!({"draft_id": id, "revision": rev, "key": "x", "creative": creative_body("x", None)["creative"]})),
    ] {
        let r = s.call(&stranger, action, body);
        assert_eq!((r.status, r.body["field"].as_str()), (404, Some("draft_id")), "{action}: {}", r.text);
    }
    assert_eq!(s.c.gw.query("SELECT revision FROM campaign_drafts WHERE id = ?1", &[&id])[0]["revision"], rev);
    assert!(s.c.sim.ledger().iter().all(|e| e["method"] == "GET" || !e["params"].to_string().contains("validate_only")), "nothing reached Meta");
}
