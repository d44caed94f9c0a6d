//! What the system-user API reads for a person or a vendor, with the caller's rights checked
//! here rather than in the handlers (spec authentication-api §2.2, §2.4).

use std::collections::HashMap;

use super::App;
use super::system_users::{
    PAGE_SIZE, SuError, party_mismatch_of, request_not_found_of, system_not_found,
};
use super::tokens::Caller;
use crate::domain::localized::Localized;
use crate::domain::problem_codes as codes;
use crate::domain::request::SystemUserType;
use crate::domain::scopes;
use crate::domain::system::{PackageRef, Right, System};
use crate::store::reference::PartyRecord;
use crate::store::system_user::{RequestRecord, SystemUserRecord};

/// What the portal's page of one organisation shows (read in a fixed number of queries,
/// not one per system user).
pub struct OrganisationOverview {
    pub users: Vec<SystemUserRecord>,
    /// The systems' names by system id and language.
    pub system_names: HashMap<String, HashMap<String, String>>,
    pub pending: Vec<RequestRecord>,
    /// The organisation's change requests that wait for an answer, as (id, system user id).
    pub pending_changes: Vec<(String, String)>,
    /// The names of every resource and package the system users hold.
    pub names: ReferenceNames,
    /// The access managers (pid, name), when the person is a main administrator (who may
    /// appoint them); `None` otherwise.
    pub access_managers: Option<Vec<(String, String)>>,
    /// The vendors' names in the register, by organisation number.
    pub vendor_names: HashMap<String, String>,
}

/// The titles of resources and names of access packages, in every language, for showing
/// rights and packages in words.
#[derive(Default)]
pub struct ReferenceNames {
    /// By resource id.
    pub resources: HashMap<String, Localized>,
    /// By access package urn.
    pub packages: HashMap<String, Localized>,
}

/// What the person may do with a request shown at its `confirmUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Daglig leder, styreleder, innehaver or access manager of the organisation.
    MayApprove,
    /// Has some role in the organisation: may send the request on to its administrators.
    MayEscalate,
    /// Unrelated to the organisation.
    Unrelated,
}

/// A request with everything its approval page shows, read in a fixed number of queries.
pub struct ApprovalView {
    pub request: RequestRecord,
    /// `None` when the system is gone from the register.
    pub system: Option<System>,
    pub vendor_name: String,
    pub customer_name: String,
    pub standing: Standing,
    /// The names of the resources and access packages it asks for.
    pub names: ReferenceNames,
}

/// A system the caller was found to own (or to administer), from
/// [`App::require_vendor_system`]: the only way to page its system users.
pub struct VendorSystem(String);

/// A request as the person answering it sees it (R12).
pub struct RequestForPerson {
    pub request: RequestRecord,
    /// The organisation it concerns, when the register has it.
    pub party: Option<PartyRecord>,
    /// The person has authority to approve; otherwise they may only escalate.
    pub may_approve: bool,
}

impl App {
    /// The organisation number of the party `party` (a party id); AUTH-00000 when the register
    /// has none.
    pub async fn party_org(&self, party: &str) -> Result<String, SuError> {
        let unknown = || SuError::Problem(codes::REPORTEE_ORGNO_NOT_FOUND.into());
        let party_id: i64 = party.parse().map_err(|_| unknown())?;
        self.store
            .organization_by_party_id(party_id)
            .await?
            .and_then(|o| o.org_no)
            .ok_or_else(unknown)
    }

    /// Passes when `pid` has authority for `org` (daglig leder, styreleder, innehaver or an
    /// appointed access manager).
    pub async fn require_authority(&self, pid: &str, org: &str) -> Result<(), SuError> {
        if self.has_authority(pid, org).await? {
            Ok(())
        } else {
            Err(SuError::NoAuthority)
        }
    }

    /// R10, R11: the live request `id` of type `kind` of `org`, for a person with authority
    /// for it.
    pub async fn party_request(
        &self,
        pid: &str,
        org: &str,
        id: &str,
        kind: SystemUserType,
    ) -> Result<RequestRecord, SuError> {
        let r = self
            .store
            .request(id, Some(kind))
            .await?
            .filter(|r| !r.is_deleted && r.party_org_no == org)
            .ok_or_else(|| request_not_found_of(kind))?;
        self.require_authority(pid, org).await?;
        Ok(r)
    }

    /// Before R14–R17: the request exists and concerns `org` (AUTH-00041 / AUTH-00042
    /// otherwise).
    pub async fn check_request_of(
        &self,
        org: &str,
        id: &str,
        kind: SystemUserType,
    ) -> Result<(), SuError> {
        let r = self
            .store
            .request(id, Some(kind))
            .await?
            .filter(|r| !r.is_deleted)
            .ok_or_else(|| request_not_found_of(kind))?;
        if r.party_org_no != org {
            return Err(party_mismatch_of(kind));
        }
        Ok(())
    }

