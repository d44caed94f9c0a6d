//! Studio as OAuth2/OIDC provider for Studio accounts (spec studio-accounts §2.6, §6): the
//! pre-registered confidential client "Altinn Studio", authorization with consent asked once,
//! codes with PKCE (S256 or plain), access, refresh (rotated) and ID tokens, userinfo.

use serde_json::{Value, json};
use uuid::Uuid;

use super::App;
use super::keys::IssuerName;
use crate::domain::grant::TokenResponse;
use crate::secret;
use crate::store::StoreError;
use crate::store::studio::Account;
pub use crate::store::studio_oauth::Grant;
use crate::store::studio_oauth::{Code, OauthApp, RefreshTake};

pub const DESIGNER_NAME: &str = "Altinn Studio";
/// What Altinn Studio (Designer) asks for.
pub const DESIGNER_SCOPE: &str = "openid profile write:activitypub write:admin write:issue write:misc write:notification write:organization write:package write:repository write:user";
const CODE_LIFETIME_SECS: i64 = 600;
pub const ACCESS_LIFETIME_SECS: i64 = 3600;
/// The OpenID scopes Studio's provider offers (its discovery's `scopes_supported`).
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "groups"];
/// Gitea's token scope categories (`read:<category>`, `write:<category>`).
const GITEA_SCOPE_CATEGORIES: [&str; 9] = [
    "activitypub",
    "admin",
    "issue",
    "misc",
    "notification",
    "organization",
    "package",
    "repository",
    "user",
];

/// What a Studio access token may do in the Gitea API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAccess {
    /// A token of the platform's own application: what the user may do.
    Full,
    /// A token of an application a user registered: only the Gitea scopes granted to it.
    Scopes(Vec<String>),
}

impl TokenAccess {
    /// Whether the token may read (or, with `write`, change) `category` (Gitea's scope
    /// categories; `write:` includes `read:`, `all` includes everything).
    pub fn allows(&self, category: &str, write: bool) -> bool {
        match self {
            TokenAccess::Full => true,
            TokenAccess::Scopes(granted) => granted.iter().any(|s| {
                s == "all"
                    || *s == format!("write:{category}")
                    || (!write && *s == format!("read:{category}"))
            }),
        }
    }
}

/// Whether Studio's provider offers `scope`: an OpenID scope, or one of Gitea's token scopes.
pub fn is_offered_scope(scope: &str) -> bool {
    SCOPES.contains(&scope)
        || scope == "all"
        || scope
            .strip_prefix("read:")
            .or_else(|| scope.strip_prefix("write:"))
            .is_some_and(|c| GITEA_SCOPE_CATEGORIES.contains(&c))
}
const REFRESH_LIFETIME_SECS: i64 = 730 * 3600;

/// An authorization request as the client sent it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// OIDC Core §3.1.2.1: `none`, `login`, `consent` (space-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Seconds since log-in after which the user must log in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
}

impl AuthorizeParams {
    /// Whether `prompt` names `value`.
    pub fn prompts(&self, value: &str) -> bool {
        self.prompt
            .as_deref()
            .is_some_and(|p| p.split_whitespace().any(|v| v == value))
    }

    /// Whether a log-in at `auth_time` (seconds) is too old for `max_age` at `now` (seconds).
    pub fn too_old(&self, auth_time: i64, now: i64) -> bool {
        self.max_age
            .as_deref()
            .and_then(|m| m.trim().parse::<i64>().ok())
            .is_some_and(|max| max >= 0 && now.saturating_sub(auth_time) > max)
    }
}

/// What an authorization request leads to.
pub enum Authorize {
    /// Shown as an error page; no redirect (unknown client, unregistered redirect URI …).
    ErrorPage {
        error: &'static str,
        description: String,
    },
    /// Sent back to the client with `error=` (its redirect URI is known to be right).
    RedirectError(String),
    /// Valid: ask the user (or skip the question when consent was given before).
    Valid(Box<(OauthApp, AuthorizeParams)>),
}

/// A token-endpoint failure (RFC 6749 §5.2).
#[derive(Debug)]
pub struct TokenError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

pub(crate) fn token_error(
    status: u16,
    error: &'static str,
    description: impl Into<String>,
) -> TokenError {
    TokenError {
        status,
        error,
        description: description.into(),
    }
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "token endpoint");
        token_error(500, "server_error", "the server could not answer")
    }
}

