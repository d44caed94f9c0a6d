//! Discovery and keys of tilgang's own platform-token issuer.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;

use super::AppState;
use super::auth::Bearer;
use super::problem::Problem;
use crate::services::keys::{IssuerName, JsonWebKeySet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/authentication/api/v1/openid/.well-known/openid-configuration",
            get(discovery),
        )
        .route(
            "/authentication/api/v1/openid/.well-known/openid-configuration/jwks",
            get(jwks),
        )
        .route(
            "/authentication/api/v1/exchange/maskinporten",
            get(exchange_maskinporten),
        )
        .route(
            "/authentication/api/v1/exchange/id-porten",
            get(exchange_idporten),
        )
}

/// A Maskinporten token in, a platform token (text/plain) out (spec tokens-idp-delegation §B.5).
#[derive(serde::Deserialize)]
struct ExchangeQuery {
    #[serde(default)]
    test: Option<String>,
}

async fn exchange_maskinporten(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<ExchangeQuery>,
    bearer: Bearer,
) -> Response {
    if headers.contains_key("x-altinn-enterpriseuser-authentication") {
        return Problem::new(StatusCode::GONE, "Gone")
            .with_detail("enterprise users are no longer supported; use a system user")
            .into_response();
    }
    let caller = bearer.0;
    if caller.issuer != IssuerName::Maskinporten {
        return Problem::unauthorized("send a Maskinporten token to exchange").into_response();
    }
    if caller.consumer_org().is_none() {
        return Problem::unauthorized("the Maskinporten token has no valid consumer claim")
            .into_response();
    }
    let test = q
        .test
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("true"));
    match state.app.exchange_maskinporten(&caller, test).await {
        Ok(token) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response(),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// The platform issuer's metadata: where its keys are and what it signs with.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = PlatformOpenIdConfiguration)]
struct Metadata {
    jwks_uri: String,
    issuer: String,
    id_token_signing_alg_values_supported: [&'static str; 1],
    token_endpoint_auth_signing_alg_values_supported: [&'static str; 1],
    subject_types_supported: [&'static str; 1],
    response_types_supported: [&'static str; 1],
}

async fn discovery(State(state): State<AppState>) -> Json<Metadata> {
    let issuer = state.app.platform_issuer();
    Json(Metadata {
        jwks_uri: format!("{issuer}.well-known/openid-configuration/jwks"),
        issuer,
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_signing_alg_values_supported: ["RS256"],
        subject_types_supported: ["public"],
        response_types_supported: ["token"],
    })
}

async fn jwks(State(state): State<AppState>) -> Result<Json<JsonWebKeySet>, Problem> {
    Ok(Json(
        state
            .app
            .keys
            .current(IssuerName::Platform)
            .map_err(|e| Problem::internal(&e))?
            .jwks(),
    ))
}

/// An ID-porten access token in, a platform token for the person (text/plain) out.
async fn exchange_idporten(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return Problem::unauthorized("send an ID-porten access token as a Bearer token")
            .into_response();
    };
    match state.app.exchange_idporten(token).await {
        Ok(Some(token)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response()
        }
        Ok(None) => Problem::forbidden("the person is not in the register").into_response(),
        Err(e @ crate::services::tokens::TokenError::Keys(_)) => Problem::unavailable(format!(
            "the token cannot be checked now: {e}; try again shortly"
        ))
        .into_response(),
        Err(crate::services::tokens::TokenError::Store(e)) => Problem::internal(&e).into_response(),
        Err(e) => Problem::unauthorized(format!("the token was refused: {e}")).into_response(),
    }
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<Metadata>();
}
