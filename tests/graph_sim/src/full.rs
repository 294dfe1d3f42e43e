//! The members Meta computes or defaults on each object (its reference page's fields), derived
//! from what the object holds so they agree with each other and with insights: budgets remaining
//! after today's spend, a campaign's times from its ad sets, an ad's targeting from its ad set,
//! a creative's body, title and link from its story spec, an account's amount spent.

use crate::insights::{self, Level};
use crate::params::Params;
use crate::store::{Account, Kind, Node, Store};
use chrono::Duration;
use serde_json::{json, Map, Value};

const DEFAULT_BID_STRATEGY: &str = "LOWEST_COST_WITHOUT_CAP";

/// Minimum daily budgets by currency, in minor units (Meta's table starts at 100 for USD).
fn min_daily_budget(currency: &str) -> i64 {
    match currency {
        "JPY" | "KRW" | "CLP" | "COP" | "HUF" | "IDR" | "VND" => 10_000,
        "INR" | "PHP" | "THB" | "TWD" | "RUB" => 4_000,
        _ => 100,
    }
}

/// An ad account's members. `amount_spent` (all spend to date, in minor units) is computed only
/// when asked for: it reads every ad-day of the account.
pub fn account(store: &Store, a: &Account, p: &Params) -> Value {
    let mut v = store.account_json(a);
    let now = store.now_dt();
    let offset = {
        use chrono::Offset;
        now.with_timezone(&a.tz()).offset().fix().local_minus_utc() as f64 / 3_600.0
    };
    let age_days = ((store.now() - a.created).max(0) as f64 / 86_400.0 * 100.0).round() / 100.0;
    let extra = json!({
        "balance": "0",
        "spend_cap": "0",
        "min_daily_budget": min_daily_budget(&a.currency),
        "timezone_offset_hours_utc": offset,
        "owner": a.business_id,
        "business_name": format!("Business {}", a.business_id),
        "age": age_days,
        "disable_reason": 0,
        "is_prepay_account": false,
        "is_personal": 0,
        "capabilities": [],
        "user_tasks": ["MANAGE", "ADVERTISE", "ANALYZE"],
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.entry(k.clone()).or_insert_with(|| x.clone());
        }
        let asked = p.str("fields").is_some_and(|f| crate::fields::parse(f).is_ok_and(|fs| fs.iter().any(|x| x.name == "amount_spent")));
        if asked {
            o.insert("amount_spent".into(), json!(spent_since(store, &a.id, None, None).to_string()));
        }
    }
    v
}

/// Spend in minor units of an account (or of one object in it) from `since` (default: the
/// account's first day) to today.
fn spent_since(store: &Store, account_id: &str, under: Option<&Node>, since: Option<chrono::NaiveDate>) -> i64 {
    let Some(a) = store.accounts.get(account_id) else { return 0 };
    let today = insights::account_today(store, account_id);
    let first = chrono::DateTime::from_timestamp(a.created, 0).unwrap_or_default().with_timezone(&a.tz()).date_naive();
    let q = insights::Query::plain(Level::Account, since.unwrap_or(first), today, None, &["spend"]);
    insights::run(store, account_id, under, &q)
        .iter()
        .filter_map(|r| r["spend"].as_str())
        .map(|s| s.parse::<f64>().map(|x| (x * 100.0).round() as i64).unwrap_or(0))
        .sum()
}

fn money_field(n: &Node, key: &str) -> Option<i64> {
    n.fields.get(key).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

/// What is left of an object's budget: a daily budget after today's spend, a lifetime budget
/// after all spend; "0" without a budget of its own.
fn budget_remaining(store: &Store, n: &Node) -> String {
    let today = insights::account_today(store, &n.account_id);
    let left = if let Some(daily) = money_field(n, "daily_budget") {
        daily - spent_since(store, &n.account_id, Some(n), Some(today))
    } else if let Some(lifetime) = money_field(n, "lifetime_budget") {
        lifetime - spent_since(store, &n.account_id, Some(n), None)
    } else {
        0
    };
    left.max(0).to_string()
}

fn text_at<'a>(n: &'a Node, path: &str) -> Option<&'a str> {
    n.at(path).and_then(Value::as_str)
}

/// The Page post an object's story becomes: `{page}_{post}`, fixed per creative.
fn story_id(store: &Store, creative: &Node) -> Option<String> {
    let page = creative.at("object_story_spec/page_id").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))?;
    Some(format!("{page}_{}", 100_000_000_000_000 + store.hash(&[&creative.id, "post"]) % 900_000_000_000_000))
}

