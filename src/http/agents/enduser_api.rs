//! The facilitator's side of agent system users for Altinn's own portal (BFF routes with a
//! portal token; spec authentication-api §2.2 R11–R21, §2.4 U2, U12–U17, errata §C): answer
//! agent requests, list and delete agent system users, and manage their clients.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::wire::{ClientAccess, DelegationResponse, ExternalClient};
use crate::domain::request::SystemUserType;
use crate::http::AppState;
use crate::http::auth::{Portal, Scoped};
use crate::http::problem::Problem;
use crate::http::system_users::enduser_api::{
    approve, authorized_party, escalate, party_read, party_users, pending, person_and_party,
    portal_request, reject,
};
use crate::http::system_users::{Agent, BASE, su_problem};
use crate::services::agents::{ClientEntry, ClientQuery, page_token};
use crate::services::idp::percent_encode;
use crate::services::system_users::SystemUserRecord;
use crate::services::tokens::Caller;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{BASE}/request/agent/{{party}}/{{id}}"),
            get(party_read::<Agent>),
        )
        .route(
            &format!("{BASE}/request/agent/{{party}}/{{id}}/approve"),
            post(approve::<Agent>),
        )
        .route(
            &format!("{BASE}/request/agent/{{party}}/{{id}}/reject"),
            post(reject::<Agent>),
        )
        .route(
            &format!("{BASE}/request/agent/{{party}}/{{id}}/escalate"),
            post(escalate),
        )
        .route(
            &format!("{BASE}/request/agent/{{party}}/{{id}}/pending"),
            get(pending::<Agent>),
        )
        .route(
            &format!("{BASE}/request/agent/{{party}}"),
            get(portal_request::<Agent>),
        )
        .route(
            &format!("{BASE}/agent/{{party}}"),
            get(party_users::<Agent>),
        )
        .route(
            &format!("{BASE}/agent/{{party}}/{{id}}"),
            delete(delete_agent).post(add_client),
        )
        .route(
            &format!("{BASE}/agent/{{party}}/{{id}}/client"),
            delete(remove_client),
        )
        .route(
            &format!("{BASE}/agent/{{party}}/{{id}}/self"),
            get(self_delegation)
                .post(self_delegation)
                .delete(self_delegation),
        )
        .route(
            &format!("{BASE}/agent/{{party}}/{{id}}/{{system_user}}/delegations"),
            get(delegations),
        )
        .route(&format!("{BASE}/agent/{{party}}/clients"), get(clients))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteQuery {
    facilitator_id: Option<String>,
}

/// U16: 200 with an empty body; the agent's clients are removed with it (errata §C.7).
/// `facilitatorId`, when given, must be the owner's party UUID.
async fn delete_agent(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
    Query(q): Query<DeleteQuery>,
) -> Response {
    let (pid, org) = match person_and_party(&state, &scoped.0, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(given) = q.facilitator_id.as_deref().filter(|f| !f.is_empty()) {
        match state.app.party_org_by_number(&org).await {
            Ok(Some(owner)) if owner.party_uuid.eq_ignore_ascii_case(given) => {}
            Ok(_) => {
                return Problem::bad_request(format!(
                    "facilitatorId {given} is not the party UUID of the system user's owner"
                ))
                .into_response();
            }
            Err(e) => return su_problem(e),
        }
    }
    match state
        .app
        .delete_system_user(&pid, &org, &id, Some(SystemUserType::Agent))
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => su_problem(e),
    }
}

/// `{party}`'s agent system user `id`, for a person who administers its clients.
async fn administered_agent(
    state: &AppState,
    caller: &Caller,
    party: &str,
    id: &str,
) -> Result<(String, SystemUserRecord), Response> {
    let (pid, org) = person_and_party(state, caller, party).await?;
    state
        .app
        .require_client_admin(&pid, &org)
        .await
        .map_err(su_problem)?;
    let agent = state.app.agent_of(&org, id).await.map_err(su_problem)?;
    Ok((pid, agent))
}

#[derive(Deserialize)]
struct ClientQueryParams {
    client: Option<String>,
}

