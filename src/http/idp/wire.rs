//! The JSON bodies the embedded identity providers answer with: discovery documents and the PAR
//! answer. Token responses (`domain::grant::TokenResponse`), userinfo and key sets
//! (`services::keys::JsonWebKeySet`) are built by the services and passed on as they are; their
//! schemas are listed here.

use serde::Serialize;

use crate::domain::grant::{JWT_BEARER, TokenResponse};
use crate::services::idp::IdpUserInfo;
use crate::services::keys::JsonWebKeySet;

/// The OpenID Connect discovery document of the embedded ID-porten or Ansattporten.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OidcDiscovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub pushed_authorization_request_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub end_session_endpoint: String,
    pub jwks_uri: String,
    pub response_types_supported: &'static [&'static str],
    pub response_modes_supported: &'static [&'static str],
    pub grant_types_supported: &'static [&'static str],
    pub subject_types_supported: &'static [&'static str],
    pub id_token_signing_alg_values_supported: [&'static str; 1],
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
    pub code_challenge_methods_supported: &'static [&'static str],
    pub acr_values_supported: &'static [&'static str],
    pub scopes_supported: &'static [&'static str],
    pub claims_supported: &'static [&'static str],
    pub ui_locales_supported: &'static [&'static str],
    pub authorization_response_iss_parameter_supported: bool,
    pub require_pushed_authorization_requests: bool,
}

impl OidcDiscovery {
    /// The document of the provider at `issuer` (ending in `/`), signing with `alg`.
    pub fn new(issuer: String, alg: &'static str) -> Self {
        OidcDiscovery {
            authorization_endpoint: format!("{issuer}authorize"),
            pushed_authorization_request_endpoint: format!("{issuer}par"),
            token_endpoint: format!("{issuer}token"),
            userinfo_endpoint: format!("{issuer}userinfo"),
            end_session_endpoint: format!("{issuer}endsession"),
            jwks_uri: format!("{issuer}jwks"),
            response_types_supported: &["code"],
            response_modes_supported: &["query"],
            grant_types_supported: &["authorization_code"],
            subject_types_supported: &["pairwise"],
            id_token_signing_alg_values_supported: [alg],
            token_endpoint_auth_methods_supported: &[
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            code_challenge_methods_supported: &["S256"],
            acr_values_supported: &["idporten-loa-substantial", "idporten-loa-high"],
            scopes_supported: &["openid", "profile"],
            claims_supported: &[
                "sub",
                "pid",
                "acr",
                "amr",
                "auth_time",
                "nonce",
                "locale",
                "sid",
            ],
            ui_locales_supported: &["nb", "nn", "en"],
            issuer,
            authorization_response_iss_parameter_supported: true,
            require_pushed_authorization_requests: false,
        }
    }
}

/// The OAuth authorization server metadata (RFC 8414) of the embedded Maskinporten.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MaskinportenDiscovery {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// Required by RFC 8414 §2 (Digdir's Maskinporten lists `token`).
    pub response_types_supported: &'static [&'static str],
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
    pub grant_types_supported: &'static [&'static str],
    pub token_endpoint_auth_signing_alg_values_supported: &'static [&'static str],
    pub authorization_details_types_supported: &'static [&'static str],
}

impl MaskinportenDiscovery {
    /// The document of the Maskinporten at `issuer` (ending in `/`).
    pub fn new(issuer: String) -> Self {
        MaskinportenDiscovery {
            token_endpoint: format!("{issuer}token"),
            jwks_uri: format!("{issuer}jwk"),
            response_types_supported: &["token"],
            token_endpoint_auth_methods_supported: &["private_key_jwt"],
            grant_types_supported: &[JWT_BEARER],
            token_endpoint_auth_signing_alg_values_supported: &["RS256", "RS384", "RS512"],
            authorization_details_types_supported: &["urn:altinn:systemuser"],
            issuer,
        }
    }
}

/// The answer to a pushed authorization request (RFC 9126 §2.2).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ParResponse<'a> {
    pub request_uri: &'a str,
    pub expires_in: i64,
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<OidcDiscovery>()
        .add::<MaskinportenDiscovery>()
        .add::<JsonWebKeySet>()
        .add::<TokenResponse>()
        .add::<crate::domain::grant::IntrospectionResponse>()
        .add::<IdpUserInfo>()
        .add::<crate::services::maskinporten::ClientRecord>()
        .add::<crate::services::maskinporten::CreatedClient>()
        .add::<crate::services::maskinporten::MpDelegation>()
        .add::<crate::services::maskinporten::DelegationLists>()
        .add::<ParResponse>();
}
