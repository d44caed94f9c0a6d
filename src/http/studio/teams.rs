//! The organisation team pages of Altinn Studio for owners (spec §2.8, Gitea's
//! `/org/{org}/teams`): the teams with what they permit, a team's members, adding and removing
//! members, leaving a team.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::dashboard::{DashboardTexts, Flash, org_error_field, org_error_text};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, PageResult, message, private, render, texts};
use crate::http::studio::accounts::{
    AccountSession, MaybeAccount, expired_form, form_field, inactive_page, server_error,
};
use crate::secret;
use crate::services::idp::percent_encode;
use crate::services::studio_directory::Account;
use crate::services::studio_oauth::with_query;
use crate::services::studio_orgs::{Actor, OrgError, OrgPermissions};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/org/{org}/teams", get(teams_page))
        .route("/studio/org/{org}/teams/{team}", get(team_page))
        .route(
            "/studio/org/{org}/teams/{team}/action/{action}",
            post(team_action),
        )
}

texts! {
    pub struct TeamsTexts {
        org_not_found: ["Fant ikke organisasjonen", "Fann ikkje organisasjonen", "Organisation not found"],
        org_not_found_text: [
            "Organisasjonen finnes ikke, eller du er ikke medlem.",
            "Organisasjonen finst ikkje, eller du er ikkje medlem.",
            "The organisation does not exist, or you are not a member.",
        ],
        teams: ["team", "team", "teams"],
        environments: ["Miljøer", "Miljø", "Environments"],
        no_environments: ["ingen", "ingen", "none"],
        team: ["Team", "Team", "Team"],
        permits: ["Gir tilgang til", "Gir tilgang til", "Permits"],
        members: ["Medlemmer", "Medlemmer", "Members"],
        team_not_found: ["Fant ikke teamet", "Fann ikkje teamet", "Team not found"],
        all_teams: ["Alle team", "Alle team", "All teams"],
        remove: ["Fjern", "Fjern", "Remove"],
        user_name: ["Brukernavn", "Brukarnamn", "User name"],
        add_member: ["Legg til teammedlem", "Legg til teammedlem", "Add Team Member"],
        leave: ["Forlat teamet", "Forlat teamet", "Leave team"],
        invalid_form: ["Ugyldig skjema.", "Ugyldig skjema.", "Invalid form."],
        added: [" er lagt til i ", " er lagd til i ", " was added to "],
        removed: [" er fjernet fra ", " er fjerna frå ", " was removed from "],
        left: ["Du har forlatt teamet.", "Du har forlate teamet.", "You have left the team."],
        means_owners: [
            "administrere team og medlemmer, alle applikasjoner",
            "administrere team og medlemmer, alle applikasjonar",
            "manage teams and members, all applications",
        ],
        means_devs: ["lage og endre applikasjoner", "lage og endre applikasjonar", "create and change applications"],
        means_deploy: ["publisere til", "publisere til", "deploy to"],
        means_resources_publish: ["publisere ressurser til", "publisere ressursar til", "publish resources to"],
        means_resources: ["ressursadministrasjon", "ressursadministrasjon", "resource administration"],
        means_access_lists: ["tilgangslister i", "tilgangslister i", "access lists in"],
        means_admin: [
            "administrere publiserte applikasjoner i",
            "administrere publiserte applikasjonar i",
            "administer published applications in",
        ],
        means_read: ["lesetilgang", "lesetilgang", "read access"],
    }
}

