//! Requests for system users, and system users.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Conn, Store, StoreError, json_column};
use crate::clock::Micros;
use crate::domain::request::{LiveKey, RequestStatus, SystemUserType};
use crate::domain::system::{PackageRef, Right};

#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: String,
    pub system_id: String,
    pub party_org_no: String,
    pub external_ref: String,
    pub integration_title: String,
    pub rights: Vec<Right>,
    pub access_packages: Vec<PackageRef>,
    pub status: RequestStatus,
    pub redirect_url: Option<String>,
    pub escalated: bool,
    pub user_type: SystemUserType,
    pub created_at: Micros,
    pub is_deleted: bool,
}

const REQUEST_COLUMNS: &str = "id, system_id, party_org_no, external_ref, integration_title, rights, access_packages, \
     status, redirect_url, escalated, user_type, created_at, is_deleted";

fn request_from_row(row: &AnyRow) -> Result<RequestRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(RequestRecord {
        id: row.try_get("id")?,
        system_id: row.try_get("system_id")?,
        party_org_no: row.try_get("party_org_no")?,
        external_ref: row.try_get("external_ref")?,
        integration_title: row.try_get("integration_title")?,
        rights: json_column("rights", &row.try_get::<String, _>("rights")?)?,
        access_packages: json_column(
            "access_packages",
            &row.try_get::<String, _>("access_packages")?,
        )?,
        status: status.parse().map_err(StoreError::Corrupt)?,
        redirect_url: row.try_get("redirect_url")?,
        escalated: row.try_get::<i64, _>("escalated")? != 0,
        user_type: user_type(row)?,
        created_at: row.try_get("created_at")?,
        is_deleted: row.try_get::<i64, _>("is_deleted")? != 0,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemUserRecord {
    pub id: String,
    pub system_internal_id: String,
    pub system_id: String,
    pub party_org_no: String,
    pub party_id: i64,
    pub external_ref: String,
    pub integration_title: String,
    pub user_type: SystemUserType,
    pub rights: Vec<Right>,
    pub access_packages: Vec<PackageRef>,
    pub created_at: Micros,
    pub updated_at: Micros,
    pub is_deleted: bool,
    pub seq: i64,
    /// The system's vendor (joined in).
    pub vendor_org: String,
}

const USER_COLUMNS: &str = "u.id AS id, u.system_internal_id AS system_internal_id, u.system_id AS system_id, \
     u.party_org_no AS party_org_no, u.party_id AS party_id, u.external_ref AS external_ref, \
     u.integration_title AS integration_title, u.user_type AS user_type, u.rights AS rights, \
     u.access_packages AS access_packages, u.created_at AS created_at, u.updated_at AS updated_at, \
     u.is_deleted AS is_deleted, u.seq AS seq, \
     s.vendor_org AS vendor_org";

fn user_from_row(row: &AnyRow) -> Result<SystemUserRecord, StoreError> {
    Ok(SystemUserRecord {
        id: row.try_get("id")?,
        system_internal_id: row.try_get("system_internal_id")?,
        system_id: row.try_get("system_id")?,
        party_org_no: row.try_get("party_org_no")?,
        party_id: row.try_get("party_id")?,
        external_ref: row.try_get("external_ref")?,
        integration_title: row.try_get("integration_title")?,
        user_type: user_type(row)?,
        rights: json_column("rights", &row.try_get::<String, _>("rights")?)?,
        access_packages: json_column(
            "access_packages",
            &row.try_get::<String, _>("access_packages")?,
        )?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        is_deleted: row.try_get::<i64, _>("is_deleted")? != 0,
        seq: row.try_get("seq")?,
        vendor_org: row.try_get("vendor_org")?,
    })
}

fn user_type(row: &AnyRow) -> Result<SystemUserType, StoreError> {
    row.try_get::<String, _>("user_type")?
        .parse()
        .map_err(StoreError::Corrupt)
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    /// The request `id` of type `kind` (a request of the other type is not found), or of
    /// either type.
    pub async fn request(
        &self,
        id: &str,
        kind: Option<SystemUserType>,
    ) -> Result<Option<RequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLUMNS} FROM systemuser_request WHERE id = $1 AND ($2 = '' OR user_type = $2)"
        ));
        let row = sqlx::query(sql)
            .bind(id)
            .bind(kind.map(SystemUserType::as_str).unwrap_or_default())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(request_from_row).transpose()
    }

    /// The live request with this key.
    pub async fn live_request(
        &self,
        key: LiveKey<'_>,
    ) -> Result<Option<RequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLUMNS} FROM systemuser_request \
             WHERE system_id = $1 AND party_org_no = $2 AND external_ref = $3 AND live = 1"
        ));
        let row = sqlx::query(sql)
            .bind(key.system_id)
            .bind(key.party_org_no)
            .bind(key.external_ref)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(request_from_row).transpose()
    }

    /// A system's live requests of type `kind` with ids after `after`, in id order, at most
    /// `limit`.
    pub async fn requests_of_system(
        &self,
        system_id: &str,
        kind: SystemUserType,
        after: &str,
        limit: i64,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLUMNS} FROM systemuser_request WHERE system_id = $1 AND id > $2 AND is_deleted = 0 \
             AND user_type = $4 ORDER BY id LIMIT $3"
        ));
        let rows = sqlx::query(sql)
            .bind(system_id)
            .bind(after)
            .bind(limit)
            .bind(kind.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// New requests for an organisation (of one type, or of both).
    pub async fn pending_requests(
        &self,
        party_org_no: &str,
        kind: Option<SystemUserType>,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLUMNS} FROM systemuser_request WHERE party_org_no = $1 AND status = 'New' AND is_deleted = 0 \
             AND ($2 = '' OR user_type = $2) ORDER BY created_at"
        ));
        let rows = sqlx::query(sql)
            .bind(party_org_no)
            .bind(kind.map(SystemUserType::as_str).unwrap_or_default())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// Marks requests still `New` and created before `cutoff` as timed out and frees their
    /// keys; idempotent and safe in several instances at once. Returns how many changed.
    pub async fn time_out_requests(&self, cutoff: Micros, now: Micros) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE systemuser_request SET status = 'Timedout', live = 0, updated_at = $2 \
             WHERE status = 'New' AND created_at <= $1",
        )
        .bind(cutoff)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    pub async fn live_system_user(
        &self,
        key: LiveKey<'_>,
    ) -> Result<Option<SystemUserRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM system_user u JOIN system_register s ON s.internal_id = u.system_internal_id \
             WHERE u.system_id = $1 AND u.party_org_no = $2 AND u.external_ref = $3 AND u.live = 1"
        ));
        let row = sqlx::query(sql)
            .bind(key.system_id)
            .bind(key.party_org_no)
            .bind(key.external_ref)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn system_user(&self, id: &str) -> Result<Option<SystemUserRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM system_user u JOIN system_register s ON s.internal_id = u.system_internal_id WHERE u.id = $1"
        ));
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// An organisation's live system users (of one type, or of both).
    pub async fn system_users_of(
        &self,
        party_org_no: &str,
        kind: Option<SystemUserType>,
    ) -> Result<Vec<SystemUserRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM system_user u JOIN system_register s ON s.internal_id = u.system_internal_id \
             WHERE u.party_org_no = $1 AND u.is_deleted = 0 AND ($2 = '' OR u.user_type = $2) ORDER BY u.created_at"
        ));
        let rows = sqlx::query(sql)
            .bind(party_org_no)
            .bind(kind.map(SystemUserType::as_str).unwrap_or_default())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// A system's live system users from `seq` on (U8), at most `limit`.
    pub async fn system_users_of_system(
        &self,
        system_id: &str,
        from_seq: i64,
        limit: i64,
    ) -> Result<Vec<SystemUserRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM system_user u JOIN system_register s ON s.internal_id = u.system_internal_id \
             WHERE u.system_id = $1 AND u.seq >= $2 AND u.is_deleted = 0 ORDER BY u.seq LIMIT $3"
        ));
        let rows = sqlx::query(sql)
            .bind(system_id)
            .bind(from_seq)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Every system user changed after `after_seq` (deleted ones too), for the stream (U10);
    /// and the highest sequence number.
    pub async fn system_user_stream(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<(Vec<SystemUserRecord>, i64), StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM system_user u JOIN system_register s ON s.internal_id = u.system_internal_id \
             WHERE u.seq > $1 ORDER BY u.seq LIMIT $2"
        ));
        let rows = sqlx::query(sql)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        let max: i64 = sqlx::query_scalar("SELECT value FROM counter WHERE name = 'system_user'")
            .fetch_one(self.pool())
            .await?;
        Ok((
            rows.iter().map(user_from_row).collect::<Result<_, _>>()?,
            max,
        ))
    }

    /// The Maskinporten lookup (U9): the live system user of a live system that lists
    /// `client_id`, from `vendor_org`, for `owner_org` and `external_ref`. Two look-ups by
    /// unique key (the client id, then the system user's key), whatever the number of users.
    pub async fn system_user_for_client(
        &self,
        client_id: &str,
        vendor_org: &str,
        owner_org: &str,
        external_ref: &str,
    ) -> Result<Option<SystemUserRecord>, StoreError> {
        let system_id: Option<String> = sqlx::query_scalar(
            "SELECT s.system_id FROM system_client c JOIN system_register s ON s.internal_id = c.system_internal_id \
             WHERE c.client_id = $1 AND s.vendor_org = $2 AND s.is_deleted = 0",
        )
        .bind(client_id)
        .bind(vendor_org)
        .fetch_optional(self.pool())
        .await?;
        match system_id {
            Some(system_id) => {
                self.live_system_user(crate::domain::request::live_key(
                    &system_id,
                    owner_org,
                    external_ref,
                ))
                .await
            }
            None => Ok(None),
        }
    }
}

