//! The Gitea-compatible JSON API for Studio users, organisations and teams (spec
//! studio-accounts §4.2) under `/studio/api/v1/`. Callers authenticate with a Studio access
//! token (Bearer), or Basic user name and password; the admin endpoints also take a platform
//! token with the operator scope `tilgang:admin`. Errors are Gitea's `{message, url}`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};

use super::gitea_paging::ListOptions;
use super::gitea_wire::{GiteaError, Organization, ServerVersion, Team as TeamBody, User};
use crate::domain::scopes;
use crate::http::AppState;
use crate::http::auth::basic_user_password;
use crate::http::studio::oauth::bearer;
use crate::services::StoreError;
use crate::services::studio::StudioError;
use crate::services::studio_directory::{Account, Team};
use crate::services::studio_orgs::NewTeam as NewTeamSpec;
use crate::services::studio_orgs::{Actor, NewOrgInput, OrgError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/api/v1/user", get(current_user))
        .route("/studio/api/v1/user/orgs", get(my_orgs))
        .route("/studio/api/v1/user/teams", get(my_teams))
        .route("/studio/api/v1/users/{username}", get(user_by_name))
        .route("/studio/api/v1/users/{username}/orgs", get(orgs_of_user))
        .route("/studio/api/v1/version", get(version))
        .route("/studio/api/v1/orgs", post(create_org_as_user))
        .route("/studio/api/v1/orgs/{org}", get(org))
        .route(
            "/studio/api/v1/orgs/{org}/teams",
            get(org_teams).post(create_team),
        )
        .route("/studio/api/v1/orgs/{org}/members", get(org_members))
        .route(
            "/studio/api/v1/orgs/{org}/members/{username}",
            get(is_org_member).delete(remove_org_member),
        )
        .route("/studio/api/v1/teams/{id}", get(team))
        .route("/studio/api/v1/teams/{id}/members", get(team_members))
        .route(
            "/studio/api/v1/teams/{id}/members/{username}",
            put(add_team_member)
                .get(team_member)
                .delete(remove_team_member),
        )
        .route("/studio/api/v1/admin/orgs", get(admin_orgs))
        .route(
            "/studio/api/v1/admin/users/{username}/orgs",
            post(admin_create_org),
        )
}

/// Gitea's error body.
pub struct ApiError(StatusCode, String);

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError(status, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = GiteaError {
            message: &self.1,
            url: "/docs",
        };
        let mut response = (self.0, Json(body)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            // RFC 7235 §4.1; Gitea answers with Basic, and takes tokens too.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"Altinn Studio\""),
            );
        }
        if self.0 == StatusCode::TOO_MANY_REQUESTS || self.0 == StatusCode::SERVICE_UNAVAILABLE {
            crate::http::studio::accounts::with_retry_after(response)
        } else {
            response
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "Studio API: the database is overloaded");
            return ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy; try again in a moment".into(),
            );
        }
        tracing::error!(error = %e, "Studio API");
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error".into(),
        )
    }
}

impl From<OrgError> for ApiError {
    fn from(e: OrgError) -> Self {
        let status = match &e {
            OrgError::Store(_) => return ApiError::from(StoreError::Corrupt(e.to_string())),
            OrgError::Forbidden => StatusCode::FORBIDDEN,
            OrgError::NotFound | OrgError::UserNotExist(_) | OrgError::NotMember(_) => {
                StatusCode::NOT_FOUND
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError(status, e.to_string())
    }
}

pub(super) type ApiResult = Result<Response, ApiError>;

fn not_found(what: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("{what} does not exist"))
}

/// `Authorization: token <t>`: Gitea's own scheme, which its SDKs send.
fn gitea_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("token ")
        .or_else(|| v.strip_prefix("Token "))
        .map(str::trim)
}