    /// R12, R13: the request `id` of type `kind` for a person who has authority for its
    /// organisation or some role in it (AUTH-00066 otherwise).
    pub async fn request_for_person(
        &self,
        pid: &str,
        id: &str,
        kind: SystemUserType,
    ) -> Result<RequestForPerson, SuError> {
        let request = self
            .store
            .request(id, Some(kind))
            .await?
            .filter(|r| !r.is_deleted)
            .ok_or_else(|| request_not_found_of(kind))?;
        let may_approve = self.has_authority(pid, &request.party_org_no).await?;
        if !may_approve && !self.store.has_any_role(pid, &request.party_org_no).await? {
            let mut p: crate::domain::request::RequestProblem =
                codes::REQUEST_USER_IS_NOT_ACCESS_MANAGER.into();
            p.detail =
                Some("The user is neither an access manager nor related to the party".into());
            return Err(SuError::Problem(p));
        }
        let party = match request.party_org_no.parse() {
            Ok(org) => self.store.organization(&org).await?,
            Err(_) => None,
        };
        Ok(RequestForPerson {
            request,
            party,
            may_approve,
        })
    }

    /// The request `id` of type `kind`, deleted or not (to tell a person what became of it).
    pub async fn request_record(
        &self,
        id: &str,
        kind: SystemUserType,
    ) -> Result<Option<RequestRecord>, SuError> {
        Ok(self.store.request(id, Some(kind)).await?)
    }

    /// The live request `id` of type `kind` (deleted ones are gone), if there is one.
    pub async fn live_request(
        &self,
        id: &str,
        kind: SystemUserType,
    ) -> Result<Option<RequestRecord>, SuError> {
        Ok(self
            .store
            .request(id, Some(kind))
            .await?
            .filter(|r| !r.is_deleted))
    }

    /// The approval page of `request` for the person `pid`.
    pub async fn approval_view(
        &self,
        pid: &str,
        request: RequestRecord,
    ) -> Result<ApprovalView, SuError> {
        let system = self.store.system(&request.system_id).await?;
        let name_of = |org: Option<PartyRecord>| org.map(|o| o.name).unwrap_or_default();
        let customer_name = match request.party_org_no.parse() {
            Ok(org) => name_of(self.store.organization(&org).await?),
            Err(_) => String::new(),
        };
        let vendor_name = match system.as_ref().map(|s| s.vendor_org.parse()) {
            Some(Ok(org)) => name_of(self.store.organization(&org).await?),
            _ => String::new(),
        };
        let standing = if self.has_authority(pid, &request.party_org_no).await? {
            Standing::MayApprove
        } else if self.store.has_any_role(pid, &request.party_org_no).await? {
            Standing::MayEscalate
        } else {
            Standing::Unrelated
        };
        let names = self
            .reference_names(&request.rights, &request.access_packages)
            .await?;
        Ok(ApprovalView {
            request,
            system,
            vendor_name,
            customer_name,
            standing,
            names,
        })
    }

    /// The names of the resources in `rights` and of `packages` (two queries, whatever their
    /// number).
    pub async fn reference_names(
        &self,
        rights: &[Right],
        packages: &[PackageRef],
    ) -> Result<ReferenceNames, SuError> {
        let resource_ids: Vec<&str> = rights
            .iter()
            .flat_map(|r| &r.resource)
            .map(|p| p.value.as_str())
            .collect();
        let resources = self
            .store
            .resources_by_ids(&resource_ids)
            .await?
            .into_iter()
            .map(|r| (r.identifier.as_str().to_owned(), r.title))
            .collect();
        let urns: Vec<&str> = packages.iter().map(|p| p.urn.as_str()).collect();
        let packages = self
            .store
            .access_packages_by_urns(&urns)
            .await?
            .into_iter()
            .map(|p| (p.urn.as_str().to_owned(), p.name))
            .collect();
        Ok(ReferenceNames {
            resources,
            packages,
        })
    }

    /// The organisations the person `pid` may act for in the portal.
    pub async fn organizations_represented(&self, pid: &str) -> Result<Vec<PartyRecord>, SuError> {
        Ok(self.store.organizations_represented(pid).await?)
    }

    /// The systems a customer may create a system user for itself (visible, live).
    pub async fn systems_to_choose(&self) -> Result<Vec<System>, SuError> {
        Ok(self.store.visible_systems().await?)
    }

