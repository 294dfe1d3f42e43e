# Shared by the scripts in this folder: paths, the offline toolchain variables, and helpers.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
export WRANGLER_SEND_METRICS=false
export WRANGLER_LOG="${WRANGLER_LOG:-warn}"
# worker-build would download these binaries; point it at the ones installed from the registries.
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
# Ships with wasm-bindgen-cli, so it is always at the locked version too.
export WASM_BINDGEN_TEST_RUNNER="$CARGO_BIN/wasm-bindgen-test-runner"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
WRANGLER="$ROOT/node_modules/.bin/wrangler"

say() { printf '[adgate] %s\n' "$*" >&2; }
die() { printf '[adgate] error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version Cargo.lock resolved; the CLI must match it exactly.
locked_wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# start_simulator LOG [ARGS...]: starts the Graph API simulator on a free port, waits until it
# listens, and sets SIM_URL and SIM_PID. The binary must be built (cargo build -p graph-sim).
start_simulator() {
    local log="$1"; shift
    "$ROOT/target/debug/graph-sim" --port 0 "$@" >"$log" 2>&1 &
    SIM_PID=$!
    SIM_URL=""
    for _ in $(seq 1 100); do
        SIM_URL="$(sed -n 's/^listening on //p' "$log" | head -n1)"
        [ -n "$SIM_URL" ] && return 0
        kill -0 "$SIM_PID" 2>/dev/null || { cat "$log" >&2; die "the Graph API simulator exited"; }
        sleep 0.1
    done
    die "the Graph API simulator did not start: see $log"
}