/// The Gitea scope category of an API route and whether the call changes something (as
/// Gitea's `tokenRequiresScopes`); `None` for routes that need no scope.
fn scope_category(method: &axum::http::Method, path: &str) -> Option<(&'static str, bool)> {
    let rest = path.strip_prefix("/studio/api/v1/")?;
    let category = if rest.starts_with("user/repos") || rest.starts_with("repos") {
        "repository"
    } else if rest.starts_with("user/orgs")
        || rest.starts_with("user/teams")
        || rest.starts_with("orgs")
        || rest.starts_with("teams")
    {
        "organization"
    } else if rest.starts_with("admin") {
        "admin"
    } else if rest.starts_with("user") {
        "user"
    } else {
        return None;
    };
    let write = !matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    Some((category, write))
}

/// The authenticated caller: a Studio user, or an operator with a platform token.
pub enum Caller {
    User(Box<Account>),
    Operator(String),
}

impl Caller {
    pub(super) fn user(&self) -> Result<&Account, ApiError> {
        match self {
            Caller::User(u) => Ok(u),
            Caller::Operator(_) => Err(ApiError(
                StatusCode::FORBIDDEN,
                "this endpoint is for Studio users".into(),
            )),
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Caller::User(u) => Actor::User(u.clone()),
            Caller::Operator(o) => Actor::Operator(o.clone()),
        }
    }

    /// The caller is the user `u`, or an administrator.
    fn is_or_administers(&self, u: &Account) -> bool {
        matches!(self, Caller::User(me) if me.id == u.id) || self.is_admin()
    }

    fn is_admin(&self) -> bool {
        match self {
            Caller::User(u) => u.is_admin,
            Caller::Operator(_) => true,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || ApiError(StatusCode::UNAUTHORIZED, "token is required".into());
        let headers: &HeaderMap = &parts.headers;
        let user = if let Some(token) = bearer(headers).or_else(|| gitea_token(headers)) {
            match state.app.studio_bearer_access(token).await? {
                Some((u, access)) => {
                    if let Some((category, write)) = scope_category(&parts.method, parts.uri.path())
                        && !access.allows(category, write)
                    {
                        let mode = if write { "write" } else { "read" };
                        return Err(ApiError(
                            StatusCode::FORBIDDEN,
                            format!(
                                "token does not have at least one of required scope(s): [{mode}:{category}]"
                            ),
                        ));
                    }
                    u
                }
                None => {
                    // A platform token with the operator scope works for the admin endpoints.
                    if let Ok(c) = state.app.verify_bearer(token).await
                        && c.has_scope(scopes::TILGANG_ADMIN)
                    {
                        return Ok(Caller::Operator(c.audit_name()));
                    }
                    return Err(unauthorized());
                }
            }
        } else if let Some((name, password)) = basic_user_password(headers) {
            let ip = crate::http::studio::accounts::client_ip(&parts.extensions);
            state
                .app
                .studio_check_password(&name, &password, ip.as_deref())
                .await
                .map_err(|e| match e {
                    StudioError::RateLimited => ApiError(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too many failed log-ins; wait a few minutes".into(),
                    ),
                    StudioError::Busy(_) => ApiError(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the server is busy; try again in a moment".into(),
                    ),
                    StudioError::Store(e) => ApiError::from(e),
                    _ => ApiError(
                        StatusCode::UNAUTHORIZED,
                        "user name or password is wrong".into(),
                    ),
                })?
        } else {
            return Err(unauthorized());
        };
        if !user.is_active {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                "This account is not activated.".into(),
            ));
        }
        Ok(Caller::User(Box::new(user)))
    }
}

async fn current_user(State(state): State<AppState>, caller: Caller) -> ApiResult {
    Ok(Json(User::of(&state, caller.user()?, true)).into_response())
}

async fn my_orgs(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let orgs = state.app.studio_orgs_of_user(caller.user()?.id).await?;
    Ok(list.respond(&state, &uri, Organization::list(&state, &orgs)))
}

async fn my_teams(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let teams = state.app.studio_teams_of_user(caller.user()?.id).await?;
    Ok(list.respond(&state, &uri, TeamBody::list(&state, &teams)))
}

