//! Client delegations of agent system users, and the relations that make an organisation a
//! facilitator's client (errata §D). Lists are keyset-paged on (name, party id) and filtered
//! in SQL, so a firm with tens of thousands of clients costs one indexed query per page.

use std::collections::HashMap;

use sqlx::Row;

use super::reference::{PartyRecord, party_from_row};
use super::{Conn, Store, StoreError};
use crate::clock::Micros;
use crate::domain::agent::{CLIENT_ROLES, ClientRelation, PackageGrant};

/// Where a page of clients starts: after the client with this name and party id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientCursor {
    pub name: String,
    pub party_id: i64,
}

/// What a list of clients is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter<'a> {
    /// Part of the name (case-insensitive) or the start of the organisation number.
    pub search: Option<&'a str>,
    pub after: Option<&'a ClientCursor>,
    pub limit: i64,
}

/// A query text with its values, bound in order (values are never pasted into the text).
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

enum Bind {
    Int(i64),
    Text(String),
}

impl Sql {
    /// Appends `$n` for a new bound value.
    fn int(&mut self, v: i64) -> String {
        self.binds.push(Bind::Int(v));
        format!("${}", self.binds.len())
    }

    fn text(&mut self, v: &str) -> String {
        self.binds.push(Bind::Text(v.to_owned()));
        format!("${}", self.binds.len())
    }

    /// ` AND (…)` for the filter's search and cursor, then its order and limit, on the party
    /// alias `c`.
    fn filter(&mut self, f: &ClientFilter<'_>) {
        let conditions = self.conditions(f);
        self.text.push_str(&conditions);
        let order = self.order_limit(f);
        self.text.push_str(&order);
    }

