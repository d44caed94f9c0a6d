//! The vendor's and the platform's side of system users (spec authentication-api §2.2 R1–R9,
//! §2.4 U7–U11): requests, their status, and the lookups Maskinporten and Altinn make.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;

use super::wire::{
    Links, Paged, RequestResponse, StreamPage, StreamStats, SystemUserRegisterResponse,
    SystemUserResponse,
};
use crate::http::AppState;
use crate::http::auth::{
    Lookup, RegisterWrite, RequestRead, RequestWrite, RequestWriteOrRead, Scoped, SystemUserAdmin,
};
use crate::http::problem::{ApiJson, Problem};
use crate::services::system_users::CreateRequest;

use super::{BASE, Kind, Standard, su_problem};
use crate::domain::request::live_key;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/request/vendor"), post(create))
        .route(
            &format!("{BASE}/request/vendor/{{id}}"),
            get(read::<Standard>).delete(remove),
        )
        .route(
            &format!("{BASE}/request/vendor/byexternalref/{{system_id}}/{{org}}/{{external_ref}}"),
            get(by_ref::<Standard>),
        )
        .route(
            &format!("{BASE}/request/vendor/bysystem/{{system_id}}"),
            get(by_system::<Standard>),
        )
        .route(&format!("{BASE}/vendor/byquery"), get(by_query))
        .route(
            &format!("{BASE}/vendor/bysystem/{{system_id}}"),
            get(users_by_system),
        )
        .route(&format!("{BASE}/internal/systemusers/stream"), get(stream))
        .route(
            &format!("{BASE}/internal/systemusers/{{id}}"),
            get(internal_one),
        )
        .route(&format!("{BASE}/byExternalId"), get(by_external_id))
}

