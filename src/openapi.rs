//! `GET /openapi.json`: an OpenAPI 3.1 document built from the route table and the catalogue.
//! Every route is described here once (a test checks none is missing); every action gets its
//! own operation with the same input schema `/v1/actions` publishes.

use crate::actions::{catalog, Tier};
use crate::routes::{self, Route};
use serde_json::{json, Map, Value};

/// How a route is documented: its path with named parameters, a summary, the success status,
/// whether it needs a key, and its JSON body if it takes one.
struct Doc {
    route: Route,
    path: &'static str,
    summary: &'static str,
    ok: u16,
    auth: bool,
    body: Option<fn() -> Value>,
}

fn any_object() -> Value {
    json!({ "type": "object" })
}

fn workspace_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["name", "currency"], "properties": {
        "name": { "type": "string", "minLength": 1, "maxLength": 120 },
        "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
        "timezone_name": { "type": "string", "maxLength": 64 } } })
}

fn member_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["name", "email", "role"], "properties": {
        "name": { "type": "string", "minLength": 1, "maxLength": 120 },
        "email": { "type": "string", "format": "email", "maxLength": 254 },
        "role": { "enum": ["recruiter", "admin"] },
        "key_label": { "type": "string", "maxLength": 120 } } })
}

fn key_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": {
        "member_id": { "type": "string", "maxLength": 64 },
        "role": { "enum": ["recruiter", "admin"] },
        "label": { "type": "string", "minLength": 1, "maxLength": 120 },
        "scopes": { "type": "array", "maxItems": 20, "items": { "type": "string", "minLength": 1, "maxLength": 64 } } } })
}

fn account_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["account_id", "name", "currency", "timezone_name"], "properties": {
        "account_id": { "type": "string", "pattern": "^(act_)?[0-9]{1,20}$" },
        "name": { "type": "string", "minLength": 1, "maxLength": 200 },
        "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
        "timezone_name": { "type": "string", "maxLength": 64 } } })
}

fn bind_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["account_id"], "properties": { "account_id": { "type": "string", "pattern": "^(act_)?[0-9]{1,20}$" } } })
}

fn token_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["access_token"], "properties": { "access_token": { "type": "string", "minLength": 1, "maxLength": 1024 } } })
}

fn sync_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": {
        "kind": { "enum": ["structure", "insights", "all"] },
        "since": { "type": "string", "format": "date" }, "until": { "type": "string", "format": "date" } } })
}

fn ingest_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["rows"], "properties": { "rows": { "type": "array", "minItems": 1, "maxItems": 5000, "items": { "type": "object" } } } })
}

fn pipeline_events_body() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["events"], "properties": { "events": { "type": "array", "minItems": 1, "maxItems": 5000, "items": { "type": "object" } } } })
}

fn mcp_body() -> Value {
    json!({ "type": "object", "description": "One JSON-RPC 2.0 message (MCP 2025-11-25).", "required": ["jsonrpc", "method"], "properties": {
        "jsonrpc": { "const": "2.0" }, "id": { "type": ["string", "integer"] }, "method": { "type": "string", "maxLength": 100 }, "params": { "type": "object" } } })
}

