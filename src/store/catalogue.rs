//! The catalogue: access packages and resources (what can be given, in every language).

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Conn, Store, StoreError, bool_to_int, json_column};
use crate::clock::Micros;
use crate::domain::Localized;
use crate::domain::reference::{AccessPackage, ClientRole, Resource};

pub async fn upsert_access_package(
    conn: &mut Conn,
    p: &AccessPackage,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO access_package (urn, name, description, is_delegable, is_assignable, client_roles, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (urn) DO UPDATE SET name = excluded.name, description = excluded.description, \
           is_delegable = excluded.is_delegable, is_assignable = excluded.is_assignable, \
           client_roles = excluded.client_roles, updated_at = excluded.updated_at",
    )
    .bind(p.urn.as_str())
    .bind(to_json(&p.name))
    .bind(p.description.as_ref().map(to_json))
    .bind(bool_to_int(p.is_delegable))
    .bind(bool_to_int(p.is_assignable))
    .bind(to_json(&p.client_roles))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_resource(conn: &mut Conn, r: &Resource, now: Micros) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO resource (id, title, description, resource_type, delegable, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, \
           resource_type = excluded.resource_type, delegable = excluded.delegable, \
           updated_at = excluded.updated_at",
    )
    .bind(r.identifier.as_str())
    .bind(to_json(&r.title))
    .bind(r.description.as_ref().map(to_json))
    .bind(r.resource_type.as_str())
    .bind(bool_to_int(r.delegable))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the decision policy of resource `id` (its access packages replaced).
pub async fn set_resource_policy(
    conn: &mut Conn,
    id: &str,
    policy: &crate::domain::reference::ResourcePolicy,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE resource SET owner = $1, actions = $2 WHERE id = $3")
        .bind(policy.owner.as_deref())
        .bind(to_json(&policy.actions))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM resource_package WHERE resource_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for package in &policy.access_packages {
        sqlx::query(
            "INSERT INTO resource_package (resource_id, package) VALUES ($1, $2) \
             ON CONFLICT (resource_id, package) DO NOTHING",
        )
        .bind(id)
        .bind(package.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn upsert_service_owner(
    conn: &mut Conn,
    owner: &crate::domain::reference::ServiceOwner,
    now: Micros,
) -> Result<(), StoreError> {
    // A code moving to another organisation (or an organisation to another code) replaces the
    // old entry.
    sqlx::query("DELETE FROM service_owner WHERE org_no = $1 AND code <> $2")
        .bind(owner.org_no.as_str())
        .bind(&owner.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO service_owner (code, org_no, name, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET org_no = excluded.org_no, name = excluded.name, \
           updated_at = excluded.updated_at",
    )
    .bind(&owner.code)
    .bind(owner.org_no.as_str())
    .bind(to_json(&owner.name))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether `code` is a known service owner.
pub async fn service_owner_exists(conn: &mut Conn, code: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM service_owner WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

fn to_json<T: Serialize>(v: &T) -> String {
    // Serialising plain data structures to a string cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    pub async fn access_packages(&self) -> Result<Vec<AccessPackage>, StoreError> {
        let rows = sqlx::query(
            "SELECT urn, name, description, is_delegable, is_assignable, client_roles \
             FROM access_package ORDER BY urn",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(package_from_row).collect()
    }

    pub async fn access_package(&self, urn: &str) -> Result<Option<AccessPackage>, StoreError> {
        let row = sqlx::query(
            "SELECT urn, name, description, is_delegable, is_assignable, client_roles \
             FROM access_package WHERE urn = $1",
        )
        .bind(urn)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(package_from_row).transpose()
    }

    pub async fn resource(&self, id: &str) -> Result<Option<Resource>, StoreError> {
        let row = sqlx::query(
            "SELECT id, title, description, resource_type, delegable FROM resource WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(resource_from_row).transpose()
    }

    /// The resources `ids` that exist, in one query per [`super::IN_LIST_MAX`] ids.
    pub async fn resources_by_ids(&self, ids: &[&str]) -> Result<Vec<Resource>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(super::IN_LIST_MAX) {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT id, title, description, resource_type, delegable FROM resource \
                 WHERE id IN ({})",
                super::placeholders(chunk.len())
            ));
            let mut query = sqlx::query(sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.push(resource_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// The access packages `urns` that exist, in one query per [`super::IN_LIST_MAX`] urns.
    pub async fn access_packages_by_urns(
        &self,
        urns: &[&str],
    ) -> Result<Vec<AccessPackage>, StoreError> {
        let mut out = Vec::new();
        for chunk in urns.chunks(super::IN_LIST_MAX) {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT urn, name, description, is_delegable, is_assignable, client_roles \
                 FROM access_package WHERE urn IN ({})",
                super::placeholders(chunk.len())
            ));
            let mut query = sqlx::query(sql);
            for urn in chunk {
                query = query.bind(*urn);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.push(package_from_row(&row)?);
            }
        }
        Ok(out)
    }
}

fn package_from_row(row: &AnyRow) -> Result<AccessPackage, StoreError> {
    let urn: String = row.try_get("urn")?;
    let description: Option<String> = row.try_get("description")?;
    let client_roles: Vec<ClientRole> =
        json_column("client_roles", &row.try_get::<String, _>("client_roles")?)?;
    Ok(AccessPackage {
        urn: urn
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("access package urn {urn}")))?,
        name: json_column("name", &row.try_get::<String, _>("name")?)?,
        description: description
            .map(|d| json_column::<Localized>("description", &d))
            .transpose()?,
        is_delegable: row.try_get::<i64, _>("is_delegable")? != 0,
        is_assignable: row.try_get::<i64, _>("is_assignable")? != 0,
        client_roles,
    })
}

fn resource_from_row(row: &AnyRow) -> Result<Resource, StoreError> {
    let id: String = row.try_get("id")?;
    let description: Option<String> = row.try_get("description")?;
    let resource_type: String = row.try_get("resource_type")?;
    Ok(Resource {
        identifier: id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("resource id {id}")))?,
        title: json_column("title", &row.try_get::<String, _>("title")?)?,
        description: description
            .map(|d| json_column::<Localized>("description", &d))
            .transpose()?,
        resource_type: resource_type.parse().map_err(StoreError::Corrupt)?,
        delegable: row.try_get::<i64, _>("delegable")? != 0,
    })
}

/// Whether the catalogue has the access package `urn`.
pub async fn access_package_exists(conn: &mut Conn, urn: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM access_package WHERE urn = $1")
        .bind(urn)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}
