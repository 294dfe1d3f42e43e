//! Graph API versions: the shape of Meta's answers recorded per endpoint and version, drift
//! recorded once as events and shown in the digest, an upgrade planned by a shadow check and
//! applied after a second admin's approval, Meta's calendar in /health.

use adgate_e2e::{json, Connected, Resp, Value};
use std::time::Duration;

const TOKEN: &str = "e2e-versions-token-7c1d";
const ACCOUNT: &str = "555000777";
const GOVERN: &str = "admin_meta_ads_governance";

fn approve(c: &Connected, key: &str, approval: &str) -> Resp {
    c.gw.request("POST", &format!("/v1/approvals/{approval}/approve"), &[("Authorization", &format!("Bearer {key}"))], None)
}

/// Asks with `asker`, approves with `approver`, and returns the action's result.
fn approved(c: &Connected, asker: &str, approver: &str, action: &str, body: Value) -> Value {
    let asked = c.gw.act(asker, GOVERN, action, &body);
    assert_eq!(asked.status, 202, "{action} waits for a second admin: {}", asked.text);
    let approval = asked.body["approval"]["id"].as_str().unwrap().to_string();
    assert_eq!(approve(c, asker, &approval).status, 403, "nobody approves their own request");
    let done = approve(c, approver, &approval);
    assert_eq!(done.body["status"], "executed", "{}", done.text);
    done.body["result"].clone()
}

fn served_at(c: &Connected, version: &str, path_end: &str) -> usize {
    c.sim.ledger().iter().filter(|e| e["version"] == version && e["path"].as_str().is_some_and(|p| p.ends_with(path_end))).count()
}

