//! Change requests (spec authentication-api §2.3 C1–C9, §3.5; errata §E): the vendor asks to
//! add rights and packages to, or remove them from, an approved standard system user; the
//! customer approves (the system user then holds exactly the new set) or rejects. They time
//! out like requests, and outlive the system user (readable, no longer approvable).

use crate::domain::change_request::{Change, Diff};
use crate::domain::request::canonical_uuid;
pub use crate::store::change_request::ChangeRequestRecord;
use crate::store::change_request::{self as cr};

use super::*;

/// The body of C1 (`ChangeRequestSystemUser`): every list may be left out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateChangeRequest {
    pub required_rights: Vec<Right>,
    pub unwanted_rights: Vec<Right>,
    pub required_access_packages: Vec<PackageRef>,
    pub unwanted_access_packages: Vec<PackageRef>,
    pub redirect_url: Option<String>,
}

/// What C1 did.
pub enum Created {
    /// A new change request (201).
    New(ChangeRequestRecord),
    /// The stored one with this correlation id (200, whatever the new body says).
    Stored(ChangeRequestRecord),
    /// All four lists were empty: nothing is stored (200 `NoChangeNeeded`).
    NoChangeNeeded(ChangeRequestRecord),
}

/// A change request with everything its page shows, read in a fixed number of queries.
pub struct ChangeApprovalView {
    pub change: ChangeRequestRecord,
    /// `None` when the system user was deleted (the change can no longer be approved).
    pub system_user: Option<SystemUserRecord>,
    pub system_name: HashMap<String, String>,
    pub vendor_name: String,
    pub customer_name: String,
    pub may_approve: bool,
    /// What approval would add and remove, against what the system user holds now.
    pub diff: Diff,
    pub names: crate::services::system_user_queries::ReferenceNames,
}

use std::collections::HashMap;

fn change_of(c: &ChangeRequestRecord) -> Change<'_> {
    Change {
        required_rights: &c.required_rights,
        unwanted_rights: &c.unwanted_rights,
        required_packages: &c.required_access_packages,
        unwanted_packages: &c.unwanted_access_packages,
    }
}

/// The most change requests of one system user that may wait for an answer at once.
pub const MAX_OPEN_PER_SYSTEM_USER: i64 = 100;

/// The most waiting change requests the organisation's page lists.
pub const PENDING_LISTED: i64 = 100;

fn change_not_found() -> SuError {
    p(codes::REQUEST_NOT_FOUND)
}

fn system_user_gone() -> SuError {
    p(codes::SYSTEM_USER_NOT_FOUND)
}

impl App {
    /// The change request's status as of now (a `New` one past the timeout has timed out).
    pub fn change_request_status(&self, c: &ChangeRequestRecord) -> RequestStatus {
        effective_status(
            c.status,
            c.created_at,
            self.clock.now(),
            self.timeout_micros(),
        )
    }

    /// The page where the customer answers a change request (§5).
    pub fn change_confirm_url(&self, c: &ChangeRequestRecord) -> String {
        self.config.url(&format!(
            "/accessmanagement/ui/systemuser/changerequest?id={}&DONTCHOOSEREPORTEE=true",
            c.id
        ))
    }

    /// Times out old change requests (the job).
    pub async fn time_out_change_requests(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        self.store
            .time_out_change_requests(now.saturating_sub(self.timeout_micros()), now)
            .await
    }

    /// The first [`PENDING_LISTED`] change requests of the organisation that wait for an
    /// answer (not timed out), as (id, system user id), for all its system users in one query.
    pub async fn pending_change_requests(
        &self,
        org: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let not_before = self.clock.now().saturating_sub(self.timeout_micros());
        self.store
            .pending_change_requests(org, not_before, PENDING_LISTED)
            .await
    }

