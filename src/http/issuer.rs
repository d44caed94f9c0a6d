//! Discovery and keys of tilgang's own platform-token issuer.

use axum::Router;
use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use crate::services::keys::IssuerName;

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
}

async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let issuer = state.app.platform_issuer();
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}.well-known/openid-configuration/jwks"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "response_types_supported": ["token"],
    }))
}

async fn jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.app.keys.current(IssuerName::Platform).jwks())
}