    /// ` AND (…)` for the filter's search and cursor, on the party alias `c`.
    fn conditions(&mut self, f: &ClientFilter<'_>) -> String {
        let mut out = String::new();
        if let Some(search) = f.search.map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = like_escape(&search.to_lowercase());
            let name = self.text(&format!("%{pattern}%"));
            let org = self.text(&format!("{pattern}%"));
            out.push_str(&format!(
                " AND ({FOLDED_NAME} LIKE {name} ESCAPE '\\' OR c.org_no LIKE {org} ESCAPE '\\')"
            ));
        }
        if let Some(after) = f.after {
            let a = self.text(&after.name);
            let b = self.text(&after.name);
            let id = self.int(after.party_id);
            out.push_str(&format!(
                " AND (c.name > {a} OR (c.name = {b} AND c.party_id > {id}))"
            ));
        }
        out
    }

    /// ` ORDER BY … LIMIT …` of the filter, on the party alias `c`.
    fn order_limit(&mut self, f: &ClientFilter<'_>) -> String {
        let limit = self.int(f.limit);
        format!(" ORDER BY c.name, c.party_id LIMIT {limit}")
    }

    async fn parties(self, store: &Store) -> Result<Vec<PartyRecord>, StoreError> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.text));
        for b in self.binds {
            query = match b {
                Bind::Int(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(store.pool()).await?;
        rows.iter().map(party_from_row).collect()
    }
}

/// `%`, `_` and `\` match themselves.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The party's name in lower case for a search. SQLite's `LOWER` folds ASCII only, so the
/// letters of Norwegian (and a few other) names are folded explicitly; the search text is
/// lower-cased in Rust.
const FOLDED_NAME: &str = "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(LOWER(c.name), \
     'Æ', 'æ'), 'Ø', 'ø'), 'Å', 'å'), 'Ä', 'ä'), 'Ö', 'ö'), 'Ü', 'ü'), 'É', 'é')";

const PARTY_COLUMNS: &str = "c.party_id AS party_id, c.party_uuid AS party_uuid, c.kind AS kind, \
     c.org_no AS org_no, c.pid AS pid, c.name AS name, c.org_form AS org_form";

impl Store {
    /// The organisations that give the facilitator every package of `grants` (one entry per
    /// package: how it can be given), filtered and paged.
    pub async fn eligible_clients(
        &self,
        facilitator: i64,
        grants: &[PackageGrant],
        filter: &ClientFilter<'_>,
    ) -> Result<Vec<PartyRecord>, StoreError> {
        let mut sql = Sql::default();
        let f = sql.int(facilitator);
        let Some((first, rest)) = grants.split_first() else {
            // No packages: every client.
            let roles: Vec<String> = CLIENT_ROLES.iter().map(|r| sql.text(r)).collect();
            sql.text = format!(
                "SELECT {PARTY_COLUMNS} FROM party c WHERE c.kind = 'org' AND c.party_id IN (\
                 SELECT r.from_party FROM party_role r WHERE r.to_party = {f} AND r.role IN ({}) \
                 UNION ALL SELECT d.from_party FROM package_delegation d WHERE d.to_party = {f})",
                roles.join(", ")
            );
            sql.filter(filter);
            return sql.parties(self).await;
        };
        // Every other package: an uncorrelated `IN (…)` over the facilitator's relations.
        let mut others = String::new();
        for grant in rest {
            let urn = sql.text(&grant.urn);
            let mut ways = vec![format!(
                "SELECT d.from_party FROM package_delegation d \
                 WHERE d.to_party = {f} AND d.package = {urn}"
            )];
            for (role, forms) in &grant.roles {
                let role = sql.text(role);
                ways.push(if forms.is_empty() {
                    format!(
                        "SELECT r.from_party FROM party_role r \
                         WHERE r.to_party = {f} AND r.role = {role}"
                    )
                } else {
                    let forms: Vec<String> = forms.iter().map(|x| sql.text(x)).collect();
                    format!(
                        "SELECT r.from_party FROM party_role r JOIN party o ON o.party_id = r.from_party \
                         WHERE r.to_party = {f} AND r.role = {role} AND o.org_form IN ({})",
                        forms.join(", ")
                    )
                });
            }
            others.push_str(&format!(
                " AND c.party_id IN ({})",
                ways.join(" UNION ALL ")
            ));
        }
        let conditions = sql.conditions(filter);
        let order = sql.order_limit(filter);
        // The first package drives: one branch per way it can be given, each a join of the
        // parties with that relation, so that the planner can start from whichever side is
        // smaller (a small firm's relations, or a big firm's clients in name order) and stop
        // after one page. The branches are merged (a client with two ways counts once).
        let urn = sql.text(&first.urn);
        let mut branches = vec![format!(
            "SELECT {PARTY_COLUMNS} FROM party c JOIN package_delegation d ON d.from_party = c.party_id \
             AND d.to_party = {f} AND d.package = {urn} WHERE c.kind = 'org'{others}{conditions}{order}"
        )];
        for (role, forms) in &first.roles {
            let role = sql.text(role);
            let form = if forms.is_empty() {
                String::new()
            } else {
                let forms: Vec<String> = forms.iter().map(|x| sql.text(x)).collect();
                format!(" AND c.org_form IN ({})", forms.join(", "))
            };
            branches.push(format!(
                "SELECT {PARTY_COLUMNS} FROM party c JOIN party_role r ON r.from_party = c.party_id \
                 AND r.to_party = {f} AND r.role = {role} WHERE c.kind = 'org'{form}{others}{conditions}{order}"
            ));
        }
        let limit = sql.int(filter.limit);
        sql.text = format!(
            "{} ORDER BY name, party_id LIMIT {limit}",
            branches
                .iter()
                .enumerate()
                .map(|(i, b)| format!("SELECT * FROM ({b}) AS way{i}"))
                .collect::<Vec<_>>()
                .join(" UNION ")
        );
        sql.parties(self).await
    }

    /// The clients delegated to the agent system user `agent`, filtered and paged.
    pub async fn delegated_clients(
        &self,
        agent: &str,
        filter: &ClientFilter<'_>,
    ) -> Result<Vec<PartyRecord>, StoreError> {
        let mut sql = Sql::default();
        let a = sql.text(agent);
        sql.text = format!(
            "SELECT {PARTY_COLUMNS} FROM client_delegation cd JOIN party c ON c.party_id = cd.client_party \
             WHERE cd.agent_id = {a}"
        );
        sql.filter(filter);
        sql.parties(self).await
    }

    /// What each of `clients` gives the facilitator (its roles towards it, its organisation
    /// form and its direct package delegations), in a fixed number of queries.
    pub async fn client_relations(
        &self,
        facilitator: i64,
        clients: &[i64],
    ) -> Result<HashMap<i64, ClientRelation>, StoreError> {
        let mut out: HashMap<i64, ClientRelation> = HashMap::new();
        for chunk in clients.chunks(super::IN_LIST_MAX) {
            let ids = super::placeholders_after(1, chunk.len());
            let queries = [
                format!(
                    "SELECT c.party_id AS party_id, COALESCE(c.org_form, '') AS org_form, r.role AS role, NULL AS package \
                     FROM party c LEFT JOIN party_role r ON r.from_party = c.party_id AND r.to_party = $1 \
                     WHERE c.party_id IN ({ids})"
                ),
                format!(
                    "SELECT d.from_party AS party_id, '' AS org_form, NULL AS role, d.package AS package \
                     FROM package_delegation d WHERE d.to_party = $1 AND d.from_party IN ({ids})"
                ),
            ];
            for text in queries {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(text)).bind(facilitator);
                for id in chunk {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(self.pool()).await? {
                    let id: i64 = row.try_get("party_id")?;
                    let entry = out.entry(id).or_default();
                    let form: String = row.try_get("org_form")?;
                    if !form.is_empty() {
                        entry.org_form = form;
                    }
                    if let Some(role) = row.try_get::<Option<String>, _>("role")? {
                        entry.roles.push(role);
                    }
                    if let Some(package) = row.try_get::<Option<String>, _>("package")? {
                        entry.delegated.push(package);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Whether the agent system user `agent` may act for `client` by a client delegation: one
    /// primary-key lookup (the question the decision point asks).
    pub async fn is_delegated_client(&self, agent: &str, client: i64) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM client_delegation WHERE agent_id = $1 AND client_party = $2",
        )
        .bind(agent)
        .bind(client)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// Which of `clients` are delegated to the agent system user `agent`.
    pub async fn delegated_among(
        &self,
        agent: &str,
        clients: &[i64],
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in clients.chunks(super::IN_LIST_MAX) {
            let ids = super::placeholders_after(1, chunk.len());
            let text = format!(
                "SELECT client_party FROM client_delegation WHERE agent_id = $1 AND client_party IN ({ids})"
            );
            let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text)).bind(agent);
            for id in chunk {
                query = query.bind(*id);
            }
            out.extend(query.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// How many clients the agent system user `agent` may act for.
    pub async fn client_delegation_count(&self, agent: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM client_delegation WHERE agent_id = $1")
                .bind(agent)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// The party with the UUID `uuid`.
    pub async fn party_by_uuid(&self, uuid: &str) -> Result<Option<PartyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT party_id, party_uuid, kind, org_no, pid, name, org_form FROM party WHERE party_uuid = $1",
        )
        .bind(uuid)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(party_from_row).transpose()
    }

    /// The packages `from` delegated to other organisations directly, with the receiver.
    pub async fn package_delegations_from(
        &self,
        from: i64,
    ) -> Result<Vec<(PartyRecord, String)>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PARTY_COLUMNS}, d.package AS package FROM package_delegation d \
             JOIN party c ON c.party_id = d.to_party WHERE d.from_party = $1 ORDER BY c.name, d.package"
        ));
        let rows = sqlx::query(sql).bind(from).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok((party_from_row(r)?, r.try_get("package")?)))
            .collect()
    }
}

/// Takes the live system user `id`'s row lock for the rest of the transaction (so a
/// concurrent deletion waits for it, or it for the deletion); `false` when the system user is
/// gone or deleted.
pub async fn lock_live_system_user(conn: &mut Conn, id: &str) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE system_user SET updated_at = updated_at WHERE id = $1 AND is_deleted = 0",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Delegates `client` to the agent; `false` when it already was (nothing changes).
pub async fn insert_client_delegation(
    conn: &mut Conn,
    agent: &str,
    client: i64,
    facilitator: i64,
    by: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO client_delegation (agent_id, client_party, facilitator_party, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agent_id, client_party) DO NOTHING",
    )
    .bind(agent)
    .bind(client)
    .bind(facilitator)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes one client from the agent; `false` when it was not delegated.
pub async fn delete_client_delegation(
    conn: &mut Conn,
    agent: &str,
    client: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM client_delegation WHERE agent_id = $1 AND client_party = $2")
        .bind(agent)
        .bind(client)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes every client of the agent (when it is deleted); returns how many.
pub async fn delete_client_delegations_of(conn: &mut Conn, agent: &str) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM client_delegation WHERE agent_id = $1")
            .bind(agent)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
