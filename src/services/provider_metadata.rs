//! Discovery documents and key sets of the outside providers (ID-porten, Ansattporten,
//! Maskinporten), fetched over HTTP and kept a while.
//!
//! - A copy is used for an hour ([`Timing::ttl`]).
//! - A caller that needs a newer copy (a token names a key the cached set lacks, or its
//!   signature fails, as when a key is replaced under the same id) gets one unless the cached
//!   copy is younger than a second: the first token after a key rotation succeeds, and a flood
//!   of tokens with made-up key ids costs the provider at most one fetch a second.
//! - Callers that miss at the same time wait for one fetch and share its result.
//! - While the provider is down, a failed fetch is remembered for two seconds (callers in that
//!   time fail at once instead of each waiting for a time-out), and a copy up to a day old is
//!   used rather than none — except by a caller that needs a newer one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::jose::VerifyingKey;

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long a fetched copy is used.
    pub ttl: Duration,
    /// A newer copy is fetched only when the cached one is at least this old.
    pub refresh_min: Duration,
    /// How long a failed fetch answers for the provider.
    pub failure_backoff: Duration,
    /// The oldest copy used while the provider cannot be reached.
    pub stale_limit: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            refresh_min: Duration::from_secs(1),
            failure_backoff: Duration::from_secs(2),
            stale_limit: Duration::from_secs(24 * 3600),
        }
    }
}

/// What a caller needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Any copy within its lifetime.
    Cached,
    /// A copy fetched after the cached one (rate-limited by [`Timing::refresh_min`]).
    Newer,
}

struct Entry<T> {
    value: Option<(Instant, T)>,
    failed: Option<(Instant, String)>,
    /// One fetch at a time per address.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl<T> Default for Entry<T> {
    fn default() -> Self {
        Self {
            value: None,
            failed: None,
            turn: Arc::default(),
        }
    }
}

/// Fetched documents by address.
pub struct Cached<T> {
    timing: Timing,
    entries: Mutex<HashMap<String, Entry<T>>>,
}

