//! Change requests for system users (errata §E): what a vendor asks to add to or remove from
//! an approved system user, until the customer answers.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Conn, Store, StoreError, json_column};
use crate::clock::Micros;
use crate::domain::request::{LiveKey, RequestStatus};
use crate::domain::system::{PackageRef, Right};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequestRecord {
    pub id: String,
    pub system_user_id: String,
    pub system_id: String,
    pub party_org_no: String,
    pub external_ref: String,
    pub required_rights: Vec<Right>,
    pub unwanted_rights: Vec<Right>,
    pub required_access_packages: Vec<PackageRef>,
    pub unwanted_access_packages: Vec<PackageRef>,
    pub status: RequestStatus,
    pub redirect_url: Option<String>,
    pub created_at: Micros,
    pub is_deleted: bool,
}

const COLUMNS: &str = "id, system_user_id, system_id, party_org_no, external_ref, required_rights, unwanted_rights, \
     required_access_packages, unwanted_access_packages, status, redirect_url, created_at, is_deleted";

fn from_row(row: &AnyRow) -> Result<ChangeRequestRecord, StoreError> {
    let list = |name: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(name)?) };
    let status: String = row.try_get("status")?;
    Ok(ChangeRequestRecord {
        id: row.try_get("id")?,
        system_user_id: row.try_get("system_user_id")?,
        system_id: row.try_get("system_id")?,
        party_org_no: row.try_get("party_org_no")?,
        external_ref: row.try_get("external_ref")?,
        required_rights: json_column("required_rights", &list("required_rights")?)?,
        unwanted_rights: json_column("unwanted_rights", &list("unwanted_rights")?)?,
        required_access_packages: json_column(
            "required_access_packages",
            &list("required_access_packages")?,
        )?,
        unwanted_access_packages: json_column(
            "unwanted_access_packages",
            &list("unwanted_access_packages")?,
        )?,
        status: status.parse().map_err(StoreError::Corrupt)?,
        redirect_url: row.try_get("redirect_url")?,
        created_at: row.try_get("created_at")?,
        is_deleted: row.try_get::<i64, _>("is_deleted")? != 0,
    })
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    /// The change request `id`, deleted or not.
    pub async fn change_request(
        &self,
        id: &str,
    ) -> Result<Option<ChangeRequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM systemuser_change_request WHERE id = $1"
        ));
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The newest change request for a system user's key that is neither deleted nor timed
    /// out (a `New` one made at or before `not_before` has) (C3).
    pub async fn change_request_by_key(
        &self,
        key: LiveKey<'_>,
        not_before: Micros,
    ) -> Result<Option<ChangeRequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM systemuser_change_request \
             WHERE system_id = $1 AND party_org_no = $2 AND external_ref = $3 AND is_deleted = 0 \
               AND status <> 'Timedout' AND (status <> 'New' OR created_at > $4) \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ));
        let row = sqlx::query(sql)
            .bind(key.system_id)
            .bind(key.party_org_no)
            .bind(key.external_ref)
            .bind(not_before)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// A system's change requests with ids after `after`, in id order, at most `limit` (C4).
    pub async fn change_requests_of_system(
        &self,
        system_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<ChangeRequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM systemuser_change_request WHERE system_id = $1 AND id > $2 AND is_deleted = 0 \
             ORDER BY id LIMIT $3"
        ));
        let rows = sqlx::query(sql)
            .bind(system_id)
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The first `limit` change requests of an organisation that wait for an answer (made
    /// after `not_before`), as (id, system user id), for all its system users in one query.
    pub async fn pending_change_requests(
        &self,
        party_org_no: &str,
        not_before: Micros,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, system_user_id FROM systemuser_change_request \
             WHERE party_org_no = $1 AND status = 'New' AND is_deleted = 0 AND created_at > $2 \
             ORDER BY created_at, id LIMIT $3",
        )
        .bind(party_org_no)
        .bind(not_before)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("system_user_id")?)))
            .collect()
    }

    /// How many change requests of a system user wait for an answer (made after
    /// `not_before`).
    pub async fn open_change_requests_of(
        &self,
        system_user_id: &str,
        not_before: Micros,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM systemuser_change_request \
             WHERE system_user_id = $1 AND status = 'New' AND is_deleted = 0 AND created_at > $2",
        )
        .bind(system_user_id)
        .bind(not_before)
        .fetch_one(self.pool())
        .await?)
    }

    /// Marks change requests still `New` and made before `cutoff` as timed out; idempotent.
    pub async fn time_out_change_requests(
        &self,
        cutoff: Micros,
        now: Micros,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE systemuser_change_request SET status = 'Timedout', updated_at = $2 \
             WHERE status = 'New' AND created_at <= $1",
        )
        .bind(cutoff)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected())
    }
}

/// Stores a new change request (status `New`); a unique violation means the correlation id
/// is taken.
pub async fn insert_change_request(
    conn: &mut Conn,
    c: &ChangeRequestRecord,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO systemuser_change_request (id, system_user_id, system_id, party_org_no, external_ref, \
           required_rights, unwanted_rights, required_access_packages, unwanted_access_packages, status, redirect_url, \
           created_at, updated_at, is_deleted) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'New', $10, $11, $11, 0)",
    )
    .bind(&c.id)
    .bind(&c.system_user_id)
    .bind(&c.system_id)
    .bind(&c.party_org_no)
    .bind(&c.external_ref)
    .bind(json(&c.required_rights))
    .bind(json(&c.unwanted_rights))
    .bind(json(&c.required_access_packages))
    .bind(json(&c.unwanted_access_packages))
    .bind(c.redirect_url.as_deref())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a `New` change request to `status`, once: `false` when it was no longer `New`,
/// deleted, or had timed out (made at or before `not_before`).
pub async fn decide_change_request(
    conn: &mut Conn,
    id: &str,
    status: RequestStatus,
    by: &str,
    not_before: Micros,
    now: Micros,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE systemuser_change_request SET status = $2, decided_by = $3, updated_at = $5 \
         WHERE id = $1 AND status = 'New' AND is_deleted = 0 AND created_at > $4",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(by)
    .bind(not_before)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Soft-deletes a change request, whatever its status.
pub async fn delete_change_request(
    conn: &mut Conn,
    id: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE systemuser_change_request SET is_deleted = 1, updated_at = $2 WHERE id = $1 AND is_deleted = 0",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
