//! The JSON bodies of the system-user API (spec authentication-api §1.2–§1.3), the wire names
//! in one place.

use serde::Serialize;

use crate::clock::format_micros;
use crate::domain::request::{RequestStatus, SystemUserType};
use crate::domain::system::{PackageRef, Right};
use crate::services::App;
use crate::services::reference::PartyRecord;
use crate::services::system_users::changes::ChangeRequestRecord;
use crate::services::system_users::{RequestRecord, SystemUserRecord};

/// `RequestSystemResponse` (and `AgentRequestSystemResponse`, which has no `rights`): a
/// request as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestResponse {
    pub id: String,
    pub integration_title: String,
    pub external_ref: String,
    pub system_id: String,
    pub party_org_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rights: Option<Vec<Right>>,
    pub access_packages: Vec<PackageRef>,
    pub status: &'static str,
    pub escalated: bool,
    pub created: String,
    pub timed_out: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// For the vendor only: where the customer answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm_url: Option<String>,
}

impl RequestResponse {
    /// `r` as the API shows it now (a request past its time-out reads `Timedout`); with the
    /// confirm URL for the vendor's answers.
    pub fn of(app: &App, r: &RequestRecord, with_confirm_url: bool) -> Self {
        let status = app.request_status(r);
        Self {
            id: r.id.clone(),
            integration_title: r.integration_title.clone(),
            external_ref: r.external_ref.clone(),
            system_id: r.system_id.clone(),
            party_org_no: r.party_org_no.clone(),
            rights: (r.user_type == SystemUserType::Standard).then(|| r.rights.clone()),
            access_packages: r.access_packages.clone(),
            status: status.as_str(),
            escalated: r.escalated,
            created: format_micros(r.created_at),
            timed_out: status == RequestStatus::Timedout,
            redirect_url: r.redirect_url.clone(),
            confirm_url: with_confirm_url.then(|| app.confirm_url(r)),
        }
    }
}

/// `RequestSystemResponseInternal` (R12): the request with its party and whether the person
/// may only escalate.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestForPersonResponse {
    #[serde(flatten)]
    pub request: RequestResponse,
    pub party_id: Option<i64>,
    pub party_uuid: Option<String>,
    pub user_may_escalate_but_not_approve: bool,
    /// `"Agent"` for agent requests (R13); left out for standard ones, as in Altinn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_user_type: Option<&'static str>,
}

/// `SystemUser` as the vendor and Maskinporten see it (U7–U9).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserResponse {
    pub id: String,
    pub integration_title: String,
    pub system_id: String,
    pub product_name: String,
    pub reportee_org_no: String,
    pub created: String,
    pub is_deleted: bool,
    pub supplier_name: String,
    pub supplier_orgno: String,
    pub external_ref: String,
    pub user_type: String,
}

impl SystemUserResponse {
    /// `u`, with `product_name` (Maskinporten's lookup puts the system id there).
    pub fn of(u: &SystemUserRecord, product_name: &str) -> Self {
        Self {
            id: u.id.clone(),
            integration_title: u.integration_title.clone(),
            system_id: u.system_id.clone(),
            product_name: product_name.to_owned(),
            reportee_org_no: u.party_org_no.clone(),
            created: format_micros(u.created_at),
            is_deleted: u.is_deleted,
            supplier_name: String::new(),
            supplier_orgno: u.vendor_org.clone(),
            external_ref: u.external_ref.clone(),
            user_type: u.user_type.as_str().to_owned(),
        }
    }
}

/// `SystemUserInternalDTO` (U1, U3, U6): what the customer sees of its system user.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserInternalResponse {
    #[serde(flatten)]
    pub user: SystemUserResponse,
    pub party_id: String,
    pub system_internal_id: String,
    pub access_packages: Vec<PackageRef>,
    pub rights: Vec<Right>,
}

impl SystemUserInternalResponse {
    pub fn of(u: &SystemUserRecord) -> Self {
        Self {
            user: SystemUserResponse::of(u, ""),
            party_id: u.party_id.to_string(),
            system_internal_id: u.system_internal_id.clone(),
            access_packages: u.access_packages.clone(),
            rights: u.rights.clone(),
        }
    }
}

/// `SystemUserRegisterDTO` (U10, U11): a system user in the change stream.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserRegisterResponse {
    pub id: String,
    pub party_org_no: String,
    pub party_id: String,
    pub integration_title: String,
    pub is_deleted: bool,
    pub last_changed: String,
    pub created: String,
    pub sequence_no: i64,
    pub system_user_type: String,
}

impl SystemUserRegisterResponse {
    pub fn of(u: &SystemUserRecord) -> Self {
        Self {
            id: u.id.clone(),
            party_org_no: u.party_org_no.clone(),
            party_id: u.party_id.to_string(),
            integration_title: u.integration_title.clone(),
            is_deleted: u.is_deleted,
            last_changed: format_micros(u.updated_at),
            created: format_micros(u.created_at),
            sequence_no: u.seq,
            system_user_type: u.user_type.as_str().to_owned(),
        }
    }
}

