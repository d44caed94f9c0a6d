//! Access packages an organisation gives another directly (Access Management's
//! `rettighetshaver`): a client's administrator gives an accounting firm, an auditor or a
//! business manager a package, which makes the organisation its client for agent system users
//! that need it (errata §D.10).

use serde_json::json;

use super::App;
use super::agents::{invalid, person_actor};
use super::system_users::{SuError, p};
use crate::domain::problem_codes as codes;
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry};
use crate::store::reference::PartyRecord;

/// The packages an organisation gave others directly (receiver, package urn), and the
/// catalogue.
pub struct PackageDelegations {
    pub given: Vec<(PartyRecord, String)>,
    pub catalogue: Vec<crate::domain::reference::AccessPackage>,
}

impl App {
    /// The packages `org` gave other organisations directly, and the catalogue to give more.
    pub async fn package_delegations_of(&self, org: &str) -> Result<PackageDelegations, SuError> {
        let from = self
            .party_org_by_number(org)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        Ok(PackageDelegations {
            given: self.store.package_delegations_from(from.party_id).await?,
            catalogue: self.store.access_packages().await?,
        })
    }

    /// The client `org`'s representative (with authority for it) gives the organisation `to`
    /// the delegable access package `package` directly (`give`), or withdraws it; audited.
    pub async fn set_package_delegation(
        &self,
        pid: &str,
        org: &str,
        to: &str,
        package: &str,
        give: bool,
    ) -> Result<(), SuError> {
        self.require_authority(pid, org).await?;
        let from = self
            .party_org_by_number(org)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let receiver = self.party_org_by_number(to).await?.ok_or_else(|| {
            invalid(&format!(
                "'{to}' is not the organisation number of an organisation in the register"
            ))
        })?;
        if receiver.party_id == from.party_id {
            return Err(invalid("an organisation cannot give a package to itself"));
        }
        let known = self
            .store
            .access_package(package)
            .await?
            .filter(|p| p.is_delegable)
            .ok_or_else(|| invalid(&format!("'{package}' is not a delegable access package")))?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let changed = if give {
            crate::store::reference::insert_package_delegation(
                &mut tx,
                from.party_id,
                receiver.party_id,
                known.urn.as_str(),
                now,
            )
            .await?
        } else {
            crate::store::reference::delete_package_delegation(
                &mut tx,
                from.party_id,
                receiver.party_id,
                known.urn.as_str(),
            )
            .await?
        };
        if changed {
            let entry = AuditEntry {
                actor: &person_actor(pid),
                action: if give {
                    "accesspackage.delegate"
                } else {
                    "accesspackage.withdraw"
                },
                target: &format!("org:{org}"),
                details: json!({"to": to, "package": known.urn.as_str()}),
                trace_id: None,
            };
            audit::record(&mut tx, &entry, now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
