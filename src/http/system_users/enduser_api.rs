//! The customer's side of system users (spec authentication-api §2.2 R10–R21, §2.4 U1–U6,
//! U18): a person with a portal token answers requests and manages the organisation's system
//! users.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::problem_codes as codes;
use crate::http::AppState;
use crate::http::auth::{Portal, PortalOrRegister, Scoped};
use crate::http::problem::{ApiJson, Problem};
use crate::services::system_users::system_user_json;
use crate::services::tokens::Caller;
use crate::store::system_user::SystemUserRecord;

use super::{BASE, su_problem};

pub fn routes() -> Router<AppState> {
    Router::new()
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
        .route(
            &format!("{BASE}/{{party}}/{{id}}/delegations"),
            get(delegations),
        )
        .route(&format!("{BASE}/{{party}}"), get(party_users))
        .route(
            &format!("{BASE}/{{party}}/{{id}}"),
            get(party_user).delete(party_delete),
        )
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
