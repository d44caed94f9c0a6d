//! The Altinn Studio dashboard (spec §2.7): the user's organisations with environments and
//! what their teams permit, applications, creating one; asking the operator for an
//! organisation. The organisation team pages (§2.8) are in `teams.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::clock::format_micros;
use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, PageResult, message, private, render, texts};
use crate::http::studio::accounts::{MaybeDesigner, expired_form, form_field, server_error};
use crate::secret;
use crate::services::studio_directory::OrgRequest;
use crate::services::studio_orgs::{NewOrgInput, OrgError, OrgPermissions};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/dashboard", get(dashboard))
        .route("/studio/dashboard/apps", post(create_app))
        .route("/studio/orgs/request", get(request_page).post(request_post))
}

texts! {
    pub struct DashboardTexts {
        title: ["Dashbord", "Dashbord", "Dashboard"],
        logged_in_as: ["Logget inn som", "Logga inn som", "Logged in as"],
        authorized_apps: ["Autoriserte applikasjoner", "Autoriserte applikasjonar", "Authorized applications"],
        log_out: ["Logg ut", "Logg ut", "Log out"],
        organisations: ["Organisasjoner", "Organisasjonar", "Organisations"],
        no_orgs: [
            "Du er ikke medlem av noen organisasjon ennå. Administratoren i organisasjonen din kan legge deg til i et team; vet du ikke hvem det er, kan du spørre Altinn servicedesk eller be om en ny organisasjon.",
            "Du er ikkje medlem av nokon organisasjon enno. Administratoren i organisasjonen din kan leggje deg til i eit team; veit du ikkje kven det er, kan du spørje Altinn servicedesk eller be om ein ny organisasjon.",
            "You are not a member of any organisation yet. Your organisation's administrator can add you to a team; if you do not know who that is, ask the Altinn service desk or request a new organisation.",
        ],
        organisation: ["Organisasjon", "Organisasjon", "Organisation"],
        environments: ["Miljøer", "Miljø", "Environments"],
        your_teams: ["Dine team", "Dine team", "Your teams"],
        you_may: ["Du kan", "Du kan", "You may"],
        no_environments: ["ingen (ikke tjenesteeier)", "ingen (ikkje tenesteeigar)", "none (not a service owner)"],
        manage_teams: ["administrere team", "administrere team", "manage teams"],
        create_apps: ["lage applikasjoner", "lage applikasjonar", "create applications"],
        deploy_to: ["publisere til", "publisere til", "deploy to"],
        read: ["lese", "lese", "read"],
        request_org: ["Be om en ny organisasjon", "Be om ein ny organisasjon", "Request a new organisation"],
        applications: ["Applikasjoner", "Applikasjonar", "Applications"],
        no_apps: [
            "Du har ingen applikasjoner ennå. Lag din første applikasjon nedenfor!",
            "Du har ingen applikasjonar enno. Lag den første applikasjonen din nedanfor!",
            "You have no applications yet. Create your first application below!",
        ],
        name: ["Navn", "Namn", "Name"],
        owner: ["Eier", "Eigar", "Owner"],
        created: ["Opprettet", "Oppretta", "Created"],
        new_app: ["Lag ny applikasjon", "Lag ny applikasjon", "Create new application"],
        app_name: ["Navn på applikasjonen", "Namn på applikasjonen", "Application name"],
        create_app: ["Lag applikasjon", "Lag applikasjon", "Create application"],
        app_not_created: ["Applikasjonen ble ikke laget", "Applikasjonen vart ikkje laga", "The application was not created"],
        to_dashboard: ["Til dashbordet", "Til dashbordet", "To the dashboard"],
        back_to_dashboard: ["Tilbake til dashbordet", "Tilbake til dashbordet", "Back to the dashboard"],
    }
}

texts! {
    pub struct RequestTexts {
        title: ["Be om en organisasjon", "Be om ein organisasjon", "Request an organisation"],
        intro: [
            "Plattformoperatøren oppretter organisasjoner. Fyll ut skjemaet, så får du svar på e-post.",
            "Plattformoperatøren opprettar organisasjonar. Fyll ut skjemaet, så får du svar på e-post.",
            "The platform operator creates organisations. Fill in the form and you will get an answer by e-mail.",
        ],
        short_name: ["Kortnavn (f.eks. ttd)", "Kortnamn (t.d. ttd)", "Short name (e.g. ttd)"],
        full_name: ["Fullt navn", "Fullt namn", "Full name"],
        org_number: ["Organisasjonsnummer", "Organisasjonsnummer", "Organisation number"],
        admin: [
            "Administrator (brukernavn i Altinn Studio)",
            "Administrator (brukarnamn i Altinn Studio)",
            "Administrator (Altinn Studio user name)",
        ],
        service_owner: [
            "Tjenesteeier med avtale om Altinn (får miljøene tt02 og production)",
            "Tenesteeigar med avtale om Altinn (får miljøa tt02 og production)",
            "Service owner with an Altinn agreement (gets the environments tt02 and production)",
        ],
        send: ["Send forespørsel", "Send førespurnad", "Send request"],
        your_requests: ["Dine forespørsler", "Dine førespurnader", "Your requests"],
        sent: ["Forespørselen er sendt", "Førespurnaden er send", "The request has been sent"],
        sent_before: [
            "Operatøren behandler forespørselen om ",
            "Operatøren handsamar førespurnaden om ",
            "The operator will consider the request for ",
        ],
        sent_after: [
            ". Du får svar på e-post.",
            ". Du får svar på e-post.",
            ". You will be told by e-mail.",
        ],
    }
}

