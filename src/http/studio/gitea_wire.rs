//! The Gitea API's JSON bodies (Gitea's `structs.User`, `structs.Organization`,
//! `structs.Team` and `{message, url}` errors), with tilgang's additions to organisations, and
//! the discovery document of Studio's OpenID provider.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clock::format_micros;
use crate::http::AppState;
use crate::services::App;
use crate::services::studio_directory::Account;
use crate::services::studio_directory::{OrgView, Repo, TeamView};

#[derive(Serialize, utoipa::ToSchema)]
pub struct GiteaError<'a> {
    pub message: &'a str,
    pub url: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct User {
    id: i64,
    login: String,
    username: String,
    login_name: &'static str,
    full_name: String,
    email: String,
    avatar_url: String,
    language: &'static str,
    is_admin: bool,
    active: bool,
    prohibit_login: bool,
    restricted: bool,
    visibility: &'static str,
    created: String,
    location: String,
    website: String,
    description: String,
}

impl User {
    /// `show_email`: the user's own address (to itself and to administrators), otherwise
    /// Gitea's private no-reply address.
    pub fn of(state: &AppState, u: &Account, show_email: bool) -> Self {
        User {
            id: u.id,
            login: u.name.clone(),
            username: u.name.clone(),
            login_name: "",
            full_name: u.full_name.clone(),
            email: if show_email {
                u.email.clone()
            } else {
                format!("{}@noreply.altinn.no", u.name.to_lowercase())
            },
            avatar_url: avatar(state, &u.name),
            language: "nb-NO",
            is_admin: u.is_admin,
            active: u.is_active,
            prohibit_login: false,
            restricted: false,
            visibility: "public",
            created: format_micros(u.created_at),
            location: u.location.clone(),
            website: u.website.clone(),
            description: u.description.clone(),
        }
    }

    /// Users as others see them (e-mail addresses stay private).
    pub fn list(state: &AppState, users: &[Account]) -> Vec<Self> {
        users.iter().map(|u| User::of(state, u, false)).collect()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = GiteaOrganization)]
pub struct Organization {
    id: i64,
    name: String,
    username: String,
    full_name: String,
    email: &'static str,
    avatar_url: String,
    description: String,
    website: String,
    location: String,
    visibility: &'static str,
    repo_admin_change_team_access: bool,
    /// tilgang's additions: what Designer reads from altinn-orgs.json.
    org_number: Option<String>,
    service_owner: bool,
    environments: Vec<String>,
}

impl Organization {
    pub fn of(state: &AppState, v: &OrgView) -> Self {
        let o = &v.org;
        Organization {
            id: o.id,
            name: o.name.clone(),
            username: o.name.clone(),
            full_name: o.full_name.clone(),
            email: "",
            avatar_url: avatar(state, &o.name),
            description: o.description.clone(),
            website: o.website.clone(),
            location: o.location.clone(),
            visibility: "public",
            repo_admin_change_team_access: false,
            org_number: o.org_number.clone(),
            service_owner: o.service_owner,
            environments: v.environments.clone(),
        }
    }

    pub fn list(state: &AppState, orgs: &[OrgView]) -> Vec<Self> {
        orgs.iter().map(|o| Organization::of(state, o)).collect()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Team {
    id: i64,
    name: String,
    description: String,
    organization: Option<Organization>,
    includes_all_repositories: bool,
    permission: String,
    units: Vec<String>,
    units_map: BTreeMap<String, String>,
    can_create_org_repo: bool,
}

impl Team {
    pub fn of(state: &AppState, v: &TeamView) -> Self {
        let t = &v.team;
        let units_map = if t.units_map.is_empty() {
            crate::domain::studio::team_units(&t.permission, None, None).unwrap_or_default()
        } else {
            t.units_map.clone()
        };
        Team {
            id: t.id,
            name: t.name.clone(),
            description: t.description.clone(),
            organization: v.org.as_ref().map(|o| Organization::of(state, o)),
            includes_all_repositories: t.includes_all_repositories,
            permission: t.permission.clone(),
            units: units_map
                .iter()
                .filter(|(_, access)| *access != "none")
                .map(|(unit, _)| unit.clone())
                .collect(),
            units_map,
            can_create_org_repo: t.can_create_org_repo,
        }
    }

    pub fn list(state: &AppState, teams: &[TeamView]) -> Vec<Self> {
        teams.iter().map(|t| Team::of(state, t)).collect()
    }
}

fn avatar(state: &AppState, name: &str) -> String {
    state.app.config.url(&format!("/studio/avatars/{name}"))
}

/// Gitea's `Repository`, for the applications the dashboard creates (read-only here).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Repository {
    id: i64,
    owner: RepositoryOwner,
    name: String,
    full_name: String,
    description: String,
    private: bool,
    empty: bool,
    html_url: String,
    clone_url: String,
    default_branch: &'static str,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RepositoryOwner {
    id: i64,
    login: String,
    username: String,
}

impl Repository {
    pub fn of(state: &AppState, r: &Repo) -> Self {
        let full_name = format!("{}/{}", r.owner_name, r.name);
        let created = format_micros(r.created_at);
        Repository {
            id: r.id,
            owner: RepositoryOwner {
                id: r.owner_id,
                login: r.owner_name.clone(),
                username: r.owner_name.clone(),
            },
            html_url: state.app.config.url(&format!("/studio/repos/{full_name}")),
            clone_url: state
                .app
                .config
                .url(&format!("/studio/repos/{full_name}.git")),
            name: r.name.clone(),
            full_name,
            description: r.description.clone(),
            private: true,
            empty: true,
            default_branch: "master",
            updated_at: created.clone(),
            created_at: created,
        }
    }

