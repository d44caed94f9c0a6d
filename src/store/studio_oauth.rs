//! Studio as OAuth2/OIDC provider: registered applications, grants (consent), authorization
//! codes and refresh tokens. Secrets, codes and tokens are stored as SHA-256 hashes only.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, bool_to_int, json_column};
use crate::clock::Micros;

#[derive(Debug, Clone)]
pub struct OauthApp {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub confidential: bool,
    pub trusted: bool,
    /// The Studio user who registered it; `None` for the platform's own.
    pub owner_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: i64,
    pub user_id: i64,
    pub app_id: i64,
    pub app_name: String,
    pub scope: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub grant_id: i64,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub method: String,
    pub nonce: String,
    /// When the user logged in (seconds; 0 when unknown).
    pub auth_time: i64,
}

fn app(row: &AnyRow) -> Result<OauthApp, StoreError> {
    Ok(OauthApp {
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: json_column("redirect_uris", &row.try_get::<String, _>("redirect_uris")?)?,
        confidential: row.try_get::<i64, _>("confidential")? != 0,
        trusted: row.try_get::<i64, _>("trusted")? != 0,
        owner_id: row.try_get("owner_id")?,
    })
}

fn grant(row: &AnyRow) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        app_id: row.try_get("app_id")?,
        app_name: row.try_get("app_name")?,
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
    })
}

const GRANT_SELECT: &str = "SELECT g.id, g.user_id, g.app_id, a.name AS app_name, g.scope, g.created_at \
     FROM studio_oauth_grant g JOIN studio_oauth_app a ON a.id = g.app_id";

