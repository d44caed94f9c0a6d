//! The Altinn test tools token generator (local profile only; absent in production).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::problem::Problem;
use crate::domain::OrgNumber;
use crate::services::tokens::{DEFAULT_TEST_TOKEN_TTL_SECS, MAX_TEST_TOKEN_TTL_SECS};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/GetEnterpriseToken", get(enterprise_token))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnterpriseParams {
    org_no: Option<String>,
    scopes: Option<String>,
    ttl: Option<String>,
    client_id: Option<String>,
}

async fn enterprise_token(
    State(state): State<AppState>,
    params: Result<Query<EnterpriseParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(p) = match params {
        Ok(p) => p,
        Err(e) => return Problem::bad_request(e.body_text()).into_response(),
    };
    let Some(org_no) = p.org_no.as_deref().filter(|o| !o.is_empty()) else {
        return Problem::bad_request("give the organisation number as 'orgNo'").into_response();
    };
    let org: OrgNumber = match org_no.parse() {
        Ok(o) => o,
        Err(e) => return Problem::bad_request(format!("orgNo '{org_no}': {e}")).into_response(),
    };
    let scopes = p
        .scopes
        .as_deref()
        .unwrap_or("")
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    if scopes.is_empty() {
        return Problem::bad_request(
            "give at least one scope in 'scopes' (space- or comma-separated)",
        )
        .into_response();
    }
    if let Some(bad) = scopes.iter().find(|s| !is_scope(s)) {
        return Problem::bad_request(format!(
            "'{bad}' is not a scope (printable ASCII without quotes or backslashes)"
        ))
        .into_response();
    }
    let ttl = match p.ttl.as_deref() {
        None | Some("") => DEFAULT_TEST_TOKEN_TTL_SECS,
        Some(t) => match t.parse::<i64>() {
            Ok(t) if (1..=MAX_TEST_TOKEN_TTL_SECS).contains(&t) => t,
            _ => {
                return Problem::bad_request(format!(
                    "ttl must be a number of seconds from 1 to {MAX_TEST_TOKEN_TTL_SECS}"
                ))
                .into_response();
            }
        },
    };
    match state.app.enterprise_token(
        &org,
        &scopes.join(" "),
        ttl,
        p.client_id.as_deref().filter(|c| !c.is_empty()),
    ) {
        Ok(token) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response(),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// RFC 6749 §3.3 scope-token characters.
fn is_scope(s: &str) -> bool {
    s.len() <= 200
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}
