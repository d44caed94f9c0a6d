//! Change requests through the API (spec authentication-api §2.3 C1–C9, errata §E): the
//! vendor asks for a change of an approved system user and follows it; the customer reads,
//! approves or rejects it.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::enduser_api::person_and_party;
use super::vendor_api::{PageQuery, page_token};
use super::wire::{ChangeRequestForPersonResponse, ChangeRequestResponse, Links, Paged};
use super::{BASE, su_problem};
use crate::domain::request::live_key;
use crate::http::AppState;
use crate::http::auth::{Portal, RequestRead, RequestWrite, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::services::system_users::changes::{CreateChangeRequest, Created};

pub fn routes() -> Router<AppState> {
    let cr = format!("{BASE}/changerequest");
    Router::new()
        .route(&format!("{cr}/vendor"), post(create))
        .route(&format!("{cr}/vendor/{{id}}"), get(read).delete(remove))
        .route(
            &format!("{cr}/vendor/byexternalref/{{system_id}}/{{org}}/{{external_ref}}"),
            get(by_ref),
        )
        .route(
            &format!("{cr}/vendor/bysystem/{{system_id}}"),
            get(by_system),
        )
        .route(&format!("{cr}/{{id}}"), get(for_person))
        .route(&format!("{cr}/{{party}}/{{id}}"), get(party_read))
        .route(&format!("{cr}/{{party}}/{{id}}/approve"), post(approve))
        .route(&format!("{cr}/{{party}}/{{id}}/reject"), post(reject))
}

/// C1's query. Both are read as text so that a missing or malformed value gets the
/// endpoint's own answer (AUTH-00104, AUTH-00015), not a generic 400.
#[derive(Deserialize)]
struct CreateQuery {
    #[serde(rename = "correlation-id")]
    correlation_id: Option<String>,
    #[serde(rename = "system-user-id")]
    system_user_id: Option<String>,
}

/// C1: 201 with `Location` for a new change request, 200 with the stored one for a known
/// correlation id (whatever the new body says), 200 `NoChangeNeeded` when nothing is asked.
async fn create(
    State(state): State<AppState>,
    scoped: Scoped<RequestWrite>,
    Query(q): Query<CreateQuery>,
    ApiJson(input): ApiJson<CreateChangeRequest>,
) -> Response {
    let app = &state.app;
    let created = app
        .create_change_request(
            &scoped.0,
            q.correlation_id.as_deref(),
            q.system_user_id.as_deref(),
            input,
        )
        .await;
    match created {
        Ok(Created::New(c)) => {
            let location = app.config.url(&format!("{BASE}/changerequest/{}", c.id));
            (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(ChangeRequestResponse::of(app, &c, true)),
            )
                .into_response()
        }
        Ok(Created::Stored(c)) => Json(ChangeRequestResponse::of(app, &c, true)).into_response(),
        Ok(Created::NoChangeNeeded(c)) => {
            Json(ChangeRequestResponse::no_change_needed(&c)).into_response()
        }
        Err(e) => su_problem(e),
    }
}

/// C2.
async fn read(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path(id): Path<String>,
) -> Response {
    match state.app.vendor_change_request(&scoped.0, &id).await {
        Ok(c) => Json(ChangeRequestResponse::of(&state.app, &c, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// C3: the newest live change request for the system user's key, with all four lists.
async fn by_ref(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path((system_id, org, external_ref)): Path<(String, String, String)>,
) -> Response {
    let key = live_key(&system_id, &org, &external_ref);
    match state.app.vendor_change_request_by_ref(&scoped.0, key).await {
        Ok(c) => Json(ChangeRequestResponse::of(&state.app, &c, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// C4: pages of `{links: {next}, data}`, as R7.
async fn by_system(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path(system_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let after = match q.after() {
        Ok(after) => after,
        Err(p) => return p.into_response(),
    };
    let app = &state.app;
    match app
        .vendor_change_requests_of_system(&scoped.0, &system_id, &after)
        .await
    {
        Ok((page, next)) => Json(Paged {
            links: Links {
                next: next.map(|id| {
                    app.config.url(&format!(
                        "{BASE}/changerequest/vendor/bysystem/{system_id}?token={}",
                        page_token(id)
                    ))
                }),
            },
            data: page
                .iter()
                .map(|c| ChangeRequestResponse::of(app, c, false))
                .collect(),
        })
        .into_response(),
        Err(e) => su_problem(e),
    }
}

/// C5: 202 with an empty body.
async fn remove(
    State(state): State<AppState>,
    scoped: Scoped<RequestWrite>,
    Path(id): Path<String>,
) -> Response {
    match state.app.delete_vendor_change_request(&scoped.0, &id).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => su_problem(e),
    }
}

/// C6: the organisation's change request, for a person with authority for it.
async fn party_read(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let (pid, org) = match person_and_party(&state, &scoped.0, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let app = &state.app;
    let found = match app.customer_change_request(Some(&org), &id).await {
        Ok(c) => c,
        Err(e) => return su_problem(e),
    };
    match app.require_authority(&pid, &org).await {
        Ok(()) => Json(ChangeRequestResponse::of(app, &found, false)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// C7: the change request with its party, for the person who answers it.
async fn for_person(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path(id): Path<String>,
) -> Response {
    let Some(pid) = scoped.0.claims.get("pid").and_then(|v| v.as_str()) else {
        return Problem::forbidden("this needs a person's token (pid claim)").into_response();
    };
    match state.app.change_request_for_person(pid, &id).await {
        Ok((c, party)) => Json(ChangeRequestForPersonResponse::of(
            &state.app,
            &c,
            party.as_ref(),
        ))
        .into_response(),
        Err(e) => su_problem(e),
    }
}

async fn decide(
    state: &AppState,
    scoped: &Scoped<Portal>,
    party: &str,
    id: &str,
    approve: bool,
) -> Response {
    let (pid, org) = match person_and_party(state, &scoped.0, party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .decide_change_request(&pid, Some(&org), id, approve)
        .await
    {
        Ok(_) => Json(true).into_response(),
        Err(e) => su_problem(e),
    }
}

/// C8: 200 `true`; the system user holds the new set at once.
async fn approve(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    decide(&state, &scoped, &party, &id, true).await
}

/// C9: 200 `true`; the system user is unchanged.
async fn reject(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    decide(&state, &scoped, &party, &id, false).await
}
