//! A small closed-loop HTTP load generator for scripts/bench: N requests to one URL with C in
//! flight over keep-alive connections; prints one JSON line with latency percentiles.
//!
//! usage: loadgen URL REQUESTS CONCURRENCY [EXPECTED_STATUS (default 200)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, requests, concurrency, expected) = match &args[..] {
        [_, u, r, c] => (u, r, c, 200u16),
        [_, u, r, c, s] => (u, r, c, s.parse().expect("EXPECTED_STATUS")),
        _ => {
            eprintln!("usage: loadgen URL REQUESTS CONCURRENCY [EXPECTED_STATUS]");
            std::process::exit(2);
        }
    };
    let requests: usize = requests.parse().expect("REQUESTS");
    let concurrency: usize = concurrency.parse().expect("CONCURRENCY");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (url, next) = (url.clone(), next.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let t = Instant::now();
                    match agent.get(&url).call() {
                        Ok(r) | Err(ureq::Error::Status(_, r)) if r.status() == expected => {
                            let _ = r.into_string();
                            latencies.push(t.elapsed().as_secs_f64() * 1_000.0);
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.join().expect("worker thread");
        all.extend(l);
        errors += e;
    }
    let wall = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if all.is_empty() {
        println!("{{\"ok\":0,\"errors\":{errors}}}");
        std::process::exit(1);
    }
    println!(
        "{{\"ok\":{},\"errors\":{errors},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"rps\":{:.1}}}",
        all.len(),
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        all.len() as f64 / wall
    );
}
