//! The audit log: one row per state change that matters to a person or an auditor, written in
//! the same transaction as the change.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use super::{Conn, Store, StoreError, json_column};
use crate::clock::{Micros, format_micros};

/// What to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who did it: `org:<orgno>`, `person:<party id>`, `operator`, `system`.
    pub actor: &'a str,
    /// What was done, dotted: `register.import`.
    pub action: &'a str,
    /// What it was done to.
    pub target: &'a str,
    pub details: serde_json::Value,
    pub trace_id: Option<&'a str>,
}

/// A stored entry, as operators read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// What the action changed, as the action records it.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

pub async fn record(
    conn: &mut Conn,
    entry: &AuditEntry<'_>,
    now: Micros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, target, details, trace_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(now)
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.target)
    .bind(entry.details.to_string())
    .bind(entry.trace_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters for reading the log; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub since: Option<Micros>,
    pub until: Option<Micros>,
    /// Only entries after this sequence number (the pagination cursor).
    pub after: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Entries in the order they were written. Asks for one more than `limit`, so the caller
    /// knows whether there is a next page without a second query.
    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, id, at, actor, action, target, details, trace_id FROM audit_log \
             WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR actor = $2) \
               AND ($3 IS NULL OR target = $3) AND ($4 IS NULL OR at >= $4) \
               AND ($5 IS NULL OR at < $5) AND seq > $6 \
             ORDER BY seq LIMIT $7",
        )
        .bind(q.action.as_deref())
        .bind(q.actor.as_deref())
        .bind(q.target.as_deref())
        .bind(q.since)
        .bind(q.until)
        .bind(q.after.unwrap_or(0))
        .bind(q.limit + 1)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditRecord {
                    seq: row.try_get("seq")?,
                    id: row.try_get("id")?,
                    at: format_micros(row.try_get("at")?),
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    details: json_column("details", &row.try_get::<String, _>("details")?)?,
                    trace_id: row.try_get("trace_id")?,
                })
            })
            .collect()
    }
}
