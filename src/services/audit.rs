//! Reading the audit log, one page at a time.

pub use crate::store::audit::{AuditQuery, AuditRecord};
use crate::store::{Store, StoreError};

pub const DEFAULT_PAGE_SIZE: i64 = 100;
pub const MAX_PAGE_SIZE: i64 = 1000;

pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    /// The cursor for the next page, when there is one.
    pub next_after: Option<i64>,
}

pub async fn page(store: &Store, mut query: AuditQuery) -> Result<AuditPage, StoreError> {
    query.limit = query.limit.clamp(1, MAX_PAGE_SIZE);
    let mut entries = store.audit_entries(&query).await?;
    let has_more = entries.len() as i64 > query.limit;
    entries.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
    let next_after = if has_more {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_after,
    })
}
