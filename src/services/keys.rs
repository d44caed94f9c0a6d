//! Signing keys of tilgang's issuers: created on first start, kept in the database (so that
//! every instance signs and verifies with the same set), parsed once and held in memory.
//!
//! Rotation (`tilgang keys rotate`) adds a key that is published at once but signs only from
//! its activation time, and retires the previous key when the tokens it signed have expired.
//! Each instance reloads its key set periodically and when a token names an unknown key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use crate::clock::{Clock, Micros};
use crate::jose::rsa_key::KeyError;
use crate::jose::{Alg, SigningKey, VerifyingKey};
use crate::store::{Store, StoreError};

/// The issuers tilgang signs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuerName {
    Platform,
    Maskinporten,
    IdPorten,
    Ansattporten,
    /// Altinn Studio as OAuth2/OIDC provider for Studio accounts.
    Studio,
}

impl IssuerName {
    pub const ALL: [IssuerName; 5] = [
        IssuerName::Platform,
        IssuerName::Maskinporten,
        IssuerName::IdPorten,
        IssuerName::Ansattporten,
        IssuerName::Studio,
    ];

    /// The issuers a profile serves: production has no embedded Maskinporten, ID-porten or
    /// Ansattporten, so it has no keys for them (and trusts no token in their name).
    pub fn served_by(profile: crate::config::Profile) -> &'static [IssuerName] {
        match profile {
            crate::config::Profile::Local => &Self::ALL,
            crate::config::Profile::Production => &[IssuerName::Platform, IssuerName::Studio],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IssuerName::Platform => "platform",
            IssuerName::Maskinporten => "maskinporten",
            IssuerName::IdPorten => "idporten",
            IssuerName::Ansattporten => "ansattporten",
            IssuerName::Studio => "studio",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key {kid}: {source}")]
    Key { kid: String, source: KeyError },
    #[error("no signing key is active for the {0} issuer")]
    NoActiveKey(&'static str),
    #[error("the {0} issuer is not served by this profile")]
    NotServed(&'static str),
}

/// The parsed keys of one issuer at one moment.
pub struct KeySet {
    signing: Arc<SigningKey>,
    published: Vec<VerifyingKey>,
}

impl KeySet {
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    pub fn verifying_keys(&self) -> &[VerifyingKey] {
        &self.published
    }

    /// The JSON Web Key Set of the published keys.
    pub fn jwks(&self) -> JsonWebKeySet {
        JsonWebKeySet {
            keys: self.published.iter().map(VerifyingKey::jwk).collect(),
        }
    }
}

/// A JSON Web Key Set (RFC 7517 §5): `{"keys": [JWK, …]}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JsonWebKeySet {
    /// The keys as RFC 7517 writes them (`kty`, `kid`, `use`, `alg` and the key's members).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<Value>,
}

/// The current key set of one issuer, replaced as a whole on reload.
pub struct KeyRing {
    issuer: IssuerName,
    current: RwLock<Arc<KeySet>>,
    /// Parsed keys by kid, so that a reload parses only new keys.
    parsed: Mutex<HashMap<String, Arc<SigningKey>>>,
    last_reload: Mutex<Instant>,
}

/// Shortest time between two reloads triggered by unknown key ids.
const RELOAD_MIN_INTERVAL: Duration = Duration::from_secs(1);

impl KeyRing {
    /// Loads the issuer's keys, creating the first one when there is none.
    pub async fn load_or_create(
        store: &Store,
        clock: &Clock,
        issuer: IssuerName,
        alg: Alg,
    ) -> Result<Self, KeyRingError> {
        let now = clock.now();
        if live_rows(store, issuer, now).await?.is_empty() {
            insert_new_key(store, issuer, alg, now, now).await?;
        }
        let parsed = Mutex::new(HashMap::new());
        let set = load_set(store, issuer, now, &parsed).await?;
        Ok(KeyRing {
            issuer,
            current: RwLock::new(Arc::new(set)),
            parsed,
            last_reload: Mutex::new(Instant::now()),
        })
    }

    pub fn current(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the key set from the database again.
    pub async fn reload(&self, store: &Store, clock: &Clock) -> Result<(), KeyRingError> {
        let set = Arc::new(load_set(store, self.issuer, clock.now(), &self.parsed).await?);
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        if let Ok(mut last) = self.last_reload.lock() {
            *last = Instant::now();
        }
        Ok(())
    }

    /// Reloads when a token names a key this instance does not know (another instance may
    /// have created it), at most once a second.
    pub async fn reload_for_unknown_kid(&self, store: &Store, clock: &Clock) -> bool {
        let due = self
            .last_reload
            .lock()
            .map(|last| last.elapsed() >= RELOAD_MIN_INTERVAL)
            .unwrap_or(false);
        if !due {
            return false;
        }
        match self.reload(store, clock).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, issuer = self.issuer.as_str(), "cannot reload signing keys");
                false
            }
        }
    }
}

/// The issuer's live keys, parsed (reusing keys parsed before); the newest active one signs.
async fn load_set(
    store: &Store,
    issuer: IssuerName,
    now: Micros,
    cache: &Mutex<HashMap<String, Arc<SigningKey>>>,
) -> Result<KeySet, KeyRingError> {
    let rows = live_rows(store, issuer, now).await?;
    let mut cache = cache
        .lock()
        .map_err(|_| StoreError::Corrupt("key cache lock".into()))?;
    let mut published = Vec::with_capacity(rows.len());
    let mut signing = None;
    for row in rows {
        let key = match cache.get(&row.kid) {
            Some(k) => k.clone(),
            None => {
                let bytes = B64
                    .decode(&row.der)
                    .map_err(|e| StoreError::Corrupt(format!("signing key {}: {e}", row.kid)))?;
                let alg: Alg = row.alg.parse().map_err(StoreError::Corrupt)?;
                let key =
                    SigningKey::from_pkcs8(alg, row.kid.clone(), &bytes).map_err(|source| {
                        KeyRingError::Key {
                            kid: row.kid.clone(),
                            source,
                        }
                    })?;
                let key = Arc::new(key);
                cache.insert(row.kid.clone(), key.clone());
                key
            }
        };
        published.push(key.public());
        // Rows are in activation order: the last active one is the newest.
        if row.activate_at <= now {
            signing = Some(key);
        }
    }
    let signing = signing.ok_or(KeyRingError::NoActiveKey(issuer.as_str()))?;
    Ok(KeySet { signing, published })
}

