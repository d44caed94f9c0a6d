//! The Altinn Studio dashboard (spec §2.7): the user's organisations with environments and
//! what their teams permit, applications, creating one; the organisation team pages for
//! owners (§2.8); asking the operator for an organisation.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::clock::format_micros;
use crate::http::AppState;
use crate::http::html::{Lang, esc};
use crate::http::studio::accounts::{
    MaybeAccount, MaybeDesigner, expired_form, form_field, message, server_error, studio_page,
};
use crate::secret;
use crate::services::idp::percent_encode;
use crate::services::studio_oauth::with_query;
use crate::services::studio_orgs::{Actor, NewOrgInput, OrgError, OrgPermissions};
use crate::store::studio::{Account, KIND_ORG};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/dashboard", get(dashboard))
        .route("/studio/dashboard/apps", post(create_app))
        .route("/studio/orgs/request", get(request_page).post(request_post))
        .route("/studio/org/{org}/teams", get(teams_page))
        .route("/studio/org/{org}/teams/{team}", get(team_page))
        .route(
            "/studio/org/{org}/teams/{team}/action/{action}",
            post(team_action),
        )
}

/// What a team permits in Altinn Studio, by its name (spec §5).
pub fn team_meaning(lang: Lang, name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "owners" {
        return lang
            .t(
                "administrere team og medlemmer, alle applikasjoner",
                "manage teams and members, all applications",
            )
            .into();
    }
    if lower == "devs" {
        return lang
            .t(
                "lage og endre applikasjoner",
                "create and change applications",
            )
            .into();
    }
    if let Some(env) = lower.strip_prefix("deploy-") {
        return format!("{} {env}", lang.t("publisere til", "deploy to"));
    }
    if let Some(env) = lower.strip_prefix("resources-publish-") {
        return format!(
            "{} {env}",
            lang.t("publisere ressurser til", "publish resources to")
        );
    }
    if lower == "resources" {
        return lang
            .t("ressursadministrasjon", "resource administration")
            .into();
    }
    if let Some(env) = lower.strip_prefix("accesslists-") {
        return format!("{} {env}", lang.t("tilgangslister i", "access lists in"));
    }
    if let Some(env) = lower.strip_prefix("admin-") {
        return format!(
            "{} {env}",
            lang.t(
                "administrere publiserte applikasjoner i",
                "administer published applications in"
            )
        );
    }
    lang.t("lesetilgang", "read access").into()
}

