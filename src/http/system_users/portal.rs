//! The system-user portal at `/accessmanagement/ui/systemuser/`: a representative chooses which
//! organisation to act for, sees its system users and what each may do, deletes them, answers
//! waiting requests, and creates a system user by choosing a system from the list.

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::config::Profile;
use crate::domain::problem_codes as codes;
use crate::domain::system::{PackageRef, Right, System};
use crate::http::AppState;
use crate::http::html::{Lang, esc, page};
use crate::http::login::{MaybeSession, checked_form, csrf_forms};
use crate::services::system_user_queries::ReferenceNames;
use crate::services::system_users::SuError;
use crate::store::oidc::WebSession;
use crate::store::reference::PartyRecord;

const HOME: &str = "/accessmanagement/ui/systemuser/";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(overview))
        .route(
            "/accessmanagement/ui/systemuser/delete",
            axum::routing::post(delete),
        )
        .route(
            "/accessmanagement/ui/systemuser/new",
            get(choose_system).post(create),
        )
        .route(
            "/accessmanagement/ui/systemuser/accessmanagers",
            axum::routing::post(access_managers),
        )
}

#[derive(Deserialize, Default)]
struct OrgQuery {
    org: Option<String>,
    system: Option<String>,
}

fn frame(state: &AppState, lang: Lang, status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        page(
            lang,
            title,
            state.app.config.profile == Profile::Local,
            body,
        ),
    )
        .into_response()
}

/// The session and the organisations its person represents; a redirect to log in otherwise.
async fn represented(
    state: &AppState,
    session: Option<(String, WebSession)>,
    back: &str,
) -> Result<(WebSession, Vec<PartyRecord>), Response> {
    let Some((_, session)) = session else {
        return Err(Redirect::to(&format!(
            "/auth/login/idporten?goto={}",
            crate::services::idp::percent_encode(back)
        ))
        .into_response());
    };
    let orgs = state
        .app
        .organizations_represented(&session.pid)
        .await
        .map_err(super::su_problem)?;
    Ok((session, orgs))
}

fn chosen<'a>(orgs: &'a [PartyRecord], wanted: Option<&str>) -> Option<&'a PartyRecord> {
    match wanted {
        Some(w) => orgs.iter().find(|o| o.org_no.as_deref() == Some(w)),
        None if orgs.len() == 1 => orgs.first(),
        None => None,
    }
}

/// Rights and packages in words.
fn what_it_may_do(
    names: &ReferenceNames,
    lang: Lang,
    rights: &[Right],
    packages: &[PackageRef],
) -> String {
    let mut out = String::from("<ul>");
    for right in rights {
        for pair in &right.resource {
            let title = names
                .resources
                .get(&pair.value)
                .map(|r| r.get(lang.code()).to_owned())
                .unwrap_or_else(|| pair.value.clone());
            out.push_str(&format!("<li>{}</li>", esc(&title)));
        }
    }
    for p in packages {
        let name = names
            .packages
            .get(&p.urn)
            .map(|n| n.get(lang.code()).to_owned())
            .unwrap_or_else(|| p.urn.clone());
        out.push_str(&format!(
            "<li>{} {}</li>",
            lang.t("Tilgangspakke:", "Access package:"),
            esc(&name)
        ));
    }
    out.push_str("</ul>");
    out
}

/// The person and the organisation they act for on a page at `path`: a redirect to log in,
/// a page saying they represent none, or the chooser when it is not yet clear. The count is
/// how many organisations they represent.
async fn chosen_org(
    state: &AppState,
    lang: Lang,
    session: Option<(String, WebSession)>,
    wanted: Option<&str>,
    path: &str,
) -> Result<(WebSession, PartyRecord, usize), Response> {
    let (session, orgs) = represented(state, session, path).await?;
    if orgs.is_empty() {
        return Err(no_orgs(state, lang));
    }
    match chosen(&orgs, wanted) {
        Some(org) => Ok((session, org.clone(), orgs.len())),
        None => Err(frame(
            state,
            lang,
            StatusCode::OK,
            lang.t("Velg virksomhet", "Choose organisation"),
            &org_chooser(lang, &orgs, path),
        )),
    }
}

