//! The customer's side of system users: who may answer for an organisation, approving,
//! rejecting and escalating requests, creating a system user without a vendor request, and
//! deleting one (spec authentication-api §2.2 R10–R21, §2.4 U4, U6, U16; §3.4).

use super::*;

impl App {
    /// Whether the person may answer for the organisation (DESIGN §7: daglig leder, styreleder
    /// or innehaver, or an access manager one of them appointed).
    pub async fn has_authority(&self, pid: &str, org_no: &str) -> Result<bool, StoreError> {
        self.store.has_authority_role(pid, org_no).await
    }

    /// A main administrator makes (or, with `grant = false`, unmakes) a person access manager
    /// for the organisation.
    pub async fn set_access_manager(
        &self,
        by_pid: &str,
        org_no: &str,
        pid: &str,
        grant: bool,
    ) -> Result<(), SuError> {
        if !self.store.is_main_administrator(by_pid, org_no).await? {
            return Err(p_detail(
                codes::DELETE_SYSTEM_USER_NOT_OWNED,
                "only the daglig leder, styreleder or innehaver may appoint access managers",
            ));
        }
        let pid: crate::domain::Pid = pid.trim().parse().map_err(|_| p(codes::PID_INVALID))?;
        let person = self
            .store
            .person(&pid)
            .await?
            .ok_or_else(|| p(codes::PERSON_NOT_FOUND))?;
        let org: OrgNumber = org_no
            .parse()
            .map_err(|_| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let org_party = self
            .store
            .organization(&org)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if grant {
            crate::store::reference::insert_role(
                &mut tx,
                org_party.party_id,
                "tilgangsstyrer",
                person.party_id,
                now,
            )
            .await?;
        } else {
            crate::store::reference::delete_role(
                &mut tx,
                org_party.party_id,
                "tilgangsstyrer",
                person.party_id,
            )
            .await?;
        }
        let entry = AuditEntry {
            actor: &format!("person:{}", by_pid.get(..6).unwrap_or(by_pid)),
            action: if grant {
                "accessmanager.grant"
            } else {
                "accessmanager.revoke"
            },
            target: &format!("org:{org_no}"),
            details: json!({"person": pid.masked()}),
            trace_id: None,
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Approves (creating the system user, whose id is the request's) or rejects a request
    /// of type `kind`, for a person with authority for its organisation (§3.4). An agent
    /// system user gets the request's packages and no clients yet.
    pub async fn decide_request(
        &self,
        pid: &str,
        id: &str,
        kind: SystemUserType,
        approve: bool,
    ) -> Result<RequestRecord, SuError> {
        let r = self
            .store
            .request(id, Some(kind))
            .await?
            .filter(|r| !r.is_deleted)
            .ok_or_else(|| request_not_found_of(kind))?;
        if !self.has_authority(pid, &r.party_org_no).await? {
            return Err(party_mismatch_of(kind));
        }
        if self.request_status(&r) != RequestStatus::New {
            return Err(p(codes::REQUEST_STATUS_NOT_NEW));
        }
        let now = self.clock.now();
        let cutoff = now.saturating_sub(self.timeout_micros());
        let actor = format!("person:{}", pid.get(..6).unwrap_or(pid));
        if !approve {
            let mut tx = self.store.begin().await?;
            if !db::decide_request(&mut tx, id, RequestStatus::Rejected, &actor, cutoff, now)
                .await?
            {
                return Err(p(codes::REQUEST_STATUS_NOT_NEW));
            }
            audit_in(&mut tx, &actor, action_of(kind, Answer::Reject), &r, now).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(RequestRecord {
                status: RequestStatus::Rejected,
                ..r
            });
        }
        // Everything read through the pool is read before the transaction starts: no path
        // holds one pooled connection while it waits for another.
        let system = self
            .store
            .system(&r.system_id)
            .await?
            .filter(|s| !s.is_deleted)
            .ok_or_else(system_not_found)?;
        let org: OrgNumber = r
            .party_org_no
            .parse()
            .map_err(|_| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let party = self
            .store
            .organization(&org)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let mut tx = self.store.begin().await?;
        if !db::decide_request(&mut tx, id, RequestStatus::Accepted, &actor, cutoff, now).await? {
            return Err(p(codes::REQUEST_STATUS_NOT_NEW));
        }
        let user = SystemUserRecord {
            id: r.id.clone(),
            system_internal_id: system.internal_id.clone(),
            system_id: r.system_id.clone(),
            party_org_no: r.party_org_no.clone(),
            party_id: party.party_id,
            external_ref: r.external_ref.clone(),
            integration_title: r.integration_title.clone(),
            user_type: kind,
            rights: r.rights.clone(),
            access_packages: r.access_packages.clone(),
            created_at: now,
            updated_at: now,
            is_deleted: false,
            seq: 0,
            vendor_org: system.vendor_org.clone(),
        };
        match db::insert_system_user(&mut tx, &user, &actor, now).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(p(codes::SYSTEM_USER_ALREADY_EXISTS));
            }
            Err(e) => return Err(e.into()),
        }
        audit_in(&mut tx, &actor, action_of(kind, Answer::Approve), &r, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(RequestRecord {
            status: RequestStatus::Accepted,
            ..r
        })
    }

    /// R18: someone related to the organisation but without authority sends the request on
    /// to its administrators. `false` when they may not, or the request is not `New`.
    pub async fn escalate_request(&self, pid: &str, id: &str) -> Result<bool, SuError> {
        let Some(r) = self
            .store
            .request(id, None)
            .await?
            .filter(|r| !r.is_deleted)
        else {
            return Ok(false);
        };
        if self.request_status(&r) != RequestStatus::New
            || !self.store.has_any_role(pid, &r.party_org_no).await?
        {
            return Ok(false);
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !db::escalate_request(&mut tx, id, now).await? {
            return Ok(false);
        }
        audit_in(
            &mut tx,
            &format!("person:{}", pid.get(..6).unwrap_or(pid)),
            action_of(r.user_type, Answer::Escalate),
            &r,
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(true)
    }

    /// U6: the organisation creates a system user itself from a visible system (seed method
    /// B); it gets all of the system's rights and access packages.
    pub async fn create_system_user_directly(
        &self,
        pid: &str,
        org_no: &str,
        system_id: &str,
        title: Option<&str>,
    ) -> Result<SystemUserRecord, SuError> {
        if !self.has_authority(pid, org_no).await? {
            return Err(p_detail(
                codes::DELETE_SYSTEM_USER_NOT_OWNED,
                "you don't have rights to create system users for this organisation",
            ));
        }
        let system = self
            .store
            .system(system_id)
            .await?
            .filter(|s| !s.is_deleted && s.is_visible)
            .ok_or_else(system_not_found)?;
        let org: OrgNumber = org_no
            .parse()
            .map_err(|_| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let party = self
            .store
            .organization(&org)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let now = self.clock.now();
        let title = title
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or_else(|| system.name.get("nb").cloned())
            .unwrap_or_default();
        let user = SystemUserRecord {
            id: Uuid::new_v4().to_string(),
            system_internal_id: system.internal_id.clone(),
            system_id: system.system_id.clone(),
            party_org_no: org_no.to_owned(),
            party_id: party.party_id,
            external_ref: org_no.to_owned(),
            integration_title: title.chars().take(255).collect(),
            user_type: SystemUserType::Standard,
            rights: system.rights.clone(),
            access_packages: system.access_packages.clone(),
            created_at: now,
            updated_at: now,
            is_deleted: false,
            seq: 0,
            vendor_org: system.vendor_org.clone(),
        };
        let actor = format!("person:{}", pid.get(..6).unwrap_or(pid));
        let mut tx = self.store.begin().await?;
        match db::insert_system_user(&mut tx, &user, &actor, now).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => {
                return Err(p(codes::SYSTEM_USER_ALREADY_EXISTS));
            }
            Err(e) => return Err(e.into()),
        }
        let entry = AuditEntry {
            actor: &actor,
            action: "systemuser.create",
            target: &format!("systemuser:{}", user.id),
            details: json!({"systemId": user.system_id, "partyOrgNo": org_no}),
            trace_id: None,
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user)
    }

    /// U7: the vendor's system user for a customer (and reference).
    pub async fn vendor_system_user(
        &self,
        caller: &Caller,
        system_id: &str,
        org: &str,
        external_ref: Option<&str>,
    ) -> Result<SystemUserRecord, SuError> {
        let vendor = caller
            .consumer_org()
            .ok_or_else(|| p(codes::VENDOR_ORGNO_NOT_FOUND))?;
        let ext = effective_external_ref(external_ref, org);
        match self
            .store
            .live_system_user(live_key(system_id, org, &ext))
            .await?
        {
            Some(u) if u.vendor_org == vendor.as_str() => Ok(u),
            _ => Err(p(codes::SYSTEM_USER_NOT_FOUND)),
        }
    }

    /// U4 and U16: the organisation's representative deletes a system user, its request
    /// and (an agent's) client delegations, in one transaction. With `expect`, a system user
    /// of the other type is refused (AUTH-00036 on U4, AUTH-00034 on U16).
    /// Gives the organisation's system user `id` a new name (the portal's detail page).
    pub async fn rename_system_user(
        &self,
        pid: &str,
        org_no: &str,
        id: &str,
        title: &str,
    ) -> Result<(), SuError> {
        let title = request::integration_title(title).map_err(|e| {
            SuError::Invalid(match e {
                request::TitleProblem::Empty => "the name is empty".into(),
                request::TitleProblem::TooLong => format!(
                    "the name is longer than {} characters",
                    request::MAX_INTEGRATION_TITLE
                ),
            })
        })?;
        if !self.has_authority(pid, org_no).await? {
            return Err(SuError::NoAuthority);
        }
        let u = self
            .store
            .system_user(id)
            .await?
            .filter(|u| !u.is_deleted && u.party_org_no == org_no)
            .ok_or_else(|| p(codes::SYSTEM_USER_NOT_FOUND))?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !db::rename_system_user(&mut tx, &u.id, &title, now).await? {
            return Err(p(codes::SYSTEM_USER_NOT_FOUND));
        }
        let entry = AuditEntry {
            actor: &format!("person:{}", pid.get(..6).unwrap_or(pid)),
            action: "systemuser.rename",
            target: &format!("systemuser:{}", u.id),
            details: json!({"from": u.integration_title, "to": title, "partyOrgNo": u.party_org_no}),
            trace_id: None,
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    pub async fn delete_system_user(
        &self,
        pid: &str,
        org_no: &str,
        id: &str,
        expect: Option<SystemUserType>,
    ) -> Result<(), SuError> {
        if !self.has_authority(pid, org_no).await? {
            return Err(p(codes::DELETE_SYSTEM_USER_NOT_OWNED));
        }
        let u = self
            .store
            .system_user(id)
            .await?
            .filter(|u| !u.is_deleted && u.party_org_no == org_no)
            .ok_or_else(|| p(codes::SYSTEM_USER_NOT_FOUND))?;
        match (expect, u.user_type) {
            (Some(SystemUserType::Standard), SystemUserType::Agent) => {
                return Err(p(codes::AGENT_SYSTEM_USER_EXPECTED_STANDARD_USER_TYPE));
            }
            (Some(SystemUserType::Agent), SystemUserType::Standard) => {
                return Err(p(codes::AGENT_SYSTEM_USER_EXPECTED_AGENT_USER_TYPE));
            }
            _ => {}
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !db::delete_system_user(
            &mut tx,
            &u.id,
            live_key(&u.system_id, &u.party_org_no, &u.external_ref),
            now,
        )
        .await?
        {
            // Deleted by someone else in the meantime.
            return Err(p(codes::SYSTEM_USER_NOT_FOUND));
        }
        let clients = crate::store::agent::delete_client_delegations_of(&mut tx, &u.id).await?;
        let entry = AuditEntry {
            actor: &format!("person:{}", pid.get(..6).unwrap_or(pid)),
            action: "systemuser.delete",
            target: &format!("systemuser:{}", u.id),
            details: json!({"systemId": u.system_id, "partyOrgNo": u.party_org_no,
                "userType": u.user_type, "clientsRemoved": clients}),
            trace_id: None,
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
