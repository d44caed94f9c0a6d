//! Schema migrations, embedded in the binary, one list per engine. Each runs in its own
//! transaction together with the row that records it, so a crash leaves no half-applied
//! migration; when two instances start at once, the second finds the row and moves on.

use super::{Engine, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "maskinporten",
        sqlite: include_str!("../../migrations/sqlite/0002_maskinporten.sql"),
        postgres: include_str!("../../migrations/postgres/0002_maskinporten.sql"),
    },
    Migration {
        version: 3,
        name: "oidc",
        sqlite: include_str!("../../migrations/sqlite/0003_oidc.sql"),
        postgres: include_str!("../../migrations/postgres/0003_oidc.sql"),
    },
    Migration {
        version: 4,
        name: "system_register",
        sqlite: include_str!("../../migrations/sqlite/0004_system_register.sql"),
        postgres: include_str!("../../migrations/postgres/0004_system_register.sql"),
    },
    Migration {
        version: 5,
        name: "system_users",
        sqlite: include_str!("../../migrations/sqlite/0005_system_users.sql"),
        postgres: include_str!("../../migrations/postgres/0005_system_users.sql"),
    },
    Migration {
        version: 6,
        name: "studio",
        sqlite: include_str!("../../migrations/sqlite/0006_studio.sql"),
        postgres: include_str!("../../migrations/postgres/0006_studio.sql"),
    },
    Migration {
        version: 7,
        name: "structured_keys",
        sqlite: include_str!("../../migrations/sqlite/0007_structured_keys.sql"),
        postgres: include_str!("../../migrations/postgres/0007_structured_keys.sql"),
    },
    Migration {
        version: 8,
        name: "flow_limits",
        sqlite: include_str!("../../migrations/sqlite/0008_flow_limits.sql"),
        postgres: include_str!("../../migrations/postgres/0008_flow_limits.sql"),
    },
    Migration {
        version: 9,
        name: "agents",
        sqlite: include_str!("../../migrations/sqlite/0009_agents.sql"),
        postgres: include_str!("../../migrations/postgres/0009_agents.sql"),
    },
    Migration {
        version: 10,
        name: "party_name",
        sqlite: include_str!("../../migrations/sqlite/0010_party_name.sql"),
        postgres: include_str!("../../migrations/postgres/0010_party_name.sql"),
    },
    Migration {
        version: 11,
        name: "change_requests",
        sqlite: include_str!("../../migrations/sqlite/0011_change_requests.sql"),
        postgres: include_str!("../../migrations/postgres/0011_change_requests.sql"),
    },
    Migration {
        version: 12,
        name: "studio_auth_time",
        sqlite: include_str!("../../migrations/sqlite/0012_studio_auth_time.sql"),
        postgres: include_str!("../../migrations/postgres/0012_studio_auth_time.sql"),
    },
    Migration {
        version: 13,
        name: "team_units",
        sqlite: include_str!("../../migrations/sqlite/0013_team_units.sql"),
        postgres: include_str!("../../migrations/postgres/0013_team_units.sql"),
    },
    Migration {
        version: 14,
        name: "refresh_auth_time",
        sqlite: include_str!("../../migrations/sqlite/0014_refresh_auth_time.sql"),
        postgres: include_str!("../../migrations/postgres/0014_refresh_auth_time.sql"),
    },
    Migration {
        version: 15,
        name: "maskinporten_delegation",
        sqlite: include_str!("../../migrations/sqlite/0015_maskinporten_delegation.sql"),
        postgres: include_str!("../../migrations/postgres/0015_maskinporten_delegation.sql"),
    },
    Migration {
        version: 16,
        name: "oidc_client_owner",
        sqlite: include_str!("../../migrations/sqlite/0016_oidc_client_owner.sql"),
        postgres: include_str!("../../migrations/postgres/0016_oidc_client_owner.sql"),
    },
    Migration {
        version: 17,
        name: "studio_user_apps",
        sqlite: include_str!("../../migrations/sqlite/0017_studio_user_apps.sql"),
        postgres: include_str!("../../migrations/postgres/0017_studio_user_apps.sql"),
    },
    Migration {
        version: 18,
        name: "decisions",
        sqlite: include_str!("../../migrations/sqlite/0018_decisions.sql"),
        postgres: include_str!("../../migrations/postgres/0018_decisions.sql"),
    },
    Migration {
        version: 19,
        name: "decision_change_feed",
        sqlite: include_str!("../../migrations/sqlite/0019_decision_change_feed.sql"),
        postgres: include_str!("../../migrations/postgres/0019_decision_change_feed.sql"),
    },
    Migration {
        version: 20,
        name: "studio_self_service",
        sqlite: include_str!("../../migrations/sqlite/0020_studio_self_service.sql"),
        postgres: include_str!("../../migrations/postgres/0020_studio_self_service.sql"),
    },
    Migration {
        version: 21,
        name: "studio_reset_mail",
        sqlite: include_str!("../../migrations/sqlite/0021_studio_reset_mail.sql"),
        postgres: include_str!("../../migrations/postgres/0021_studio_reset_mail.sql"),
    },
];

