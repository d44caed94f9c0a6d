//! What a Studio user changes about their own account (Gitea's user settings): the profile,
//! the password, a confirmed new e-mail address, and their sessions.

use sqlx::Row;

use super::{Store, StoreError};
use crate::clock::Micros;
use crate::domain::studio::Profile;

/// The device a session was started from, as the person's sessions list shows it.
#[derive(Debug, Clone, Default)]
pub struct Device {
    /// The browser's `User-Agent`, shortened.
    pub user_agent: String,
    pub ip: String,
}

/// One live session of a user.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The stored hash of the session's id: names the session without being its cookie.
    pub id_hash: String,
    pub kind: String,
    pub device: Device,
    pub created_at: Micros,
    pub expires_at: Micros,
}

/// An eID identity linked to an account (it logs in without the password).
#[derive(Debug, Clone)]
pub struct LinkedIdentity {
    pub source: String,
    pub external_id: String,
    pub created_at: Micros,
}

/// What setting a new password ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordSet {
    pub sessions: u64,
    pub grants: u64,
}

/// Longest `User-Agent` kept with a session.
pub const MAX_USER_AGENT: usize = 200;

impl Store {
    pub async fn update_studio_profile(
        &self,
        id: i64,
        p: &Profile,
        now: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE studio_user SET full_name = $1, website = $2, location = $3, description = $4, \
             updated_at = $5 WHERE id = $6 AND kind = 0",
        )
        .bind(&p.full_name)
        .bind(&p.website)
        .bind(&p.location)
        .bind(&p.description)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Sets a new password hash if `rands` is still `old_rands`, rotating it (so a reset link
    /// works once and every earlier mailed link dies), and in the same transaction ends every
    /// session of the user but `keep` and removes every application's grant (with its codes and
    /// refresh tokens, so their access tokens stop too): whoever knew the old password keeps
    /// nothing. `None` when the account changed meanwhile.
    pub async fn set_studio_password(
        &self,
        id: i64,
        old_rands: &str,
        passwd: &str,
        new_rands: &str,
        keep: Option<&str>,
        now: Micros,
    ) -> Result<Option<PasswordSet>, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE studio_user SET passwd = $1, rands = $2, updated_at = $3 \
             WHERE id = $4 AND rands = $5 AND kind = 0",
        )
        .bind(passwd)
        .bind(new_rands)
        .bind(now)
        .bind(id)
        .bind(old_rands)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let sessions =
            sqlx::query("DELETE FROM studio_session WHERE user_id = $1 AND id_hash <> $2")
                .bind(id)
                .bind(keep.unwrap_or(""))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        for table in ["studio_oauth_code", "studio_oauth_refresh"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE grant_id IN (SELECT id FROM studio_oauth_grant WHERE user_id = $1)"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let grants = sqlx::query("DELETE FROM studio_oauth_grant WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Some(PasswordSet { sessions, grants }))
    }

    /// Makes a confirmed address the account's, if `rands` is still `old_rands` (rotating it);
    /// false when something changed meanwhile. A unique violation means another account has
    /// the address now.
    pub async fn confirm_studio_email(
        &self,
        id: i64,
        old_rands: &str,
        email: &str,
        new_rands: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE studio_user SET email = $1, rands = $2, updated_at = $3 \
             WHERE id = $4 AND rands = $5 AND kind = 0 AND is_active = 1",
        )
        .bind(email.to_lowercase())
        .bind(new_rands)
        .bind(now)
        .bind(id)
        .bind(old_rands)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A user's live sessions, the newest first (at most 100: a person has a handful).
    pub async fn studio_sessions_of(
        &self,
        user_id: i64,
        now: Micros,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id_hash, kind, user_agent, ip, created_at, expires_at FROM studio_session \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash LIMIT 100",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionInfo {
                    id_hash: r.try_get("id_hash")?,
                    kind: r.try_get("kind")?,
                    device: Device {
                        user_agent: r.try_get("user_agent")?,
                        ip: r.try_get("ip")?,
                    },
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .collect()
    }

    /// Claims the right to send a password-reset mail now: true unless one was sent after
    /// `not_after` (its own resend pause, apart from the activation and new-address mails'),
    /// atomically across instances.
    pub async fn claim_studio_reset_mail(
        &self,
        id: i64,
        now: Micros,
        not_after: Micros,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE studio_user SET last_reset_mail_at = $1 \
             WHERE id = $2 AND (last_reset_mail_at IS NULL OR last_reset_mail_at <= $3)",
        )
        .bind(now)
        .bind(id)
        .bind(not_after)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The eID identities linked to a user, the oldest first.
    pub async fn studio_identities_of(
        &self,
        user_id: i64,
    ) -> Result<Vec<LinkedIdentity>, StoreError> {
        let rows = sqlx::query(
            "SELECT source, external_id, created_at FROM studio_external_login \
             WHERE user_id = $1 ORDER BY created_at, source, external_id LIMIT 100",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LinkedIdentity {
                    source: r.try_get("source")?,
                    external_id: r.try_get("external_id")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Unlinks one of a user's eID identities; false when the user has no such link.
    pub async fn delete_studio_identity(
        &self,
        user_id: i64,
        source: &str,
        external_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM studio_external_login WHERE user_id = $1 AND source = $2 AND external_id = $3",
        )
        .bind(user_id)
        .bind(source)
        .bind(external_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends one session of a user; false when the user has no such session.
    pub async fn delete_studio_session_of(
        &self,
        user_id: i64,
        id_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM studio_session WHERE id_hash = $1 AND user_id = $2")
            .bind(id_hash)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of a user but `keep` (the one in use); returns how many ended.
    pub async fn delete_studio_sessions_but(
        &self,
        user_id: i64,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM studio_session WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
