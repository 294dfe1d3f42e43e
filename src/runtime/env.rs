//! The worker's configuration: `[vars]` entries and secrets.

use worker::Env;

/// Reads a `[vars]` entry or a secret; both are strings in the environment.
pub fn env_text(env: &Env, name: &str) -> Option<String> {
    let value = env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|v| v.to_string()));
    value.ok().filter(|v| !v.trim().is_empty())
}
