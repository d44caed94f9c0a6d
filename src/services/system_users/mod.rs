//! System users end to end (spec authentication-api §2.2, §2.4, §3.3, §3.4, §4): vendors ask
//! for a system user, the customer's representative approves or rejects, requests time out,
//! vendors verify, and Maskinporten finds the system user for a token. The vendor's side is
//! here; the customer's answers and its own system users are in `answers.rs`.

use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::App;
use super::maskinporten::{LookupFuture, SystemUserLookup, SystemUserMatch, SystemUserQuery};
use super::tokens::Caller;
use crate::domain::OrgNumber;
use crate::domain::problem_codes::{self as codes, ProblemCode};
use crate::domain::request::{
    self, RequestProblem, RequestStatus, SystemUserType, effective_external_ref, effective_status,
    live_key,
};
use crate::domain::system::System;
use crate::domain::system::{PackageRef, Right};
use crate::store::audit::{self, AuditEntry};
use crate::store::system_user::{self as db};
pub use crate::store::system_user::{RequestRecord, SystemUserRecord};
use crate::store::{Store, StoreError};

mod answers;
pub mod changes;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum SuError {
    #[error("{}", .0.title)]
    Problem(RequestProblem),
    /// The person is not the daglig leder, styreleder or innehaver, nor an access manager.
    #[error("you have no authority for this organisation")]
    NoAuthority,
    /// Input that is malformed in a way Altinn has no code for (a plain 400).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn p(code: ProblemCode) -> SuError {
    SuError::Problem(code.into())
}

/// [`p`] with a detail that says more than the code's title.
pub(crate) fn p_detail(code: ProblemCode, detail: &str) -> SuError {
    SuError::Problem(RequestProblem {
        detail: Some(detail.to_owned()),
        ..code.into()
    })
}

pub fn request_not_found() -> SuError {
    p(codes::REQUEST_NOT_FOUND)
}

/// Not found, in the words of the request type's endpoints (AUTH-00010 / AUTH-00030).
pub fn request_not_found_of(kind: SystemUserType) -> SuError {
    match kind {
        SystemUserType::Standard => p(codes::REQUEST_NOT_FOUND),
        SystemUserType::Agent => p(codes::AGENT_REQUEST_NOT_FOUND),
    }
}

/// The request is another organisation's (AUTH-00041 / AUTH-00042).
pub fn party_mismatch_of(kind: SystemUserType) -> SuError {
    match kind {
        SystemUserType::Standard => p(codes::PARTY_ID_REQUEST_MISMATCH),
        SystemUserType::Agent => p(codes::PARTY_ID_AGENT_REQUEST_MISMATCH),
    }
}

/// What a person did with a request, for the audit log.
#[derive(Clone, Copy)]
enum Answer {
    Approve,
    Reject,
    Escalate,
}

/// The audit action for `answer` on a request of type `kind`.
fn action_of(kind: SystemUserType, answer: Answer) -> &'static str {
    match (kind, answer) {
        (SystemUserType::Standard, Answer::Approve) => "systemuser.request.approve",
        (SystemUserType::Standard, Answer::Reject) => "systemuser.request.reject",
        (SystemUserType::Standard, Answer::Escalate) => "systemuser.request.escalate",
        (SystemUserType::Agent, Answer::Approve) => "systemuser.agentrequest.approve",
        (SystemUserType::Agent, Answer::Reject) => "systemuser.agentrequest.reject",
        (SystemUserType::Agent, Answer::Escalate) => "systemuser.agentrequest.escalate",
    }
}

/// Whether a package is assignable to a standard system user, by the catalogue.
pub(crate) fn assignable(
    catalogue: &[crate::domain::reference::AccessPackage],
) -> impl Fn(&str) -> Option<bool> + '_ {
    |urn| {
        catalogue
            .iter()
            .find(|p| p.urn.as_str() == urn)
            .map(|p| p.is_assignable)
    }
}

