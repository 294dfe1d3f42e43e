//! The thin layer that touches `worker` types: entry points, D1, the queue, the Durable Object
//! stub. Decisions are made by the pure modules at the crate root.

mod clock;
mod context;
mod d1;
mod env;
mod graph_fetch;
pub(crate) mod handlers;
pub(crate) mod jobs;
mod queue_consumer;
mod scheduled;
mod services;
mod sync_job;

use worker::{event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(start)]
fn start() {
    // Chain onto the hook workers-rs installed (it marks the instance for re-initialisation):
    // log the panic with its stack, then tell src/entry.mjs, whose pending requests would
    // otherwise never settle once the wasm instance has trapped.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        console_error_panic_hook::hook(info);
        previous(info);
        notify_entry_of_panic();
    }));
}

fn notify_entry_of_panic() {
    use worker::js_sys::{global, Function, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    if let Ok(callback) = Reflect::get(&global(), &JsValue::from_str("__adgate_panicked")) {
        if let Some(callback) = callback.dyn_ref::<Function>() {
            let _ = callback.call0(&JsValue::NULL);
        }
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    clock::follow(&env).await;
    let response = handlers::serve(req, env.clone()).await;
    // Telemetry goes to D1 after the response, so no caller waits for it.
    ctx.wait_until(async move { services::telemetry::flush(&env).await });
    Ok(response)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    clock::follow(&env).await;
    scheduled::run_tick(&event.cron(), event.schedule(), &env).await;
    services::telemetry::flush(&env).await;
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    clock::follow(&env).await;
    let outcome = queue_consumer::consume(batch, &env).await;
    services::telemetry::flush(&env).await;
    outcome
}
