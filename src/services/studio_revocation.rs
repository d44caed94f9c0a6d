//! Token revocation (RFC 7009) and introspection (RFC 7662) at Studio's provider, the one
//! that issues refresh tokens. Both need the client's credentials; a client learns about, and
//! revokes, only tokens issued to it.

use std::collections::HashMap;

use serde_json::Value;

use super::App;
use super::keys::IssuerName;
use super::studio_oauth::{TokenError, token_error};
use crate::domain::grant::IntrospectionResponse;
use crate::secret;

impl App {
    /// RFC 7009: a refresh token of the client's ends with every refresh token of its grant
    /// (the consent stays); an unknown token, or another client's, is answered the same way
    /// (§2.2: the client learns nothing). Access tokens are signed and expire within the hour:
    /// they are not revoked one by one, and the answer is the same 200 (libraries' log-out calls
    /// treat `unsupported_token_type` as a failure).
    pub async fn studio_revoke(
        &self,
        form: &HashMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Result<(), TokenError> {
        let app = self.studio_client(form, basic.as_ref()).await?;
        let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
            return Err(token_error(400, "invalid_request", "token is missing"));
        };
        let now = self.clock.now();
        if let Some((grant_id, _)) = self
            .store
            .live_refresh_token(&secret::hash(token), now)
            .await?
        {
            let grant = self.store.oauth_grant_by_id(grant_id).await?;
            if grant.is_some_and(|g| g.app_id == app.id) {
                let n = self.store.delete_refresh_tokens_of(grant_id).await?;
                tracing::info!(grant = grant_id, client = %app.client_id, revoked = n, "refresh tokens revoked");
            }
            return Ok(());
        }
        if self
            .verify_issued_by(token, IssuerName::Studio)
            .await
            .is_ok()
        {
            tracing::info!(client = %app.client_id, "an access token was presented for revocation; it expires by itself");
        }
        Ok(())
    }

    /// RFC 7662: whether a token of the client's is active, and what it is for.
    pub async fn studio_introspect(
        &self,
        form: &HashMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Result<IntrospectionResponse, TokenError> {
        let app = self.studio_client(form, basic.as_ref()).await?;
        let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
            return Err(token_error(400, "invalid_request", "token is missing"));
        };
        let inactive = IntrospectionResponse::default();
        let now = self.clock.now();
        if let Some((grant_id, expires_at)) = self
            .store
            .live_refresh_token(&secret::hash(token), now)
            .await?
        {
            let Some(grant) = self
                .store
                .oauth_grant_by_id(grant_id)
                .await?
                .filter(|g| g.app_id == app.id)
            else {
                return Ok(inactive);
            };
            let Some(user) = self
                .store
                .studio_account(grant.user_id)
                .await?
                .filter(|u| u.is_active)
            else {
                return Ok(inactive);
            };
            return Ok(IntrospectionResponse {
                active: true,
                scope: Some(grant.scope),
                client_id: Some(app.client_id),
                username: Some(user.name),
                token_type: Some("refresh_token"),
                exp: Some(expires_at / 1_000_000),
                sub: Some(user.id.to_string()),
                iss: Some(self.studio_issuer()),
                ..inactive
            });
        }
        let Ok(caller) = self.verify_issued_by(token, IssuerName::Studio).await else {
            return Ok(inactive);
        };
        let claim = |name: &str| caller.claims.get(name).cloned().unwrap_or(Value::Null);
        if claim("aud").as_str() != Some(app.client_id.as_str()) {
            return Ok(inactive);
        }
        // The grant must still exist (a revoked consent ends its access tokens too).
        match self.studio_bearer(token).await? {
            Some(user) if user.is_active => Ok(IntrospectionResponse {
                active: true,
                scope: claim("scope").as_str().map(str::to_owned),
                client_id: Some(app.client_id),
                username: Some(user.name),
                token_type: Some("Bearer"),
                exp: claim("exp").as_i64(),
                iat: claim("iat").as_i64(),
                sub: claim("sub").as_str().map(str::to_owned),
                iss: claim("iss").as_str().map(str::to_owned),
            }),
            _ => Ok(inactive),
        }
    }
}
