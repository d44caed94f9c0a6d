//! Background work of a running server. Every job is idempotent and safe to run in several
//! instances at once.

use std::time::Duration;

use super::App;

/// How often the jobs run.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// Runs the jobs every [`INTERVAL`] until the task is dropped.
pub async fn run(app: App) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        run_once(&app).await;
    }
}

/// One round: forget expired assertion ids, log-in requests, codes and sessions; pick up
/// rotated signing keys.
pub async fn run_once(app: &App) {
    match app.store.purge_expired_jtis(app.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(purged = n, "expired assertion ids forgotten"),
        Err(e) => tracing::warn!(error = %e, "cannot purge expired assertion ids"),
    }
    match app.store.purge_expired_logins(app.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(
            purged = n,
            "expired log-in requests, codes and sessions removed"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot purge expired log-ins"),
    }
    match app.time_out_requests().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(timed_out = n, "system-user requests timed out"),
        Err(e) => tracing::warn!(error = %e, "cannot time out requests"),
    }
    match app.store.purge_studio(app.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(
            purged = n,
            "expired Studio sessions, captchas and codes removed"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot purge Studio sessions"),
    }
    if let Err(e) = app.deliver_due_mail().await {
        tracing::warn!(error = %e, "cannot retry mail delivery");
    }
    if let Err(e) = app.keys.reload_all(&app.store, &app.clock).await {
        tracing::warn!(error = %e, "cannot reload signing keys");
    }
}