fn org_chooser(lang: Lang, orgs: &[PartyRecord], path: &str) -> String {
    let mut out = format!(
        "<h1>{}</h1><p>{}</p><ul>",
        lang.t("Velg virksomhet", "Choose organisation"),
        lang.t(
            "Hvilken virksomhet vil du representere?",
            "Which organisation do you act for?"
        )
    );
    for o in orgs {
        let no = o.org_no.clone().unwrap_or_default();
        out.push_str(&format!(
            "<li><a href=\"{path}?org={no}\">{}</a> <span class=\"muted\">{no}</span></li>",
            esc(&o.name)
        ));
    }
    out.push_str("</ul>");
    out
}

fn no_orgs(state: &AppState, lang: Lang) -> Response {
    frame(
        state,
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Ingen virksomheter", "No organisations"),
        &format!(
        "<h1>{}</h1><p>{}</p>",
        lang.t("Du representerer ingen virksomheter", "You represent no organisations"),
        lang.t(
            "Systembrukere forvaltes av daglig leder, styreleder eller innehaver i virksomheten.",
            "System users are managed by the organisation's daglig leder, styreleder or innehaver.",
        )
    ),
    )
}

async fn overview(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<OrgQuery>,
) -> Response {
    let (session, org, represented_count) =
        match chosen_org(&state, lang, session, q.org.as_deref(), HOME).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let org_no = org.org_no.clone().unwrap_or_default();
    let overview = match state.app.organisation_overview(&session.pid, &org_no).await {
        Ok(o) => o,
        Err(e) => return super::su_problem(e),
    };
    let (users, pending) = (&overview.users, &overview.pending);
    let mut body = format!(
        "<h1>{} {}</h1>",
        lang.t("Systemtilganger for", "System access for"),
        esc(&org.name)
    );
    if represented_count > 1 {
        body.push_str(&format!(
            "<p><a href=\"{HOME}\">{}</a></p>",
            lang.t("Bytt virksomhet", "Change organisation")
        ));
    }
    body.push_str(&format!(
        "<p><a href=\"/accessmanagement/ui/systemuser/new?org={org_no}\">{}</a></p>",
        lang.t("Opprett ny systembruker", "Create a new system user")
    ));
    if !pending.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2><ul>",
            lang.t(
                "Forespørsler som venter på svar",
                "Requests waiting for an answer"
            )
        ));
        for r in pending {
            let flag = if r.escalated {
                format!(
                    " <strong>{}</strong>",
                    lang.t("(sendt videre til deg)", "(sent on to you)")
                )
            } else {
                String::new()
            };
            body.push_str(&format!(
                "<li><a href=\"/accessmanagement/ui/systemuser/request?id={}&amp;DONTCHOOSEREPORTEE=true\">{}</a>{flag}</li>",
                esc(&r.id),
                esc(&r.integration_title)
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&format!(
        "<h2>{}</h2>",
        lang.t("Systembrukere", "System users")
    ));
    if users.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t(
                "Virksomheten har ingen systembrukere ennå.",
                "The organisation has no system users yet."
            )
        ));
    }
    for u in users {
        let system_name = match overview.system_names.get(&u.system_id) {
            Some(name) => name
                .get(lang.code())
                .or_else(|| name.get("nb"))
                .cloned()
                .unwrap_or_default(),
            None => u.system_id.clone(),
        };
        body.push_str(&format!(
            "<section class=\"system-user\"><h3>{}</h3><p>{} {} · {} <code>{}</code> · {} {}</p>{}\
             <form method=\"post\" action=\"/accessmanagement/ui/systemuser/delete\"><input type=\"hidden\" name=\"org\" value=\"{org_no}\">\
             <input type=\"hidden\" name=\"id\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form></section>",
            esc(&u.integration_title),
            lang.t("System:", "System:"),
            esc(&system_name),
            lang.t("leverandør", "vendor"),
            esc(&u.vendor_org),
            lang.t("opprettet", "created"),
            esc(&crate::clock::format_micros(u.created_at)[..10]),
            what_it_may_do(&overview.names, lang, &u.rights, &u.access_packages),
            esc(&u.id),
            esc(&session.csrf),
            lang.t("Slett", "Delete"),
        ));
    }
    if let Some(managers) = &overview.access_managers {
        body.push_str(&format!(
            "<h2>{}</h2><p>{}</p><ul>",
            lang.t("Tilgangsstyrere", "Access managers"),
            lang.t("Tilgangsstyrere kan godkjenne forespørsler og forvalte systembrukere for virksomheten.", "Access managers may approve requests and manage system users for the organisation.")
        ));
        for (pid, name) in managers {
            body.push_str(&format!(
                "<li>{} <form method=\"post\" action=\"/accessmanagement/ui/systemuser/accessmanagers\">\
                 <input type=\"hidden\" name=\"org\" value=\"{org_no}\"><input type=\"hidden\" name=\"pid\" value=\"{}\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" name=\"action\" value=\"revoke\">{}</button></form></li>",
                esc(name), esc(pid), esc(&session.csrf), lang.t("Fjern", "Remove")
            ));
        }
        body.push_str(&format!(
            "</ul><form method=\"post\" action=\"/accessmanagement/ui/systemuser/accessmanagers\"><input type=\"hidden\" name=\"org\" value=\"{org_no}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><label for=\"manager-pid\">{}</label><br>\
             <input id=\"manager-pid\" name=\"pid\" inputmode=\"numeric\" maxlength=\"11\"> <button type=\"submit\" name=\"action\" value=\"grant\">{}</button></form>",
            esc(&session.csrf),
            lang.t("Fødselsnummer til ny tilgangsstyrer", "National identity number of the new access manager"),
            lang.t("Legg til", "Add")
        ));
    }
    frame(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Systemtilganger", "System access"),
        &body,
    )
}

