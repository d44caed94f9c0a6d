//! The embedded stand-ins for the outside identity providers (local profile only): ID-porten
//! and Ansattporten, Maskinporten with its self-service API, and the test-token generator.

pub mod embedded;
pub mod maskinporten;
pub mod selfservice;
pub mod testtools;
pub mod wire;

use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(testtools::routes())
        .merge(maskinporten::routes())
        .merge(selfservice::routes())
        .merge(embedded::routes())
}
