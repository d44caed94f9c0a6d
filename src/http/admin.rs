//! Operator API: the audit log.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::auth::Bearer;
use super::problem::Problem;
use crate::clock::parse_rfc3339;
use crate::services::audit::{self, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::store::audit::AuditQuery;

/// The operator scope: read the audit log and other operator data.
pub const SCOPE_ADMIN: &str = "tilgang:admin";

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/api/v1/audit", get(list_audit))
}

#[derive(Deserialize)]
struct AuditParams {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

async fn list_audit(
    State(state): State<AppState>,
    bearer: Bearer,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(p) = bearer.require_any(&[SCOPE_ADMIN]) {
        return p.into_response();
    }
    let Query(p) = match params {
        Ok(p) => p,
        Err(e) => return Problem::bad_request(e.body_text()).into_response(),
    };
    let query = match to_query(&p) {
        Ok(q) => q,
        Err(msg) => return Problem::bad_request(msg).into_response(),
    };
    let page = match audit::page(&state.app.store, query).await {
        Ok(page) => page,
        Err(e) => return Problem::from(e).into_response(),
    };
    let next = page.next_after.map(|after| {
        let mut pairs = vec![
            format!("after={after}"),
            format!(
                "limit={}",
                p.limit.as_deref().unwrap_or(&DEFAULT_PAGE_SIZE.to_string())
            ),
        ];
        for (k, v) in [
            ("action", &p.action),
            ("actor", &p.actor),
            ("target", &p.target),
            ("since", &p.since),
            ("until", &p.until),
        ] {
            if let Some(v) = v {
                pairs.push(format!("{k}={}", encode(v)));
            }
        }
        state
            .app
            .config
            .url(&format!("/admin/api/v1/audit?{}", pairs.join("&")))
    });
    Json(json!({"links": {"next": next}, "data": page.entries})).into_response()
}

fn to_query(p: &AuditParams) -> Result<AuditQuery, String> {
    let time = |name: &str, v: &Option<String>| -> Result<Option<i64>, String> {
        v.as_deref()
            .map(|s| {
                parse_rfc3339(s).ok_or_else(|| {
                    format!("'{name}' must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
                })
            })
            .transpose()
    };
    let limit = match &p.limit {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
            .ok_or_else(|| format!("'limit' must be a whole number from 1 to {MAX_PAGE_SIZE}"))?,
        None => DEFAULT_PAGE_SIZE,
    };
    let after = match &p.after {
        Some(a) => Some(
            a.parse::<i64>()
                .ok()
                .filter(|a| *a >= 0)
                .ok_or("'after' must be the cursor from links.next")?,
        ),
        None => None,
    };
    Ok(AuditQuery {
        action: p.action.clone(),
        actor: p.actor.clone(),
        target: p.target.clone(),
        since: time("since", &p.since)?,
        until: time("until", &p.until)?,
        after,
        limit,
    })
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}
