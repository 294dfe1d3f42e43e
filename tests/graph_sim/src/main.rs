//! `graph-sim`: runs the simulator. Prints `listening on http://127.0.0.1:PORT` once ready.
//!
//! usage: graph-sim [--port N] [--seed N] [--app-id ID] [--app-secret S] [--require-proof]
//!                  [--demo-token TOKEN]   (seeds a demo ad account that TOKEN can see)

use graph_sim::{Config, Store};
use std::sync::{Arc, Mutex};

fn main() {
    let mut cfg = Config::default();
    let mut port: u16 = 0;
    let mut demo_token: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().unwrap_or_else(|| die(&format!("{name} needs a value")));
        match a.as_str() {
            "--port" => port = val("--port").parse().unwrap_or_else(|_| die("--port takes a number")),
            "--seed" => cfg.seed = val("--seed").parse().unwrap_or_else(|_| die("--seed takes a number")),
            "--app-id" => cfg.app_id = val("--app-id"),
            "--app-secret" => cfg.app_secret = val("--app-secret"),
            "--require-proof" => cfg.require_proof = true,
            "--demo-token" => demo_token = Some(val("--demo-token")),
            "-h" | "--help" => {
                println!("usage: graph-sim [--port N] [--seed N] [--app-id ID] [--app-secret S] [--require-proof] [--demo-token TOKEN]");
                return;
            }
            other => die(&format!("unknown argument {other}")),
        }
    }
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap_or_else(|e| die(&format!("cannot listen on port {port}: {e}")));
        let addr = listener.local_addr().unwrap();
        cfg.base_url = format!("http://{addr}");
        let store = Arc::new(Mutex::new(Store::new(cfg, None)));
        if let Some(token) = demo_token {
            graph_sim::control::seed_demo(&store, &token);
        }
        println!("listening on http://{addr}");
        graph_sim::serve(listener, store).await.unwrap_or_else(|e| die(&format!("server failed: {e}")));
    });
}

fn die(msg: &str) -> ! {
    eprintln!("graph-sim: {msg}");
    std::process::exit(2)
}