pub fn system_not_found() -> SuError {
    p(codes::SYSTEM_ID_NOT_FOUND)
}

/// What both kinds of request ask for besides rights and packages.
pub struct Asked {
    pub system_id: String,
    pub party_org_no: String,
    pub external_ref: Option<String>,
    pub integration_title: Option<String>,
    pub redirect_url: Option<String>,
    pub kind: SystemUserType,
}

/// The body of `POST systemuser/request/vendor`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    pub system_id: String,
    pub party_org_no: String,
    #[serde(default)]
    pub external_ref: Option<String>,
    #[serde(default)]
    pub integration_title: Option<String>,
    #[serde(default)]
    pub rights: Option<Vec<Right>>,
    #[serde(default)]
    pub access_packages: Option<Vec<PackageRef>>,
    #[serde(default)]
    pub redirect_url: Option<String>,
}

impl App {
    fn timeout_micros(&self) -> i64 {
        i64::try_from(self.config.request_timeout.as_micros()).unwrap_or(i64::MAX)
    }

    /// The request's status as of now (a `New` request past the timeout has timed out).
    pub fn request_status(&self, r: &RequestRecord) -> RequestStatus {
        effective_status(
            r.status,
            r.created_at,
            self.clock.now(),
            self.timeout_micros(),
        )
    }

    /// The page where the customer answers a request (§5: `request` or `agentrequest`).
    pub fn confirm_url(&self, r: &RequestRecord) -> String {
        let page = match r.user_type {
            SystemUserType::Standard => "request",
            SystemUserType::Agent => "agentrequest",
        };
        self.config.url(&format!(
            "/accessmanagement/ui/systemuser/{page}?id={}&DONTCHOOSEREPORTEE=true",
            r.id
        ))
    }

    /// Times out old requests (the job; also run before a create, so a new request with the
    /// key of a timed-out one gets 201).
    pub async fn time_out_requests(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        self.store
            .time_out_requests(now.saturating_sub(self.timeout_micros()), now)
            .await
    }

    /// R1: creates a request, or returns the live one with the same key (`false`).
    pub async fn create_request(
        &self,
        caller: &Caller,
        input: CreateRequest,
    ) -> Result<(RequestRecord, bool), SuError> {
        let CreateRequest {
            system_id,
            party_org_no,
            external_ref,
            integration_title,
            rights,
            access_packages,
            redirect_url,
        } = input;
        let asked = Asked {
            system_id,
            party_org_no,
            external_ref,
            integration_title,
            redirect_url,
            kind: SystemUserType::Standard,
        };
        let (rights_in, packages_in) = (rights.clone(), access_packages.clone());
        self.create_request_of(caller, asked, move |system, catalogue| {
            request::check_requested(
                rights_in.as_deref(),
                packages_in.as_deref(),
                system,
                assignable(catalogue),
            )?;
            Ok((
                rights.unwrap_or_default(),
                access_packages.unwrap_or_default(),
            ))
        })
        .await
    }

