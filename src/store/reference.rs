//! Organisations, persons, roles, access packages and resources.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{BULK_ROWS, Conn, Store, StoreError};
use crate::clock::Micros;
use crate::domain::OrgNumber;
use crate::domain::reference::{Organization, PartyRef, Person};

/// A party as stored: its public identifier with Altinn's numeric and UUID party ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyRecord {
    pub party_id: i64,
    pub party_uuid: String,
    pub kind: String,
    pub org_no: Option<String>,
    pub pid: Option<String>,
    pub name: String,
    pub org_form: Option<String>,
}

pub(super) fn party_from_row(row: &AnyRow) -> Result<PartyRecord, StoreError> {
    Ok(PartyRecord {
        party_id: row.try_get("party_id")?,
        party_uuid: row.try_get("party_uuid")?,
        kind: row.try_get("kind")?,
        org_no: row.try_get("org_no")?,
        pid: row.try_get("pid")?,
        name: row.try_get("name")?,
        org_form: row.try_get("org_form")?,
    })
}

/// Inserts or updates organisations, keeping their party ids, in one statement per
/// [`BULK_ROWS`]; returns their party ids by organisation number.
pub async fn upsert_organizations(
    conn: &mut Conn,
    orgs: &[Organization],
    now: Micros,
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(orgs.len());
    for chunk in orgs.chunks(BULK_ROWS) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO party (party_uuid, kind, org_no, name, org_form, created_at, updated_at) \
             VALUES {} \
             ON CONFLICT (org_no) DO UPDATE SET name = excluded.name, org_form = excluded.org_form, \
               updated_at = excluded.updated_at \
             RETURNING party_id, org_no",
            super::value_rows(chunk.len(), 7)
        ));
        let mut q = sqlx::query(sql);
        for org in chunk {
            q = q
                .bind(Uuid::new_v4().to_string())
                .bind("org")
                .bind(org.org_no.as_str())
                .bind(&org.name)
                .bind(&org.org_form)
                .bind(now)
                .bind(now);
        }
        for row in q.fetch_all(&mut *conn).await? {
            ids.insert(row.try_get("org_no")?, row.try_get("party_id")?);
        }
    }
    Ok(ids)
}

/// Inserts or updates persons, keeping their party ids, in one statement per [`BULK_ROWS`];
/// returns their party ids by national identity number.
pub async fn upsert_persons(
    conn: &mut Conn,
    persons: &[Person],
    now: Micros,
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(persons.len());
    for chunk in persons.chunks(BULK_ROWS) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO party (party_uuid, kind, pid, name, created_at, updated_at) \
             VALUES {} \
             ON CONFLICT (pid) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at \
             RETURNING party_id, pid",
            super::value_rows(chunk.len(), 6)
        ));
        let mut q = sqlx::query(sql);
        for person in chunk {
            q = q
                .bind(Uuid::new_v4().to_string())
                .bind("person")
                .bind(person.pid.as_str())
                .bind(&person.name)
                .bind(now)
                .bind(now);
        }
        for row in q.fetch_all(&mut *conn).await? {
            ids.insert(row.try_get("pid")?, row.try_get("party_id")?);
        }
    }
    Ok(ids)
}