/// What a team permits in Altinn Studio, by its name (spec §5).
pub fn team_meaning(lang: Lang, name: &str) -> String {
    let t = TeamsTexts::of(lang);
    let lower = name.to_ascii_lowercase();
    let with_env = |what: &str, env: &str| [what, " ", env].concat();
    if lower == "owners" {
        return t.means_owners.into();
    }
    if lower == "devs" {
        return t.means_devs.into();
    }
    if let Some(env) = lower.strip_prefix("deploy-") {
        return with_env(t.means_deploy, env);
    }
    if let Some(env) = lower.strip_prefix("resources-publish-") {
        return with_env(t.means_resources_publish, env);
    }
    if lower == "resources" {
        return t.means_resources.into();
    }
    if let Some(env) = lower.strip_prefix("accesslists-") {
        return with_env(t.means_access_lists, env);
    }
    if let Some(env) = lower.strip_prefix("admin-") {
        return with_env(t.means_admin, env);
    }
    t.means_read.into()
}

struct OrgContext {
    user: Account,
    csrf: String,
    org: Account,
    perms: OrgPermissions,
}

#[allow(clippy::result_large_err)]
async fn org_context(
    state: &AppState,
    lang: Lang,
    s: Option<AccountSession>,
    org_name: &str,
) -> Result<OrgContext, Response> {
    let Some(s) = s else {
        // The name comes from the address: one encoded path segment, inside one encoded
        // query value.
        let back = ["/studio/org/", &percent_encode(org_name), "/teams"].concat();
        return Err(
            Redirect::to(&with_query("/studio/user/login", &[("redirect_to", &back)]))
                .into_response(),
        );
    };
    let Some(user) = s.user.clone() else {
        return Err(Redirect::to("/studio/user/login").into_response());
    };
    if !user.is_active {
        return Err(inactive_page(state, lang, &s, &user).await);
    }
    let not_found = || {
        let t = TeamsTexts::of(lang);
        private(message(
            state,
            lang,
            StatusCode::NOT_FOUND,
            t.org_not_found,
            t.org_not_found_text,
            vec![Link::new(
                "/studio/dashboard",
                DashboardTexts::of(lang).to_dashboard,
            )],
        ))
    };
    let org = match state.app.studio_org_named(org_name).await {
        Ok(Some(o)) => o,
        Ok(None) => return Err(not_found()),
        Err(e) => return Err(server_error(state, lang, &e)),
    };
    let perms = match state.app.studio_permissions(&user, &org).await {
        Ok(p) => p,
        Err(e) => return Err(server_error(state, lang, &e)),
    };
    if perms.teams.is_empty() && !user.is_admin {
        return Err(not_found());
    }
    Ok(OrgContext {
        user,
        csrf: s.session.csrf.clone(),
        org,
        perms,
    })
}

struct TeamRow<'a> {
    name: &'a str,
    lower: String,
    meaning: String,
    members: i64,
}

#[derive(Template)]
#[template(path = "studio/teams_list.html")]
struct TeamsPage<'a> {
    f: Frame,
    t: &'static TeamsTexts,
    d: &'static DashboardTexts,
    org: &'a str,
    envs: String,
    teams: Vec<TeamRow<'a>>,
}

async fn teams_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Path(org): Path<String>,
) -> PageResult {
    let ctx = org_context(&state, lang, s, &org).await?;
    let teams = state
        .app
        .studio_teams_with_counts(ctx.org.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let t = TeamsTexts::of(lang);
    let envs = if ctx.perms.environments.is_empty() {
        t.no_environments.to_owned()
    } else {
        ctx.perms.environments.join(", ")
    };
    let mut rows = Vec::with_capacity(teams.len());
    for (team, members) in &teams {
        let members = *members;
        rows.push(TeamRow {
            name: &team.name,
            lower: team.name.to_lowercase(),
            meaning: team_meaning(lang, &team.name),
            members,
        });
    }
    Ok(private(render(
        StatusCode::OK,
        &TeamsPage {
            f: Frame::new(&state, lang, &ctx.org.name),
            t,
            d: DashboardTexts::of(lang),
            org: &ctx.org.name,
            envs,
            teams: rows,
        },
    )))
}

#[derive(Template)]
#[template(path = "studio/teams_team.html")]
struct TeamPage<'a> {
    f: Frame,
    t: &'static TeamsTexts,
    org: &'a str,
    team_lower: String,
    flash: Option<Flash<'a>>,
    meaning: String,
    members: &'a [Account],
    owner: bool,
    is_member: bool,
    csrf: &'a str,
}

