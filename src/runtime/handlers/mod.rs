//! Request handling: correlation id, routing, authentication, dispatch, and turning every
//! failure into problem+json.

mod actions;
mod api_keys;
mod approvals;
mod body;
mod dev;
mod gate;
mod health;
mod ingest;
mod integrations;
mod ledgers;
mod mcp;
mod members;
mod metrics;
mod reports;
pub(crate) mod sync;
pub(crate) mod webhooks;
mod workspaces;

use super::context::{json_response, problem_response, HandlerError, HandlerResult, RequestContext};
use super::env::env_text;
use crate::api_keys::{Need, Principal};
use crate::auth;
use crate::correlation;
use crate::problem::Problem;
use crate::routes::{self, Route, RouteMatch};
use worker::{console_error, Env, Request, Response};

/// Serves one request. Never fails: every error becomes a problem+json response, and every
/// response carries the correlation id.
pub async fn serve(req: Request, env: Env) -> Response {
    let correlation_id = correlation::resolve(req.headers().get(correlation::HEADER).ok().flatten().as_deref());
    let path = req.path();
    let method = req.method().to_string();
    let dev_routes = env_text(&env, "ADGATE_ENV").as_deref() == Some("local");
    let ctx = RequestContext { services: super::services::Services::for_request(env, correlation_id), path, dev_routes };

    let outcome = match routes::resolve(&method, &ctx.path, ctx.dev_routes) {
        RouteMatch::NotFound => Err(Problem::not_found(&ctx.path).into()),
        RouteMatch::MethodNotAllowed { allowed } => Err(Problem::method_not_allowed(&method, &ctx.path, &allowed).into()),
        RouteMatch::Found { route, params } => dispatch(route, &params, req, &ctx).await,
    };
    let response = match outcome {
        Ok(resp) => Ok(resp),
        Err(failure) => match failure.to_problem() {
            Some(p) => problem_response(&p.with_context(&ctx.path, &ctx.correlation_id)),
            None => {
                console_error!("internal error [{}] {} {}: {}", ctx.correlation_id, method, ctx.path, failure.summary());
                problem_response(&Problem::internal().with_context(&ctx.path, &ctx.correlation_id))
            }
        },
    };
    let mut response = with_correlation(response, &ctx.correlation_id);
    if ctx.dev_routes {
        // A local gateway says how many storage round trips the request made (for scripts/bench).
        let _ = response.headers_mut().set("X-Adgate-Storage-Trips", &ctx.trips().to_string());
    }
    response
}

fn with_correlation(response: worker::Result<Response>, correlation_id: &str) -> Response {
    let mut resp = response.unwrap_or_else(|e| {
        console_error!("could not build a response [{correlation_id}]: {e}");
        Response::error("internal error", 500).expect("a plain response always builds")
    });
    // Responses passed through from a Durable Object have immutable headers: copy them first.
    if resp.headers_mut().set(correlation::HEADER, correlation_id).is_err() {
        let headers = resp.headers().clone();
        let _ = headers.set(correlation::HEADER, correlation_id);
        resp = resp.with_headers(headers);
    }
    resp
}

