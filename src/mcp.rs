//! The Model Context Protocol (2025-11-25, Streamable HTTP), the pure half: JSON-RPC messages,
//! the catalogue as tools, tool results from the pipeline's answers, and session ids signed
//! for the key that initialised them (so no session needs storing). The runtime adapter is
//! `runtime/handlers/mcp.rs`.

use crate::actions::catalog::Entry;
use crate::actions::Tier;
use crate::api_keys::Principal;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The revision this server speaks.
pub const PROTOCOL_VERSION: &str = "2025-11-25";
/// Revisions whose clients it serves (the tools part is the same); answered with their own.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
/// How long a session id stays valid.
pub const SESSION_SECS: i64 = 86_400;

pub const PARSE_ERROR: i64 = -32_700;
pub const INVALID_REQUEST: i64 = -32_600;
pub const METHOD_NOT_FOUND: i64 = -32_601;
pub const INVALID_PARAMS: i64 = -32_602;
/// 2026-07-28's "unsupported protocol version": a client probing for that revision falls back
/// to the handshake when `supported` names one it knows.
pub const UNSUPPORTED_VERSION: i64 = -32_022;

/// One JSON-RPC message from the client.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// None for a notification.
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

pub fn parse(body: &Value) -> Result<Message, (Value, i64, String)> {
    let id = body.get("id").cloned();
    let bad = |why: &str| (id.clone().unwrap_or(Value::Null), INVALID_REQUEST, why.to_string());
    if body.is_array() {
        return Err((Value::Null, INVALID_REQUEST, "batches are not part of this protocol revision; send one message per request".into()));
    }
    if body.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(bad("jsonrpc must be \"2.0\""));
    }
    if let Some(i) = &id {
        if !(i.is_string() || i.is_i64() || i.is_u64()) {
            return Err((Value::Null, INVALID_REQUEST, "id must be a string or an integer".into()));
        }
    }
    let method = body.get("method").and_then(Value::as_str).filter(|m| !m.is_empty() && m.len() <= 100).ok_or_else(|| bad("method is required"))?;
    let params = body.get("params").cloned().unwrap_or_else(|| json!({}));
    if !params.is_object() {
        return Err(bad("params must be an object"));
    }
    Ok(Message { id, method: method.to_string(), params })
}

pub fn result(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

pub fn error(id: &Value, code: i64, message: &str, data: Option<Value>) -> Value {
    let mut e = json!({ "code": code, "message": message });
    if let Some(d) = data {
        e["data"] = d;
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": e })
}

/// The version to answer an `initialize` with: the client's when served, else ours.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    SUPPORTED_VERSIONS.iter().find(|v| Some(**v) == requested).copied().unwrap_or(PROTOCOL_VERSION)
}

pub fn initialize_result(version: &str) -> Value {
    json!({
        "protocolVersion": version,
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "adgate", "title": "adgate: governed Meta Marketing API gateway", "version": env!("CARGO_PKG_VERSION") },
        "instructions": "Every tool is a governed adgate action, run as the API key's member: roles, workspace policies, \
            approvals and an audit row apply exactly as over HTTP. Mutations need an idempotency_key argument (reuse it to retry \
            safely). A change that needs an approval returns its approval id: follow it with get_approval_status.",
    })
}

/// Whether this principal may see and call the action.
pub fn allowed(entry: &Entry, principal: &Principal) -> bool {
    match principal {
        Principal::Bootstrap => true,
        Principal::Key { role, .. } => entry.meta.roles.contains(role),
    }
}

