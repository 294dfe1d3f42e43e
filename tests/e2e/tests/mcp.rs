//! `/mcp`: the official MCP Python SDK drives adgate as an agent would (tests/mcp_check), and
//! what it did is checked where it lands: one Meta write for two calls with one idempotency
//! key, a held deletion that never reached Meta, audit rows marked `via: mcp`. The protocol's
//! own refusals are checked over raw HTTP.

use adgate_e2e::{json, repo_root, Connected, Resp, Value};
use std::process::Command;

const TOKEN: &str = "e2e-mcp-token-4b2d";
const DEMO: &str = "100200300";

fn rpc(c: &Connected, key: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    let mut h = vec![("Authorization", auth.as_str()), ("Accept", "application/json, text/event-stream")];
    h.extend_from_slice(headers);
    c.gw.request("POST", "/mcp", &h, Some(&body.to_string()))
}

#[test]
fn the_official_sdk_lists_calls_and_is_governed_like_http() {
    let c = Connected::start("mcp-sdk", TOKEN, &[]);
    let iid = c.connect(TOKEN);
    assert_eq!(
        c.gw.admin("POST", &format!("/v1/workspaces/{}/integrations/{iid}/bind", c.ws), Some(&json!({"account_id": format!("act_{DEMO}")}))).status,
        201
    );
    let (admin, recruiter) = (c.key("admin"), c.key("recruiter"));
    let set = c.sim.graph_get(&format!("act_{DEMO}/adsets?fields=id&limit=1"), TOKEN)["data"][0]["id"].as_str().unwrap().to_string();
    let campaign = c.sim.graph_get(&format!("act_{DEMO}/campaigns?fields=id&limit=1"), TOKEN)["data"][0]["id"].as_str().unwrap().to_string();

    let python = repo_root().join("target/check-venv/bin/python");
    assert!(python.exists(), "run scripts/setup: the MCP SDK is installed into target/check-venv");
    let out = Command::new(python)
        .arg(repo_root().join("tests/mcp_check/check_mcp.py"))
        .args([&format!("{}/mcp", c.gw.base), &admin, &recruiter, &format!("act_{DEMO}"), &set, &campaign])
        .output()
        .expect("run check_mcp.py");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null);
    assert!(out.status.success() && seen["ok"] == true, "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(seen["protocol"], "2025-11-25", "the SDK fell back from 2026-07-28 to the handshake: {seen}");
    assert!(seen["unknown_tool"].as_str().unwrap().contains("Unknown tool"), "{seen}");

    // Two calls, one key: Meta received one write; one audit row, via MCP, as the recruiter's key.
    let writes: Vec<Value> = c.sim.ledger().into_iter().filter(|e| e["method"] == "POST" && e["path"] == format!("/{set}")).collect();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(c.sim.graph_get(&format!("{set}?fields=daily_budget"), TOKEN)["daily_budget"], "5500");
    let recruiter_key =
        c.gw.query("SELECT id FROM api_keys WHERE key_hash = ?1", &[&adgate::auth::sha256_hex(&recruiter)])[0]["id"].as_str().unwrap().to_string();
    let rows = c.gw.query("SELECT actor, via, outcome, idempotency_key FROM audit_log WHERE action = 'update_ad_set_budget'", &[]);
    assert_eq!(rows, vec![json!({"actor": recruiter_key, "via": "mcp", "outcome": "succeeded", "idempotency_key": "mcp-budget-1"})]);
    // The deletion waits: pending in D1, untouched on Meta.
    let approval = seen["approval_id"].as_str().unwrap();
    assert_eq!(c.gw.query("SELECT status, action FROM approvals WHERE id = ?1", &[&approval])[0], json!({"status": "pending", "action": "delete_campaign"}));
    assert_eq!(c.sim.graph_get(&format!("{campaign}?fields=status"), TOKEN)["status"], "ACTIVE");
    let pending = c.gw.query("SELECT via FROM audit_log WHERE action = 'delete_campaign' AND outcome = 'pending_approval'", &[]);
    assert_eq!(pending, vec![json!({"via": "mcp"})]);
    assert!(seen["admin_tools"].as_array().unwrap().len() > seen["recruiter_tools"].as_array().unwrap().len());
}

