//! The Altinn test tools token generator (local profile only; absent in production).

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::domain::{OrgNumber, Pid};
use crate::http::AppState;
use crate::http::problem::Problem;
use crate::services::maskinporten::is_scope_token;
use crate::services::tokens::{DEFAULT_TEST_TOKEN_TTL_SECS, MAX_TEST_TOKEN_TTL_SECS};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/GetEnterpriseToken", get(enterprise_token))
        .route("/api/GetPersonalToken", get(personal_token))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenParams {
    org_no: Option<String>,
    pid: Option<String>,
    scopes: Option<String>,
    ttl: Option<String>,
    client_id: Option<String>,
    auth_lvl: Option<String>,
}

fn text(token: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response()
}

/// The common parameters: scopes (space- or comma-separated, at least one) and ttl.
fn scopes_and_ttl(p: &TokenParams) -> Result<(String, i64), Problem> {
    let scopes: Vec<&str> = p
        .scopes
        .as_deref()
        .unwrap_or("")
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .collect();
    if scopes.is_empty() {
        return Err(Problem::bad_request(
            "give at least one scope in 'scopes' (space- or comma-separated)",
        ));
    }
    if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
        return Err(Problem::bad_request(format!(
            "'{bad}' is not a scope (printable ASCII without spaces, quotes or backslashes)"
        )));
    }
    let ttl = match p.ttl.as_deref() {
        None | Some("") => DEFAULT_TEST_TOKEN_TTL_SECS,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|t| (1..=MAX_TEST_TOKEN_TTL_SECS).contains(t))
            .ok_or_else(|| {
                Problem::bad_request(format!(
                    "ttl must be a number of seconds from 1 to {MAX_TEST_TOKEN_TTL_SECS}"
                ))
            })?,
    };
    Ok((scopes.join(" "), ttl))
}

async fn enterprise_token(
    State(state): State<AppState>,
    params: Result<Query<TokenParams>, QueryRejection>,
) -> Response {
    let result = async {
        let Query(p) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
        let org_no = p
            .org_no
            .as_deref()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| Problem::bad_request("give the organisation number as 'orgNo'"))?;
        let org: OrgNumber = org_no
            .parse()
            .map_err(|e| Problem::bad_request(format!("orgNo '{org_no}': {e}")))?;
        let (scopes, ttl) = scopes_and_ttl(&p)?;
        let client_id = p.client_id.as_deref().filter(|c| !c.is_empty());
        state
            .app
            .enterprise_token(&org, &scopes, ttl, client_id)
            .map_err(|e| Problem::internal(&e))
    };
    match result.await {
        Ok(token) => text(token),
        Err(p) => p.into_response(),
    }
}

async fn personal_token(
    State(state): State<AppState>,
    params: Result<Query<TokenParams>, QueryRejection>,
) -> Response {
    let result = async {
        let Query(p) = params.map_err(|e| Problem::bad_request(e.body_text()))?;
        let raw =
            p.pid.as_deref().filter(|o| !o.is_empty()).ok_or_else(|| {
                Problem::bad_request("give the national identity number as 'pid'")
            })?;
        let pid: Pid = raw
            .parse()
            .map_err(|e| Problem::bad_request(format!("pid: {e}")))?;
        let (scopes, ttl) = scopes_and_ttl(&p)?;
        let level = match p.auth_lvl.as_deref() {
            None | Some("") => 3,
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|l| (0..=4).contains(l))
                .ok_or_else(|| Problem::bad_request("authLvl must be 0 to 4"))?,
        };
        let person = state.app.person(&pid).await?.ok_or_else(|| {
            Problem::not_found(format!("no person {} in the register", pid.masked()))
        })?;
        state
            .app
            .personal_token(&person, &scopes, ttl, level)
            .map_err(|e| Problem::internal(&e))
    };
    match result.await {
        Ok(token) => text(token),
        Err(p) => p.into_response(),
    }
}