impl<T: Clone> Cached<T> {
    pub fn new(timing: Timing) -> Self {
        Self {
            timing,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The document at `key`, from the cache or from `fetch` (see the module documentation).
    pub async fn get<F, Fut>(&self, key: &str, want: Want, fetch: F) -> Result<T, String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let asked = Instant::now();
        if let Some(value) = self.usable(key, want, asked) {
            return Ok(value);
        }
        let turn = self.with_entry(key, |e| e.turn.clone());
        let _turn = turn.lock().await;
        // Whoever held the turn may have fetched what this caller needs.
        if let Some(value) = self.usable(key, want, asked) {
            return Ok(value);
        }
        let recent_failure = self.with_entry(key, |e| {
            e.failed
                .as_ref()
                .filter(|(at, _)| at.elapsed() < self.timing.failure_backoff)
                .map(|(_, why)| why.clone())
        });
        let result = match recent_failure {
            Some(why) => Err(why),
            None => fetch().await,
        };
        match result {
            Ok(value) => {
                self.with_entry(key, |e| {
                    e.value = Some((Instant::now(), value.clone()));
                    e.failed = None;
                });
                Ok(value)
            }
            Err(why) => {
                let stale = self.with_entry(key, |e| {
                    if e.failed
                        .as_ref()
                        .is_none_or(|(at, _)| at.elapsed() >= self.timing.failure_backoff)
                    {
                        e.failed = Some((Instant::now(), why.clone()));
                    }
                    e.value
                        .as_ref()
                        .filter(|(at, _)| {
                            want == Want::Cached && at.elapsed() < self.timing.stale_limit
                        })
                        .map(|(_, v)| v.clone())
                });
                match stale {
                    Some(value) => {
                        tracing::warn!(address = key, error = %why, "provider unreachable: using the copy fetched earlier");
                        Ok(value)
                    }
                    None => Err(why),
                }
            }
        }
    }

    /// A cached copy good enough for `want`: within its lifetime and, for [`Want::Newer`],
    /// fetched after the caller asked or younger than [`Timing::refresh_min`].
    fn usable(&self, key: &str, want: Want, asked: Instant) -> Option<T> {
        self.with_entry(key, |e| {
            let (at, value) = e.value.as_ref()?;
            let fresh = at.elapsed() < self.timing.ttl;
            let new_enough =
                want == Want::Cached || *at >= asked || at.elapsed() < self.timing.refresh_min;
            (fresh && new_enough).then(|| value.clone())
        })
    }

    fn with_entry<R>(&self, key: &str, f: impl FnOnce(&mut Entry<T>) -> R) -> R {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(entries.entry(key.to_owned()).or_default())
    }
}

/// The providers' discovery documents (by issuer) and key sets (by JWKS address).
pub struct ProviderMetadata {
    pub discovery: Cached<Value>,
    pub jwks: Cached<Vec<VerifyingKey>>,
}

impl Default for ProviderMetadata {
    fn default() -> Self {
        Self {
            discovery: Cached::new(Timing::default()),
            jwks: Cached::new(Timing::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn quick() -> Timing {
        Timing {
            ttl: Duration::from_secs(60),
            refresh_min: Duration::from_millis(100),
            failure_backoff: Duration::from_millis(100),
            stale_limit: Duration::from_secs(60),
        }
    }

    async fn counted(
        cache: &Cached<u32>,
        want: Want,
        fetches: &AtomicUsize,
        answer: Result<u32, &str>,
    ) -> Result<u32, String> {
        cache
            .get("k", want, || async {
                fetches.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                answer.map_err(str::to_owned)
            })
            .await
    }

    #[tokio::test]
    async fn a_newer_copy_is_fetched_once_for_many_callers_and_at_most_every_refresh_min() {
        let cache = Cached::new(quick());
        let fetches = AtomicUsize::new(0);
        assert_eq!(counted(&cache, Want::Cached, &fetches, Ok(1)).await, Ok(1));
        assert_eq!(counted(&cache, Want::Cached, &fetches, Ok(2)).await, Ok(1));
        // Just fetched: a caller wanting a newer copy gets this one (rate limit).
        assert_eq!(counted(&cache, Want::Newer, &fetches, Ok(2)).await, Ok(1));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(120)).await;
        // Ten callers at once that need a newer copy share one fetch.
        let (cache, fetches) = (Arc::new(cache), Arc::new(fetches));
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            callers.spawn(async move { counted(&cache, Want::Newer, &fetches, Ok(3)).await });
        }
        while let Some(result) = callers.join_next().await {
            assert_eq!(result.unwrap(), Ok(3));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_outage_answers_fast_and_uses_the_earlier_copy_unless_a_newer_one_is_needed() {
        let cache = Cached::new(quick());
        let fetches = AtomicUsize::new(0);
        // Nothing cached: the error, and the next caller within the back-off does not fetch.
        assert_eq!(
            counted(&cache, Want::Cached, &fetches, Err("down")).await,
            Err("down".into())
        );
        assert_eq!(
            counted(&cache, Want::Cached, &fetches, Ok(9)).await,
            Err("down".into())
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Recovery without a restart once the back-off has passed.
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(counted(&cache, Want::Cached, &fetches, Ok(1)).await, Ok(1));
        tokio::time::sleep(Duration::from_millis(120)).await;
        // Down again: an unknown key cannot be looked up, but the known keys still work.
        assert_eq!(
            counted(&cache, Want::Newer, &fetches, Err("down")).await,
            Err("down".into())
        );
        assert_eq!(
            counted(&cache, Want::Cached, &fetches, Err("down")).await,
            Ok(1)
        );
    }

    #[tokio::test]
    async fn an_expired_copy_is_used_while_the_provider_is_down() {
        let cache = Cached::new(Timing {
            ttl: Duration::from_millis(50),
            ..quick()
        });
        let fetches = AtomicUsize::new(0);
        assert_eq!(counted(&cache, Want::Cached, &fetches, Ok(1)).await, Ok(1));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            counted(&cache, Want::Cached, &fetches, Err("down")).await,
            Ok(1)
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }
}