/// U13: delegates a client (its party UUID in `?client`); 200 with the delegation.
async fn add_client(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
    Query(q): Query<ClientQueryParams>,
) -> Response {
    let (pid, agent) = match administered_agent(&state, &scoped.0, &party, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let client = q.client.unwrap_or_default();
    match state.app.add_client(&pid, &agent, client.trim()).await {
        Ok((party, _)) => Json(vec![DelegationResponse::of(
            &agent.id,
            &ClientEntry {
                party,
                eligible: true,
                delegated: true,
            },
        )])
        .into_response(),
        Err(e) => su_problem(e),
    }
}

/// U14: removes a client; 200 with an empty body.
async fn remove_client(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
    Query(q): Query<ClientQueryParams>,
) -> Response {
    let (pid, agent) = match administered_agent(&state, &scoped.0, &party, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let client = q.client.unwrap_or_default();
    match state.app.remove_client(&pid, &agent, client.trim()).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => su_problem(e),
    }
}

/// U15: the agent may (POST), may no longer (DELETE) or may it (GET) act for its owner
/// itself; 200 `true`/`false`.
async fn self_delegation(
    State(state): State<AppState>,
    method: axum::http::Method,
    scoped: Scoped<Portal>,
    Path((party, id)): Path<(String, String)>,
) -> Response {
    let (pid, org) = match authorized_party(&state, &scoped.0, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let agent = match state.app.agent_of(&org, &id).await {
        Ok(a) => a,
        Err(e) => return su_problem(e),
    };
    let delegate = match method {
        axum::http::Method::POST => Some(true),
        axum::http::Method::DELETE => Some(false),
        _ => None,
    };
    match state.app.set_self_delegation(&pid, &agent, delegate).await {
        Ok(now) => Json(now).into_response(),
        Err(e) => su_problem(e),
    }
}

/// U12: every client delegation of the agent (all pages, up to a bound).
async fn delegations(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path((party, _facilitator, id)): Path<(String, String, String)>,
) -> Response {
    /// The most delegations one answer lists (the paged façade lists any number).
    const MAX_PAGES: usize = 100;
    let (_pid, agent) = match administered_agent(&state, &scoped.0, &party, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut out = Vec::new();
    let mut q = ClientQuery::default();
    for _ in 0..MAX_PAGES {
        let page = match state.app.delegated_clients(&agent, &q).await {
            Ok(p) => p,
            Err(e) => return su_problem(e),
        };
        out.extend(
            page.clients
                .iter()
                .map(|c| DelegationResponse::of(&agent.id, c)),
        );
        match page.next {
            Some(next) => q.after = Some(next),
            None => break,
        }
    }
    Json(out).into_response()
}

#[derive(Deserialize)]
struct ClientsQuery {
    /// The agent system user whose packages the clients must give (tilgang's addition, to
    /// filter like the façade); without it, every client of the facilitator.
    agent: Option<String>,
    search: Option<String>,
    token: Option<String>,
}

/// U17: the facilitator's clients with what each gives it (`access`: role → packages), for
/// an agent system user's packages when `?agent=` names one; a page of at most 100.
async fn clients(
    State(state): State<AppState>,
    scoped: Scoped<Portal>,
    Path(party): Path<String>,
    Query(q): Query<ClientsQuery>,
) -> Response {
    let (pid, org) = match person_and_party(&state, &scoped.0, &party).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(e) = state.app.require_client_admin(&pid, &org).await {
        return su_problem(e);
    }
    let query = match ClientQuery::parse(q.search.as_deref(), q.token.as_deref()) {
        Ok(x) => x,
        Err(e) => return su_problem(e),
    };
    let result = match q.agent.as_deref().filter(|a| !a.is_empty()) {
        Some(id) => match state.app.agent_of(&org, id).await {
            Ok(agent) => {
                state
                    .app
                    .facilitator_clients(&org, Some(&agent), &query)
                    .await
            }
            Err(e) => Err(e),
        },
        None => state.app.facilitator_clients(&org, None, &query).await,
    };
    match result {
        Ok((list, next)) => (
            // Altinn's answer is a bare array: the next page is in a `Link` header (RFC 8288).
            next.map(|cursor| {
                let mut query = format!("token={}", page_token(&cursor));
                if let Some(agent) = q.agent.as_deref().filter(|a| !a.is_empty()) {
                    query.push_str(&format!("&agent={}", percent_encode(agent)));
                }
                if let Some(search) = q.search.as_deref().filter(|s| !s.trim().is_empty()) {
                    query.push_str(&format!("&search={}", percent_encode(search.trim())));
                }
                let url = state
                    .app
                    .config
                    .url(&format!("{BASE}/agent/{party}/clients?{query}"));
                [(header::LINK, format!("<{url}>; rel=\"next\""))]
            }),
            Json(
                list.into_iter()
                    .map(|c| ExternalClient {
                        party_uuid: c.party.party_uuid,
                        display_name: c.party.name,
                        organization_identifier: c.party.org_no.unwrap_or_default(),
                        access: c
                            .access
                            .into_iter()
                            .map(|(role, packages)| ClientAccess { role, packages })
                            .collect(),
                    })
                    .collect::<Vec<_>>(),
            ),
        )
            .into_response(),
        Err(e) => su_problem(e),
    }
}
