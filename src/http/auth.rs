//! Bearer-token authentication for the JSON API: no token or a bad one → 401, a good token
//! without the needed scope → 403, an issuer whose keys cannot be fetched → 503.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::problem::Problem;
use crate::services::tokens::{Caller, TokenError};

/// A caller with a valid platform token (any scope).
pub struct Bearer(pub Caller);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            Problem::unauthorized("send a token in the header 'Authorization: Bearer <token>'")
        })?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be 'Bearer <token>'")
            })?;
        state
            .app
            .verify_bearer(token)
            .await
            .map(Bearer)
            .map_err(|e| match e {
                // An outage of the issuer is not the caller's fault: try again, not re-login.
                TokenError::Keys(_) => Problem::unavailable(format!(
                    "the token cannot be checked now: {e}; try again shortly"
                )),
                e => Problem::unauthorized(format!("the token was refused: {e}")),
            })
    }
}

impl Bearer {
    /// Passes when the token holds at least one of `scopes`.
    pub fn require_any(&self, scopes: &[&str]) -> Result<&Caller, Problem> {
        if scopes.iter().any(|s| self.0.has_scope(s)) {
            Ok(&self.0)
        } else {
            Err(Problem::forbidden(format!(
                "the token needs the scope {}",
                scopes.join(" or ")
            )))
        }
    }
}
