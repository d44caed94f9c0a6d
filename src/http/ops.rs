//! Operations: health, metrics, the OpenAPI description and its readable rendering.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::html::{Lang, esc, page};
use super::problem::Problem;
use crate::config::Profile;

const OPENAPI: &str = include_str!("../../assets/openapi.json");

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
async fn live() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

/// 200 when the database answers, 503 otherwise (readiness).
async fn health(State(state): State<AppState>) -> Response {
    match state.app.database_answers().await {
        Ok(()) => Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "profile": state.app.config.profile.to_string()})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").with_detail("the database does not answer").into_response()
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

/// The OpenAPI document with this server's public URL and only the routes of its profile.
fn openapi_document(state: &AppState) -> Value {
    let mut doc: Value = serde_json::from_str(OPENAPI).unwrap_or_else(|_| json!({}));
    doc["servers"] = json!([{"url": state.app.config.public_url}]);
    if state.app.config.profile != Profile::Local
        && let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut)
    {
        paths.retain(|_, item| item.get("x-local-profile-only").is_none());
    }
    doc
}

async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(openapi_document(&state))
}

/// A readable page of the OpenAPI description, rendered on the server (no scripts).
async fn docs(State(state): State<AppState>, lang: Lang) -> Response {
    let doc = openapi_document(&state);
    let mut body = format!(
        "<h1>{}</h1><p>{} <a href=\"/openapi.json\"><code>/openapi.json</code></a>. {}</p>",
        lang.t("API-dokumentasjon", "API documentation"),
        lang.t("Maskinlesbar beskrivelse:", "Machine-readable description:"),
        esc(doc["info"]["description"].as_str().unwrap_or_default()),
    );
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    let mut by_tag: Vec<(String, String)> = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let tag = op["tags"][0].as_str().unwrap_or("Other").to_owned();
            let scopes: Vec<&str> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["bearer"].as_array())
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let auth = if scopes.is_empty() {
                match op["security"].as_array() {
                    Some(_) => lang.t("Bearer-token", "Bearer token").to_owned(),
                    None => lang.t("Åpen", "Public").to_owned(),
                }
            } else {
                format!(
                    "{} <code>{}</code>",
                    lang.t("Scope:", "Scope:"),
                    esc(&scopes.join(" | "))
                )
            };
            let responses: Vec<String> = op["responses"]
                .as_object()
                .unwrap_or(&empty)
                .iter()
                .map(|(code, r)| {
                    format!(
                        "<code>{}</code> {}",
                        esc(code),
                        esc(r["description"].as_str().unwrap_or(""))
                    )
                })
                .collect();
            let row = format!(
                "<tr><td><span class=\"method\">{}</span> <code>{}</code></td><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td></tr>",
                esc(&method.to_uppercase()),
                esc(path),
                esc(op["summary"].as_str().unwrap_or("")),
                esc(op["description"].as_str().unwrap_or("")),
                auth,
                responses.join("<br>")
            );
            by_tag.push((tag, row));
        }
    }
    by_tag.sort_by(|a, b| a.0.cmp(&b.0));
    let mut current = String::new();
    for (tag, row) in by_tag {
        if tag != current {
            if !current.is_empty() {
                body.push_str("</tbody></table>");
            }
            body.push_str(&format!(
                "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                esc(&tag),
                lang.t("Endepunkt", "Endpoint"),
                lang.t("Hva det gjør", "What it does"),
                lang.t("Tilgang", "Access"),
                lang.t("Svar", "Responses")
            ));
            current = tag;
        }
        body.push_str(&row);
    }
    if !current.is_empty() {
        body.push_str("</tbody></table>");
    }
    page(
        lang,
        lang.t("API-dokumentasjon", "API documentation"),
        state.app.config.profile == Profile::Local,
        &body,
    )
}
