//! While the database is down (as the database watch finds it), requests are answered 503
//! with `Retry-After` at once — a page for browsers, a problem document for API clients —
//! instead of each waiting for the pool's time-out. Liveness and metrics still answer.

use axum::extract::{FromRequestParts, Request};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::html::Lang;
use super::login::database_unavailable_page;
use super::problem::Problem;

/// The request back when it may go on; the 503 answer while the database is down. Called by
/// the outermost middleware (`observe` in `http/mod.rs`), so the refusal is counted and traced
/// and no layer of its own is added to every request.
pub async fn require_database(state: &AppState, req: Request) -> Result<Request, Response> {
    if state.app.database_down().is_none()
        || matches!(req.uri().path(), "/health/live" | "/metrics")
    {
        return Ok(req);
    }
    if super::html::wants_page(req.headers()) {
        let (mut parts, _) = req.into_parts();
        let lang = match Lang::from_request_parts(&mut parts, state).await {
            Ok(l) => l,
            Err(never) => match never {},
        };
        Err(database_unavailable_page(lang, state))
    } else {
        Err(
            Problem::unavailable("the database cannot be reached right now; try again shortly")
                .into_response(),
        )
    }
}