pub async fn insert_request(
    conn: &mut Conn,
    r: &RequestRecord,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO systemuser_request (id, system_id, party_org_no, external_ref, integration_title, rights, access_packages, \
           status, redirect_url, escalated, user_type, created_at, updated_at, is_deleted, live) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'New', $8, 0, $10, $9, $9, 0, 1)",
    )
    .bind(&r.id)
    .bind(&r.system_id)
    .bind(&r.party_org_no)
    .bind(&r.external_ref)
    .bind(&r.integration_title)
    .bind(json(&r.rights))
    .bind(json(&r.access_packages))
    .bind(r.redirect_url.as_deref())
    .bind(now)
    .bind(r.user_type.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a `New` request to `status`, once: `false` when it was no longer `New` (another
/// decision came first) or had timed out.
pub async fn decide_request(
    conn: &mut Conn,
    id: &str,
    status: RequestStatus,
    by: &str,
    not_before: Micros,
    now: Micros,
) -> Result<bool, StoreError> {
    // A rejected request keeps its key (the vendor must delete it to ask again); an accepted
    // one gives the key to the system user.
    let sql = if status == RequestStatus::Accepted {
        "UPDATE systemuser_request SET status = $2, decided_by = $3, updated_at = $5, live = 0 \
         WHERE id = $1 AND status = 'New' AND is_deleted = 0 AND created_at > $4"
    } else {
        "UPDATE systemuser_request SET status = $2, decided_by = $3, updated_at = $5 \
         WHERE id = $1 AND status = 'New' AND is_deleted = 0 AND created_at > $4"
    };
    let r = sqlx::query(sql)
        .bind(id)
        .bind(status.as_str())
        .bind(by)
        .bind(not_before)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_request(conn: &mut Conn, id: &str, now: Micros) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE systemuser_request SET is_deleted = 1, live = 0, updated_at = $2 WHERE id = $1 AND is_deleted = 0")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn insert_system_user(
    conn: &mut Conn,
    u: &SystemUserRecord,
    created_by: &str,
    now: Micros,
) -> Result<(), StoreError> {
    let seq = next_seq(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO system_user (id, system_internal_id, system_id, party_org_no, party_id, external_ref, integration_title, \
           user_type, rights, access_packages, created_at, updated_at, created_by, is_deleted, live, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, 0, 1, $13)",
    )
    .bind(&u.id)
    .bind(&u.system_internal_id)
    .bind(&u.system_id)
    .bind(&u.party_org_no)
    .bind(u.party_id)
    .bind(&u.external_ref)
    .bind(&u.integration_title)
    .bind(u.user_type.as_str())
    .bind(json(&u.rights))
    .bind(json(&u.access_packages))
    .bind(now)
    .bind(created_by)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// The next value of the system-user counter (inside the caller's transaction).
pub async fn next_seq(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE counter SET value = value + 1 WHERE name = 'system_user' RETURNING value",
    )
    .fetch_one(conn)
    .await?)
}

/// Soft-deletes a system user and the request with its key, whatever its status (errata
/// §F.21: the vendor reads it no more, and may ask again).
pub async fn delete_system_user(
    conn: &mut Conn,
    id: &str,
    key: LiveKey<'_>,
    now: Micros,
) -> Result<bool, StoreError> {
    let seq = next_seq(&mut *conn).await?;
    let r = sqlx::query("UPDATE system_user SET is_deleted = 1, live = 0, updated_at = $2, seq = $3 WHERE id = $1 AND is_deleted = 0")
        .bind(id)
        .bind(now)
        .bind(seq)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE systemuser_request SET is_deleted = 1, live = 0, updated_at = $4 \
         WHERE system_id = $1 AND party_org_no = $2 AND external_ref = $3 AND is_deleted = 0",
    )
    .bind(key.system_id)
    .bind(key.party_org_no)
    .bind(key.external_ref)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// What a live system user holds, read inside the caller's transaction after taking the next
/// sequence number: that takes the counter's row lock, which every change of a system user
/// takes first (deletion too), so nothing changes the system user until the transaction ends.
/// Returns the sequence number to write with [`replace_grants`]; `None` when it is deleted.
pub async fn grants_for_change(
    conn: &mut Conn,
    id: &str,
) -> Result<Option<(i64, Vec<Right>, Vec<PackageRef>)>, StoreError> {
    let seq = next_seq(&mut *conn).await?;
    let row = sqlx::query(
        "SELECT rights, access_packages FROM system_user WHERE id = $1 AND is_deleted = 0",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let rights = json_column("rights", &row.try_get::<String, _>("rights")?)?;
    let packages = json_column(
        "access_packages",
        &row.try_get::<String, _>("access_packages")?,
    )?;
    Ok(Some((seq, rights, packages)))
}

/// Replaces a live system user's rights and packages (an approved change request), with the
/// sequence number from [`grants_for_change`] in the same transaction.
pub async fn replace_grants(
    conn: &mut Conn,
    id: &str,
    rights: &[Right],
    packages: &[PackageRef],
    seq: i64,
    now: Micros,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE system_user SET rights = $2, access_packages = $3, updated_at = $4, seq = $5 \
         WHERE id = $1 AND is_deleted = 0",
    )
    .bind(id)
    .bind(json(&rights))
    .bind(json(&packages))
    .bind(now)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives a live system user a new name (`integrationTitle`).
pub async fn rename_system_user(
    conn: &mut Conn,
    id: &str,
    title: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let seq = next_seq(&mut *conn).await?;
    let r = sqlx::query(
        "UPDATE system_user SET integration_title = $2, updated_at = $3, seq = $4          WHERE id = $1 AND is_deleted = 0",
    )
    .bind(id)
    .bind(title)
    .bind(now)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks a `New` request as escalated to the organisation's administrators.
pub async fn escalate_request(conn: &mut Conn, id: &str, now: Micros) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE systemuser_request SET escalated = 1, updated_at = $2 WHERE id = $1 AND status = 'New' AND is_deleted = 0")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
