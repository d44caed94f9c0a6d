//! tilgang's signing keys: created on first start, kept in the database (so that every
//! instance signs and verifies with the same set), parsed once and held here.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

use crate::clock::Clock;
use crate::jose::rsa_key::KeyError;
use crate::jose::{RsaSigningKey, RsaVerifyingKey};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key {kid}: {source}")]
    Key { kid: String, source: KeyError },
    #[error("no signing key is active")]
    NoActiveKey,
}

/// The parsed keys: the one that signs, and every one still published for verification.
pub struct KeyRing {
    signing: RsaSigningKey,
    published: Vec<RsaVerifyingKey>,
}

impl KeyRing {
    pub async fn load_or_create(store: &Store, clock: &Clock) -> Result<Self, KeyRingError> {
        let now = clock.now();
        if active_rows(store, now).await?.is_empty() {
            let kid = Uuid::new_v4().simple().to_string();
            let key = tokio::task::spawn_blocking(move || RsaSigningKey::generate(kid))
                .await
                .map_err(|e| KeyRingError::Store(StoreError::Corrupt(e.to_string())))?
                .map_err(|source| KeyRingError::Key {
                    kid: String::new(),
                    source,
                })?;
            let der = key.pkcs8_der().map_err(|source| KeyRingError::Key {
                kid: key.kid().into(),
                source,
            })?;
            sqlx::query(
                "INSERT INTO signing_key (kid, alg, private_der, created_at, activate_at) VALUES ($1, 'RS256', $2, $3, $3)",
            )
            .bind(key.kid())
            .bind(B64.encode(der))
            .bind(now)
            .execute(store.pool())
            .await
            .map_err(StoreError::from)?;
            tracing::info!(kid = key.kid(), "created a new RS256 signing key");
        }
        // Read back rather than use the key just made: when several instances start at once,
        // they all settle on the same (oldest) key.
        let rows = active_rows(store, now).await?;
        let mut parsed = Vec::with_capacity(rows.len());
        for (kid, der, activate_at) in rows {
            let bytes = B64
                .decode(&der)
                .map_err(|e| StoreError::Corrupt(format!("signing key {kid}: {e}")))?;
            let key = RsaSigningKey::from_pkcs8(kid.clone(), &bytes)
                .map_err(|source| KeyRingError::Key { kid, source })?;
            parsed.push((activate_at, key));
        }
        let published = parsed.iter().map(|(_, k)| k.public().clone()).collect();
        let signing = parsed
            .into_iter()
            .filter(|(activate_at, _)| *activate_at <= now)
            .map(|(_, k)| k)
            .next()
            .ok_or(KeyRingError::NoActiveKey)?;
        Ok(Self { signing, published })
    }

    pub fn signing_key(&self) -> &RsaSigningKey {
        &self.signing
    }

    pub fn verifying_keys(&self) -> &[RsaVerifyingKey] {
        &self.published
    }

    /// The JSON Web Key Set of the published keys.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published.iter().map(RsaVerifyingKey::jwk).collect::<Vec<_>>() })
    }
}

/// Keys not retired at `now`, oldest first.
async fn active_rows(store: &Store, now: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, private_der, activate_at FROM signing_key \
         WHERE alg = 'RS256' AND (retire_at IS NULL OR retire_at > $1) ORDER BY created_at, kid",
    )
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("kid")?,
                r.try_get("private_der")?,
                r.try_get("activate_at")?,
            ))
        })
        .collect()
}
