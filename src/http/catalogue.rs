//! The access-package catalogue and the resource registry (public reads).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;

use super::AppState;
use super::problem::Problem;
use crate::domain::urn::{AccessPackageUrn, ResourceId};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/accessmanagement/api/v1/meta/info/accesspackages/export",
            get(export),
        )
        .route(
            "/accessmanagement/api/v1/meta/info/accesspackages/package/urn/{urn}",
            get(package),
        )
        .route("/resourceregistry/api/v1/resource/{id}", get(resource))
}

async fn export(State(state): State<AppState>) -> Response {
    match state.app.access_package_catalogue().await {
        Ok(list) => Json(list).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn package(State(state): State<AppState>, Path(urn): Path<String>) -> Response {
    if let Err(e) = urn.parse::<AccessPackageUrn>() {
        return Problem::bad_request(format!("'{urn}': {e}")).into_response();
    }
    match state.app.access_package(&urn).await {
        Ok(Some(p)) => Json(p).into_response(),
        Ok(None) => Problem::not_found(format!("no access package {urn}")).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn resource(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if let Err(e) = id.parse::<ResourceId>() {
        return Problem::bad_request(format!("'{id}': {e}")).into_response();
    }
    match state.app.resource(&id).await {
        Ok(Some(r)) => Json(r).into_response(),
        Ok(None) => {
            Problem::not_found(format!("no resource {id} in the resource registry")).into_response()
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    use crate::domain::reference::{AccessPackage, Resource};
    s.add::<AccessPackage>().add::<Resource>();
}
