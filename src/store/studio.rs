//! Altinn Studio accounts: users and organisations (one namespace), external eID links, teams
//! and members, applications, sessions, used captchas and organisation requests.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Conn, Store, StoreError, bool_to_int, json_column};
use crate::clock::Micros;

pub const KIND_USER: i64 = 0;
pub const KIND_ORG: i64 = 1;

/// A user or an organisation (Gitea keeps both in `user`).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub kind: i64,
    pub name: String,
    pub full_name: String,
    pub email: String,
    pub passwd: String,
    pub rands: String,
    pub is_active: bool,
    pub is_admin: bool,
    pub login_source: String,
    pub description: String,
    pub website: String,
    pub location: String,
    pub org_number: Option<String>,
    pub service_owner: bool,
    pub created_at: Micros,
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub full_name: &'a str,
    pub email: &'a str,
    pub passwd: &'a str,
    pub rands: &'a str,
    pub login_source: &'a str,
    pub login_name: &'a str,
    pub signup_ip: Option<&'a str>,
    pub signup_agent: Option<&'a str>,
}

pub struct NewOrg<'a> {
    pub name: &'a str,
    pub full_name: &'a str,
    pub org_number: Option<&'a str>,
    pub service_owner: bool,
    pub description: &'a str,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub permission: String,
    pub includes_all_repositories: bool,
    pub can_create_org_repo: bool,
    /// Access per repository unit; empty for every unit at `permission`.
    pub units_map: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub name: String,
    pub description: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub kind: String,
    pub user_id: Option<i64>,
    pub data: Value,
    pub csrf: String,
    pub expires_at: Micros,
}

#[derive(Debug, Clone)]
pub struct OrgRequest {
    pub id: String,
    pub requester_id: i64,
    pub requester_name: String,
    pub requester_email: String,
    pub short_name: String,
    pub full_name: String,
    pub org_number: String,
    pub admin_name: String,
    pub service_owner: bool,
    pub status: String,
    pub reason: String,
    pub created_at: Micros,
}

const ACCOUNT_COLUMNS: &str = "id, kind, name, full_name, email, passwd, rands, is_active, is_admin, login_source, description, website, location, org_number, service_owner, created_at";

fn account(row: &AnyRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        passwd: row.try_get("passwd")?,
        rands: row.try_get("rands")?,
        is_active: row.try_get::<i64, _>("is_active")? != 0,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        login_source: row.try_get("login_source")?,
        description: row.try_get("description")?,
        website: row.try_get("website")?,
        location: row.try_get("location")?,
        org_number: row.try_get("org_number")?,
        service_owner: row.try_get::<i64, _>("service_owner")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

const TEAM_COLUMNS: &str = "t.id, t.org_id, t.name, t.description, t.permission, t.includes_all_repositories, t.can_create_org_repo, t.units_map";

fn team(row: &AnyRow) -> Result<Team, StoreError> {
    Ok(Team {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        permission: row.try_get("permission")?,
        includes_all_repositories: row.try_get::<i64, _>("includes_all_repositories")? != 0,
        can_create_org_repo: row.try_get::<i64, _>("can_create_org_repo")? != 0,
        units_map: match row.try_get::<String, _>("units_map")?.as_str() {
            "" => Default::default(),
            text => super::json_column("units_map", text)?,
        },
    })
}

fn request(row: &AnyRow) -> Result<OrgRequest, StoreError> {
    Ok(OrgRequest {
        id: row.try_get("id")?,
        requester_id: row.try_get("requester_id")?,
        requester_name: row.try_get("requester_name")?,
        requester_email: row.try_get("requester_email")?,
        short_name: row.try_get("short_name")?,
        full_name: row.try_get("full_name")?,
        org_number: row.try_get("org_number")?,
        admin_name: row.try_get("admin_name")?,
        service_owner: row.try_get::<i64, _>("service_owner")? != 0,
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
    })
}

/// An account by lower-case name, in a transaction.
pub async fn account_by_name_in(
    conn: &mut Conn,
    lower_name: &str,
) -> Result<Option<Account>, StoreError> {
    // PostgreSQL refuses NUL in text; no name contains one.
    if lower_name.contains('\0') {
        return Ok(None);
    }
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE lower_name = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lower_name)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(account)
        .transpose()
}

