//! The embedded Maskinporten: the self-service API for clients and their keys, and the token
//! endpoint's JWT-bearer grant (spec tokens-idp-delegation §B.2, §B.4).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::App;
use super::keys::IssuerName;
pub use super::relying_parties::CreatedClient;
use super::relying_parties::is_relying_party_type;
use crate::domain::OrgNumber;
use crate::domain::grant::{
    self, CheckedAssertion, GrantError, JWT_BEARER, OAuthError, SystemUserDetail, TokenResponse,
};
use crate::jose::{self, JwsError, RsaVerifyingKey};
use crate::store::StoreError;
use crate::store::maskinporten::NewClient;
pub use crate::store::maskinporten::{ClientRecord, MpDelegation};

/// Lifetime of the access tokens the embedded Maskinporten issues.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 120;
/// At most this many keys per client (as Maskinporten's self-service API).
pub const MAX_KEYS_PER_CLIENT: usize = 5;
/// At most this many scope delegations per consumer organisation.
pub const MAX_DELEGATIONS_PER_CONSUMER: i64 = 1_000;
/// The delegation lists show at most this many of each kind.
pub const DELEGATION_LIST_LIMIT: i64 = 1_000;

// ---------------------------------------------------------------------------------------------
// Self-service API

#[derive(Debug, Deserialize)]
pub struct ClientInput {
    pub client_name: Option<String>,
    pub description: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub integration_type: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    /// ID-porten and Ansattporten clients.
    pub redirect_uris: Option<Vec<String>>,
    /// ID-porten and Ansattporten clients.
    pub post_logout_redirect_uris: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SelfServiceError {
    #[error("{0}")]
    Invalid(String),
    #[error("no client {0} belongs to this organisation")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(msg: impl Into<String>) -> SelfServiceError {
    SelfServiceError::Invalid(msg.into())
}

pub use crate::domain::scopes::is_scope_token;

impl App {
    /// Registers a client of the organisation: a Maskinporten client, or a relying party of
    /// the embedded ID-porten or Ansattporten (`integration_type`).
    pub async fn create_client(
        &self,
        owner: &OrgNumber,
        input: ClientInput,
    ) -> Result<CreatedClient, SelfServiceError> {
        let integration_type = input
            .integration_type
            .clone()
            .unwrap_or_else(|| "maskinporten".into());
        if is_relying_party_type(&integration_type) {
            return self
                .create_relying_party(owner, &integration_type, input)
                .await;
        }
        if integration_type != "maskinporten" {
            return Err(invalid(format!(
                "integration_type '{integration_type}' is not offered here; use maskinporten, idporten or ansattporten"
            )));
        }
        if input.redirect_uris.is_some() || input.post_logout_redirect_uris.is_some() {
            return Err(invalid(
                "redirect_uris and post_logout_redirect_uris are for idporten and ansattporten clients",
            ));
        }
        let name = input.client_name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(invalid("client_name is required: 1 to 100 characters"));
        }
        let description = input.description.as_deref().map(str::trim).unwrap_or("");
        if description.is_empty()
            || description.chars().count() > 500
            || description.chars().any(char::is_control)
        {
            return Err(invalid("description is required: 1 to 500 characters"));
        }
        let scopes = input.scopes.unwrap_or_default();
        if scopes.len() > 100 {
            return Err(invalid("at most 100 scopes per client"));
        }
        if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(invalid(format!("'{bad}' is not a scope")));
        }
        let mut scopes_sorted = scopes.clone();
        scopes_sorted.sort();
        scopes_sorted.dedup();
        let method = input
            .token_endpoint_auth_method
            .unwrap_or_else(|| "private_key_jwt".into());
        if method != "private_key_jwt" {
            return Err(invalid(format!(
                "token_endpoint_auth_method '{method}' is not offered; use 'private_key_jwt'"
            )));
        }
        let grant_types = input.grant_types.unwrap_or_else(|| vec![JWT_BEARER.into()]);
        if grant_types != [JWT_BEARER] {
            return Err(invalid(format!("grant_types must be [\"{JWT_BEARER}\"]")));
        }
        let client_id = Uuid::new_v4().to_string();
        let record = self
            .store
            .insert_mp_client(
                &NewClient {
                    client_id: &client_id,
                    owner_org: owner.as_str(),
                    client_name: name,
                    description,
                    scopes: &scopes_sorted,
                    integration_type: &integration_type,
                    token_endpoint_auth_method: &method,
                    grant_types: &grant_types,
                },
                self.clock.now(),
            )
            .await?;
        Ok(CreatedClient {
            client: record,
            client_secret: None,
        })
    }

    /// The organisation's clients (self-service): Maskinporten clients, then relying parties.
    pub async fn clients_of(
        &self,
        owner: &OrgNumber,
    ) -> Result<Vec<ClientRecord>, SelfServiceError> {
        let mut list = self.store.mp_clients_of(owner.as_str()).await?;
        list.extend(self.store.relying_parties_of(owner.as_str()).await?);
        Ok(list)
    }

    /// The public keys of the organisation's client `client_id` (not found for another's).
    pub async fn client_keys_of(
        &self,
        owner: &OrgNumber,
        client_id: &str,
    ) -> Result<Vec<Value>, SelfServiceError> {
        match self.owned_client(owner, client_id).await? {
            Owned::Maskinporten(_) => Ok(self.store.mp_client_keys(client_id).await?),
            Owned::RelyingParty(_) => Ok(self
                .store
                .relying_party_keys(owner.as_str(), client_id)
                .await?),
        }
    }

    /// The organisation's client `client_id`, of either kind.
    pub async fn owned_client(
        &self,
        owner: &OrgNumber,
        client_id: &str,
    ) -> Result<Owned, SelfServiceError> {
        if let Some(c) = self.store.mp_client(client_id).await?
            && c.client_orgno == owner.as_str()
        {
            return Ok(Owned::Maskinporten(c));
        }
        match self.store.relying_party(owner.as_str(), client_id).await? {
            Some(c) => Ok(Owned::RelyingParty(c)),
            None => Err(SelfServiceError::NotFound(client_id.to_owned())),
        }
    }

    pub async fn delete_client(
        &self,
        owner: &OrgNumber,
        client_id: &str,
    ) -> Result<(), SelfServiceError> {
        match self.owned_client(owner, client_id).await? {
            Owned::Maskinporten(_) => {
                self.store
                    .delete_mp_client(client_id, &format!("org:{owner}"), self.clock.now())
                    .await?;
                self.mp_client_cache.forget(client_id);
            }
            Owned::RelyingParty(_) => {
                self.store
                    .delete_relying_party(owner.as_str(), client_id, self.clock.now())
                    .await?;
            }
        }
        Ok(())
    }

    /// Replaces the client's keys with `jwks` (`{"keys": [JWK, …]}`): RSA keys of at least 2048
    /// bits for signing, each with a distinct `kid`. Private parts are refused.
    pub async fn set_client_keys(
        &self,
        owner: &OrgNumber,
        client_id: &str,
        jwks: &Value,
    ) -> Result<Vec<Value>, SelfServiceError> {
        let owned = self.owned_client(owner, client_id).await?;
        let stored = checked_keys(jwks)?;
        match owned {
            Owned::Maskinporten(_) => {
                self.store
                    .replace_mp_client_keys(
                        client_id,
                        &stored,
                        &format!("org:{owner}"),
                        self.clock.now(),
                    )
                    .await?;
                self.mp_client_cache.forget(client_id);
            }
            Owned::RelyingParty(c) => {
                if c.token_endpoint_auth_method != "private_key_jwt" {
                    return Err(invalid(format!(
                        "this client authenticates with {}; keys are for private_key_jwt clients",
                        c.token_endpoint_auth_method
                    )));
                }
                let set = json!({"keys": stored.iter().map(|(_, v)| v).collect::<Vec<_>>()});
                self.store
                    .set_relying_party_credentials(
                        owner.as_str(),
                        client_id,
                        None,
                        Some(&set),
                        self.clock.now(),
                    )
                    .await?;
            }
        }
        Ok(stored.into_iter().map(|(_, v)| v).collect())
    }
}

