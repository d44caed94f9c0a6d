//! Whether PostgreSQL answers, known without asking it on every request. When the server is
//! down, the pool retries each refused connection until its acquire time-out (10 s), so every
//! request would wait that long before its 503. The watch keeps one connection of its own (not
//! from the pool, so a busy pool is not taken for an outage) and pings on it every second;
//! while the ping fails, requests are answered 503 at once, and the first ping that succeeds
//! lets them through again.

use std::sync::Mutex;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection};

const PERIOD: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The latest finding of the watch: `None` while the database answers.
#[derive(Default)]
pub struct DatabaseWatch {
    down: Mutex<Option<String>>,
}

impl DatabaseWatch {
    /// Why the database is taken to be down, if it is.
    pub fn down(&self) -> Option<String> {
        self.down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, finding: Option<String>) {
        let mut down = self
            .down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (&*down, &finding) {
            (None, Some(why)) => {
                tracing::error!(error = %why, "the database does not answer: requests get 503 until it does")
            }
            (Some(_), None) => tracing::info!("the database answers again"),
            _ => {}
        }
        *down = finding;
    }

    /// Pings every second until the task is aborted.
    pub async fn run(&self, options: AnyConnectOptions) {
        let mut conn: Option<AnyConnection> = None;
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let mut answered = false;
            if let Some(c) = conn.as_mut() {
                answered = matches!(
                    tokio::time::timeout(PING_TIMEOUT, c.ping()).await,
                    Ok(Ok(()))
                );
            }
            if answered {
                self.set(None);
                continue;
            }
            conn = None;
            match tokio::time::timeout(PING_TIMEOUT, options.connect()).await {
                Ok(Ok(c)) => {
                    conn = Some(c);
                    self.set(None);
                }
                Ok(Err(e)) => self.set(Some(e.to_string())),
                Err(_) => self.set(Some("no answer within 2 s".into())),
            }
        }
    }
}
