//! The embedded Maskinporten self-service API (local profile): clients and their keys, owned by
//! the organisation of the caller's token.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::domain::OrgNumber;
use crate::http::AppState;
use crate::http::auth::{DcrRead, DcrWrite, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::services::keys::JsonWebKeySet;
use crate::services::maskinporten::{ClientInput, SelfServiceError};
use crate::services::tokens::Caller;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/selvbetjening/api/v1/clients", post(create).get(list))
        .route(
            "/selvbetjening/api/v1/clients/{client_id}",
            get(read).delete(remove),
        )
        .route(
            "/selvbetjening/api/v1/clients/{client_id}/jwks",
            post(set_keys).get(keys),
        )
}

/// The organisation that owns the caller's clients.
fn owner(caller: &Caller) -> Result<OrgNumber, Problem> {
    caller
        .consumer_org()
        .ok_or_else(|| Problem::forbidden("the token names no organisation (consumer claim)"))
}

fn problem(e: SelfServiceError) -> Response {
    match e {
        SelfServiceError::Invalid(m) => Problem::bad_request(m).into_response(),
        SelfServiceError::NotFound(_) => Problem::not_found(e.to_string()).into_response(),
        SelfServiceError::Store(s) => Problem::from(s).into_response(),
    }
}

async fn create(
    State(state): State<AppState>,
    scoped: Scoped<DcrWrite>,
    ApiJson(input): ApiJson<ClientInput>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.create_mp_client(&org, input).await {
        Ok(c) => (StatusCode::CREATED, Json(c)).into_response(),
        Err(e) => problem(e),
    }
}

async fn list(State(state): State<AppState>, scoped: Scoped<DcrRead>) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.mp_clients_of(&org).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => problem(e),
    }
}

async fn read(
    State(state): State<AppState>,
    scoped: Scoped<DcrRead>,
    Path(client_id): Path<String>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.owned_mp_client(&org, &client_id).await {
        Ok(c) => Json(c).into_response(),
        Err(e) => problem(e),
    }
}

async fn remove(
    State(state): State<AppState>,
    scoped: Scoped<DcrWrite>,
    Path(client_id): Path<String>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.delete_mp_client(&org, &client_id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(e),
    }
}

async fn set_keys(
    State(state): State<AppState>,
    scoped: Scoped<DcrWrite>,
    Path(client_id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.set_mp_client_keys(&org, &client_id, &body).await {
        Ok(keys) => (StatusCode::CREATED, Json(JsonWebKeySet { keys })).into_response(),
        Err(e) => problem(e),
    }
}

async fn keys(
    State(state): State<AppState>,
    scoped: Scoped<DcrRead>,
    Path(client_id): Path<String>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.mp_client_keys_of(&org, &client_id).await {
        Ok(keys) => Json(JsonWebKeySet { keys }).into_response(),
        Err(e) => problem(e),
    }
}