    pub fn list(state: &AppState, repos: &[Repo]) -> Vec<Self> {
        repos.iter().map(|r| Repository::of(state, r)).collect()
    }
}

/// Gitea's answer to a repository search.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub ok: bool,
    pub data: Vec<Repository>,
}

/// Gitea's `ServerVersion`: the Gitea API version this one follows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServerVersion {
    version: &'static str,
}

impl ServerVersion {
    pub const CURRENT: ServerVersion = ServerVersion { version: "1.22.0" };
}

/// The OpenID Connect discovery document of Studio's provider (Gitea's, with PKCE).
#[derive(Serialize, utoipa::ToSchema)]
pub struct StudioDiscovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    userinfo_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    response_types_supported: [&'static str; 1],
    grant_types_supported: [&'static str; 2],
    id_token_signing_alg_values_supported: [String; 1],
    subject_types_supported: [&'static str; 1],
    scopes_supported: [&'static str; 4],
    claims_supported: [&'static str; 11],
    code_challenge_methods_supported: [&'static str; 2],
    token_endpoint_auth_methods_supported: [&'static str; 3],
}

impl StudioDiscovery {
    /// The document of `app`'s Studio provider, signing with `alg`.
    pub fn new(app: &App, alg: String) -> Self {
        let url = |path: &str| app.config.url(path);
        StudioDiscovery {
            issuer: app.studio_issuer(),
            authorization_endpoint: url("/studio/login/oauth/authorize"),
            token_endpoint: url("/studio/login/oauth/access_token"),
            jwks_uri: url("/studio/login/oauth/keys"),
            userinfo_endpoint: url("/studio/login/oauth/userinfo"),
            revocation_endpoint: url("/studio/login/oauth/revoke"),
            introspection_endpoint: url("/studio/login/oauth/introspect"),
            response_types_supported: ["code"],
            grant_types_supported: ["authorization_code", "refresh_token"],
            id_token_signing_alg_values_supported: [alg],
            subject_types_supported: ["public"],
            scopes_supported: ["openid", "profile", "email", "groups"],
            claims_supported: [
                "aud",
                "exp",
                "iat",
                "iss",
                "sub",
                "name",
                "preferred_username",
                "email",
                "email_verified",
                "groups",
                "auth_time",
            ],
            code_challenge_methods_supported: ["plain", "S256"],
            token_endpoint_auth_methods_supported: [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
        }
    }
}

/// Gitea's `OAuth2Application`; `client_secret` is empty except right after it was made.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OAuth2Application {
    id: i64,
    name: String,
    client_id: String,
    client_secret: String,
    redirect_uris: Vec<String>,
    confidential_client: bool,
    skip_secondary_authorization: bool,
    created: String,
}

impl OAuth2Application {
    pub fn of(
        a: &crate::services::studio_oauth_apps::UserApp,
        client_secret: Option<String>,
    ) -> Self {
        OAuth2Application {
            id: a.app.id,
            name: a.app.name.clone(),
            client_id: a.app.client_id.clone(),
            client_secret: client_secret.unwrap_or_default(),
            redirect_uris: a.app.redirect_uris.clone(),
            confidential_client: a.app.confidential,
            skip_secondary_authorization: false,
            created: format_micros(a.created_at),
        }
    }
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<GiteaError>()
        .add::<User>()
        .add::<Organization>()
        .add::<Team>()
        .add::<StudioDiscovery>()
        .add::<ServerVersion>()
        .add::<Repository>()
        .add::<SearchResults>()
        .add::<OAuth2Application>()
        .add::<crate::services::studio_oauth::StudioUserInfo>();
}
