//! The embedded OpenID providers for people: ID-porten at `/idporten/` and Ansattporten at
//! `/ansattporten/` (local profile). Authorization code flow with PKCE S256 required, pushed
//! authorization requests, single-use codes valid 120 s, client authentication by secret
//! (basic or post) or `private_key_jwt`, and only synthetic national identity numbers.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::App;
use super::keys::IssuerName;
use crate::domain::Pid;
use crate::domain::grant::{GrantError, OAuthError, TokenResponse};
use crate::jose::{self, RsaVerifyingKey};
use crate::secret;
use crate::store::StoreError;
use crate::store::oidc::{CodeRecord, OidcClient};

pub const CODE_LIFETIME_SECS: i64 = 120;
pub const TOKEN_LIFETIME_SECS: i64 = 600;
/// How long a person has to log in after the authorization request.
pub const LOGIN_WINDOW_SECS: i64 = 600;
pub const PAR_LIFETIME_SECS: i64 = 60;
pub const ACR_SUBSTANTIAL: &str = "idporten-loa-substantial";
pub const ACR_HIGH: &str = "idporten-loa-high";
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// One of the two embedded providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idp {
    pub issuer: IssuerName,
    /// The path segment: `idporten` or `ansattporten`.
    pub path: &'static str,
    pub display_name: &'static str,
}

pub const IDPORTEN: Idp = Idp {
    issuer: IssuerName::IdPorten,
    path: "idporten",
    display_name: "ID-porten",
};
pub const ANSATTPORTEN: Idp = Idp {
    issuer: IssuerName::Ansattporten,
    path: "ansattporten",
    display_name: "Ansattporten",
};

impl Idp {
    pub fn by_path(path: &str) -> Option<Idp> {
        [IDPORTEN, ANSATTPORTEN]
            .into_iter()
            .find(|i| i.path == path)
    }
}

/// The parameters of an authorization request (RFC 6749 §4.1.1, OIDC Core, RFC 7636, RFC 9126).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub acr_values: Option<String>,
    pub ui_locales: Option<String>,
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    pub request_uri: Option<String>,
}

/// Why an authorization request failed. Until the client and its redirect URI are known to be
/// right, the person is shown the error; after that, the client is told through the redirect.
/// Log-ins in progress one address may have at a time at an embedded provider.
pub const MAX_PENDING_PER_SOURCE: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Show(String),
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl AuthorizeError {
    /// The redirect URL that carries the error, with the issuer (RFC 9207: on errors too), or
    /// `None` when it must be shown.
    pub fn redirect_url(&self, issuer: &str) -> Option<String> {
        match self {
            AuthorizeError::Show(_) => None,
            AuthorizeError::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut pairs = vec![
                    ("error", error.to_string()),
                    ("error_description", description.clone()),
                ];
                if let Some(s) = state {
                    pairs.push(("state", s.clone()));
                }
                pairs.push(("iss", issuer.to_owned()));
                Some(append_query(redirect_uri, &pairs))
            }
        }
    }
}

/// A request waiting for the person to log in.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub id: String,
    pub client_name: String,
    pub acr: String,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error(transparent)]
    OAuth(#[from] GrantError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn oauth(error: OAuthError, description: impl Into<String>) -> IdpError {
    IdpError::OAuth(GrantError::new(error, description))
}

/// Appends query parameters to a URL that may already have a query.
pub fn append_query(url: &str, pairs: &[(&str, String)]) -> String {
    let mut out = url.to_owned();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&percent_encode(v));
        sep = '&';
    }
    out
}

pub fn percent_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Client credentials as they arrived at the token or PAR endpoint.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

/// The token endpoint's form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CodeTokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    #[serde(flatten)]
    pub credentials: ClientCredentials,
}

/// What the userinfo endpoint tells about the holder of an access token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdpUserInfo {
    /// The pairwise subject (null if the token has none).
    pub sub: Option<String>,
    /// The person's national identity number.
    pub pid: Option<String>,
    pub locale: &'static str,
}

impl App {
    pub fn idp_issuer(&self, idp: Idp) -> String {
        self.config.url(&format!("/{}/", idp.path))
    }