async fn dispatch(route: Route, params: &[String], req: Request, ctx: &RequestContext) -> HandlerResult {
    let principal = match route {
        // The callback is reached by the admin's browser from Meta; its signed state authenticates it.
        // Meta's webhooks are authenticated by the verify token and the body's signature.
        // The API description is public, like the health check.
        Route::Health
        | Route::OpenApi
        | Route::DevFail
        | Route::DevPanic
        | Route::DevQueueSend
        // The scrape key is checked by the handler (or, failing it, the bootstrap key).
        | Route::Metrics
        | Route::ConnectCallback
        | Route::WebhookHandshake
        | Route::WebhookNotification
        // A recruiting system's webhook is authenticated by its connection's signature.
        | Route::AtsWebhook
        // A report's download link is its own credential (signed, expiring).
        | Route::DownloadReport => Principal::Bootstrap,
        _ => authenticate(&req, ctx).await?,
    };
    let p = &principal;
    let param = |i: usize| params.get(i).map(String::as_str).unwrap_or_default();
    let need = |n: Need| crate::api_keys::authorize(p, n).map_err(|d| HandlerError::from(Problem::forbidden(d.0)));
    match route {
        Route::Health => health::health(ctx).await,
        Route::Metrics => metrics::scrape(&req, ctx).await,
        Route::OpenApi => {
            let origin = req.url()?.origin().ascii_serialization();
            json_response(200, &crate::openapi::document(&origin))
        }
        Route::CreateWorkspace => {
            need(Need::Bootstrap)?;
            workspaces::create_workspace(req, ctx, p).await
        }
        Route::GetWorkspace => {
            need(Need::Member(param(0)))?;
            workspaces::get_workspace(ctx, param(0)).await
        }
        Route::BindAdAccount => {
            need(Need::Admin(param(0)))?;
            workspaces::bind_ad_account(req, ctx, p, param(0)).await
        }
        Route::ListAdAccounts => {
            need(Need::Member(param(0)))?;
            workspaces::list_ad_accounts(ctx, param(0)).await
        }
        Route::CreateApiKey => {
            need(Need::Admin(param(0)))?;
            api_keys::create(req, ctx, p, param(0)).await
        }
        Route::ListApiKeys => {
            need(Need::Admin(param(0)))?;
            api_keys::list(ctx, param(0)).await
        }
        Route::CreateMember => members::create(req, ctx, p, param(0)).await,
        Route::ListMembers => {
            need(Need::Admin(param(0)))?;
            members::list(ctx, param(0)).await
        }
        Route::Me => members::me(ctx, p).await,
        Route::RevokeApiKey => {
            need(Need::Admin(param(0)))?;
            api_keys::revoke(ctx, p, param(0), param(1)).await
        }
        Route::AccountFromMeta => integrations::account_from_meta(ctx, p, param(0)).await,
        Route::GateState => gate::state(ctx, p, param(0)).await,
        Route::GateAdmit => {
            // Spending an account's budget by hand is for platform operators only.
            need(Need::Bootstrap)?;
            gate::admit(ctx, p, param(0)).await
        }
        Route::ListCronRuns => {
            need(Need::Bootstrap)?;
            ledgers::cron_runs(&req, ctx).await
        }
        Route::ListSyncRuns => ledgers::sync_runs(&req, ctx, p).await,
        Route::ListDeadLetters => {
            need(Need::Bootstrap)?;
            ledgers::dead_letters(&req, ctx).await
        }
        Route::ListActions => actions::list().await,
        Route::RunAction => actions::run(req, ctx, p, param(0), param(1)).await,
        Route::Approve => approvals::approve(ctx, p, param(0)).await,
        Route::Reject => approvals::reject(ctx, p, param(0)).await,
        Route::ListApprovals => {
            need(Need::Admin(param(0)))?;
            crate::db::workspaces::must_exist(&ctx.services, param(0)).await?;
            approvals::list(ctx, param(0)).await
        }
        Route::ConnectSystemUser => {
            need(Need::Admin(param(0)))?;
            integrations::connect_system_user(req, ctx, p, param(0)).await
        }
        Route::ListIntegrations => {
            need(Need::Admin(param(0)))?;
            integrations::list(ctx, param(0)).await
        }
        Route::IntegrationHealth => {
            need(Need::Admin(param(0)))?;
            integrations::health(ctx, param(0), param(1)).await
        }
        Route::DiscoverAdAccounts => {
            need(Need::Admin(param(0)))?;
            integrations::discover(ctx, param(0), param(1)).await
        }
        Route::BindDiscovered => {
            need(Need::Admin(param(0)))?;
            integrations::bind(req, ctx, p, param(0), param(1)).await
        }
        Route::ConnectStart => integrations::connect_start(&req, ctx, p).await,
        Route::ConnectCallback => integrations::connect_callback(&req, ctx).await,
        Route::StartSync => sync::manual(req, ctx, p, param(0)).await,
        Route::SyncProgress => sync::progress(ctx, p, param(0), param(1)).await,
        Route::IngestMetrics => {
            need(Need::Member(param(0)))?;
            ingest::ingest(req, ctx, p, param(0)).await
        }
        Route::IngestPipelineEvents => {
            need(Need::Member(param(0)))?;
            ingest::pipeline_events(req, ctx, p, param(0)).await
        }
        Route::Mcp => mcp::serve(req, ctx, p).await,
        Route::WebhookHandshake => webhooks::handshake(&req, ctx),
        Route::WebhookNotification => webhooks::notification(req, ctx).await,
        Route::AtsWebhook => ingest::ats_webhook(req, ctx, param(0)).await,
        Route::DownloadReport => reports::download(ctx, param(0)).await,
        Route::DevQueueSend => dev::queue_send(req, ctx).await,
        Route::DevFail => dev::fail(),
        Route::DevPanic => dev::panic(),
    }
}

/// Resolves the bearer key: the bootstrap admin key (from the `ADGATE_BOOTSTRAP_KEY` secret,
/// compared in constant time), or a workspace key found by its SHA-256 hash. Unknown or revoked
/// keys are 401, or 429 once the client has spent its budget of failures (a valid key is
/// always evaluated first, so it is never refused); the key itself is never logged or echoed.
pub(crate) async fn authenticate(req: &Request, ctx: &RequestContext) -> Result<Principal, HandlerError> {
    let header = req.headers().get("Authorization").ok().flatten();
    let presented = auth::bearer_token(header.as_deref()).ok_or_else(|| HandlerError::from(Problem::unauthorized()))?;
    if let Some(expected) = ctx.var("ADGATE_BOOTSTRAP_KEY").filter(|k| k.len() >= auth::MIN_KEY_LEN) {
        if auth::key_matches(presented, &expected) {
            return Ok(Principal::Bootstrap);
        }
    }
    if let Some(p) = api_keys::principal_for(ctx, presented).await? {
        return Ok(p);
    }
    let client = crate::auth_throttle::client_key(req.headers().get("CF-Connecting-IP").ok().flatten().as_deref());
    ctx.trip();
    match crate::runtime::services::gate::auth_failure(&ctx.env, &client).await {
        Some(wait_ms) => {
            Err(Problem::rate_limited("too many failed authentications from this client; wait before trying again", (wait_ms as u64).div_ceil(1_000).max(1))
                .into())
        }
        None => Err(Problem::unauthorized().into()),
    }
}
