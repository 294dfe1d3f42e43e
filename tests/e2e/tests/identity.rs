//! Workspace API keys: shown once, stored only as hashes, roles and workspaces enforced,
//! revocation immediate, and key material nowhere in D1 or the logs.

use adgate_e2e::{json, Gateway, Resp, Value};

fn with_key(gw: &Gateway, key: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
    let auth = format!("Bearer {key}");
    let text = body.map(|b| b.to_string());
    gw.request(method, path, &[("Authorization", &auth)], text.as_deref())
}

fn workspace(gw: &Gateway, name: &str) -> String {
    let r = gw.admin("POST", "/v1/workspaces", Some(&json!({"name": name, "currency": "USD"})));
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn key(gw: &Gateway, caller: Option<&str>, ws: &str, role: &str) -> Resp {
    let body = json!({"role": role, "label": format!("{role} key")});
    match caller {
        None => gw.admin("POST", &format!("/v1/workspaces/{ws}/api-keys"), Some(&body)),
        Some(k) => with_key(gw, k, "POST", &format!("/v1/workspaces/{ws}/api-keys"), Some(body)),
    }
}

/// Adds a member (a person) and returns the response; its first key is under `key`.
fn member(gw: &Gateway, caller: Option<&str>, ws: &str, role: &str, email: &str) -> Resp {
    let body = json!({"name": format!("{role} of {ws}"), "email": email, "role": role, "key_label": format!("{role} key")});
    match caller {
        None => gw.admin("POST", &format!("/v1/workspaces/{ws}/members"), Some(&body)),
        Some(k) => with_key(gw, k, "POST", &format!("/v1/workspaces/{ws}/members"), Some(body)),
    }
}

#[test]
fn keys_are_shown_once_hashed_at_rest_and_enforce_role_and_workspace() {
    let gw = Gateway::start("identity");
    let (a, b) = (workspace(&gw, "Alpha"), workspace(&gw, "Beta"));
    let created = member(&gw, None, &a, "admin", "ann@alpha.test");
    assert_eq!(created.status, 201, "{}", created.text);
    let admin_a = created.body["key"]["key"].as_str().unwrap().to_string();
    let admin_a_id = created.body["key"]["id"].as_str().unwrap().to_string();
    assert!(admin_a.starts_with(created.body["key"]["prefix"].as_str().unwrap()));
    let recruiter_a = member(&gw, Some(&admin_a), &a, "recruiter", "rob@alpha.test").body["key"]["key"].as_str().unwrap().to_string();
    let admin_b = member(&gw, None, &b, "admin", "bea@beta.test").body["key"]["key"].as_str().unwrap().to_string();

    // At rest: the hash, never the key; listings never show either.
    let rows = gw.query("SELECT key_hash, prefix, role FROM api_keys WHERE workspace_id = ?1 ORDER BY role", &[&a]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["key_hash"], adgate::auth::sha256_hex(&admin_a));
    let listed = with_key(&gw, &admin_a, "GET", &format!("/v1/workspaces/{a}/api-keys"), None);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert!(!listed.text.contains(&admin_a) && !listed.text.contains("key_hash"));

    // Roles.
    assert_eq!(with_key(&gw, &recruiter_a, "GET", &format!("/v1/workspaces/{a}"), None).status, 200);
    let bind = json!({"account_id": "act_7001", "name": "Drivers", "currency": "USD", "timezone_name": "UTC"});
    let r = with_key(&gw, &recruiter_a, "POST", &format!("/v1/workspaces/{a}/ad-accounts"), Some(bind.clone()));
    assert_eq!((r.status, r.content_type.as_str()), (403, "application/problem+json"), "{}", r.text);
    assert_eq!(key(&gw, Some(&recruiter_a), &a, "admin").status, 403, "a recruiter cannot mint keys");
    assert_eq!(member(&gw, Some(&recruiter_a), &a, "recruiter", "x@alpha.test").status, 403, "nor add members");
    let r = with_key(&gw, &admin_a, "POST", &format!("/v1/workspaces/{a}/ad-accounts"), Some(bind));
    assert_eq!(r.status, 201, "{}", r.text);
    let audit = gw.query("SELECT actor FROM audit_log WHERE action = 'bind_ad_account'", &[]);
    assert_eq!(audit[0]["actor"], admin_a_id.as_str(), "audit names the key id");

    // Workspaces.
    assert_eq!(with_key(&gw, &admin_b, "GET", &format!("/v1/workspaces/{a}"), None).status, 403);
    assert_eq!(with_key(&gw, &admin_b, "GET", &format!("/v1/workspaces/{a}/ad-accounts"), None).status, 403);
    assert_eq!(with_key(&gw, &admin_b, "POST", "/v1/ad-accounts/act_7001/gate/admit", None).status, 403);
    assert_eq!(with_key(&gw, &admin_a, "POST", "/v1/ad-accounts/act_7001/gate/admit", None).status, 403, "spending a budget by hand is for operators");
    assert_eq!(gw.admin("POST", "/v1/ad-accounts/act_7001/gate/admit", None).status, 200);
    assert_eq!(with_key(&gw, &admin_a, "POST", "/v1/workspaces", Some(json!({"name": "x", "currency": "USD"}))).status, 403);
    assert_eq!(with_key(&gw, &admin_a, "GET", "/v1/cron-runs", None).status, 403, "platform ledgers need the bootstrap key");

    // Revocation is immediate; use is recorded.
    let recruiter_id = gw.query("SELECT id FROM api_keys WHERE role = 'recruiter'", &[])[0]["id"].as_str().unwrap().to_string();
    let r = with_key(&gw, &admin_a, "POST", &format!("/v1/workspaces/{a}/api-keys/{recruiter_id}/revoke"), None);
    assert!(r.body["revoked_at"].is_string(), "{}", r.text);
    assert_eq!(with_key(&gw, &recruiter_a, "GET", &format!("/v1/workspaces/{a}"), None).status, 401);
    let used = gw.query("SELECT last_used_at FROM api_keys WHERE id = ?1", &[&admin_a_id]);
    assert!(used[0]["last_used_at"].is_string());

    // Bad input names the field.
    let r = gw.admin("POST", &format!("/v1/workspaces/{a}/api-keys"), Some(&json!({"role": "owner"})));
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("role")));

    // No key material anywhere in D1 or in the gateway's log.
    let conn = gw.d1();
    let mut tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
    let names: Vec<String> = tables.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    for t in names {
        for row in gw.query(&format!("SELECT * FROM \"{t}\""), &[]) {
            let text = row.to_string();
            for k in [&admin_a, &recruiter_a, &admin_b] {
                assert!(!text.contains(k.as_str()), "key material in table {t}");
            }
        }
    }
    let log = gw.log_text();
    assert!(![&admin_a, &recruiter_a, &admin_b].iter().any(|k| log.contains(k.as_str())));
}