/// A page of a list (R7, U8): `{"links": {"next": …}, "data": […]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Paged<T: Serialize> {
    pub links: Links,
    pub data: Vec<T>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Links {
    /// Left out on the last page, as Altinn's serializer leaves nulls out (errata §A).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// U10's page: the changes, where they start and end, and the newest sequence number.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StreamPage {
    pub links: Links,
    pub stats: StreamStats,
    pub data: Vec<SystemUserRegisterResponse>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamStats {
    pub page_start: i64,
    pub page_end: i64,
    pub sequence_max: i64,
}

/// U17's answer: what a system user holds.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserRights<'a> {
    pub system_user_id: &'a str,
    pub rights: &'a [Right],
    pub access_packages: &'a [PackageRef],
}

/// `ChangeRequestResponse` (C1–C6): a change request as the vendor and the customer see it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequestResponse {
    pub id: String,
    pub external_ref: String,
    pub system_id: String,
    pub system_user_id: String,
    pub party_org_no: String,
    pub required_rights: Vec<Right>,
    pub unwanted_rights: Vec<Right>,
    pub required_access_packages: Vec<PackageRef>,
    pub unwanted_access_packages: Vec<PackageRef>,
    /// `New`, `Accepted`, `Rejected`, `Timedout`, or `NoChangeNeeded` (C1 only, not stored).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// On the vendor's answers (C1–C3); empty for `NoChangeNeeded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm_url: Option<String>,
    pub created: String,
    pub timed_out: bool,
}

impl ChangeRequestResponse {
    pub fn of(app: &App, c: &ChangeRequestRecord, with_confirm_url: bool) -> Self {
        let status = app.change_request_status(c);
        ChangeRequestResponse {
            id: c.id.clone(),
            external_ref: c.external_ref.clone(),
            system_id: c.system_id.clone(),
            system_user_id: c.system_user_id.clone(),
            party_org_no: c.party_org_no.clone(),
            required_rights: c.required_rights.clone(),
            unwanted_rights: c.unwanted_rights.clone(),
            required_access_packages: c.required_access_packages.clone(),
            unwanted_access_packages: c.unwanted_access_packages.clone(),
            status: status.as_str(),
            redirect_url: c.redirect_url.clone(),
            confirm_url: with_confirm_url.then(|| app.change_confirm_url(c)),
            created: format_micros(c.created_at),
            timed_out: status == RequestStatus::Timedout,
        }
    }

    /// C1's answer when all four lists are empty: nothing was stored (errata §E.15). Altinn
    /// writes the default date as `created`.
    pub fn no_change_needed(c: &ChangeRequestRecord) -> Self {
        ChangeRequestResponse {
            id: c.id.clone(),
            external_ref: c.external_ref.clone(),
            system_id: c.system_id.clone(),
            system_user_id: c.system_user_id.clone(),
            party_org_no: c.party_org_no.clone(),
            required_rights: Vec::new(),
            unwanted_rights: Vec::new(),
            required_access_packages: Vec::new(),
            unwanted_access_packages: Vec::new(),
            status: "NoChangeNeeded",
            redirect_url: c.redirect_url.clone(),
            confirm_url: Some(String::new()),
            created: "0001-01-01T00:00:00".to_owned(),
            timed_out: false,
        }
    }
}

/// `ChangeRequestResponseInternal` (C7): the change request with its party, for the person
/// who answers it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequestForPersonResponse {
    pub id: String,
    pub external_ref: String,
    pub system_id: String,
    pub system_user_id: String,
    pub party_org_no: String,
    pub party_id: Option<i64>,
    pub party_uuid: Option<String>,
    pub required_rights: Vec<Right>,
    pub unwanted_rights: Vec<Right>,
    pub required_access_packages: Vec<PackageRef>,
    pub unwanted_access_packages: Vec<PackageRef>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

impl ChangeRequestForPersonResponse {
    pub fn of(app: &App, c: &ChangeRequestRecord, party: Option<&PartyRecord>) -> Self {
        ChangeRequestForPersonResponse {
            id: c.id.clone(),
            external_ref: c.external_ref.clone(),
            system_id: c.system_id.clone(),
            system_user_id: c.system_user_id.clone(),
            party_org_no: c.party_org_no.clone(),
            party_id: party.map(|p| p.party_id),
            party_uuid: party.map(|p| p.party_uuid.clone()),
            required_rights: c.required_rights.clone(),
            unwanted_rights: c.unwanted_rights.clone(),
            required_access_packages: c.required_access_packages.clone(),
            unwanted_access_packages: c.unwanted_access_packages.clone(),
            status: app.change_request_status(c).as_str(),
            redirect_url: c.redirect_url.clone(),
        }
    }
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<RequestResponse>()
        .add::<RequestForPersonResponse>()
        .add::<SystemUserResponse>()
        .add::<SystemUserInternalResponse>()
        .add_as::<Paged<RequestResponse>>("PagedRequests")
        .add_as::<Paged<SystemUserResponse>>("PagedSystemUsers")
        .add::<StreamPage>()
        .add::<SystemUserRights>()
        .add::<ChangeRequestResponse>()
        .add::<ChangeRequestForPersonResponse>()
        .add_as::<Paged<ChangeRequestResponse>>("PagedChangeRequests");
}
