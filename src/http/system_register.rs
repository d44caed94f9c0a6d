//! The system register API (spec authentication-api §2.1), under
//! `/authentication/api/v1/systemregister`.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, put};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::auth::{Portal, RegisterWrite, Scoped};
use super::problem::{ApiJson, Problem, ValidationError};
use crate::domain::problem_codes as codes;
use crate::domain::system::{AttributePair, PackageRef, Right, System, SystemInput, Violation};
use crate::services::system_register::{RegisterError, SystemWithVendor};

/// Systems may be large (many rights); a body over this is refused with 413.
const BODY_LIMIT: usize = 8 * 1024 * 1024;
const BASE: &str = "/authentication/api/v1/systemregister";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list_visible))
        .route(&format!("{BASE}/vendor"), get(list_vendor).post(create))
        .route(
            &format!("{BASE}/vendor/{{system_id}}"),
            get(read_vendor).put(update).delete(remove),
        )
        .route(
            &format!("{BASE}/vendor/{{system_id}}/rights"),
            put(update_rights),
        )
        .route(
            &format!("{BASE}/vendor/{{system_id}}/accesspackages"),
            put(update_packages),
        )
        .route(
            &format!("{BASE}/vendor/{{system_id}}/changelog"),
            get(change_log),
        )
        .route(&format!("{BASE}/{{system_id}}"), get(read_portal))
        .route(&format!("{BASE}/{{system_id}}/rights"), get(rights))
        .route(
            &format!("{BASE}/{{system_id}}/accesspackages"),
            get(packages),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

fn violations_problem(violations: Vec<Violation>) -> Problem {
    let errors = violations
        .into_iter()
        .map(|v| {
            let mut extensions = serde_json::Map::new();
            if let Some((key, value)) = v.extension {
                extensions.insert(key.to_owned(), Value::from(value));
            }
            ValidationError {
                code: v.code.into(),
                title: v.title.into(),
                paths: vec![v.path.into()],
                detail: None,
                extensions,
            }
        })
        .collect();
    Problem::validation(errors)
}

fn register_error(e: RegisterError) -> Response {
    match e {
        RegisterError::Invalid(v) => violations_problem(v).into_response(),
        RegisterError::Forbidden => Problem::forbidden(
            "only the system's vendor (or a token with the systemregister.admin scope) may do this",
        )
        .into_response(),
        RegisterError::NotFound(ref id) => Problem::of(codes::SYSTEM_ID_NOT_FOUND)
            .with_detail(format!("System with ID '{id}' not found."))
            .into_response(),
        RegisterError::Deleted => Problem::of(codes::SYSTEM_DELETED).into_response(),
        RegisterError::Conflict(ref id) => Problem::new(StatusCode::CONFLICT, "Conflict")
            .with_detail(format!("The System already exist: {id}"))
            .into_response(),
        RegisterError::Store(s) => Problem::from(s).into_response(),
    }
}

/// `{"succeeded": true}`: the answer to a change of the register.
#[derive(Serialize, utoipa::ToSchema)]
struct Succeeded {
    succeeded: bool,
}

fn succeeded() -> Response {
    Json(Succeeded { succeeded: true }).into_response()
}

/// The vendor as the register writes it: `{"ID": "0192:<org. no.>"}`.
#[derive(Serialize, utoipa::ToSchema)]
struct VendorId {
    #[serde(rename = "ID")]
    id: String,
}

/// The full model, for the system's vendor (`RegisteredSystemResponse`).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RegisteredSystemResponse<'a> {
    id: &'a str,
    vendor: VendorId,
    name: &'a HashMap<String, String>,
    description: &'a HashMap<String, String>,
    rights: &'a [Right],
    access_packages: &'a [PackageRef],
    #[serde(rename = "clientId")]
    client_ids: &'a [String],
    is_visible: bool,
    allowed_redirect_urls: &'a [String],
    is_deleted: bool,
}

fn full(s: &System) -> RegisteredSystemResponse<'_> {
    RegisteredSystemResponse {
        id: &s.system_id,
        vendor: VendorId {
            id: format!("0192:{}", s.vendor_org),
        },
        name: &s.name,
        description: &s.description,
        rights: &s.rights,
        access_packages: &s.access_packages,
        client_ids: &s.client_ids,
        is_visible: s.is_visible,
        allowed_redirect_urls: &s.allowed_redirect_urls,
        is_deleted: s.is_deleted,
    }
}

/// The portal model (`RegisteredSystemDTO`), with the vendor's name from the register.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RegisteredSystemDto<'a> {
    system_id: &'a str,
    system_vendor_org_number: &'a str,
    system_vendor_org_name: &'a str,
    name: &'a HashMap<String, String>,
    description: &'a HashMap<String, String>,
    rights: &'a [Right],
    access_packages: &'a [PackageRef],
    is_visible: bool,
}

fn portal(v: &SystemWithVendor) -> RegisteredSystemDto<'_> {
    let s = &v.system;
    RegisteredSystemDto {
        system_id: &s.system_id,
        system_vendor_org_number: &s.vendor_org,
        system_vendor_org_name: &v.vendor_name,
        name: &s.name,
        description: &s.description,
        rights: &s.rights,
        access_packages: &s.access_packages,
        is_visible: s.is_visible,
    }
}

/// SR1: every live, visible system.
async fn list_visible(State(state): State<AppState>, _: Scoped<Portal>) -> Response {
    match state.app.visible_systems().await {
        Ok(list) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(list.iter().map(portal).collect::<Vec<_>>()),
        )
            .into_response(),
        Err(e) => register_error(e),
    }
}

