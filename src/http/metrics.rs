//! Request metrics and the application's gauges, kept by the server that owns them and shown
//! at `/metrics` in the Prometheus text format (version 0.0.4).
//!
//! The `prometheus-client` crate (the Prometheus project's Rust client) does the bookkeeping
//! and the writing: its `Family` keeps one counter per method, route and status and one
//! histogram per route behind a read-mostly lock, its `Histogram` buckets the latencies, and
//! its Prometheus text encoder writes the HELP and TYPE lines, the `_total`, `_bucket`,
//! `_sum` and `_count` names, the `le` bounds and the escaped label values. Values read only
//! when scraped (uptime, build, jobs, refusals) are written by a `Collector` at scrape time.
//!
//! The registry appends the final "." to the HELP text of what is registered with it, so
//! those texts are written here without one; a collector's texts are written as they are.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::services::jobs::{Job, JobStat};
use crate::services::load::Refusal;

/// Upper bounds of the latency histogram, in seconds (`+Inf` is added by the histogram).
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The labels of `tilgang_http_requests_total`, in the order they are written.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: Cow<'static, str>,
    route: Arc<str>,
    status: u16,
}

/// The label of `tilgang_http_request_duration_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: Arc<str>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

pub struct Metrics {
    /// The request counters and histograms (the scrape-time values are added when rendering).
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Each route once, so that counting a request needs no allocation: routes are the
    /// router's patterns (or "unmatched"), a bounded set.
    routes: RwLock<HashSet<Arc<str>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let mut registry = Registry::default();
        registry.register(
            "tilgang_http_requests",
            "HTTP requests answered",
            requests.clone(),
        );
        registry.register(
            "tilgang_http_request_duration_seconds",
            "Time to answer",
            latency.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            routes: RwLock::default(),
        }
    }
}

/// The standard methods without allocating; any other is kept as it came.
fn method_label(method: &str) -> Cow<'static, str> {
    const STANDARD: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    // Any other method is counted as `other`: a client inventing methods must not be able to
    // create counters without bound.
    Cow::Borrowed(
        STANDARD
            .iter()
            .find(|m| **m == method)
            .copied()
            .unwrap_or("other"),
    )
}

