//! The embedded self-service API (local profile), as Digdir's: Maskinporten clients and relying
//! parties of the embedded ID-porten and Ansattporten with their keys or secrets, and
//! Maskinporten scope delegations, owned by the organisation of the caller's token.

use std::marker::PhantomData;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::domain::OrgNumber;
use crate::http::AppState;
use crate::http::auth::{DcrRead, DcrWrite, ScopeSet, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::services::keys::JsonWebKeySet;
use crate::services::maskinporten::{ClientInput, DelegationInput, SelfServiceError};

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

/// The organisation that owns the caller's clients: the consumer of a token with one of `S`'s
/// scopes. A token on another organisation's behalf (one naming a supplier) speaks for no one
/// here.
struct Owner<S: ScopeSet>(OrgNumber, PhantomData<S>);

impl<S: ScopeSet> FromRequestParts<AppState> for Owner<S> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Scoped::<S>::from_request_parts(parts, state).await?.0;
        if caller.claims.contains_key("supplier") {
            return Err(Problem::forbidden(
                "a token on another organisation's behalf (it names a supplier) cannot manage that organisation's clients or delegations",
            ));
        }
        let org = caller.consumer_org().ok_or_else(|| {
            Problem::forbidden("the token names no organisation (consumer claim)")
        })?;
        Ok(Owner(org, PhantomData))
    }
}

impl From<SelfServiceError> for Problem {
    fn from(e: SelfServiceError) -> Self {
        match e {
            SelfServiceError::Invalid(m) => Problem::bad_request(m),
            SelfServiceError::NotFound(_) => Problem::not_found(e.to_string()),
            SelfServiceError::Store(s) => Problem::from(s),
        }
    }
}

type Answer = Result<Response, Problem>;

async fn create(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrWrite>,
    ApiJson(input): ApiJson<ClientInput>,
) -> Answer {
    let c = state.app.create_client(&org, input).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

async fn list(State(state): State<AppState>, Owner(org, _): Owner<DcrRead>) -> Answer {
    Ok(Json(state.app.clients_of(&org).await?).into_response())
}

async fn read(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrRead>,
    Path(client_id): Path<String>,
) -> Answer {
    let c = state.app.owned_client(&org, &client_id).await?;
    Ok(Json(c.record()).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrWrite>,
    Path(client_id): Path<String>,
) -> Answer {
    state.app.delete_client(&org, &client_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_keys(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrWrite>,
    Path(client_id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Answer {
    let keys = state.app.set_client_keys(&org, &client_id, &body).await?;
    Ok((StatusCode::CREATED, Json(JsonWebKeySet { keys })).into_response())
}

async fn keys(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrRead>,
    Path(client_id): Path<String>,
) -> Answer {
    let keys = state.app.client_keys_of(&org, &client_id).await?;
    Ok(Json(JsonWebKeySet { keys }).into_response())
}

async fn new_secret(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrWrite>,
    Path(client_id): Path<String>,
) -> Answer {
    Ok(Json(state.app.rotate_client_secret(&org, &client_id).await?).into_response())
}

async fn delegate(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrWrite>,
    ApiJson(input): ApiJson<DelegationInput>,
) -> Answer {
    let list = state.app.delegate_mp_scopes(&org, input).await?;
    Ok((StatusCode::CREATED, Json(list)).into_response())
}

async fn delegations(State(state): State<AppState>, Owner(org, _): Owner<DcrRead>) -> Answer {
    Ok(Json(state.app.mp_delegations(&org).await?).into_response())
}

#[derive(serde::Deserialize)]
struct WithdrawQuery {
    supplier_orgno: Option<String>,
    scope: Option<String>,
}

async fn withdraw(
    State(state): State<AppState>,
    Owner(org, _): Owner<DcrWrite>,
    Query(q): Query<WithdrawQuery>,
) -> Answer {
    let (Some(supplier), Some(scope)) = (q.supplier_orgno, q.scope) else {
        return Err(Problem::bad_request(
            "name the delegation: ?supplier_orgno=…&scope=…",
        ));
    };
    state
        .app
        .withdraw_mp_delegation(&org, &supplier, &scope)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
