//! Bounds on work an anonymous caller can make the server do: password hashing (argon2id
//! takes ~19 MiB and ~20 ms of one core per check) runs a few at a time behind a short queue;
//! what does not fit is refused at once (503 with `Retry-After`) instead of piling up memory.
//! The counters of refusals are shown in `/metrics`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a password check may wait for its turn before it is refused.
const PASSWORD_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy; try again in a moment")]
pub struct Busy;

/// Why a request was refused for load, as counted in `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A password check found the queue full, or waited too long.
    PasswordQueue,
    /// A client had too many connections open.
    ConnectionsPerClient,
    /// The server had too many connections open.
    Connections,
}

impl Refusal {
    pub const ALL: [Refusal; 3] = [
        Refusal::PasswordQueue,
        Refusal::ConnectionsPerClient,
        Refusal::Connections,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::PasswordQueue => "password_queue",
            Refusal::ConnectionsPerClient => "connections_per_client",
            Refusal::Connections => "connections",
        }
    }
}

pub struct Load {
    passwords: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    refused: [AtomicU64; 3],
}

impl Load {
    /// `password_slots` checks run at once (one per core is the sensible size); as many again
    /// times four may wait.
    pub fn new(password_slots: usize) -> Self {
        let slots = password_slots.max(1);
        Self {
            passwords: Semaphore::new(slots),
            waiting: AtomicUsize::new(0),
            max_waiting: slots * 4,
            refused: Default::default(),
        }
    }

    /// Sized from the machine's cores.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// A turn to hash or check a password, or [`Busy`] when the queue is full or the wait
    /// too long.
    pub async fn password_turn(&self) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.passwords.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            self.refuse(Refusal::PasswordQueue);
            return Err(Busy);
        }
        let turn = tokio::time::timeout(PASSWORD_WAIT, self.passwords.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match turn {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                self.refuse(Refusal::PasswordQueue);
                Err(Busy)
            }
        }
    }

    pub fn refuse(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, why: Refusal) -> u64 {
        self.refused[why as usize].load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_counts_it() {
        let load = std::sync::Arc::new(Load::new(1));
        let first = load.password_turn().await.unwrap();
        // Four may wait; hold them in tasks that wait for the first permit.
        let mut waiting = Vec::new();
        for _ in 0..4 {
            let l = load.clone();
            waiting.push(tokio::spawn(async move { l.password_turn().await.is_ok() }));
        }
        while load.waiting.load(Ordering::SeqCst) < 4 {
            tokio::task::yield_now().await;
        }
        assert_eq!(load.password_turn().await.err(), Some(Busy));
        assert_eq!(load.refused(Refusal::PasswordQueue), 1);
        drop(first);
        for w in waiting {
            assert!(w.await.unwrap(), "the queued checks get their turn");
        }
    }
}
