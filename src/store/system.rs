//! Registered systems, their Maskinporten client ids and change log.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Conn, IN_LIST_MAX, Store, StoreError, bool_to_int, json_column, placeholders};
use crate::clock::{Micros, format_micros};
use crate::domain::reference::Resource;
use crate::domain::system::System;

const COLUMNS: &str = "internal_id, system_id, vendor_org, name, description, rights, access_packages, \
     is_visible, allowed_redirect_urls, is_deleted";

fn from_row(row: &AnyRow, client_ids: Vec<String>) -> Result<System, StoreError> {
    Ok(System {
        internal_id: row.try_get("internal_id")?,
        system_id: row.try_get("system_id")?,
        vendor_org: row.try_get("vendor_org")?,
        name: json_column("name", &row.try_get::<String, _>("name")?)?,
        description: json_column("description", &row.try_get::<String, _>("description")?)?,
        rights: json_column("rights", &row.try_get::<String, _>("rights")?)?,
        access_packages: json_column(
            "access_packages",
            &row.try_get::<String, _>("access_packages")?,
        )?,
        client_ids,
        is_visible: row.try_get::<i64, _>("is_visible")? != 0,
        allowed_redirect_urls: json_column(
            "allowed_redirect_urls",
            &row.try_get::<String, _>("allowed_redirect_urls")?,
        )?,
        is_deleted: row.try_get::<i64, _>("is_deleted")? != 0,
    })
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// One entry of a system's change log, as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeLogEntry {
    pub system_internal_id: String,
    pub changed_by_org_number: String,
    pub change_type: String,
    /// The system's fields before the change.
    #[schema(value_type = Object)]
    pub changed_data: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub created: String,
}

impl Store {
    /// The systems of `rows` with their client ids, read in one more query (not one per
    /// system), in chunks of [`IN_LIST_MAX`] ids.
    async fn with_clients(&self, rows: Vec<AnyRow>) -> Result<Vec<System>, StoreError> {
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>("internal_id"))
            .collect::<Result<_, _>>()?;
        let mut clients: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_MAX) {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT system_internal_id, client_id FROM system_client \
                 WHERE system_internal_id IN ({}) ORDER BY client_id",
                placeholders(chunk.len())
            ));
            let mut query = sqlx::query(sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(self.pool()).await? {
                clients
                    .entry(row.try_get("system_internal_id")?)
                    .or_default()
                    .push(row.try_get("client_id")?);
            }
        }
        rows.iter()
            .zip(ids)
            .map(|(row, id)| from_row(row, clients.remove(&id).unwrap_or_default()))
            .collect()
    }

    /// The names (by language) of the systems `system_ids`, deleted ones too, in one query
    /// per [`IN_LIST_MAX`] ids.
    pub async fn system_names(
        &self,
        system_ids: &[&str],
    ) -> Result<HashMap<String, HashMap<String, String>>, StoreError> {
        let mut out = HashMap::new();
        for chunk in system_ids.chunks(IN_LIST_MAX) {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT system_id, name FROM system_register WHERE system_id IN ({})",
                placeholders(chunk.len())
            ));
            let mut query = sqlx::query(sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.insert(
                    row.try_get("system_id")?,
                    json_column("name", &row.try_get::<String, _>("name")?)?,
                );
            }
        }
        Ok(out)
    }

    /// A system by its id, deleted or not.
    pub async fn system(&self, system_id: &str) -> Result<Option<System>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM system_register WHERE system_id = $1"
        ));
        let rows = sqlx::query(sql)
            .bind(system_id)
            .fetch_all(self.pool())
            .await?;
        Ok(self.with_clients(rows).await?.pop())
    }

    /// The vendor's live systems, visible or not.
    pub async fn systems_of_vendor(&self, vendor_org: &str) -> Result<Vec<System>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM system_register WHERE vendor_org = $1 AND is_deleted = 0 ORDER BY system_id"
        ));
        let rows = sqlx::query(sql)
            .bind(vendor_org)
            .fetch_all(self.pool())
            .await?;
        self.with_clients(rows).await
    }

    /// Every system, deleted ones too (operators).
    pub async fn all_systems(&self) -> Result<Vec<System>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM system_register ORDER BY vendor_org, system_id"
        ));
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        self.with_clients(rows).await
    }

    /// Every live, visible system (what customers may choose from).
    pub async fn visible_systems(&self) -> Result<Vec<System>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM system_register WHERE is_deleted = 0 AND is_visible = 1 ORDER BY system_id"
        ));
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        self.with_clients(rows).await
    }

    /// Which of `client_ids` already belong to a system: (client id, system internal id).
    pub async fn client_owners(
        &self,
        client_ids: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for id in client_ids {
            let owner: Option<String> = sqlx::query_scalar(
                "SELECT system_internal_id FROM system_client WHERE client_id = $1",
            )
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            if let Some(owner) = owner {
                out.push((id.clone(), owner));
            }
        }
        Ok(out)
    }

    /// The live system a Maskinporten client id belongs to.
    pub async fn system_of_client(&self, client_id: &str) -> Result<Option<System>, StoreError> {
        let system_id: Option<String> = sqlx::query_scalar(
            "SELECT s.system_id FROM system_client c JOIN system_register s ON s.internal_id = c.system_internal_id \
             WHERE c.client_id = $1 AND s.is_deleted = 0",
        )
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?;
        match system_id {
            Some(id) => self.system(&id).await,
            None => Ok(None),
        }
    }

    pub async fn resources_by_id(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Resource>, StoreError> {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(r) = self.resource(id).await? {
                out.insert(id.clone(), r);
            }
        }
        Ok(out)
    }

    pub async fn change_log(&self, internal_id: &str) -> Result<Vec<ChangeLogEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT system_internal_id, changed_by_org, change_type, changed_data, client_id, created_at \
             FROM system_change_log WHERE system_internal_id = $1 ORDER BY seq DESC",
        )
        .bind(internal_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChangeLogEntry {
                    system_internal_id: r.try_get("system_internal_id")?,
                    changed_by_org_number: r.try_get("changed_by_org")?,
                    change_type: r.try_get("change_type")?,
                    changed_data: json_column(
                        "changed_data",
                        &r.try_get::<String, _>("changed_data")?,
                    )?,
                    client_id: r.try_get("client_id")?,
                    created: format_micros(r.try_get("created_at")?),
                })
            })
            .collect()
    }
}

