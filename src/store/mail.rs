//! The outbox of e-mail: every message tilgang sends is written here first, then delivered by
//! SMTP (with retries) or, in the local profile without SMTP, kept for the /dev/mail page.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
use crate::clock::Micros;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const KEPT: &str = "kept";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone)]
pub struct Mail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Micros,
}

fn mail(row: &AnyRow) -> Result<Mail, StoreError> {
    Ok(Mail {
        id: row.try_get("id")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
    })
}

const COLUMNS: &str = "id, recipient, subject, body, status, attempts, last_error, created_at";

impl Store {
    pub async fn insert_mail(&self, m: &Mail) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mail_outbox (id, recipient, subject, body, status, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&m.id)
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.status)
        .bind(m.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The latest mail, newest first (the /dev/mail page).
    pub async fn mails(&self, limit: i64) -> Result<Vec<Mail>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id LIMIT $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(mail)
            .collect()
    }

    pub async fn mail(&self, id: &str) -> Result<Option<Mail>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(mail)
            .transpose()
    }

    /// Claims a pending mail for one delivery attempt (pushing its next attempt to `lease_until`
    /// so that no other instance tries it meanwhile); false when someone else has it.
    pub async fn claim_mail(
        &self,
        id: &str,
        now: Micros,
        lease_until: Micros,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1 \
             WHERE id = $2 AND status = 'pending' AND next_attempt_at <= $3",
        )
        .bind(lease_until)
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Pending mail whose next attempt is due.
    pub async fn due_mails(&self, now: Micros) -> Result<Vec<Mail>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at LIMIT 50"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(mail)
            .collect()
    }

    /// Records the outcome of an attempt: sent, failed for good, or pending until `retry_at`.
    pub async fn mail_attempted(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        retry_at: Micros,
        now: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET status = $1, last_error = $2, next_attempt_at = $3, \
             sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END WHERE id = $5",
        )
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
