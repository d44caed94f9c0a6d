//! Persistence. One implementation on sqlx's `Any` driver serves SQLite and PostgreSQL: the
//! schemas are kept to shared column types (TEXT, 64-bit integers) so that every query runs
//! unchanged on both, and only the migrations differ per engine.

pub mod agent;
pub mod audit;
pub mod catalogue;
pub mod change_request;
pub mod changes;
pub mod decision;
pub mod mail;
pub mod maskinporten;
pub mod migrate;
pub mod oidc;
pub mod reference;
pub mod relying_party;
pub mod studio;
pub mod studio_account;
pub mod studio_oauth;
pub mod system;
pub mod system_user;
pub mod throttle;
pub mod watch;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub type Conn = sqlx::AnyConnection;

/// How long a writer waits for its turn (SQLite) or for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A transaction. On SQLite it also holds this process's write turn (see [`Store::begin`]).
pub struct Tx {
    inner: Transaction<'static, Any>,
    _turn: Option<OwnedSemaphorePermit>,
    changes: Arc<changes::ChangeFeed>,
}

impl Tx {
    /// Commits, and tells the change feed (whether or not the commit succeeded: a commit
    /// whose answer was lost may have happened).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let result = self.inner.commit().await;
        self.changes.moved();
        result
    }
}

impl Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.inner
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the database is overloaded or out of reach rather than the request being
    /// wrong: no connection (or write turn) came free in time, SQLite stayed locked, the
    /// server cannot be reached or dropped the connection, or is starting or shutting down.
    /// Worth a 503 with `Retry-After`.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(e) if is_unavailable(e))
    }

    /// True when a unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// See [`StoreError::is_unavailable`].
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|code| overload_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs are five characters: too many connections, lock not available,
/// query cancelled (statement timeout), serialisation failure, deadlock; connection exceptions
/// (class 08), the server shutting down or starting (57P01–57P03) and a database that takes no
/// connections now (55000). SQLite's codes are numbers of at most four digits: SQLITE_BUSY (5)
/// and SQLITE_LOCKED (6), with their extended codes in the high bits.
fn overload_code(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("08")
            || matches!(
                code,
                "53300"
                    | "55P03"
                    | "57014"
                    | "40001"
                    | "40P01"
                    | "57P01"
                    | "57P02"
                    | "57P03"
                    | "55000"
            );
    }
    code.parse::<i32>()
        .is_ok_and(|c| code.len() < 5 && matches!(c & 0xff, 5 | 6))
}

/// How many values one `IN (…)` list holds (well under SQLite's and PostgreSQL's bind limits).
pub(crate) const IN_LIST_MAX: usize = 500;

/// `$1, $2, …, $n`: bind placeholders for an `IN` list (the values are bound, never pasted).
pub(crate) fn placeholders(n: usize) -> String {
    placeholders_after(0, n)
}

