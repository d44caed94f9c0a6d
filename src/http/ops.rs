//! Operations: health, metrics, the OpenAPI description and its readable rendering.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::Value;

use super::AppState;
use super::html::{Frame, Lang, render, texts};
use super::problem::Problem;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/health/ready", get(health))
        .route("/health/live", get(live))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs))
}

/// 200 while the process serves HTTP, whatever the database does (liveness).
/// The answer of `/health/live` and `/health`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
}

async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        profile: None,
    })
}

/// 200 when the database answers, 503 otherwise (readiness).
async fn health(State(state): State<AppState>) -> Response {
    match state.app.database_answers().await {
        Ok(()) => Json(Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            profile: Some(state.app.config.profile.to_string()),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
                .with_detail("the database does not answer")
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.started.elapsed()) + &super::metrics::render_app(&state.app),
    )
        .into_response()
}

async fn openapi(State(state): State<AppState>) -> Response {
    Json(state.openapi.as_ref()).into_response()
}

texts! {
    pub struct DocsTexts {
        title: ["API-dokumentasjon", "API-dokumentasjon", "API documentation"],
        machine_readable: ["Maskinlesbar beskrivelse:", "Maskinlesbar skildring:", "Machine-readable description:"],
        bearer: ["Bearer-token", "Bearer-token", "Bearer token"],
        public: ["Åpen", "Open", "Public"],
        scope: ["Scope:", "Scope:", "Scope:"],
        endpoint: ["Endepunkt", "Endepunkt", "Endpoint"],
        what_it_does: ["Hva det gjør", "Kva det gjer", "What it does"],
        access: ["Tilgang", "Tilgang", "Access"],
        responses: ["Svar", "Svar", "Responses"],
    }
}

/// Who may call an operation.
enum Access {
    Public,
    /// Any valid bearer token.
    Bearer,
    /// A token with one of these scopes (joined with ` | `).
    Scopes(String),
}

/// One operation of the OpenAPI description, as the docs page shows it.
struct Operation<'a> {
    method: String,
    path: &'a str,
    summary: &'a str,
    description: &'a str,
    access: Access,
    /// (status code, description)
    responses: Vec<(&'a str, &'a str)>,
}

/// The operations of one tag.
struct Group<'a> {
    tag: &'a str,
    operations: Vec<Operation<'a>>,
}

#[derive(Template)]
#[template(path = "ops/docs.html")]
struct DocsPage<'a> {
    f: Frame,
    t: &'static DocsTexts,
    description: &'a str,
    groups: Vec<Group<'a>>,
}

/// The operations of the description by tag, the tags in order, each tag's operations in the
/// description's order.
fn groups(doc: &Value) -> Vec<Group<'_>> {
    let mut by_tag: Vec<(&str, Operation<'_>)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let tag = op["tags"][0].as_str().unwrap_or("Other");
            let scopes: Vec<&str> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["bearer"].as_array())
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let access = if !scopes.is_empty() {
                Access::Scopes(scopes.join(" | "))
            } else if op["security"].is_array() {
                Access::Bearer
            } else {
                Access::Public
            };
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(code, r)| (code.as_str(), r["description"].as_str().unwrap_or("")))
                .collect();
            by_tag.push((
                tag,
                Operation {
                    method: method.to_uppercase(),
                    path,
                    summary: op["summary"].as_str().unwrap_or(""),
                    description: op["description"].as_str().unwrap_or(""),
                    access,
                    responses,
                },
            ));
        }
    }
    // Stable: within a tag, the description's order stays.
    by_tag.sort_by(|a, b| a.0.cmp(b.0));
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (tag, operation) in by_tag {
        match groups.last_mut() {
            Some(g) if g.tag == tag => g.operations.push(operation),
            _ => groups.push(Group {
                tag,
                operations: vec![operation],
            }),
        }
    }
    groups
}

/// A readable page of the OpenAPI description, rendered on the server (no scripts).
async fn docs(State(state): State<AppState>, lang: Lang) -> Response {
    let doc = state.openapi.as_ref();
    let t = DocsTexts::of(lang);
    render(
        StatusCode::OK,
        &DocsPage {
            f: Frame::new(&state, lang, t.title),
            t,
            description: doc["info"]["description"].as_str().unwrap_or_default(),
            groups: groups(doc),
        },
    )
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<Health>();
}