/// SR2: the calling vendor's live systems.
async fn list_vendor(State(state): State<AppState>, scoped: Scoped<RegisterWrite>) -> Response {
    let caller = &scoped.0;
    let Some(org) = caller.consumer_org() else {
        return Problem::forbidden("the token names no vendor organisation (consumer claim)")
            .into_response();
    };
    match state.app.systems_of_vendor(org.as_str()).await {
        Ok(list) => Json(list.iter().map(portal).collect::<Vec<_>>()).into_response(),
        Err(e) => register_error(e),
    }
}

/// SR3: one system (deleted ones too).
async fn read_portal(
    State(state): State<AppState>,
    _: Scoped<Portal>,
    Path(system_id): Path<String>,
) -> Response {
    match state.app.system_for_portal(&system_id).await {
        Ok(s) => Json(portal(&s)).into_response(),
        Err(e) => register_error(e),
    }
}

/// SR4: the full system, for its vendor.
async fn read_vendor(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    match state.app.vendor_system(caller, &system_id).await {
        Ok(s) => Json(full(&s)).into_response(),
        Err(e) => register_error(e),
    }
}

/// SR5: 200 with the new system's internal id as a JSON string.
async fn create(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    ApiJson(input): ApiJson<SystemInput>,
) -> Response {
    let caller = &scoped.0;
    match state.app.create_system(caller, input).await {
        Ok(internal_id) => Json(internal_id).into_response(),
        Err(e) => register_error(e),
    }
}

/// SR6.
async fn update(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
    ApiJson(input): ApiJson<SystemInput>,
) -> Response {
    let caller = &scoped.0;
    match state.app.update_system(caller, &system_id, input).await {
        Ok(()) => succeeded(),
        Err(e) => register_error(e),
    }
}

/// SR7.
async fn update_rights(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
    ApiJson(rights): ApiJson<Vec<Right>>,
) -> Response {
    let caller = &scoped.0;
    match state
        .app
        .update_system_rights(caller, &system_id, rights)
        .await
    {
        Ok(()) => succeeded(),
        Err(e) => register_error(e),
    }
}

/// SR8.
async fn update_packages(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
    ApiJson(packages): ApiJson<Vec<PackageRef>>,
) -> Response {
    let caller = &scoped.0;
    match state
        .app
        .update_system_packages(caller, &system_id, packages)
        .await
    {
        Ok(()) => succeeded(),
        Err(e) => register_error(e),
    }
}

/// SR9.
async fn remove(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    match state.app.delete_system(caller, &system_id).await {
        Ok(()) => succeeded(),
        Err(e) => register_error(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RightsQuery {
    #[serde(default)]
    use_old_format_for_app: bool,
}

/// SR10: the system's rights (`[]` for an unknown system); with `useOldFormatForApp=true`,
/// app resources are written as `urn:altinn:org` + `urn:altinn:app` pairs.
async fn rights(
    State(state): State<AppState>,
    _: Scoped<Portal>,
    Path(system_id): Path<String>,
    Query(q): Query<RightsQuery>,
) -> Response {
    let rights = match state.app.system_rights_and_packages(&system_id).await {
        Ok((rights, _)) => rights,
        Err(e) => return register_error(e),
    };
    if !q.use_old_format_for_app {
        return Json(rights).into_response();
    }
    let old: Vec<Right> = rights
        .into_iter()
        .map(|r| Right {
            action: r.action,
            resource: r.resource.into_iter().flat_map(old_format).collect(),
        })
        .collect();
    Json(old).into_response()
}

fn old_format(p: AttributePair) -> Vec<AttributePair> {
    if p.id != "urn:altinn:resource" {
        return vec![];
    }
    match p
        .value
        .strip_prefix("app_")
        .and_then(|rest| rest.split_once('_'))
    {
        Some((org, app)) => vec![
            AttributePair {
                id: "urn:altinn:org".into(),
                value: org.into(),
            },
            AttributePair {
                id: "urn:altinn:app".into(),
                value: app.into(),
            },
        ],
        None => vec![p],
    }
}

/// SR11: the system's access packages (`[]` for an unknown system).
async fn packages(
    State(state): State<AppState>,
    _: Scoped<Portal>,
    Path(system_id): Path<String>,
) -> Response {
    match state.app.system_rights_and_packages(&system_id).await {
        Ok((_, packages)) => Json(packages).into_response(),
        Err(e) => register_error(e),
    }
}

/// SR12.
async fn change_log(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    match state.app.system_change_log(caller, &system_id).await {
        Ok(log) => Json(log).into_response(),
        Err(e) => register_error(e),
    }
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<Succeeded>()
        .add::<VendorId>()
        .add::<RegisteredSystemResponse>()
        .add::<RegisteredSystemDto>()
        .add::<crate::services::system_register::ChangeLogEntry>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_app_format_splits_app_resources_and_drops_other_ids() {
        let pair = |id: &str, value: &str| AttributePair {
            id: id.into(),
            value: value.into(),
        };
        assert_eq!(
            old_format(pair("urn:altinn:resource", "app_ttd_skjema")),
            vec![
                pair("urn:altinn:org", "ttd"),
                pair("urn:altinn:app", "skjema")
            ]
        );
        assert_eq!(
            old_format(pair("urn:altinn:resource", "ske-krav")),
            vec![pair("urn:altinn:resource", "ske-krav")]
        );
        assert!(old_format(pair("urn:altinn:org", "ttd")).is_empty());
    }
}
