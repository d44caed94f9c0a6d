//! The operator's Studio pages under `/admin/studio`: create an organisation (short name, full
//! name, org number, service owner or not) with its first administrator, see every
//! organisation, and decide the users' requests for organisations.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::dashboard::{Flash, org_error_field, org_error_text};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, PageResult, message, private, render, texts};
use crate::http::login::MaybeSession;
use crate::http::studio::accounts::{expired_form, form_field, server_error};
use crate::secret;
use crate::services::login::WebSession;
use crate::services::studio_directory::{Account, OrgRequest};
use crate::services::studio_orgs::{Actor, NewOrgInput, OrgError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/studio", get(studio_admin_page))
        .route("/admin/studio/orgs", post(create_org))
        .route("/admin/studio/requests/{id}", post(decide))
}

texts! {
    pub struct AdminTexts {
        no_access: ["Ikke tilgang", "Ikkje tilgang", "No access"],
        no_access_text: [
            "Operatørsidene er for daglig leder, styreleder eller innehaver i plattformoperatørens organisasjon (innstillingen operator-org).",
            "Operatørsidene er for dagleg leiar, styreleiar eller innehavar i organisasjonen til plattformoperatøren (innstillinga operator-org).",
            "The operator pages are for the daglig leder, styreleder or innehaver of the platform operator's organisation (the operator-org setting).",
        ],
        heading: ["Altinn Studio: organisasjoner", "Altinn Studio: organisasjonar", "Altinn Studio: organisations"],
        create_org: ["Opprett organisasjon", "Opprett organisasjon", "Create organisation"],
        short_name: ["Kortnavn (f.eks. ttd)", "Kortnamn (t.d. ttd)", "Short name (e.g. ttd)"],
        full_name: ["Fullt navn", "Fullt namn", "Full name"],
        org_number: ["Organisasjonsnummer", "Organisasjonsnummer", "Organisation number"],
        service_owner: [
            "Tjenesteeier (får miljøene tt02 og production)",
            "Tenesteeigar (får miljøa tt02 og production)",
            "Service owner (gets the environments tt02 and production)",
        ],
        first_admin: [
            "Første administrator (brukernavn i Altinn Studio)",
            "Første administrator (brukarnamn i Altinn Studio)",
            "First administrator (Altinn Studio user name)",
        ],
        create: ["Opprett", "Opprett", "Create"],
        requests: ["Forespørsler", "Førespurnader", "Requests"],
        no_requests: ["Ingen forespørsler.", "Ingen førespurnader.", "No requests."],
        approve: ["Godkjenn", "Godkjenn", "Approve"],
        reason: ["Begrunnelse", "Grunngiving", "Reason"],
        decline: ["Avslå", "Avslå", "Decline"],
        from: ["fra", "frå", "from"],
        administrator: ["administrator", "administrator", "administrator"],
        org_no: ["org.nr.", "org.nr.", "org. no."],
        is_service_owner: ["tjenesteeier", "tenesteeigar", "service owner"],
        organisations: ["Organisasjoner", "Organisasjonar", "Organisations"],
        no_environments: ["ingen miljøer", "ingen miljø", "no environments"],
        to_operator_page: ["Til operatørsiden", "Til operatørsida", "To the operator page"],
        created_before: ["Organisasjonen ", "Organisasjonen ", "The organisation "],
        created_after: [" er opprettet.", " er oppretta.", " has been created."],
        approved: [" er godkjent og opprettet.", " er godkjend og oppretta.", " was approved and created."],
        declined: [" er avslått.", " er avslått.", " was declined."],
    }
}

/// The operator behind the session (a main administrator of `operator-org`), or the page
/// that says why not.
#[allow(clippy::result_large_err)]
async fn operator(
    state: &AppState,
    lang: Lang,
    session: Option<(String, WebSession)>,
) -> Result<WebSession, Response> {
    let Some((_, s)) = session else {
        return Err(Redirect::to("/auth/login/idporten?goto=/admin/studio").into_response());
    };
    let allowed = state.app.is_operator(&s.pid).await;
    if allowed {
        Ok(s)
    } else {
        let t = AdminTexts::of(lang);
        Err(private(message(
            state,
            lang,
            StatusCode::FORBIDDEN,
            t.no_access,
            t.no_access_text,
            Vec::new(),
        )))
    }
}