/// `url?key=value&…` (or `&` when the URL has a query already), values percent-encoded.
pub fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    super::idp::append_query(
        url,
        &params
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect::<Vec<_>>(),
    )
}

impl App {
    pub fn studio_issuer(&self) -> String {
        self.config.url("/studio/")
    }

    /// Registers "Altinn Studio" as a confidential client (its id and secret are Studio's
    /// secrets; the redirect URI follows the public URL).
    pub async fn register_studio_designer(&self) -> Result<(), StoreError> {
        let app = OauthApp {
            id: 0,
            client_id: self.studio.designer_client_id.clone(),
            name: DESIGNER_NAME.into(),
            secret_hash: secret::hash(&self.studio.designer_secret),
            redirect_uris: vec![self.config.url("/studio/signin-oidc")],
            confidential: true,
            trusted: false,
            owner_id: None,
        };
        self.store.upsert_oauth_app(&app, self.clock.now()).await
    }

    /// The designer client's id and secret.
    /// The registered OAuth2 application `client_id`, if there is one.
    pub async fn studio_oauth_app(&self, client_id: &str) -> Result<Option<OauthApp>, StoreError> {
        self.store.oauth_app(client_id).await
    }

    pub fn studio_designer_client(&self) -> (String, String) {
        (
            self.studio.designer_client_id.clone(),
            self.studio.designer_secret.clone(),
        )
    }

    /// Checks an authorization request in Gitea's order (spec §2.6 step 3).
    pub async fn studio_authorize(&self, p: AuthorizeParams) -> Result<Authorize, StoreError> {
        let (Some(client_id), Some(response_type)) = (p.client_id.clone(), p.response_type.clone())
        else {
            return Ok(Authorize::ErrorPage {
                error: "invalid_request",
                description: "client_id and response_type are required".into(),
            });
        };
        let Some(app) = self.store.oauth_app(&client_id).await? else {
            return Ok(Authorize::ErrorPage {
                error: "unauthorized_client",
                description: "Client ID not registered".into(),
            });
        };
        let redirect = p.redirect_uri.clone().unwrap_or_default();
        if !app.redirect_uris.contains(&redirect) {
            return Ok(Authorize::ErrorPage {
                error: "invalid_request",
                description: "Unregistered Redirect URI".into(),
            });
        }
        let state = p.state.clone().unwrap_or_default();
        let back = |error: &str, description: &str| {
            let mut q = vec![("error", error), ("error_description", description)];
            if !state.is_empty() {
                q.push(("state", state.as_str()));
            }
            Authorize::RedirectError(with_query(&redirect, &q))
        };
        if response_type != "code" {
            return Ok(back(
                "unsupported_response_type",
                "Only code response type is supported.",
            ));
        }
        // Only the scopes discovery offers: the grant collects what the user agreed to.
        if let Some(unknown) = p
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .find(|s| !is_offered_scope(s))
        {
            return Ok(back(
                "invalid_scope",
                &format!(
                    "'{unknown}' is not offered; use {} or Gitea's read:/write: scopes",
                    SCOPES.join(", ")
                ),
            ));
        }
        let challenge = p.code_challenge.clone().unwrap_or_default();
        if !app.confidential && challenge.is_empty() {
            return Ok(back(
                "invalid_request",
                "PKCE is required for public clients",
            ));
        }
        if !challenge.is_empty() {
            match p.code_challenge_method.as_deref() {
                Some("S256") | Some("plain") | None => {}
                Some(_) => {
                    return Ok(back("invalid_request", "unsupported code challenge method"));
                }
            }
        }
        Ok(Authorize::Valid(Box::new((app, p))))
    }

    /// Whether the user has consented before to every scope asked for now, and the client may
    /// skip the question (a request for more scopes asks again, for the new ones).
    pub async fn studio_consent_known(
        &self,
        app: &OauthApp,
        user: &Account,
        scope: Option<&str>,
    ) -> Result<bool, StoreError> {
        if !(app.confidential || app.trusted) {
            return Ok(false);
        }
        let Some(grant) = self.store.oauth_grant(user.id, app.id).await? else {
            return Ok(false);
        };
        let granted: Vec<&str> = grant.scope.split_whitespace().collect();
        Ok(scope
            .unwrap_or_default()
            .split_whitespace()
            .all(|s| granted.contains(&s)))
    }

