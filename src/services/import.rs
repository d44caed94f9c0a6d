//! Importing reference data: atomic (one bad record rejects the whole document), idempotent
//! (an upsert keyed on the public identifiers) and audited.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::domain::import::{ImportBatch, ImportIssue, ImportPolicy, parse_import};
use crate::domain::reference::PartyRef;
use crate::store::audit::{self, AuditEntry};
use crate::store::{Conn, Store, StoreError, catalogue, reference};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the document has {} invalid record(s)", .0.len())]
    Invalid(Vec<ImportIssue>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many records of each list were imported (inserted or updated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportCounts {
    pub organizations: usize,
    pub persons: usize,
    pub roles: usize,
    pub access_packages: usize,
    pub resources: usize,
    pub package_delegations: usize,
    pub maskinporten_delegations: usize,
    pub service_owners: usize,
}

/// Who asked for an import, for the audit log.
pub struct ImportActor<'a> {
    pub actor: &'a str,
    pub trace_id: Option<&'a str>,
}

/// Checks and stores a whole import document in one transaction.
pub async fn import(
    store: &Store,
    clock: &Clock,
    doc: &Value,
    policy: ImportPolicy,
    by: ImportActor<'_>,
) -> Result<ImportCounts, ImportError> {
    let batch = parse_import(doc, policy).map_err(ImportError::Invalid)?;
    let mut tx = store.begin().await?;
    let counts = write_batch(&mut tx, clock, &batch, &by).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if counts.organizations + counts.persons + counts.roles >= BIG_IMPORT {
        // Fresh statistics, so that the planner knows the new sizes before autovacuum does.
        if let Err(e) = store.analyze_reference_tables().await {
            tracing::warn!(error = %e, "could not refresh the statistics after a big import");
        }
    }
    Ok(counts)
}

/// From how many parties and roles on an import refreshes the database's statistics.
const BIG_IMPORT: usize = 1_000;

/// Writes a checked batch inside the caller's transaction. On an unknown reference it returns
/// [`ImportError::Invalid`] and the caller drops (rolls back) the transaction.
pub(crate) async fn write_batch(
    conn: &mut Conn,
    clock: &Clock,
    batch: &ImportBatch,
    by: &ImportActor<'_>,
) -> Result<ImportCounts, ImportError> {
    let now = clock.now();
    let mut ids: HashMap<PartyRef, i64> = HashMap::new();
    let orgs = reference::upsert_organizations(conn, &batch.organizations, now).await?;
    for org in &batch.organizations {
        if let Some(id) = orgs.get(org.org_no.as_str()) {
            ids.insert(PartyRef::Org(org.org_no.clone()), *id);
        }
    }
    let persons = reference::upsert_persons(conn, &batch.persons, now).await?;
    for person in &batch.persons {
        if let Some(id) = persons.get(person.pid.as_str()) {
            ids.insert(PartyRef::Person(person.pid.clone()), *id);
        }
    }

    let mut issues = Vec::new();
    let mut roles = Vec::with_capacity(batch.roles.len());
    for (path, role) in &batch.roles {
        let from = resolve(conn, &mut ids, &PartyRef::Org(role.from.clone())).await?;
        let to = resolve(conn, &mut ids, &role.to).await?;
        if from.is_none() {
            issues.push(ImportIssue::unknown_reference(
                format!("{path}/from"),
                format!("unknown organisation {}", role.from),
            ));
        }
        if to.is_none() {
            let what = match role.to {
                PartyRef::Org(_) => "organisation",
                PartyRef::Person(_) => "person",
            };
            issues.push(ImportIssue::unknown_reference(
                format!("{path}/to"),
                format!("unknown {what} {}", role.to),
            ));
        }
        if let (Some(from), Some(to)) = (from, to) {
            roles.push((from, role.role.as_str(), to));
        }
    }
    if !issues.is_empty() {
        return Err(ImportError::Invalid(issues));
    }
    reference::insert_roles(conn, &roles, now).await?;

    for package in &batch.access_packages {
        catalogue::upsert_access_package(conn, package, now).await?;
    }
    for owner in &batch.service_owners {
        catalogue::upsert_service_owner(conn, owner, now).await?;
    }
    for (resource, (path, policy)) in batch.resources.iter().zip(&batch.resource_policies) {
        catalogue::upsert_resource(conn, resource, now).await?;
        if let Some(owner) = &policy.owner
            && !catalogue::service_owner_exists(conn, owner).await?
        {
            issues.push(ImportIssue::unknown_reference(
                format!("{path}/owner"),
                format!("unknown service owner '{owner}'; list it in serviceOwners"),
            ));
        }
        for (i, package) in policy.access_packages.iter().enumerate() {
            if !catalogue::access_package_exists(conn, package.as_str()).await? {
                issues.push(ImportIssue::unknown_reference(
                    format!("{path}/accessPackages/{i}"),
                    format!("unknown access package {package}"),
                ));
            }
        }
        catalogue::set_resource_policy(conn, resource.identifier.as_str(), policy).await?;
    }
    if !issues.is_empty() {
        return Err(ImportError::Invalid(issues));
    }
    for (path, d) in &batch.package_delegations {
        let from = resolve(conn, &mut ids, &PartyRef::Org(d.from.clone())).await?;
        let to = resolve(conn, &mut ids, &PartyRef::Org(d.to.clone())).await?;
        for (field, found, org) in [("from", from, &d.from), ("to", to, &d.to)] {
            if found.is_none() {
                issues.push(ImportIssue::unknown_reference(
                    format!("{path}/{field}"),
                    format!("unknown organisation {org}"),
                ));
            }
        }
        if !catalogue::access_package_exists(conn, d.package.as_str()).await? {
            issues.push(ImportIssue::unknown_reference(
                format!("{path}/package"),
                format!("unknown access package {}", d.package),
            ));
        }
        if let (Some(from), Some(to)) = (from, to)
            && issues.is_empty()
        {
            reference::insert_package_delegation(conn, from, to, d.package.as_str(), now).await?;
        }
    }
    for (path, d) in &batch.scope_delegations {
        for (field, org) in [("consumer", &d.consumer), ("supplier", &d.supplier)] {
            if resolve(conn, &mut ids, &PartyRef::Org(org.clone()))
                .await?
                .is_none()
            {
                issues.push(ImportIssue::unknown_reference(
                    format!("{path}/{field}"),
                    format!("unknown organisation {org}"),
                ));
            }
        }
        if issues.is_empty() {
            crate::store::maskinporten::insert_mp_delegations(
                conn,
                d.consumer.as_str(),
                d.supplier.as_str(),
                &d.scopes,
                by.actor,
                now,
            )
            .await?;
        }
    }
    if !issues.is_empty() {
        return Err(ImportError::Invalid(issues));
    }
    let counts = ImportCounts {
        organizations: batch.organizations.len(),
        persons: batch.persons.len(),
        roles: batch.roles.len(),
        access_packages: batch.access_packages.len(),
        resources: batch.resources.len(),
        package_delegations: batch.package_delegations.len(),
        maskinporten_delegations: batch.scope_delegations.len(),
        service_owners: batch.service_owners.len(),
    };
    let entry = AuditEntry {
        actor: by.actor,
        action: "register.import",
        target: "register",
        details: json!({ "counts": counts }),
        trace_id: by.trace_id,
    };
    audit::record(conn, &entry, now).await?;
    Ok(counts)
}

async fn resolve(
    conn: &mut Conn,
    ids: &mut HashMap<PartyRef, i64>,
    party: &PartyRef,
) -> Result<Option<i64>, StoreError> {
    if let Some(id) = ids.get(party) {
        return Ok(Some(*id));
    }
    let found = reference::party_id_of(conn, party).await?;
    if let Some(id) = found {
        ids.insert(party.clone(), id);
    }
    Ok(found)
}
