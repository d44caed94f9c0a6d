//! Reading the reference data (the central register, the access-package catalogue, the
//! resource registry) for the APIs and pages that show it.

use super::App;
use super::import::{ImportActor, ImportCounts, ImportError};
use crate::domain::OrgNumber;
use crate::domain::import::ImportPolicy;
use crate::domain::reference::{AccessPackage, Resource};
use crate::domain::system::System;
use crate::store::StoreError;
pub use crate::store::reference::{PartyRecord, ReferenceCounts, Representative};

impl App {
    /// The whole access-package catalogue.
    pub async fn access_package_catalogue(&self) -> Result<Vec<AccessPackage>, StoreError> {
        self.store.access_packages().await
    }

    pub async fn access_package(&self, urn: &str) -> Result<Option<AccessPackage>, StoreError> {
        self.store.access_package(urn).await
    }

    pub async fn resource(&self, id: &str) -> Result<Option<Resource>, StoreError> {
        self.store.resource(id).await
    }

    /// An organisation of the central register.
    pub async fn organization(&self, org: &OrgNumber) -> Result<Option<PartyRecord>, StoreError> {
        self.store.organization(org).await
    }

    /// Imports a reference-data document (see [`super::import::import`]).
    pub async fn import_reference_data(
        &self,
        doc: &serde_json::Value,
        policy: ImportPolicy,
        by: ImportActor<'_>,
    ) -> Result<ImportCounts, ImportError> {
        super::import::import(&self.store, &self.clock, doc, policy, by).await
    }

    /// What the operator's overview counts, and every system in the register.
    pub async fn operator_summary(&self) -> Result<(ReferenceCounts, Vec<System>), StoreError> {
        Ok((
            self.store.reference_counts().await?,
            self.store.all_systems().await?,
        ))
    }

    /// Up to `limit` persons with a main role (for the demo identities on the start page).
    pub async fn main_administrators(&self, limit: i64) -> Result<Vec<Representative>, StoreError> {
        self.store.main_administrators(limit).await
    }

    /// A page of the audit log (see [`super::audit::page`]).
    pub async fn audit_page(
        &self,
        query: crate::store::audit::AuditQuery,
    ) -> Result<super::audit::AuditPage, StoreError> {
        super::audit::page(&self.store, query).await
    }

    /// A person of the central register.
    pub async fn person(
        &self,
        pid: &crate::domain::Pid,
    ) -> Result<Option<PartyRecord>, StoreError> {
        self.store.person(pid).await
    }

    /// The local outbox: the newest `limit` mails (the dev mailbox).
    pub async fn outbox(&self, limit: i64) -> Result<Vec<crate::store::mail::Mail>, StoreError> {
        self.store.mails(limit).await
    }

    pub async fn outbox_mail(
        &self,
        id: &str,
    ) -> Result<Option<crate::store::mail::Mail>, StoreError> {
        self.store.mail(id).await
    }

    /// Why the database is taken to be down, while the watch finds it so.
    /// Starts watching whether PostgreSQL answers, until the task is aborted (nothing to
    /// watch on SQLite).
    pub fn watch_database(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.store.watch()
    }

    pub fn database_down(&self) -> Option<String> {
        self.store.down()
    }

    /// Whether the database answers (readiness).
    pub async fn database_answers(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}