    /// The stable pairwise subject of a person at a client.
    pub fn idp_subject(&self, idp: Idp, client_id: &str, pid: &str) -> String {
        secret::hash(&format!("{}|{client_id}|{pid}", idp.path))
    }

    async fn idp_client(
        &self,
        idp: Idp,
        client_id: &str,
    ) -> Result<Option<OidcClient>, StoreError> {
        self.store.oidc_client(idp.path, client_id).await
    }

    /// Checks an authorization request and stores it while the person logs in.
    pub async fn begin_authorize(
        &self,
        idp: Idp,
        mut params: AuthorizeParams,
        source: Option<&str>,
    ) -> Result<PendingLogin, AuthorizeError> {
        let client_id = params
            .client_id
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| AuthorizeError::Show("the request has no client_id".into()))?;
        let client = self
            .idp_client(idp, &client_id)
            .await
            .map_err(|e| AuthorizeError::Show(format!("the request could not be checked: {e}")))?
            .ok_or_else(|| {
                AuthorizeError::Show(format!(
                    "no client '{client_id}' is registered at {}",
                    idp.display_name
                ))
            })?;
        let now = self.clock.now();

        // Pushed authorization request: the parameters come only from what was pushed.
        if let Some(request_uri) = params.request_uri.clone() {
            let id = request_uri
                .strip_prefix(REQUEST_URI_PREFIX)
                .ok_or_else(|| {
                    AuthorizeError::Show("request_uri is not one this provider issued".into())
                })?;
            let (pushed_client, pushed) = self
                .store
                .auth_request(id, idp.path, now)
                .await
                .map_err(|e| AuthorizeError::Show(e.to_string()))?
                .ok_or_else(|| {
                    AuthorizeError::Show(
                        "request_uri is unknown or has expired; push the request again".into(),
                    )
                })?;
            if pushed_client != client_id {
                return Err(AuthorizeError::Show(
                    "request_uri belongs to another client".into(),
                ));
            }
            let _ = self.store.consume_auth_request(id).await;
            params =
                serde_json::from_value(pushed).map_err(|e| AuthorizeError::Show(e.to_string()))?;
        }