    /// C1, in the order of §2.3 as errata §E corrects it.
    pub async fn create_change_request(
        &self,
        caller: &Caller,
        correlation_id: Option<&str>,
        system_user_id: Option<&str>,
        input: CreateChangeRequest,
    ) -> Result<Created, SuError> {
        let id = correlation_id
            .and_then(|c| Uuid::parse_str(c.trim()).ok())
            .filter(|u| !u.is_nil())
            .map(|u| u.to_string())
            .ok_or_else(|| p(codes::CORRELATION_ID_INVALID))?;
        let vendor = caller
            .consumer_org()
            .ok_or_else(|| p(codes::VENDOR_ORGNO_NOT_FOUND))?;
        let user_id = canonical_uuid(system_user_id.unwrap_or_default());
        let user = self
            .store
            .system_user(&user_id)
            .await?
            .filter(|u| !u.is_deleted)
            .ok_or_else(system_user_gone)?;
        if id == user.id {
            return Err(p(codes::CORRELATION_ID_IS_SYSTEM_USER_ID));
        }
        if user.vendor_org != vendor.as_str() {
            return Err(p_detail(
                codes::SYSTEM_USER_OF_OTHER_VENDOR,
                &format!(
                    "system user {} is of a system that is not your organisation's",
                    user.id
                ),
            ));
        }
        let redirect_url = input
            .redirect_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let record = ChangeRequestRecord {
            id,
            system_user_id: user.id.clone(),
            system_id: user.system_id.clone(),
            party_org_no: user.party_org_no.clone(),
            external_ref: user.external_ref.clone(),
            required_rights: input.required_rights,
            unwanted_rights: input.unwanted_rights,
            required_access_packages: input.required_access_packages,
            unwanted_access_packages: input.unwanted_access_packages,
            status: RequestStatus::New,
            redirect_url,
            created_at: self.clock.now(),
            is_deleted: false,
        };
        if change_of(&record).is_empty() {
            return Ok(Created::NoChangeNeeded(record));
        }
        if let Some(existing) = self.store.change_request(&record.id).await? {
            return self.same_correlation_id(existing, &user);
        }
        if user.user_type == SystemUserType::Agent {
            return Err(p_detail(
                codes::SYSTEM_USER_NOT_FOUND,
                "change requests are for standard system users only; an agent system user's \
                 packages are changed with a new agent request",
            ));
        }
        let system = self
            .store
            .system(&user.system_id)
            .await?
            .filter(|s| !s.is_deleted && s.vendor_org == vendor.as_str())
            .ok_or_else(system_not_found)?;
        if let Some(url) = &record.redirect_url {
            request::check_redirect(url, &system.allowed_redirect_urls)
                .map_err(SuError::Problem)?;
        }
        if let Some(list) = change_of(&record).too_long() {
            return Err(SuError::Invalid(format!(
                "{list} may name at most {} entries",
                crate::domain::change_request::MAX_UNWANTED
            )));
        }
        let catalogue = self.store.access_packages().await?;
        change_of(&record)
            .check(&system, assignable(&catalogue))
            .map_err(SuError::Problem)?;
        let not_before = record.created_at.saturating_sub(self.timeout_micros());
        if self
            .store
            .open_change_requests_of(&user.id, not_before)
            .await?
            >= MAX_OPEN_PER_SYSTEM_USER
        {
            return Err(SuError::Invalid(format!(
                "{MAX_OPEN_PER_SYSTEM_USER} change requests of this system user wait for an \
                 answer already; delete some (or wait until they time out) before asking again"
            )));
        }
        let now = record.created_at;
        let mut tx = self.store.begin().await?;
        match cr::insert_change_request(&mut tx, &record, now).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => {
                // A concurrent call with the same correlation id won: answer with its record.
                drop(tx);
                let existing = self
                    .store
                    .change_request(&record.id)
                    .await?
                    .ok_or_else(change_not_found)?;
                return self.same_correlation_id(existing, &user);
            }
            Err(e) => return Err(e.into()),
        }
        let asked = json!({
            "requiredRights": record.required_rights,
            "unwantedRights": record.unwanted_rights,
            "requiredAccessPackages": record.required_access_packages,
            "unwantedAccessPackages": record.unwanted_access_packages,
        });
        change_audit_in(
            &mut tx,
            &caller.audit_name(),
            "systemuser.changerequest.create",
            &record,
            asked,
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Created::New(record))
    }

    /// The correlation id is taken: the stored change request when it is this system user's
    /// and still readable (a replay, §4); otherwise a conflict that says why.
    fn same_correlation_id(
        &self,
        existing: ChangeRequestRecord,
        user: &SystemUserRecord,
    ) -> Result<Created, SuError> {
        let status = self.change_request_status(&existing);
        if existing.system_user_id == user.id
            && !existing.is_deleted
            && status != RequestStatus::Timedout
        {
            return Ok(Created::Stored(existing));
        }
        if existing.system_user_id != user.id
            && status == RequestStatus::New
            && !existing.is_deleted
        {
            return Err(p_detail(
                codes::EXTERNAL_REQUEST_ID_PENDING,
                "a change request of another system user has this correlation-id",
            ));
        }
        Err(p_detail(
            codes::CHANGE_REQUEST_STATUS_NOT_NEW_USE_CORRELLATION_ID,
            if existing.is_deleted {
                "a deleted change request had this correlation-id"
            } else if status == RequestStatus::Timedout {
                "the change request with this correlation-id timed out"
            } else {
                "a change request of another system user has this correlation-id"
            },
        ))
    }

    /// C2: unknown, deleted and timed-out change requests are 404 AUTH-00010; another
    /// vendor's is 404 AUTH-00011.
    pub async fn vendor_change_request(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ChangeRequestRecord, SuError> {
        let c = self
            .store
            .change_request(&canonical_uuid(id))
            .await?
            .filter(|c| !c.is_deleted)
            .ok_or_else(change_not_found)?;
        self.check_vendor_owns(caller, &c.system_id).await?;
        if self.change_request_status(&c) == RequestStatus::Timedout {
            return Err(change_not_found());
        }
        Ok(c)
    }

    /// C3: the newest live change request for the system user's key.
    pub async fn vendor_change_request_by_ref(
        &self,
        caller: &Caller,
        key: request::LiveKey<'_>,
    ) -> Result<ChangeRequestRecord, SuError> {
        self.check_vendor_owns(caller, key.system_id).await?;
        let not_before = self.clock.now().saturating_sub(self.timeout_micros());
        self.store
            .change_request_by_key(key, not_before)
            .await?
            .ok_or_else(change_not_found)
    }

    /// C4: a page of the system's change requests after `after`, and the next page's cursor.
    pub async fn vendor_change_requests_of_system(
        &self,
        caller: &Caller,
        system_id: &str,
        after: &str,
    ) -> Result<(Vec<ChangeRequestRecord>, Option<String>), SuError> {
        self.check_vendor_owns(caller, system_id).await?;
        let mut page = self
            .store
            .change_requests_of_system(system_id, after, PAGE_SIZE + 1)
            .await?;
        let next = if page.len() as i64 > PAGE_SIZE {
            page.truncate(PAGE_SIZE as usize);
            page.last().map(|c| c.id.clone())
        } else {
            None
        };
        Ok((page, next))
    }

    /// C5: deletes the vendor's own change request (any status).
    pub async fn delete_vendor_change_request(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), SuError> {
        let c = self
            .store
            .change_request(&canonical_uuid(id))
            .await?
            .filter(|c| !c.is_deleted)
            .ok_or_else(change_not_found)?;
        self.check_vendor_owns(caller, &c.system_id)
            .await
            .map_err(|_| change_not_found())?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !cr::delete_change_request(&mut tx, &c.id, now).await? {
            return Err(change_not_found());
        }
        let actor = caller.audit_name();
        change_audit_in(
            &mut tx,
            &actor,
            "systemuser.changerequest.delete",
            &c,
            json!({}),
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// C6, C7 and the page: the change request `id`, not deleted (AUTH-00010), of `org` when
    /// one is given (another organisation's is not found either).
    pub async fn customer_change_request(
        &self,
        org: Option<&str>,
        id: &str,
    ) -> Result<ChangeRequestRecord, SuError> {
        self.store
            .change_request(&canonical_uuid(id))
            .await?
            .filter(|c| !c.is_deleted && org.is_none_or(|o| o == c.party_org_no))
            .ok_or_else(change_not_found)
    }

    /// C7: the change request and its organisation, for a person with authority for it
    /// (403 AUTH-00066 otherwise).
    pub async fn change_request_for_person(
        &self,
        pid: &str,
        id: &str,
    ) -> Result<
        (
            ChangeRequestRecord,
            Option<crate::store::reference::PartyRecord>,
        ),
        SuError,
    > {
        let c = self.customer_change_request(None, id).await?;
        if !self.has_authority(pid, &c.party_org_no).await? {
            return Err(p(codes::REQUEST_USER_IS_NOT_ACCESS_MANAGER));
        }
        let party = match c.party_org_no.parse() {
            Ok(org) => self.store.organization(&org).await?,
            Err(_) => None,
        };
        Ok((c, party))
    }

    /// C8, C9 and the page: approves (the system user then holds exactly the new set, in the
    /// same transaction as the status change) or rejects, for a person with authority for the
    /// change request's organisation. `party_org` is the organisation of the route's `{party}`:
    /// another organisation's change request is refused and nothing changes (errata §E.18).
    pub async fn decide_change_request(
        &self,
        pid: &str,
        party_org: Option<&str>,
        id: &str,
        approve: bool,
    ) -> Result<ChangeRequestRecord, SuError> {
        let c = self.customer_change_request(None, id).await?;
        if party_org.is_some_and(|o| o != c.party_org_no)
            || !self.has_authority(pid, &c.party_org_no).await?
        {
            return Err(p(codes::PARTY_ID_REQUEST_MISMATCH));
        }
        if self.change_request_status(&c) != RequestStatus::New {
            return Err(p(codes::REQUEST_STATUS_NOT_NEW));
        }
        let actor = format!("person:{}", pid.get(..6).unwrap_or(pid));
        let now = self.clock.now();
        let cutoff = now.saturating_sub(self.timeout_micros());
        if !approve {
            let mut tx = self.store.begin().await?;
            if !cr::decide_change_request(
                &mut tx,
                &c.id,
                RequestStatus::Rejected,
                &actor,
                cutoff,
                now,
            )
            .await?
            {
                return Err(p(codes::REQUEST_STATUS_NOT_NEW));
            }
            let action = "systemuser.changerequest.reject";
            change_audit_in(&mut tx, &actor, action, &c, json!({}), now).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(ChangeRequestRecord {
                status: RequestStatus::Rejected,
                ..c
            });
        }
        let system = self
            .store
            .system(&c.system_id)
            .await?
            .filter(|s| !s.is_deleted)
            .ok_or_else(system_not_found)?;
        // The system may have been narrowed since the change was asked for.
        let catalogue = self.store.access_packages().await?;
        change_of(&c)
            .check(&system, assignable(&catalogue))
            .map_err(SuError::Problem)?;
        let mut tx = self.store.begin().await?;
        if !cr::decide_change_request(&mut tx, &c.id, RequestStatus::Accepted, &actor, cutoff, now)
            .await?
        {
            return Err(p(codes::REQUEST_STATUS_NOT_NEW));
        }
        // Read what the system user holds inside the transaction, under the lock every change
        // of a system user takes: a concurrent change or deletion waits, and none is lost.
        let Some((seq, before_rights, before_packages)) =
            db::grants_for_change(&mut tx, &c.system_user_id).await?
        else {
            return Err(system_user_gone());
        };
        let (rights, packages) = change_of(&c).apply(&before_rights, &before_packages);
        if !db::replace_grants(&mut tx, &c.system_user_id, &rights, &packages, seq, now).await? {
            return Err(system_user_gone());
        }
        let details = json!({
            "before": {"rights": before_rights, "accessPackages": before_packages},
            "after": {"rights": rights, "accessPackages": packages},
        });
        let action = "systemuser.changerequest.approve";
        change_audit_in(&mut tx, &actor, action, &c, details.clone(), now).await?;
        // The system user's own trail shows the change too.
        let entry = AuditEntry {
            actor: &actor,
            action: "systemuser.change",
            target: &format!("systemuser:{}", c.system_user_id),
            details: json!({"changeRequest": c.id, "before": details["before"], "after": details["after"]}),
            trace_id: None,
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ChangeRequestRecord {
            status: RequestStatus::Accepted,
            ..c
        })
    }

    /// The page at the change request's `confirmUrl`, for the person `pid`.
    pub async fn change_approval_view(
        &self,
        pid: &str,
        change: ChangeRequestRecord,
    ) -> Result<ChangeApprovalView, SuError> {
        let system_user = self
            .store
            .system_user(&change.system_user_id)
            .await?
            .filter(|u| !u.is_deleted);
        let system = self.store.system(&change.system_id).await?;
        let name_of =
            |o: Option<crate::store::reference::PartyRecord>| o.map(|o| o.name).unwrap_or_default();
        let customer_name = match change.party_org_no.parse() {
            Ok(org) => name_of(self.store.organization(&org).await?),
            Err(_) => String::new(),
        };
        let vendor_name = match system.as_ref().map(|s| s.vendor_org.parse()) {
            Some(Ok(org)) => name_of(self.store.organization(&org).await?),
            _ => String::new(),
        };
        let may_approve = self.has_authority(pid, &change.party_org_no).await?;
        let (held_rights, held_packages) = system_user
            .as_ref()
            .map(|u| (u.rights.clone(), u.access_packages.clone()))
            .unwrap_or_default();
        let diff = change_of(&change).diff(&held_rights, &held_packages);
        let mut rights = held_rights;
        rights.extend(diff.add_rights.iter().cloned());
        let mut packages = held_packages;
        packages.extend(diff.add_packages.iter().cloned());
        let names = self.reference_names(&rights, &packages).await?;
        Ok(ChangeApprovalView {
            system_name: system.map(|s| s.name).unwrap_or_default(),
            change,
            system_user,
            vendor_name,
            customer_name,
            may_approve,
            diff,
            names,
        })
    }
}

async fn change_audit_in(
    tx: &mut crate::store::Conn,
    actor: &str,
    action: &str,
    c: &ChangeRequestRecord,
    mut details: serde_json::Value,
    now: i64,
) -> Result<(), StoreError> {
    details["systemUserId"] = json!(c.system_user_id);
    details["systemId"] = json!(c.system_id);
    details["partyOrgNo"] = json!(c.party_org_no);
    let entry = AuditEntry {
        actor,
        action,
        target: &format!("changerequest:{}", c.id),
        details,
        trace_id: None,
    };
    audit::record(tx, &entry, now).await
}
