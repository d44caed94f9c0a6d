//! The customer's side of system users (spec authentication-api §2.2 R10–R21, §2.4 U1–U6,
//! U18): a person with a portal token answers requests and manages the organisation's system
//! users.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use super::wire::{
    RequestForPersonResponse, RequestResponse, SystemUserInternalResponse, SystemUserRights,
};
use crate::http::AppState;
use crate::http::auth::{Portal, PortalOrRegister, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::services::system_users::SystemUserRecord;
use crate::services::tokens::Caller;

use super::{BASE, Kind, Standard, su_problem};
use crate::domain::request::SystemUserType;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}"),
            get(party_read::<Standard>),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/approve"),
            post(approve::<Standard>),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/reject"),
            post(reject::<Standard>),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/escalate"),
            post(escalate),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/pending"),
            get(pending::<Standard>),
        )
        .route(
            &format!("{BASE}/request/{{party}}"),
            get(portal_request::<Standard>),
        )
        .route(&format!("{BASE}/{{party}}/create"), post(create_direct))
        .route(
            &format!("{BASE}/{{party}}/{{id}}/delegations"),
            get(delegations),
        )
        .route(&format!("{BASE}/{{party}}"), get(party_users::<Standard>))
        .route(
            &format!("{BASE}/{{party}}/{{id}}"),
            get(party_user).delete(party_delete),
        )
}

/// The person of an end-user token, and the organisation `{party}` (a party id) names.
pub(crate) async fn person_and_party(
    state: &AppState,
    caller: &Caller,
    party: &str,
) -> Result<(String, String), Response> {
    let pid = caller
        .claims
        .get("pid")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Problem::forbidden("this needs a person's token (pid claim)").into_response()
        })?
        .to_owned();
    let org = state.app.party_org(party).await.map_err(su_problem)?;
    Ok((pid, org))
}

/// As [`person_and_party`], and the person must have authority for the organisation.
pub(crate) async fn authorized_party(
    state: &AppState,
    caller: &Caller,
    party: &str,
) -> Result<(String, String), Response> {
    let (pid, org) = person_and_party(state, caller, party).await?;
    state
        .app
        .require_authority(&pid, &org)
        .await
        .map_err(su_problem)?;
    Ok((pid, org))
}

/// R10, R11.
pub async fn party_read<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (pid, org) = match person_and_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.party_request(&pid, &org, &id, K::KIND).await {
        Ok(r) => Json(RequestResponse::of(&state.app, &r, false)).into_response(),
        Err(e) => su_problem(e),
    }
}

async fn decide(
    state: AppState,
    caller: &Caller,
    party: &str,
    id: &str,
    kind: SystemUserType,
    approve: bool,
) -> Response {
    let (pid, org) = match person_and_party(&state, caller, party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(e) = state.app.check_request_of(&org, id, kind).await {
        return su_problem(e);
    }
    match state.app.decide_request(&pid, id, kind, approve).await {
        Ok(_) => Json(true).into_response(),
        Err(e) => su_problem(e),
    }
}

/// R14, R15: 200 `true`; the system user gets the request's id.
pub async fn approve<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    decide(state.clone(), caller, &party, &id, K::KIND, true).await
}

/// R16, R17.
pub async fn reject<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    decide(state.clone(), caller, &party, &id, K::KIND, false).await
}

/// U1, U2: the organisation's system users of one type.
pub async fn party_users<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<PortalOrRegister>,
    Path(party): Path<String>,
) -> Response {
    let caller = &scoped.0;
    let (_pid, org) = match authorized_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.party_system_users(&org, K::KIND).await {
        Ok(list) => Json(
            list.iter()
                .map(SystemUserInternalResponse::of)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => su_problem(e),
    }
}

/// U3.
async fn party_user(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (_pid, org) = match authorized_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match party_system_user(&state, &org, &id).await {
        Ok(u) => Json(SystemUserInternalResponse::of(&u)).into_response(),
        Err(r) => r,
    }
}

/// The organisation's live system user `id`; 404 AUTH-00015 otherwise.
async fn party_system_user(
    state: &AppState,
    org: &str,
    id: &str,
) -> Result<SystemUserRecord, Response> {
    state
        .app
        .party_system_user(org, id)
        .await
        .map_err(su_problem)
}

/// U4: 202 with the body `1`, as Altinn's `Accepted(1)` (errata §F.22).
async fn party_delete(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (pid, org) = match person_and_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .delete_system_user(&pid, &org, &id, Some(SystemUserType::Standard))
        .await
    {
        Ok(()) => (StatusCode::ACCEPTED, Json(1)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// R12, R13: a request as the person answering it sees it, with whether they may only
/// escalate.
pub async fn portal_request<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path(id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    let Some(pid) = caller.claims.get("pid").and_then(Value::as_str) else {
        return Problem::forbidden("this needs a person's token (pid claim)").into_response();
    };
    let seen = match state.app.request_for_person(pid, &id, K::KIND).await {
        Ok(seen) => seen,
        Err(e) => return su_problem(e),
    };
    let party = seen.party.as_ref();
    Json(RequestForPersonResponse {
        request: RequestResponse::of(&state.app, &seen.request, false),
        party_id: party.map(|p| p.party_id),
        party_uuid: party.map(|p| p.party_uuid.clone()),
        user_may_escalate_but_not_approve: !seen.may_approve,
        system_user_type: (K::KIND == SystemUserType::Agent).then_some("Agent"),
    })
    .into_response()
}

/// R18, R19: 200 `true` when the request (of either type) was sent on to the
/// organisation's administrators.
pub async fn escalate(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((_party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let Some(pid) = caller.claims.get("pid").and_then(Value::as_str) else {
        return su_problem(crate::services::system_users::request_not_found());
    };
    match state.app.escalate_request(pid, &id).await {
        Ok(done) => Json(done).into_response(),
        Err(e) => su_problem(e),
    }
}

/// R20, R21: the organisation's requests waiting for an answer (`{orgno}` must be
/// `{party}`'s).
pub async fn pending<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, orgno)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (pid, org) = match person_and_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if org != orgno {
        return su_problem(crate::services::system_users::SuError::NoAuthority);
    }
    if let Err(e) = state.app.require_authority(&pid, &org).await {
        return su_problem(e);
    }
    match state.app.pending_requests_of(&org, K::KIND).await {
        Ok(list) => Json(
            list.iter()
                .map(|r| RequestResponse::of(&state.app, r, false))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => su_problem(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectCreate {
    system_id: String,
    #[serde(default)]
    integration_title: Option<String>,
}

/// U6: 200 with the new system user.
async fn create_direct(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path(party): Path<String>,
    ApiJson(body): ApiJson<DirectCreate>,
) -> Response {
    let caller = &scoped.0;
    let (pid, org) = match person_and_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .create_system_user_directly(
            &pid,
            &org,
            &body.system_id,
            body.integration_title.as_deref(),
        )
        .await
    {
        Ok(u) => Json(SystemUserInternalResponse::of(&u)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// U18: what the system user has been given.
async fn delegations(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (_pid, org) = match authorized_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match party_system_user(&state, &org, &id).await {
        Ok(u) => Json(SystemUserRights {
            system_user_id: &u.id,
            rights: &u.rights,
            access_packages: &u.access_packages,
        })
        .into_response(),
        Err(r) => r,
    }
}