/// A sentence on top of a page (`#flash`): what an action did, or why it did not.
/// Rendered by `templates/studio/dashboard_flash.html`.
pub struct Flash<'a> {
    pub text: &'a str,
    pub ok: bool,
    /// The input an error is about: the error summary links to it.
    pub field: Option<&'static str>,
}

impl<'a> Flash<'a> {
    pub fn done(text: &'a str) -> Self {
        Flash {
            text,
            ok: true,
            field: None,
        }
    }

    pub fn wrong(text: &'a str, field: Option<&'static str>) -> Self {
        Flash {
            text,
            ok: false,
            field,
        }
    }

    /// Whether the page shows an error (its title then says so).
    pub fn is_error(flash: &Option<Flash<'_>>) -> bool {
        flash.as_ref().is_some_and(|f| !f.ok)
    }
}

/// The input of a Studio form an organisation error is about; the forms name their inputs
/// alike (`name`, `full_name`, `org_number`), and `user_field` is the form's user-name input.
pub fn org_error_field(e: &OrgError, user_field: &'static str) -> Option<&'static str> {
    match e {
        OrgError::NameInvalid(_) | OrgError::NameTaken(_) => Some("name"),
        OrgError::FullNameRequired | OrgError::TextInvalid(_) => Some("full_name"),
        OrgError::OrgNumberInvalid(_) => Some("org_number"),
        OrgError::UserNotExist(_) | OrgError::AlreadyMember(_) | OrgError::NotMember(_) => {
            Some(user_field)
        }
        OrgError::RepoNameInvalid | OrgError::RepoExists(_) => Some("app-name"),
        _ => None,
    }
}

/// An error of the organisation service in the reader's words (the service has bokmål and
/// English).
pub fn org_error_text(lang: Lang, e: &OrgError) -> String {
    if lang == Lang::En {
        e.to_string()
    } else {
        e.message_nb()
    }
}

struct OrgRow<'a> {
    name: &'a str,
    full_name: &'a str,
    envs: String,
    teams: String,
    can: String,
}

struct RepoRow<'a> {
    name: &'a str,
    owner: &'a str,
    created: String,
}

#[derive(Template)]
#[template(path = "studio/dashboard_page.html")]
struct DashboardPage<'a> {
    f: Frame,
    t: &'static DashboardTexts,
    user_name: &'a str,
    user_full_name: &'a str,
    orgs: Vec<OrgRow<'a>>,
    repos: Vec<RepoRow<'a>>,
    owners: Vec<&'a str>,
    csrf: &'a str,
}

fn org_row<'a>(t: &DashboardTexts, p: &'a OrgPermissions) -> OrgRow<'a> {
    let envs = if p.environments.is_empty() {
        t.no_environments.to_owned()
    } else {
        p.environments.join(", ")
    };
    let mut can: Vec<String> = Vec::new();
    if p.is_owner {
        can.push(t.manage_teams.into());
    }
    if p.can_create_repo {
        can.push(t.create_apps.into());
    }
    for env in &p.deploy_to {
        can.push([t.deploy_to, " ", env].concat());
    }
    if can.is_empty() {
        can.push(t.read.into());
    }
    OrgRow {
        name: &p.org.name,
        full_name: &p.org.full_name,
        envs,
        teams: p
            .teams
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        can: can.join(", "),
    }
}

