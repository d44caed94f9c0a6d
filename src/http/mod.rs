//! The HTTP layer: one listener serving every part under its path prefix (DESIGN §3).
//! Handlers stay thin: parse, call one service, render.

pub mod admin;
pub mod agents;
pub mod assets;
pub mod auth;
pub mod availability;
pub mod catalogue;
pub mod connections;
pub mod decisions;
pub mod devmail;
pub mod home;
pub mod html;
pub mod idp;
pub mod input;
pub mod issuer;
pub mod login;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod problem_pages;
pub mod register;
pub mod studio;
pub mod system_register;
pub mod system_users;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

use crate::config::Profile;
use crate::services::App;
use problem::{Problem, TRACE_ID, new_trace_id};

/// Default limit on request bodies (the import endpoint allows more).
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<metrics::Metrics>,
    pub started: Instant,
    /// The OpenAPI description of this server (its URL and profile), made once: `/openapi.json`
    /// and `/docs` serve it.
    pub openapi: Arc<serde_json::Value>,
}

pub fn router(app: App) -> Router {
    let state = AppState {
        openapi: Arc::new(openapi::document(&app.config)),
        app,
        metrics: Arc::new(metrics::Metrics::default()),
        started: Instant::now(),
    };
    routes(state.app.config.profile)
        .fallback(html::not_found)
        .method_not_allowed_fallback(|| async {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
                .with_detail("this address does not answer that method; see /docs")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(input::reject_nul))
        .layer(middleware::from_fn(html::no_store_when_signed_in))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            problem_pages::problems_as_pages,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            html::remember_step,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Every route of the profile, without the fallbacks and middleware.
fn routes(profile: Profile) -> Router<AppState> {
    let router = Router::new()
        .merge(home::routes())
        .merge(assets::routes())
        .merge(ops::routes())
        .merge(register::routes())
        .merge(catalogue::routes())
        .merge(admin::routes())
        .merge(issuer::routes())
        .merge(login::routes())
        .merge(system_register::routes())
        .merge(system_users::routes())
        .merge(agents::routes())
        .merge(decisions::routes())
        .merge(studio::routes());
    if profile == Profile::Local {
        router.merge(idp::routes()).merge(devmail::routes())
    } else {
        router
    }
}

/// Gives each request a trace id (continuing an incoming W3C `traceparent`), logs it and
/// counts it in the metrics.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let path = req.uri().path().to_owned();
    let trace_id = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_traceparent(v))
        .map(str::to_owned)
        .unwrap_or_else(new_trace_id);
    let mut response = match availability::require_database(&state, req).await {
        Ok(req) => TRACE_ID.scope(trace_id.clone(), next.run(req)).await,
        Err(refused) => refused,
    };
    let elapsed = started.elapsed();
    let status = response.status();
    state
        .metrics
        .observe(method.as_str(), &route, status.as_u16(), elapsed);
    if let Ok(v) = HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert("traceparent", v);
    }
    let ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), ms, trace_id, "request");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), ms, trace_id, "request");
    }
    response
}

fn is_traceparent(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 4
        && [2, 32, 16, 2]
            .iter()
            .zip(&parts)
            .all(|(len, p)| p.len() == *len && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let load = app.load.clone();
    let settings = connections::Settings::of(&app.config);
    let watch = app.watch_database();
    let changes = app.store.follow_changes();
    let served = connections::serve(router(app), listener, load, settings, shutdown).await;
    if let Some(watch) = watch {
        watch.abort();
    }
    changes.abort();
    served
}

/// Renders a service result that failed in the store as a 500 with the details in the log.
pub fn internal<E: std::error::Error + 'static>(e: E) -> Response {
    Problem::internal(&e).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The paths axum serves, read from the router's `Debug` output (axum prints each route's
    /// path there; there is no other way to list them).
    fn served_paths(profile: Profile) -> BTreeSet<String> {
        let debug = format!("{:?}", routes(profile));
        let mut paths = BTreeSet::new();
        for part in debug.split("RouteId(").skip(1) {
            if let Some(rest) = part.split_once("): \"").map(|(_, r)| r)
                && let Some((path, _)) = rest.split_once('"')
                && !path.contains("__private__axum")
            {
                paths.insert(shape(path));
            }
        }
        paths
    }

    /// The path with each `{parameter}` as `{}`: the document names parameters as Altinn
    /// does (`{systemId}`), the router as Rust does (`{system_id}`).
    fn shape(path: &str) -> String {
        let mut out = String::with_capacity(path.len());
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    fn documented_paths() -> BTreeSet<String> {
        let doc: serde_json::Value =
            serde_json::from_str(openapi::OPENAPI).expect("assets/openapi.json is JSON");
        doc["paths"]
            .as_object()
            .expect("the document has paths")
            .keys()
            .map(|p| shape(p))
            .collect()
    }

    #[test]
    fn every_route_is_in_the_openapi_document_and_back() {
        let served = served_paths(Profile::Local);
        assert!(
            served.len() > 100,
            "the router's paths were read: {served:?}"
        );
        let documented = documented_paths();
        let missing: Vec<_> = served.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "routes missing from assets/openapi.json: {missing:#?}"
        );
        assert!(
            stale.is_empty(),
            "assets/openapi.json documents paths nothing serves: {stale:#?}"
        );
    }

    #[test]
    fn the_production_profile_serves_no_local_only_path() {
        let doc: serde_json::Value =
            serde_json::from_str(openapi::OPENAPI).expect("assets/openapi.json is JSON");
        let local_only: BTreeSet<String> = doc["paths"]
            .as_object()
            .expect("the document has paths")
            .iter()
            .filter(|(_, item)| item.get("x-local-profile-only").is_some())
            .map(|(path, _)| shape(path))
            .collect();
        let served = served_paths(Profile::Production);
        let leaked: Vec<_> = served.intersection(&local_only).collect();
        assert!(leaked.is_empty(), "served in production: {leaked:#?}");
        assert!(!local_only.is_empty());
    }
}
