//! Altinn Studio's web side: accounts (sign-up, log-in, activation, the eID link), Studio as
//! OAuth2/OIDC provider, the Gitea-compatible API, the dashboard, and the operator's pages.

pub mod accounts;
pub mod admin;
pub mod dashboard;
pub mod designer;
pub mod gitea_api;
mod gitea_oauth_apps;
mod gitea_paging;
mod gitea_repos;
pub(super) mod gitea_wire;
pub mod oauth;
pub mod teams;

use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(accounts::routes())
        .merge(oauth::routes())
        .merge(designer::routes())
        .merge(gitea_repos::routes())
        .merge(gitea_oauth_apps::routes())
        .merge(dashboard::routes())
        .merge(teams::routes())
        .merge(gitea_api::routes())
        .merge(admin::routes())
}