/// The action as an MCP tool: its input schema, plus `idempotency_key` for mutations (agents
/// cannot set headers) and `workspace_id` for the bootstrap key; annotations from its tier.
pub fn tool(entry: &Entry, principal: &Principal) -> Value {
    let meta = entry.meta;
    let mut schema = (entry.schema)();
    let mut notes = Vec::new();
    if meta.tier.is_mutation() {
        schema["properties"]["idempotency_key"] = json!({
            "type": "string", "minLength": 1, "maxLength": 200,
            "description": "Unique per intended change (1 to 200 visible ASCII characters). The same key with the same arguments returns the first result without acting again; with other arguments it is refused.",
        });
        push_required(&mut schema, "idempotency_key");
        notes.push("Needs an idempotency_key.");
    }
    if meta.tier == Tier::ExecuteHigh {
        notes.push("Always waits for an approval by another admin; the result names the approval.");
    } else if meta.tier == Tier::ExecuteLow && meta.router() == "recruiter_paid_media" {
        notes.push("Workspace policies may hold it for an approval; the result then names the approval.");
    }
    if matches!(principal, Principal::Bootstrap) {
        schema["properties"]["workspace_id"] =
            json!({ "type": "string", "minLength": 1, "maxLength": 64, "description": "The workspace to act in (the bootstrap key belongs to none)." });
        push_required(&mut schema, "workspace_id");
    }
    let read_only = matches!(meta.tier, Tier::Read | Tier::Suggest);
    json!({
        "name": meta.name(),
        "title": meta.name().replace('_', " "),
        "description": format!("{} {}", meta.summary, notes.join(" ")).trim().to_string(),
        "inputSchema": schema,
        "annotations": {
            "title": meta.name().replace('_', " "),
            "readOnlyHint": read_only,
            "destructiveHint": !read_only && meta.destructive,
            "idempotentHint": meta.idempotent(),
            "openWorldHint": !read_only,
        },
    })
}

fn push_required(schema: &mut Value, field: &str) {
    match schema["required"].as_array_mut() {
        Some(r) => r.push(json!(field)),
        None => schema["required"] = json!([field]),
    }
}

