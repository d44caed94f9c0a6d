//! System-user requests and system users (spec authentication-api §2.2, §2.4), under
//! `/authentication/api/v1/systemuser`.

use crate::domain::problem_codes as codes;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::scopes;
use crate::http::AppState;
use crate::http::auth::{
    Lookup, Portal, PortalOrRegister, RegisterWrite, RequestRead, RequestWrite, RequestWriteOrRead,
    Scoped, SystemUserAdmin,
};
use crate::http::problem::{ApiJson, Problem};
use crate::services::system_users::{CreateRequest, SuError, system_user_json};
use crate::services::tokens::Caller;
use crate::store::system_user::SystemUserRecord;

const BASE: &str = "/authentication/api/v1/systemuser";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/request/vendor"), post(create))
        .route(
            &format!("{BASE}/request/vendor/{{id}}"),
            get(read).delete(remove),
        )
        .route(
            &format!("{BASE}/request/vendor/byexternalref/{{system_id}}/{{org}}/{{external_ref}}"),
            get(by_ref),
        )
        .route(
            &format!("{BASE}/request/vendor/bysystem/{{system_id}}"),
            get(by_system),
        )
        .route(&format!("{BASE}/request/{{party}}/{{id}}"), get(party_read))
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/approve"),
            post(approve),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/reject"),
            post(reject),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/escalate"),
            post(escalate),
        )
        .route(
            &format!("{BASE}/request/{{party}}/{{id}}/pending"),
            get(pending),
        )
        .route(&format!("{BASE}/request/{{party}}"), get(portal_request))
        .route(&format!("{BASE}/{{party}}/create"), post(create_direct))
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
        .route(
            &format!("{BASE}/{{party}}/{{id}}/delegations"),
            get(delegations),
        )
        .route(&format!("{BASE}/byExternalId"), get(by_external_id))
        .route(&format!("{BASE}/{{party}}"), get(party_users))
        .route(
            &format!("{BASE}/{{party}}/{{id}}"),
            get(party_user).delete(party_delete),
        )
}