/// R1: 201 with `Location` for a new request, 200 with the stored one for a known key.
async fn create(
    State(state): State<AppState>,
    scoped: Scoped<RequestWrite>,
    ApiJson(input): ApiJson<CreateRequest>,
) -> Response {
    let caller = &scoped.0;
    match state.app.create_request(caller, input).await {
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

/// R3, R4.
pub async fn read<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path(id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    match state.app.vendor_request(caller, &id, K::KIND).await {
        Ok(r) => Json(RequestResponse::of(&state.app, &r, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// R5, R6.
pub async fn by_ref<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path((system_id, org, external_ref)): Path<(String, String, String)>,
) -> Response {
    let caller = &scoped.0;
    match state
        .app
        .vendor_request_by_ref(caller, live_key(&system_id, &org, &external_ref), K::KIND)
        .await
    {
        Ok(r) => Json(RequestResponse::of(&state.app, &r, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    token: Option<String>,
}

impl PageQuery {
    /// The id the page starts after: the token is base64url of the JSON of the last id seen
    /// (empty for the first page); a token that is not one is a 400.
    pub fn after(&self) -> Result<String, Problem> {
        match self.token.as_deref() {
            None | Some("") => Ok(String::new()),
            Some(t) => B64
                .decode(t)
                .ok()
                .and_then(|b| serde_json::from_slice::<String>(&b).ok())
                .filter(|id| !id.contains('\0'))
                .ok_or_else(|| Problem::bad_request("token is not a page token from links.next")),
        }
    }
}

/// The token of the page after the one that ends with `id`.
pub fn page_token(id: String) -> String {
    B64.encode(serde_json::Value::from(id).to_string())
}

/// R7, R8: pages of `{links: {next}, data}`; the token is base64url of the JSON of the last
/// id seen.
pub async fn by_system<K: Kind>(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path(system_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let caller = &scoped.0;
    let after = match q.after() {
        Ok(after) => after,
        Err(p) => return p.into_response(),
    };
    match state
        .app
        .vendor_requests_of_system(caller, &system_id, K::KIND, &after)
        .await
    {
        Ok((page, next)) => {
            let agent = if K::KIND == crate::domain::request::SystemUserType::Agent {
                "agent/"
            } else {
                ""
            };
            let next = next.map(|id| {
                state.app.config.url(&format!(
                    "{BASE}/request/vendor/{agent}bysystem/{system_id}?token={}",
                    page_token(id)
                ))
            });
            Json(Paged {
                links: Links { next },
                data: page
                    .iter()
                    .map(|r| RequestResponse::of(&state.app, r, false))
                    .collect(),
            })
            .into_response()
        }
        Err(e) => su_problem(e),
    }
}

/// R9: 202 with an empty body.
async fn remove(
    State(state): State<AppState>,
    scoped: Scoped<RequestWrite>,
    Path(id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    match state.app.delete_vendor_request(caller, &id).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => su_problem(e),
    }
}

#[derive(Deserialize)]
struct ByQuery {
    #[serde(rename = "system-id")]
    system_id: Option<String>,
    orgno: Option<String>,
    #[serde(rename = "external-ref")]
    external_ref: Option<String>,
}

/// U7: the vendor verifies that a customer's system user exists.
async fn by_query(
    State(state): State<AppState>,
    scoped: Scoped<RequestWriteOrRead>,
    Query(q): Query<ByQuery>,
) -> Response {
    let caller = &scoped.0;
    let (Some(system_id), Some(org)) = (
        q.system_id.filter(|s| !s.is_empty()),
        q.orgno.filter(|s| !s.is_empty()),
    ) else {
        return Problem::bad_request(
            "give system-id and orgno (and external-ref when the request had one)",
        )
        .into_response();
    };
    match state
        .app
        .vendor_system_user(caller, &system_id, &org, q.external_ref.as_deref())
        .await
    {
        Ok(u) => Json(SystemUserResponse::of(&u, "")).into_response(),
        Err(e) => su_problem(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByExternalId {
    client_id: Option<String>,
    system_provider_org_no: Option<String>,
    system_user_owner_org_no: Option<String>,
    external_ref: Option<String>,
}

/// U9: the lookup Maskinporten makes; `productName` carries the system id.
async fn by_external_id(
    State(state): State<AppState>,
    _: Scoped<Lookup>,
    Query(q): Query<ByExternalId>,
) -> Response {
    let (Some(client), Some(vendor), Some(owner)) = (
        q.client_id.filter(|s| !s.is_empty()),
        q.system_provider_org_no.filter(|s| !s.is_empty()),
        q.system_user_owner_org_no.filter(|s| !s.is_empty()),
    ) else {
        return Problem::bad_request(
            "clientId, systemProviderOrgNo and systemUserOwnerOrgNo are required",
        )
        .into_response();
    };
    match state
        .app
        .system_user_for_maskinporten(&client, &vendor, &owner, q.external_ref.as_deref())
        .await
    {
        Ok(u) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(SystemUserResponse::of(&u, &u.system_id)),
        )
            .into_response(),
        Err(e) => su_problem(e),
    }
}

/// U8: the vendor's system users of a system, in sequence order, paged by an opaque token.
async fn users_by_system(
    State(state): State<AppState>,
    scoped: Scoped<RegisterWrite>,
    Path(system_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let caller = &scoped.0;
    // Whose system it is comes before whether the page token is good (AUTH-00011 first).
    let system = match state.app.require_vendor_system(caller, &system_id).await {
        Ok(s) => s,
        Err(e) => return su_problem(e),
    };
    let from = match q.token.as_deref() {
        None | Some("") => 0,
        Some(t) => match B64
            .decode(t)
            .ok()
            .and_then(|b| serde_json::from_slice::<i64>(&b).ok())
        {
            Some(n) => n,
            None => {
                return Problem::bad_request("token is not a page token from links.next")
                    .into_response();
            }
        },
    };
    let size = crate::services::system_users::PAGE_SIZE;
    match state.app.vendor_system_users_page(&system, from).await {
        Ok(mut page) => {
            let next = if page.len() as i64 > size {
                let first_of_next = page[size as usize].seq;
                page.truncate(size as usize);
                Some(state.app.config.url(&format!(
                    "{BASE}/vendor/bysystem/{system_id}?token={}",
                    B64.encode(first_of_next.to_string())
                )))
            } else {
                None
            };
            Json(Paged {
                links: Links { next },
                data: page.iter().map(|u| SystemUserResponse::of(u, "")).collect(),
            })
            .into_response()
        }
        Err(e) => su_problem(e),
    }
}

/// U10: every change to system users, 100 at a time, deleted ones included.
async fn stream(
    State(state): State<AppState>,
    _: Scoped<SystemUserAdmin>,
    Query(q): Query<PageQuery>,
) -> Response {
    let after = match q.token.as_deref() {
        None | Some("") => 0,
        Some(t) => match B64
            .decode(t)
            .ok()
            .and_then(|b| serde_json::from_slice::<i64>(&b).ok())
            .or_else(|| t.parse().ok())
        {
            Some(n) => n,
            None => {
                return Problem::bad_request("token is not a page token from links.next")
                    .into_response();
            }
        },
    };
    match state.app.system_user_changes(after, 100).await {
        Ok((page, max)) => {
            let (start, end) = match (page.first(), page.last()) {
                (Some(f), Some(l)) => (f.seq, l.seq),
                _ => (max, max),
            };
            let next = page.last().map(|l| {
                state.app.config.url(&format!(
                    "{BASE}/internal/systemusers/stream?token={}",
                    B64.encode(l.seq.to_string())
                ))
            });
            let data: Vec<SystemUserRegisterResponse> =
                page.iter().map(SystemUserRegisterResponse::of).collect();
            Json(StreamPage {
                links: Links { next },
                stats: StreamStats {
                    page_start: start,
                    page_end: end,
                    sequence_max: max,
                },
                data,
            })
            .into_response()
        }
        Err(e) => su_problem(e),
    }
}

/// U11: one system user for internal use; 410 when gone.
async fn internal_one(
    State(state): State<AppState>,
    _: Scoped<SystemUserAdmin>,
    Path(id): Path<String>,
) -> Response {
    match state.app.live_system_user(&id).await {
        Ok(Some(u)) => Json(SystemUserRegisterResponse::of(&u)).into_response(),
        Ok(None) => Problem::new(StatusCode::GONE, "Gone")
            .with_detail("the system user does not exist or was deleted")
            .into_response(),
        Err(e) => su_problem(e),
    }
}
