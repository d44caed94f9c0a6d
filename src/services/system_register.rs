//! The system register's use cases (spec authentication-api §2.1, with DESIGN §5's fixes):
//! vendors create, read, update and delete their systems; customers see the visible ones.

use std::collections::HashMap;

use serde_json::{Value, json};
use uuid::Uuid;

use super::App;
use super::tokens::Caller;
use crate::domain::scopes;
use crate::domain::system::{self, PackageRef, Right, System, SystemInput, Violation};
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry};
use crate::store::system as db;
pub use crate::store::system::ChangeLogEntry;

/// A system with its vendor's name from the register (empty when the register lacks it), as
/// the portal shows it.
pub struct SystemWithVendor {
    pub system: System,
    pub vendor_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the system is not valid")]
    Invalid(Vec<Violation>),
    #[error("the token may not change systems of this vendor")]
    Forbidden,
    #[error("System with ID '{0}' not found.")]
    NotFound(String),
    #[error("Cannot update a system marked as deleted.")]
    Deleted,
    #[error("The System already exist: {0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What SR7 or SR8 replaces.
enum ListChange {
    Rights(Vec<Right>),
    Packages(Vec<PackageRef>),
}

fn may_write(caller: &Caller, vendor_org: &str) -> bool {
    caller.has_scope(scopes::SYSTEMREGISTER_ADMIN)
        || caller
            .consumer_org()
            .is_some_and(|o| o.as_str() == vendor_org)
}

fn actor(caller: &Caller) -> String {
    caller
        .consumer_org()
        .map(|o| o.to_string())
        .unwrap_or_default()
}

fn client_id_of(caller: &Caller) -> Option<String> {
    caller
        .claims
        .get("client_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl App {
    /// SR1: every live, visible system, with the vendors' names (one query for all names).
    pub async fn visible_systems(&self) -> Result<Vec<SystemWithVendor>, RegisterError> {
        let systems = self.store.visible_systems().await?;
        self.with_vendor_names(systems).await
    }

    /// SR2: the live systems of the vendor `org`.
    pub async fn systems_of_vendor(
        &self,
        org: &str,
    ) -> Result<Vec<SystemWithVendor>, RegisterError> {
        let systems = self.store.systems_of_vendor(org).await?;
        self.with_vendor_names(systems).await
    }

    /// SR3: one system (deleted ones too).
    pub async fn system_for_portal(
        &self,
        system_id: &str,
    ) -> Result<SystemWithVendor, RegisterError> {
        let system = self
            .store
            .system(system_id)
            .await?
            .ok_or_else(|| RegisterError::NotFound(system_id.to_owned()))?;
        let mut one = self.with_vendor_names(vec![system]).await?;
        one.pop()
            .ok_or_else(|| RegisterError::NotFound(system_id.to_owned()))
    }

    /// SR10, SR11: the rights and access packages of a system (empty for an unknown one).
    pub async fn system_rights_and_packages(
        &self,
        system_id: &str,
    ) -> Result<(Vec<Right>, Vec<PackageRef>), RegisterError> {
        Ok(self
            .store
            .system(system_id)
            .await?
            .map(|s| (s.rights, s.access_packages))
            .unwrap_or_default())
    }

    async fn with_vendor_names(
        &self,
        systems: Vec<System>,
    ) -> Result<Vec<SystemWithVendor>, RegisterError> {
        let orgs: Vec<&str> = systems.iter().map(|s| s.vendor_org.as_str()).collect();
        let names = self.store.organization_names(&orgs).await?;
        Ok(systems
            .into_iter()
            .map(|system| SystemWithVendor {
                vendor_name: names.get(&system.vendor_org).cloned().unwrap_or_default(),
                system,
            })
            .collect())
    }

    async fn check_rights_and_packages(
        &self,
        rights: &[Right],
        packages: &[PackageRef],
        is_visible: bool,
    ) -> Result<Vec<Violation>, StoreError> {
        let found = self
            .store
            .resources_by_id(&system::resource_ids(rights))
            .await?;
        let catalogue: HashMap<String, _> = self
            .store
            .access_packages()
            .await?
            .into_iter()
            .map(|p| (p.urn.as_str().to_owned(), p))
            .collect();
        let mut out = system::check_rights(rights, &found);
        out.extend(system::check_packages(packages, is_visible, &catalogue));
        Ok(out)
    }

    /// Security review item 8: a system may name only its own vendor's Maskinporten clients.
    /// Otherwise a vendor could claim another organisation's client for its own system, and
    /// the client's owner could no longer register it (AUTH.VLD-00004, first come first
    /// served).
    ///
    /// Ownership is known for the clients of tilgang's own Maskinporten registry (`mp_client`,
    /// filled by the embedded self-service API with each client's owner organisation): a
    /// client id found there that belongs to another organisation than `vendor_org` is
    /// refused with AUTH.VLD-00104. A client id the registry does not know passes, as before
    /// (and as in Altinn, which checks only uniqueness): in the production profile the clients
    /// live at the real Maskinporten, whose registry tilgang cannot read, and in the local
    /// profile an unknown id is a client of a trusted external Maskinporten or a placeholder
    /// of a test script. That leaves no gap in the embedded registry: its client ids are
    /// random UUIDs chosen by tilgang, so no id can be claimed before its client exists, and
    /// a client never changes owner, so checking outside the write transaction is safe. The
    /// id is also looked up in lower case, the case tilgang makes its ids in, so that a case
    /// variant of another organisation's id is refused too.
    async fn check_client_owners(
        &self,
        vendor_org: &str,
        client_ids: &[String],
    ) -> Result<Option<Violation>, StoreError> {
        let mut owners: Vec<(&str, Option<String>)> = Vec::with_capacity(client_ids.len());
        for id in client_ids {
            let mut owner = self.store.mp_client(id).await?.map(|c| c.client_orgno);
            let lower = id.to_lowercase();
            if owner.is_none() && lower != *id {
                owner = self.store.mp_client(&lower).await?.map(|c| c.client_orgno);
            }
            owners.push((id.as_str(), owner));
        }
        Ok(system::check_client_owners(vendor_org, &owners))
    }

    /// SR5: registers a system; returns its internal id.
    pub async fn create_system(
        &self,
        caller: &Caller,
        input: SystemInput,
    ) -> Result<String, RegisterError> {
        let input = input.trimmed();
        let Some(vendor) = system::vendor_org(&input.vendor) else {
            return Err(RegisterError::Invalid(vec![
                system::vendor_identifier_invalid(),
            ]));
        };
        let mut violations = system::check_shape_with(
            &input,
            &vendor,
            true,
            self.config.profile == crate::config::Profile::Local,
        );
        if violations.iter().any(|v| v.code == system::TOO_MANY) {
            // Lists this long are not looked up item by item.
            return Err(RegisterError::Invalid(violations));
        }
        if violations.iter().all(|v| {
            v.code != crate::domain::problem_codes::SYSTEM_REGISTER_INVALID_SYSTEM_ID_FORMAT.code
        }) && self.store.system(&input.id).await?.is_some()
        {
            violations.push(system::system_id_exists());
        }
        if !self.store.client_owners(&input.client_id).await?.is_empty() {
            violations.push(system::client_id_taken());
        }
        if system::has_duplicate_client_ids(&input.client_id) {
            violations.push(system::duplicate_client_ids());
        }
        violations.extend(
            self.check_client_owners(vendor.as_str(), &input.client_id)
                .await?,
        );
        violations.extend(
            self.check_rights_and_packages(&input.rights, &input.access_packages, input.is_visible)
                .await?,
        );
        if !may_write(caller, vendor.as_str()) {
            return Err(RegisterError::Forbidden);
        }
        if !violations.is_empty() {
            return Err(RegisterError::Invalid(violations));
        }
        let sys = System {
            internal_id: Uuid::new_v4().to_string(),
            system_id: input.id.clone(),
            vendor_org: vendor.to_string(),
            name: input.name.clone(),
            description: input.description.clone(),
            rights: input.rights.clone(),
            access_packages: input.access_packages.clone(),
            client_ids: input.client_id.clone(),
            is_visible: input.is_visible,
            allowed_redirect_urls: input.allowed_redirect_urls.clone(),
            is_deleted: false,
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if let Err(e) = db::insert_system(&mut tx, &sys, now).await {
            return Err(if e.is_unique_violation() {
                RegisterError::Conflict(sys.system_id)
            } else {
                e.into()
            });
        }
        let data = serde_json::to_value(&input).unwrap_or(Value::Null);
        self.record_change(&mut tx, caller, &sys, "create", &data, now)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(sys.internal_id)
    }

    async fn record_change(
        &self,
        tx: &mut crate::store::Conn,
        caller: &Caller,
        sys: &System,
        change: &str,
        data: &Value,
        now: i64,
    ) -> Result<(), StoreError> {
        db::log_change(
            tx,
            &sys.internal_id,
            &actor(caller),
            change,
            data,
            client_id_of(caller).as_deref(),
            now,
        )
        .await?;
        let entry = AuditEntry {
            actor: &caller.audit_name(),
            action: &format!("systemregister.{change}"),
            target: &format!("system:{}", sys.system_id),
            details: json!({"systemInternalId": sys.internal_id}),
            trace_id: None,
        };
        audit::record(tx, &entry, now).await
    }

    /// A system the caller may change: it exists and the caller is its vendor (or admin).
    async fn writable_system(
        &self,
        caller: &Caller,
        system_id: &str,
    ) -> Result<System, RegisterError> {
        let sys = self
            .store
            .system(system_id)
            .await?
            .ok_or_else(|| RegisterError::NotFound(system_id.to_owned()))?;
        if !may_write(caller, &sys.vendor_org) {
            return Err(RegisterError::Forbidden);
        }
        Ok(sys)
    }

    /// SR4: the full system, for its vendor.
    pub async fn vendor_system(
        &self,
        caller: &Caller,
        system_id: &str,
    ) -> Result<System, RegisterError> {
        self.writable_system(caller, system_id).await
    }

    /// SR6: replaces a system, in Altinn's order of checks.
    pub async fn update_system(
        &self,
        caller: &Caller,
        system_id: &str,
        input: SystemInput,
    ) -> Result<(), RegisterError> {
        let input = input.trimmed();
        let stored = self.writable_system(caller, system_id).await?;
        if input.vendor.id != format!("0192:{}", stored.vendor_org) {
            return Err(RegisterError::NotFound(system_id.to_owned()));
        }
        if input.id != system_id {
            return Err(RegisterError::Invalid(vec![system::system_id_mismatch()]));
        }
        if stored.is_deleted {
            return Err(RegisterError::Deleted);
        }
        let vendor = system::vendor_org(&input.vendor)
            .ok_or_else(|| RegisterError::Invalid(vec![system::vendor_identifier_invalid()]))?;
        let mut violations = system::check_shape_with(
            &input,
            &vendor,
            false,
            self.config.profile == crate::config::Profile::Local,
        );
        if violations.iter().any(|v| v.code == system::TOO_MANY) {
            return Err(RegisterError::Invalid(violations));
        }
        violations.extend(
            self.check_rights_and_packages(&input.rights, &input.access_packages, input.is_visible)
                .await?,
        );
        if system::has_duplicate_client_ids(&input.client_id) {
            violations.push(system::duplicate_client_ids());
        }
        for (_, owner) in self.store.client_owners(&input.client_id).await? {
            if owner != stored.internal_id {
                violations.push(system::client_id_taken());
            }
        }
        // Every id of the new list, also those already on the system: one registered before
        // this check existed must be dropped before anything else of the system can change.
        violations.extend(
            self.check_client_owners(&stored.vendor_org, &input.client_id)
                .await?,
        );
        if !violations.is_empty() {
            return Err(RegisterError::Invalid(violations));
        }
        let sys = System {
            name: input.name.clone(),
            description: input.description.clone(),
            rights: input.rights.clone(),
            access_packages: input.access_packages.clone(),
            client_ids: input.client_id.clone(),
            is_visible: input.is_visible,
            allowed_redirect_urls: input.allowed_redirect_urls.clone(),
            ..stored
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        match db::update_system(&mut tx, &sys, now).await {
            Ok(true) => {}
            Ok(false) => return Err(RegisterError::Deleted),
            Err(e) if e.is_unique_violation() => {
                return Err(RegisterError::Invalid(vec![system::client_id_taken()]));
            }
            Err(e) => return Err(e.into()),
        }
        let data = serde_json::to_value(&input).unwrap_or(Value::Null);
        self.record_change(&mut tx, caller, &sys, "update", &data, now)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// SR7: replaces a system's rights.
    pub async fn update_system_rights(
        &self,
        caller: &Caller,
        system_id: &str,
        rights: Vec<Right>,
    ) -> Result<(), RegisterError> {
        self.replace_list(caller, system_id, ListChange::Rights(rights))
            .await
    }

    /// SR8: replaces a system's access packages (checked against the stored `isVisible`).
    pub async fn update_system_packages(
        &self,
        caller: &Caller,
        system_id: &str,
        packages: Vec<PackageRef>,
    ) -> Result<(), RegisterError> {
        self.replace_list(caller, system_id, ListChange::Packages(packages))
            .await
    }

    async fn replace_list(
        &self,
        caller: &Caller,
        system_id: &str,
        change: ListChange,
    ) -> Result<(), RegisterError> {
        let stored = self.writable_system(caller, system_id).await?;
        if stored.is_deleted {
            return Err(RegisterError::Deleted);
        }
        let (rights, packages, is_visible): (&[Right], &[PackageRef], bool) = match &change {
            ListChange::Rights(r) => (r, &[], false),
            ListChange::Packages(p) => (&[], p, stored.is_visible),
        };
        // Lists this long are not looked up item by item.
        if rights.len() > system::MAX_LIST || packages.len() > system::MAX_LIST {
            return Err(RegisterError::Invalid(vec![system::too_many()]));
        }
        let violations = self
            .check_rights_and_packages(rights, packages, is_visible)
            .await?;
        let (is_rights, value) = match &change {
            ListChange::Rights(r) => (true, serde_json::to_value(r)),
            ListChange::Packages(p) => (false, serde_json::to_value(p)),
        };
        if !violations.is_empty() {
            return Err(RegisterError::Invalid(violations));
        }
        self.update_one_list(caller, &stored, is_rights, value.unwrap_or(Value::Null))
            .await
    }

    async fn update_one_list(
        &self,
        caller: &Caller,
        stored: &System,
        rights: bool,
        value: Value,
    ) -> Result<(), RegisterError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !db::update_list(&mut tx, &stored.internal_id, rights, &value, now).await? {
            return Err(RegisterError::Deleted);
        }
        let change = if rights {
            "rightsupdate"
        } else {
            "accesspackageupdate"
        };
        self.record_change(&mut tx, caller, stored, change, &value, now)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// SR9: marks a system deleted and frees its client ids. Deleting it again changes nothing.
    pub async fn delete_system(
        &self,
        caller: &Caller,
        system_id: &str,
    ) -> Result<(), RegisterError> {
        let stored = self.writable_system(caller, system_id).await?;
        if stored.is_deleted {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        db::soft_delete(&mut tx, &stored.internal_id, now).await?;
        self.record_change(&mut tx, caller, &stored, "delete", &Value::Null, now)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// SR12: the system's change log, newest first.
    pub async fn system_change_log(
        &self,
        caller: &Caller,
        system_id: &str,
    ) -> Result<Vec<db::ChangeLogEntry>, RegisterError> {
        let stored = self.writable_system(caller, system_id).await?;
        Ok(self.store.change_log(&stored.internal_id).await?)
    }
}
