//! Bounds on work an anonymous caller can make the server do: password hashing (argon2id
//! takes ~19 MiB and ~20 ms of one core per check) runs on a few dedicated threads behind a
//! short queue; what does not fit is refused at once (503 with `Retry-After`) instead of piling
//! up memory. Dedicated threads, not the blocking pool: the allocator keeps a freed 19 MiB
//! block per thread arena, so hashing on dozens of pool threads held hundreds of MB.
//! The counters of refusals are shown in `/metrics`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Work = Box<dyn FnOnce() + Send>;

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

/// A place in the password queue, given back when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct Load {
    /// To the password threads; they stop when this is dropped.
    workers: mpsc::Sender<Work>,
    passwords: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    refused: [AtomicU64; 3],
}

impl Load {
    /// `password_slots` checks run at once (one per core is the sensible size); sixteen per
    /// slot may wait (with ~16 ms a check, a full queue clears in about a quarter second).
    pub fn new(password_slots: usize) -> Self {
        let slots = password_slots.max(1);
        let (workers, queue) = mpsc::channel::<Work>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..slots {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let next = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(work) => work(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a password thread");
            }
        }
        Self {
            workers,
            passwords: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_waiting: slots * 16,
            refused: Default::default(),
        }
    }

    /// Sized from the machine's cores.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// A turn to hash or check a password, or [`Busy`] when the queue is full or the wait
    /// too long. The turn is owned, so it can go with the work to its thread.
    async fn password_turn(&self) -> Result<OwnedSemaphorePermit, Busy> {
        if let Ok(permit) = self.passwords.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            self.refuse(Refusal::PasswordQueue);
            return Err(Busy);
        }
        // Leaves the queue however the wait ends, also when the caller gives up (its future
        // is dropped).
        let _in_queue = Waiting(&self.waiting);
        match tokio::time::timeout(PASSWORD_WAIT, self.passwords.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                self.refuse(Refusal::PasswordQueue);
                Err(Busy)
            }
        }
    }

    /// Runs `work` (hashing or checking a password) on a password thread when it gets a turn.
    /// The turn is held until the work is done, even when the caller has gone meanwhile, and
    /// work whose caller has gone before it started is skipped.
    pub async fn password_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let turn = self.password_turn().await?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.workers
            .send(Box::new(move || {
                let _turn = turn;
                if !done.is_closed() {
                    let _ = done.send(work());
                }
            }))
            .map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
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
        // Sixteen may wait; hold them in tasks that wait for the first permit.
        let mut waiting = Vec::new();
        for _ in 0..16 {
            let l = load.clone();
            waiting.push(tokio::spawn(async move { l.password_turn().await.is_ok() }));
        }
        while load.waiting.load(Ordering::SeqCst) < 16 {
            tokio::task::yield_now().await;
        }
        assert!(load.password_turn().await.is_err());
        assert_eq!(load.refused(Refusal::PasswordQueue), 1);
        drop(first);
        for w in waiting {
            assert!(w.await.unwrap(), "the queued checks get their turn");
        }
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_leaves_the_queue_and_keeps_its_work_bounded() {
        let load = std::sync::Arc::new(Load::new(1));
        let first = load.password_turn().await.unwrap();
        let l = load.clone();
        let gave_up = tokio::spawn(async move { l.password_turn().await.is_ok() });
        while load.waiting.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        gave_up.abort();
        let _ = gave_up.await;
        assert_eq!(load.waiting.load(Ordering::SeqCst), 0, "no place leaks");
        drop(first);
        // Work holds its turn on the thread: a second piece waits for the first to finish.
        let (tell_started, started) = tokio::sync::oneshot::channel::<()>();
        let (finish, release) = std::sync::mpsc::channel::<()>();
        let l = load.clone();
        let slow = tokio::spawn(async move {
            l.password_work(move || {
                let _ = tell_started.send(());
                let _ = release.recv();
            })
            .await
        });
        started.await.unwrap();
        slow.abort();
        assert!(
            load.passwords.available_permits() == 0,
            "the abandoned caller's work still holds the only turn"
        );
        finish.send(()).unwrap();
    }

    #[tokio::test]
    async fn work_runs_on_the_password_threads() {
        let load = Load::new(2);
        let name = load
            .password_work(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.is_some_and(|n| n.starts_with("password-")));
    }
}