/// Keys of every issuer.
pub struct Keys {
    rings: HashMap<IssuerName, KeyRing>,
}

impl Keys {
    /// The key rings of `issuers`, each created with a first key when it has none.
    pub async fn load_or_create(
        store: &Store,
        clock: &Clock,
        alg: Alg,
        issuers: &[IssuerName],
    ) -> Result<Self, KeyRingError> {
        let mut rings = HashMap::new();
        for &issuer in issuers {
            rings.insert(
                issuer,
                KeyRing::load_or_create(store, clock, issuer, alg).await?,
            );
        }
        Ok(Self { rings })
    }

    pub fn ring(&self, issuer: IssuerName) -> Result<&KeyRing, KeyRingError> {
        self.rings
            .get(&issuer)
            .ok_or(KeyRingError::NotServed(issuer.as_str()))
    }

    pub fn current(&self, issuer: IssuerName) -> Result<Arc<KeySet>, KeyRingError> {
        Ok(self.ring(issuer)?.current())
    }

    pub async fn reload_all(&self, store: &Store, clock: &Clock) -> Result<(), KeyRingError> {
        for ring in self.rings.values() {
            ring.reload(store, clock).await?;
        }
        Ok(())
    }
}

struct KeyRow {
    kid: String,
    alg: String,
    der: String,
    activate_at: Micros,
}

/// Keys not retired at `now`, oldest first.
async fn live_rows(
    store: &Store,
    issuer: IssuerName,
    now: Micros,
) -> Result<Vec<KeyRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, alg, private_der, activate_at FROM signing_key \
         WHERE issuer = $1 AND (retire_at IS NULL OR retire_at > $2) \
         ORDER BY activate_at, created_at, kid",
    )
    .bind(issuer.as_str())
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KeyRow {
                kid: r.try_get("kid")?,
                alg: r.try_get("alg")?,
                der: r.try_get("private_der")?,
                activate_at: r.try_get("activate_at")?,
            })
        })
        .collect()
}

async fn insert_new_key(
    store: &Store,
    issuer: IssuerName,
    alg: Alg,
    now: Micros,
    activate_at: Micros,
) -> Result<String, KeyRingError> {
    let kid = format!("{}-{}", issuer.as_str(), Uuid::new_v4().simple());
    let for_task = kid.clone();
    let key = tokio::task::spawn_blocking(move || SigningKey::generate(alg, for_task))
        .await
        .map_err(|e| StoreError::Corrupt(format!("key generation task: {e}")))?
        .map_err(|source| KeyRingError::Key {
            kid: kid.clone(),
            source,
        })?;
    let der = key.pkcs8_der().map_err(|source| KeyRingError::Key {
        kid: kid.clone(),
        source,
    })?;
    sqlx::query(
        "INSERT INTO signing_key (kid, issuer, alg, private_der, created_at, activate_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&kid)
    .bind(issuer.as_str())
    .bind(alg.as_str())
    .bind(B64.encode(der))
    .bind(now)
    .bind(activate_at)
    .execute(store.pool())
    .await
    .map_err(StoreError::from)?;
    tracing::info!(
        kid,
        issuer = issuer.as_str(),
        alg = alg.as_str(),
        "created a new signing key"
    );
    Ok(kid)
}

/// What a rotation did, per issuer.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub issuer: &'static str,
    pub new_kid: String,
    pub activates_at: Micros,
    pub retired: Vec<(String, Micros)>,
}

/// Adds a new key to every issuer, published now and signing after `publish_ahead`; every key
/// that signs now is retired `max_token_lifetime` after the new key takes over.
pub async fn rotate(
    store: &Store,
    clock: &Clock,
    alg: Alg,
    publish_ahead: Duration,
    max_token_lifetime: Duration,
    issuers: &[IssuerName],
) -> Result<Vec<Rotation>, KeyRingError> {
    let now = clock.now();
    let ahead = i64::try_from(publish_ahead.as_micros()).unwrap_or(i64::MAX);
    let lifetime = i64::try_from(max_token_lifetime.as_micros()).unwrap_or(i64::MAX);
    let activates_at = now.saturating_add(ahead);
    let retire_at = activates_at.saturating_add(lifetime);
    let mut out = Vec::new();
    for &issuer in issuers {
        let old: Vec<String> = live_rows(store, issuer, now)
            .await?
            .into_iter()
            .map(|r| r.kid)
            .collect();
        let new_kid = insert_new_key(store, issuer, alg, now, activates_at).await?;
        let mut retired = Vec::new();
        for kid in old {
            sqlx::query("UPDATE signing_key SET retire_at = $1 WHERE kid = $2 AND (retire_at IS NULL OR retire_at > $1)")
                .bind(retire_at)
                .bind(&kid)
                .execute(store.pool())
                .await
                .map_err(StoreError::from)?;
            retired.push((kid, retire_at));
        }
        out.push(Rotation {
            issuer: issuer.as_str(),
            new_kid,
            activates_at,
            retired,
        });
    }
    Ok(out)
}
