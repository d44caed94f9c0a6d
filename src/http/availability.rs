//! While the database is down (as [`crate::store::watch`] finds it), requests are answered 503
//! with `Retry-After` at once — a page for browsers, a problem document for API clients —
//! instead of each waiting for the pool's time-out. Liveness and metrics still answer.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::html::Lang;
use super::login::database_unavailable_page;
use super::problem::Problem;

pub async fn require_database(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.app.database_down().is_none()
        || matches!(req.uri().path(), "/health/live" | "/metrics")
    {
        return next.run(req).await;
    }
    let wants_page = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_page {
        let (mut parts, _) = req.into_parts();
        let lang = match Lang::from_request_parts(&mut parts, &state).await {
            Ok(l) => l,
            Err(never) => match never {},
        };
        database_unavailable_page(lang, &state)
    } else {
        Problem::unavailable("the database cannot be reached right now; try again shortly")
            .into_response()
    }
}