const DOCS: &[Doc] = &[
    Doc {
        route: Route::Health,
        path: "/health",
        summary: "Build version, pinned Graph API version, live D1 and Durable Object checks (503 when degraded)",
        ok: 200,
        auth: false,
        body: None,
    },
    Doc { route: Route::OpenApi, path: "/openapi.json", summary: "This document", ok: 200, auth: false, body: None },
    Doc {
        route: Route::Metrics,
        path: "/metrics",
        summary: "Telemetry of every workspace in the OpenMetrics text format (the scrape key ADGATE_METRICS_KEY, or the bootstrap key)",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::CreateWorkspace,
        path: "/v1/workspaces",
        summary: "Create a workspace (bootstrap key)",
        ok: 201,
        auth: true,
        body: Some(workspace_body),
    },
    Doc { route: Route::GetWorkspace, path: "/v1/workspaces/{workspace_id}", summary: "A workspace", ok: 200, auth: true, body: None },
    Doc {
        route: Route::BindAdAccount,
        path: "/v1/workspaces/{workspace_id}/ad-accounts",
        summary: "Bind an ad account by hand (unverified)",
        ok: 201,
        auth: true,
        body: Some(account_body),
    },
    Doc {
        route: Route::ListAdAccounts,
        path: "/v1/workspaces/{workspace_id}/ad-accounts",
        summary: "The workspace's ad accounts",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::CreateApiKey,
        path: "/v1/workspaces/{workspace_id}/api-keys",
        summary: "A new key for a member (returned once)",
        ok: 201,
        auth: true,
        body: Some(key_body),
    },
    Doc {
        route: Route::ListApiKeys,
        path: "/v1/workspaces/{workspace_id}/api-keys",
        summary: "The workspace's keys (never the keys themselves)",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::RevokeApiKey,
        path: "/v1/workspaces/{workspace_id}/api-keys/{key_id}/revoke",
        summary: "Revoke a key, at once",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::CreateMember,
        path: "/v1/workspaces/{workspace_id}/members",
        summary: "Add a member with a first key (returned once)",
        ok: 201,
        auth: true,
        body: Some(member_body),
    },
    Doc { route: Route::ListMembers, path: "/v1/workspaces/{workspace_id}/members", summary: "The workspace's members", ok: 200, auth: true, body: None },
    Doc { route: Route::Me, path: "/v1/me", summary: "The presented key: its workspace, member and role", ok: 200, auth: true, body: None },
    Doc {
        route: Route::AccountFromMeta,
        path: "/v1/ad-accounts/{account_id}/meta",
        summary: "The account as Meta has it now, through its gate",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc { route: Route::GateState, path: "/v1/ad-accounts/{account_id}/gate", summary: "The account's call budget state", ok: 200, auth: true, body: None },
    Doc {
        route: Route::GateAdmit,
        path: "/v1/ad-accounts/{account_id}/gate/admit",
        summary: "Admit one Graph call by hand (bootstrap key)",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc { route: Route::ListCronRuns, path: "/v1/cron-runs", summary: "Cron ticks (bootstrap key)", ok: 200, auth: true, body: None },
    Doc { route: Route::ListSyncRuns, path: "/v1/sync-runs", summary: "Sync runs, newest first", ok: 200, auth: true, body: None },
    Doc { route: Route::ListDeadLetters, path: "/v1/dead-letters", summary: "Messages given up on (bootstrap key)", ok: 200, auth: true, body: None },
    Doc {
        route: Route::ListActions,
        path: "/v1/actions",
        summary: "The action catalogue: routers, roles, risk tiers, input schemas",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::Approve,
        path: "/v1/approvals/{approval_id}/approve",
        summary: "Approve (another person than the requester); the action then runs once",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc { route: Route::Reject, path: "/v1/approvals/{approval_id}/reject", summary: "Reject a pending approval", ok: 200, auth: true, body: None },
    Doc { route: Route::ListApprovals, path: "/v1/workspaces/{workspace_id}/approvals", summary: "The workspace's approvals", ok: 200, auth: true, body: None },
    Doc {
        route: Route::ConnectSystemUser,
        path: "/v1/workspaces/{workspace_id}/integrations",
        summary: "Connect Meta with a system-user token (sealed, never returned)",
        ok: 201,
        auth: true,
        body: Some(token_body),
    },
    Doc {
        route: Route::ListIntegrations,
        path: "/v1/workspaces/{workspace_id}/integrations",
        summary: "The workspace's integrations (no tokens)",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::IntegrationHealth,
        path: "/v1/workspaces/{workspace_id}/integrations/{integration_id}/token-health",
        summary: "Live token health from Meta",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::DiscoverAdAccounts,
        path: "/v1/workspaces/{workspace_id}/integrations/{integration_id}/adaccounts",
        summary: "The ad accounts the token can see",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::BindDiscovered,
        path: "/v1/workspaces/{workspace_id}/integrations/{integration_id}/bind",
        summary: "Bind an account the integration can see (verified)",
        ok: 201,
        auth: true,
        body: Some(bind_body),
    },
    Doc {
        route: Route::ConnectStart,
        path: "/v1/meta/connect/start",
        summary: "Meta's OAuth dialog URL, bound to this browser by a cookie",
        ok: 200,
        auth: true,
        body: None,
    },
    Doc {
        route: Route::ConnectCallback,
        path: "/v1/meta/connect/callback",
        summary: "Where Meta sends the browser back (signed state and binding cookie)",
        ok: 201,
        auth: false,
        body: None,
    },
    Doc { route: Route::StartSync, path: "/v1/accounts/{account_id}/sync", summary: "Start a sync by hand", ok: 202, auth: true, body: Some(sync_body) },
    Doc { route: Route::SyncProgress, path: "/v1/accounts/{account_id}/sync/{run_id}", summary: "A sync run's progress", ok: 200, auth: true, body: None },
    Doc {
        route: Route::IngestMetrics,
        path: "/v1/workspaces/{workspace_id}/metrics/ingest",
        summary: "Metric facts from other sources (up to 5,000 rows)",
        ok: 200,
        auth: true,
        body: Some(ingest_body),
    },
    Doc {
        route: Route::IngestPipelineEvents,
        path: "/v1/workspaces/{workspace_id}/pipeline/events",
        summary: "Applications and stage changes from recruiting systems (up to 5,000; JSON, or the same fields as text/csv)",
        ok: 200,
        auth: true,
        body: Some(pipeline_events_body),
    },
    Doc {
        route: Route::Mcp,
        path: "/mcp",
        summary: "Model Context Protocol (2025-11-25) over Streamable HTTP: the catalogue as tools",
        ok: 200,
        auth: true,
        body: Some(mcp_body),
    },
    Doc { route: Route::WebhookHandshake, path: "/webhooks/meta", summary: "Meta's subscription handshake", ok: 200, auth: false, body: None },
    Doc {
        route: Route::WebhookNotification,
        path: "/webhooks/meta",
        summary: "Meta's signed change notifications (X-Hub-Signature-256)",
        ok: 200,
        auth: false,
        body: Some(any_object),
    },
    Doc {
        route: Route::AtsWebhook,
        path: "/webhooks/ats/{connection_id}",
        summary: "A recruiting system's webhook (Greenhouse: Signature header; Lever: signature in the body), for the connection connect_ats made",
        ok: 200,
        auth: false,
        body: Some(any_object),
    },
    Doc {
        route: Route::DownloadReport,
        path: "/v1/reports/download/{link}",
        summary: "A report's CSV, streamed, by the signed link download_report gives",
        ok: 200,
        auth: false,
        body: None,
    },
];

fn problem_schema() -> Value {
    json!({ "type": "object", "required": ["type", "title", "status", "detail"], "properties": {
        "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
        "instance": { "type": "string" }, "correlation_id": { "type": "string" }, "field": { "type": "string" },
        "retry_after_seconds": { "type": "integer" } } })
}

fn problem_response(what: &str) -> Value {
    json!({ "description": what, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn ok_response(status: u16) -> Value {
    let schema = if status == 202 { json!({ "$ref": "#/components/schemas/Accepted" }) } else { json!({}) };
    json!({ "description": "Done", "content": { "application/json": { "schema": schema } } })
}

fn params_of(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        // A signed link carries its claims and signature; ids are short.
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": if name == "link" { 1024 } else { 128 } } }))
        .collect()
}

fn query_params(route: Route) -> Vec<Value> {
    let q = |name: &str, schema: Value, required: bool| json!({ "name": name, "in": "query", "required": required, "schema": schema });
    match route {
        Route::ListCronRuns | Route::ListDeadLetters => vec![q("limit", json!({ "type": "integer", "minimum": 1, "maximum": 500 }), false)],
        Route::ListSyncRuns => vec![
            q("limit", json!({ "type": "integer", "minimum": 1, "maximum": 500 }), false),
            q("ad_account_id", json!({ "type": "string", "pattern": "^(act_)?[0-9]{1,20}$" }), false),
        ],
        Route::ConnectStart => vec![q("workspace_id", json!({ "type": "string", "minLength": 1, "maxLength": 64 }), true)],
        Route::ConnectCallback => vec![q("code", json!({ "type": "string" }), false), q("state", json!({ "type": "string" }), false)],
        Route::WebhookHandshake => vec![
            q("hub.mode", json!({ "type": "string" }), false),
            q("hub.verify_token", json!({ "type": "string" }), false),
            q("hub.challenge", json!({ "type": "string" }), false),
        ],
        _ => vec![],
    }
}

fn operation(summary: &str, ok: u16, auth: bool, parameters: Vec<Value>, body: Option<Value>) -> Value {
    let mut responses = Map::new();
    responses.insert(ok.to_string(), ok_response(ok));
    responses.insert("default".into(), problem_response("A problem (RFC 9457): the field and the reason for bad input, never a secret"));
    let mut op = json!({ "summary": summary, "responses": responses });
    if !parameters.is_empty() {
        op["parameters"] = json!(parameters);
    }
    if let Some(schema) = body {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    if !auth {
        op["security"] = json!([]);
    }
    op
}

/// The action's operation: its input schema (plus `workspace_id` for the bootstrap key), the
/// `Idempotency-Key` header on mutations, 202 when it may wait for an approval.
fn action_operation(e: &catalog::Entry) -> Value {
    let meta = e.meta;
    let mut schema = (e.schema)();
    schema["properties"]["workspace_id"] = json!({ "type": "string", "minLength": 1, "maxLength": 64, "description": "Required with the bootstrap key; a workspace key acts in its own workspace." });
    let mut params = Vec::new();
    if meta.tier.is_mutation() {
        params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": true, "description": "Unique per intended change: the same key and body replay the first result.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$" } }));
    }
    let mut op = operation(meta.summary, 200, true, params, None);
    op["operationId"] = json!(format!("{}.{}", meta.router(), meta.name()));
    op["tags"] = json!([meta.router()]);
    op["description"] = json!(format!("Roles: {}. Risk tier: {}.", meta.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "), meta.tier.as_str()));
    op["requestBody"] = json!({ "required": false, "content": { "application/json": { "schema": schema } } });
    if meta.tier == Tier::ExecuteHigh || (meta.tier == Tier::ExecuteLow && meta.router() == "recruiter_paid_media") {
        op["responses"]["202"] = ok_response(202);
        op["responses"]["202"]["description"] = json!("Waiting for an approval by another person");
    }
    if meta.tier == Tier::ExecuteLow && meta.name() == "duplicate_campaign" {
        op["responses"]["201"] = ok_response(201);
    }
    if meta.name() == "create_async_report_job" {
        op["responses"]["202"] = ok_response(202);
        op["responses"]["202"]["description"] = json!("Queued: poll get_async_report_status");
    }
    op
}

pub fn document(server_url: &str) -> Value {
    let mut paths = Map::new();
    for d in DOCS {
        let (method, _, _) = routes::table().find(|(_, _, r)| *r == d.route).expect("every documented route is in the table");
        let mut params = params_of(d.path);
        params.extend(query_params(d.route));
        let mut op = operation(d.summary, d.ok, d.auth, params, d.body.map(|b| b()));
        if d.route == Route::Metrics {
            let media = crate::telemetry::openmetrics::CONTENT_TYPE.split(';').next().unwrap_or_default();
            op["responses"][d.ok.to_string()] = json!({ "description": "The exposition", "content": { media: { "schema": { "type": "string" } } } });
        }
        let item = paths.entry(d.path.to_string()).or_insert_with(|| json!({}));
        item[method.to_ascii_lowercase()] = op;
    }
    for e in catalog::ALL {
        paths.insert(format!("/v1/actions/{}/{}", e.meta.router(), e.meta.name()), json!({ "post": action_operation(e) }));
    }
    paths["/v1/reports/download/{link}"]["get"]["responses"]["200"] =
        json!({ "description": "The CSV", "content": { "text/csv": { "schema": { "type": "string" } } } });
    // The handshake echoes Meta's challenge as text; MCP answers JSON-RPC, and nothing to a notification.
    paths["/webhooks/meta"]["get"]["responses"]["200"] =
        json!({ "description": "The challenge, echoed", "content": { "text/plain": { "schema": { "type": "string" } } } });
    let rpc =
        json!({ "description": "A JSON-RPC error", "content": { "application/json": { "schema": { "type": "object", "required": ["jsonrpc", "error"] } } } });
    let mcp = &mut paths["/mcp"]["post"]["responses"];
    mcp["202"] = json!({ "description": "A notification, accepted" });
    mcp["400"] = rpc.clone();
    mcp["404"] = rpc;
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "adgate",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A governed gateway for the Meta Marketing API: every action is role-checked, policy-checked, idempotent and audited; risky ones wait for a second person.",
        },
        "servers": [{ "url": server_url }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "An adgate API key (a member's, or the bootstrap key)." } },
            "schemas": {
                "Problem": problem_schema(),
                "Accepted": { "type": "object", "description": "An approval the change waits for, or a queued job." },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_route_and_action_is_documented_once() {
        let doc = document("http://127.0.0.1:8787");
        // RunAction is documented once per action, below.
        for (method, pattern, route) in routes::table().filter(|(_, _, r)| !r.is_dev_only() && *r != Route::RunAction) {
            let found = DOCS.iter().find(|d| d.route == route).unwrap_or_else(|| panic!("{method} {pattern} is not documented"));
            let named: Vec<&str> = found.path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect();
            assert_eq!(named.join("/"), pattern, "{route:?}");
            assert!(doc["paths"][found.path][method.to_ascii_lowercase()].is_object(), "{method} {pattern}");
        }
        for e in catalog::ALL {
            let op = &doc["paths"][format!("/v1/actions/{}/{}", e.meta.router(), e.meta.name())]["post"];
            assert_eq!(op["requestBody"]["content"]["application/json"]["schema"]["properties"]["workspace_id"]["type"], "string");
            let needs_key = op["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["name"] == "Idempotency-Key" && p["required"] == true));
            assert_eq!(needs_key, e.meta.tier.is_mutation(), "{}", e.meta.name());
        }
        assert_eq!(doc["paths"]["/health"]["get"]["security"], json!([]));
        assert_eq!(
            doc["paths"]["/v1/actions/admin_meta_ads_governance/rotate_credentials"]["post"]["responses"]["202"]["description"],
            "Waiting for an approval by another person"
        );
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
