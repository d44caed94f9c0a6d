//! The JSON bodies of the client-delegation API (errata §D; tokens-idp-delegation §A.2), the
//! wire names in one place.

use serde::Serialize;

use crate::http::system_users::wire::Links;
use crate::services::agents::ClientEntry;

/// `ClientInfo`: a client organisation.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// The client's party UUID.
    pub client_id: String,
    pub client_organization_number: String,
    pub client_organization_name: String,
    /// tilgang's extension on the delegated list: `false` when the client no longer gives
    /// every package of the agent (its client role was withdrawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<bool>,
}

impl ClientInfo {
    pub fn of(c: &ClientEntry, with_eligibility: bool) -> Self {
        Self {
            client_id: c.party.party_uuid.clone(),
            client_organization_number: c.party.org_no.clone().unwrap_or_default(),
            client_organization_name: c.party.name.clone(),
            eligible: with_eligibility.then_some(c.eligible),
        }
    }
}

/// `ClientInfoPaginated<ClientInfo>`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfoPage {
    pub links: Links,
    pub data: Vec<ClientInfo>,
    pub system_user_information: SystemUserInformation,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserInformation {
    pub system_user_id: String,
    pub system_user_owner_org: String,
}

/// `ClientDelegationResponse`: what was added or removed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientDelegationResponse {
    pub agent: String,
    pub client: String,
}

/// `DelegationResponse` (U12, U13): one client delegation of an agent.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelegationResponse {
    pub agent_system_user_id: String,
    /// tilgang identifies a delegation by its agent and client: this is the client's party
    /// UUID, as is `assignmentId`.
    pub delegation_id: String,
    pub customer_id: String,
    pub assignment_id: String,
    pub customer_name: String,
    pub customer_organization_number: String,
}

impl DelegationResponse {
    pub fn of(agent: &str, c: &ClientEntry) -> Self {
        Self {
            agent_system_user_id: agent.to_owned(),
            delegation_id: c.party.party_uuid.clone(),
            customer_id: c.party.party_uuid.clone(),
            assignment_id: c.party.party_uuid.clone(),
            customer_name: c.party.name.clone(),
            customer_organization_number: c.party.org_no.clone().unwrap_or_default(),
        }
    }
}

/// `ExternalClientDto` (U17): a client with what it gives the facilitator.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExternalClient {
    pub party_uuid: String,
    pub display_name: String,
    pub organization_identifier: String,
    pub access: Vec<ClientAccess>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientAccess {
    pub role: String,
    pub packages: Vec<String>,
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<ClientInfo>()
        .add::<ClientInfoPage>()
        .add::<SystemUserInformation>()
        .add::<ClientDelegationResponse>()
        .add::<DelegationResponse>()
        .add::<ExternalClient>()
        .add::<ClientAccess>();
}