impl Metrics {
    /// Counts one answered request (called by the request middleware for every request).
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let route = self.route(route);
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    /// The shared copy of `route`, made on its first request.
    fn route(&self, route: &str) -> Arc<str> {
        if let Some(known) = self
            .routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(route)
        {
            return known.clone();
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = routes.get(route) {
            return known.clone();
        }
        let new: Arc<str> = Arc::from(route);
        routes.insert(new.clone());
        new
    }

    /// The build, the uptime and the request metrics in the Prometheus text format.
    pub fn render(&self, uptime: Duration) -> String {
        let mut scrape = Registry::default();
        scrape.register(
            "tilgang_build",
            "The running version",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        // Whole milliseconds, as before.
        let uptime = (uptime.as_secs_f64() * 1000.0).round() / 1000.0;
        scrape.register(
            "tilgang_uptime_seconds",
            "Seconds since start",
            ConstGauge::new(uptime),
        );
        let mut out = String::new();
        encode(&mut out, &scrape);
        encode(&mut out, &self.registry);
        out
    }
}

/// Appends `registry` to `out`; a failure (none is expected when writing to a string) is
/// logged and the scrape keeps what was written.
fn encode(out: &mut String, registry: &Registry) {
    if prometheus_text::encode(out, registry).is_err() {
        tracing::error!("the metrics could not be written");
    }
}

/// A metric family of the jobs: name (a counter's without `_total`), help, type, and the
/// value of one job.
type JobFamily = (&'static str, &'static str, MetricType, fn(&JobStat) -> u64);

const JOB_FAMILIES: [JobFamily; 4] = [
    (
        "tilgang_job_runs",
        "Runs of each background job.",
        MetricType::Counter,
        |s| s.runs,
    ),
    (
        "tilgang_job_failures",
        "Failed runs of each background job.",
        MetricType::Counter,
        |s| s.failures,
    ),
    (
        "tilgang_job_last_run_timestamp_seconds",
        "When each job last ran (0: not yet).",
        MetricType::Gauge,
        |s| seconds(s.last_run),
    ),
    (
        "tilgang_job_last_success_timestamp_seconds",
        "When each job last succeeded (0: not yet).",
        MetricType::Gauge,
        |s| seconds(s.last_success),
    ),
];

/// Microseconds (or none yet) as whole Unix seconds (0: not yet).
fn seconds(at: Option<i64>) -> u64 {
    u64::try_from(at.unwrap_or(0) / 1_000_000).unwrap_or(0)
}

/// What the application shows at one scrape: the background jobs (runs, failures, when each
/// last ran and succeeded) and what was refused for load.
#[derive(Debug)]
struct AppValues {
    jobs: BTreeMap<&'static str, JobStat>,
    refused: [(&'static str, u64); Refusal::ALL.len()],
    decisions: [(&'static str, u64); 4],
}

impl Collector for AppValues {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, kind, value) in JOB_FAMILIES {
            let mut family = encoder.encode_descriptor(name, help, None, kind)?;
            for job in Job::ALL {
                let v = self.jobs.get(job.name()).map_or(0, value);
                let labels = [("job", job.name())];
                let sample = family.encode_family(&labels)?;
                if kind == MetricType::Counter {
                    ConstCounter::new(v).encode(sample)?;
                } else {
                    ConstGauge::new(v).encode(sample)?;
                }
            }
        }
        let mut family = encoder.encode_descriptor(
            "tilgang_rejected_for_load",
            "Requests and connections refused to bound memory and time.",
            None,
            MetricType::Counter,
        )?;
        for (reason, n) in self.refused {
            ConstCounter::new(n).encode(family.encode_family(&[("reason", reason)])?)?;
        }
        let mut family = encoder.encode_descriptor(
            "tilgang_decisions",
            "Decisions of the decision API, by decision.",
            None,
            MetricType::Counter,
        )?;
        for (decision, n) in self.decisions {
            ConstCounter::new(n).encode(family.encode_family(&[("decision", decision)])?)?;
        }
        Ok(())
    }
}

impl AppValues {
    fn render(self) -> String {
        let mut scrape = Registry::default();
        scrape.register_collector(Box::new(self));
        let mut out = String::new();
        encode(&mut out, &scrape);
        out
    }
}

/// The background jobs and the refusals for load, read now, in the same format.
pub fn render_app(app: &crate::services::App) -> String {
    AppValues {
        jobs: app.jobs.snapshot(),
        refused: Refusal::ALL.map(|why| (why.as_str(), app.load.refused(why))),
        decisions: crate::domain::xacml::Decision::ALL.map(|d| (d.as_str(), app.decisions.get(d))),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, Duration::from_millis(3));
        m.observe("GET", "/health", 200, Duration::from_millis(30));
        m.observe("BREW", "/a \"b\"", 418, Duration::from_secs(7));
        let text = m.render(Duration::from_millis(1500));
        for line in [
            "# HELP tilgang_build_info The running version.",
            "# TYPE tilgang_build_info gauge",
            &format!(
                "tilgang_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            ),
            "# TYPE tilgang_uptime_seconds gauge",
            "tilgang_uptime_seconds 1.5",
            "# HELP tilgang_http_requests_total HTTP requests answered.",
            "# TYPE tilgang_http_requests_total counter",
            "tilgang_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2",
            "tilgang_http_requests_total{method=\"other\",route=\"/a \\\"b\\\"\",status=\"418\"} 1",
            "# HELP tilgang_http_request_duration_seconds Time to answer.",
            "# TYPE tilgang_http_request_duration_seconds histogram",
            "tilgang_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0005\"} 0",
            "tilgang_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.005\"} 1",
            "tilgang_http_request_duration_seconds_bucket{route=\"/health\",le=\"1\"} 2",
            "tilgang_http_request_duration_seconds_bucket{route=\"/health\",le=\"5\"} 2",
            "tilgang_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 2",
            "tilgang_http_request_duration_seconds_sum{route=\"/health\"} 0.033",
            "tilgang_http_request_duration_seconds_count{route=\"/health\"} 2",
            "tilgang_http_request_duration_seconds_bucket{route=\"/a \\\"b\\\"\",le=\"5\"} 0",
            "tilgang_http_request_duration_seconds_bucket{route=\"/a \\\"b\\\"\",le=\"+Inf\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        // One shared copy of each route.
        assert_eq!(m.routes.read().map(|r| r.len()).unwrap_or(0), 2);
    }

    #[test]
    fn renders_jobs_and_refusals() {
        let mut jobs = BTreeMap::new();
        jobs.insert(
            Job::ALL[0].name(),
            JobStat {
                runs: 3,
                failures: 1,
                last_run: Some(1_700_000_000_500_000),
                ..JobStat::default()
            },
        );
        let text = AppValues {
            jobs,
            refused: Refusal::ALL.map(|why| (why.as_str(), 0)),
            decisions: [
                ("Permit", 7),
                ("Deny", 0),
                ("NotApplicable", 2),
                ("Indeterminate", 1),
            ],
        }
        .render();
        let first = Job::ALL[0].name();
        let second = Job::ALL[1].name();
        for line in [
            "# HELP tilgang_job_runs_total Runs of each background job.",
            "# TYPE tilgang_job_runs_total counter",
            &format!("tilgang_job_runs_total{{job=\"{first}\"}} 3"),
            &format!("tilgang_job_runs_total{{job=\"{second}\"}} 0"),
            &format!("tilgang_job_failures_total{{job=\"{first}\"}} 1"),
            "# TYPE tilgang_job_last_run_timestamp_seconds gauge",
            &format!("tilgang_job_last_run_timestamp_seconds{{job=\"{first}\"}} 1700000000"),
            &format!("tilgang_job_last_success_timestamp_seconds{{job=\"{first}\"}} 0"),
            "# HELP tilgang_rejected_for_load_total Requests and connections refused to bound memory and time.",
            "# TYPE tilgang_rejected_for_load_total counter",
            "tilgang_rejected_for_load_total{reason=\"password_queue\"} 0",
            "tilgang_rejected_for_load_total{reason=\"connections_per_client\"} 0",
            "# TYPE tilgang_decisions_total counter",
            "tilgang_decisions_total{decision=\"Permit\"} 7",
            "tilgang_decisions_total{decision=\"NotApplicable\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
    }
}
