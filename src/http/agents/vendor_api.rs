//! The vendor's side of agent system users (spec authentication-api §2.2 R2, R4, R6, R8;
//! errata §B): agent requests carry access packages only. Reading them shares the standard
//! requests' handlers, routed for the agent type.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};

use crate::http::AppState;
use crate::http::auth::{RequestWrite, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::http::system_users::vendor_api::{by_ref, by_system, read};
use crate::http::system_users::wire::RequestResponse;
use crate::http::system_users::{Agent, BASE, su_problem};
use crate::services::agents::CreateAgentRequest;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/request/vendor/agent"), post(create))
        // The path Altinn's own guide gives vendors (errata §B.6): the same endpoint.
        .route(&format!("{BASE}/agent/request"), post(create))
        .route(
            &format!("{BASE}/request/vendor/agent/{{id}}"),
            get(read::<Agent>),
        )
        .route(
            &format!(
                "{BASE}/request/vendor/agent/byexternalref/{{system_id}}/{{org}}/{{external_ref}}"
            ),
            get(by_ref::<Agent>),
        )
        .route(
            &format!("{BASE}/request/vendor/agent/bysystem/{{system_id}}"),
            get(by_system::<Agent>),
        )
}

/// ASP.NET's model-validation problem for a required property that is missing (errata
/// §B.4: no `AUTH-` code).
fn required(property: &str) -> Response {
    let errors = BTreeMap::from([(property, [format!("The {property} field is required.")])]);
    Problem::new(
        StatusCode::BAD_REQUEST,
        "One or more validation errors occurred.",
    )
    .with_detail(format!("{property} is required"))
    .with_extension("errors", serde_json::to_value(errors).unwrap_or_default())
    .into_response()
}

/// R2: 201 with `Location` (the standard request path, as in Altinn) for a new request, 200
/// with the stored one for a known key.
async fn create(
    State(state): State<AppState>,
    scoped: Scoped<RequestWrite>,
    ApiJson(input): ApiJson<CreateAgentRequest>,
) -> Response {
    let caller = &scoped.0;
    let Some(packages) = input.access_packages.clone() else {
        return required("AccessPackages");
    };
    match state
        .app
        .create_agent_request(caller, input, packages)
        .await
    {
        Ok((r, true)) => {
            let location = state.app.config.url(&format!("{BASE}/request/{}", r.id));
            (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(RequestResponse::of(&state.app, &r, true)),
            )
                .into_response()
        }
        Ok((r, false)) => Json(RequestResponse::of(&state.app, &r, true)).into_response(),
        Err(e) => su_problem(e),
    }
}