async fn dashboard(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
) -> PageResult {
    let Some(d) = d else {
        return Ok(Redirect::to("/studio/login").into_response());
    };
    let user = &d.user;
    let orgs = state
        .app
        .studio_orgs_of(user.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let mut perms: Vec<OrgPermissions> = Vec::new();
    for org in &orgs {
        let p = state
            .app
            .studio_permissions(user, org)
            .await
            .map_err(|e| server_error(&state, lang, &e))?;
        perms.push(p);
    }
    let mut owner_ids = vec![user.id];
    owner_ids.extend(orgs.iter().map(|o| o.id));
    let repos = state
        .app
        .studio_repos_of(&owner_ids)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let t = DashboardTexts::of(lang);
    let mut owners = vec![user.name.as_str()];
    owners.extend(
        perms
            .iter()
            .filter(|p| p.can_create_repo)
            .map(|p| p.org.name.as_str()),
    );
    Ok(private(render(
        StatusCode::OK,
        &DashboardPage {
            f: Frame::new(&state, lang, t.title),
            t,
            user_name: &user.name,
            user_full_name: &user.full_name,
            orgs: perms.iter().map(|p| org_row(t, p)).collect(),
            repos: repos
                .iter()
                .map(|r| RepoRow {
                    name: &r.name,
                    owner: &r.owner_name,
                    created: format_micros(r.created_at)
                        .get(..10)
                        .unwrap_or("")
                        .to_owned(),
                })
                .collect(),
            owners,
            csrf: &d.session.csrf,
        },
    )))
}

async fn create_app(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Some(d) = d else {
        return Ok(Redirect::to("/studio/login").into_response());
    };
    let Ok(Form(f)) = form else {
        return Ok(Redirect::to("/studio/dashboard").into_response());
    };
    let t = DashboardTexts::of(lang);
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &d.session.csrf) {
        return Ok(expired_form(
            &state,
            lang,
            Some(("/studio/dashboard", t.to_dashboard)),
        ));
    }
    match state
        .app
        .studio_create_repo(&d.user, form_field(&f, "owner"), form_field(&f, "name"), "")
        .await
    {
        Ok(_) => Ok(Redirect::to("/studio/dashboard").into_response()),
        Err(OrgError::Store(e)) => Ok(server_error(&state, lang, &e)),
        Err(e) => Ok(private(message(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            t.app_not_created,
            &org_error_text(lang, &e),
            vec![Link::new("/studio/dashboard", t.back_to_dashboard)],
        ))),
    }
}

// ---- requests for an organisation ------------------------------------------------------------

#[derive(Template)]
#[template(path = "studio/dashboard_request.html")]
struct RequestPage<'a> {
    f: Frame,
    t: &'static RequestTexts,
    flash: Option<Flash<'a>>,
    csrf: &'a str,
    name: &'a str,
    full_name: &'a str,
    org_number: &'a str,
    admin: &'a str,
    service_owner: bool,
    mine: Vec<OrgRequest>,
}

/// The request form, filled in with `f`, with the error `error` on top and the person's
/// earlier requests `mine` below.
fn request_form(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    f: &HashMap<String, String>,
    error: Option<(&str, Option<&'static str>)>,
    mine: Vec<OrgRequest>,
) -> Response {
    let t = RequestTexts::of(lang);
    private(render(
        StatusCode::OK,
        &RequestPage {
            f: Frame::new(state, lang, t.title).with_errors(error.is_some()),
            t,
            flash: error.map(|(text, field)| Flash::wrong(text, field)),
            csrf,
            name: form_field(f, "name"),
            full_name: form_field(f, "full_name"),
            org_number: form_field(f, "org_number"),
            admin: form_field(f, "admin"),
            service_owner: form_field(f, "service_owner") == "on",
            mine,
        },
    ))
}

async fn request_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
) -> PageResult {
    let Some(d) = d else {
        return Ok(Redirect::to("/studio/login").into_response());
    };
    let mut f = HashMap::new();
    f.insert("admin".to_owned(), d.user.name.clone());
    let mine = state
        .app
        .studio_org_requests_of(d.user.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    Ok(request_form(&state, lang, &d.session.csrf, &f, None, mine))
}

async fn request_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Some(d) = d else {
        return Ok(Redirect::to("/studio/login").into_response());
    };
    let Ok(Form(f)) = form else {
        return Ok(Redirect::to("/studio/orgs/request").into_response());
    };
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &d.session.csrf) {
        return Ok(expired_form(&state, lang, None));
    }
    let input = NewOrgInput {
        name: form_field(&f, "name"),
        full_name: form_field(&f, "full_name"),
        org_number: form_field(&f, "org_number"),
        service_owner: form_field(&f, "service_owner") == "on",
        admin: form_field(&f, "admin"),
    };
    let t = RequestTexts::of(lang);
    match state.app.studio_request_org(&d.user, &input).await {
        Ok(r) => Ok(private(message(
            &state,
            lang,
            StatusCode::OK,
            t.sent,
            &[t.sent_before, &r.short_name, t.sent_after].concat(),
            vec![Link::new(
                "/studio/dashboard",
                DashboardTexts::of(lang).to_dashboard,
            )],
        ))),
        Err(OrgError::Store(e)) => Ok(server_error(&state, lang, &e)),
        Err(e) => {
            let text = org_error_text(lang, &e);
            Ok(request_form(
                &state,
                lang,
                &d.session.csrf,
                &f,
                Some((&text, org_error_field(&e, "admin"))),
                Vec::new(),
            ))
        }
    }
}