/// Creates a user; a unique violation means the name or e-mail was taken meanwhile.
pub async fn insert_user(conn: &mut Conn, u: &NewUser<'_>, now: Micros) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO studio_user (kind, name, lower_name, full_name, email, passwd, rands, is_active, \
         login_source, login_name, signup_ip, signup_agent, created_at, updated_at) \
         VALUES (0, $1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(u.name)
    .bind(u.name.to_lowercase())
    .bind(u.full_name)
    .bind(u.email.to_lowercase())
    .bind(u.passwd)
    .bind(u.rands)
    .bind(u.login_source)
    .bind(u.login_name)
    .bind(u.signup_ip)
    .bind(u.signup_agent)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub async fn link_external(
    conn: &mut Conn,
    source: &str,
    external_id: &str,
    user_id: i64,
    pid_hash: &str,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO studio_external_login (source, external_id, user_id, pid_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(source)
        .bind(external_id)
        .bind(user_id)
        .bind(pid_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates an organisation with its environments; returns its id.
pub async fn insert_org(
    conn: &mut Conn,
    o: &NewOrg<'_>,
    envs: &[&str],
    now: Micros,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO studio_user (kind, name, lower_name, full_name, is_active, description, org_number, service_owner, created_at, updated_at) \
         VALUES (1, $1, $2, $3, 1, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(o.name)
    .bind(o.name.to_lowercase())
    .bind(o.full_name)
    .bind(o.description)
    .bind(o.org_number)
    .bind(bool_to_int(o.service_owner))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get(0)?;
    for env in envs {
        sqlx::query("INSERT INTO studio_org_env (org_id, env) VALUES ($1, $2)")
            .bind(id)
            .bind(*env)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// A team to create.
pub struct NewTeam<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permission: &'a str,
    pub can_create_org_repo: bool,
    /// Access per repository unit; empty for every unit at `permission`.
    pub units_map: &'a std::collections::BTreeMap<String, String>,
}

pub async fn insert_team(
    conn: &mut Conn,
    org_id: i64,
    t: &NewTeam<'_>,
    now: Micros,
) -> Result<i64, StoreError> {
    let NewTeam {
        name,
        description,
        permission,
        can_create_org_repo,
        units_map,
    } = *t;
    let units = if units_map.is_empty() {
        String::new()
    } else {
        serde_json::to_string(units_map).unwrap_or_default()
    };
    let row = sqlx::query(
        "INSERT INTO studio_team (org_id, name, lower_name, description, permission, includes_all_repositories, can_create_org_repo, created_at, units_map) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(description)
    .bind(permission)
    .bind(bool_to_int(can_create_org_repo))
    .bind(now)
    .bind(units)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Adds a member; a unique violation means the user already is one.
pub async fn insert_team_member(
    conn: &mut Conn,
    team: &Team,
    user_id: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO studio_team_user (team_id, user_id, org_id) VALUES ($1, $2, $3)")
        .bind(team.id)
        .bind(user_id)
        .bind(team.org_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a member; false when the user was not one.
pub async fn delete_team_member(
    conn: &mut Conn,
    team_id: i64,
    user_id: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM studio_team_user WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks a team's row until the transaction ends (a no-op update takes the row lock).
pub async fn lock_team(conn: &mut Conn, team_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE studio_team SET created_at = created_at WHERE id = $1")
        .bind(team_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count_team_members(conn: &mut Conn, team_id: i64) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM studio_team_user WHERE team_id = $1")
        .bind(team_id)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

pub async fn team_by_id_in(conn: &mut Conn, id: i64) -> Result<Option<Team>, StoreError> {
    let sql = format!("SELECT {TEAM_COLUMNS} FROM studio_team t WHERE t.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(team)
        .transpose()
}

pub async fn decide_org_request(
    conn: &mut Conn,
    id: &str,
    status: &str,
    reason: &str,
    decided_by: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE studio_org_request SET status = $1, reason = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(reason)
    .bind(decided_by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    pub async fn studio_account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(account)
            .transpose()
    }

    /// Users and organisations by id, in a fixed number of queries.
    pub async fn studio_accounts_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, Account>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(super::IN_LIST_MAX) {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE id IN ({})",
                super::placeholders(chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                let a = account(&row)?;
                out.insert(a.id, a);
            }
        }
        Ok(out)
    }

    /// A user or organisation by name, case-insensitively.
    pub async fn studio_account_by_name(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        account_by_name_in(&mut conn, &name.to_lowercase()).await
    }

    pub async fn studio_user_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        if email.contains('\0') {
            return Ok(None);
        }
        let sql =
            format!("SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE email = $1 AND kind = 0");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email.to_lowercase())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(account)
            .transpose()
    }

    pub async fn studio_user_by_external(
        &self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE id = \
             (SELECT user_id FROM studio_external_login WHERE source = $1 AND external_id = $2)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source)
            .bind(external_id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(account)
            .transpose()
    }

    pub async fn studio_accounts(&self, kind: i64) -> Result<Vec<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE kind = $1 ORDER BY lower_name"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(account)
            .collect()
    }

    /// Activates a user if its `rands` is still `old_rands` (so a code works once).
    pub async fn activate_studio_user(
        &self,
        id: i64,
        old_rands: &str,
        new_rands: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE studio_user SET is_active = 1, rands = $1, updated_at = $2, last_login_at = $2 \
             WHERE id = $3 AND rands = $4 AND is_active = 0",
        )
        .bind(new_rands)
        .bind(now)
        .bind(id)
        .bind(old_rands)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes the e-mail of an inactive user (invalidating earlier codes by new `rands`).
    pub async fn set_studio_email(
        &self,
        id: i64,
        email: &str,
        rands: &str,
        now: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE studio_user SET email = $1, rands = $2, updated_at = $3 WHERE id = $4")
            .bind(email.to_lowercase())
            .bind(rands)
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Claims the right to send an activation mail now: true unless one was sent after
    /// `not_after` (the resend limit), atomically across instances.
    pub async fn claim_studio_mail(
        &self,
        id: i64,
        now: Micros,
        not_after: Micros,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE studio_user SET last_mail_at = $1 WHERE id = $2 AND (last_mail_at IS NULL OR last_mail_at <= $3)",
        )
        .bind(now)
        .bind(id)
        .bind(not_after)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn touch_studio_login(&self, id: i64, now: Micros) -> Result<(), StoreError> {
        sqlx::query("UPDATE studio_user SET last_login_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn studio_org_envs(&self, org_id: i64) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT env FROM studio_org_env WHERE org_id = $1 ORDER BY env DESC")
                .bind(org_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| Ok(r.try_get("env")?)).collect()
    }

    /// The environments of every organisation, by organisation id (one query).
    pub async fn studio_envs_by_org(&self) -> Result<HashMap<i64, Vec<String>>, StoreError> {
        let rows = sqlx::query("SELECT org_id, env FROM studio_org_env ORDER BY org_id, env DESC")
            .fetch_all(self.pool())
            .await?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for r in rows {
            out.entry(r.try_get("org_id")?)
                .or_default()
                .push(r.try_get("env")?);
        }
        Ok(out)
    }

    /// Organisations the user is a member of (through any team).
    pub async fn studio_orgs_of(&self, user_id: i64) -> Result<Vec<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE kind = 1 AND id IN \
             (SELECT org_id FROM studio_team_user WHERE user_id = $1) ORDER BY lower_name"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(account)
            .collect()
    }

    pub async fn studio_teams(&self, org_id: i64) -> Result<Vec<Team>, StoreError> {
        let sql =
            format!("SELECT {TEAM_COLUMNS} FROM studio_team t WHERE t.org_id = $1 ORDER BY t.id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(team)
            .collect()
    }

    pub async fn studio_team(&self, id: i64) -> Result<Option<Team>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        team_by_id_in(&mut conn, id).await
    }

    pub async fn studio_team_by_name(
        &self,
        org_id: i64,
        name: &str,
    ) -> Result<Option<Team>, StoreError> {
        let sql = format!(
            "SELECT {TEAM_COLUMNS} FROM studio_team t WHERE t.org_id = $1 AND t.lower_name = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org_id)
            .bind(name.to_lowercase())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(team)
            .transpose()
    }

    /// The user's teams (in every organisation).
    pub async fn studio_teams_of(&self, user_id: i64) -> Result<Vec<Team>, StoreError> {
        let sql = format!(
            "SELECT {TEAM_COLUMNS} FROM studio_team t JOIN studio_team_user m ON m.team_id = t.id \
             WHERE m.user_id = $1 ORDER BY t.org_id, t.id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(team)
            .collect()
    }

    pub async fn studio_team_members(&self, team_id: i64) -> Result<Vec<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE id IN \
             (SELECT user_id FROM studio_team_user WHERE team_id = $1) ORDER BY lower_name"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(account)
            .collect()
    }

    /// How many members each of the organisation's teams has, by team id (one query).
    pub async fn studio_team_member_counts(
        &self,
        org_id: i64,
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT team_id, COUNT(*) AS members FROM studio_team_user WHERE org_id = $1 GROUP BY team_id",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            out.insert(r.try_get("team_id")?, r.try_get("members")?);
        }
        Ok(out)
    }

    pub async fn studio_org_members(&self, org_id: i64) -> Result<Vec<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM studio_user WHERE id IN \
             (SELECT user_id FROM studio_team_user WHERE org_id = $1) ORDER BY lower_name"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(account)
            .collect()
    }

    pub async fn insert_studio_repo(
        &self,
        owner_id: i64,
        name: &str,
        description: &str,
        created_by: i64,
        now: Micros,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO studio_repo (owner_id, name, lower_name, description, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(owner_id)
        .bind(name)
        .bind(name.to_lowercase())
        .bind(description)
        .bind(created_by)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The Altinn org code of the organisation `org_no`: from the reference data's service
    /// owners, else from a Studio organisation marked as service owner.
    pub async fn service_owner_code(&self, org_no: &str) -> Result<Option<String>, StoreError> {
        let imported: Option<String> =
            sqlx::query_scalar("SELECT code FROM service_owner WHERE org_no = $1")
                .bind(org_no)
                .fetch_optional(self.pool())
                .await?;
        if imported.is_some() {
            return Ok(imported);
        }
        Ok(sqlx::query_scalar(
            "SELECT name FROM studio_user WHERE kind = $1 AND service_owner = 1 AND org_number = $2 \
             ORDER BY id LIMIT 1",
        )
        .bind(KIND_ORG)
        .bind(org_no)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Applications owned by any of `owner_ids`, newest first.
    pub async fn studio_repos(&self, owner_ids: &[i64]) -> Result<Vec<Repo>, StoreError> {
        if owner_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = owner_ids.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT r.id, r.owner_id, u.name AS owner_name, r.name, r.description, r.created_at \
             FROM studio_repo r JOIN studio_user u ON u.id = r.owner_id \
             WHERE r.owner_id IN ({}) ORDER BY r.created_at DESC, r.id DESC",
            list.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Repo {
                    id: r.try_get("id")?,
                    owner_id: r.try_get("owner_id")?,
                    owner_name: r.try_get("owner_name")?,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn insert_studio_session(
        &self,
        id_hash: &str,
        s: &Session,
        device: &super::studio_account::Device,
        now: Micros,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO studio_session (id_hash, kind, user_id, data, csrf, created_at, expires_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id_hash)
            .bind(&s.kind)
            .bind(s.user_id)
            .bind(s.data.to_string())
            .bind(&s.csrf)
            .bind(now)
            .bind(s.expires_at)
            .bind(&device.user_agent)
            .bind(&device.ip)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn studio_session(
        &self,
        id_hash: &str,
        kind: &str,
        now: Micros,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT kind, user_id, data, csrf, expires_at FROM studio_session WHERE id_hash = $1 AND kind = $2 AND expires_at > $3")
            .bind(id_hash)
            .bind(kind)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(Session {
                kind: r.try_get("kind")?,
                user_id: r.try_get("user_id")?,
                data: json_column("data", &r.try_get::<String, _>("data")?)?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn update_studio_session_data(
        &self,
        id_hash: &str,
        data: &Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE studio_session SET data = $1 WHERE id_hash = $2")
            .bind(data.to_string())
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_studio_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM studio_session WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends every session of a user of one kind (consent revoked, log-out everywhere).
    pub async fn delete_studio_sessions_of(
        &self,
        user_id: i64,
        kind: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM studio_session WHERE user_id = $1 AND kind = $2")
            .bind(user_id)
            .bind(kind)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Remembers an answered captcha; false when it was answered before.
    pub async fn use_captcha(
        &self,
        challenge: &str,
        expires_at: Micros,
    ) -> Result<bool, StoreError> {
        let result =
            sqlx::query("INSERT INTO studio_captcha_used (challenge, expires_at) VALUES ($1, $2)")
                .bind(challenge)
                .bind(expires_at)
                .execute(self.pool())
                .await
                .map_err(StoreError::from);
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes expired sessions and captcha records; returns how many.
    pub async fn purge_studio(&self, now: Micros) -> Result<u64, StoreError> {
        let a = sqlx::query("DELETE FROM studio_session WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        let b = sqlx::query("DELETE FROM studio_captcha_used WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        let c = sqlx::query("DELETE FROM studio_oauth_code WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(a.rows_affected() + b.rows_affected() + c.rows_affected())
    }

    pub async fn insert_org_request(&self, r: &OrgRequest) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO studio_org_request (id, requester_id, short_name, full_name, org_number, admin_name, service_owner, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
        )
        .bind(&r.id)
        .bind(r.requester_id)
        .bind(&r.short_name)
        .bind(&r.full_name)
        .bind(&r.org_number)
        .bind(&r.admin_name)
        .bind(bool_to_int(r.service_owner))
        .bind(r.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Organisation requests: pending first, then the latest decided.
    pub async fn org_requests(
        &self,
        requester: Option<i64>,
    ) -> Result<Vec<OrgRequest>, StoreError> {
        let filter = if requester.is_some() {
            "WHERE r.requester_id = $1"
        } else {
            "WHERE r.requester_id <> $1"
        };
        let sql = format!(
            "SELECT r.id, r.requester_id, u.name AS requester_name, u.email AS requester_email, r.short_name, r.full_name, \
             r.org_number, r.admin_name, r.service_owner, r.status, r.reason, r.created_at \
             FROM studio_org_request r JOIN studio_user u ON u.id = r.requester_id {filter} \
             ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, r.created_at DESC LIMIT 200"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(requester.unwrap_or(-1))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(request)
            .collect()
    }

    pub async fn org_request(&self, id: &str) -> Result<Option<OrgRequest>, StoreError> {
        sqlx::query(
            "SELECT r.id, r.requester_id, u.name AS requester_name, u.email AS requester_email, r.short_name, r.full_name, \
             r.org_number, r.admin_name, r.service_owner, r.status, r.reason, r.created_at \
             FROM studio_org_request r JOIN studio_user u ON u.id = r.requester_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(request)
        .transpose()
    }
}

/// Which accounts [`Store::purge_unactivated`] removes: individuals never activated whose last
/// activation mail (or sign-up) is older than the cutoff `$1`, and that nothing refers to.
const UNACTIVATED: &str = "SELECT id FROM studio_user u WHERE u.kind = 0 AND u.is_active = 0 \
     AND COALESCE(u.last_mail_at, u.created_at) < $1 \
     AND NOT EXISTS (SELECT 1 FROM studio_team_user t WHERE t.user_id = u.id) \
     AND NOT EXISTS (SELECT 1 FROM studio_repo r WHERE r.owner_id = u.id) \
     AND NOT EXISTS (SELECT 1 FROM studio_oauth_grant g WHERE g.user_id = u.id) \
     AND NOT EXISTS (SELECT 1 FROM studio_org_request o WHERE o.requester_id = u.id)";

impl Store {
    /// Removes accounts whose activation expired before `cutoff` (at most 500 a run), with
    /// their eID links and sessions, so that the user name and e-mail address may sign up
    /// again. Each account goes in a transaction of its own that deletes the account only if
    /// it is still unactivated then (one that activates meanwhile keeps everything). Returns
    /// how many accounts went.
    pub async fn purge_unactivated(&self, cutoff: Micros) -> Result<u64, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "{UNACTIVATED} ORDER BY id LIMIT 500"
        )))
        .bind(cutoff)
        .fetch_all(self.pool())
        .await?;
        let mut n = 0;
        for id in ids {
            let mut tx = self.begin().await?;
            // The links go first (they refer to the account); if the account is no longer to
            // be removed, the transaction is dropped and they stay.
            for table in ["studio_external_login", "studio_session"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE user_id = $1"
                )))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            let deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM studio_user WHERE id = $2 AND id IN ({UNACTIVATED})"
            )))
            .bind(cutoff)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if deleted == 1 {
                tx.commit().await?;
                n += 1;
            }
        }
        Ok(n)
    }
}