#[derive(Deserialize)]
struct ManagerForm {
    org: String,
    pid: String,
    csrf: String,
    action: String,
}

async fn access_managers(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<ManagerForm>, FormRejection>,
) -> Response {
    let (session, form) = match checked_form(&state, lang, session, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .set_access_manager(&session.pid, &form.org, &form.pid, form.action == "grant")
        .await
    {
        Ok(()) => Redirect::to(&format!(
            "{HOME}?org={}",
            crate::services::idp::percent_encode(&form.org)
        ))
        .into_response(),
        Err(SuError::Problem(p)) => frame(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            p.text(),
            &format!(
                "<h1>{}</h1><p><a href=\"{HOME}?org={}\">{}</a></p>",
                esc(p.text()),
                esc(&form.org),
                lang.t("Tilbake", "Back")
            ),
        ),
        Err(e @ SuError::NoAuthority) => super::su_problem(e),
        Err(SuError::Store(e)) => crate::http::problem::Problem::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    org: String,
    id: String,
    csrf: String,
}

async fn delete(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<DeleteForm>, FormRejection>,
) -> Response {
    let (session, form) = match checked_form(&state, lang, session, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .delete_system_user(&session.pid, &form.org, &form.id)
        .await
    {
        Ok(()) => Redirect::to(&format!(
            "{HOME}?org={}",
            crate::services::idp::percent_encode(&form.org)
        ))
        .into_response(),
        Err(SuError::Problem(p)) => frame(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            p.text(),
            &format!("<h1>{}</h1>", esc(p.text())),
        ),
        Err(e @ SuError::NoAuthority) => super::su_problem(e),
        Err(SuError::Store(e)) => crate::http::problem::Problem::from(e).into_response(),
    }
}

async fn choose_system(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<OrgQuery>,
) -> Response {
    let back = "/accessmanagement/ui/systemuser/new";
    let (session, org, _) = match chosen_org(&state, lang, session, q.org.as_deref(), back).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let org_no = org.org_no.clone().unwrap_or_default();
    let systems = match state.app.systems_to_choose().await {
        Ok(s) => s,
        Err(e) => return super::su_problem(e),
    };
    let name = |s: &System| {
        s.name
            .get(lang.code())
            .or_else(|| s.name.get("nb"))
            .cloned()
            .unwrap_or_default()
    };
    let Some(system) = q
        .system
        .as_deref()
        .and_then(|id| systems.iter().find(|s| s.system_id == id))
    else {
        let mut body = format!(
            "<h1>{}</h1><p>{} {}.</p><ul>",
            lang.t("Velg system", "Choose a system"),
            lang.t("Ny systembruker for", "New system user for"),
            esc(&org.name)
        );
        for s in &systems {
            body.push_str(&format!(
                "<li><a href=\"{back}?org={org_no}&amp;system={}\">{}</a> <span class=\"muted\">{} · {}</span></li>",
                esc(&s.system_id),
                esc(&name(s)),
                esc(&s.description.get(lang.code()).or_else(|| s.description.get("nb")).cloned().unwrap_or_default()),
                esc(&s.vendor_org)
            ));
        }
        if systems.is_empty() {
            body.push_str(&format!(
                "<li class=\"muted\">{}</li>",
                lang.t(
                    "Ingen systemer er tilgjengelige.",
                    "No systems are available."
                )
            ));
        }
        body.push_str("</ul>");
        return frame(
            &state,
            lang,
            StatusCode::OK,
            lang.t("Velg system", "Choose a system"),
            &body,
        );
    };
    let names = match state
        .app
        .reference_names(&system.rights, &system.access_packages)
        .await
    {
        Ok(n) => n,
        Err(e) => return super::su_problem(e),
    };
    let body = format!(
        "<h1>{}</h1><p>{} <strong id=\"system-name\">{}</strong> ({} <code>{}</code>) {} <strong>{}</strong>.</p><h2>{}</h2>{}\
         <form method=\"post\" action=\"{back}\"><input type=\"hidden\" name=\"org\" value=\"{org_no}\"><input type=\"hidden\" name=\"system\" value=\"{}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><p><label for=\"title\">{}</label><br><input id=\"title\" name=\"title\" value=\"{}\" maxlength=\"255\"></p>\
         <button type=\"submit\">{}</button> <a href=\"{HOME}?org={org_no}\">{}</a></form>",
        lang.t("Bekreft ny systembruker", "Confirm the new system user"),
        lang.t("Systemet", "The system"),
        esc(&name(system)),
        lang.t("leverandør", "vendor"),
        esc(&system.vendor_org),
        lang.t("får en systembruker for", "gets a system user for"),
        esc(&org.name),
        lang.t(
            "Systemet får disse tilgangene",
            "The system gets these rights"
        ),
        what_it_may_do(&names, lang, &system.rights, &system.access_packages),
        esc(&system.system_id),
        esc(&session.csrf),
        lang.t("Navn på integrasjonen", "Name of the integration"),
        esc(&name(system)),
        lang.t("Opprett systembruker", "Create system user"),
        lang.t("Avbryt", "Cancel"),
    );
    frame(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Bekreft ny systembruker", "Confirm the new system user"),
        &body,
    )
}

#[derive(Deserialize)]
struct CreateForm {
    org: String,
    system: String,
    csrf: String,
    title: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<CreateForm>, FormRejection>,
) -> Response {
    let (session, form) = match checked_form(&state, lang, session, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state
        .app
        .create_system_user_directly(&session.pid, &form.org, &form.system, form.title.as_deref())
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "{HOME}?org={}",
            crate::services::idp::percent_encode(&form.org)
        ))
        .into_response(),
        Err(SuError::Problem(p)) => {
            let text = if p.code == codes::SYSTEM_USER_ALREADY_EXISTS.code {
                lang.t(
                    "Virksomheten har allerede en systembruker for dette systemet.",
                    "The organisation already has a system user for this system.",
                )
            } else {
                p.text()
            };
            frame(
                &state,
                lang,
                StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
                lang.t(
                    "Systembrukeren ble ikke opprettet",
                    "The system user was not created",
                ),
                &format!(
                    "<h1>{}</h1><p>{}</p><p><a href=\"{HOME}?org={}\">{}</a></p>",
                    lang.t(
                        "Systembrukeren ble ikke opprettet",
                        "The system user was not created"
                    ),
                    esc(text),
                    esc(&form.org),
                    lang.t("Tilbake", "Back")
                ),
            )
        }
        Err(e @ SuError::NoAuthority) => super::su_problem(e),
        Err(SuError::Store(e)) => crate::http::problem::Problem::from(e).into_response(),
    }
}

csrf_forms!(ManagerForm, DeleteForm, CreateForm);
