//! The embedded Maskinporten (local profile): discovery, keys and the token endpoint.

use axum::Router;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::{Form, extract::DefaultBodyLimit};

use super::wire::MaskinportenDiscovery;
use crate::domain::grant::{GrantError, OAuthError};
use crate::http::AppState;
use crate::http::problem::OAuthErrorBody;
use crate::http::problem::Problem;
use crate::services::keys::{IssuerName, JsonWebKeySet};
use crate::services::maskinporten::{GrantFailure, TokenForm};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/maskinporten/.well-known/oauth-authorization-server",
            get(discovery),
        )
        // RFC 8414 §3: the well-known URL with the issuer's path after it.
        .route(
            "/.well-known/oauth-authorization-server/maskinporten",
            get(discovery),
        )
        // The issuer ends in a slash; RFC 8414 clients (Spring's) keep it.
        .route(
            "/.well-known/oauth-authorization-server/maskinporten/",
            get(discovery),
        )
        .route("/maskinporten/jwk", get(jwks))
        .route(
            "/maskinporten/token",
            post(token).layer(DefaultBodyLimit::max(64 * 1024)),
        )
}

async fn discovery(State(state): State<AppState>) -> Json<MaskinportenDiscovery> {
    Json(MaskinportenDiscovery::new(state.app.maskinporten_issuer()))
}

async fn jwks(State(state): State<AppState>) -> Result<Json<JsonWebKeySet>, Problem> {
    Ok(Json(
        state
            .app
            .keys
            .current(IssuerName::Maskinporten)
            .map_err(|e| Problem::internal(&e))?
            .jwks(),
    ))
}

/// An RFC 6749 error response.
pub fn oauth_error(e: &GrantError) -> Response {
    tracing::info!(error = e.error.as_str(), description = %e.description, "token request refused");
    crate::http::problem::token_error(e.error.as_str(), &e.description)
}

async fn token(
    State(state): State<AppState>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => {
            let description = match e {
                FormRejection::InvalidFormContentType(_) => {
                    "send the request as application/x-www-form-urlencoded".to_owned()
                }
                other => format!("the form cannot be read: {}", other.body_text()),
            };
            return oauth_error(&GrantError::new(OAuthError::InvalidRequest, description));
        }
    };
    match state
        .app
        .maskinporten_grant(&form, state.app.system_users.as_ref())
        .await
    {
        Ok(body) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(body),
        )
            .into_response(),
        Err(GrantFailure::Grant(e)) => oauth_error(&e),
        Err(other) if crate::http::problem::is_unavailable(&other) => {
            tracing::warn!(error = %other, "token request refused: the database is overloaded");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                Json(OAuthErrorBody::new(
                    "temporarily_unavailable",
                    "the server is busy; try again in a moment",
                )),
            )
                .into_response()
        }
        Err(other) => {
            tracing::error!(error = %other, "token request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(OAuthErrorBody::new(
                    "server_error",
                    "the token could not be issued; see the server log",
                )),
            )
                .into_response()
        }
    }
}