    /// Records consent (once) and issues a code; returns the redirect with `code` and `state`.
    pub async fn studio_issue_code(
        &self,
        app: &OauthApp,
        user: &Account,
        p: &AuthorizeParams,
        auth_time: i64,
    ) -> Result<String, StoreError> {
        let now = self.clock.now();
        // The grant holds every scope the user consented to, the earlier ones too.
        let mut scopes: Vec<String> = match self.store.oauth_grant(user.id, app.id).await? {
            Some(g) => g.scope.split_whitespace().map(str::to_owned).collect(),
            None => Vec::new(),
        };
        for s in p.scope.as_deref().unwrap_or_default().split_whitespace() {
            if !scopes.iter().any(|g| g == s) {
                scopes.push(s.to_owned());
            }
        }
        let grant = self
            .store
            .ensure_oauth_grant(user.id, app.id, &scopes.join(" "), now)
            .await?;
        let code = secret::random_token();
        let challenge = p.code_challenge.clone().unwrap_or_default();
        self.store
            .insert_oauth_code(
                &secret::hash(&code),
                &Code {
                    grant_id: grant.id,
                    redirect_uri: p.redirect_uri.clone().unwrap_or_default(),
                    method: if challenge.is_empty() {
                        String::new()
                    } else {
                        p.code_challenge_method
                            .clone()
                            .unwrap_or_else(|| "plain".into())
                    },
                    code_challenge: challenge,
                    nonce: p.nonce.clone().unwrap_or_default(),
                    auth_time,
                },
                now + CODE_LIFETIME_SECS * 1_000_000,
            )
            .await?;
        let mut q = vec![("code", code.as_str())];
        if let Some(state) = p.state.as_deref().filter(|s| !s.is_empty()) {
            q.push(("state", state));
        }
        Ok(with_query(
            p.redirect_uri.as_deref().unwrap_or_default(),
            &q,
        ))
    }

    /// The client calling the token, revocation or introspection endpoint, by its Basic
    /// credentials or the form's `client_id` and `client_secret` (a public client has none).
    pub(crate) async fn studio_client(
        &self,
        form: &std::collections::HashMap<String, String>,
        basic: Option<&(String, String)>,
    ) -> Result<OauthApp, TokenError> {
        let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let (client_id, client_secret) = match basic {
            Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
            None => (get("client_id"), get("client_secret")),
        };
        let client_id =
            client_id.ok_or_else(|| token_error(401, "invalid_client", "client_id is missing"))?;
        Self::studio_client_checked(self.store.oauth_app(client_id).await?, client_secret)
    }

    fn studio_client_checked(
        app: Option<OauthApp>,
        secret_given: Option<&str>,
    ) -> Result<OauthApp, TokenError> {
        let app =
            app.ok_or_else(|| token_error(401, "invalid_client", "client is not registered"))?;
        match secret_given {
            Some(s) if secret::constant_time_eq(&secret::hash(s), &app.secret_hash) => Ok(app),
            None if !app.confidential => Ok(app),
            _ => Err(token_error(401, "invalid_client", "invalid client secret")),
        }
    }