fn operator_name(s: &WebSession) -> String {
    ["operator:", &s.name].concat()
}

#[derive(Template)]
#[template(path = "studio/admin_page.html")]
struct AdminPage<'a> {
    f: Frame,
    t: &'static AdminTexts,
    flash: Option<Flash<'a>>,
    csrf: &'a str,
    name: &'a str,
    full_name: &'a str,
    org_number: &'a str,
    service_owner: bool,
    admin: &'a str,
    requests: &'a [OrgRequest],
    orgs: &'a [(Account, Vec<String>)],
}

/// The operator's page, the form filled in with `f`, with `flash` on top.
async fn show(
    state: &AppState,
    lang: Lang,
    s: &WebSession,
    f: &HashMap<String, String>,
    flash: Option<Flash<'_>>,
) -> PageResult {
    let overview = state
        .app
        .operator_overview()
        .await
        .map_err(|e| server_error(state, lang, &e))?;
    Ok(private(render(
        StatusCode::OK,
        &AdminPage {
            f: Frame::new(state, lang, "Altinn Studio").with_errors(Flash::is_error(&flash)),
            t: AdminTexts::of(lang),
            flash,
            csrf: &s.csrf,
            name: form_field(f, "name"),
            full_name: form_field(f, "full_name"),
            org_number: form_field(f, "org_number"),
            service_owner: form_field(f, "service_owner") == "on",
            admin: form_field(f, "admin"),
            requests: &overview.requests,
            orgs: &overview.orgs,
        },
    )))
}

async fn studio_admin_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> PageResult {
    let s = operator(&state, lang, session).await?;
    show(&state, lang, &s, &HashMap::new(), None).await
}

fn checked_csrf(s: &WebSession, f: &HashMap<String, String>) -> bool {
    secret::constant_time_eq(form_field(f, "csrf"), &s.csrf)
}

async fn create_org(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let s = operator(&state, lang, session).await?;
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !checked_csrf(&s, &f) {
        return Ok(expired_form(
            &state,
            lang,
            Some(("/admin/studio", "Altinn Studio")),
        ));
    }
    let input = NewOrgInput {
        name: form_field(&f, "name"),
        full_name: form_field(&f, "full_name"),
        org_number: form_field(&f, "org_number"),
        service_owner: form_field(&f, "service_owner") == "on",
        admin: form_field(&f, "admin"),
    };
    let t = AdminTexts::of(lang);
    match state
        .app
        .studio_create_org(&Actor::Operator(operator_name(&s)), &input)
        .await
    {
        Ok(o) => {
            let text = [t.created_before, &o.name, t.created_after].concat();
            let flash = Flash::done(&text);
            show(&state, lang, &s, &HashMap::new(), Some(flash)).await
        }
        Err(OrgError::Store(e)) => Ok(server_error(&state, lang, &e)),
        Err(e) => {
            let text = org_error_text(lang, &e);
            let flash = Flash::wrong(&text, org_error_field(&e, "admin"));
            let mut r = show(&state, lang, &s, &f, Some(flash)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let s = operator(&state, lang, session).await?;
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !checked_csrf(&s, &f) {
        return Ok(expired_form(
            &state,
            lang,
            Some(("/admin/studio", "Altinn Studio")),
        ));
    }
    let approve = form_field(&f, "decision") == "approve";
    let t = AdminTexts::of(lang);
    match state
        .app
        .studio_decide_org_request(&operator_name(&s), &id, approve, form_field(&f, "reason"))
        .await
    {
        Ok(r) => {
            let outcome = if approve { t.approved } else { t.declined };
            let text = [r.short_name.as_str(), outcome].concat();
            let flash = Flash::done(&text);
            show(&state, lang, &s, &HashMap::new(), Some(flash)).await
        }
        Err(OrgError::Store(e)) => Ok(server_error(&state, lang, &e)),
        Err(e) => {
            let text = org_error_text(lang, &e);
            let flash = Flash::wrong(&text, None);
            show(&state, lang, &s, &HashMap::new(), Some(flash)).await
        }
    }
}