async fn dashboard(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
) -> Response {
    let Some(d) = d else {
        return Redirect::to("/studio/login").into_response();
    };
    let user = &d.user;
    let orgs = match state.app.store.studio_orgs_of(user.id).await {
        Ok(o) => o,
        Err(e) => return server_error(&state, lang, &e),
    };
    let mut perms: Vec<OrgPermissions> = Vec::new();
    for org in &orgs {
        match state.app.studio_permissions(user, org).await {
            Ok(p) => perms.push(p),
            Err(e) => return server_error(&state, lang, &e),
        }
    }
    let mut owner_ids = vec![user.id];
    owner_ids.extend(orgs.iter().map(|o| o.id));
    let repos = match state.app.store.studio_repos(&owner_ids).await {
        Ok(r) => r,
        Err(e) => return server_error(&state, lang, &e),
    };
    let mut body = format!(
        "<h1>{}</h1><p>{} <strong id=\"user-name\">{}</strong> ({}). \
         <a href=\"/studio/user/settings/applications\">{}</a> · <a href=\"/studio/logout\">{}</a></p>",
        lang.t("Dashbord", "Dashboard"),
        lang.t("Logget inn som", "Logged in as"),
        esc(&user.name),
        esc(&user.full_name),
        lang.t("Autoriserte applikasjoner", "Authorized applications"),
        lang.t("Logg ut", "Log out"),
    );
    body.push_str(&format!(
        "<h2>{}</h2>",
        lang.t("Organisasjoner", "Organisations")
    ));
    if perms.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"no-orgs\">{}</p>",
            lang.t(
                "Du er ikke medlem av noen organisasjon ennå. Administratoren i organisasjonen din kan legge deg til i et team; vet du ikke hvem det er, kan du spørre Altinn servicedesk eller be om en ny organisasjon.",
                "You are not a member of any organisation yet. Your organisation's administrator can add you to a team; if you do not know who that is, ask the Altinn service desk or request a new organisation."
            )
        ));
    } else {
        body.push_str(&format!(
            "<table id=\"orgs\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            lang.t("Organisasjon", "Organisation"),
            lang.t("Miljøer", "Environments"),
            lang.t("Dine team", "Your teams"),
            lang.t("Du kan", "You may"),
        ));
        for p in &perms {
            let envs = if p.environments.is_empty() {
                lang.t("ingen (ikke tjenesteeier)", "none (not a service owner)")
                    .to_owned()
            } else {
                p.environments.join(", ")
            };
            let teams: Vec<String> = p.teams.iter().map(|t| esc(&t.name)).collect();
            let mut can: Vec<String> = Vec::new();
            if p.is_owner {
                can.push(lang.t("administrere team", "manage teams").into());
            }
            if p.can_create_repo {
                can.push(lang.t("lage applikasjoner", "create applications").into());
            }
            for env in &p.deploy_to {
                can.push(format!("{} {env}", lang.t("publisere til", "deploy to")));
            }
            if can.is_empty() {
                can.push(lang.t("lese", "read").into());
            }
            body.push_str(&format!(
                "<tr data-org=\"{name}\"><td><a href=\"/studio/org/{name}/teams\">{name}</a><br><span class=\"muted\">{full}</span></td><td class=\"envs\">{envs}</td><td>{teams}</td><td class=\"can\">{can}</td></tr>",
                name = esc(&p.org.name),
                full = esc(&p.org.full_name),
                envs = esc(&envs),
                teams = teams.join(", "),
                can = esc(&can.join(", ")),
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(&format!(
        "<p><a href=\"/studio/orgs/request\">{}</a></p><h2>{}</h2>",
        lang.t("Be om en ny organisasjon", "Request a new organisation"),
        lang.t("Applikasjoner", "Applications"),
    ));
    if repos.is_empty() {
        body.push_str(&format!(
            "<p id=\"no-apps\">{}</p>",
            lang.t(
                "Du har ingen applikasjoner ennå. Lag din første applikasjon nedenfor!",
                "You have no applications yet. Create your first application below!"
            )
        ));
    } else {
        body.push_str(&format!(
            "<table id=\"apps\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            lang.t("Navn", "Name"),
            lang.t("Eier", "Owner"),
            lang.t("Opprettet", "Created")
        ));
        for r in &repos {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.name),
                esc(&r.owner_name),
                esc(format_micros(r.created_at).get(..10).unwrap_or(""))
            ));
        }
        body.push_str("</tbody></table>");
    }
    let mut owners = format!("<option value=\"{0}\">{0}</option>", esc(&user.name));
    for p in perms.iter().filter(|p| p.can_create_repo) {
        owners.push_str(&format!(
            "<option value=\"{0}\">{0}</option>",
            esc(&p.org.name)
        ));
    }
    body.push_str(&format!(
        "<h3>{}</h3><form method=\"post\" action=\"/studio/dashboard/apps\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\">\
         <p><label for=\"owner\">{}</label><br><select id=\"owner\" name=\"owner\">{owners}</select></p>\
         <p><label for=\"app-name\">{}</label><br><input id=\"app-name\" name=\"name\" maxlength=\"100\" required></p>\
         <p><button type=\"submit\" id=\"create-app\">{}</button></p></form>",
        lang.t("Lag ny applikasjon", "Create new application"),
        esc(&d.session.csrf),
        lang.t("Eier", "Owner"),
        lang.t("Navn på applikasjonen", "Application name"),
        lang.t("Lag applikasjon", "Create application"),
    ));
    studio_page(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Dashbord", "Dashboard"),
        &body,
    )
}

async fn create_app(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(d) = d else {
        return Redirect::to("/studio/login").into_response();
    };
    let Ok(Form(f)) = form else {
        return Redirect::to("/studio/dashboard").into_response();
    };
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &d.session.csrf) {
        return expired_form(
            &state,
            lang,
            Some((
                "/studio/dashboard",
                lang.t("Til dashbordet", "To the dashboard"),
            )),
        );
    }
    match state
        .app
        .studio_create_repo(&d.user, form_field(&f, "owner"), form_field(&f, "name"), "")
        .await
    {
        Ok(_) => Redirect::to("/studio/dashboard").into_response(),
        Err(OrgError::Store(e)) => server_error(&state, lang, &e),
        Err(e) => {
            let text = if lang == Lang::En {
                e.to_string()
            } else {
                e.message_nb()
            };
            message(
                &state,
                lang,
                StatusCode::BAD_REQUEST,
                lang.t(
                    "Applikasjonen ble ikke laget",
                    "The application was not created",
                ),
                &text,
                Some((
                    "/studio/dashboard",
                    lang.t("Tilbake til dashbordet", "Back to the dashboard"),
                )),
            )
        }
    }
}