/// Inserts a new system and its client ids.
pub async fn insert_system(conn: &mut Conn, s: &System, now: Micros) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO system_register (internal_id, system_id, vendor_org, name, description, rights, access_packages, \
           is_visible, allowed_redirect_urls, is_deleted, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10)",
    )
    .bind(&s.internal_id)
    .bind(&s.system_id)
    .bind(&s.vendor_org)
    .bind(json(&s.name))
    .bind(json(&s.description))
    .bind(json(&s.rights))
    .bind(json(&s.access_packages))
    .bind(bool_to_int(s.is_visible))
    .bind(json(&s.allowed_redirect_urls))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    set_clients(conn, &s.internal_id, &s.client_ids).await
}

/// Replaces every field of a live system and syncs its client ids.
pub async fn update_system(conn: &mut Conn, s: &System, now: Micros) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE system_register SET vendor_org = $2, name = $3, description = $4, rights = $5, access_packages = $6, \
           is_visible = $7, allowed_redirect_urls = $8, updated_at = $9 WHERE internal_id = $1 AND is_deleted = 0",
    )
    .bind(&s.internal_id)
    .bind(&s.vendor_org)
    .bind(json(&s.name))
    .bind(json(&s.description))
    .bind(json(&s.rights))
    .bind(json(&s.access_packages))
    .bind(bool_to_int(s.is_visible))
    .bind(json(&s.allowed_redirect_urls))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    set_clients(conn, &s.internal_id, &s.client_ids).await?;
    Ok(true)
}

/// Updates one JSON column (`rights` or `access_packages`) of a live system.
pub async fn update_list(
    conn: &mut Conn,
    internal_id: &str,
    rights: bool,
    value: &Value,
    now: Micros,
) -> Result<bool, StoreError> {
    let sql = if rights {
        "UPDATE system_register SET rights = $2, updated_at = $3 WHERE internal_id = $1 AND is_deleted = 0"
    } else {
        "UPDATE system_register SET access_packages = $2, updated_at = $3 WHERE internal_id = $1 AND is_deleted = 0"
    };
    let r = sqlx::query(sql)
        .bind(internal_id)
        .bind(value.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks a system deleted and frees its client ids.
pub async fn soft_delete(
    conn: &mut Conn,
    internal_id: &str,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE system_register SET is_deleted = 1, updated_at = $2 WHERE internal_id = $1",
    )
    .bind(internal_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM system_client WHERE system_internal_id = $1")
        .bind(internal_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn set_clients(
    conn: &mut Conn,
    internal_id: &str,
    client_ids: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM system_client WHERE system_internal_id = $1")
        .bind(internal_id)
        .execute(&mut *conn)
        .await?;
    for id in client_ids {
        sqlx::query("INSERT INTO system_client (client_id, system_internal_id) VALUES ($1, $2)")
            .bind(id)
            .bind(internal_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn log_change(
    conn: &mut Conn,
    internal_id: &str,
    by_org: &str,
    change_type: &str,
    data: &Value,
    client_id: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO system_change_log (system_internal_id, changed_by_org, change_type, changed_data, client_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(internal_id)
    .bind(by_org)
    .bind(change_type)
    .bind(data.to_string())
    .bind(client_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