/// Derived members of a campaign, ad set, ad or creative (what it stores takes precedence).
/// Members that read insights are computed only when `asked`.
pub fn derived(store: &Store, n: &Node, asked: &dyn Fn(&str) -> bool) -> Map<String, Value> {
    let mut m = Map::new();
    let created = Store::iso(n.created);
    match n.kind {
        Kind::Campaign => {
            let sets: Vec<&Node> = store.children(&n.account_id, Kind::AdSet).filter(|s| s.campaign_id.as_deref() == Some(&n.id)).collect();
            let starts: Vec<String> = sets.iter().map(|s| text_at(s, "start_time").map(str::to_string).unwrap_or_else(|| Store::iso(s.created))).collect();
            m.insert("start_time".into(), json!(starts.iter().min().cloned().unwrap_or(created)));
            let ends: Vec<&str> = sets.iter().filter_map(|s| text_at(s, "end_time")).collect();
            if !sets.is_empty() && ends.len() == sets.len() {
                m.insert("stop_time".into(), json!(ends.iter().max()));
            }
            let categories = crate::objects::categories(n);
            m.insert("special_ad_category".into(), json!(categories.first().cloned().unwrap_or_else(|| "NONE".into())));
            m.insert("buying_type".into(), json!("AUCTION"));
            m.insert("bid_strategy".into(), json!(DEFAULT_BID_STRATEGY));
            if asked("budget_remaining") {
                m.insert("budget_remaining".into(), json!(budget_remaining(store, n)));
            }
            m.insert("can_use_spend_cap".into(), json!(true));
            m.insert("pacing_type".into(), json!(["standard"]));
            m.insert("smart_promotion_type".into(), json!("GUIDED_CREATION"));
            m.insert("source_campaign_id".into(), json!("0"));
            m.insert("topline_id".into(), json!("0"));
            m.insert("primary_attribution".into(), json!("UNIFIED"));
        }
        Kind::AdSet => {
            let campaign = n.campaign_id.as_ref().and_then(|c| store.nodes.get(c));
            let inherited = campaign.and_then(|c| c.fields.get("bid_strategy")).cloned().unwrap_or_else(|| json!(DEFAULT_BID_STRATEGY));
            m.insert("bid_strategy".into(), inherited);
            m.insert("billing_event".into(), json!("IMPRESSIONS"));
            if asked("budget_remaining") {
                m.insert("budget_remaining".into(), json!(budget_remaining(store, n)));
            }
            m.insert("destination_type".into(), json!("UNDEFINED"));
            m.insert("attribution_spec".into(), json!([{"event_type": "CLICK_THROUGH", "window_days": 7}, {"event_type": "VIEW_THROUGH", "window_days": 1}]));
            let learned = store.now() - n.created >= Duration::days(7).num_seconds();
            m.insert("learning_stage_info".into(), json!({ "status": if learned { "SUCCESS" } else { "LEARNING" } }));
            m.insert("pacing_type".into(), json!(["standard"]));
            m.insert("start_time".into(), json!(created));
            m.insert("source_adset_id".into(), json!("0"));
        }
        Kind::Ad => {
            let set = n.adset_id.as_ref().and_then(|s| store.nodes.get(s));
            if let Some(t) = set.and_then(|s| s.fields.get("targeting")) {
                m.insert("targeting".into(), t.clone());
            }
            let creative = text_at(n, "creative/id").and_then(|c| store.nodes.get(c));
            let page = creative.and_then(|c| c.at("object_story_spec/page_id")).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
            let post = creative.and_then(|c| story_id(store, c));
            let form = creative.and_then(|c| c.at("object_story_spec/link_data/call_to_action/value/lead_gen_form_id")).cloned();
            if let (Some(page), Some(post)) = (&page, &post) {
                m.insert("tracking_specs".into(), json!([{ "action.type": ["post_engagement"], "page": [page], "post": [post] }]));
                let conversion = match &form {
                    Some(f) => json!([{ "action.type": ["leadgen"], "leadgen": [f] }]),
                    None => json!([{ "action.type": ["link_click"], "post": [post], "post.wall": [page] }]),
                };
                m.insert("conversion_specs".into(), conversion);
            }
            m.insert("preview_shareable_link".into(), json!(format!("https://fb.me/{:x}", store.hash(&[&n.id, "preview"]) % 0xFFFF_FFFF)));
            m.insert("source_ad_id".into(), json!("0"));
            m.insert("bid_type".into(), json!("ABSOLUTE_OCPM"));
        }
        Kind::Creative => {
            let link = |k: &str| n.at(&format!("object_story_spec/link_data/{k}")).cloned();
            for (member, source) in [("body", "message"), ("title", "name"), ("link_url", "link"), ("image_hash", "image_hash")] {
                if let Some(v) = link(source) {
                    m.insert(member.into(), v);
                }
            }
            if let Some(t) = link("call_to_action").and_then(|c| c.get("type").cloned()) {
                m.insert("call_to_action_type".into(), t);
            }
            m.insert("object_type".into(), json!("SHARE"));
            if let Some(story) = story_id(store, n) {
                m.insert("effective_object_story_id".into(), json!(story));
            }
            if let Some(page) = n.at("object_story_spec/page_id") {
                m.insert("actor_id".into(), json!(page.as_str().map(str::to_string).unwrap_or_else(|| page.to_string())));
            }
            m.insert("thumbnail_url".into(), json!(format!("{}/thumbnails/{}.jpg", store.cfg.base_url, n.id)));
        }
        _ => {}
    }
    m
}