// ---- requests for an organisation ------------------------------------------------------------

fn request_form(
    lang: Lang,
    csrf: &str,
    f: &HashMap<String, String>,
    error: Option<&str>,
) -> String {
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"flash\">{}</p>",
                esc(e)
            )
        })
        .unwrap_or_default();
    let checked = if form_field(f, "service_owner") == "on" {
        " checked"
    } else {
        ""
    };
    format!(
        "<h1>{}</h1><p>{}</p>{error}<form method=\"post\" action=\"/studio/orgs/request\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\">\
         <p><label for=\"name\">{}</label><br><input id=\"name\" name=\"name\" value=\"{}\" maxlength=\"40\" required></p>\
         <p><label for=\"full_name\">{}</label><br><input id=\"full_name\" name=\"full_name\" value=\"{}\" required></p>\
         <p><label for=\"org_number\">{}</label><br><input id=\"org_number\" name=\"org_number\" value=\"{}\" inputmode=\"numeric\" maxlength=\"9\"></p>\
         <p><label for=\"admin\">{}</label><br><input id=\"admin\" name=\"admin\" value=\"{}\" required></p>\
         <p><label><input type=\"checkbox\" name=\"service_owner\"{checked}> {}</label></p>\
         <p><button type=\"submit\">{}</button></p></form>",
        lang.t("Be om en organisasjon", "Request an organisation"),
        lang.t("Plattformoperatøren oppretter organisasjoner. Fyll ut skjemaet, så får du svar på e-post.", "The platform operator creates organisations. Fill in the form and you will get an answer by e-mail."),
        esc(csrf),
        lang.t("Kortnavn (f.eks. ttd)", "Short name (e.g. ttd)"), esc(form_field(f, "name")),
        lang.t("Fullt navn", "Full name"), esc(form_field(f, "full_name")),
        lang.t("Organisasjonsnummer", "Organisation number"), esc(form_field(f, "org_number")),
        lang.t("Administrator (brukernavn i Altinn Studio)", "Administrator (Altinn Studio user name)"), esc(form_field(f, "admin")),
        lang.t("Tjenesteeier med avtale om Altinn (får miljøene tt02 og production)", "Service owner with an Altinn agreement (gets the environments tt02 and production)"),
        lang.t("Send forespørsel", "Send request"),
    )
}

async fn request_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
) -> Response {
    let Some(d) = d else {
        return Redirect::to("/studio/login").into_response();
    };
    let mut f = HashMap::new();
    f.insert("admin".to_owned(), d.user.name.clone());
    let mut body = request_form(lang, &d.session.csrf, &f, None);
    if let Ok(mine) = state.app.store.org_requests(Some(d.user.id)).await
        && !mine.is_empty()
    {
        body.push_str(&format!(
            "<h2>{}</h2><ul id=\"my-requests\">",
            lang.t("Dine forespørsler", "Your requests")
        ));
        for r in mine {
            body.push_str(&format!(
                "<li>{} ({}) – {}</li>",
                esc(&r.short_name),
                esc(&r.full_name),
                esc(&r.status)
            ));
        }
        body.push_str("</ul>");
    }
    studio_page(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Be om en organisasjon", "Request an organisation"),
        &body,
    )
}

async fn request_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(d) = d else {
        return Redirect::to("/studio/login").into_response();
    };
    let Ok(Form(f)) = form else {
        return Redirect::to("/studio/orgs/request").into_response();
    };
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &d.session.csrf) {
        return expired_form(&state, lang, None);
    }
    let input = NewOrgInput {
        name: form_field(&f, "name"),
        full_name: form_field(&f, "full_name"),
        org_number: form_field(&f, "org_number"),
        service_owner: form_field(&f, "service_owner") == "on",
        admin: form_field(&f, "admin"),
    };
    match state.app.studio_request_org(&d.user, &input).await {
        Ok(r) => message(
            &state,
            lang,
            StatusCode::OK,
            lang.t("Forespørselen er sendt", "The request has been sent"),
            &if lang == Lang::En {
                format!(
                    "The operator will consider the request for {}. You will be told by e-mail.",
                    r.short_name
                )
            } else {
                format!(
                    "Operatøren behandler forespørselen om {}. Du får svar på e-post.",
                    r.short_name
                )
            },
            Some((
                "/studio/dashboard",
                lang.t("Til dashbordet", "To the dashboard"),
            )),
        ),
        Err(OrgError::Store(e)) => server_error(&state, lang, &e),
        Err(e) => {
            let text = if lang == Lang::En {
                e.to_string()
            } else {
                e.message_nb()
            };
            let body = request_form(lang, &d.session.csrf, &f, Some(&text));
            studio_page(
                &state,
                lang,
                StatusCode::OK,
                lang.t("Be om en organisasjon", "Request an organisation"),
                &body,
            )
        }
    }
}

