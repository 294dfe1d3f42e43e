# Shared by the scripts in this folder: paths, the offline toolchain variables, and helpers.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
export WRANGLER_SEND_METRICS=false
export WRANGLER_LOG="${WRANGLER_LOG:-warn}"
# worker-build would download these binaries; point it at the ones installed from the registries.
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
WRANGLER="$ROOT/node_modules/.bin/wrangler"

say() { printf '[adgate] %s\n' "$*" >&2; }
die() { printf '[adgate] error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version Cargo.lock resolved; the CLI must match it exactly.
locked_wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
