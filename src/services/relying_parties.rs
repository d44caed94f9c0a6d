//! Relying parties of the embedded ID-porten and Ansattporten registered through the
//! self-service API (`integration_type` `idporten` or `ansattporten`), as Digdir's self-service
//! API registers them: redirect and post-logout URIs, the token-endpoint authentication method,
//! and a secret that is shown once and stored hashed.

use serde::Serialize;
use uuid::Uuid;

use super::App;
use super::maskinporten::{ClientInput, ClientRecord, SelfServiceError};
use crate::domain::OrgNumber;
use crate::secret;
use crate::store::relying_party::NewRelyingParty;

/// The scopes the embedded providers offer (their discovery's `scopes_supported`).
pub const PROVIDER_SCOPES: [&str; 2] = ["openid", "profile"];
const AUTH_METHODS: [&str; 3] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];

/// A client as it is answered once, right after it was made or given a new secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientRecord,
    /// Shown only in this answer; tilgang keeps only its hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

fn invalid(msg: impl Into<String>) -> SelfServiceError {
    SelfServiceError::Invalid(msg.into())
}

/// Whether `integration_type` names an embedded OpenID provider.
pub fn is_relying_party_type(integration_type: &str) -> bool {
    matches!(integration_type, "idporten" | "ansattporten")
}

impl App {
    pub(crate) async fn create_relying_party(
        &self,
        owner: &OrgNumber,
        provider: &str,
        input: ClientInput,
    ) -> Result<CreatedClient, SelfServiceError> {
        let name = input.client_name.as_deref().map(str::trim).unwrap_or("");
        let description = input.description.as_deref().map(str::trim).unwrap_or("");
        if description.chars().count() > 500 || description.chars().any(char::is_control) {
            return Err(invalid("description: at most 500 characters"));
        }
        let redirect_uris = input.redirect_uris.unwrap_or_default();
        let post_logout = input.post_logout_redirect_uris.unwrap_or_default();
        super::idp::check_relying_party(name, &redirect_uris, &post_logout).map_err(|e| {
            invalid(
                e.replace("the name", "client_name")
                    .replace("give 1 to 20 redirect URIs", "give 1 to 20 redirect_uris"),
            )
        })?;
        let method = input
            .token_endpoint_auth_method
            .unwrap_or_else(|| "client_secret_basic".into());
        if !AUTH_METHODS.contains(&method.as_str()) {
            return Err(invalid(format!(
                "token_endpoint_auth_method '{method}' is not offered; use one of {}",
                AUTH_METHODS.join(", ")
            )));
        }
        let grant_types = input
            .grant_types
            .unwrap_or_else(|| vec!["authorization_code".into()]);
        if grant_types != ["authorization_code"] {
            return Err(invalid(
                "grant_types must be [\"authorization_code\"]: the embedded providers issue no refresh tokens",
            ));
        }
        let mut scopes = input
            .scopes
            .unwrap_or_else(|| PROVIDER_SCOPES.map(String::from).to_vec());
        if let Some(bad) = scopes
            .iter()
            .find(|s| !PROVIDER_SCOPES.contains(&s.as_str()))
        {
            return Err(invalid(format!(
                "scope '{bad}' is not offered by {provider}; it offers {}",
                PROVIDER_SCOPES.join(" ")
            )));
        }
        if !scopes.iter().any(|s| s == "openid") {
            return Err(invalid("scopes must include openid"));
        }
        scopes.sort();
        scopes.dedup();
        let client_id = Uuid::new_v4().to_string();
        let client_secret = (method != "private_key_jwt").then(secret::random_token);
        let hash = client_secret.as_deref().map(secret::hash);
        let client = self
            .store
            .insert_relying_party(
                &NewRelyingParty {
                    issuer: provider,
                    client_id: &client_id,
                    owner_org: owner.as_str(),
                    client_name: name,
                    description,
                    secret_hash: hash.as_deref(),
                    redirect_uris: &redirect_uris,
                    post_logout_redirect_uris: &post_logout,
                    token_endpoint_auth_method: &method,
                    scopes: &scopes,
                },
                self.clock.now(),
            )
            .await?;
        Ok(CreatedClient {
            client,
            client_secret,
        })
    }

    /// Gives a relying party a new secret, shown once; the old one stops working at once.
    pub async fn rotate_client_secret(
        &self,
        owner: &OrgNumber,
        client_id: &str,
    ) -> Result<CreatedClient, SelfServiceError> {
        let client = self
            .store
            .relying_party(owner.as_str(), client_id)
            .await?
            .ok_or_else(|| SelfServiceError::NotFound(client_id.to_owned()))?;
        if client.token_endpoint_auth_method == "private_key_jwt" {
            return Err(invalid(
                "this client authenticates with private_key_jwt; register keys at /jwks instead",
            ));
        }
        let new_secret = secret::random_token();
        self.store
            .set_relying_party_credentials(
                owner.as_str(),
                client_id,
                Some(&secret::hash(&new_secret)),
                None,
                self.clock.now(),
            )
            .await?;
        let client = self
            .store
            .relying_party(owner.as_str(), client_id)
            .await?
            .ok_or_else(|| SelfServiceError::NotFound(client_id.to_owned()))?;
        Ok(CreatedClient {
            client,
            client_secret: Some(new_secret),
        })
    }
}