/// A tool result from the pipeline's answer: success as text and structured content; a 202 as
/// the approval it waits for (not an error); a refusal as `isError` with the field and reason.
pub fn tool_result(status: u16, body: &Value) -> Value {
    let text = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    if status == 202 && body["status"] == "pending_approval" {
        let approval = &body["approval"];
        let reasons: Vec<&str> = approval["reasons"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let said = format!(
            "Waiting for approval {} ({}). Another admin decides it; follow it with get_approval_status.",
            approval["id"].as_str().unwrap_or("?"),
            reasons.join("; ")
        );
        return json!({ "content": [{ "type": "text", "text": said }], "structuredContent": body, "isError": false });
    }
    if status >= 400 {
        let detail = body["detail"].as_str().unwrap_or("the action was refused");
        let said = match body["field"].as_str() {
            Some(f) if !detail.starts_with(f) => format!("{f}: {detail}"),
            _ => detail.to_string(),
        };
        return json!({ "content": [{ "type": "text", "text": said }], "structuredContent": body, "isError": true });
    }
    let structured = if body.is_object() { body.clone() } else { json!({ "result": body }) };
    json!({ "content": [{ "type": "text", "text": text(body) }], "structuredContent": structured, "isError": false })
}

fn session_mac(secret: &str, actor: &str, payload: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(b"adgate-mcp-session:");
    m.update(actor.as_bytes());
    m.update(b"|");
    m.update(payload.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A session id for `actor` (a key id): `{expires}.{nonce}.{mac}`, visible ASCII only.
pub fn issue_session(secret: &str, actor: &str, now_secs: i64, nonce: &str) -> String {
    let payload = format!("{}.{nonce}", now_secs + SESSION_SECS);
    format!("{payload}.{}", session_mac(secret, actor, &payload))
}

/// Whether the session id was issued to `actor` and has not expired.
pub fn session_valid(secret: &str, session: &str, actor: &str, now_secs: i64) -> bool {
    let Some((payload, mac)) = session.rsplit_once('.') else { return false };
    let expected = session_mac(secret, actor, payload);
    let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()).into();
    same && payload.split('.').next().and_then(|e| e.parse::<i64>().ok()).is_some_and(|exp| now_secs <= exp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::catalog;
    use crate::api_keys::Role;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn recruiter() -> Principal {
        Principal::Key { key_id: "key_r".into(), member_id: "mem_r".into(), workspace_id: "ws".into(), role: Role::Recruiter }
    }

    #[test]
    fn messages_parse_and_refuse_what_is_not_json_rpc() {
        let m = parse(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).unwrap();
        assert_eq!((m.id, m.method.as_str(), m.params), (Some(json!(1)), "tools/list", json!({})));
        assert_eq!(parse(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap().id, None);
        assert_eq!(parse(&json!([{"jsonrpc": "2.0"}])).unwrap_err().1, INVALID_REQUEST);
        assert_eq!(parse(&json!({"jsonrpc": "1.0", "id": 1, "method": "x"})).unwrap_err().1, INVALID_REQUEST);
        assert_eq!(parse(&json!({"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"})).unwrap_err().1, INVALID_REQUEST);
        assert_eq!(parse(&json!({"jsonrpc": "2.0", "id": 1, "method": "x", "params": [1]})).unwrap_err().1, INVALID_REQUEST);
        assert_eq!(negotiate(Some("2025-06-18")), "2025-06-18");
        assert_eq!(negotiate(Some("2024-01-01")), PROTOCOL_VERSION);
        assert_eq!(negotiate(None), PROTOCOL_VERSION);
    }

    #[test]
    fn tools_carry_the_schema_the_key_needs_and_hints_from_the_tier() {
        let r = recruiter();
        let listed: Vec<&str> = catalog::ALL.iter().filter(|e| allowed(e, &r)).map(|e| e.meta.name()).collect();
        assert!(listed.contains(&"pause_campaign") && !listed.contains(&"rotate_credentials"), "{listed:?}");
        let delete = catalog::find("recruiter_paid_media", "delete_campaign").unwrap();
        let t = tool(delete, &r);
        assert_eq!(t["annotations"]["destructiveHint"], true);
        assert_eq!(t["annotations"]["readOnlyHint"], false);
        assert!(t["inputSchema"]["required"].as_array().unwrap().contains(&json!("idempotency_key")));
        assert!(t["inputSchema"]["properties"].get("workspace_id").is_none(), "a workspace key acts in its own workspace");
        let read = tool(catalog::find("admin_meta_ads_governance", "get_audit_events").unwrap(), &Principal::Bootstrap);
        assert_eq!((read["annotations"]["readOnlyHint"].as_bool(), read["annotations"]["idempotentHint"].as_bool()), (Some(true), Some(true)));
        assert!(read["inputSchema"]["properties"].get("idempotency_key").is_none());
        assert_eq!(read["inputSchema"]["required"], json!(["workspace_id"]));
        // Tool names are unique across routers.
        let mut names: Vec<&str> = catalog::ALL.iter().map(|e| e.meta.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), catalog::ALL.len());
    }

    #[test]
    fn results_say_success_approval_or_refusal() {
        let ok = tool_result(200, &json!({"policy": "x"}));
        assert_eq!((ok["isError"].as_bool(), ok["structuredContent"]["policy"].as_str()), (Some(false), Some("x")));
        let pending = tool_result(202, &json!({"status": "pending_approval", "approval": {"id": "apr_1", "reasons": ["deleting 9 cannot be undone"]}}));
        assert_eq!(pending["isError"], false);
        assert!(
            pending["content"][0]["text"].as_str().unwrap().contains("apr_1") && pending["content"][0]["text"].as_str().unwrap().contains("cannot be undone")
        );
        let refused = tool_result(422, &json!({"status": 422, "field": "daily_budget_minor", "detail": "must be an integer from 1 to 100"}));
        assert_eq!(
            (refused["isError"].as_bool(), refused["content"][0]["text"].as_str()),
            (Some(true), Some("daily_budget_minor: must be an integer from 1 to 100"))
        );
    }

    #[test]
    fn sessions_belong_to_their_key_and_expire() {
        let s = issue_session("secret", "key_a", 1_000, "n0nce");
        assert!(s.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        assert!(session_valid("secret", &s, "key_a", 1_000 + SESSION_SECS));
        assert!(!session_valid("secret", &s, "key_a", 1_001 + SESSION_SECS));
        assert!(!session_valid("secret", &s, "key_b", 1_000), "another key cannot use it");
        assert!(!session_valid("other", &s, "key_a", 1_000));
        assert!(!session_valid("secret", "garbage", "key_a", 1_000));
    }
}
