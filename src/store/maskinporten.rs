//! Maskinporten clients, their keys, and used assertion ids.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, json_column};
use crate::clock::{Micros, format_micros};

/// A registered Maskinporten client, as the self-service API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClientRecord {
    pub client_id: String,
    pub client_name: String,
    pub description: String,
    pub scopes: Vec<String>,
    pub integration_type: String,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub client_orgno: String,
    pub created: String,
    pub last_updated: String,
    /// ID-porten and Ansattporten clients only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    /// ID-porten and Ansattporten clients only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
}

fn client_from_row(row: &AnyRow) -> Result<ClientRecord, StoreError> {
    Ok(ClientRecord {
        client_id: row.try_get("client_id")?,
        client_name: row.try_get("client_name")?,
        description: row.try_get("description")?,
        scopes: json_column("scopes", &row.try_get::<String, _>("scopes")?)?,
        integration_type: row.try_get("integration_type")?,
        token_endpoint_auth_method: row.try_get("token_endpoint_auth_method")?,
        grant_types: json_column("grant_types", &row.try_get::<String, _>("grant_types")?)?,
        client_orgno: row.try_get("owner_org")?,
        created: format_micros(row.try_get("created_at")?),
        last_updated: format_micros(row.try_get("updated_at")?),
        redirect_uris: None,
        post_logout_redirect_uris: None,
    })
}

const CLIENT_COLUMNS: &str = "client_id, owner_org, client_name, description, scopes, integration_type, \
     token_endpoint_auth_method, grant_types, created_at, updated_at";

