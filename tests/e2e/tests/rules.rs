//! Workspace rules end to end: created (bad ones refused naming the field), dry-run, run on new
//! data by the jobs queue after an insights sync, acting through the governed pipeline under the
//! owner (audit rows marked `rule`, approvals between two people, undo), respecting their
//! cooldown, and stopped when the owner loses access. No other member or workspace manages them.

use adgate_e2e::{json, Connected, Resp, Value};
use std::time::Duration;

const TOKEN: &str = "e2e-rules-token-5b1e";
const A: &str = "555000333";

struct Setup {
    c: Connected,
    owner: String,
    owner_member: String,
    admin: String,
    adsets: Vec<String>,
}

fn setup(name: &str) -> Setup {
    let c = Connected::start(name, TOKEN, &[("BACKFILL_ON_BIND", "true")]);
    c.sim.control(
        "POST",
        "/accounts",
        json!({"account_id": A, "campaigns": 1, "adsets_per_campaign": 2, "ads_per_adset": 1, "days": 10, "timezone_name": "UTC", "access_token": TOKEN}),
    );
    let admin = c.key("admin");
    c.bind_and_backfill(TOKEN, A);
    let adsets = c.gw.query("SELECT id FROM meta_ad_sets ORDER BY id", &[]).iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let (owner_member, owner) = c.gw.new_member(&c.ws, "recruiter");
    Setup { c, owner, owner_member, admin, adsets }
}

fn rule(adset: &str, action: Value) -> Value {
    json!({ "level": "adset", "object_ids": [adset], "window_days": 7, "match": "all",
        "conditions": [{"metric": "spend", "op": "gt", "value": 0}, {"metric": "impressions", "op": "gte", "value": 1}],
        "action": action, "schedule": {"every": "sync"}, "cooldown_minutes": 60 })
}

impl Setup {
    fn act(&self, key: &str, action: &str, body: Value) -> Resp {
        self.c.gw.act(key, "recruiter_paid_media_analytics", action, &body)
    }

    fn create(&self, name: &str, spec: Value) -> String {
        let r = self.act(&self.owner, "create_rule", json!({"ad_account_id": format!("act_{A}"), "name": name, "rule": spec}));
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["rule"]["owner_member_id"], self.owner_member.as_str());
        r.body["rule"]["id"].as_str().unwrap().to_string()
    }

    /// An insights sync, and the run of each rule on new data it starts, finished.
    fn sync_and_run(&self, rule: &str) -> Value {
        let before = self.runs(rule).len();
        let r = self.c.gw.admin("POST", &format!("/v1/accounts/act_{A}/sync"), Some(&json!({"kind": "insights"})));
        assert_eq!(r.status, 202, "{}", r.text);
        self.c.gw.wait_for("the rule's run", Duration::from_secs(120), || {
            let runs = self.runs(rule);
            (runs.len() > before && runs[0]["status"] != "queued").then(|| runs[0].clone())
        })
    }

    fn runs(&self, rule: &str) -> Vec<Value> {
        self.c.gw.query("SELECT id, trigger, status, decisions, actions, error FROM rule_runs WHERE rule_id = ?1 ORDER BY created_at DESC, id", &[&rule])
    }

    fn meta(&self, id: &str, field: &str) -> String {
        self.c.sim.graph_get(&format!("{id}?fields={field}"), TOKEN)[field].as_str().unwrap_or_default().to_string()
    }

    fn writes_since(&self, from: usize) -> Vec<Value> {
        self.c.sim.ledger()[from..].iter().filter(|e| e["method"] == "POST" && e["path"] != "/").cloned().collect()
    }
}

