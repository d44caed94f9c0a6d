//! The embedded self-service API (local profile), as Digdir's: Maskinporten clients and relying
//! parties of the embedded ID-porten and Ansattporten with their keys or secrets, and
//! Maskinporten scope delegations, owned by the organisation of the caller's token.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::domain::OrgNumber;
use crate::http::AppState;
use crate::http::auth::{DcrRead, DcrWrite, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::services::keys::JsonWebKeySet;
use crate::services::maskinporten::{ClientInput, DelegationInput, SelfServiceError};
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
        .route(
            "/selvbetjening/api/v1/clients/{client_id}/secret",
            post(new_secret),
        )
        .route(
            "/selvbetjening/api/v1/delegations",
            post(delegate).get(delegations).delete(withdraw),
        )
}

/// The organisation that owns the caller's clients.
fn owner(caller: &Caller) -> Result<OrgNumber, Problem> {
    if caller.claims.contains_key("supplier") {
        return Err(Problem::forbidden(
            "a token on another organisation's behalf (it names a supplier) cannot manage that organisation's clients or delegations",
        ));
    }
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
    match state.app.create_client(&org, input).await {
        Ok(c) => (StatusCode::CREATED, Json(c)).into_response(),
        Err(e) => problem(e),
    }
}

async fn list(State(state): State<AppState>, scoped: Scoped<DcrRead>) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.clients_of(&org).await {
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
    match state.app.owned_client(&org, &client_id).await {
        Ok(c) => Json(c.record()).into_response(),
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
    match state.app.delete_client(&org, &client_id).await {
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
    match state.app.set_client_keys(&org, &client_id, &body).await {
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
    match state.app.client_keys_of(&org, &client_id).await {
        Ok(keys) => Json(JsonWebKeySet { keys }).into_response(),
        Err(e) => problem(e),
    }
}

async fn new_secret(
    State(state): State<AppState>,
    scoped: Scoped<DcrWrite>,
    Path(client_id): Path<String>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.rotate_client_secret(&org, &client_id).await {
        Ok(c) => Json(c).into_response(),
        Err(e) => problem(e),
    }
}

async fn delegate(
    State(state): State<AppState>,
    scoped: Scoped<DcrWrite>,
    ApiJson(input): ApiJson<DelegationInput>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.delegate_mp_scopes(&org, input).await {
        Ok(list) => (StatusCode::CREATED, Json(list)).into_response(),
        Err(e) => problem(e),
    }
}

async fn delegations(State(state): State<AppState>, scoped: Scoped<DcrRead>) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match state.app.mp_delegations(&org).await {
        Ok(lists) => Json(lists).into_response(),
        Err(e) => problem(e),
    }
}

#[derive(serde::Deserialize)]
struct WithdrawQuery {
    supplier_orgno: Option<String>,
    scope: Option<String>,
}

async fn withdraw(
    State(state): State<AppState>,
    scoped: Scoped<DcrWrite>,
    Query(q): Query<WithdrawQuery>,
) -> Response {
    let org = match owner(&scoped.0) {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let (Some(supplier), Some(scope)) = (q.supplier_orgno, q.scope) else {
        return Problem::bad_request("name the delegation: ?supplier_orgno=…&scope=…")
            .into_response();
    };
    match state
        .app
        .withdraw_mp_delegation(&org, &supplier, &scope)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(e),
    }
}