/// A client as the token endpoint needs it: registered scopes and public keys.
#[derive(Debug, Clone)]
pub struct GrantClient {
    pub client_id: String,
    pub owner_org: String,
    pub scopes: Vec<String>,
    pub keys: Vec<Value>,
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub owner_org: &'a str,
    pub client_name: &'a str,
    pub description: &'a str,
    pub scopes: &'a [String],
    pub integration_type: &'a str,
    pub token_endpoint_auth_method: &'a str,
    pub grant_types: &'a [String],
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    pub async fn insert_mp_client(
        &self,
        c: &NewClient<'_>,
        now: Micros,
    ) -> Result<ClientRecord, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO mp_client (client_id, owner_org, client_name, description, scopes, integration_type, \
               token_endpoint_auth_method, grant_types, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(c.client_id)
        .bind(c.owner_org)
        .bind(c.client_name)
        .bind(c.description)
        .bind(json(&c.scopes))
        .bind(c.integration_type)
        .bind(c.token_endpoint_auth_method)
        .bind(json(&c.grant_types))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        super::audit::record(
            &mut tx,
            &super::audit::AuditEntry {
                actor: &format!("org:{}", c.owner_org),
                action: "maskinporten.client.create",
                target: &format!("client:{}", c.client_id),
                details: serde_json::json!({"client_name": c.client_name, "scopes": c.scopes}),
                trace_id: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.mp_client(c.client_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("client vanished after insert".into()))
    }

    pub async fn mp_client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CLIENT_COLUMNS} FROM mp_client WHERE client_id = $1"
        ));
        let row = sqlx::query(sql)
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    pub async fn mp_clients_of(&self, owner_org: &str) -> Result<Vec<ClientRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CLIENT_COLUMNS} FROM mp_client WHERE owner_org = $1 ORDER BY created_at, client_id"
        ));
        let rows = sqlx::query(sql)
            .bind(owner_org)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(client_from_row).collect()
    }

    /// Deletes a client and its keys; returns whether it existed.
    pub async fn delete_mp_client(
        &self,
        client_id: &str,
        actor: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM mp_client_key WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM mp_client WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        super::audit::record(
            &mut tx,
            &super::audit::AuditEntry {
                actor,
                action: "maskinporten.client.delete",
                target: &format!("client:{client_id}"),
                details: serde_json::json!({}),
                trace_id: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the client's key set.
    pub async fn replace_mp_client_keys(
        &self,
        client_id: &str,
        keys: &[(String, Value)],
        actor: &str,
        now: Micros,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM mp_client_key WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        for (kid, jwk) in keys {
            sqlx::query("INSERT INTO mp_client_key (client_id, kid, jwk, created_at) VALUES ($1, $2, $3, $4)")
                .bind(client_id)
                .bind(kid)
                .bind(jwk.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE mp_client SET updated_at = $1 WHERE client_id = $2")
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        super::audit::record(
            &mut tx,
            &super::audit::AuditEntry {
                actor,
                action: "maskinporten.client.keys",
                target: &format!("client:{client_id}"),
                details: serde_json::json!({"kids": keys.iter().map(|(k, _)| k).collect::<Vec<_>>()}),
                trace_id: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn mp_client_keys(&self, client_id: &str) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query(
            "SELECT jwk FROM mp_client_key WHERE client_id = $1 ORDER BY created_at, kid",
        )
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| json_column("jwk", &r.try_get::<String, _>("jwk")?))
            .collect()
    }

    /// The client with its keys, in one round trip, for the token endpoint.
    pub async fn grant_client(&self, client_id: &str) -> Result<Option<GrantClient>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.client_id AS client_id, c.owner_org AS owner_org, c.scopes AS scopes, k.jwk AS jwk \
             FROM mp_client c LEFT JOIN mp_client_key k ON k.client_id = c.client_id WHERE c.client_id = $1",
        )
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut client = GrantClient {
            client_id: first.try_get("client_id")?,
            owner_org: first.try_get("owner_org")?,
            scopes: json_column("scopes", &first.try_get::<String, _>("scopes")?)?,
            keys: Vec::with_capacity(rows.len()),
        };
        for row in &rows {
            if let Some(jwk) = row.try_get::<Option<String>, _>("jwk")? {
                client.keys.push(json_column("jwk", &jwk)?);
            }
        }
        Ok(Some(client))
    }

    /// Records an assertion id; `false` when it was used before (a replay).
    pub async fn use_jti(
        &self,
        issuer: &str,
        jti: &str,
        expires_at: Micros,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (issuer, jti) DO NOTHING",
        )
        .bind(issuer)
        .bind(jti)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Forgets assertion ids whose assertions have expired; returns how many.
    pub async fn purge_expired_jtis(&self, now: Micros) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM jwt_replay WHERE expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}

/// A scope the consumer organisation has delegated to the supplier organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MpDelegation {
    pub consumer_orgno: String,
    pub supplier_orgno: String,
    pub scope: String,
    pub created: String,
}

fn delegation_from_row(row: &AnyRow) -> Result<MpDelegation, StoreError> {
    Ok(MpDelegation {
        consumer_orgno: row.try_get("consumer_org")?,
        supplier_orgno: row.try_get("supplier_org")?,
        scope: row.try_get("scope")?,
        created: format_micros(row.try_get("created_at")?),
    })
}

/// Inserts delegations of `scopes` from `consumer` to `supplier` (those already there stay as
/// they are) inside the caller's transaction; returns how many were new.
pub async fn insert_mp_delegations(
    conn: &mut super::Conn,
    consumer: &str,
    supplier: &str,
    scopes: &[String],
    actor: &str,
    now: Micros,
) -> Result<u64, StoreError> {
    let mut added = 0;
    for scope in scopes {
        added += sqlx::query(
            "INSERT INTO mp_delegation (consumer_org, supplier_org, scope, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consumer_org, supplier_org, scope) DO NOTHING",
        )
        .bind(consumer)
        .bind(supplier)
        .bind(scope)
        .bind(actor)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(added)
}

impl Store {
    /// Delegates `scopes` from `consumer` to `supplier`, audited; at most `max_per_consumer`
    /// delegations per consumer. Returns the delegations from `consumer` to `supplier`, or
    /// `None` when the cap would be passed.
    pub async fn delegate_mp_scopes(
        &self,
        consumer: &str,
        supplier: &str,
        scopes: &[String],
        max_per_consumer: i64,
        now: Micros,
    ) -> Result<Option<Vec<MpDelegation>>, StoreError> {
        let actor = format!("org:{consumer}");
        let mut tx = self.begin().await?;
        let added = insert_mp_delegations(&mut tx, consumer, supplier, scopes, &actor, now).await?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM mp_delegation WHERE consumer_org = $1")
                .bind(consumer)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if total > max_per_consumer {
            return Ok(None);
        }
        if added > 0 {
            super::audit::record(
                &mut tx,
                &super::audit::AuditEntry {
                    actor: &actor,
                    action: "maskinporten.delegation.create",
                    target: &format!("org:{supplier}"),
                    details: serde_json::json!({"scopes": scopes}),
                    trace_id: None,
                },
                now,
            )
            .await?;
        }
        let rows = sqlx::query(
            "SELECT consumer_org, supplier_org, scope, created_at FROM mp_delegation \
             WHERE consumer_org = $1 AND supplier_org = $2 ORDER BY scope",
        )
        .bind(consumer)
        .bind(supplier)
        .fetch_all(&mut *tx)
        .await?;
        let list = rows
            .iter()
            .map(delegation_from_row)
            .collect::<Result<_, _>>()?;
        tx.commit().await?;
        Ok(Some(list))
    }

    /// Withdraws one delegation, audited; returns whether it was there.
    pub async fn withdraw_mp_delegation(
        &self,
        consumer: &str,
        supplier: &str,
        scope: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let gone = sqlx::query(
            "DELETE FROM mp_delegation WHERE consumer_org = $1 AND supplier_org = $2 AND scope = $3",
        )
        .bind(consumer)
        .bind(supplier)
        .bind(scope)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if gone {
            super::audit::record(
                &mut tx,
                &super::audit::AuditEntry {
                    actor: &format!("org:{consumer}"),
                    action: "maskinporten.delegation.delete",
                    target: &format!("org:{supplier}"),
                    details: serde_json::json!({"scope": scope}),
                    trace_id: None,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Delegations where `org` is the consumer (`offered`) or the supplier (`received`), at
    /// most `limit` of each, oldest first.
    pub async fn mp_delegations_of(
        &self,
        org: &str,
        offered: bool,
        limit: i64,
    ) -> Result<Vec<MpDelegation>, StoreError> {
        let sql = if offered {
            "SELECT consumer_org, supplier_org, scope, created_at FROM mp_delegation \
             WHERE consumer_org = $1 ORDER BY supplier_org, scope LIMIT $2"
        } else {
            "SELECT consumer_org, supplier_org, scope, created_at FROM mp_delegation \
             WHERE supplier_org = $1 ORDER BY consumer_org, scope LIMIT $2"
        };
        let rows = sqlx::query(sql)
            .bind(org)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(delegation_from_row).collect()
    }

    /// The scopes `consumer` has delegated to `supplier`.
    pub async fn mp_delegated_scopes(
        &self,
        consumer: &str,
        supplier: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT scope FROM mp_delegation WHERE consumer_org = $1 AND supplier_org = $2",
        )
        .bind(consumer)
        .bind(supplier)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get("scope").map_err(StoreError::from))
            .collect()
    }
}
