//! Gitea's `/user/applications/oauth2`: a Studio user registers, lists, changes and deletes
//! OAuth2 applications of Studio's provider, with a generated Gitea SDK or `tea`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::gitea_api::{ApiError, ApiResult, Caller, bad_json};
use super::gitea_paging::ListOptions;
use super::gitea_wire::OAuth2Application;
use crate::http::AppState;
use crate::services::studio_oauth_apps::{AppError, AppInput};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/studio/api/v1/user/applications/oauth2",
            get(list).post(create),
        )
        .route(
            "/studio/api/v1/user/applications/oauth2/{id}",
            get(read).patch(update).delete(remove),
        )
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(s) => ApiError::from(s),
            AppError::NotFound => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            AppError::Invalid(_) | AppError::TooMany => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
        }
    }
}

/// Gitea's ids are numbers; anything else names no application.
fn app_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::from(AppError::NotFound))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<AppInput>, JsonRejection>,
) -> ApiResult {
    let Json(input) = body.map_err(bad_json)?;
    let (app, secret) = state
        .app
        .studio_register_app(caller.user()?, &input)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OAuth2Application::of(&app, Some(secret))),
    )
        .into_response())
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(options): Query<ListOptions>,
) -> ApiResult {
    let apps = state.app.studio_user_apps(caller.user()?).await?;
    let body = apps
        .iter()
        .map(|a| OAuth2Application::of(a, None))
        .collect();
    Ok(options.respond(&state, &uri, body))
}

async fn read(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let app = state
        .app
        .studio_user_app(caller.user()?, app_id(&id)?)
        .await?;
    Ok(Json(OAuth2Application::of(&app, None)).into_response())
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<AppInput>, JsonRejection>,
) -> ApiResult {
    let id = app_id(&id)?;
    let Json(input) = body.map_err(bad_json)?;
    let (app, secret) = state
        .app
        .studio_update_app(caller.user()?, id, &input)
        .await?;
    Ok(Json(OAuth2Application::of(&app, Some(secret))).into_response())
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    state
        .app
        .studio_delete_app(caller.user()?, app_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