/// The party id of an organisation or person, if known.
pub async fn party_id_of(conn: &mut Conn, party: &PartyRef) -> Result<Option<i64>, StoreError> {
    let (sql, key) = match party {
        PartyRef::Org(o) => ("SELECT party_id FROM party WHERE org_no = $1", o.as_str()),
        PartyRef::Person(p) => ("SELECT party_id FROM party WHERE pid = $1", p.as_str()),
    };
    Ok(sqlx::query_scalar(sql)
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// Records that `from` has `to` as holder of `role`; does nothing when already recorded.
impl Store {
    /// Refreshes the planner's statistics of the parties and their relations (PostgreSQL
    /// `ANALYZE`; SQLite's planner needs none for these tables).
    pub async fn analyze_reference_tables(&self) -> Result<(), StoreError> {
        if self.engine() == super::Engine::Postgres {
            sqlx::raw_sql("ANALYZE party, party_role, package_delegation")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }
}

/// Inserts roles `(from, role, to)` that are not there yet, in one statement per
/// [`BULK_ROWS`].
pub async fn insert_roles(
    conn: &mut Conn,
    roles: &[(i64, &str, i64)],
    now: Micros,
) -> Result<(), StoreError> {
    for chunk in roles.chunks(BULK_ROWS) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO party_role (from_party, role, to_party, created_at) VALUES {} \
             ON CONFLICT (from_party, role, to_party) DO NOTHING",
            super::value_rows(chunk.len(), 4)
        ));
        let mut q = sqlx::query(sql);
        for (from, role, to) in chunk {
            q = q.bind(*from).bind(*role).bind(*to).bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn insert_role(
    conn: &mut Conn,
    from: i64,
    role: &str,
    to: i64,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO party_role (from_party, role, to_party, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (from_party, role, to_party) DO NOTHING",
    )
    .bind(from)
    .bind(role)
    .bind(to)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Whether any organisation is stored.
    pub async fn has_organizations(&self) -> Result<bool, StoreError> {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM party WHERE kind = 'org' LIMIT 1) AS one",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(found > 0)
    }

    pub async fn organization(
        &self,
        org_no: &OrgNumber,
    ) -> Result<Option<PartyRecord>, StoreError> {
        let row = sqlx::query("SELECT party_id, party_uuid, kind, org_no, pid, name, org_form FROM party WHERE org_no = $1")
            .bind(org_no.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(party_from_row).transpose()
    }

    pub async fn organization_by_party_id(
        &self,
        party_id: i64,
    ) -> Result<Option<PartyRecord>, StoreError> {
        let row = sqlx::query("SELECT party_id, party_uuid, kind, org_no, pid, name, org_form FROM party WHERE party_id = $1 AND kind = 'org'")
            .bind(party_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(party_from_row).transpose()
    }

    pub async fn person(
        &self,
        pid: &crate::domain::Pid,
    ) -> Result<Option<PartyRecord>, StoreError> {
        let row = sqlx::query("SELECT party_id, party_uuid, kind, org_no, pid, name, org_form FROM party WHERE pid = $1")
            .bind(pid.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(party_from_row).transpose()
    }

    /// Whether the person is daglig leder, styreleder or innehaver of the organisation.
    pub async fn is_main_administrator(&self, pid: &str, org_no: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM party_role r JOIN party p ON p.party_id = r.to_party JOIN party o ON o.party_id = r.from_party \
             WHERE p.pid = $1 AND o.org_no = $2 AND r.role IN ('daglig-leder', 'styreleder', 'innehaver') LIMIT 1",
        )
        .bind(pid)
        .bind(org_no)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// Whether the person may answer for the organisation: a main administrator, or an access
    /// manager (`tilgangsstyrer`) one of them appointed.
    pub async fn has_authority_role(&self, pid: &str, org_no: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM party_role r JOIN party p ON p.party_id = r.to_party JOIN party o ON o.party_id = r.from_party \
             WHERE p.pid = $1 AND o.org_no = $2 AND r.role IN ('daglig-leder', 'styreleder', 'innehaver', 'tilgangsstyrer') LIMIT 1",
        )
        .bind(pid)
        .bind(org_no)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// Whether the person may manage the organisation's clients (errata §D.13): a main
    /// administrator, or a client administrator (`klientadministrator`).
    pub async fn is_client_administrator(
        &self,
        pid: &str,
        org_no: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM party_role r JOIN party p ON p.party_id = r.to_party JOIN party o ON o.party_id = r.from_party \
             WHERE p.pid = $1 AND o.org_no = $2 AND r.role IN ('daglig-leder', 'styreleder', 'innehaver', 'klientadministrator') LIMIT 1",
        )
        .bind(pid)
        .bind(org_no)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// The organisation's access managers: (pid, name).
    pub async fn access_managers(&self, org_no: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.pid AS pid, p.name AS name FROM party_role r JOIN party p ON p.party_id = r.to_party \
             JOIN party o ON o.party_id = r.from_party WHERE o.org_no = $1 AND r.role = 'tilgangsstyrer' ORDER BY p.name",
        )
        .bind(org_no)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("pid")?, r.try_get("name")?)))
            .collect()
    }

    /// Whether the person holds any role for the organisation (it is among their parties).
    pub async fn has_any_role(&self, pid: &str, org_no: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM party_role r JOIN party p ON p.party_id = r.to_party JOIN party o ON o.party_id = r.from_party \
             WHERE p.pid = $1 AND o.org_no = $2 LIMIT 1",
        )
        .bind(pid)
        .bind(org_no)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// The organisations the person is daglig leder, styreleder or innehaver of.
    pub async fn organizations_represented(
        &self,
        pid: &str,
    ) -> Result<Vec<PartyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT o.party_id AS party_id, o.party_uuid AS party_uuid, o.kind AS kind, o.org_no AS org_no, o.pid AS pid, \
                    o.name AS name, o.org_form AS org_form \
             FROM party_role r JOIN party p ON p.party_id = r.to_party JOIN party o ON o.party_id = r.from_party \
             WHERE p.pid = $1 AND r.role IN ('daglig-leder', 'styreleder', 'innehaver', 'tilgangsstyrer') ORDER BY o.name",
        )
        .bind(pid)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(party_from_row).collect()
    }

    /// The names of the organisations `org_nos` that the register has, by organisation number,
    /// in one query per [`super::IN_LIST_MAX`] numbers.
    pub async fn organization_names(
        &self,
        org_nos: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut out = HashMap::new();
        for chunk in org_nos.chunks(super::IN_LIST_MAX) {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT org_no, name FROM party WHERE kind = 'org' AND org_no IN ({})",
                super::placeholders(chunk.len())
            ));
            let mut query = sqlx::query(sql);
            for org in chunk {
                query = query.bind(*org);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.insert(row.try_get("org_no")?, row.try_get("name")?);
            }
        }
        Ok(out)
    }

    /// How many rows each reference table holds.
    pub async fn reference_counts(&self) -> Result<ReferenceCounts, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM party WHERE kind = 'org') AS organizations, \
                    (SELECT COUNT(*) FROM party WHERE kind = 'person') AS persons, \
                    (SELECT COUNT(*) FROM party_role) AS roles, \
                    (SELECT COUNT(*) FROM access_package) AS access_packages, \
                    (SELECT COUNT(*) FROM resource) AS resources",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(ReferenceCounts {
            organizations: row.try_get("organizations")?,
            persons: row.try_get("persons")?,
            roles: row.try_get("roles")?,
            access_packages: row.try_get("access_packages")?,
            resources: row.try_get("resources")?,
        })
    }

    /// Persons with a main-administrator role (daglig leder, styreleder, innehaver) and the
    /// organisations they may act for, ordered by person name.
    pub async fn main_administrators(&self, limit: i64) -> Result<Vec<Representative>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.pid AS pid, p.name AS person_name, r.role AS role, o.org_no AS org_no, o.name AS org_name \
             FROM party_role r \
             JOIN party p ON p.party_id = r.to_party AND p.kind = 'person' \
             JOIN party o ON o.party_id = r.from_party \
             WHERE r.role IN ('daglig-leder', 'styreleder', 'innehaver') \
             ORDER BY p.name, p.pid, o.name LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Representative {
                    pid: row.try_get("pid")?,
                    person_name: row.try_get("person_name")?,
                    role: row.try_get("role")?,
                    org_no: row.try_get("org_no")?,
                    org_name: row.try_get("org_name")?,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceCounts {
    pub organizations: i64,
    pub persons: i64,
    pub roles: i64,
    pub access_packages: i64,
    pub resources: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Representative {
    pub pid: String,
    pub person_name: String,
    pub role: String,
    pub org_no: String,
    pub org_name: String,
}

/// Removes a role; returns whether it was there.
pub async fn delete_role(
    conn: &mut Conn,
    from: i64,
    role: &str,
    to: i64,
) -> Result<bool, StoreError> {
    let r =
        sqlx::query("DELETE FROM party_role WHERE from_party = $1 AND role = $2 AND to_party = $3")
            .bind(from)
            .bind(role)
            .bind(to)
            .execute(conn)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// Records that `from` gave `to` the access package `package` directly; idempotent. Returns
/// whether it is new.
pub async fn insert_package_delegation(
    conn: &mut Conn,
    from: i64,
    to: i64,
    package: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO package_delegation (from_party, to_party, package, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (from_party, to_party, package) DO NOTHING",
    )
    .bind(from)
    .bind(to)
    .bind(package)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Withdraws a direct package delegation; returns whether it was there.
pub async fn delete_package_delegation(
    conn: &mut Conn,
    from: i64,
    to: i64,
    package: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "DELETE FROM package_delegation WHERE from_party = $1 AND to_party = $2 AND package = $3",
    )
    .bind(from)
    .bind(to)
    .bind(package)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