// ---- team pages (Gitea's /org/{org}/teams) -----------------------------------------------------

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
    s: Option<crate::http::studio::accounts::AccountSession>,
    org_name: &str,
) -> Result<OrgContext, Response> {
    let Some(s) = s else {
        // The name comes from the address: one encoded path segment, inside one encoded
        // query value.
        let back = format!("/studio/org/{}/teams", percent_encode(org_name));
        return Err(
            Redirect::to(&with_query("/studio/user/login", &[("redirect_to", &back)]))
                .into_response(),
        );
    };
    let Some(user) = s.user.clone() else {
        return Err(Redirect::to("/studio/user/login").into_response());
    };
    if !user.is_active {
        return Err(crate::http::studio::accounts::inactive_page(state, lang, &s, &user).await);
    }
    let not_found = || {
        message(
            state,
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Fant ikke organisasjonen", "Organisation not found"),
            lang.t(
                "Organisasjonen finnes ikke, eller du er ikke medlem.",
                "The organisation does not exist, or you are not a member.",
            ),
            Some((
                "/studio/dashboard",
                lang.t("Til dashbordet", "To the dashboard"),
            )),
        )
    };
    let org = match state.app.store.studio_account_by_name(org_name).await {
        Ok(Some(o)) if o.kind == KIND_ORG => o,
        Ok(_) => return Err(not_found()),
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

async fn teams_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Path(org): Path<String>,
) -> Response {
    let ctx = match org_context(&state, lang, s, &org).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let teams = match state.app.store.studio_teams(ctx.org.id).await {
        Ok(t) => t,
        Err(e) => return server_error(&state, lang, &e),
    };
    let envs = if ctx.perms.environments.is_empty() {
        lang.t("ingen", "none").to_owned()
    } else {
        ctx.perms.environments.join(", ")
    };
    let mut body = format!(
        "<h1>{} – {}</h1><p>{}: <span id=\"environments\">{}</span></p><table id=\"teams\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(&ctx.org.name),
        lang.t("team", "teams"),
        lang.t("Miljøer", "Environments"),
        esc(&envs),
        lang.t("Team", "Team"),
        lang.t("Gir tilgang til", "Permits"),
        lang.t("Medlemmer", "Members"),
    );
    for t in &teams {
        let members = state
            .app
            .store
            .studio_team_members(t.id)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        body.push_str(&format!(
            "<tr><td><a href=\"/studio/org/{}/teams/{}\">{}</a></td><td>{}</td><td>{members}</td></tr>",
            esc(&ctx.org.name), esc(&t.name.to_lowercase()), esc(&t.name), esc(&team_meaning(lang, &t.name)),
        ));
    }
    body.push_str("</tbody></table><p><a href=\"/studio/dashboard\">");
    body.push_str(lang.t("Til dashbordet", "To the dashboard"));
    body.push_str("</a></p>");
    studio_page(&state, lang, StatusCode::OK, &ctx.org.name, &body)
}

async fn render_team(
    state: &AppState,
    lang: Lang,
    ctx: &OrgContext,
    team_name: &str,
    flash: Option<(&str, bool)>,
) -> Response {
    let team = match state
        .app
        .store
        .studio_team_by_name(ctx.org.id, team_name)
        .await
    {
        Ok(Some(t)) => t,
        Ok(None) => {
            return message(
                state,
                lang,
                StatusCode::NOT_FOUND,
                lang.t("Fant ikke teamet", "Team not found"),
                team_name,
                Some((
                    &format!("/studio/org/{}/teams", ctx.org.name),
                    lang.t("Alle team", "All teams"),
                )),
            );
        }
        Err(e) => return server_error(state, lang, &e),
    };
    let members = match state.app.store.studio_team_members(team.id).await {
        Ok(m) => m,
        Err(e) => return server_error(state, lang, &e),
    };
    let owner = ctx.perms.is_owner || ctx.user.is_admin;
    let action = |a: &str| {
        format!(
            "/studio/org/{}/teams/{}/action/{a}",
            esc(&ctx.org.name),
            esc(&team.name.to_lowercase())
        )
    };
    let flash = flash
        .map(|(text, ok)| {
            format!(
                "<p id=\"flash\" class=\"{}\" role=\"{}\">{}</p>",
                if ok { "" } else { "error" },
                if ok { "status" } else { "alert" },
                esc(text)
            )
        })
        .unwrap_or_default();
    let mut body = format!(
        "<h1>{} / {}</h1>{flash}<p>{}: {}</p><h2>{}</h2><ul id=\"members\">",
        esc(&ctx.org.name),
        esc(&team.name),
        lang.t("Gir tilgang til", "Permits"),
        esc(&team_meaning(lang, &team.name)),
        lang.t("Medlemmer", "Members"),
    );
    for m in &members {
        body.push_str(&format!(
            "<li data-user=\"{0}\">{0} <span class=\"muted\">{1}</span>",
            esc(&m.name),
            esc(&m.full_name)
        ));
        if owner {
            body.push_str(&format!(
                " <form method=\"post\" action=\"{}\" style=\"display:inline\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\"><input type=\"hidden\" name=\"uname\" value=\"{}\"><button type=\"submit\">{}</button></form>",
                action("remove"), esc(&ctx.csrf), esc(&m.name), lang.t("Fjern", "Remove"),
            ));
        }
        body.push_str("</li>");
    }
    body.push_str("</ul>");
    if owner {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\">\
             <p><label for=\"uname\">{}</label><br><input id=\"uname\" name=\"uname\" autocomplete=\"off\" required></p>\
             <p><button type=\"submit\" id=\"add-member\">{}</button></p></form>",
            action("add"), esc(&ctx.csrf), lang.t("Brukernavn", "User name"), lang.t("Legg til teammedlem", "Add Team Member"),
        ));
    }
    if members.iter().any(|m| m.id == ctx.user.id) {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\"><button type=\"submit\" id=\"leave\">{}</button></form>",
            action("leave"),
            esc(&ctx.csrf),
            lang.t("Forlat teamet", "Leave team"),
        ));
    }
    body.push_str(&format!(
        "<p><a href=\"/studio/org/{}/teams\">{}</a></p>",
        esc(&ctx.org.name),
        lang.t("Alle team", "All teams")
    ));
    studio_page(state, lang, StatusCode::OK, &team.name, &body)
}

