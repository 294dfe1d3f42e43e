//! The console in headless Chromium (tests/console/journeys.mjs with playwright-core and the
//! system browser) against a real gateway and the simulator; each journey's outcome is checked
//! in D1 and the simulator's ledger, and every request the pages made against the catalogue.

use adgate_e2e::{repo_root, Connected, Gateway};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::Command;

const TOKEN: &str = "e2e-console-token-7c21";
const ACCOUNT: &str = "770011";

/// Runs one phase of the journeys and returns what it printed.
fn journey(gw: &Gateway, phase: &str, env: &[(&str, &str)]) -> Value {
    let shots = repo_root().join("target/console-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(repo_root().join("tests/console/journeys.mjs"))
        .arg(phase)
        .env("ADGATE_URL", &gw.base)
        .env("SHOTS", &shots)
        .envs(env.iter().copied())
        .current_dir(repo_root())
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_else(|| panic!("{phase}: no output; stderr: {}", String::from_utf8_lossy(&out.stderr)));
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{phase}: {e}: {text}"));
    assert!(v["error"].is_null(), "{phase} failed in the browser: {}", v["error"]);
    assert!(v["page_errors"].is_null(), "{phase}: script errors on the page: {}", v["page_errors"]);
    assert_eq!(v["shown"]["url_has_key"], false, "the key never rides in a URL");
    v
}

#[test]
fn people_build_approve_read_and_are_refused_in_the_console_as_the_catalogue_allows() {
    let c = Connected::start("console", TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.seed_account(ACCOUNT, TOKEN, json!({"campaigns": 2, "adsets_per_campaign": 1, "ads_per_adset": 1, "days": 10}));
    c.bind_and_backfill(TOKEN, ACCOUNT);
    let (recruiter, admin) = (c.key("recruiter"), c.key("admin"));
    let keys = [("RECRUITER_KEY", recruiter.as_str()), ("ADMIN_KEY", admin.as_str())];
    let mut requests: Vec<Value> = Vec::new();

    // A recruiter builds, validates and launches (double-clicked): the first launch waits for approval.
    let built = journey(&c.gw, "build", &keys);
    // Input decoding names the top-level field of a nested refusal (here `campaign`), so the reason
    // shows at that fieldset.
    assert_eq!(built["shown"]["field_error"], "campaign", "a refused value is shown at its field: {}", built["shown"]);
    assert!(built["shown"]["field_error_text"].as_str().unwrap().contains("country code"), "{}", built["shown"]["field_error_text"]);
    assert_eq!(built["shown"]["valid"], true, "{}", built["shown"]);
    assert!(built["shown"]["held"].as_str().unwrap().contains("first"), "the reasons are shown: {}", built["shown"]["held"]);
    let launches: Vec<&Value> =
        built["requests"].as_array().unwrap().iter().filter(|r| r["path"] == "/v1/actions/recruiter_paid_media/launch_campaign_draft").collect();
    assert!(
        !launches.is_empty() && launches.iter().all(|r| r["idempotency_key"] == launches[0]["idempotency_key"] && r["idempotency_key"].is_string()),
        "{launches:?}"
    );
    let pending = c.gw.query("SELECT id, status, requested_by FROM approvals WHERE action = 'launch_campaign_draft'", &[]);
    assert_eq!(pending.len(), 1, "the double click asked once: {pending:?}");
    assert_eq!(pending[0]["status"], "pending");
    assert!(c.sim.creates().is_empty(), "nothing is created on Meta before the approval");
    let drafts = c.gw.query("SELECT id, status, revision FROM campaign_drafts WHERE workspace_id = ?1", &[&c.ws]);
    assert_eq!((drafts.len(), drafts[0]["revision"].as_i64()), (1, Some(3)), "campaign, creative and ad set saved as revisions: {drafts:?}");
    requests.extend(built["requests"].as_array().unwrap().iter().cloned());

    // An admin approves it in the queue: Meta gets the tree once, ACTIVE; the timeline shows it.
    let approved = journey(&c.gw, "approve", &keys);
    assert_eq!(approved["shown"]["approval"], pending[0]["id"]);
    assert_eq!(c.gw.query("SELECT status FROM approvals WHERE id = ?1", &[&pending[0]["id"].as_str().unwrap()])[0]["status"], "executed");
    let mut made = c.sim.creates();
    made.sort();
    assert_eq!(made, ["/adcreatives", "/ads", "/adsets", "/campaigns"], "each object created once");
    let campaign = c.gw.query("SELECT meta_id FROM campaign_draft_objects WHERE key = 'campaign'", &[])[0]["meta_id"].as_str().unwrap().to_string();
    assert_eq!(c.sim.graph_get(&format!("{campaign}?fields=status"), TOKEN)["status"], "ACTIVE");
    assert!(approved["shown"]["audit"].as_array().unwrap().contains(&json!("launch_campaign_draft:succeeded")), "{}", approved["shown"]["audit"]);
    requests.extend(approved["requests"].as_array().unwrap().iter().cloned());

    // The dashboard's spend equals the simulator's truth over the same days.
    // Up to yesterday: today's figures still move on Meta while the test runs.
    let days = c.gw.query(
        "SELECT MIN(date) AS a, (SELECT MAX(date) FROM insights_daily WHERE ad_account_id = ?1 AND date < (SELECT MAX(date) FROM insights_daily WHERE ad_account_id = ?1)) AS b \
         FROM insights_daily WHERE ad_account_id = ?1 AND level = 'account'",
        &[&ACCOUNT],
    );
    let (since, until) = (days[0]["a"].as_str().unwrap().to_string(), days[0]["b"].as_str().unwrap().to_string());
    let (truth, ours) = c.days_against_truth(ACCOUNT, &since, &until);
    assert_eq!(truth, ours, "the mirror holds Meta's truth");
    let spend: i64 = truth.iter().map(|d| d[2].as_i64().unwrap()).sum();
    assert!(spend > 0);
    let board = journey(&c.gw, "dashboard", &[keys[0], ("SINCE", &since), ("UNTIL", &until)]);
    assert_eq!(board["shown"]["spend_minor"].as_i64(), Some(spend), "the dashboard shows Meta's spend to the cent");
    assert!(board["shown"]["freshness"].as_str().unwrap().starts_with("Last updated"), "{}", board["shown"]["freshness"]);
    requests.extend(board["requests"].as_array().unwrap().iter().cloned());

    // A recruiter sees no admin page, and a forged admin call from the page gets 403.
    let refused = journey(&c.gw, "forbidden", &keys);
    assert_eq!(refused["shown"]["surfaces"], json!(["outreach", "analytics"]));
    assert_ne!(refused["shown"]["landed_on"], "approvals");
    assert_eq!(refused["shown"]["forged_status"], 403);
    let catalogue = c.gw.admin("GET", "/v1/actions", None).body["data"].as_array().unwrap().clone();
    let admin_only: BTreeSet<String> = catalogue
        .iter()
        .filter(|a| a["roles"] == json!(["admin"]))
        .map(|a| format!("{}/{}", a["router"].as_str().unwrap(), a["action"].as_str().unwrap()))
        .collect();
    let offered: Vec<&str> = refused["shown"]["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(offered.iter().all(|a| !admin_only.contains(*a)), "a recruiter is offered no admin action: {offered:?}");
    assert_eq!(c.gw.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'set_daily_budget_caps' AND outcome = 'succeeded'", &[])[0]["n"], 0);

    // Parity: every catalogue action is reachable from a page, and the pages called nothing else.
    let parity = journey(&c.gw, "parity", &keys);
    requests.extend(parity["requests"].as_array().unwrap().iter().cloned());
    let mut reachable: BTreeSet<String> = BTreeSet::new();
    for shown in [&parity["shown"]["reachable"], &built["shown"]["reachable"]] {
        for list in shown.as_object().unwrap().values() {
            reachable.extend(list.as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()));
        }
    }
    let all: BTreeSet<String> = catalogue.iter().map(|a| format!("{}/{}", a["router"].as_str().unwrap(), a["action"].as_str().unwrap())).collect();
    let missing: Vec<&String> = all.difference(&reachable).collect();
    assert!(missing.is_empty(), "catalogue actions no page offers: {missing:?}");
    let unknown: Vec<&String> = reachable.difference(&all).collect();
    assert!(unknown.is_empty(), "pages offer actions the catalogue lacks: {unknown:?}");
    let documented: Vec<String> = c.gw.get("/openapi.json").body["paths"].as_object().unwrap().keys().cloned().collect();
    let matches = |pattern: &str, path: &str| {
        let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
        p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| a.starts_with('{') || a == b)
    };
    for r in &requests {
        let path = r["path"].as_str().unwrap();
        if let Some(action) = path.strip_prefix("/v1/actions/") {
            assert!(all.contains(action), "the console called {path}, not a catalogue action");
        } else {
            assert!(documented.iter().any(|d| matches(d, path)), "the console called {path}, not a documented route");
        }
    }
    for shot in ["outreach-wizard", "outreach-launch-held", "admin-approvals", "admin-audit", "analytics-dashboard", "admin-keys"] {
        assert!(repo_root().join(format!("target/console-shots/{shot}.png")).exists(), "screenshot {shot}");
    }
}

#[test]
fn me_names_the_keys_workspace_and_role_and_nothing_else() {
    let gw = Gateway::start("console-me");
    let ws = |name: &str| gw.admin("POST", "/v1/workspaces", Some(&json!({"name": name, "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let (a, b) = (ws("A"), ws("B"));
    let (member, key) = gw.new_member(&a, "recruiter");
    let me_with = |auth: &str| gw.request("GET", "/v1/me", &[("Authorization", auth)], None);
    let me = me_with(&format!("Bearer {key}"));
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(
        (me.body["workspace_id"].as_str(), me.body["role"].as_str(), me.body["member_id"].as_str()),
        (Some(a.as_str()), Some("recruiter"), Some(member.as_str()))
    );
    assert!(!me.text.contains(&key) && !me.text.contains(&b), "never the key, never another workspace");
    let other = gw.member_key(&b, "admin");
    assert_eq!(me_with(&format!("Bearer {other}")).body["workspace_id"], b.as_str());
    for bad in ["", "Bearer adg_00000000_not-a-key", "Basic eDp5"] {
        let r = me_with(bad);
        assert_eq!(r.status, 401, "{}", r.text);
        assert!(r.header("content-type").is_some_and(|t| t.starts_with("application/problem+json")));
    }
    let key_id = me.body["key_id"].as_str().unwrap().to_string();
    assert_eq!(gw.admin("POST", &format!("/v1/workspaces/{a}/api-keys/{key_id}/revoke"), None).status, 200);
    assert_eq!(me_with(&format!("Bearer {key}")).status, 401, "a revoked key is no one");
    // The console itself is served as static files with its security headers.
    let page = gw.get("/console/");
    assert_eq!(page.status, 200);
    assert!(page.text.contains("app.js"), "{}", page.text);
    assert!(page.header("content-security-policy").is_some_and(|c| c.contains("default-src 'self'")), "{:?}", page.header("content-security-policy"));
}
