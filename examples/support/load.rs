#![allow(dead_code)] // each load generator uses some of these
//! The measuring loop the load generators share: `concurrency` tasks send GET requests with
//! one bearer token over keep-alive until the time is up, and the latencies are summed up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Which address to ask, from the task's number and a counter shared by all tasks.
pub type Target = Arc<dyn Fn(usize, u64) -> String + Send + Sync>;

/// What to send (a GET of an address, or a POST of a JSON body), from the task's number and
/// the shared counter.
pub type Requests = Arc<dyn Fn(usize, u64) -> (String, Option<String>) + Send + Sync>;

/// What one measurement saw.
pub struct Run {
    /// Latencies in microseconds, sorted.
    pub latencies: Vec<u32>,
    pub errors: u64,
    pub seconds: f64,
}

impl Run {
    /// `p` (0..=1) of the latencies, in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies[i]) / 1000.0
    }

    /// `{name}: N {what} in S s (R/s), E errors; latency ms p50 … p99 … max … ({about})`.
    pub fn report(&self, name: &str, what: &str, about: &str) -> String {
        format!(
            "{name}: {} {what} in {:.1} s ({:.0}/s), {} errors; latency ms p50 {:.2} p99 {:.2} max {:.2} ({about})",
            self.latencies.len(),
            self.seconds,
            self.latencies.len() as f64 / self.seconds,
            self.errors,
            self.percentile(0.5),
            self.percentile(0.99),
            self.percentile(1.0)
        )
    }
}

/// Sends GET requests for `seconds` from `concurrency` tasks; a status other than 200 counts
/// as an error.
pub async fn run(
    http: &reqwest::Client,
    bearer: &str,
    concurrency: usize,
    seconds: u64,
    target: Target,
) -> Run {
    let requests: Requests = Arc::new(move |t, n| (target(t, n), None));
    run_requests(http, bearer, concurrency, seconds, requests).await
}

/// As [`run`], for any mix of GETs and JSON POSTs.
pub async fn run_requests(
    http: &reqwest::Client,
    bearer: &str,
    concurrency: usize,
    seconds: u64,
    target: Requests,
) -> Run {
    let counter = Arc::new(AtomicU64::new(1));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let (http, bearer, target, counter) = (
                http.clone(),
                bearer.to_owned(),
                target.clone(),
                counter.clone(),
            );
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let (url, body) = target(t, counter.fetch_add(1, Ordering::Relaxed));
                    let request = match body {
                        None => http.get(&url),
                        Some(b) => http
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(b),
                    };
                    let sent = Instant::now();
                    match request.bearer_auth(&bearer).send().await {
                        Ok(r) if r.status() == 200 => {
                            let _ = r.bytes().await;
                        }
                        _ => errors += 1,
                    }
                    lat.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                }
                (lat, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    Run {
        latencies,
        errors,
        seconds: start.elapsed().as_secs_f64(),
    }
}