#[test]
fn answers_are_fingerprinted_drift_recorded_and_an_upgrade_planned_then_applied_after_approval() {
    let c = Connected::start("versions", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.seed_account(ACCOUNT, TOKEN, json!({"campaigns": 2, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 5}));
    c.bind_and_backfill(TOKEN, ACCOUNT);
    let ws = c.ws.as_str();

    // What the backfill read is on record at v26.0, per endpoint and request, without its data.
    let shapes = c.gw.query("SELECT api_version, endpoint, fields_json FROM api_schemas WHERE workspace_id = ?1", &[&ws]);
    let shape = |endpoint: &str| {
        shapes.iter().find(|s| s["endpoint"] == endpoint && s["api_version"] == "v26.0").map(|s| s["fields_json"].as_str().unwrap().to_string())
    };
    let campaigns = shape("act_{id}/campaigns").expect("the campaigns' shape");
    assert!(campaigns.contains("\"name\":\"string\"") && campaigns.contains("\"special_ad_category_country\":\"array\""), "{campaigns}");
    assert!(!campaigns.contains("Campaign 1"), "a shape holds no data: {campaigns}");
    assert!(shape("act_{id}/insights").is_some_and(|s| s.contains("\"spend\":\"string\"")), "{shapes:?}");
    let drift = || c.gw.query("SELECT api_version, endpoint, kind, field FROM schema_drift_events WHERE workspace_id = ?1 ORDER BY occurred_at", &[&ws]);
    assert!(drift().is_empty(), "nothing drifted yet: {:?}", drift());

    let (alice, bob, recruiter) = (c.key("admin"), c.key("admin"), c.key("recruiter"));
    let plan = |key: &str, body: Value| c.gw.act(key, GOVERN, "plan_api_version_upgrade", &body);
    assert_eq!(plan(&recruiter, json!({"to_version": "v27.0"})).status, 403, "admins only");
    for (body, field) in [
        (json!({"to_version": "v26.0"}), "to_version"),
        (json!({"to_version": "v25.0"}), "to_version"),
        (json!({"to_version": "v27.1"}), "to_version"),
        (json!({"to_version": "x".repeat(17)}), "to_version"),
        (json!({"to_version": "v27.0", "colour": "red"}), "colour"),
        (json!({"to_version": "v27.0", "ad_account_ids": ["act_999000999"]}), "ad_account_ids"),
        (json!({"to_version": "v27.0", "ad_account_ids": vec![format!("act_{ACCOUNT}"); 21]}), "ad_account_ids"),
    ] {
        let r = plan(&alice, body.clone());
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains(field), "{body} names {field}: {}", r.text);
    }
    assert!(c.gw.query("SELECT id FROM approvals WHERE workspace_id = ?1", &[&ws]).is_empty(), "bad input asks nobody");
    // The status and the apply: admins only, and their own bad input refused by field.
    for (action, body) in [("get_api_version_status", json!({})), ("apply_api_version_upgrade", json!({"plan_id": "avp_x"}))] {
        assert_eq!(c.gw.act(&recruiter, GOVERN, action, &body).status, 403, "{action} is for admins");
    }
    for (action, body, field) in [
        ("get_api_version_status", json!({"since_hours": 0}), "since_hours"),
        ("get_api_version_status", json!({"since_hours": 2_161}), "since_hours"),
        ("get_api_version_status", json!({"colour": 1}), "colour"),
        ("apply_api_version_upgrade", json!({"plan_id": "p".repeat(65)}), "plan_id"),
        ("apply_api_version_upgrade", json!({"plan_id": "avp_x", "colour": 1}), "colour"),
        ("apply_api_version_upgrade", json!({"plan_id": "avp_not_a_plan"}), "plan_id"),
    ] {
        let r = c.gw.act(&alice, GOVERN, action, &body);
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{action} {body}: {}", r.text);
    }

    // v28.0 drops a creative field adgate mirrors: the shadow check says so and blocks.
    let mirrored = || c.gw.query("SELECT MAX(synced_at) AS at, COUNT(*) AS n FROM meta_creatives WHERE workspace_id = ?1", &[&ws]);
    let before = mirrored();
    let blocked = approved(&c, &alice, &bob, "plan_api_version_upgrade", json!({"to_version": "v28.0"}));
    assert_eq!((blocked["from_version"].as_str(), blocked["safe"].as_bool()), (Some("v26.0"), Some(false)), "{blocked}");
    let refused = blocked["blocking"].as_array().unwrap().iter().find(|b| b["at"]["endpoint"] == "act_{id}/adcreatives").expect("creatives blocked");
    assert_eq!((refused["change"].as_str(), refused["field"].as_str()), (Some("refused"), Some("url_tags")), "{refused}");
    assert!(served_at(&c, "v28.0", "/adcreatives") >= 1, "the check read at v28.0");
    assert_eq!(mirrored(), before, "a shadow check writes no mirror");
    assert!(drift().iter().any(|d| d["kind"] == "field_removed" && d["field"] == "url_tags" && d["api_version"] == "v28.0"), "{:?}", drift());
    let apply = |key: &str, plan: &str| c.gw.act(key, GOVERN, "apply_api_version_upgrade", &json!({"plan_id": plan}));
    let r = apply(&alice, blocked["id"].as_str().unwrap());
    assert_eq!(r.status, 422, "a blocked plan is not applied: {}", r.text);
    assert!(r.text.contains("plan_id") && r.text.contains("blocking"), "{}", r.text);

    // v27.0 changes nothing adgate relies on; its insights rows now name their attribution
    // setting, a field nobody asked for: drift, not a blocker.
    let safe = approved(&c, &alice, &bob, "plan_api_version_upgrade", json!({"to_version": "v27.0", "ad_account_ids": [format!("act_{ACCOUNT}")]}));
    assert_eq!(safe["safe"], true, "{safe}");
    assert!(safe["accounts"][0]["objects_and_rows_compared"].as_i64().unwrap() > 0, "{safe}");
    let drifted = drift();
    assert!(drifted.iter().any(|d| d["kind"] == "unknown_field" && d["field"] == "attribution_setting" && d["api_version"] == "v27.0"), "{drifted:?}");
    let status = |key: &str| c.gw.act(key, GOVERN, "get_api_version_status", &json!({})).body;
    let seen = status(&alice);
    assert_eq!((seen["api_version"].as_str(), seen["pinned"].as_bool()), (Some("v26.0"), Some(false)), "{seen}");
    assert_eq!(seen["drift"]["total"].as_i64(), Some(drifted.len() as i64), "{seen}");
    assert_eq!(seen["upgrade_plans"].as_array().unwrap().len(), 2, "{seen}");
    let digest = c.gw.act(&alice, GOVERN, "get_meta_api_error_digest", &json!({})).body;
    assert!(digest["schema_drift"]["total"].as_i64().unwrap() >= 2 && digest["api_version"]["version"] == "v26.0", "{digest}");

    // Applied after a second admin's approval: the workspace's calls move to v27.0.
    let applied = approved(&c, &alice, &bob, "apply_api_version_upgrade", json!({"plan_id": safe["id"]}));
    assert_eq!((applied["api_version"].as_str(), applied["previous_version"].as_str()), (Some("v27.0"), Some("v26.0")), "{applied}");
    let pin = c.gw.query("SELECT api_version, previous_version, plan_id FROM api_version_pins WHERE workspace_id = ?1", &[&ws]);
    assert_eq!(pin[0]["api_version"], "v27.0");
    let audit = c.gw.query("SELECT outcome, before_json, after_json FROM audit_log WHERE action = 'apply_api_version_upgrade' AND outcome = 'succeeded'", &[]);
    assert!(audit[0]["before_json"].as_str().unwrap().contains("v26.0") && audit[0]["after_json"].as_str().unwrap().contains("v27.0"), "{audit:?}");
    let before = served_at(&c, "v27.0", "/campaigns");
    let r = c.gw.admin("POST", &format!("/v1/accounts/act_{ACCOUNT}/sync"), Some(&json!({"kind": "structure"})));
    assert_eq!(r.status, 202, "{}", r.text);
    c.gw.wait_for("a sync at v27.0", Duration::from_secs(90), || (served_at(&c, "v27.0", "/campaigns") > before).then_some(()));
    assert_eq!(status(&alice)["api_version"], "v27.0");
    assert_eq!(apply(&alice, safe["id"].as_str().unwrap()).status, 422, "the plan was made from v26.0, no longer in use");

    // Another workspace sees none of it, and cannot apply our plan.
    let other = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "Other", "currency": "USD"})));
    let other_admin = c.gw.member_key(other.body["id"].as_str().unwrap(), "admin");
    let theirs = status(&other_admin);
    assert_eq!((theirs["api_version"].as_str(), theirs["drift"]["total"].as_i64()), (Some("v26.0"), Some(0)), "{theirs}");
    let r = apply(&other_admin, safe["id"].as_str().unwrap());
    assert_eq!(r.status, 422, "{}", r.text);
    // Nor plan over our account, nor name our workspace in any of the three.
    let r = c.gw.act(&other_admin, GOVERN, "plan_api_version_upgrade", &json!({"to_version": "v28.0", "ad_account_ids": [format!("act_{ACCOUNT}")]}));
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("ad_account_ids"), "{}", r.text);
    for (action, body) in [
        ("get_api_version_status", json!({"workspace_id": ws})),
        ("plan_api_version_upgrade", json!({"workspace_id": ws, "to_version": "v28.0"})),
        ("apply_api_version_upgrade", json!({"workspace_id": ws, "plan_id": safe["id"]})),
    ] {
        assert_eq!(c.gw.act(&other_admin, GOVERN, action, &body).status, 403, "{action} in another workspace");
    }

    // /health shows Meta's calendar for the default version.
    let health = c.gw.get("/health");
    let cal = &health.body["meta_api_version_calendar"];
    assert_eq!((cal["version"].as_str(), cal["released"].as_str()), (Some("v26.0"), Some("2026-07-29")), "{}", health.text);
    assert!(cal["newer"].as_array().unwrap().iter().any(|v| v == "v27.0"), "{cal}");
}