pub fn su_problem(e: SuError) -> Response {
    match e {
        SuError::Problem(p) => {
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut problem = Problem::coded(status, p.code, p.title);
            if let Some(d) = p.detail {
                problem = problem.with_detail(d);
            }
            problem.into_response()
        }
        SuError::Store(s) => Problem::from(s).into_response(),
    }
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
                Json(state.app.request_json(&r, true)),
            )
                .into_response()
        }
        Ok((r, false)) => Json(state.app.request_json(&r, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

async fn read(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path(id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    match state.app.vendor_request(caller, &id).await {
        Ok(r) => Json(state.app.request_json(&r, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

async fn by_ref(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path((system_id, org, external_ref)): Path<(String, String, String)>,
) -> Response {
    let caller = &scoped.0;
    match state
        .app
        .vendor_request_by_ref(caller, &system_id, &org, &external_ref)
        .await
    {
        Ok(r) => Json(state.app.request_json(&r, true)).into_response(),
        Err(e) => su_problem(e),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    token: Option<String>,
}

/// R7: pages of `{links: {next}, data}`; the token is base64url of the JSON of the last id seen.
async fn by_system(
    State(state): State<AppState>,
    scoped: Scoped<RequestRead>,
    Path(system_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let caller = &scoped.0;
    let after = match q.token.as_deref() {
        None | Some("") => String::new(),
        Some(t) => match B64
            .decode(t)
            .ok()
            .and_then(|b| serde_json::from_slice::<String>(&b).ok())
            .filter(|id| !id.contains('\0'))
        {
            Some(id) => id,
            None => {
                return Problem::bad_request("token is not a page token from links.next")
                    .into_response();
            }
        },
    };
    match state
        .app
        .vendor_requests_of_system(caller, &system_id, &after)
        .await
    {
        Ok((page, next)) => {
            let next = next.map(|id| {
                state.app.config.url(&format!(
                    "{BASE}/request/vendor/bysystem/{system_id}?token={}",
                    B64.encode(json!(id).to_string())
                ))
            });
            let data: Vec<Value> = page
                .iter()
                .map(|r| state.app.request_json(r, false))
                .collect();
            Json(json!({"links": {"next": next}, "data": data})).into_response()
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

/// The person of an end-user token, and the organisation `{party}` (a party id) names.
async fn person_and_party(
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
    let party_id: i64 = party
        .parse()
        .map_err(|_| Problem::of(codes::REPORTEE_ORGNO_NOT_FOUND).into_response())?;
    let org = state
        .app
        .store
        .organization_by_party_id(party_id)
        .await
        .map_err(|e| Problem::from(e).into_response())?;
    let org = org
        .and_then(|o| o.org_no)
        .ok_or_else(|| Problem::of(codes::REPORTEE_ORGNO_NOT_FOUND).into_response())?;
    Ok((pid, org))
}

/// Whether `pid` has authority for `org`; a storage error is a 503/500, never a "no".
async fn authority(state: &AppState, pid: &str, org: &str) -> Result<bool, Response> {
    state
        .app
        .has_authority(pid, org)
        .await
        .map_err(|e| Problem::from(e).into_response())
}

/// As [`person_and_party`], and the person must have authority for the organisation.
async fn authorized_party(
    state: &AppState,
    caller: &Caller,
    party: &str,
) -> Result<(String, String), Response> {
    let (pid, org) = person_and_party(state, caller, party).await?;
    if !authority(state, &pid, &org).await? {
        return Err(
            Problem::forbidden("you have no authority for this organisation").into_response(),
        );
    }
    Ok((pid, org))
}

/// R10.
async fn party_read(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (pid, org) = match person_and_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.store.request(&id).await {
        Ok(Some(r)) if !r.is_deleted && r.party_org_no == org => {
            match authority(&state, &pid, &org).await {
                Ok(true) => {}
                Ok(false) => {
                    return Problem::forbidden("you have no authority for this organisation")
                        .into_response();
                }
                Err(r) => return r,
            }
            Json(state.app.request_json(&r, false)).into_response()
        }
        Ok(_) => su_problem(crate::services::system_users::request_not_found()),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn decide(
    state: AppState,
    caller: &Caller,
    party: &str,
    id: &str,
    approve: bool,
) -> Response {
    let (pid, org) = match person_and_party(&state, caller, party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.store.request(id).await {
        Ok(Some(r)) if !r.is_deleted => {
            if r.party_org_no != org {
                return Problem::of(codes::PARTY_ID_REQUEST_MISMATCH).into_response();
            }
        }
        Ok(_) => return su_problem(crate::services::system_users::request_not_found()),
        Err(e) => return Problem::from(e).into_response(),
    }
    match state.app.decide_request(&pid, id, approve).await {
        Ok(_) => Json(json!(true)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// R14: 200 `true`; the system user gets the request's id.
async fn approve(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    decide(state.clone(), caller, &party, &id, true).await
}

/// R16.
async fn reject(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    decide(state.clone(), caller, &party, &id, false).await
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
        Ok(u) => Json(system_user_json(&u, "")).into_response(),
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
    let ext = crate::domain::request::effective_external_ref(q.external_ref.as_deref(), &owner);
    match state
        .app
        .store
        .system_user_for_client(&client, &vendor, &owner, &ext)
        .await
    {
        Ok(Some(u)) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(system_user_json(&u, &u.system_id)),
        )
            .into_response(),
        Ok(None) => Problem::of(codes::SYSTEM_USER_NOT_FOUND).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

fn internal_json(u: &SystemUserRecord) -> Value {
    let mut v = system_user_json(u, "");
    v["partyId"] = json!(u.party_id.to_string());
    v["systemInternalId"] = json!(u.system_internal_id);
    v["accessPackages"] = json!(u.access_packages);
    v["rights"] = json!(u.rights);
    v
}

/// U1: the organisation's system users.
async fn party_users(
    State(state): State<AppState>,
    scoped: Scoped<PortalOrRegister>,
    Path(party): Path<String>,
) -> Response {
    let caller = &scoped.0;
    let (_pid, org) = match authorized_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.store.system_users_of(&org).await {
        Ok(list) => Json(list.iter().map(internal_json).collect::<Vec<_>>()).into_response(),
        Err(e) => Problem::from(e).into_response(),
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
        Ok(u) => Json(internal_json(&u)).into_response(),
        Err(r) => r,
    }
}

/// The organisation's live system user `id`; 404 AUTH-00015 otherwise.
async fn party_system_user(
    state: &AppState,
    org: &str,
    id: &str,
) -> Result<SystemUserRecord, Response> {
    match state.app.store.system_user(id).await {
        Ok(Some(u)) if !u.is_deleted && u.party_org_no == org => Ok(u),
        Ok(_) => Err(Problem::of(codes::SYSTEM_USER_NOT_FOUND).into_response()),
        Err(e) => Err(Problem::from(e).into_response()),
    }
}

/// U4: 202.
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
    match state.app.delete_system_user(&pid, &org, &id).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => su_problem(e),
    }
}

/// R12: a request as the person answering it sees it, with whether they may only escalate.
async fn portal_request(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path(id): Path<String>,
) -> Response {
    let caller = &scoped.0;
    let Some(pid) = caller.claims.get("pid").and_then(Value::as_str) else {
        return Problem::forbidden("this needs a person's token (pid claim)").into_response();
    };
    let r = match state.app.store.request(&id).await {
        Ok(Some(r)) if !r.is_deleted => r,
        Ok(_) => return su_problem(crate::services::system_users::request_not_found()),
        Err(e) => return Problem::from(e).into_response(),
    };
    let authority = match authority(&state, pid, &r.party_org_no).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let related = authority
        || match state.app.store.has_any_role(pid, &r.party_org_no).await {
            Ok(related) => related,
            Err(e) => return Problem::from(e).into_response(),
        };
    if !related {
        return Problem::of(codes::REQUEST_USER_IS_NOT_ACCESS_MANAGER)
            .with_detail("The user is neither an access manager nor related to the party")
            .into_response();
    }
    let party = match r.party_org_no.parse() {
        Ok(org) => match state.app.store.organization(&org).await {
            Ok(party) => party,
            Err(e) => return Problem::from(e).into_response(),
        },
        Err(_) => None,
    };
    let mut v = state.app.request_json(&r, false);
    v["partyId"] = json!(party.as_ref().map(|p| p.party_id));
    v["partyUuid"] = json!(party.as_ref().map(|p| p.party_uuid.clone()));
    v["userMayEscalateButNotApprove"] = json!(!authority);
    Json(v).into_response()
}

/// R18: 200 `true` when the request was sent on to the organisation's administrators.
async fn escalate(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((_party, id)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let Some(pid) = caller.claims.get("pid").and_then(Value::as_str) else {
        return su_problem(crate::services::system_users::request_not_found());
    };
    match state.app.escalate_request(pid, &id).await {
        Ok(done) => Json(json!(done)).into_response(),
        Err(e) => su_problem(e),
    }
}

/// R20: the organisation's requests waiting for an answer (`{orgno}` must be `{party}`'s).
async fn pending(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, orgno)): Path<(String, String)>,
) -> Response {
    let caller = &scoped.0;
    let (pid, org) = match person_and_party(&state, caller, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let may = match authority(&state, &pid, &org).await {
        Ok(may) => may,
        Err(r) => return r,
    };
    if org != orgno || !may {
        return Problem::forbidden("you have no authority for this organisation").into_response();
    }
    if let Err(e) = state.app.time_out_requests().await {
        return Problem::from(e).into_response();
    }
    match state.app.store.pending_requests(&org).await {
        Ok(list) => Json(
            list.iter()
                .map(|r| state.app.request_json(r, false))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => Problem::from(e).into_response(),
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
        Ok(u) => Json(internal_json(&u)).into_response(),
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
    let owner = caller.consumer_org().map(|o| o.to_string());
    match state.app.store.system(&system_id).await {
        Ok(Some(s))
            if Some(&s.vendor_org) == owner.as_ref()
                || caller.has_scope(scopes::SYSTEMREGISTER_ADMIN) => {}
        Ok(_) => return su_problem(crate::services::system_users::system_not_found()),
        Err(e) => return Problem::from(e).into_response(),
    }
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
    match state
        .app
        .store
        .system_users_of_system(&system_id, from, size + 1)
        .await
    {
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
            let data: Vec<Value> = page.iter().map(|u| system_user_json(u, "")).collect();
            Json(json!({"links": {"next": next}, "data": data})).into_response()
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `SystemUserRegisterDTO`.
fn register_json(u: &SystemUserRecord) -> Value {
    json!({
        "id": u.id, "partyOrgNo": u.party_org_no, "partyId": u.party_id.to_string(), "integrationTitle": u.integration_title,
        "isDeleted": u.is_deleted, "lastChanged": crate::clock::format_micros(u.updated_at), "created": crate::clock::format_micros(u.created_at),
        "sequenceNo": u.seq, "systemUserType": u.user_type,
    })
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
    match state.app.store.system_user_stream(after, 100).await {
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
            let data: Vec<Value> = page.iter().map(register_json).collect();
            Json(json!({"links": {"next": next}, "stats": {"pageStart": start, "pageEnd": end, "sequenceMax": max}, "data": data})).into_response()
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

/// U11: one system user for internal use; 410 when gone.
async fn internal_one(
    State(state): State<AppState>,
    _: Scoped<SystemUserAdmin>,
    Path(id): Path<String>,
) -> Response {
    match state.app.store.system_user(&id).await {
        Ok(Some(u)) if !u.is_deleted => Json(register_json(&u)).into_response(),
        Ok(_) => Problem::new(StatusCode::GONE, "Gone")
            .with_detail("the system user does not exist or was deleted")
            .into_response(),
        Err(e) => Problem::from(e).into_response(),
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
        Ok(u) => Json(
            json!({"systemUserId": u.id, "rights": u.rights, "accessPackages": u.access_packages}),
        )
        .into_response(),
        Err(r) => r,
    }
}
