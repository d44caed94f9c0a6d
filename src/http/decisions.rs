//! The decision API for resource owners (Altinn's PDP, `POST /authorization/api/v1/authorize`):
//! an XACML 3.0 JSON request in, one result per individual request out, in request order.
//! `?explain=true` (tilgang's extension) says what gave each Permit or what was missing.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;

use crate::domain::xacml::{
    Decision, DecisionResponse, DecisionResult, Refused, RequestRoot, individual_requests,
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

#[derive(serde::Deserialize)]
struct ExplainQuery {
    #[serde(default)]
    explain: Option<String>,
}

async fn authorize(
    State(state): State<AppState>,
    _caller: Scoped<Authorize>,
    Query(q): Query<ExplainQuery>,
    ApiJson(root): ApiJson<RequestRoot>,
) -> Result<Response, Problem> {
    let explain = match q.explain.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "explain must be true or false, not '{other}'"
            )));
        }
    };
    let max = state.app.config.decision_max_requests;
    let individuals = individual_requests(&root.request, max).map_err(|why| match why {
        Refused::TooMany => Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large")
            .with_detail(format!(
                "at most {max} individual requests (and categories of each kind) per call (decision-max-requests); split the MultiRequests"
            )),
        Refused::OutOfBounds(what) => Problem::bad_request(what),
    })?;
    let mut response = Vec::with_capacity(individuals.len());
    for individual in individuals {
        let mut result = match &individual.question {
            Ok(question) => {
                let out = state.app.decide(question).await?;
                let mut r =
                    DecisionResult::new(out.decision, out.status, out.message, individual.echo);
                if explain {
                    r.explanation = Some(out.explanation);
                }
                r
            }
            Err(why) => {
                state.app.decisions.count(Decision::Indeterminate);
                let mut r = DecisionResult::new(
                    Decision::Indeterminate,
                    why.status,
                    Some(why.message.clone()),
                    individual.echo,
                );
                if explain {
                    r.explanation = Some(why.message.clone());
                }
                r
            }
        };
        if result.decision != Decision::Indeterminate {
            result.status.status_message = None;
        }
        response.push(result);
    }
    Ok(Json(DecisionResponse { response }).into_response())
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<DecisionResponse>();
}