/// A client of an organisation, by kind.
pub enum Owned {
    Maskinporten(ClientRecord),
    RelyingParty(ClientRecord),
}

impl Owned {
    pub fn record(self) -> ClientRecord {
        match self {
            Owned::Maskinporten(c) | Owned::RelyingParty(c) => c,
        }
    }
}

/// Checks a key set for a client: RSA signing keys of at least 2048 bits, public parts only,
/// each with a distinct `kid`; returns them by `kid`, cleaned of unknown members.
fn checked_keys(jwks: &Value) -> Result<Vec<(String, Value)>, SelfServiceError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("the body must be {\"keys\": [JWK, …]}"))?;
    if keys.is_empty() || keys.len() > MAX_KEYS_PER_CLIENT {
        return Err(invalid(format!("give 1 to {MAX_KEYS_PER_CLIENT} keys")));
    }
    let mut stored: Vec<(String, Value)> = Vec::new();
    for (i, jwk) in keys.iter().enumerate() {
        let at = |m: &str| invalid(format!("keys[{i}]: {m}"));
        let public = RsaVerifyingKey::from_jwk(jwk)
            .ok_or_else(|| at("must be an RSA key (kty RSA) with base64url n and e"))?;
        let kid = jwk
            .get("kid")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or_else(|| at("needs a kid of 1 to 200 characters"))?;
        if ["d", "p", "q", "dp", "dq", "qi"]
            .iter()
            .any(|f| jwk.get(f).is_some())
        {
            return Err(at("holds a private key; send only the public key"));
        }
        if public.n.len() * 8 < 2048 {
            return Err(at("is shorter than 2048 bits"));
        }
        if jwk
            .get("use")
            .and_then(Value::as_str)
            .is_some_and(|u| u != "sig")
        {
            return Err(at("must be for signing (use: sig)"));
        }
        if stored.iter().any(|(k, _)| k == kid) {
            return Err(at(&format!("kid '{kid}' appears twice")));
        }
        let mut clean = public.jwk();
        clean["kid"] = json!(kid);
        if let Some(alg) = jwk.get("alg") {
            clean["alg"] = alg.clone();
        }
        stored.push((kid.to_owned(), clean));
    }
    Ok(stored)
}