/// `$k+1, …, $k+n`: placeholders for values bound after the first `k`.
pub(crate) fn placeholders_after(k: usize, n: usize) -> String {
    (k + 1..=k + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many rows one multi-row `INSERT` writes (at most 7 values each: 3,500 binds, well
/// under the limits of both engines).
pub(crate) const BULK_ROWS: usize = 500;

/// `($1, $2), ($3, $4), …`: the bound `VALUES` rows of a multi-row insert of `rows` rows of
/// `columns` values each.
pub(crate) fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders_after(r * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// SQLite has one writer at a time: writers of this process queue here for their turn
    /// *before* they take a pooled connection, so waiting writers never hold the connections
    /// that readers (and the writer whose turn it is) need.
    write_turn: Arc<Semaphore>,
    /// How to open a connection of one's own (the outage watch).
    options: AnyConnectOptions,
    watch: Arc<watch::DatabaseWatch>,
    changes: Arc<changes::ChangeFeed>,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), creating the SQLite file and its
    /// directory when missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_trusting(url, None).await
    }

    /// The database of `config`, with its extra CA for the PostgreSQL server's certificate.
    pub async fn open(config: &crate::config::Config) -> Result<Self, StoreError> {
        Self::connect_trusting(&config.database_url, config.database_ca_file.as_deref()).await
    }

    /// Connects to `url`; `ca_file` adds a certificate authority to trust for the PostgreSQL
    /// server's TLS certificate (sslmode `verify-ca` or `verify-full`).
    pub async fn connect_trusting(
        url: &str,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else {
            Engine::Postgres
        };
        let url = match engine {
            Engine::Sqlite => sqlite_url(url)?,
            Engine::Postgres => url.to_owned(),
        };
        let mut options = AnyConnectOptions::from_str(&url)?;
        if let (Some(ca), Engine::Postgres) = (ca_file, engine) {
            options
                .database_url
                .query_pairs_mut()
                .append_pair("sslrootcert", &ca.display().to_string());
        }
        let pool_options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        let watch_options = options.clone();
        let pool = match engine {
            Engine::Sqlite => {
                pool_options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::raw_sql(
                                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                            )
                            .execute(conn)
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Engine::Postgres => {
                pool_options
                    .max_connections(16)
                    .connect_with(options)
                    .await?
            }
        };
        Ok(Self {
            pool,
            engine,
            write_turn: Arc::new(Semaphore::new(1)),
            options: watch_options,
            watch: Arc::default(),
            changes: Arc::default(),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Why PostgreSQL is taken to be down, while [`Store::watch`] runs and finds it so.
    pub fn down(&self) -> Option<String> {
        self.watch.down()
    }

    /// Watches whether PostgreSQL answers (see [`watch`]) until the task is aborted; SQLite
    /// is a file and needs no watch.
    pub fn watch(&self) -> Option<tokio::task::JoinHandle<()>> {
        (self.engine == Engine::Postgres).then(|| {
            let (watch, options) = (self.watch.clone(), self.options.clone());
            tokio::spawn(async move { watch.run(options).await })
        })
    }

    /// Whether what decisions read may have changed (see [`changes`]).
    pub fn changes(&self) -> &changes::ChangeFeed {
        &self.changes
    }

    /// Follows other processes' changes (see [`changes`]) until the task is aborted.
    pub fn follow_changes(&self) -> tokio::task::JoinHandle<()> {
        let (feed, options) = (self.changes.clone(), self.options.clone());
        match self.engine {
            Engine::Postgres => {
                let url = options.database_url.to_string();
                tokio::spawn(async move { feed.follow_postgres(url).await })
            }
            Engine::Sqlite => tokio::spawn(async move { feed.follow_sqlite(options).await }),
        }
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`) so
    /// that two writers wait for each other instead of failing on lock upgrade.
    /// On SQLite the writers of this process take turns first (in arrival order, without a
    /// connection), so a burst of writers cannot starve the pool.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self.engine {
            Engine::Sqlite => {
                let turn =
                    tokio::time::timeout(ACQUIRE_TIMEOUT, self.write_turn.clone().acquire_owned())
                        .await
                        .map_err(|_| sqlx::Error::PoolTimedOut)?
                        .map_err(|_| sqlx::Error::PoolClosed)?;
                Tx {
                    inner: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                    changes: self.changes.clone(),
                }
            }
            Engine::Postgres => Tx {
                inner: self.pool.begin().await?,
                _turn: None,
                changes: self.changes.clone(),
            },
        })
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }
}

/// Sets a metadata value inside a transaction.
pub async fn meta_set(conn: &mut Conn, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads a metadata value inside a transaction.
pub async fn meta_get(conn: &mut Conn, key: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// A metadata value, created with `make` (and kept) the first time it is asked for.
pub async fn meta_get_or_create(
    conn: &mut Conn,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    if let Some(v) = meta_get(conn, key).await? {
        return Ok(v);
    }
    let v = make();
    meta_set(conn, key, &v).await?;
    Ok(v)
}

/// `sqlite://path` with the directory created and `mode=rwc` so that the file is created too.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

pub(crate) fn bool_to_int(b: bool) -> i64 {
    i64::from(b)
}

pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    column: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_busy_or_unreachable_codes_mean_unavailable() {
        for busy in [
            "5", "6", "517", "262", "53300", "40P01", "40001", "55P03", "57014", "08006", "08001",
            "57P01", "57P03", "55000",
        ] {
            assert!(super::overload_code(busy), "{busy}");
        }
        // 22021 (bad encoding) and 42501 (no privilege) end in 5 in their low byte.
        for not in ["22021", "42501", "23505", "19", "2067", "1"] {
            assert!(!super::overload_code(not), "{not}");
        }
    }
}