/// The PostgreSQL advisory lock that serialises migrations of instances starting together.
const MIGRATION_LOCK: i64 = 0x0074_696c_6761_6e67; // "tilgang"

/// Applies every migration not yet applied; returns how many ran. On PostgreSQL the whole run
/// holds an advisory lock, so instances started at once on an empty database take turns
/// (the first migrates, the others find everything applied); SQLite's writers take turns by
/// its write lock.
pub async fn run(store: &Store) -> Result<usize, StoreError> {
    if store.engine() != Engine::Postgres {
        return run_unlocked(store).await;
    }
    let mut lock = store.pool().acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await?;
    let result = run_unlocked(store).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await;
    if let Err(e) = unlocked {
        // Closing the connection releases the lock too.
        tracing::warn!(error = %e, "cannot release the migration lock; closing its connection");
        lock.close_on_drop();
    }
    result
}

async fn run_unlocked(store: &Store) -> Result<usize, StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(store.pool())
    .await?;
    let mut ran = 0;
    for m in MIGRATIONS {
        if is_applied(store, m.version).await? {
            continue;
        }
        let sql = match store.engine() {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        let result = apply(store, m, sql).await;
        match result {
            Ok(()) => {
                tracing::info!(version = m.version, name = m.name, "migration applied");
                ran += 1;
            }
            // Another instance applied it in the meantime.
            Err(_) if is_applied(store, m.version).await? => {}
            Err(source) => {
                return Err(StoreError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                });
            }
        }
    }
    Ok(ran)
}

async fn apply(store: &Store, m: &Migration, sql: &'static str) -> Result<(), sqlx::Error> {
    let mut tx = store.begin().await.map_err(|e| match e {
        StoreError::Db(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    })?;
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(m.version)
        .bind(m.name)
        .bind(crate::clock::Clock::System.now())
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(sql).execute(&mut *tx).await?;
    tx.commit().await
}

async fn is_applied(store: &Store, version: i64) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(store.pool())
            .await?;
    Ok(found.is_some())
}

/// The latest migration applied to this database; `None` when it has no schema yet.
pub async fn applied_version(store: &Store) -> Result<Option<i64>, StoreError> {
    // A count: SQLite has no boolean type.
    let tables: i64 = match store.engine() {
        Engine::Sqlite => sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        ),
        Engine::Postgres => sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_catalog.pg_tables \
             WHERE tablename = 'schema_migrations' AND schemaname = ANY (current_schemas(false))",
        ),
    }
    .fetch_one(store.pool())
    .await?;
    if tables == 0 {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(store.pool())
            .await?,
    )
}

/// The latest migration this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}