    /// The token endpoint: `authorization_code` and `refresh_token`.
    pub async fn studio_token(
        &self,
        form: &std::collections::HashMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Result<TokenResponse, TokenError> {
        let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let app = self.studio_client(form, basic.as_ref()).await?;
        let now = self.clock.now();
        let grant = match get("grant_type") {
            Some("authorization_code") => {
                let code = get("code")
                    .ok_or_else(|| token_error(400, "invalid_request", "code is missing"))?;
                let record = self
                    .store
                    .take_oauth_code(&secret::hash(code), now)
                    .await?
                    .ok_or_else(|| {
                        token_error(400, "invalid_grant", "the code is unknown, used or expired")
                    })?;
                let grant = self
                    .store
                    .oauth_grant_by_id(record.grant_id)
                    .await?
                    .filter(|g| g.app_id == app.id)
                    .ok_or_else(|| {
                        token_error(
                            400,
                            "invalid_grant",
                            "the code was issued to another client",
                        )
                    })?;
                if get("redirect_uri") != Some(record.redirect_uri.as_str()) {
                    return Err(token_error(
                        400,
                        "invalid_grant",
                        "redirect_uri differs from the authorization request",
                    ));
                }
                if !record.code_challenge.is_empty() {
                    let verifier = get("code_verifier").ok_or_else(|| {
                        token_error(400, "invalid_request", "code_verifier is missing")
                    })?;
                    let computed = if record.method == "S256" {
                        secret::pkce_challenge(verifier)
                    } else {
                        verifier.to_owned()
                    };
                    if !secret::constant_time_eq(&computed, &record.code_challenge) {
                        return Err(token_error(
                            400,
                            "invalid_grant",
                            "failed PKCE code challenge",
                        ));
                    }
                }
                (grant, (record.nonce, record.auth_time), None)
            }
            Some("refresh_token") => {
                let token = get("refresh_token").ok_or_else(|| {
                    token_error(400, "invalid_request", "refresh_token is missing")
                })?;
                let (grant_id, auth_time) = match self
                    .store
                    .take_refresh_token(&secret::hash(token), now)
                    .await?
                {
                    RefreshTake::Fresh(grant_id, auth_time) => (grant_id, auth_time),
                    RefreshTake::Reused(grant_id) => {
                        tracing::warn!(grant = grant_id, client = %app.client_id, "a used refresh token was presented again; the grant's refresh tokens are revoked");
                        let mut tx = self.store.begin().await?;
                        self.audit_in(
                            &mut tx,
                            &format!("client:{}", app.client_id),
                            "studio.oauth.refresh_reused",
                            &format!("studio-grant:{grant_id}"),
                            &json!({"revoked": "every refresh token of the grant"}),
                        )
                        .await?;
                        tx.commit().await.map_err(StoreError::from)?;
                        return Err(token_error(
                            400,
                            "invalid_grant",
                            "this refresh token was used before; every refresh token of the grant is revoked, so sign in again",
                        ));
                    }
                    RefreshTake::Unknown => {
                        return Err(token_error(
                            400,
                            "invalid_grant",
                            "the refresh token is unknown or expired",
                        ));
                    }
                };
                let grant = self
                    .store
                    .oauth_grant_by_id(grant_id)
                    .await?
                    .filter(|g| g.app_id == app.id)
                    .ok_or_else(|| token_error(400, "invalid_grant", "the grant was revoked"))?;
                (grant, (String::new(), auth_time), Some(secret::hash(token)))
            }
            Some(_) => {
                return Err(token_error(
                    400,
                    "unsupported_grant_type",
                    "use authorization_code or refresh_token",
                ));
            }
            None => return Err(token_error(400, "invalid_request", "grant_type is missing")),
        };
        let (grant, (nonce, auth_time), parent) = grant;
        let user = self
            .store
            .studio_account(grant.user_id)
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(|| token_error(400, "invalid_grant", "the user is not active"))?;
        self.studio_tokens(&app, &grant, &user, (&nonce, auth_time), parent.as_deref())
            .await
    }

    /// Tokens for a grant; `parent` is the refresh token being rotated, if any.
    async fn studio_tokens(
        &self,
        app: &OauthApp,
        grant: &Grant,
        user: &Account,
        (nonce, auth_time): (&str, i64),
        parent: Option<&str>,
    ) -> Result<TokenResponse, TokenError> {
        let now = self.clock.now();
        let secs = now / 1_000_000;
        let issuer = self.studio_issuer();
        let sign = |c: &Value| {
            self.sign(IssuerName::Studio, c)
                .map_err(|e| token_error(500, "server_error", e.to_string()))
        };
        let access = sign(&json!({
            "iss": issuer, "aud": app.client_id, "sub": user.id.to_string(), "gnt": grant.id,
            "scope": grant.scope, "tt": 0, "iat": secs, "nbf": secs, "exp": secs + ACCESS_LIFETIME_SECS,
            "jti": Uuid::new_v4().to_string(),
        }))?;
        let refresh = secret::random_token();
        if !self
            .store
            .insert_refresh_token(
                &secret::hash(&refresh),
                grant.id,
                now + REFRESH_LIFETIME_SECS * 1_000_000,
                parent,
                auth_time,
            )
            .await?
        {
            // The family was revoked (a reuse) between taking the old token and now.
            return Err(token_error(
                400,
                "invalid_grant",
                "the grant's refresh tokens were revoked; sign in again",
            ));
        }
        let mut body = TokenResponse {
            access_token: access,
            token_type: "bearer",
            expires_in: ACCESS_LIFETIME_SECS,
            refresh_token: Some(refresh),
            scope: grant.scope.clone(),
            id_token: None,
        };
        if grant.scope.split_whitespace().any(|s| s == "openid") {
            let mut id = json!({
                "iss": issuer, "aud": app.client_id, "sub": user.id.to_string(),
                "iat": secs, "exp": secs + ACCESS_LIFETIME_SECS,
                "name": user.full_name, "preferred_username": user.name,
                "email": user.email, "email_verified": user.is_active,
            });
            if !nonce.is_empty() {
                id["nonce"] = json!(nonce);
            }
            if auth_time > 0 {
                id["auth_time"] = json!(auth_time);
            }
            body.id_token = Some(sign(&id)?);
        }
        Ok(body)
    }

    /// The user behind a Studio access token, if the token is valid, its grant still exists
    /// and the account is active.
    /// The applications the user has authorised.
    pub async fn studio_grants_of(&self, user_id: i64) -> Result<Vec<Grant>, StoreError> {
        self.store.oauth_grants_of(user_id).await
    }

    /// Revokes the user's grant `grant_id` (its codes and refresh tokens with it), audited,
    /// and ends the application's sessions of the user; false when the user has no such grant.
    pub async fn studio_revoke_grant(
        &self,
        user: &Account,
        grant_id: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.begin().await?;
        let revoked =
            crate::store::studio_oauth::delete_oauth_grant_in(&mut tx, user.id, grant_id).await?;
        if revoked {
            self.audit_in(
                &mut tx,
                &format!("studio-user:{}", user.name),
                "studio.oauth.grant_revoked",
                &format!("studio-grant:{grant_id}"),
                &json!({"by": "the user, on the authorised applications page"}),
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        // The application's sessions end with the grant (they expire within the hour anyway;
        // the revocation itself has happened, so a failure here is logged, not shown).
        if let Err(e) = self
            .store
            .delete_studio_sessions_of(user.id, super::studio::KIND_DESIGNER)
            .await
        {
            tracing::error!(error = %e, user = %user.name, "the revoked application's sessions could not be ended");
        }
        Ok(revoked)
    }

    pub async fn studio_bearer(&self, token: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.studio_bearer_access(token).await?.map(|(a, _)| a))
    }

    /// The user a Studio access token speaks for, and what the token may do in the Gitea API:
    /// everything for the platform's own applications (Altinn Studio), the Gitea scopes the
    /// user granted for an application a user registered.
    pub async fn studio_bearer_access(
        &self,
        token: &str,
    ) -> Result<Option<(Account, TokenAccess)>, StoreError> {
        let Ok(caller) = self.verify_issued_by(token, IssuerName::Studio).await else {
            return Ok(None);
        };
        let grant_id = caller.claims.get("gnt").and_then(Value::as_i64);
        let user_id = caller
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<i64>().ok());
        let (Some(grant_id), Some(user_id)) = (grant_id, user_id) else {
            return Ok(None);
        };
        let Some(grant) = self.store.oauth_grant_by_id(grant_id).await? else {
            return Ok(None);
        };
        if grant.user_id != user_id {
            return Ok(None);
        }
        let access = match self.store.oauth_app_owner(grant.app_id).await? {
            None => return Ok(None),
            Some(None) => TokenAccess::Full,
            Some(Some(_)) => TokenAccess::Scopes(
                caller
                    .claims
                    .get("scope")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        Ok(self
            .store
            .studio_account(user_id)
            .await?
            .map(|a| (a, access)))
    }

    /// OIDC userinfo: Gitea's claims, with `groups` as `org` and `org:team`.
    pub async fn studio_userinfo(&self, user: &Account) -> Result<StudioUserInfo, StoreError> {
        let mut groups = Vec::new();
        let teams = self.store.studio_teams_of(user.id).await?;
        for org in self.store.studio_orgs_of(user.id).await? {
            groups.push(org.name.clone());
            for team in &teams {
                if team.org_id == org.id {
                    groups.push(format!("{}:{}", org.name, team.name.to_lowercase()));
                }
            }
        }
        Ok(StudioUserInfo {
            sub: user.id.to_string(),
            name: user.full_name.clone(),
            preferred_username: user.name.clone(),
            email: user.email.clone(),
            picture: self.config.url(&format!("/studio/avatars/{}", user.name)),
            groups,
        })
    }
}

/// Studio's OIDC userinfo: Gitea's claims.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StudioUserInfo {
    pub sub: String,
    pub name: String,
    pub preferred_username: String,
    pub email: String,
    pub picture: String,
    /// The user's organisations (`org`) and teams (`org:team`).
    pub groups: Vec<String>,
}
