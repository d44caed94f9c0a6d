//! Request metrics in the Prometheus text format, kept by the server that owns them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let h = latency.entry(route.to_owned()).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.total += 1;
        }
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self, uptime: Duration) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP tilgang_build_info The running version.\n# TYPE tilgang_build_info gauge"
        );
        let _ = writeln!(
            out,
            "tilgang_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP tilgang_uptime_seconds Seconds since start.\n# TYPE tilgang_uptime_seconds gauge"
        );
        let _ = writeln!(out, "tilgang_uptime_seconds {:.3}", uptime.as_secs_f64());
        let _ = writeln!(
            out,
            "# HELP tilgang_http_requests_total HTTP requests answered.\n# TYPE tilgang_http_requests_total counter"
        );
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "tilgang_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP tilgang_http_request_duration_seconds Time to answer.\n# TYPE tilgang_http_request_duration_seconds histogram"
        );
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                let route = escape(route);
                for (bound, count) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "tilgang_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "tilgang_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.total
                );
                let _ = writeln!(
                    out,
                    "tilgang_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "tilgang_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.total
                );
            }
        }
        out
    }
}

/// The background jobs (runs, failures, when each last ran and succeeded) and what was
/// refused for load, in the same format.
/// A metric family of the jobs: name, help, type, and the value of one job.
type JobFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&crate::services::jobs::JobStat) -> u64,
);

/// Microseconds (or none yet) as whole Unix seconds (0: not yet).
fn seconds(at: Option<i64>) -> u64 {
    u64::try_from(at.unwrap_or(0) / 1_000_000).unwrap_or(0)
}

pub fn render_app(app: &crate::services::App) -> String {
    use crate::services::jobs::Job;
    use crate::services::load::Refusal;
    let mut out = String::new();
    let jobs = app.jobs.snapshot();
    let families: [JobFamily; 4] = [
        (
            "tilgang_job_runs_total",
            "Runs of each background job.",
            "counter",
            |s| s.runs,
        ),
        (
            "tilgang_job_failures_total",
            "Failed runs of each background job.",
            "counter",
            |s| s.failures,
        ),
        (
            "tilgang_job_last_run_timestamp_seconds",
            "When each job last ran (0: not yet).",
            "gauge",
            |s| seconds(s.last_run),
        ),
        (
            "tilgang_job_last_success_timestamp_seconds",
            "When each job last succeeded (0: not yet).",
            "gauge",
            |s| seconds(s.last_success),
        ),
    ];
    for (name, help, kind, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for job in Job::ALL {
            let v = jobs.get(job.name()).map_or(0, value);
            let _ = writeln!(out, "{name}{{job=\"{}\"}} {v}", job.name());
        }
    }
    let _ = writeln!(
        out,
        "# HELP tilgang_rejected_for_load_total Requests and connections refused to bound memory and time.\n# TYPE tilgang_rejected_for_load_total counter"
    );
    for why in Refusal::ALL {
        let _ = writeln!(
            out,
            "tilgang_rejected_for_load_total{{reason=\"{}\"}} {}",
            why.as_str(),
            app.load.refused(why)
        );
    }
    out
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, Duration::from_millis(3));
        m.observe("GET", "/health", 200, Duration::from_millis(30));
        let text = m.render(Duration::from_secs(1));
        assert!(
            text.contains(
                "tilgang_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "tilgang_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.005\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("tilgang_http_request_duration_seconds_count{route=\"/health\"} 2"),
            "{text}"
        );
    }
}
