//! Failed password log-ins, per account and per source address, in the database so that every
//! instance sees the same counts and a restart forgets nothing. Subjects are hashes: their
//! length is fixed whatever a caller sends.

use super::{Store, StoreError};
use crate::clock::Micros;

/// Failures of one subject: how many in the current run, and when the last one was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub last: Micros,
}

impl Store {
    pub async fn login_failures(
        &self,
        scope: &str,
        subject: &str,
    ) -> Result<Option<Failures>, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT failures, last_failure FROM login_failure WHERE scope = $1 AND subject = $2",
        )
        .bind(scope)
        .bind(subject)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(count, last)| Failures { count, last }))
    }

    /// Counts one failure; a run whose last failure is older than `run_start` starts again
    /// at one.
    pub async fn record_login_failure(
        &self,
        scope: &str,
        subject: &str,
        now: Micros,
        run_start: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_failure (scope, subject, failures, last_failure) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (scope, subject) DO UPDATE SET \
               failures = CASE WHEN login_failure.last_failure < $4 THEN 1 ELSE login_failure.failures + 1 END, \
               last_failure = $3",
        )
        .bind(scope)
        .bind(subject)
        .bind(now)
        .bind(run_start)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, scope: &str, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failure WHERE scope = $1 AND subject = $2")
            .bind(scope)
            .bind(subject)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets runs whose last failure is older than `before`.
    pub async fn purge_login_failures(&self, before: Micros) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM login_failure WHERE last_failure < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