fn parsed(v: &Value) -> Value {
    serde_json::from_str(v.as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

#[test]
fn a_rule_pauses_through_the_pipeline_under_its_owner_rests_and_is_undone() {
    let s = setup("rules-pause");
    let target = s.adsets[0].clone();
    // Bad rules are refused at creation, naming the field.
    for (bad, field) in [
        (json!({"metric": "ctr", "op": "gt", "other_metric": "spend"}), "rule.conditions[0].other_metric"),
        (json!({"metric": "leads", "op": "lt", "value": 0}), "rule.conditions[0].op"),
        (json!({"metric": "bogus", "op": "gt", "value": 1}), "rule"),
    ] {
        let mut spec = rule(&target, json!({"kind": "pause"}));
        spec["conditions"] = json!([bad]);
        let r = s.act(&s.owner, "create_rule", json!({"ad_account_id": format!("act_{A}"), "name": "bad", "rule": spec}));
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)), "{}", r.text);
    }
    let steep = s.act(
        &s.owner,
        "create_rule",
        json!({"ad_account_id": format!("act_{A}"), "name": "steep", "rule": rule(&target, json!({"kind": "change_budget", "by_pct": 150, "ceiling_minor": 9000}))}),
    );
    // A type's bound is refused while decoding (named by the input's top field, the reason by the path).
    assert_eq!((steep.status, steep.body["field"].as_str()), (422, Some("rule")), "{}", steep.text);
    assert!(steep.body["detail"].as_str().unwrap().contains("-90 to 100"), "{}", steep.text);
    assert!(s.c.gw.query("SELECT id FROM rules", &[]).is_empty(), "nothing stored for a refused rule");

    let id = s.create("pause the first ad set", rule(&target, json!({"kind": "pause"})));
    // A dry run shows the decision and changes nothing.
    let from = s.c.sim.ledger().len();
    let dry = s.act(&s.owner, "dry_run_rule", json!({"rule_id": id}));
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body["decisions"], json!([{"object_id": target, "decision": "act", "field": "status", "from": "ACTIVE", "to": "PAUSED"}]), "{}", dry.text);
    assert!(dry.body["objects"][0]["spend_minor"].as_i64().unwrap() > 0);
    assert!(s.writes_since(from).is_empty(), "a dry run writes nothing to Meta");
    assert!(s.runs(&id).is_empty(), "nor a run");

    // New data: the run pauses the ad set on Meta, through apply_rule_action under the owner.
    let run = s.sync_and_run(&id);
    assert_eq!((run["trigger"].as_str(), run["status"].as_str()), (Some("sync"), Some("done")), "{run}");
    let actions = parsed(&run["actions"]);
    assert_eq!(actions[0]["outcome"], "done", "{actions}");
    assert_eq!(s.meta(&target, "status"), "PAUSED");
    assert_eq!(s.meta(&s.adsets[1], "status"), "ACTIVE", "outside the rule's objects");
    let audit = s.c.gw.query("SELECT actor, actor_member_id, via, outcome, external_id FROM audit_log WHERE action = 'apply_rule_action'", &[]);
    assert_eq!(
        audit,
        vec![json!({"actor": format!("rule:{id}"), "actor_member_id": s.owner_member, "via": "rule", "outcome": "succeeded", "external_id": target})]
    );
    assert_eq!(s.c.gw.query("SELECT status FROM meta_ad_sets WHERE id = ?1", &[&target])[0]["status"], "PAUSED", "the mirror follows in the same batch");

    // The next run on new data finds it paused: nothing more is sent.
    let from = s.c.sim.ledger().len();
    let again = s.sync_and_run(&id);
    assert_eq!(parsed(&again["decisions"])[0]["decision"], "skip", "{again}");
    assert!(s.writes_since(from).iter().all(|w| !w["path"].as_str().unwrap().contains(&target)), "paused once");

    // Undone by the owner with the optimisation the run recorded.
    let opt = actions[0]["optimization_id"].as_str().unwrap();
    let undo = s.act(&s.owner, "rollback_optimization", json!({"optimization_id": opt}));
    assert_eq!(undo.status, 200, "{}", undo.text);
    assert_eq!(s.meta(&target, "status"), "ACTIVE");

    // Within its cooldown the rule does not act on the object again.
    let rested = s.sync_and_run(&id);
    let d = &parsed(&rested["decisions"])[0];
    assert_eq!(d["decision"], "skip", "{rested}");
    assert!(d["reason"].as_str().unwrap().contains("cooldown"), "{d}");
    assert_eq!(s.meta(&target, "status"), "ACTIVE");

    // Another recruiter of the workspace cannot manage the owner's rule; an admin can.
    let other = s.c.key("recruiter");
    let r = s.act(&other, "pause_rule", json!({"rule_id": id}));
    assert_eq!(r.status, 403, "{}", r.text);
    let history = s.act(&other, "list_rule_runs", json!({"rule_id": id}));
    assert_eq!(history.body["runs"].as_array().map(Vec::len), Some(3), "{}", history.text);
    let paused = s.act(&s.admin, "pause_rule", json!({"rule_id": id}));
    assert_eq!((paused.status, paused.body["status"].as_str()), (200, Some("paused")), "{}", paused.text);
    assert_eq!(s.act(&s.admin, "pause_rule", json!({"rule_id": id})).status, 409, "already paused");
    let n = s.runs(&id).len();
    let r = s.c.gw.admin("POST", &format!("/v1/accounts/act_{A}/sync"), Some(&json!({"kind": "insights"})));
    assert_eq!(r.status, 202);
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(s.runs(&id).len(), n, "a paused rule does not run");

    // Another workspace knows nothing of it.
    let ws_b = s.c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "b", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let stranger = s.c.gw.member_key(&ws_b, "admin");
    for action in ["dry_run_rule", "list_rule_runs", "resume_rule", "delete_rule"] {
        let r = s.act(&stranger, action, json!({"rule_id": id}));
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some("rule_id")), "{action}: {}", r.text);
        assert!(!r.text.contains(&target));
    }
    assert_eq!(s.c.gw.query("SELECT status FROM rules WHERE id = ?1", &[&id])[0]["status"], "paused");
}