async fn team_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Path((org, team)): Path<(String, String)>,
) -> Response {
    match org_context(&state, lang, s, &org).await {
        Ok(ctx) => render_team(&state, lang, &ctx, &team, None).await,
        Err(r) => r,
    }
}

async fn team_action(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Path((org, team_name, action)): Path<(String, String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let ctx = match org_context(&state, lang, s, &org).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(Form(f)) = form else {
        return render_team(
            &state,
            lang,
            &ctx,
            &team_name,
            Some((lang.t("Ugyldig skjema.", "Invalid form."), false)),
        )
        .await;
    };
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &ctx.csrf) {
        return expired_form(&state, lang, None);
    }
    let team = match state
        .app
        .store
        .studio_team_by_name(ctx.org.id, &team_name)
        .await
    {
        Ok(Some(t)) => t,
        Ok(None) => return render_team(&state, lang, &ctx, &team_name, None).await,
        Err(e) => return server_error(&state, lang, &e),
    };
    let actor = Actor::User(ctx.user.clone());
    let uname = form_field(&f, "uname").trim();
    let result = match action.as_str() {
        "add" => state
            .app
            .studio_add_member(&actor, &team, uname)
            .await
            .map(|u| {
                if lang == Lang::En {
                    format!("{} was added to {}.", u.name, team.name)
                } else {
                    format!("{} er lagt til i {}.", u.name, team.name)
                }
            }),
        "remove" => state
            .app
            .studio_remove_member(&actor, &team, uname)
            .await
            .map(|()| {
                if lang == Lang::En {
                    format!("{uname} was removed from {}.", team.name)
                } else {
                    format!("{uname} er fjernet fra {}.", team.name)
                }
            }),
        "leave" => state
            .app
            .studio_remove_member(&actor, &team, &ctx.user.name)
            .await
            .map(|()| {
                lang.t("Du har forlatt teamet.", "You have left the team.")
                    .to_owned()
            }),
        _ => Err(OrgError::NotFound),
    };
    match result {
        Ok(text) => render_team(&state, lang, &ctx, &team_name, Some((&text, true))).await,
        Err(OrgError::Store(e)) => server_error(&state, lang, &e),
        Err(e) => {
            let text = if lang == Lang::En {
                e.to_string()
            } else {
                e.message_nb()
            };
            let mut r = render_team(&state, lang, &ctx, &team_name, Some((&text, false))).await;
            if matches!(e, OrgError::Forbidden) {
                *r.status_mut() = StatusCode::FORBIDDEN;
            }
            r
        }
    }
}