/// The team page of `team_name`, with `flash` on top.
async fn render_team(
    state: &AppState,
    lang: Lang,
    ctx: &OrgContext,
    team_name: &str,
    flash: Option<Flash<'_>>,
) -> PageResult {
    let t = TeamsTexts::of(lang);
    let fail = |e: crate::services::StoreError| server_error(state, lang, &e);
    let Some(team) = state
        .app
        .studio_team_named(ctx.org.id, team_name)
        .await
        .map_err(fail)?
    else {
        return Ok(private(message(
            state,
            lang,
            StatusCode::NOT_FOUND,
            t.team_not_found,
            team_name,
            vec![Link::new(
                ["/studio/org/", &ctx.org.name, "/teams"].concat(),
                t.all_teams,
            )],
        )));
    };
    let members = state
        .app
        .studio_members_of_team(team.id)
        .await
        .map_err(fail)?;
    Ok(private(render(
        StatusCode::OK,
        &TeamPage {
            f: Frame::new(state, lang, &team.name).with_errors(Flash::is_error(&flash)),
            t,
            org: &ctx.org.name,
            team_lower: team.name.to_lowercase(),
            flash,
            meaning: team_meaning(lang, &team.name),
            members: &members,
            owner: ctx.perms.is_owner || ctx.user.is_admin,
            is_member: members.iter().any(|m| m.id == ctx.user.id),
            csrf: &ctx.csrf,
        },
    )))
}

async fn team_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Path((org, team)): Path<(String, String)>,
) -> PageResult {
    let ctx = org_context(&state, lang, s, &org).await?;
    render_team(&state, lang, &ctx, &team, None).await
}

async fn team_action(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Path((org, team_name, action)): Path<(String, String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let ctx = org_context(&state, lang, s, &org).await?;
    let t = TeamsTexts::of(lang);
    let Ok(Form(f)) = form else {
        let flash = Flash::wrong(t.invalid_form, None);
        return render_team(&state, lang, &ctx, &team_name, Some(flash)).await;
    };
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &ctx.csrf) {
        return Ok(expired_form(&state, lang, None));
    }
    let Some(team) = state
        .app
        .studio_team_named(ctx.org.id, &team_name)
        .await
        .map_err(|e| server_error(&state, lang, &e))?
    else {
        return render_team(&state, lang, &ctx, &team_name, None).await;
    };
    let actor = Actor::User(Box::new(ctx.user.clone()));
    let uname = form_field(&f, "uname").trim();
    let result = match action.as_str() {
        "add" => state
            .app
            .studio_add_member(&actor, &team, uname)
            .await
            .map(|u| [&u.name, t.added, &team.name, "."].concat()),
        "remove" => state
            .app
            .studio_remove_member(&actor, &team, uname)
            .await
            .map(|()| [uname, t.removed, &team.name, "."].concat()),
        "leave" => state
            .app
            .studio_remove_member(&actor, &team, &ctx.user.name)
            .await
            .map(|()| t.left.to_owned()),
        _ => Err(OrgError::NotFound),
    };
    match result {
        Ok(text) => {
            let flash = Flash::done(&text);
            render_team(&state, lang, &ctx, &team_name, Some(flash)).await
        }
        Err(OrgError::Store(e)) => Ok(server_error(&state, lang, &e)),
        Err(e) => {
            let text = org_error_text(lang, &e);
            let flash = Flash::wrong(&text, org_error_field(&e, "uname"));
            let mut r = render_team(&state, lang, &ctx, &team_name, Some(flash)).await?;
            if matches!(e, OrgError::Forbidden) {
                *r.status_mut() = StatusCode::FORBIDDEN;
            }
            Ok(r)
        }
    }
}
