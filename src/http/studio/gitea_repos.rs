//! Gitea's repository lists for the applications the dashboard creates (read-only):
//! `GET /user/repos`, `/orgs/{org}/repos` and `/repos/search`, which Gitea SDKs and tools call.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::routing::get;

use super::gitea_api::{ApiError, ApiResult, Caller, find_org, require_member};
use super::gitea_paging::ListOptions;
use super::gitea_wire::{Repository, SearchResults};
use crate::http::AppState;
use crate::services::studio_directory::{Account, Repo};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/api/v1/user/repos", get(my_repos))
        .route("/studio/api/v1/orgs/{org}/repos", get(org_repos))
        .route("/studio/api/v1/repos/search", get(search_repos))
}

/// The repositories a user may see: their own and their organisations'.
async fn visible_repos(state: &AppState, user: &Account) -> Result<Vec<Repo>, ApiError> {
    let mut owners = vec![user.id];
    owners.extend(
        state
            .app
            .studio_orgs_of_user(user.id)
            .await?
            .iter()
            .map(|o| o.org.id),
    );
    Ok(state.app.studio_repos_of(&owners).await?)
}

/// Gitea's `GET /user/repos`.
async fn my_repos(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let repos = visible_repos(&state, caller.user()?).await?;
    Ok(list.respond(&state, &uri, Repository::list(&state, &repos)))
}

/// Gitea's `GET /orgs/{org}/repos`, for its members.
async fn org_repos(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    let repos = state.app.studio_repos_of(&[o.id]).await?;
    Ok(list.respond(&state, &uri, Repository::list(&state, &repos)))
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Gitea's `GET /repos/search?q=`: the visible repositories whose name has `q` in it.
async fn search_repos(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(list): Query<ListOptions>,
    Query(search): Query<SearchQuery>,
) -> ApiResult {
    let q = search.q.trim().to_lowercase();
    let repos: Vec<Repo> = visible_repos(&state, caller.user()?)
        .await?
        .into_iter()
        .filter(|r| r.name.to_lowercase().contains(&q))
        .collect();
    let found = Repository::list(&state, &repos);
    Ok(list.respond_in(&state, &uri, found, |data| SearchResults { ok: true, data }))
}
