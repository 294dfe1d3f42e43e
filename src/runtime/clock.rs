//! The gateway's clock. In local runs (`ADGATE_ENV=local`) with `ADGATE_SIM_CLOCK_URL` set, it
//! follows the Graph simulator's simulated now, read once at the start of each invocation, so a
//! benchmark can put weeks of simulated days through the whole gateway (syncs, freshness,
//! cooldowns, rules) in minutes. Anywhere else it is the platform's clock, untouched.

use std::cell::Cell;
use worker::Env;

thread_local! {
    /// Milliseconds added to the platform's clock (0 unless following the simulator).
    static OFFSET_MS: Cell<i64> = const { Cell::new(0) };
}

pub fn now_millis() -> i64 {
    worker::Date::now().as_millis() as i64 + OFFSET_MS.with(Cell::get)
}

/// Reads the simulator's clock when this is a local run told to follow it.
pub async fn follow(env: &Env) {
    if super::env::env_text(env, "ADGATE_ENV").as_deref() != Some("local") {
        return;
    }
    let Some(url) = super::env::env_text(env, "ADGATE_SIM_CLOCK_URL") else { return };
    let Ok(parsed) = worker::Url::parse(&url) else { return };
    let read = async {
        let mut resp = worker::Fetch::Url(parsed).send().await.ok()?;
        let body: serde_json::Value = resp.json().await.ok()?;
        body["now"].as_i64()
    };
    match read.await {
        Some(secs) => OFFSET_MS.with(|o| o.set(secs.saturating_mul(1_000) - worker::Date::now().as_millis() as i64)),
        None => worker::console_warn!("ADGATE_SIM_CLOCK_URL could not be read; the clock stays as it was"),
    }
}
