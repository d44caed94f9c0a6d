//! The client-delegation façade for vendor-built tools (`enduser/systemuser`; errata §D,
//! tokens-idp-delegation §A.2): a person at a facilitator, with an end-user token carrying
//! `altinn:clientdelegations.read` / `.write` (exactly), lists the clients an agent system
//! user may get, lists and changes the ones it has, and lists the facilitator's agents.
//! tilgang adds `?search=` and paging (`links.next`) for firms with thousands of clients.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use super::wire::{ClientDelegationResponse, ClientInfo, ClientInfoPage, SystemUserInformation};
use crate::domain::problem_codes::{self as codes, ProblemCode};
use crate::domain::request::SystemUserType;
use crate::http::AppState;
use crate::http::auth::{ClientDelegationRead, ClientDelegationWrite, Scoped};
use crate::http::problem::{Problem, ValidationError};
use crate::http::system_users::su_problem;
use crate::http::system_users::wire::{Links, SystemUserInternalResponse};
use crate::services::agents::{ClientPage, ClientQuery, page_token};
use crate::services::system_users::{SuError, SystemUserRecord};
use crate::services::tokens::Caller;

const BASE: &str = "/authentication/api/v1/enduser/systemuser";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/clients/available"), get(available))
        .route(
            &format!("{BASE}/clients"),
            get(delegated).post(add).delete(remove),
        )
        .route(&format!("{BASE}/agents"), get(agents))
}

#[derive(Deserialize)]
struct ClientParams {
    agent: Option<String>,
    client: Option<String>,
    search: Option<String>,
    token: Option<String>,
}

fn validation(code: ProblemCode, path: &str) -> ValidationError {
    ValidationError {
        code: code.code.into(),
        title: code.title.into(),
        paths: vec![path.into()],
        detail: None,
        extensions: serde_json::Map::new(),
    }
}

/// The common preamble (errata §D.13, §G.24): the agent system user named by `?agent`, and
/// for changes the client named by `?client` — every missing or bad parameter in one
/// validation problem — and the person, who must administer the clients of its owner.
async fn agent_for(
    state: &AppState,
    caller: &Caller,
    params: &ClientParams,
    needs_client: bool,
) -> Result<(String, SystemUserRecord), Response> {
    let mut errors = Vec::new();
    let agent_id = params
        .agent
        .as_deref()
        .map(str::trim)
        .filter(|a| uuid::Uuid::parse_str(a).is_ok());
    let mut agent = None;
    match agent_id {
        None => errors.push(validation(
            codes::SYSTEM_USER_MISSING_SYSTEM_USER_ID,
            "?agent",
        )),
        Some(id) => match state.app.agent_system_user(id).await {
            Ok(u) => agent = Some(u),
            Err(SuError::Problem(p)) if p.code == codes::SYSTEM_USER_NOT_FOUND.code => errors.push(
                validation(codes::SYSTEM_USER_SYSTEM_USER_ID_NOT_FOUND, "?agent"),
            ),
            Err(SuError::Problem(p))
                if p.code == codes::AGENT_SYSTEM_USER_EXPECTED_AGENT_USER_TYPE.code =>
            {
                errors.push(validation(
                    codes::SYSTEM_USER_INVALID_SYSTEM_USER_ID,
                    "?agent",
                ))
            }
            Err(e) => return Err(su_problem(e)),
        },
    }
    if needs_client
        && params
            .client
            .as_deref()
            .map(str::trim)
            .is_none_or(|c| uuid::Uuid::parse_str(c).is_err())
    {
        errors.push(validation(
            codes::SYSTEM_USER_MISSING_CLIENT_PARAMETER,
            "?client",
        ));
    }
    let Some(agent) = agent.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors).into_response());
    };
    let pid = person(caller).ok_or_else(not_a_person)?;
    if state
        .app
        .party_org_by_number(&agent.party_org_no)
        .await
        .map_err(su_problem)?
        .is_none()
    {
        return Err(
            Problem::new(StatusCode::NOT_FOUND, "System Owner not Found")
                .with_detail(format!(
                    "No associated party information found for systemuser owner {}",
                    agent.party_org_no
                ))
                .into_response(),
        );
    }
    match state
        .app
        .require_client_admin(&pid, &agent.party_org_no)
        .await
    {
        Ok(()) => Ok((pid, agent)),
        Err(SuError::NoAuthority) => Err(Problem::forbidden(
            "only the daglig leder, styreleder, innehaver or a client administrator of the \
             system user's owner may manage its clients",
        )
        .into_response()),
        Err(e) => Err(su_problem(e)),
    }
}

