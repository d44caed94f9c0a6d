//! The embedded OpenID providers' clients, pending authorization requests and codes; tilgang's
//! own log-in flows and web sessions.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, json_column};
use crate::clock::Micros;

#[derive(Debug, Clone)]
pub struct OidcClient {
    pub issuer: String,
    pub client_id: String,
    pub client_name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub jwks: Option<Value>,
    /// The scopes the client may ask for; `None`: any the provider offers.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub pid: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub acr: String,
    pub code_challenge: String,
    pub auth_time: Micros,
}

#[derive(Debug, Clone)]
pub struct WebSession {
    pub provider: String,
    pub pid: String,
    pub name: String,
    pub acr: String,
    pub csrf: String,
    pub id_token: String,
    pub expires_at: Micros,
}

fn client_from_row(row: &AnyRow) -> Result<OidcClient, StoreError> {
    let jwks: Option<String> = row.try_get("jwks")?;
    Ok(OidcClient {
        issuer: row.try_get("issuer")?,
        client_id: row.try_get("client_id")?,
        client_name: row.try_get("client_name")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: json_column("redirect_uris", &row.try_get::<String, _>("redirect_uris")?)?,
        post_logout_redirect_uris: json_column(
            "post_logout_redirect_uris",
            &row.try_get::<String, _>("post_logout_redirect_uris")?,
        )?,
        jwks: jwks.map(|j| json_column("jwks", &j)).transpose()?,
        scopes: row
            .try_get::<Option<String>, _>("scopes")?
            .map(|j| json_column("scopes", &j))
            .transpose()?,
    })
}

impl Store {
    /// Registers (or updates) a client of an embedded OpenID provider.
    pub async fn upsert_oidc_client(&self, c: &OidcClient, now: Micros) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oidc_client (issuer, client_id, client_name, secret_hash, redirect_uris, post_logout_redirect_uris, jwks, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (issuer, client_id) DO UPDATE SET client_name = excluded.client_name, \
               secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris, \
               post_logout_redirect_uris = excluded.post_logout_redirect_uris, jwks = excluded.jwks",
        )
        .bind(&c.issuer)
        .bind(&c.client_id)
        .bind(&c.client_name)
        .bind(c.secret_hash.as_deref())
        .bind(serde_json::to_string(&c.redirect_uris).unwrap_or_default())
        .bind(serde_json::to_string(&c.post_logout_redirect_uris).unwrap_or_default())
        .bind(c.jwks.as_ref().map(Value::to_string))
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn oidc_client(
        &self,
        issuer: &str,
        client_id: &str,
    ) -> Result<Option<OidcClient>, StoreError> {
        let row = sqlx::query(
            "SELECT issuer, client_id, client_name, secret_hash, redirect_uris, post_logout_redirect_uris, jwks, scopes \
             FROM oidc_client WHERE issuer = $1 AND client_id = $2",
        )
        .bind(issuer)
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    /// Stores a pending authorization request; `source` is the address that sent it (none
    /// for pushed requests, which come from authenticated clients).
    pub async fn insert_auth_request(
        &self,
        id: &str,
        issuer: &str,
        client_id: &str,
        params: &Value,
        expires_at: Micros,
        source: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO oidc_auth_request (id, issuer, client_id, params, expires_at, source) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(issuer)
            .bind(client_id)
            .bind(params.to_string())
            .bind(expires_at)
            .bind(source)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many unexpired authorization requests `source` has pending.
    pub async fn pending_auth_requests_of(
        &self,
        source: &str,
        now: Micros,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM oidc_auth_request WHERE source = $1 AND expires_at > $2",
        )
        .bind(source)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    /// A pending authorization request that has not expired: (client id, parameters).
    pub async fn auth_request(
        &self,
        id: &str,
        issuer: &str,
        now: Micros,
    ) -> Result<Option<(String, Value)>, StoreError> {
        let row = sqlx::query("SELECT client_id, params FROM oidc_auth_request WHERE id = $1 AND issuer = $2 AND expires_at > $3")
            .bind(id)
            .bind(issuer)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok((
                r.try_get("client_id")?,
                json_column("params", &r.try_get::<String, _>("params")?)?,
            ))
        })
        .transpose()
    }

    /// Removes a pending request; `false` when another request removed it first.
    pub async fn consume_auth_request(&self, id: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM oidc_auth_request WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn insert_code(
        &self,
        code_hash: &str,
        issuer: &str,
        c: &CodeRecord,
        expires_at: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oidc_code (code_hash, issuer, client_id, redirect_uri, pid, scope, nonce, acr, code_challenge, auth_time, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(code_hash)
        .bind(issuer)
        .bind(&c.client_id)
        .bind(&c.redirect_uri)
        .bind(&c.pid)
        .bind(&c.scope)
        .bind(c.nonce.as_deref())
        .bind(&c.acr)
        .bind(&c.code_challenge)
        .bind(c.auth_time)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks a code used and returns it, once: a second call, or one after expiry, gets `None`.
    pub async fn redeem_code(
        &self,
        code_hash: &str,
        issuer: &str,
        now: Micros,
    ) -> Result<Option<CodeRecord>, StoreError> {
        let row = sqlx::query(
            "UPDATE oidc_code SET used = 1 WHERE code_hash = $1 AND issuer = $2 AND used = 0 AND expires_at > $3 \
             RETURNING client_id, redirect_uri, pid, scope, nonce, acr, code_challenge, auth_time",
        )
        .bind(code_hash)
        .bind(issuer)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(CodeRecord {
                client_id: r.try_get("client_id")?,
                redirect_uri: r.try_get("redirect_uri")?,
                pid: r.try_get("pid")?,
                scope: r.try_get("scope")?,
                nonce: r.try_get("nonce")?,
                acr: r.try_get("acr")?,
                code_challenge: r.try_get("code_challenge")?,
                auth_time: r.try_get("auth_time")?,
            })
        })
        .transpose()
    }

    pub async fn insert_session(
        &self,
        id_hash: &str,
        s: &WebSession,
        now: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_session (id_hash, provider, pid, name, acr, csrf, id_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id_hash)
        .bind(&s.provider)
        .bind(&s.pid)
        .bind(&s.name)
        .bind(&s.acr)
        .bind(&s.csrf)
        .bind(&s.id_token)
        .bind(now)
        .bind(s.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn session(
        &self,
        id_hash: &str,
        now: Micros,
    ) -> Result<Option<WebSession>, StoreError> {
        let row = sqlx::query(
            "SELECT provider, pid, name, acr, csrf, id_token, expires_at FROM web_session WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(WebSession {
                provider: r.try_get("provider")?,
                pid: r.try_get("pid")?,
                name: r.try_get("name")?,
                acr: r.try_get("acr")?,
                csrf: r.try_get("csrf")?,
                id_token: r.try_get("id_token")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_session WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes expired requests, codes, flows and sessions; returns how many rows went.
    pub async fn purge_expired_logins(&self, now: Micros) -> Result<u64, StoreError> {
        let mut n = 0;
        for sql in [
            "DELETE FROM oidc_auth_request WHERE expires_at < $1",
            "DELETE FROM oidc_code WHERE expires_at < $1",
            "DELETE FROM login_flow WHERE expires_at < $1",
            "DELETE FROM web_session WHERE expires_at < $1",
        ] {
            n += sqlx::query(sql)
                .bind(now)
                .execute(self.pool())
                .await?
                .rows_affected();
        }
        Ok(n)
    }
}