        let redirect_uri = params
            .redirect_uri
            .clone()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| AuthorizeError::Show("the request has no redirect_uri".into()))?;
        if !client.redirect_uris.contains(&redirect_uri) {
            return Err(AuthorizeError::Show(format!(
                "redirect_uri '{redirect_uri}' is not registered for client '{client_id}'"
            )));
        }
        let state = params.state.clone();
        let fail = |error: &'static str, description: &str| AuthorizeError::Redirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: state.clone(),
        };
        if params.response_type.as_deref() != Some("code") {
            return Err(fail(
                "unsupported_response_type",
                "response_type must be 'code'",
            ));
        }
        let scopes: Vec<&str> = params
            .scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if !scopes.contains(&"openid") {
            return Err(fail("invalid_scope", "scope must include 'openid'"));
        }
        if let Some(allowed) = &client.scopes
            && let Some(extra) = scopes.iter().find(|s| !allowed.iter().any(|a| a == *s))
        {
            return Err(fail(
                "invalid_scope",
                &format!("the client is not registered for the scope '{extra}'"),
            ));
        }
        match params.code_challenge_method.as_deref() {
            None | Some("S256") => {}
            Some(_) => {
                return Err(fail(
                    "invalid_request",
                    "code_challenge_method must be S256",
                ));
            }
        }
        let challenge = params.code_challenge.as_deref().unwrap_or("");
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(fail(
                "invalid_request",
                "PKCE is required: send code_challenge (S256, 43 base64url characters)",
            ));
        }
        let acr = match params.acr_values.as_deref().map(str::split_whitespace) {
            None => ACR_SUBSTANTIAL.to_owned(),
            Some(mut values) => match values.find(|v| *v == ACR_SUBSTANTIAL || *v == ACR_HIGH) {
                Some(v) => v.to_owned(),
                None => {
                    return Err(fail(
                        "invalid_request",
                        "acr_values must be idporten-loa-substantial or idporten-loa-high",
                    ));
                }
            },
        };
        if params.prompt.as_deref() == Some("none") {
            return Err(fail(
                "login_required",
                "this provider keeps no single sign-on session; the person must log in",
            ));
        }
        if params.state.as_ref().is_some_and(|s| s.len() > 1024)
            || params.nonce.as_ref().is_some_and(|s| s.len() > 1024)
        {
            return Err(fail(
                "invalid_request",
                "state and nonce may be at most 1024 characters",
            ));
        }
        // Each anonymous authorize stores a row until the person logs in: a few per source.
        if let Some(source) = source {
            let pending = self
                .store
                .pending_auth_requests_of(source, now)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot count pending log-ins");
                    AuthorizeError::Show("the log-in could not start; try again in a moment".into())
                })?;
            if pending >= MAX_PENDING_PER_SOURCE {
                return Err(fail(
                    "temporarily_unavailable",
                    "too many log-ins in progress from this address; finish one, or wait a few minutes",
                ));
            }
        }
        let id = secret::random_token();
        let stored =
            serde_json::to_value(&params).map_err(|e| AuthorizeError::Show(e.to_string()))?;
        let stored = json!({"params": stored, "acr": acr});
        self.store
            .insert_auth_request(
                &id,
                idp.path,
                &client_id,
                &stored,
                now + LOGIN_WINDOW_SECS * 1_000_000,
                source,
            )
            .await
            .map_err(|e| AuthorizeError::Show(e.to_string()))?;
        Ok(PendingLogin {
            id,
            client_name: client.client_name,
            acr,
            login_hint: params.login_hint,
            ui_locales: params.ui_locales,
        })
    }

    /// The pending request `id`, for showing the log-in page again.
    pub async fn pending_login(
        &self,
        idp: Idp,
        id: &str,
    ) -> Result<Option<PendingLogin>, StoreError> {
        let Some((client_id, stored)) = self
            .store
            .auth_request(id, idp.path, self.clock.now())
            .await?
        else {
            return Ok(None);
        };
        let client_name = self
            .idp_client(idp, &client_id)
            .await?
            .map(|c| c.client_name)
            .unwrap_or(client_id);
        let params: AuthorizeParams =
            serde_json::from_value(stored["params"].clone()).unwrap_or_default();
        Ok(Some(PendingLogin {
            id: id.to_owned(),
            client_name,
            acr: stored["acr"].as_str().unwrap_or(ACR_SUBSTANTIAL).to_owned(),
            login_hint: params.login_hint,
            ui_locales: params.ui_locales,
        }))
    }

    /// Completes a log-in: the person chose `pid`. Returns the redirect back to the client.
    pub async fn complete_login(
        &self,
        idp: Idp,
        request_id: &str,
        pid: &str,
    ) -> Result<String, AuthorizeError> {
        let now = self.clock.now();
        let (client_id, stored) = self
            .store
            .auth_request(request_id, idp.path, now)
            .await
            .map_err(|e| AuthorizeError::Show(e.to_string()))?
            .ok_or_else(|| {
                AuthorizeError::Show(
                    "this log-in has expired or was already used; start again from the service"
                        .into(),
                )
            })?;
        let params: AuthorizeParams = serde_json::from_value(stored["params"].clone())
            .map_err(|e| AuthorizeError::Show(e.to_string()))?;
        let redirect_uri = params.redirect_uri.clone().unwrap_or_default();
        let pid: Pid = pid
            .trim()
            .parse()
            .map_err(|e| AuthorizeError::Show(format!("{e}")))?;
        if !pid.is_synthetic() {
            return Err(AuthorizeError::Show(
                "only synthetic national identity numbers (month + 80) can log in here".into(),
            ));
        }
        if !self
            .store
            .consume_auth_request(request_id)
            .await
            .map_err(|e| AuthorizeError::Show(e.to_string()))?
        {
            return Err(AuthorizeError::Show(
                "this log-in was already used; start again from the service".into(),
            ));
        }
        let code = secret::random_token();
        let record = CodeRecord {
            client_id,
            redirect_uri: redirect_uri.clone(),
            pid: pid.to_string(),
            scope: params.scope.unwrap_or_default(),
            nonce: params.nonce,
            acr: stored["acr"].as_str().unwrap_or(ACR_SUBSTANTIAL).to_owned(),
            code_challenge: params.code_challenge.unwrap_or_default(),
            auth_time: now,
        };
        self.store
            .insert_code(
                &secret::hash(&code),
                idp.path,
                &record,
                now + CODE_LIFETIME_SECS * 1_000_000,
            )
            .await
            .map_err(|e| AuthorizeError::Show(e.to_string()))?;
        let mut pairs = vec![("code", code)];
        if let Some(s) = params.state {
            pairs.push(("state", s));
        }
        pairs.push(("iss", self.idp_issuer(idp)));
        Ok(append_query(&redirect_uri, &pairs))
    }

    /// Authenticates a client at the token or PAR endpoint: secret (basic or post) or
    /// `private_key_jwt`.
    pub async fn authenticate_idp_client(
        &self,
        idp: Idp,
        creds: &ClientCredentials,
        basic: Option<(String, String)>,
    ) -> Result<OidcClient, IdpError> {
        let invalid = |d: &str| oauth(OAuthError::InvalidClient, d);
        if let Some(assertion) = creds.client_assertion.as_deref() {
            if creds.client_assertion_type.as_deref() != Some(CLIENT_ASSERTION_TYPE) {
                return Err(invalid(
                    "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
            }
            let jws = jose::decode_unverified(assertion)
                .map_err(|e| oauth(OAuthError::InvalidClient, format!("client_assertion: {e}")))?;
            let client_id = jws
                .claims
                .get("iss")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("client_assertion has no iss"))?
                .to_owned();
            let client = self
                .idp_client(idp, &client_id)
                .await?
                .ok_or_else(|| invalid("unknown client"))?;
            let keys: Vec<RsaVerifyingKey> = client
                .jwks
                .as_ref()
                .and_then(|j| j.get("keys"))
                .and_then(Value::as_array)
                .map(|ks| ks.iter().filter_map(RsaVerifyingKey::from_jwk).collect())
                .unwrap_or_default();
            let kid = jws.kid().unwrap_or("");
            let key = keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
                invalid("client_assertion is signed with a key the client has not registered")
            })?;
            jws.verify_with(key)
                .map_err(|_| invalid("client_assertion signature is not valid"))?;
            let now = self.clock.now() / 1_000_000;
            let issuer = self.idp_issuer(idp);
            let aud_ok = |a: &str| {
                a == issuer || a == format!("{issuer}token") || a == format!("{issuer}par")
            };
            let aud = jws.claims.get("aud");
            let aud_matches = match aud {
                Some(Value::String(a)) => aud_ok(a),
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(aud_ok),
                _ => false,
            };
            if !aud_matches {
                return Err(invalid(
                    "client_assertion aud must be the issuer or the endpoint",
                ));
            }
            if jws.claims.get("sub").and_then(Value::as_str) != Some(client_id.as_str()) {
                return Err(invalid("client_assertion sub must be the client id"));
            }
            let exp = jws
                .claims
                .get("exp")
                .and_then(Value::as_i64)
                .ok_or_else(|| invalid("client_assertion has no exp"))?;
            if exp <= now || exp > now + 300 {
                return Err(invalid(
                    "client_assertion has expired or lives longer than 300 seconds",
                ));
            }
            let jti = jws
                .claims
                .get("jti")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("client_assertion has no jti"))?;
            if !self
                .store
                .use_jti(
                    &format!("{}:{client_id}", idp.path),
                    jti,
                    (exp + 60) * 1_000_000,
                )
                .await?
            {
                return Err(invalid("client_assertion was used before"));
            }
            return Ok(client);
        }
        let (client_id, secret_given) = match (basic, &creds.client_id, &creds.client_secret) {
            (Some((id, s)), _, _) => (id, s),
            (None, Some(id), Some(s)) => (id.clone(), s.clone()),
            _ => {
                return Err(invalid(
                    "authenticate the client with client_secret_basic, client_secret_post or private_key_jwt",
                ));
            }
        };
        let client = self
            .idp_client(idp, &client_id)
            .await?
            .ok_or_else(|| invalid("unknown client or wrong secret"))?;
        match &client.secret_hash {
            Some(h) if secret::constant_time_eq(h, &secret::hash(&secret_given)) => Ok(client),
            _ => Err(invalid("unknown client or wrong secret")),
        }
    }

    /// Stores a pushed authorization request (RFC 9126).
    pub async fn push_authorization_request(
        &self,
        idp: Idp,
        client: &OidcClient,
        params: AuthorizeParams,
    ) -> Result<(String, i64), IdpError> {
        if params.request_uri.is_some() {
            return Err(oauth(
                OAuthError::InvalidRequest,
                "request_uri cannot be pushed",
            ));
        }
        if params
            .client_id
            .as_deref()
            .is_some_and(|c| c != client.client_id)
        {
            return Err(oauth(
                OAuthError::InvalidRequest,
                "client_id does not match the authenticated client",
            ));
        }
        let redirect = params.redirect_uri.as_deref().unwrap_or("");
        if !client.redirect_uris.iter().any(|r| r == redirect) {
            return Err(oauth(
                OAuthError::InvalidRequest,
                "redirect_uri is not registered for this client",
            ));
        }
        let id = secret::random_token();
        let mut params = params;
        params.client_id = Some(client.client_id.clone());
        let value =
            serde_json::to_value(&params).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store
            .insert_auth_request(
                &id,
                idp.path,
                &client.client_id,
                &value,
                self.clock.now() + PAR_LIFETIME_SECS * 1_000_000,
                None,
            )
            .await?;
        Ok((format!("{REQUEST_URI_PREFIX}{id}"), PAR_LIFETIME_SECS))
    }

    /// The authorization-code grant: checks the code (once), the redirect URI and the PKCE
    /// verifier, and issues an ID token and an access token.
    pub async fn idp_token(
        &self,
        idp: Idp,
        form: &CodeTokenForm,
        basic: Option<(String, String)>,
    ) -> Result<TokenResponse, IdpError> {
        match form.grant_type.as_deref() {
            Some("authorization_code") => {}
            Some(other) => {
                return Err(oauth(
                    OAuthError::UnsupportedGrantType,
                    format!("grant_type '{other}' is not supported; use authorization_code"),
                ));
            }
            None => {
                return Err(oauth(
                    OAuthError::InvalidRequest,
                    "the form has no grant_type",
                ));
            }
        }
        let client = self
            .authenticate_idp_client(idp, &form.credentials, basic)
            .await?;
        let code = form
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| oauth(OAuthError::InvalidRequest, "the form has no code"))?;
        let verifier = form.code_verifier.as_deref().ok_or_else(|| {
            oauth(
                OAuthError::InvalidRequest,
                "PKCE is required: send code_verifier",
            )
        })?;
        let now = self.clock.now();
        let record = self
            .store
            .redeem_code(&secret::hash(code), idp.path, now)
            .await?
            .ok_or_else(|| {
                oauth(
                    OAuthError::InvalidGrant,
                    "the code is unknown, expired or already used",
                )
            })?;
        if record.client_id != client.client_id {
            return Err(oauth(
                OAuthError::InvalidGrant,
                "the code was issued to another client",
            ));
        }
        if form.redirect_uri.as_deref() != Some(record.redirect_uri.as_str()) {
            return Err(oauth(
                OAuthError::InvalidGrant,
                "redirect_uri differs from the authorization request",
            ));
        }
        if !secret::constant_time_eq(&secret::pkce_challenge(verifier), &record.code_challenge) {
            return Err(oauth(
                OAuthError::InvalidGrant,
                "code_verifier does not match code_challenge",
            ));
        }
        let issuer = self.idp_issuer(idp);
        let sub = self.idp_subject(idp, &client.client_id, &record.pid);
        let secs = now / 1_000_000;
        let sid = Uuid::new_v4().to_string();
        let mut id_claims = json!({
            "iss": issuer, "aud": client.client_id, "sub": sub, "pid": record.pid,
            "acr": record.acr, "amr": ["TestID"], "auth_time": record.auth_time / 1_000_000,
            "iat": secs, "exp": secs + TOKEN_LIFETIME_SECS, "jti": Uuid::new_v4().to_string(),
            "sid": sid, "locale": "nb",
        });
        if let Some(nonce) = &record.nonce {
            id_claims["nonce"] = json!(nonce);
        }
        let access_claims = json!({
            "iss": issuer, "client_id": client.client_id, "sub": sub, "pid": record.pid,
            "acr": record.acr, "scope": record.scope, "token_type": "Bearer",
            "iat": secs, "exp": secs + TOKEN_LIFETIME_SECS, "jti": Uuid::new_v4().to_string(),
        });
        let sign = |c: &Value| {
            self.sign(idp.issuer, c)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        Ok(TokenResponse {
            id_token: Some(sign(&id_claims)?),
            access_token: sign(&access_claims)?,
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME_SECS,
            scope: record.scope,
            refresh_token: None,
        })
    }

    /// What the provider's userinfo endpoint tells about the holder of an access token.
    pub async fn idp_userinfo(&self, idp: Idp, access_token: &str) -> Option<IdpUserInfo> {
        let caller = self.verify_issued_by(access_token, idp.issuer).await.ok()?;
        if caller.claims.get("iss").and_then(Value::as_str) != Some(self.idp_issuer(idp).as_str())
            || caller.claims.get("token_type").is_none()
        {
            return None;
        }
        let claim = |name: &str| {
            caller
                .claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Some(IdpUserInfo {
            sub: claim("sub"),
            pid: claim("pid"),
            locale: "nb",
        })
    }

    /// Where to send the person after logging out: the client's registered post-logout URI,
    /// when the ID token hint names the client and the URI is registered.
    pub async fn idp_end_session(
        &self,
        idp: Idp,
        id_token_hint: Option<&str>,
        post_logout: Option<&str>,
        state: Option<&str>,
    ) -> Option<String> {
        let hint = id_token_hint?;
        let keys = self.keys.current(idp.issuer).ok()?;
        let claims = jose::verify_compact(hint, keys.verifying_keys()).ok()?;
        let client_id = claims.get("aud").and_then(Value::as_str)?;
        let client = self.idp_client(idp, client_id).await.ok()??;
        let target = post_logout?;
        if !client.post_logout_redirect_uris.iter().any(|u| u == target) {
            return None;
        }
        Some(match state {
            Some(s) => append_query(target, &[("state", s.to_owned())]),
            None => target.to_owned(),
        })
    }
}