async fn user_by_name(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult {
    let u = find_user(&state, &name).await?;
    let own = caller.is_or_administers(&u);
    Ok(Json(User::of(&state, &u, own)).into_response())
}

async fn find_user(state: &AppState, name: &str) -> Result<Account, ApiError> {
    state
        .app
        .studio_user_named(name)
        .await?
        .ok_or_else(|| not_found("user"))
}

/// Gitea's `GET /users/{username}/orgs`: all of them for the user and administrators; for
/// anyone else, those the caller is a member of too.
async fn orgs_of_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let u = find_user(&state, &name).await?;
    let mut orgs = state.app.studio_orgs_of_user(u.id).await?;
    if !caller.is_or_administers(&u) {
        let mine = state.app.studio_orgs_of_user(caller.user()?.id).await?;
        orgs.retain(|o| mine.iter().any(|m| m.org.id == o.org.id));
    }
    Ok(list.respond(&state, &uri, Organization::list(&state, &orgs)))
}

/// Gitea's `GET /version`, which SDKs call first (no log-in needed).
async fn version() -> Json<ServerVersion> {
    Json(ServerVersion::CURRENT)
}

pub(super) async fn find_org(state: &AppState, name: &str) -> Result<Account, ApiError> {
    state
        .app
        .studio_org_named(name)
        .await?
        .ok_or_else(|| not_found("organization"))
}

async fn find_team(state: &AppState, id: &str) -> Result<Team, ApiError> {
    let id: i64 = id.parse().map_err(|_| not_found("team"))?;
    state
        .app
        .studio_team_by_id(id)
        .await?
        .ok_or_else(|| not_found("team"))
}

/// Members of the organisation (and operators) may look at it.
pub(super) async fn require_member(
    state: &AppState,
    caller: &Caller,
    org_id: i64,
) -> Result<(), ApiError> {
    if caller.is_admin() {
        return Ok(());
    }
    let u = caller.user()?;
    if state.app.studio_is_org_member(u.id, org_id).await? {
        Ok(())
    } else {
        Err(not_found("organization"))
    }
}

async fn org(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult {
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    Ok(Json(Organization::of(
        &state,
        &state.app.studio_org_view(o).await?,
    ))
    .into_response())
}

async fn org_teams(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    let teams = state.app.studio_teams_of_org(o.id).await?;
    Ok(list.respond(&state, &uri, TeamBody::list(&state, &teams)))
}

#[derive(serde::Deserialize)]
struct NewTeam {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permission: Option<String>,
    #[serde(default)]
    can_create_org_repo: bool,
    /// Deprecated in Gitea for `units_map`: the units that get the team's permission.
    #[serde(default)]
    units: Option<Vec<String>>,
    #[serde(default)]
    units_map: Option<std::collections::BTreeMap<String, String>>,
}

pub(super) fn bad_json(e: JsonRejection) -> ApiError {
    ApiError(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("invalid JSON body: {}", e.body_text()),
    )
}

async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Result<Json<NewTeam>, JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(bad_json)?;
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    let permission = b.permission.as_deref().unwrap_or("read");
    if !matches!(permission, "read" | "write" | "admin") {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "permission must be read, write or admin".into(),
        ));
    }
    let units =
        crate::domain::studio::team_units(permission, b.units.as_deref(), b.units_map.as_ref())
            .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let t = state
        .app
        .studio_create_team(
            &caller.actor(),
            &o,
            &NewTeamSpec {
                name: &b.name,
                description: &b.description,
                permission,
                can_create_org_repo: b.can_create_org_repo,
                units_map: &units,
            },
        )
        .await?;
    let view = state.app.studio_team_view(t).await?;
    Ok((StatusCode::CREATED, Json(TeamBody::of(&state, &view))).into_response())
}

async fn org_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    let members = state.app.studio_members_of_org(o.id).await?;
    Ok(list.respond(&state, &uri, User::list(&state, &members)))
}