// ---------------------------------------------------------------------------------------------
// Scope delegations (Altinn's API delegation, modelled in the self-service API)

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegationInput {
    pub supplier_orgno: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// The delegations an organisation has given and received.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DelegationLists {
    /// Scopes this organisation lets suppliers use on its behalf.
    pub offered: Vec<MpDelegation>,
    /// Scopes other organisations let this organisation use on their behalf.
    pub received: Vec<MpDelegation>,
    /// Whether a list was cut at [`DELEGATION_LIST_LIMIT`] entries.
    pub truncated: bool,
}

impl App {
    /// `consumer` delegates `scopes` to the supplier organisation (idempotent); returns every
    /// delegation from `consumer` to that supplier.
    pub async fn delegate_mp_scopes(
        &self,
        consumer: &OrgNumber,
        input: DelegationInput,
    ) -> Result<Vec<MpDelegation>, SelfServiceError> {
        let supplier: OrgNumber = input
            .supplier_orgno
            .as_deref()
            .ok_or_else(|| invalid("supplier_orgno is required"))?
            .parse()
            .map_err(|e| invalid(format!("supplier_orgno: {e}")))?;
        if &supplier == consumer {
            return Err(invalid(
                "an organisation cannot delegate to itself; its own clients hold its scopes",
            ));
        }
        let mut scopes = input.scopes.unwrap_or_default();
        if scopes.is_empty() || scopes.len() > 100 {
            return Err(invalid("give 1 to 100 scopes"));
        }
        if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(invalid(format!("'{bad}' is not a scope")));
        }
        if let Some(own) = scopes.iter().find(|s| s.starts_with("idporten:dcr")) {
            return Err(invalid(format!(
                "'{own}' cannot be delegated: the self-service API is for an organisation's own clients"
            )));
        }
        scopes.sort();
        scopes.dedup();
        if self.store.organization(&supplier).await?.is_none() {
            return Err(invalid(format!(
                "supplier_orgno: the register holds no organisation {supplier}"
            )));
        }
        self.store
            .delegate_mp_scopes(
                consumer.as_str(),
                supplier.as_str(),
                &scopes,
                MAX_DELEGATIONS_PER_CONSUMER,
                self.clock.now(),
            )
            .await?
            .ok_or_else(|| {
                invalid(format!(
                    "an organisation may hold at most {MAX_DELEGATIONS_PER_CONSUMER} delegations; withdraw some first"
                ))
            })
    }

    pub async fn withdraw_mp_delegation(
        &self,
        consumer: &OrgNumber,
        supplier: &str,
        scope: &str,
    ) -> Result<(), SelfServiceError> {
        if self
            .store
            .withdraw_mp_delegation(consumer.as_str(), supplier, scope, self.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(SelfServiceError::NotFound(format!(
                "delegation of '{scope}' to {supplier}"
            )))
        }
    }

    pub async fn mp_delegations(
        &self,
        org: &OrgNumber,
    ) -> Result<DelegationLists, SelfServiceError> {
        let mut offered = self
            .store
            .mp_delegations_of(org.as_str(), true, DELEGATION_LIST_LIMIT + 1)
            .await?;
        let mut received = self
            .store
            .mp_delegations_of(org.as_str(), false, DELEGATION_LIST_LIMIT + 1)
            .await?;
        let limit = DELEGATION_LIST_LIMIT as usize;
        let truncated = offered.len() > limit || received.len() > limit;
        offered.truncate(limit);
        received.truncate(limit);
        Ok(DelegationLists {
            offered,
            received,
            truncated,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

/// A client as the token endpoint needs it, with its keys parsed.
pub struct CachedClient {
    pub client_id: String,
    pub owner_org: String,
    pub scopes: Vec<String>,
    pub keys: Vec<RsaVerifyingKey>,
}

/// Clients read by the token endpoint, kept for a few seconds so that a burst of grants does
/// not read the same client again and again. Changes made through this instance take effect
/// at once; changes made through another instance within [`CLIENT_CACHE_TTL`].
pub struct ClientCache {
    entries: Mutex<HashMap<String, (Instant, Arc<CachedClient>)>>,
}

pub const CLIENT_CACHE_TTL: Duration = Duration::from_secs(5);
const CLIENT_CACHE_MAX: usize = 10_000;

impl ClientCache {
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(
        &self,
        store: &crate::store::Store,
        client_id: &str,
    ) -> Result<Option<Arc<CachedClient>>, StoreError> {
        if let Ok(entries) = self.entries.lock()
            && let Some((at, client)) = entries.get(client_id)
            && at.elapsed() < CLIENT_CACHE_TTL
        {
            return Ok(Some(client.clone()));
        }
        let Some(found) = store.grant_client(client_id).await? else {
            return Ok(None);
        };
        let client = Arc::new(CachedClient {
            keys: found
                .keys
                .iter()
                .filter_map(RsaVerifyingKey::from_jwk)
                .collect(),
            client_id: found.client_id,
            owner_org: found.owner_org,
            scopes: found.scopes,
        });
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CLIENT_CACHE_MAX {
                entries.clear();
            }
            entries.insert(client_id.to_owned(), (Instant::now(), client.clone()));
        }
        Ok(Some(client))
    }

    pub fn forget(&self, client_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(client_id);
        }
    }
}

impl Default for ClientCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The system user a token is issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemUserMatch {
    pub id: String,
    pub system_id: String,
    /// The organisation the system user belongs to, as stored: the token names this one.
    pub party_org_no: String,
    pub external_ref: String,
}

/// A question to the system-user register: which live system user does this vendor's client
/// act as for this customer (and reference)?
pub struct SystemUserQuery<'a> {
    pub client_id: &'a str,
    pub vendor_org: &'a str,
    pub detail: &'a SystemUserDetail,
}

