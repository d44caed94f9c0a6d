//! Background work of a running server: one task per job, each at the configured interval
//! with a random jitter (so that instances started together spread out). Every job is
//! idempotent and safe to run in several instances at once: purges and time-outs are
//! conditional SQL (`DELETE … WHERE expires_at < now`, `UPDATE … WHERE status = 'New' AND
//! created_at <= cutoff`), mail is claimed one message at a time with a conditional update,
//! and reloading keys only reads. Each run is logged and counted in `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use super::App;
use crate::clock::Micros;

/// The jobs, in the order `run_once` runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Forget expired assertion ids, log-in requests, codes, sessions, captchas, failed-log-in
    /// runs and unactivated accounts whose activation expired.
    Purge,
    /// Time out system-user requests and change requests left `New` too long.
    TimeOutRequests,
    /// Retry mail whose next attempt is due.
    RetryMail,
    /// Pick up signing keys another instance (or `tilgang keys rotate`) added.
    ReloadKeys,
}

impl Job {
    pub const ALL: [Job; 4] = [
        Job::Purge,
        Job::TimeOutRequests,
        Job::RetryMail,
        Job::ReloadKeys,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Purge => "purge_expired",
            Job::TimeOutRequests => "time_out_requests",
            Job::RetryMail => "retry_mail",
            Job::ReloadKeys => "reload_keys",
        }
    }

    /// One run; how many things it changed.
    async fn run(self, app: &App) -> Result<u64, String> {
        let now = app.clock.now();
        match self {
            Job::Purge => {
                let mut n = app.store.purge_expired_jtis(now).await.map_err(s)?;
                n += app.store.purge_expired_logins(now).await.map_err(s)?;
                n += app.store.purge_studio(now).await.map_err(s)?;
                n += app
                    .store
                    .purge_login_failures(now - super::studio::LOCKOUT_SECS * 1_000_000)
                    .await
                    .map_err(s)?;
                n += app.purge_unactivated_accounts().await.map_err(s)?;
                Ok(n)
            }
            Job::TimeOutRequests => {
                let requests = app.time_out_requests().await.map_err(s)?;
                let changes = app.time_out_change_requests().await.map_err(s)?;
                Ok(requests + changes)
            }
            Job::RetryMail => app.deliver_due_mail().await.map(|n| n as u64).map_err(s),
            Job::ReloadKeys => app
                .keys
                .reload_all(&app.store, &app.clock)
                .await
                .map(|()| 0)
                .map_err(s),
        }
    }
}

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// What `/metrics` shows of one job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStat {
    pub runs: u64,
    pub failures: u64,
    /// When the last run ended (server clock, microseconds).
    pub last_run: Option<Micros>,
    pub last_success: Option<Micros>,
    pub last_error: Option<String>,
}

#[derive(Default)]
pub struct JobStats(Mutex<BTreeMap<&'static str, JobStat>>);

impl JobStats {
    fn record(&self, job: Job, at: Micros, result: &Result<u64, String>) {
        if let Ok(mut map) = self.0.lock() {
            let stat = map.entry(job.name()).or_default();
            stat.runs += 1;
            stat.last_run = Some(at);
            match result {
                Ok(_) => {
                    stat.last_success = Some(at);
                    stat.last_error = None;
                }
                Err(e) => {
                    stat.failures += 1;
                    stat.last_error = Some(e.clone());
                }
            }
        }
    }

    /// Every job that has run, by name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, JobStat> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Runs `job` once, logs the outcome and records it.
pub async fn run_job(app: &App, job: Job) -> Result<u64, String> {
    let result = job.run(app).await;
    match &result {
        Ok(0) => tracing::debug!(job = job.name(), "job ran"),
        Ok(n) => tracing::info!(job = job.name(), changed = n, "job ran"),
        Err(e) => tracing::warn!(job = job.name(), error = %e, "job failed"),
    }
    app.jobs.record(job, app.clock.now(), &result);
    result
}

/// Every job once, in order (tests, and a server's first round).
pub async fn run_once(app: &App) {
    for job in Job::ALL {
        let _ = run_job(app, job).await;
    }
}

/// Starts one task per job, every `interval` (±10 %, the first run after a random part of
/// it). The tasks stop when their handles are aborted or the runtime ends.
pub fn spawn(app: &App, interval: Duration) -> Vec<tokio::task::JoinHandle<()>> {
    Job::ALL
        .into_iter()
        .map(|job| {
            let app = app.clone();
            tokio::spawn(async move {
                tokio::time::sleep(jittered(interval, 0.0, 0.5)).await;
                loop {
                    let _ = run_job(&app, job).await;
                    tokio::time::sleep(jittered(interval, 0.9, 1.1)).await;
                }
            })
        })
        .collect()
}

/// `interval` times a random factor from `low` to `high`.
fn jittered(interval: Duration, low: f64, high: f64) -> Duration {
    let mut b = [0u8; 2];
    let _ = SystemRandom::new().fill(&mut b);
    let r = f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX);
    interval.mul_f64(low + (high - low) * r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_its_range() {
        for _ in 0..100 {
            let d = jittered(Duration::from_secs(60), 0.9, 1.1);
            assert!(
                d >= Duration::from_secs(54) && d <= Duration::from_secs(66),
                "{d:?}"
            );
        }
    }
}