async fn is_org_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, user)): Path<(String, String)>,
) -> ApiResult {
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    let found = state
        .app
        .studio_members_of_org(o.id)
        .await?
        .iter()
        .any(|u| u.name.eq_ignore_ascii_case(&user));
    Ok(if found {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
    .into_response())
}

async fn remove_org_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, user)): Path<(String, String)>,
) -> ApiResult {
    let o = find_org(&state, &name).await?;
    require_member(&state, &caller, o.id).await?;
    let target = state
        .app
        .studio_account_named(&user)
        .await?
        .ok_or_else(|| not_found("user"))?;
    let teams: Vec<Team> = state.app.studio_teams_in_org(target.id, o.id).await?;
    if teams.is_empty() {
        return Err(not_found("membership"));
    }
    for t in &teams {
        state
            .app
            .studio_remove_member(&caller.actor(), t, &target.name)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn team(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult {
    let t = find_team(&state, &id).await?;
    require_member(&state, &caller, t.org_id).await?;
    Ok(Json(TeamBody::of(&state, &state.app.studio_team_view(t).await?)).into_response())
}

async fn team_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    let t = find_team(&state, &id).await?;
    require_member(&state, &caller, t.org_id).await?;
    let members = state.app.studio_members_of_team(t.id).await?;
    Ok(list.respond(&state, &uri, User::list(&state, &members)))
}

async fn team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult {
    let t = find_team(&state, &id).await?;
    require_member(&state, &caller, t.org_id).await?;
    let m = state
        .app
        .studio_members_of_team(t.id)
        .await?
        .into_iter()
        .find(|u| u.name.eq_ignore_ascii_case(&user))
        .ok_or_else(|| not_found("team member"))?;
    Ok(Json(User::of(&state, &m, false)).into_response())
}

async fn add_team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult {
    let t = find_team(&state, &id).await?;
    require_member(&state, &caller, t.org_id).await?;
    match state
        .app
        .studio_add_member(&caller.actor(), &t, &user)
        .await
    {
        // Gitea answers 204 also when the user already is a member.
        Ok(_) | Err(OrgError::AlreadyMember(_)) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn remove_team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult {
    let t = find_team(&state, &id).await?;
    require_member(&state, &caller, t.org_id).await?;
    state
        .app
        .studio_remove_member(&caller.actor(), &t, &user)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn admin_orgs(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(list): Query<ListOptions>,
) -> ApiResult {
    if !caller.is_admin() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only site administrators may list every organization".into(),
        ));
    }
    let orgs = state.app.studio_all_orgs().await?;
    Ok(list.respond(&state, &uri, Organization::list(&state, &orgs)))
}

#[derive(serde::Deserialize)]
struct NewOrgBody {
    username: String,
    #[serde(default)]
    full_name: String,
    /// tilgang: the organisation number (9 digits).
    #[serde(default)]
    org_number: String,
    /// tilgang: a service owner gets the environments tt02 and production.
    #[serde(default)]
    service_owner: bool,
}

async fn create_org_as_user(State(_state): State<AppState>, caller: Caller) -> ApiResult {
    // Regular organisation creation is disabled (DISABLE_REGULAR_ORG_CREATION).
    let _ = caller;
    Err(ApiError(
        StatusCode::FORBIDDEN,
        "organizations are created by the platform operator; ask for one at /studio/orgs/request"
            .into(),
    ))
}

async fn admin_create_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(admin): Path<String>,
    body: Result<Json<NewOrgBody>, JsonRejection>,
) -> ApiResult {
    if !caller.is_admin() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only site administrators may create organizations".into(),
        ));
    }
    let Json(b) = body.map_err(bad_json)?;
    let full_name = if b.full_name.trim().is_empty() {
        b.username.clone()
    } else {
        b.full_name.clone()
    };
    let o = state
        .app
        .studio_create_org(
            &caller.actor(),
            &NewOrgInput {
                name: &b.username,
                full_name: &full_name,
                org_number: &b.org_number,
                service_owner: b.service_owner,
                admin: &admin,
            },
        )
        .await?;
    let view = state.app.studio_org_view(o).await?;
    Ok((StatusCode::CREATED, Json(Organization::of(&state, &view))).into_response())
}
