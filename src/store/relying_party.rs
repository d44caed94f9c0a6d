//! Relying parties of the embedded ID-porten and Ansattporten that an organisation registered
//! through the self-service API: rows of `oidc_client` with an owner.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::maskinporten::ClientRecord;
use super::{Store, StoreError, json_column};
use crate::clock::{Micros, format_micros};

/// A relying party as the self-service API registers it.
pub struct NewRelyingParty<'a> {
    /// `idporten` or `ansattporten`.
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub owner_org: &'a str,
    pub client_name: &'a str,
    pub description: &'a str,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub token_endpoint_auth_method: &'a str,
    pub scopes: &'a [String],
}

const COLUMNS: &str = "issuer, client_id, owner_org, client_name, description, redirect_uris, \
     post_logout_redirect_uris, token_endpoint_auth_method, scopes, created_at, updated_at";

fn record_from_row(row: &AnyRow) -> Result<ClientRecord, StoreError> {
    let created: Micros = row.try_get("created_at")?;
    let updated: Micros = row.try_get("updated_at")?;
    Ok(ClientRecord {
        client_id: row.try_get("client_id")?,
        client_name: row.try_get("client_name")?,
        description: row.try_get("description")?,
        scopes: json_column(
            "scopes",
            &row.try_get::<Option<String>, _>("scopes")?
                .unwrap_or_else(|| "[]".into()),
        )?,
        integration_type: row.try_get("issuer")?,
        token_endpoint_auth_method: row.try_get("token_endpoint_auth_method")?,
        grant_types: vec!["authorization_code".into()],
        client_orgno: row
            .try_get::<Option<String>, _>("owner_org")?
            .unwrap_or_default(),
        created: format_micros(created),
        last_updated: format_micros(updated.max(created)),
        redirect_uris: Some(json_column(
            "redirect_uris",
            &row.try_get::<String, _>("redirect_uris")?,
        )?),
        post_logout_redirect_uris: Some(json_column(
            "post_logout_redirect_uris",
            &row.try_get::<String, _>("post_logout_redirect_uris")?,
        )?),
    })
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

async fn audit(
    conn: &mut super::Conn,
    owner: &str,
    action: &str,
    client_id: &str,
    details: Value,
    now: Micros,
) -> Result<(), StoreError> {
    super::audit::record(
        conn,
        &super::audit::AuditEntry {
            actor: &format!("org:{owner}"),
            action,
            target: &format!("client:{client_id}"),
            details,
            trace_id: None,
        },
        now,
    )
    .await
}

impl Store {
    pub async fn insert_relying_party(
        &self,
        c: &NewRelyingParty<'_>,
        now: Micros,
    ) -> Result<ClientRecord, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO oidc_client (issuer, client_id, owner_org, client_name, description, secret_hash, \
               redirect_uris, post_logout_redirect_uris, token_endpoint_auth_method, scopes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(c.issuer)
        .bind(c.client_id)
        .bind(c.owner_org)
        .bind(c.client_name)
        .bind(c.description)
        .bind(c.secret_hash)
        .bind(json(&c.redirect_uris))
        .bind(json(&c.post_logout_redirect_uris))
        .bind(c.token_endpoint_auth_method)
        .bind(json(&c.scopes))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            c.owner_org,
            "relying_party.create",
            c.client_id,
            serde_json::json!({"provider": c.issuer, "client_name": c.client_name,
                "redirect_uris": c.redirect_uris}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.relying_party(c.owner_org, c.client_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("relying party vanished after insert".into()))
    }

    /// The organisation's relying party `client_id`.
    pub async fn relying_party(
        &self,
        owner: &str,
        client_id: &str,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM oidc_client WHERE client_id = $1 AND owner_org = $2"
        ));
        let row = sqlx::query(sql)
            .bind(client_id)
            .bind(owner)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    pub async fn relying_parties_of(&self, owner: &str) -> Result<Vec<ClientRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM oidc_client WHERE owner_org = $1 ORDER BY created_at, client_id"
        ));
        let rows = sqlx::query(sql).bind(owner).fetch_all(self.pool()).await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Deletes the organisation's relying party; returns whether it was there.
    pub async fn delete_relying_party(
        &self,
        owner: &str,
        client_id: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let gone = sqlx::query("DELETE FROM oidc_client WHERE client_id = $1 AND owner_org = $2")
            .bind(client_id)
            .bind(owner)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if gone {
            audit(
                &mut tx,
                owner,
                "relying_party.delete",
                client_id,
                serde_json::json!({}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Sets what the relying party authenticates with at the token endpoint: a new secret's
    /// hash, or its public keys (`{"keys": […]}`). Returns whether it was there.
    pub async fn set_relying_party_credentials(
        &self,
        owner: &str,
        client_id: &str,
        secret_hash: Option<&str>,
        jwks: Option<&Value>,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query(
            "UPDATE oidc_client SET secret_hash = COALESCE($1, secret_hash), jwks = COALESCE($2, jwks), \
               updated_at = $3 WHERE client_id = $4 AND owner_org = $5",
        )
        .bind(secret_hash)
        .bind(jwks.map(Value::to_string))
        .bind(now)
        .bind(client_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if found {
            let what = if secret_hash.is_some() {
                "secret"
            } else {
                "keys"
            };
            audit(
                &mut tx,
                owner,
                "relying_party.credentials",
                client_id,
                serde_json::json!({ "changed": what }),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }
}

impl Store {
    /// The public keys registered on the organisation's relying party.
    pub async fn relying_party_keys(
        &self,
        owner: &str,
        client_id: &str,
    ) -> Result<Vec<Value>, StoreError> {
        let row =
            sqlx::query("SELECT jwks FROM oidc_client WHERE client_id = $1 AND owner_org = $2")
                .bind(client_id)
                .bind(owner)
                .fetch_optional(self.pool())
                .await?;
        let Some(jwks) = row
            .map(|r| r.try_get::<Option<String>, _>("jwks"))
            .transpose()?
            .flatten()
        else {
            return Ok(Vec::new());
        };
        let set: Value = json_column("jwks", &jwks)?;
        Ok(set
            .get("keys")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }
}