/// The person of an end-user token.
fn person(caller: &Caller) -> Option<String> {
    caller
        .claims
        .get("pid")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn not_a_person() -> Response {
    Problem::forbidden("this needs a person's token (pid claim)").into_response()
}

fn client_param(params: &ClientParams) -> String {
    params
        .client
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The page as `ClientInfoPaginated`, `links.next` carrying the search and the token.
fn page_response(
    state: &AppState,
    path: &str,
    agent: &SystemUserRecord,
    params: &ClientParams,
    page: ClientPage,
    with_eligibility: bool,
) -> Response {
    let next = page.next.as_ref().map(|cursor| {
        let mut query = format!("agent={}&token={}", agent.id, page_token(cursor));
        if let Some(search) = params.search.as_deref().filter(|s| !s.trim().is_empty()) {
            query.push_str(&format!(
                "&search={}",
                crate::services::idp::percent_encode(search.trim())
            ));
        }
        state.app.config.url(&format!("{BASE}/{path}?{query}"))
    });
    Json(ClientInfoPage {
        links: Links { next },
        data: page
            .clients
            .iter()
            .map(|c| ClientInfo::of(c, with_eligibility))
            .collect(),
        system_user_information: SystemUserInformation {
            system_user_id: agent.id.clone(),
            system_user_owner_org: agent.party_org_no.clone(),
        },
    })
    .into_response()
}

async fn list(state: AppState, caller: &Caller, params: ClientParams, delegated: bool) -> Response {
    let (_pid, agent) = match agent_for(&state, caller, &params, false).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = match ClientQuery::parse(params.search.as_deref(), params.token.as_deref()) {
        Ok(q) => q,
        Err(e) => return su_problem(e),
    };
    let page = if delegated {
        state.app.delegated_clients(&agent, &q).await
    } else {
        state.app.available_clients(&agent, &q).await
    };
    match page {
        Ok(page) => {
            let path = if delegated {
                "clients"
            } else {
                "clients/available"
            };
            page_response(&state, path, &agent, &params, page, delegated)
        }
        Err(e) => su_problem(e),
    }
}

/// The clients the agent may still be given.
async fn available(
    State(state): State<AppState>,
    scoped: Scoped<ClientDelegationRead>,
    Query(params): Query<ClientParams>,
) -> Response {
    list(state, &scoped.0, params, false).await
}

/// The clients the agent has.
async fn delegated(
    State(state): State<AppState>,
    scoped: Scoped<ClientDelegationRead>,
    Query(params): Query<ClientParams>,
) -> Response {
    list(state, &scoped.0, params, true).await
}

/// Adds a client (idempotent: 200 again when it already was).
async fn add(
    State(state): State<AppState>,
    scoped: Scoped<ClientDelegationWrite>,
    Query(params): Query<ClientParams>,
) -> Response {
    let (pid, agent) = match agent_for(&state, &scoped.0, &params, true).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .add_client(&pid, &agent, &client_param(&params))
        .await
    {
        Ok((client, _)) => Json(ClientDelegationResponse {
            agent: agent.id,
            client: client.party_uuid,
        })
        .into_response(),
        Err(e) => su_problem(e),
    }
}

/// Removes a client; one that was never added is AUTH-00038.
async fn remove(
    State(state): State<AppState>,
    scoped: Scoped<ClientDelegationWrite>,
    Query(params): Query<ClientParams>,
) -> Response {
    let (pid, agent) = match agent_for(&state, &scoped.0, &params, true).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .remove_client(&pid, &agent, &client_param(&params))
        .await
    {
        Ok(client) => Json(ClientDelegationResponse {
            agent: agent.id,
            client: client.party_uuid,
        })
        .into_response(),
        Err(e) => su_problem(e),
    }
}

#[derive(Deserialize)]
struct AgentsParams {
    party: Option<String>,
}

/// The facilitator's agent system users (`?party=` is its organisation number).
async fn agents(
    State(state): State<AppState>,
    scoped: Scoped<ClientDelegationRead>,
    Query(params): Query<AgentsParams>,
) -> Response {
    let Some(pid) = person(&scoped.0) else {
        return not_a_person();
    };
    let org = params.party.unwrap_or_default().trim().to_owned();
    match state.app.party_org_by_number(&org).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Problem::new(StatusCode::NOT_FOUND, "Party not found")
                .with_detail(format!("no organisation has the number '{org}'"))
                .into_response();
        }
        Err(e) => return su_problem(e),
    }
    match state.app.require_client_admin(&pid, &org).await {
        Ok(()) => {}
        Err(SuError::NoAuthority) => {
            return Problem::forbidden(
                "only the daglig leder, styreleder, innehaver or a client administrator of the \
                 organisation may list its agent system users",
            )
            .into_response();
        }
        Err(e) => return su_problem(e),
    }
    match state
        .app
        .party_system_users(&org, SystemUserType::Agent)
        .await
    {
        Ok(list) => Json(
            list.iter()
                .map(SystemUserInternalResponse::of)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => su_problem(e),
    }
}
