//! What the decision API reads: a resource's policy with its packages, the party a request
//! names, the system user (or person) asking, and an agent's client delegation. Every look-up
//! is by a key column, so a decision costs a few indexed reads whatever the register's size.

use sqlx::Row;

use super::reference::{PartyRecord, party_from_row};
use super::{Store, StoreError, json_column};
use crate::domain::agent::ClientRelation;
use crate::domain::reference::ClientRole;
use crate::domain::system::{PackageRef, Right};
use crate::domain::xacml::Party;

/// An access package a resource names, with what decides who holds it.
#[derive(Debug, Clone)]
pub struct PolicyPackage {
    pub urn: String,
    /// Unknown to the catalogue (imported later, or removed): nobody holds it.
    pub known: bool,
    pub is_assignable: bool,
    pub client_roles: Vec<ClientRole>,
}

#[derive(Debug, Clone)]
pub struct ResourcePolicyRow {
    /// The service owner's org code, when the resource names one.
    pub owner: Option<String>,
    pub actions: Vec<String>,
    pub packages: Vec<PolicyPackage>,
}

/// A system user as a decision needs it.
#[derive(Debug, Clone)]
pub struct DecisionSystemUser {
    pub user_type: String,
    pub party_id: i64,
    pub party_org_no: String,
    pub rights: Vec<Right>,
    pub access_packages: Vec<PackageRef>,
    pub is_deleted: bool,
}

const PARTY_COLUMNS: &str = "party_id, party_uuid, kind, org_no, pid, name, org_form";

impl Store {
    pub async fn resource_policy(&self, id: &str) -> Result<Option<ResourcePolicyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.owner AS owner, r.actions AS actions, rp.package AS package, ap.urn AS known, \
               ap.is_assignable AS is_assignable, ap.client_roles AS client_roles \
             FROM resource r LEFT JOIN resource_package rp ON rp.resource_id = r.id \
             LEFT JOIN access_package ap ON ap.urn = rp.package WHERE r.id = $1",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut policy = ResourcePolicyRow {
            owner: first.try_get("owner")?,
            actions: json_column("actions", &first.try_get::<String, _>("actions")?)?,
            packages: Vec::new(),
        };
        for row in &rows {
            let Some(urn) = row.try_get::<Option<String>, _>("package")? else {
                continue;
            };
            let known = row.try_get::<Option<String>, _>("known")?.is_some();
            policy.packages.push(PolicyPackage {
                urn,
                known,
                is_assignable: known && row.try_get::<Option<i64>, _>("is_assignable")? == Some(1),
                client_roles: match row.try_get::<Option<String>, _>("client_roles")? {
                    Some(j) => json_column("client_roles", &j)?,
                    None => Vec::new(),
                },
            });
        }
        Ok(Some(policy))
    }

    /// The party a request names, by whichever key it gave.
    pub async fn decision_party(&self, party: &Party) -> Result<Option<PartyRecord>, StoreError> {
        let (column, text, number) = match party {
            Party::Org(o) => ("org_no", Some(o.as_str().to_owned()), None),
            Party::Person(p) => ("pid", Some(p.as_str().to_owned()), None),
            Party::PartyUuid(u) => ("party_uuid", Some(u.to_string()), None),
            Party::PartyId(id) => ("party_id", None, Some(*id)),
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PARTY_COLUMNS} FROM party WHERE {column} = $1"
        ));
        let query = sqlx::query(sql);
        let query = match (text, number) {
            (Some(t), _) => query.bind(t),
            (None, Some(n)) => query.bind(n),
            (None, None) => return Ok(None),
        };
        query
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(party_from_row)
            .transpose()
    }

    pub async fn decision_system_user(
        &self,
        id: &str,
    ) -> Result<Option<DecisionSystemUser>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT su.user_type AS user_type, su.party_id AS party_id, su.party_org_no AS party_org_no, \
               su.rights AS rights, su.access_packages AS access_packages, \
               CAST(CASE WHEN su.is_deleted <> 0 OR sr.is_deleted <> 0 THEN 1 ELSE 0 END AS BIGINT) AS is_deleted \
             FROM system_user su JOIN system_register sr ON sr.internal_id = su.system_internal_id \
             WHERE su.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(DecisionSystemUser {
            user_type: row.try_get("user_type")?,
            party_id: row.try_get("party_id")?,
            party_org_no: row.try_get("party_org_no")?,
            rights: json_column("rights", &row.try_get::<String, _>("rights")?)?,
            access_packages: json_column(
                "access_packages",
                &row.try_get::<String, _>("access_packages")?,
            )?,
            // A system user of a deleted system acts for no one.
            is_deleted: row.try_get::<i64, _>("is_deleted")? != 0,
        }))
    }

    /// Whether the agent system user has the client (a client delegation), and what the client
    /// gives the facilitator now (its roles towards it and its direct package delegations), in
    /// one query.
    pub async fn agent_client(
        &self,
        agent_id: &str,
        facilitator: i64,
        client: i64,
    ) -> Result<Option<ClientRelation>, StoreError> {
        let rows = sqlx::query(
            "SELECT CAST(CASE WHEN d.agent_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS delegated, \
               COALESCE(c.org_form, '') AS org_form, r.role AS role, pd.package AS package \
             FROM party c \
             LEFT JOIN client_delegation d ON d.agent_id = $1 AND d.client_party = c.party_id \
             LEFT JOIN party_role r ON r.from_party = c.party_id AND r.to_party = $2 \
             LEFT JOIN package_delegation pd ON pd.from_party = c.party_id AND pd.to_party = $2 \
             WHERE c.party_id = $3",
        )
        .bind(agent_id)
        .bind(facilitator)
        .bind(client)
        .fetch_all(self.pool())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        if first.try_get::<i64, _>("delegated")? == 0 {
            return Ok(None);
        }
        let mut relation = ClientRelation {
            org_form: first.try_get("org_form")?,
            ..ClientRelation::default()
        };
        for row in &rows {
            if let Some(role) = row.try_get::<Option<String>, _>("role")?
                && !relation.roles.contains(&role)
            {
                relation.roles.push(role);
            }
            if let Some(p) = row.try_get::<Option<String>, _>("package")?
                && !relation.delegated.contains(&p)
            {
                relation.delegated.push(p);
            }
        }
        Ok(Some(relation))
    }

    /// The roles the person party holds for the organisation party.
    pub async fn roles_for(
        &self,
        org_party: i64,
        person_party: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT role FROM party_role WHERE from_party = $1 AND to_party = $2")
                .bind(org_party)
                .bind(person_party)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| r.try_get("role").map_err(StoreError::from))
            .collect()
    }
}