pub type LookupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<SystemUserMatch>, StoreError>> + Send + 'a>>;

/// Resolves the `authorization_details` of a grant to a system user.
pub trait SystemUserLookup: Send + Sync {
    fn find<'a>(&'a self, query: SystemUserQuery<'a>) -> LookupFuture<'a>;
}

/// The lookup until the system-user register exists: nothing matches.
pub struct NoSystemUsers;

impl SystemUserLookup for NoSystemUsers {
    fn find<'a>(&'a self, _query: SystemUserQuery<'a>) -> LookupFuture<'a> {
        Box::pin(async { Ok(None) })
    }
}

/// The form of a token request.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub assertion: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GrantFailure {
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing failed")]
    Signing,
}

fn fail(error: OAuthError, description: impl Into<String>) -> GrantFailure {
    GrantFailure::Grant(GrantError::new(error, description))
}

impl App {
    /// Runs the JWT-bearer grant and returns the token response.
    pub async fn maskinporten_grant(
        &self,
        form: &TokenForm,
        lookup: &dyn SystemUserLookup,
    ) -> Result<TokenResponse, GrantFailure> {
        match form.grant_type.as_deref() {
            Some(JWT_BEARER) => {}
            Some(other) => {
                return Err(fail(
                    OAuthError::UnsupportedGrantType,
                    format!("grant_type '{other}' is not supported; use '{JWT_BEARER}'"),
                ));
            }
            None => {
                return Err(fail(
                    OAuthError::InvalidRequest,
                    "the form has no grant_type",
                ));
            }
        }
        let assertion = form
            .assertion
            .as_deref()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| fail(OAuthError::InvalidRequest, "the form has no assertion"))?;
        let jws = jose::decode_unverified(assertion).map_err(|e| match e {
            JwsError::TooLong => fail(
                OAuthError::InvalidRequest,
                format!(
                    "the assertion is longer than {} bytes",
                    jose::jws::MAX_JWS_LEN
                ),
            ),
            other => fail(
                OAuthError::InvalidGrant,
                format!("the assertion is not a signed JWT: {other}"),
            ),
        })?;
        let alg = jws.alg();
        if !matches!(alg, "RS256" | "RS384" | "RS512") {
            return Err(fail(
                OAuthError::InvalidGrant,
                format!(
                    "the assertion algorithm '{alg}' is not accepted; sign with RS256, RS384 or RS512"
                ),
            ));
        }
        if jws.header.contains_key("x5c") && jws.kid().is_none() {
            return Err(fail(
                OAuthError::InvalidGrant,
                "business certificates (x5c) are not supported here; register a key on the client and name it with kid",
            ));
        }
        let kid = jws
            .kid()
            .ok_or_else(|| fail(OAuthError::InvalidGrant, "the assertion header has no kid"))?
            .to_owned();
        let client_id = jws
            .claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                fail(
                    OAuthError::InvalidGrant,
                    "the assertion has no iss claim (the client id)",
                )
            })?;
        let client = self
            .mp_client_cache
            .get(&self.store, client_id)
            .await?
            .ok_or_else(|| {
                fail(
                    OAuthError::InvalidClient,
                    format!("no client '{client_id}' is registered"),
                )
            })?;
        let key = client.keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
            fail(
                OAuthError::InvalidClient,
                format!("the key '{kid}' is not registered on client '{client_id}'"),
            )
        })?;
        jws.verify_with(key).map_err(|_| {
            fail(
                OAuthError::InvalidGrant,
                "the assertion signature is not valid",
            )
        })?;

        let now = self.clock.now() / 1_000_000;
        let issuer = self.maskinporten_issuer();
        let checked: CheckedAssertion = grant::check_claims(
            &jws.claims,
            now,
            &issuer,
            &grant::GrantingClient {
                owner_org: &client.owner_org,
                scopes: &client.scopes,
            },
        )?;
        if let Some(consumer) = &checked.consumer_org {
            let delegated = self
                .store
                .mp_delegated_scopes(consumer.as_str(), &client.owner_org)
                .await?;
            let missing: Vec<&str> = checked
                .scopes
                .iter()
                .filter(|s| !delegated.contains(s))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(fail(
                    OAuthError::InvalidScope,
                    format!(
                        "MP-251: organisation {consumer} has not delegated the scope(s) {} to {} (the owner of client '{}')",
                        missing.join(" "),
                        client.owner_org,
                        client.client_id
                    ),
                ));
            }
        }

        let system_user = match &checked.system_user {
            None => None,
            Some(detail) => {
                if self
                    .store
                    .system_of_client(&client.client_id)
                    .await?
                    .is_none()
                {
                    return Err(fail(
                        OAuthError::InvalidGrant,
                        format!(
                            "client '{}' belongs to no live system in the system register; add it to the system's clientId list",
                            client.client_id
                        ),
                    ));
                }
                let query = SystemUserQuery {
                    client_id: &client.client_id,
                    vendor_org: &client.owner_org,
                    detail,
                };
                let found = lookup.find(query).await?;
                let Some(found) = found else {
                    return Err(fail(
                        OAuthError::InvalidAltinnCustomerConfiguration,
                        format!(
                            "MP-303: no system user of this client's system matches organisation {} and externalRef '{}' (not approved yet, or deleted)",
                            detail.org,
                            detail
                                .external_ref
                                .as_deref()
                                .unwrap_or(detail.org.as_str())
                        ),
                    ));
                };
                // The token names the organisation of the system user actually found, and only
                // when it is the one the grant asked for (defence in depth against any look-up
                // that matched more loosely than the three typed key columns).
                let asked_ref = crate::domain::request::effective_external_ref(
                    detail.external_ref.as_deref(),
                    detail.org.as_str(),
                );
                if found.party_org_no != detail.org.as_str() || found.external_ref != asked_ref {
                    tracing::error!(
                        systemuser_id = %found.id,
                        "system-user look-up returned a system user of another organisation or reference"
                    );
                    return Err(fail(
                        OAuthError::InvalidAltinnCustomerConfiguration,
                        format!(
                            "MP-303: no system user of this client's system matches organisation {} and externalRef '{}'",
                            detail.org, asked_ref
                        ),
                    ));
                }
                Some((detail.clone(), found))
            }
        };

        if !self
            .store
            .use_jti(
                &client.client_id,
                &checked.jti,
                (checked.exp + 60) * 1_000_000,
            )
            .await?
        {
            return Err(fail(
                OAuthError::InvalidGrant,
                "this assertion was used before (jti replay); sign a new one with a fresh jti",
            ));
        }

        let scope = checked.scopes.join(" ");
        let mut claims = json!({
            "iss": issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "scope": scope,
            "client_id": client.client_id,
            "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{}", client.owner_org)},
            "iat": now,
            "exp": now + ACCESS_TOKEN_LIFETIME_SECS,
            "jti": Uuid::new_v4().to_string(),
        });
        if let Some(resource) = &checked.resource {
            claims["aud"] = resource.clone();
        }
        if let Some(consumer) = &checked.consumer_org {
            claims["consumer"] =
                json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{consumer}")});
            claims["supplier"] = json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{}", client.owner_org)});
            claims["delegation_source"] = json!(self.config.url("/"));
        }
        if let Some((detail, found)) = system_user {
            let mut entry = json!({
                "type": grant::SYSTEMUSER_TYPE,
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{}", found.party_org_no)},
                "systemuser_id": [found.id],
                "system_id": found.system_id,
            });
            if let Some(r) = detail.external_ref {
                entry["externalRef"] = json!(r);
            }
            claims["authorization_details"] = json!([entry]);
        }
        let token = self
            .sign(IssuerName::Maskinporten, &claims)
            .map_err(|_| GrantFailure::Signing)?;
        Ok(TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFETIME_SECS,
            scope,
            id_token: None,
            refresh_token: None,
        })
    }
}
