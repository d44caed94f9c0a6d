//! The stylesheets every page links: Digdir's Designsystemet (its components and its default
//! theme, checked in unmodified under `assets/designsystemet/`) and tilgang's own layout.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;

const THEME: &str = include_str!("../../assets/designsystemet/theme.css");
const COMPONENTS: &str = include_str!("../../assets/designsystemet/designsystemet.css");
const LAYOUT: &str = include_str!("../../assets/tilgang.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/designsystemet-theme.css", get(|| css(THEME)))
        .route("/assets/designsystemet.css", get(|| css(COMPONENTS)))
        .route("/assets/tilgang.css", get(|| css(LAYOUT)))
}

/// A stylesheet, kept by browsers for a day (the pages ask for it with the version in the
/// query, so a new version is fetched at once).
async fn css(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}