/// Checks what a relying party registers: a name, 1 to 20 redirect URIs (absolute http or
/// https, no fragment) and at most 20 post-logout URIs.
pub fn check_relying_party(
    name: &str,
    redirect_uris: &[String],
    post_logout_uris: &[String],
) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("the name is required: 1 to 100 characters".into());
    }
    let uri_ok = |u: &str| {
        (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() <= 2000
            && !u.contains('#')
            && !u.chars().any(|c| c.is_whitespace() || c.is_control())
            && u.split_once("://")
                .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
    };
    for u in redirect_uris.iter().chain(post_logout_uris) {
        if !uri_ok(u) {
            return Err(format!(
                "'{u}' is not an absolute http or https URL without a fragment"
            ));
        }
    }
    if redirect_uris.is_empty() || redirect_uris.len() > 20 || post_logout_uris.len() > 20 {
        return Err("give 1 to 20 redirect URIs and at most 20 post-logout URIs".into());
    }
    Ok(())
}

/// Registers a relying party of the embedded `provider` (`idporten` or `ansattporten`) for the
/// operator (no owning organisation); returns its client id and secret (stored hashed).
pub async fn register_relying_party(
    store: &crate::store::Store,
    clock: &crate::clock::Clock,
    provider: &str,
    name: &str,
    redirect_uris: Vec<String>,
    post_logout_uris: Vec<String>,
) -> Result<(String, String), String> {
    let provider = provider.trim();
    if !matches!(provider, "idporten" | "ansattporten") {
        return Err(format!(
            "provider '{provider}': use idporten or ansattporten"
        ));
    }
    let name = name.trim();
    check_relying_party(name, &redirect_uris, &post_logout_uris)?;
    let client_id = Uuid::new_v4().to_string();
    let client_secret = secret::random_token();
    store
        .upsert_oidc_client(
            &OidcClient {
                issuer: provider.to_owned(),
                client_id: client_id.clone(),
                client_name: name.to_owned(),
                secret_hash: Some(secret::hash(&client_secret)),
                redirect_uris,
                post_logout_redirect_uris: post_logout_uris,
                jwks: None,
                scopes: None,
            },
            clock.now(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok((client_id, client_secret))
}