    /// R1 and R2: the steps of §3.3 that both kinds of request share; `check` decides what
    /// the request may ask for (step 6 or 7) and gives the rights and packages to store.
    pub(crate) async fn create_request_of(
        &self,
        caller: &Caller,
        input: Asked,
        check: impl FnOnce(
            &System,
            &[crate::domain::reference::AccessPackage],
        ) -> Result<(Vec<Right>, Vec<PackageRef>), RequestProblem>,
    ) -> Result<(RequestRecord, bool), SuError> {
        let vendor = caller
            .consumer_org()
            .ok_or_else(|| p(codes::VENDOR_ORGNO_NOT_FOUND))?;
        let system_id = input.system_id.trim().to_owned();
        let party_org_no = input.party_org_no.trim().to_owned();
        let external_ref = effective_external_ref(input.external_ref.as_deref(), &party_org_no);
        if external_ref.len() > 255 {
            return Err(p(codes::EXTERNAL_REF_TOO_LONG));
        }
        let key = live_key(&system_id, &party_org_no, &external_ref);
        if self.store.live_system_user(key).await?.is_some() {
            return Err(p(codes::SYSTEM_USER_ALREADY_EXISTS));
        }
        self.time_out_requests().await?;
        let system = self
            .store
            .system(&system_id)
            .await?
            .filter(|s| !s.is_deleted)
            .ok_or_else(system_not_found)?;
        if system.vendor_org != vendor.as_str() {
            return Err(system_not_found());
        }
        if let Some(existing) = self.store.live_request(key).await? {
            return self.same_key(existing, input.kind);
        }
        let org: OrgNumber = party_org_no
            .parse()
            .map_err(|_| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        if self.store.organization(&org).await?.is_none() {
            return Err(p(codes::REPORTEE_ORGNO_NOT_FOUND));
        }
        let redirect_url = input
            .redirect_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        if let Some(url) = &redirect_url {
            request::check_redirect(url, &system.allowed_redirect_urls)
                .map_err(SuError::Problem)?;
        }
        let catalogue = self.store.access_packages().await?;
        let (rights, access_packages) = check(&system, &catalogue).map_err(SuError::Problem)?;
        let title = input
            .integration_title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or_else(|| system.name.get("nb").cloned())
            .unwrap_or_default();
        let now = self.clock.now();
        let record = RequestRecord {
            id: Uuid::new_v4().to_string(),
            system_id: system_id.clone(),
            party_org_no: party_org_no.clone(),
            external_ref: external_ref.clone(),
            integration_title: title.chars().take(255).collect(),
            rights,
            access_packages,
            status: RequestStatus::New,
            redirect_url,
            escalated: false,
            user_type: input.kind,
            created_at: now,
            is_deleted: false,
        };
        let mut tx = self.store.begin().await?;
        match db::insert_request(&mut tx, &record, now).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => {
                // Another call with the same key won: answer with its request.
                drop(tx);
                let existing = self
                    .store
                    .live_request(key)
                    .await?
                    .ok_or_else(request_not_found)?;
                return self.same_key(existing, input.kind);
            }
            Err(e) => return Err(e.into()),
        }
        let action = match input.kind {
            SystemUserType::Standard => "systemuser.request.create",
            SystemUserType::Agent => "systemuser.agentrequest.create",
        };
        audit_in(&mut tx, &caller.audit_name(), action, &record, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((record, true))
    }

    /// The live request `existing` has the key of a new one of type `kind`: the same type
    /// gives the stored request (200); the other type is a conflict (§4: one key space).
    fn same_key(
        &self,
        existing: RequestRecord,
        kind: SystemUserType,
    ) -> Result<(RequestRecord, bool), SuError> {
        if existing.user_type == kind {
            return Ok((existing, false));
        }
        let code = match self.request_status(&existing) {
            RequestStatus::Rejected => codes::EXTERNAL_REQUEST_ID_REJECTED,
            RequestStatus::Accepted => codes::EXTERNAL_REQUEST_ID_ALREADY_ACCEPTED,
            _ => codes::EXTERNAL_REQUEST_ID_PENDING,
        };
        Err(p_detail(
            code,
            &format!(
                "a request for a{} system user with this systemId, partyOrgNo and externalRef exists \
                 ({}); delete it or use another externalRef",
                match existing.user_type {
                    SystemUserType::Standard => " standard",
                    SystemUserType::Agent => "n agent",
                },
                existing.id
            ),
        ))
    }

    /// A request of type `kind` as its vendor sees it: unknown, deleted and timed-out
    /// requests are 404 AUTH-00010; another vendor's request is 404 AUTH-00011.
    pub async fn vendor_request(
        &self,
        caller: &Caller,
        id: &str,
        kind: SystemUserType,
    ) -> Result<RequestRecord, SuError> {
        let r = self
            .store
            .request(id, Some(kind))
            .await?
            .filter(|r| !r.is_deleted)
            .ok_or_else(request_not_found)?;
        self.check_vendor_owns(caller, &r.system_id).await?;
        if self.request_status(&r) == RequestStatus::Timedout {
            return Err(request_not_found());
        }
        Ok(r)
    }

    async fn check_vendor_owns(&self, caller: &Caller, system_id: &str) -> Result<(), SuError> {
        let vendor = caller
            .consumer_org()
            .ok_or_else(|| p(codes::VENDOR_ORGNO_NOT_FOUND))?;
        match self.store.system(system_id).await? {
            Some(s) if s.vendor_org == vendor.as_str() => Ok(()),
            _ => Err(system_not_found()),
        }
    }

    /// R5, R6.
    pub async fn vendor_request_by_ref(
        &self,
        caller: &Caller,
        key: request::LiveKey<'_>,
        kind: SystemUserType,
    ) -> Result<RequestRecord, SuError> {
        self.check_vendor_owns(caller, key.system_id).await?;
        self.time_out_requests().await?;
        self.store
            .live_request(key)
            .await?
            .filter(|r| r.user_type == kind)
            .ok_or_else(request_not_found)
    }

    /// R7, R8: a page of the system's requests of type `kind` after `after`, and the cursor
    /// of the next page.
    pub async fn vendor_requests_of_system(
        &self,
        caller: &Caller,
        system_id: &str,
        kind: SystemUserType,
        after: &str,
    ) -> Result<(Vec<RequestRecord>, Option<String>), SuError> {
        self.check_vendor_owns(caller, system_id).await?;
        let mut page = self
            .store
            .requests_of_system(system_id, kind, after, PAGE_SIZE + 1)
            .await?;
        let next = if page.len() as i64 > PAGE_SIZE {
            page.truncate(PAGE_SIZE as usize);
            page.last().map(|r| r.id.clone())
        } else {
            None
        };
        Ok((page, next))
    }

    /// R9: deletes the vendor's own request (any status, either type).
    pub async fn delete_vendor_request(&self, caller: &Caller, id: &str) -> Result<(), SuError> {
        let r = self
            .store
            .request(id, None)
            .await?
            .filter(|r| !r.is_deleted)
            .ok_or_else(request_not_found)?;
        self.check_vendor_owns(caller, &r.system_id)
            .await
            .map_err(|_| request_not_found())?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !db::delete_request(&mut tx, id, now).await? {
            return Err(request_not_found());
        }
        audit_in(
            &mut tx,
            &caller.audit_name(),
            "systemuser.request.delete",
            &r,
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

async fn audit_in(
    tx: &mut crate::store::Conn,
    actor: &str,
    action: &str,
    r: &RequestRecord,
    now: i64,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        actor,
        action,
        target: &format!("request:{}", r.id),
        details: json!({"systemId": r.system_id, "partyOrgNo": r.party_org_no, "externalRef": r.external_ref}),
        trace_id: None,
    };
    audit::record(tx, &entry, now).await
}

/// Finds system users for the Maskinporten grant in the register.
pub struct RegisterLookup {
    pub store: Store,
}

impl SystemUserLookup for RegisterLookup {
    fn find<'a>(&'a self, q: SystemUserQuery<'a>) -> LookupFuture<'a> {
        Box::pin(async move {
            let ext =
                effective_external_ref(q.detail.external_ref.as_deref(), q.detail.org.as_str());
            let found = self
                .store
                .system_user_for_client(q.client_id, q.vendor_org, q.detail.org.as_str(), &ext)
                .await?;
            Ok(found.map(|u| SystemUserMatch {
                id: u.id,
                system_id: u.system_id,
                party_org_no: u.party_org_no,
                external_ref: u.external_ref,
            }))
        })
    }
}