#[test]
fn a_budget_rise_waits_for_another_person_and_a_rule_stops_when_its_owner_loses_access() {
    let s = setup("rules-approval");
    let target = s.adsets[1].clone();
    let id = s.create("raise the second ad set", rule(&target, json!({"kind": "change_budget", "by_pct": 50, "ceiling_minor": 9000})));
    let run = s.sync_and_run(&id);
    let actions = parsed(&run["actions"]);
    assert_eq!(actions[0]["outcome"], "pending_approval", "a rise of 50% is above the approval threshold: {actions}");
    assert_eq!(s.meta(&target, "daily_budget"), "5000", "nothing moves before the approval");
    let approval = actions[0]["approval_id"].as_str().unwrap().to_string();
    let row = s.c.gw.query("SELECT action, requested_by, requested_by_member, status FROM approvals WHERE id = ?1", &[&approval]);
    assert_eq!(
        row[0],
        json!({"action": "apply_rule_action", "requested_by": format!("rule:{id}"), "requested_by_member": s.owner_member, "status": "pending"})
    );
    // The owner is the requester: they cannot approve their own rule's change.
    let own = s.c.gw.request("POST", &format!("/v1/approvals/{approval}/approve"), &[("Authorization", &format!("Bearer {}", s.owner))], None);
    assert_eq!(own.status, 403, "{}", own.text);
    let ok = s.c.gw.request("POST", &format!("/v1/approvals/{approval}/approve"), &[("Authorization", &format!("Bearer {}", s.admin))], None);
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(s.meta(&target, "daily_budget"), "7500");
    let opt = s.c.gw.query("SELECT field, before_value, after_value, suggestion_kind FROM optimizations WHERE object_id = ?1", &[&target]);
    assert_eq!(opt, vec![json!({"field": "daily_budget", "before_value": "5000", "after_value": "7500", "suggestion_kind": "rule"})]);

    // The owner's only key is revoked: the next run stops the rule and changes nothing.
    let key_id = s.c.gw.query("SELECT id FROM api_keys WHERE member_id = ?1", &[&s.owner_member])[0]["id"].as_str().unwrap().to_string();
    let revoked = s.c.gw.admin("POST", &format!("/v1/workspaces/{}/api-keys/{key_id}/revoke", s.c.ws), None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let from = s.c.sim.ledger().len();
    let stopped = s.sync_and_run(&id);
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    let rule = s.c.gw.query("SELECT status, status_reason FROM rules WHERE id = ?1", &[&id]);
    assert_eq!(rule[0]["status"], "stopped");
    assert!(rule[0]["status_reason"].as_str().unwrap().contains("no longer has access"), "{rule:?}");
    assert!(s.writes_since(from).iter().all(|w| !w["path"].as_str().unwrap().contains(&target)));
    assert_eq!(s.meta(&target, "daily_budget"), "7500");
    let resumed = s.act(&s.admin, "resume_rule", json!({"rule_id": id}));
    assert_eq!(resumed.status, 409, "a stopped rule stays stopped: {}", resumed.text);
}

#[test]
fn an_hourly_rule_runs_when_due_on_the_tick_and_not_before() {
    let s = setup("rules-hourly");
    // The test needs one clock hour: close to the next one, wait for it (a rule made due at the
    // turn of the hour rightly runs again).
    let into_hour = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 3600;
    if into_hour > 3600 - 120 {
        std::thread::sleep(Duration::from_secs(3600 - into_hour + 2));
    }
    let target = s.adsets[1].clone();
    let mut spec = rule(&target, json!({"kind": "pause"}));
    spec["schedule"] = json!({"every": "hour"});
    let id = s.create("hourly pause", spec);
    let next = s.c.gw.query("SELECT next_run_at FROM rules WHERE id = ?1", &[&id])[0]["next_run_at"].as_str().unwrap().to_string();
    let tick = || {
        let t = s.c.gw.get("/__scheduled?cron=*/15+*+*+*+*");
        assert_eq!(t.status, 200, "{}", t.text);
    };
    // Not due yet: a tick starts nothing.
    tick();
    std::thread::sleep(Duration::from_secs(3));
    assert!(s.runs(&id).is_empty(), "a rule not yet due does not run");
    // Due: the tick starts one run on the jobs queue, which pauses the ad set on Meta.
    s.c.gw.plant("UPDATE rules SET next_run_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1", &[&id]);
    tick();
    let run = s.c.gw.wait_for("the scheduled run", Duration::from_secs(120), || s.runs(&id).first().filter(|r| r["status"] != "queued").cloned());
    assert_eq!((run["trigger"].as_str(), run["status"].as_str()), (Some("schedule"), Some("done")), "{run}");
    assert_eq!(s.meta(&target, "status"), "PAUSED");
    let moved = s.c.gw.query("SELECT next_run_at, last_run_at FROM rules WHERE id = ?1", &[&id])[0].clone();
    assert!(moved["next_run_at"].as_str().unwrap() > "2020-01-01T00:00:00.000Z" && moved["last_run_at"].is_string(), "{moved}");
    assert!(moved["next_run_at"].as_str().unwrap() >= next.as_str(), "the next hour, not the past: {moved}");
    // Another tick within the hour: no second run.
    tick();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(s.runs(&id).len(), 1);
}