    /// The portal's page of `org` for the person `pid` (who has chosen it among the
    /// organisations they represent).
    pub async fn organisation_overview(
        &self,
        pid: &str,
        org: &str,
    ) -> Result<OrganisationOverview, SuError> {
        let users = self.store.system_users_of(org, None).await?;
        let ids: Vec<&str> = users.iter().map(|u| u.system_id.as_str()).collect();
        let system_names = self.store.system_names(&ids).await?;
        let rights: Vec<Right> = users.iter().flat_map(|u| u.rights.clone()).collect();
        let packages: Vec<PackageRef> = users
            .iter()
            .flat_map(|u| u.access_packages.clone())
            .collect();
        let names = self.reference_names(&rights, &packages).await?;
        // A page that only reads: time-outs are applied when they can be (another process
        // may hold SQLite's write lock), and the page shows what is stored either way.
        if let Err(e) = self.time_out_requests().await {
            tracing::warn!(error = %e, "cannot time out requests now; the page shows them as stored");
        }
        let pending = self.store.pending_requests(org, None).await?;
        let pending_changes = self.pending_change_requests(org).await?;
        let access_managers = if self.store.is_main_administrator(pid, org).await? {
            Some(self.store.access_managers(org).await?)
        } else {
            None
        };
        let mut vendor_names = HashMap::new();
        for u in &users {
            if vendor_names.contains_key(&u.vendor_org) {
                continue;
            }
            if let Ok(org) = u.vendor_org.parse::<crate::domain::OrgNumber>()
                && let Some(party) = self.store.organization(&org).await?
            {
                vendor_names.insert(u.vendor_org.clone(), party.name);
            }
        }
        Ok(OrganisationOverview {
            vendor_names,
            users,
            system_names,
            pending,
            pending_changes,
            names,
            access_managers,
        })
    }

    /// U1, U2: the organisation's live system users of type `kind`.
    pub async fn party_system_users(
        &self,
        org: &str,
        kind: SystemUserType,
    ) -> Result<Vec<SystemUserRecord>, SuError> {
        Ok(self.store.system_users_of(org, Some(kind)).await?)
    }

    /// U3, U4: the organisation's live system user `id` (AUTH-00015 otherwise).
    pub async fn party_system_user(
        &self,
        org: &str,
        id: &str,
    ) -> Result<SystemUserRecord, SuError> {
        self.store
            .system_user(id)
            .await?
            .filter(|u| !u.is_deleted && u.party_org_no == org)
            .ok_or_else(|| SuError::Problem(codes::SYSTEM_USER_NOT_FOUND.into()))
    }

    /// R20, R21: the organisation's requests of type `kind` waiting for an answer (after
    /// timing out old ones). Agent requests are listed whether escalated or not (Altinn lists
    /// only escalated ones: quirk Q7, not copied).
    pub async fn pending_requests_of(
        &self,
        org: &str,
        kind: SystemUserType,
    ) -> Result<Vec<RequestRecord>, SuError> {
        self.time_out_requests().await?;
        Ok(self.store.pending_requests(org, Some(kind)).await?)
    }

    /// U8: a page of the system users of `system_id` from sequence number `from`, for the
    /// system's vendor (or a register administrator); one more than a page tells that a next
    /// page exists.
    pub async fn vendor_system_users_page(
        &self,
        system: &VendorSystem,
        from: i64,
    ) -> Result<Vec<SystemUserRecord>, SuError> {
        Ok(self
            .store
            .system_users_of_system(&system.0, from, PAGE_SIZE + 1)
            .await?)
    }

    /// The system `system_id` exists and is the caller's (or the caller administers the
    /// register); AUTH-00011 otherwise.
    pub async fn require_vendor_system(
        &self,
        caller: &Caller,
        system_id: &str,
    ) -> Result<VendorSystem, SuError> {
        let owner = caller.consumer_org().map(|o| o.to_string());
        let system = self
            .store
            .system(system_id)
            .await?
            .ok_or_else(system_not_found)?;
        if Some(&system.vendor_org) != owner.as_ref()
            && !caller.has_scope(scopes::SYSTEMREGISTER_ADMIN)
        {
            return Err(system_not_found());
        }
        Ok(VendorSystem(system.system_id))
    }

    /// U10: up to `limit` changes to system users after sequence number `after`, and the
    /// highest sequence number.
    pub async fn system_user_changes(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<SystemUserRecord>, i64), SuError> {
        Ok(self.store.system_user_stream(after, limit).await?)
    }

    /// U9: the system user Maskinporten asks for: of the vendor's client `client_id`, owned by
    /// `owner`, with `external_ref` (the owner's number when none); AUTH-00015 otherwise.
    pub async fn system_user_for_maskinporten(
        &self,
        client_id: &str,
        vendor: &str,
        owner: &str,
        external_ref: Option<&str>,
    ) -> Result<SystemUserRecord, SuError> {
        let ext = crate::domain::request::effective_external_ref(external_ref, owner);
        self.store
            .system_user_for_client(client_id, vendor, owner, &ext)
            .await?
            .ok_or_else(|| SuError::Problem(codes::SYSTEM_USER_NOT_FOUND.into()))
    }

    /// U11: the live system user `id`, if there is one.
    pub async fn live_system_user(&self, id: &str) -> Result<Option<SystemUserRecord>, SuError> {
        Ok(self.store.system_user(id).await?.filter(|u| !u.is_deleted))
    }
}