impl Store {
    /// Registers an application, or updates the one with this client id.
    pub async fn upsert_oauth_app(&self, a: &OauthApp, now: Micros) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO studio_oauth_app (client_id, name, secret_hash, redirect_uris, confidential, trusted, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, \
             secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris, \
             confidential = excluded.confidential, trusted = excluded.trusted",
        )
        .bind(&a.client_id)
        .bind(&a.name)
        .bind(&a.secret_hash)
        .bind(serde_json::to_string(&a.redirect_uris).unwrap_or_default())
        .bind(bool_to_int(a.confidential))
        .bind(bool_to_int(a.trusted))
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The owner of application `id`: `None` when there is no such application, `Some(None)`
    /// for the platform's own.
    pub async fn oauth_app_owner(&self, id: i64) -> Result<Option<Option<i64>>, StoreError> {
        let row = sqlx::query("SELECT owner_id FROM studio_oauth_app WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get::<Option<i64>, _>("owner_id"))
            .transpose()
            .map_err(StoreError::from)
    }

    pub async fn oauth_app(&self, client_id: &str) -> Result<Option<OauthApp>, StoreError> {
        sqlx::query("SELECT id, client_id, name, secret_hash, redirect_uris, confidential, trusted, owner_id FROM studio_oauth_app WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(app)
            .transpose()
    }

    pub async fn oauth_grant(
        &self,
        user_id: i64,
        app_id: i64,
    ) -> Result<Option<Grant>, StoreError> {
        let sql = format!("{GRANT_SELECT} WHERE g.user_id = $1 AND g.app_id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(app_id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(grant)
            .transpose()
    }

    pub async fn oauth_grant_by_id(&self, id: i64) -> Result<Option<Grant>, StoreError> {
        let sql = format!("{GRANT_SELECT} WHERE g.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(grant)
            .transpose()
    }

    pub async fn oauth_grants_of(&self, user_id: i64) -> Result<Vec<Grant>, StoreError> {
        let sql = format!("{GRANT_SELECT} WHERE g.user_id = $1 ORDER BY g.created_at");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(grant)
            .collect()
    }

    /// The user's grant to the application with `scope` (created, or its scope replaced).
    pub async fn ensure_oauth_grant(
        &self,
        user_id: i64,
        app_id: i64,
        scope: &str,
        now: Micros,
    ) -> Result<Grant, StoreError> {
        sqlx::query(
            "INSERT INTO studio_oauth_grant (user_id, app_id, scope, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, app_id) DO UPDATE SET scope = excluded.scope",
        )
        .bind(user_id)
        .bind(app_id)
        .bind(scope)
        .bind(now)
        .execute(self.pool())
        .await?;
        self.oauth_grant(user_id, app_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the grant just written is gone".into()))
    }

    /// Revokes a grant with its codes and refresh tokens; false when there was none.
    pub async fn delete_oauth_grant(
        &self,
        user_id: i64,
        grant_id: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let deleted = delete_oauth_grant_in(&mut tx, user_id, grant_id).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub async fn insert_oauth_code(
        &self,
        code_hash: &str,
        c: &Code,
        expires_at: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO studio_oauth_code (code_hash, grant_id, redirect_uri, code_challenge, method, nonce, expires_at, auth_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(code_hash)
        .bind(c.grant_id)
        .bind(&c.redirect_uri)
        .bind(&c.code_challenge)
        .bind(&c.method)
        .bind(&c.nonce)
        .bind(expires_at)
        .bind(c.auth_time)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes a code once: marks it used and returns it if it was unused and unexpired.
    pub async fn take_oauth_code(
        &self,
        code_hash: &str,
        now: Micros,
    ) -> Result<Option<Code>, StoreError> {
        let done = sqlx::query("UPDATE studio_oauth_code SET used = 1 WHERE code_hash = $1 AND used = 0 AND expires_at > $2")
            .bind(code_hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        if done.rows_affected() != 1 {
            // A code presented twice: what the first use got is not to be trusted either
            // (RFC 6749 §4.1.2); its refresh tokens go.
            sqlx::query(
                "DELETE FROM studio_oauth_refresh WHERE grant_id IN \
                 (SELECT grant_id FROM studio_oauth_code WHERE code_hash = $1 AND used = 1)",
            )
            .bind(code_hash)
            .execute(self.pool())
            .await?;
            return Ok(None);
        }
        let row = sqlx::query("SELECT grant_id, redirect_uri, code_challenge, method, nonce, auth_time FROM studio_oauth_code WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(Code {
                grant_id: r.try_get("grant_id")?,
                redirect_uri: r.try_get("redirect_uri")?,
                code_challenge: r.try_get("code_challenge")?,
                method: r.try_get("method")?,
                nonce: r.try_get("nonce")?,
                auth_time: r.try_get("auth_time")?,
            })
        })
        .transpose()
    }

    /// Stores a refresh token; with `parent` (the token it rotates) only while the parent is
    /// still stored, so that a family revoked in the meantime gets no new member. `false` when
    /// nothing was stored.
    pub async fn insert_refresh_token(
        &self,
        token_hash: &str,
        grant_id: i64,
        expires_at: Micros,
        parent: Option<&str>,
        auth_time: i64,
    ) -> Result<bool, StoreError> {
        let done = match parent {
            None => sqlx::query(
                "INSERT INTO studio_oauth_refresh (token_hash, grant_id, expires_at, auth_time) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(grant_id)
            .bind(expires_at)
            .bind(auth_time)
            .execute(self.pool())
            .await?,
            Some(parent) => sqlx::query(
                "INSERT INTO studio_oauth_refresh (token_hash, grant_id, expires_at, auth_time) \
                 SELECT $1, $2, $3, $5 WHERE EXISTS (SELECT 1 FROM studio_oauth_refresh WHERE token_hash = $4)",
            )
            .bind(token_hash)
            .bind(grant_id)
            .bind(expires_at)
            .bind(parent)
            .bind(auth_time)
            .execute(self.pool())
            .await?,
        };
        Ok(done.rows_affected() == 1)
    }

    /// Takes a refresh token once (it is rotated on use). A token presented again after its
    /// use means it was stolen or copied (RFC 9700 §4.14.2): every refresh token of its grant
    /// (the family) is revoked, and the caller is told whose grant it was.
    pub async fn take_refresh_token(
        &self,
        token_hash: &str,
        now: Micros,
    ) -> Result<RefreshTake, StoreError> {
        let done = sqlx::query("UPDATE studio_oauth_refresh SET used = 1 WHERE token_hash = $1 AND used = 0 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT grant_id, used, auth_time FROM studio_oauth_refresh WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some((grant_id, _, auth_time)) if done.rows_affected() == 1 => {
                RefreshTake::Fresh(grant_id, auth_time)
            }
            Some((grant_id, 1, _)) => {
                sqlx::query("DELETE FROM studio_oauth_refresh WHERE grant_id = $1")
                    .bind(grant_id)
                    .execute(self.pool())
                    .await?;
                RefreshTake::Reused(grant_id)
            }
            _ => RefreshTake::Unknown,
        })
    }
}

impl Store {
    /// The grant of a refresh token that is unused and unexpired (introspection, revocation).
    pub async fn live_refresh_token(
        &self,
        token_hash: &str,
        now: Micros,
    ) -> Result<Option<(i64, Micros)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT grant_id, expires_at FROM studio_oauth_refresh WHERE token_hash = $1 AND used = 0 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Revokes every refresh token of a grant (the grant and its consent stay).
    pub async fn delete_refresh_tokens_of(&self, grant_id: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM studio_oauth_refresh WHERE grant_id = $1")
                .bind(grant_id)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTake {
    /// Unused and unexpired: now used; the grant it belongs to, and the log-in time it
    /// descends from (seconds; 0 when unknown).
    Fresh(i64, i64),
    /// Used before: the grant's refresh tokens are all revoked now.
    Reused(i64),
    /// Unknown or expired.
    Unknown,
}

/// [`Store::delete_oauth_grant`] inside the caller's transaction.
pub async fn delete_oauth_grant_in(
    conn: &mut super::Conn,
    user_id: i64,
    grant_id: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM studio_oauth_grant WHERE id = $1 AND user_id = $2")
        .bind(grant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 1 {
        for table in ["studio_oauth_code", "studio_oauth_refresh"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE grant_id = $1"
            )))
            .bind(grant_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(done.rows_affected() == 1)
}

/// An application a Studio user registered (Gitea's `/user/applications/oauth2`).
#[derive(Debug, Clone)]
pub struct UserApp {
    pub app: OauthApp,
    pub created_at: Micros,
}

/// What a user registers or changes.
pub struct UserAppSpec<'a> {
    pub name: &'a str,
    pub redirect_uris: &'a [String],
    pub confidential: bool,
    pub secret_hash: &'a str,
}

/// Audits a change by `owner` to its application `id`.
async fn audit_app(
    conn: &mut super::Conn,
    owner: i64,
    action: &str,
    id: i64,
    details: serde_json::Value,
    now: Micros,
) -> Result<(), StoreError> {
    super::audit::record(
        conn,
        &super::audit::AuditEntry {
            actor: &format!("studio-user:{owner}"),
            action,
            target: &format!("oauth-app:{id}"),
            details,
            trace_id: None,
        },
        now,
    )
    .await
}

const USER_APP_SELECT: &str = "SELECT id, client_id, name, secret_hash, redirect_uris, confidential, trusted, owner_id, created_at \
     FROM studio_oauth_app";

fn user_app(row: &AnyRow) -> Result<UserApp, StoreError> {
    Ok(UserApp {
        app: app(row)?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Registers an application of `owner`; `None` when the owner has `max` already.
    pub async fn insert_user_app(
        &self,
        owner: i64,
        client_id: &str,
        spec: &UserAppSpec<'_>,
        max: i64,
        now: Micros,
    ) -> Result<Option<UserApp>, StoreError> {
        let mut tx = self.begin().await?;
        // The owner's row serialises concurrent registrations, so the cap holds.
        sqlx::query("UPDATE studio_user SET updated_at = updated_at WHERE id = $1")
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM studio_oauth_app WHERE owner_id = $1")
            .bind(owner)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if n >= max {
            return Ok(None);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO studio_oauth_app (client_id, name, secret_hash, redirect_uris, confidential, trusted, created_at, owner_id) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id",
        )
        .bind(client_id)
        .bind(spec.name)
        .bind(spec.secret_hash)
        .bind(serde_json::to_string(spec.redirect_uris).unwrap_or_default())
        .bind(bool_to_int(spec.confidential))
        .bind(now)
        .bind(owner)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        audit_app(
            &mut tx,
            owner,
            "studio.oauth_app.create",
            id,
            serde_json::json!({"name": spec.name, "redirect_uris": spec.redirect_uris}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.user_app(owner, id).await
    }

    pub async fn user_app(&self, owner: i64, id: i64) -> Result<Option<UserApp>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{USER_APP_SELECT} WHERE id = $1 AND owner_id = $2"
        )))
        .bind(id)
        .bind(owner)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(user_app)
        .transpose()
    }

    pub async fn user_apps(&self, owner: i64) -> Result<Vec<UserApp>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{USER_APP_SELECT} WHERE owner_id = $1 ORDER BY id"
        )))
        .bind(owner)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(user_app)
        .collect()
    }

    /// Changes an application of `owner` (Gitea gives it a new secret too); whether it exists.
    pub async fn update_user_app(
        &self,
        owner: i64,
        id: i64,
        spec: &UserAppSpec<'_>,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query(
            "UPDATE studio_oauth_app SET name = $1, redirect_uris = $2, confidential = $3, secret_hash = $4 \
             WHERE id = $5 AND owner_id = $6",
        )
        .bind(spec.name)
        .bind(serde_json::to_string(spec.redirect_uris).unwrap_or_default())
        .bind(bool_to_int(spec.confidential))
        .bind(spec.secret_hash)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if found {
            audit_app(
                &mut tx,
                owner,
                "studio.oauth_app.update",
                id,
                serde_json::json!({"name": spec.name, "redirect_uris": spec.redirect_uris}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Deletes an application of `owner` with every grant, code and token issued to it (its
    /// access tokens stop working: they name a grant).
    pub async fn delete_user_app(
        &self,
        owner: i64,
        id: i64,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT id FROM studio_oauth_app WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Ok(false);
        }
        for table in ["studio_oauth_code", "studio_oauth_refresh"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE grant_id IN (SELECT id FROM studio_oauth_grant WHERE app_id = $1)"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM studio_oauth_grant WHERE app_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM studio_oauth_app WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_app(
            &mut tx,
            owner,
            "studio.oauth_app.delete",
            id,
            serde_json::json!({}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
