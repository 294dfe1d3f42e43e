//! `GET /health`: the build, the default Graph API version with its end of life, and live checks of D1 and the
//! Durable Object namespace.

use crate::config;
use crate::runtime::context::{json_response, HandlerResult, RequestContext};
use crate::runtime::d1::now_millis;
use crate::runtime::services::gate::gate_stub_fetch;
use serde_json::{json, Value};

pub async fn health(ctx: &RequestContext) -> HandlerResult {
    // Independent checks, run concurrently so /health costs the slower of the two, not the sum.
    let (d1, durable_object) = futures::join!(check_d1(ctx), check_durable_object(ctx));
    let healthy = d1["ok"] == true && durable_object["ok"] == true;
    let meta_api_version = ctx.var("META_API_VERSION").unwrap_or_else(|| config::DEFAULT_META_API_VERSION.into());
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": config::BUILD_VERSION,
        "meta_api_version": meta_api_version,
        "meta_api_version_valid": config::parse_meta_api_version(&meta_api_version).is_ok(),
        // Meta's calendar for the default version: its end of life, and the 90-day warning.
        "meta_api_version_calendar": crate::api_versions::standing(&meta_api_version, crate::timefmt::date_from_millis(now_millis())),
        "checks": { "d1": d1, "durable_object": durable_object },
    });
    json_response(if healthy { 200 } else { 503 }, &body)
}

/// Reads the migrations ledger and a foundation table, so a database without the schema fails.
async fn check_d1(ctx: &RequestContext) -> Value {
    let started = now_millis();
    ctx.trip();
    let result: worker::Result<Option<Value>> = async {
        let db = ctx.env.d1("DB")?;
        db.prepare("SELECT (SELECT COUNT(*) FROM d1_migrations) AS migrations, (SELECT COUNT(*) FROM workspaces) AS workspaces").first::<Value>(None).await
    }
    .await;
    match result {
        Ok(Some(row)) => json!({
            "ok": true,
            "migrations_applied": row["migrations"],
            "workspaces": row["workspaces"],
            "latency_ms": now_millis() - started,
        }),
        Ok(None) => json!({ "ok": false, "error": "D1 returned no row" }),
        Err(e) => json!({ "ok": false, "error": format!("D1 query failed: {e}") }),
    }
}

/// Asks a dedicated gate instance to answer from its SQLite storage.
async fn check_durable_object(ctx: &RequestContext) -> Value {
    let started = now_millis();
    ctx.trip();
    match gate_stub_fetch(&ctx.env, "health", "ping", "GET").await {
        Ok(mut resp) if resp.status_code() == 200 => match resp.json::<Value>().await {
            Ok(body) => {
                json!({ "ok": body["storage"] == "sqlite", "storage": body["storage"], "latency_ms": now_millis() - started })
            }
            Err(e) => json!({ "ok": false, "error": format!("unreadable reply: {e}") }),
        },
        Ok(resp) => json!({ "ok": false, "error": format!("status {}", resp.status_code()) }),
        Err(e) => json!({ "ok": false, "error": e.to_string() }),
    }
}
