//! Whether what a decision reads may have changed, known without asking the database on every
//! decision. The feed is a generation number: a cache may keep a value read at generation `g`
//! for as long as the generation is still `g`.
//!
//! The generation moves on
//! - every transaction this process commits (at once, so a revocation made through this
//!   instance is seen by its next decision);
//! - on PostgreSQL, every change another process makes to the tables decisions read: triggers
//!   on them notify the channel [`CHANNEL`] (migration 19), which the feed listens to;
//! - on SQLite, every commit by another connection (its `data_version`), polled every
//!   [`SQLITE_POLL`].
//!
//! While the feed cannot listen (before it has connected, after its connection broke, when a
//! heartbeat it sends itself does not come back, or when a trigger is missing or disabled), it
//! is not trusted: [`ChangeFeed::generation`] answers `None` and callers read the database.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::any::AnyConnectOptions;

/// The PostgreSQL channel the decision tables' triggers notify.
pub const CHANNEL: &str = "tilgang_decision_change";
/// The payload of the feed's own heartbeat (the triggers send table names).
const PING: &str = "tilgang:ping";
/// How often SQLite's `data_version` is read.
pub const SQLITE_POLL: Duration = Duration::from_millis(100);
/// How long to wait before connecting again after the feed's connection failed.
const RETRY: Duration = Duration::from_secs(1);
/// After this long without a notification the feed sends itself one, and takes the
/// connection for dead (a silently dropped or half-open one) when it does not come back
/// within the same time.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// The triggers migration 19 creates (`decision_change*`), all of which must be enabled for
/// the feed to be trusted.
const TRIGGERS: i64 = 12;

#[derive(Debug, thiserror::Error)]
enum FeedError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(
        "{0} of the {TRIGGERS} decision_change triggers are enabled (a table re-created, or its triggers disabled)"
    )]
    Triggers(i64),
    #[error("no notification came back within {HEARTBEAT:?} (the connection is dead)")]
    Silent,
}

#[derive(Debug, Default)]
pub struct ChangeFeed {
    generation: AtomicU64,
    listening: AtomicBool,
}

impl ChangeFeed {
    /// The current generation, or `None` while changes by other processes could go unseen.
    pub fn generation(&self) -> Option<u64> {
        // Read `listening` first: a feed that stops listening moves the generation after.
        if self.listening.load(Ordering::Acquire) {
            Some(self.generation.load(Ordering::Acquire))
        } else {
            None
        }
    }

    /// Something changed.
    pub fn moved(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A feed that listens, for unit tests of its users.
    #[cfg(test)]
    pub fn start_for_tests(&self) {
        self.listening(true);
    }

    fn listening(&self, on: bool) {
        if on {
            // What changed while nobody listened is unknown: start a new generation.
            self.moved();
            self.listening.store(true, Ordering::Release);
        } else {
            self.listening.store(false, Ordering::Release);
            self.moved();
        }
    }

    /// Follows PostgreSQL's notifications until the task is aborted.
    pub async fn follow_postgres(&self, url: String) {
        loop {
            match self.listen_postgres(&url).await {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the decision cache's change feed lost PostgreSQL; decisions read the database until it is back")
                }
            }
            self.listening(false);
            tokio::time::sleep(RETRY).await;
        }
    }

    async fn listen_postgres(&self, url: &str) -> Result<(), FeedError> {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        let enabled: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE 'decision\\_change%' AND tgenabled <> 'D'",
        )
        .fetch_one(&mut listener)
        .await?;
        if enabled != TRIGGERS {
            return Err(FeedError::Triggers(enabled));
        }
        listener.listen(CHANNEL).await?;
        self.listening(true);
        let mut pinged = false;
        loop {
            match tokio::time::timeout(HEARTBEAT, listener.try_recv()).await {
                // `None`: the connection was lost (notifications may have been missed).
                Ok(Ok(None)) => return Ok(()),
                Ok(Ok(Some(n))) if n.payload() == PING => pinged = false,
                Ok(Ok(Some(_))) => {
                    self.moved();
                    pinged = false;
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) if pinged => return Err(FeedError::Silent),
                Err(_) => {
                    let ping = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL)
                        .bind(PING)
                        .execute(&mut listener);
                    tokio::time::timeout(HEARTBEAT, ping)
                        .await
                        .map_err(|_| FeedError::Silent)??;
                    pinged = true;
                }
            }
        }
    }

    /// Polls SQLite's `data_version` until the task is aborted.
    pub async fn follow_sqlite(&self, options: AnyConnectOptions) {
        loop {
            match self.poll_sqlite(&options).await {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the decision cache's change feed cannot read the database; decisions read it directly until it can")
                }
            }
            self.listening(false);
            tokio::time::sleep(RETRY).await;
        }
    }

    async fn poll_sqlite(&self, options: &AnyConnectOptions) -> Result<(), FeedError> {
        let mut conn = options.connect().await?;
        let mut seen: i64 = sqlx::query_scalar("PRAGMA data_version")
            .fetch_one(&mut conn)
            .await?;
        self.listening(true);
        let mut tick = tokio::time::interval(SQLITE_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now: i64 = sqlx::query_scalar("PRAGMA data_version")
                .fetch_one(&mut conn)
                .await?;
            if now != seen {
                seen = now;
                self.moved();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_until_listening_and_moves_on_every_change() {
        let feed = ChangeFeed::default();
        assert_eq!(feed.generation(), None);
        feed.listening(true);
        let g = feed.generation().unwrap();
        feed.moved();
        assert_eq!(feed.generation(), Some(g + 1));
        feed.listening(false);
        assert_eq!(feed.generation(), None);
        feed.listening(true);
        assert!(feed.generation().unwrap() > g + 1);
    }
}
