//! The decision API for resource owners (Altinn's PDP, `POST /authorization/api/v1/authorize`):
//! an XACML 3.0 JSON request in, one result per individual request out, in request order.
//! `?explain=true` (tilgang's extension) says what gave each Permit or what was missing.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;

use crate::domain::xacml::{
    DecisionResponse, DecisionResult, Refused, RequestRoot, individual_requests,
};
use crate::http::AppState;
use crate::http::auth::{Authorize, Scoped};
use crate::http::problem::{ApiJson, Problem};

/// Room for the largest multi-request the default cap allows.
const DECISION_BODY_LIMIT: usize = 4 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/authorization/api/v1/authorize",
        post(authorize).layer(DefaultBodyLimit::max(DECISION_BODY_LIMIT)),
    )
}

async fn authorize(
    State(state): State<AppState>,
    caller: Scoped<Authorize>,
    Query(query): Query<Vec<(String, String)>>,
    ApiJson(root): ApiJson<RequestRoot>,
) -> Result<Response, Problem> {
    let explain = match query
        .iter()
        .filter(|(k, _)| k == "explain")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["false"] => false,
        ["true"] => true,
        [other] => {
            return Err(Problem::bad_request(format!(
                "explain must be true or false, not '{other}'"
            )));
        }
        _ => return Err(Problem::bad_request("give explain once")),
    };
    let max = state.app.config.decision_max_requests;
    let individuals = individual_requests(&root.request, max).map_err(|why| match why {
        Refused::TooMany => Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large")
            .with_detail(format!(
                "at most {max} individual requests (and categories of each kind) per call (decision-max-requests); split the MultiRequests"
            )),
        Refused::OutOfBounds(what) => Problem::bad_request(what),
    })?;
    let asker = state
        .app
        .decision_asker(
            caller.0.consumer_org().as_ref(),
            caller.0.has_scope(crate::domain::scopes::AUTHORIZE_ADMIN),
            caller.0.audit_name(),
        )
        .await?;
    let mut response = Vec::with_capacity(individuals.len());
    for individual in individuals {
        let out = match &individual.question {
            Ok(question) => state.app.decide(question, &asker).await?,
            Err(why) => state.app.unanswerable(why),
        };
        let mut result =
            DecisionResult::new(out.decision, out.status, out.message, individual.echo);
        if explain {
            result.explanation = Some(out.explanation);
        }
        response.push(result);
    }
    Ok(Json(DecisionResponse { response }).into_response())
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<DecisionResponse>();
}
