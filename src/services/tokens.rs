//! Tokens tilgang issues for its own platform (the test token generator, the token exchange)
//! and the checking of every Bearer token a caller presents: tilgang's own platform tokens and
//! tokens from the embedded Maskinporten.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::App;
use super::keys::IssuerName;
use crate::domain::OrgNumber;
use crate::jose::{self, JwsError};

/// Longest lifetime the test token generator hands out.
pub const MAX_TEST_TOKEN_TTL_SECS: i64 = 24 * 3600;
pub const DEFAULT_TEST_TOKEN_TTL_SECS: i64 = 1800;
/// Tolerated clock difference when checking `nbf`/`exp`.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Jws(#[from] JwsError),
    #[error("the token was issued by '{0}', which this server does not trust")]
    Issuer(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token has no '{0}' claim")]
    MissingClaim(&'static str),
    #[error("signing failed")]
    Signing,
    #[error("the issuer's keys could not be fetched: {0}")]
    Keys(String),
    #[error("the token's aud is not '{0}' (ask Maskinporten for it with resource={0})")]
    Audience(String),
    #[error("the log-in's level of assurance is '{got}', below the required {needed}")]
    TooWeak { got: String, needed: &'static str },
    #[error("the register cannot be read: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// A caller whose Bearer token checked out.
#[derive(Debug, Clone)]
pub struct Caller {
    pub issuer: IssuerName,
    pub claims: Map<String, Value>,
    pub scopes: Vec<String>,
}

/// The organisation in a `consumer`-style claim (`{"authority": "iso6523-actorid-upis",
/// "ID": "0192:<orgno>"}`), given as a JSON object or as a JSON string holding one; `id` in
/// lower case is accepted too.
pub fn org_from_iso6523(value: &Value) -> Option<OrgNumber> {
    let parsed;
    let object = match value {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).ok()?;
            &parsed
        }
        other => other,
    };
    if object.get("authority")?.as_str()? != "iso6523-actorid-upis" {
        return None;
    }
    let id = object.get("ID").or_else(|| object.get("id"))?.as_str()?;
    id.strip_prefix("0192:")?.parse().ok()
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The organisation behind the token (`consumer.ID`).
    pub fn consumer_org(&self) -> Option<OrgNumber> {
        org_from_iso6523(self.claims.get("consumer")?)
    }

    /// A short description for the audit log: `org:<orgno>`, `person:<birth date>` or
    /// `client:<id>`.
    pub fn audit_name(&self) -> String {
        if let Some(org) = self.consumer_org() {
            return format!("org:{org}");
        }
        if let Some(pid) = self.claims.get("pid").and_then(Value::as_str) {
            return format!("person:{}", pid.get(..6).unwrap_or(pid));
        }
        match self.claims.get("client_id").and_then(Value::as_str) {
            Some(c) => format!("client:{c}"),
            None => "unknown".into(),
        }
    }
}

fn unix_now(app: &App) -> i64 {
    app.clock.now() / 1_000_000
}

/// Digdir's organisation number: in Altinn's test environments its service-owner tokens are
/// `ttd` (Testdepartementet).
pub const DIGDIR_ORG_NO: &str = "991825827";

impl App {
    /// Signs claims as one of tilgang's issuers.
    pub fn sign(&self, issuer: IssuerName, claims: &Value) -> Result<String, TokenError> {
        let keys = self.keys.current(issuer).map_err(|e| {
            tracing::error!(error = %e, "cannot sign");
            TokenError::Signing
        })?;
        jose::sign_compact(keys.signing_key(), claims).map_err(|_| TokenError::Signing)
    }

    /// A platform token for an organisation (test token generator, local profile).
    pub fn enterprise_token(
        &self,
        org: &OrgNumber,
        scopes: &str,
        ttl_secs: i64,
        client_id: Option<&str>,
    ) -> Result<String, TokenError> {
        let now = unix_now(self);
        let claims = json!({
            "iss": self.platform_issuer(),
            "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")},
            "urn:altinn:orgNumber": org.as_str(),
            "urn:altinn:authenticatemethod": "maskinporten",
            "urn:altinn:authlevel": 3,
            "client_id": client_id.map(str::to_owned).unwrap_or_else(|| Uuid::new_v4().to_string()),
            "scope": scopes,
            "token_type": "Bearer",
            "iat": now,
            "nbf": now,
            "exp": now + ttl_secs,
            "jti": Uuid::new_v4().to_string(),
        });
        self.sign(IssuerName::Platform, &claims)
    }

    /// A platform token for a person (test token generator, local profile). The person's
    /// `urn:altinn:userid` is their party id (tilgang has no separate user numbering).
    pub fn personal_token(
        &self,
        person: &crate::store::reference::PartyRecord,
        scopes: &str,
        ttl_secs: i64,
        auth_level: u8,
    ) -> Result<String, TokenError> {
        let now = unix_now(self);
        let claims = json!({
            "iss": self.platform_issuer(),
            "sub": person.party_uuid,
            "pid": person.pid,
            "name": person.name,
            "urn:altinn:userid": person.party_id,
            "urn:altinn:partyid": person.party_id,
            "urn:altinn:party:uuid": person.party_uuid,
            "urn:altinn:authenticatemethod": "IdportenTestId",
            "urn:altinn:authlevel": auth_level,
            "scope": scopes,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_secs,
            "jti": Uuid::new_v4().to_string(),
        });
        self.sign(IssuerName::Platform, &claims)
    }

    /// Which of tilgang's issuers `iss` names, if any that is trusted for API calls.
    fn api_issuer(&self, iss: &str) -> Option<IssuerName> {
        if iss == self.platform_issuer() {
            Some(IssuerName::Platform)
        } else if iss == self.maskinporten_issuer() {
            Some(IssuerName::Maskinporten)
        } else {
            None
        }
    }

    /// Checks a Bearer token from tilgang's own issuer or the embedded Maskinporten.
    pub async fn verify_bearer(&self, token: &str) -> Result<Caller, TokenError> {
        let jws = jose::decode_unverified(token)?;
        let iss = jws
            .claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(TokenError::MissingClaim("iss"))?;
        if let Some((external, jwks_url)) = &self.config.maskinporten
            && iss == external
        {
            return self.verify_external(token, jwks_url).await;
        }
        let issuer = self
            .api_issuer(iss)
            .ok_or_else(|| TokenError::Issuer(iss.to_owned()))?;
        self.verify_issued_by(token, issuer).await
    }

    /// Checks a token signed by one of tilgang's issuers: signature (reloading the keys once
    /// when the key id is unknown), `exp` and `nbf`.
    pub async fn verify_issued_by(
        &self,
        token: &str,
        issuer: IssuerName,
    ) -> Result<Caller, TokenError> {
        // An issuer this profile does not serve (production's embedded Maskinporten) is not
        // trusted.
        let ring = self
            .keys
            .ring(issuer)
            .map_err(|_| TokenError::Issuer(issuer.as_str().to_owned()))?;
        let mut result = jose::verify_compact(token, ring.current().verifying_keys());
        if matches!(result, Err(JwsError::UnknownKey(_)))
            && ring.reload_for_unknown_kid(&self.store, &self.clock).await
        {
            result = jose::verify_compact(token, ring.current().verifying_keys());
        }
        self.checked_caller(result?, issuer)
    }

    /// Checks a token from the configured external Maskinporten against its JWKS (cached;
    /// fetched again when the token names an unknown key or its signature fails, at most once
    /// a second).
    async fn verify_external(&self, token: &str, jwks_url: &str) -> Result<Caller, TokenError> {
        let keys = self
            .provider_keys(jwks_url, "Maskinporten", false)
            .await
            .map_err(|e| TokenError::Keys(e.to_string()))?;
        let mut result = jose::verify_compact(token, &keys);
        // An unknown key, or a key replaced under the same kid: fetch the set again.
        if matches!(result, Err(JwsError::UnknownKey(_) | JwsError::Signature)) {
            let keys = self
                .provider_keys(jwks_url, "Maskinporten", true)
                .await
                .map_err(|e| TokenError::Keys(e.to_string()))?;
            result = jose::verify_compact(token, &keys);
        }
        let claims = result?;
        if let Some(audience) = &self.config.maskinporten_audience
            && !jose::has_audience(&claims, audience)
        {
            return Err(TokenError::Audience(audience.clone()));
        }
        self.checked_caller(claims, IssuerName::Maskinporten)
    }

    /// Checks an access token of the configured ID-porten: signed by a key of its JWKS (found
    /// through its discovery document; fetched again once for an unknown key), `iss` exactly
    /// the configured issuer, not expired.
    async fn verify_idporten_access_token(
        &self,
        token: &str,
        issuer: &str,
    ) -> Result<Caller, TokenError> {
        let name = "ID-porten";
        let keys_error = |e: super::login::LoginError| TokenError::Keys(e.to_string());
        let discovery = self.discovery(issuer, name).await.map_err(keys_error)?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| TokenError::Keys("ID-porten's discovery names no jwks_uri".into()))?
            .to_owned();
        let keys = self
            .provider_keys(&jwks_uri, name, false)
            .await
            .map_err(keys_error)?;
        let mut result = jose::verify_compact(token, &keys);
        if matches!(result, Err(JwsError::UnknownKey(_) | JwsError::Signature)) {
            let keys = self
                .provider_keys(&jwks_uri, name, true)
                .await
                .map_err(keys_error)?;
            result = jose::verify_compact(token, &keys);
        }
        let claims = result?;
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != issuer {
            return Err(TokenError::Issuer(iss.to_owned()));
        }
        self.checked_caller(claims, IssuerName::IdPorten)
    }

    /// Checks `exp` and `nbf` of verified claims and reads the scopes.
    fn checked_caller(
        &self,
        claims: Map<String, Value>,
        issuer: IssuerName,
    ) -> Result<Caller, TokenError> {
        let now = unix_now(self);
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(TokenError::MissingClaim("exp"))?;
        if exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
            && nbf - LEEWAY_SECS > now
        {
            return Err(TokenError::NotYetValid);
        }
        let scopes = claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Ok(Caller {
            issuer,
            claims,
            scopes,
        })
    }

    /// Turns an ID-porten access token into a platform token for the person; `None` when the
    /// person is not in the register.
    pub async fn exchange_idporten(&self, token: &str) -> Result<Option<String>, TokenError> {
        let caller = match &self.config.idporten {
            // The configured (real) ID-porten: its keys from its discovery document.
            Some(p) => self.verify_idporten_access_token(token, &p.issuer).await?,
            None => {
                let idp = super::idp::IDPORTEN;
                let caller = self.verify_issued_by(token, idp.issuer).await?;
                if caller.claims.get("iss").and_then(Value::as_str)
                    != Some(self.idp_issuer(idp).as_str())
                {
                    return Err(TokenError::Issuer(
                        caller
                            .claims
                            .get("iss")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    ));
                }
                if caller.claims.get("token_type").is_none() {
                    return Err(TokenError::MissingClaim("token_type"));
                }
                caller
            }
        };
        // An access token, not an ID token (which every relying party of ID-porten holds for
        // its users): ID-porten's access tokens name the client and the scopes.
        for claim in ["client_id", "scope"] {
            if caller.claims.get(claim).and_then(Value::as_str).is_none() {
                return Err(TokenError::MissingClaim(claim));
            }
        }
        // The log-in behind it is at least as strong as a log-in here must be.
        let acr = caller
            .claims
            .get("acr")
            .and_then(Value::as_str)
            .unwrap_or("");
        let level = super::login::assurance_level(acr);
        if level < super::login::assurance_level(self.config.min_acr) {
            return Err(TokenError::TooWeak {
                got: if acr.is_empty() { "none" } else { acr }.to_owned(),
                needed: self.config.min_acr,
            });
        }
        let pid: crate::domain::Pid = caller
            .claims
            .get("pid")
            .and_then(Value::as_str)
            .and_then(|p| p.parse().ok())
            .ok_or(TokenError::MissingClaim("pid"))?;
        let Some(person) = self.store.person(&pid).await? else {
            return Ok(None);
        };
        let scope = caller
            .claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("openid");
        let exp = caller
            .claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let ttl = (exp - unix_now(self)).clamp(1, MAX_TEST_TOKEN_TTL_SECS);
        self.personal_token(&person, scope, ttl, level).map(Some)
    }

    /// Turns a Maskinporten token into a platform token (spec tokens-idp-delegation §B.5): all
    /// claims are kept except `aud`, `iss`, `client_amr` and `sid`; Altinn's claims are added.
    /// The lifetime is not extended. A service owner's token (a scope under
    /// `altinn:serviceowner`) gets `urn:altinn:org`, the owner's org code; with `test`, Digdir
    /// is `ttd`, as in Altinn's test environments.
    pub async fn exchange_maskinporten(
        &self,
        caller: &Caller,
        test: bool,
    ) -> Result<String, TokenError> {
        let org = caller
            .consumer_org()
            .ok_or(TokenError::MissingClaim("consumer"))?;
        let mut claims = caller.claims.clone();
        for k in ["aud", "iss", "client_amr", "sid"] {
            claims.remove(k);
        }
        claims.insert("iss".into(), json!(self.platform_issuer()));
        claims.insert("urn:altinn:orgNumber".into(), json!(org.as_str()));
        claims.insert(
            "urn:altinn:authenticatemethod".into(),
            json!("maskinporten"),
        );
        claims.insert("urn:altinn:authlevel".into(), json!(3));
        let service_owner = caller
            .claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split_whitespace()
            .any(|s| s.starts_with("altinn:serviceowner"));
        if service_owner {
            let code = if test && org.as_str() == DIGDIR_ORG_NO {
                Some("ttd".to_owned())
            } else {
                self.store.service_owner_code(org.as_str()).await?
            };
            if let Some(code) = code {
                claims.insert("urn:altinn:org".into(), json!(code));
            }
        }
        claims.insert("sid".into(), json!(Uuid::new_v4().to_string()));
        claims.insert("iat".into(), json!(unix_now(self)));
        self.sign(IssuerName::Platform, &Value::Object(claims))
    }
}