#[test]
fn the_protocol_refuses_what_it_should() {
    let c = Connected::start("mcp-protocol", TOKEN, &[]);
    let admin = c.key("admin");
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let r = rpc(&c, &admin, &[], init.clone());
    assert_eq!((r.status, r.body["result"]["protocolVersion"].as_str()), (200, Some("2025-11-25")), "{}", r.text);
    let session = r.header("mcp-session-id").expect("a session id").to_string();
    let old = rpc(&c, &admin, &[], json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "1999-01-01"}}));
    assert_eq!(old.body["result"]["protocolVersion"], "2025-11-25", "an unknown version is answered with ours");

    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    assert_eq!(rpc(&c, &admin, &[], list.clone()).status, 400, "no session");
    assert_eq!(rpc(&c, &admin, &[("Mcp-Session-Id", "1.2.3")], list.clone()).status, 404, "unknown session");
    let other = c.key("admin");
    assert_eq!(rpc(&c, &other, &[("Mcp-Session-Id", &session)], list.clone()).status, 404, "another key's session");
    let ok = rpc(&c, &admin, &[("Mcp-Session-Id", &session)], list);
    assert!(ok.body["result"]["tools"].as_array().unwrap().iter().any(|t| t["name"] == "rotate_credentials"));
    let probe = rpc(&c, &admin, &[("MCP-Protocol-Version", "2026-07-28")], json!({"jsonrpc": "2.0", "id": 3, "method": "server/discover"}));
    assert_eq!((probe.status, probe.body["error"]["code"].as_i64()), (400, Some(-32_022)), "{}", probe.text);
    assert_eq!(probe.body["error"]["data"]["supported"][0], "2025-11-25");
    let note = rpc(&c, &admin, &[("Mcp-Session-Id", &session)], json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert_eq!((note.status, note.text.as_str()), (202, ""));
    let unknown = rpc(&c, &admin, &[("Mcp-Session-Id", &session)], json!({"jsonrpc": "2.0", "id": 4, "method": "resources/list"}));
    assert_eq!(unknown.body["error"]["code"], -32_601);
    let tool = rpc(
        &c,
        &admin,
        &[("Mcp-Session-Id", &session)],
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "launch_rockets", "arguments": {}}}),
    );
    assert_eq!(tool.body["error"]["code"], -32_602);
    let batch = rpc(&c, &admin, &[("Mcp-Session-Id", &session)], json!([{"jsonrpc": "2.0", "id": 6, "method": "ping"}]));
    assert_eq!(batch.body["error"]["code"], -32_600);
    assert_eq!(c.gw.request("GET", "/mcp", &[("Authorization", &format!("Bearer {admin}"))], None).status, 405);
    assert_eq!(c.gw.request("POST", "/mcp", &[], Some(&init.to_string())).status, 401, "the same keys as HTTP");
    let foreign = rpc(&c, &admin, &[("Origin", "http://evil.example")], init.clone());
    assert_eq!(foreign.status, 403);
    let wrong_accept = c.gw.request("POST", "/mcp", &[("Authorization", &format!("Bearer {admin}")), ("Accept", "text/html")], Some(&init.to_string()));
    assert_eq!(wrong_accept.status, 406);
    // Another workspace's id in the arguments is refused like over HTTP, as a tool error.
    let b = c.gw.admin("POST", "/v1/workspaces", Some(&json!({"name": "B", "currency": "USD"}))).body["id"].as_str().unwrap().to_string();
    let admin_b = c.gw.member_key(&b, "admin");
    let s2 = rpc(&c, &admin_b, &[], init).header("mcp-session-id").unwrap().to_string();
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "set_approval_thresholds",
        "arguments": {"workspace_id": c.ws, "budget_increase_pct": 5, "idempotency_key": "x-ws"}}});
    let cross = rpc(&c, &admin_b, &[("Mcp-Session-Id", &s2)], call);
    assert_eq!(
        (cross.body["result"]["isError"].as_bool(), cross.body["result"]["structuredContent"]["status"].as_i64()),
        (Some(true), Some(403)),
        "{}",
        cross.text
    );
    assert!(c.gw.query("SELECT * FROM governance_policies", &[]).is_empty());
}
