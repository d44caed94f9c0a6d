//! The pages at the `confirmUrl`: the customer's representative logs in, sees what the vendor's
//! system asks for, and approves or rejects; then a receipt, and back to the vendor.

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::pages::{Named, RightsTexts, localized, named};
use super::{Kind, Standard};
use crate::domain::problem_codes as codes;
use crate::domain::request::{RequestStatus, SystemUserType};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, PageResult, message, private, render, texts};
use crate::http::login::{MaybeSession, checked_form_back, csrf_forms};
use crate::services::studio_oauth::with_query;
use crate::services::system_user_queries::Standing;
use crate::services::system_users::RequestRecord;
use crate::services::system_users::SuError;

/// The page at a request's `confirmUrl`, by request type (§5).
pub fn page_of(kind: SystemUserType) -> &'static str {
    match kind {
        SystemUserType::Standard => "/accessmanagement/ui/systemuser/request",
        SystemUserType::Agent => "/accessmanagement/ui/systemuser/agentrequest",
    }
}

/// The approval pages of requests of type `K`: the page, its decision and its escalation.
pub fn routes_of<K: Kind>() -> Router<AppState> {
    let page = page_of(K::KIND);
    Router::new()
        .route(page, get(show::<K>))
        .route(&format!("{page}/decide"), post(decide::<K>))
        .route(&format!("{page}/receipt"), get(receipt::<K>))
        .route(&format!("{page}/escalate"), post(escalate::<K>))
}

pub fn routes() -> Router<AppState> {
    routes_of::<Standard>()
}

texts! {
    pub struct ApprovalTexts {
        title: ["Forespørsel om systemtilgang", "Førespurnad om systemtilgang", "Request for system access"],
        asks_for: ["ber om en systemtilgang for", "ber om ein systemtilgang for", "asks for system access for"],
        integration_name: ["Navn på integrasjonen:", "Namn på integrasjonen:", "Name of the integration:"],
        approve: ["Godkjenn", "Godkjenn", "Approve"],
        reject: ["Avvis", "Avvis", "Reject"],
        cannot_approve: ["Du kan ikke godkjenne denne forespørselen", "Du kan ikkje godkjenne denne førespurnaden", "You cannot approve this request"],
        concerns: ["Forespørselen gjelder", "Førespurnaden gjeld", "The request concerns"],
        only_roles: [
            "Bare daglig leder, styreleder eller innehaver kan godkjenne den.",
            "Berre dagleg leiar, styreleiar eller innehavar kan godkjenne han.",
            "Only the daglig leder, styreleder or innehaver may approve it.",
        ],
        ask_them: ["Be en av dem åpne lenken.", "Be ein av dei opne lenkja.", "Ask one of them to open the link."],
        escalate: ["Send til virksomhetens administratorer", "Send til administratorane i verksemda", "Send to the organisation's administrators"],
        agent_title: ["Forespørsel om systemtilgang for klienter", "Førespurnad om systemtilgang for klientar", "Request for system access for clients"],
        agent_note: [
            "Dette er et klientsystem. Når dere har godkjent, velger dere selv hvilke av virksomhetens klienter systemet skal få handle for, under Systemtilganger.",
            "Dette er eit klientsystem. Når de har godkjent, vel de sjølve kva for klientar av verksemda systemet skal få handle for, under Systemtilgangar.",
            "This is a client system. Once you approve, you choose which of the organisation's clients the system may act for, under System access.",
        ],
        agent_approved_text: [
            "Systemtilgangen er opprettet. Velg nå hvilke klienter den skal få handle for, under Systemtilganger.",
            "Systemtilgangen er oppretta. Vel no kva for klientar han skal få handle for, under Systemtilgangar.",
            "The system access has been created. Now choose which clients it may act for, under System access.",
        ],
        not_found: ["Fant ikke forespørselen", "Fann ikkje førespurnaden", "Request not found"],
        not_found_text: [
            "Lenken peker ikke til en forespørsel om systemtilgang. Den kan være slettet av leverandøren.",
            "Lenkja peikar ikkje til ein førespurnad om systemtilgang. Leverandøren kan ha sletta han.",
            "The link does not point to a request for system access. The vendor may have deleted it.",
        ],
        expired: ["Forespørselen er utløpt", "Førespurnaden er gått ut", "The request has expired"],
        expired_text: [
            "Forespørsler som ikke er besvart innen fristen, kan ikke lenger godkjennes. Be leverandøren sende en ny forespørsel.",
            "Førespurnader som ikkje er svara på innan fristen, kan ikkje lenger godkjennast. Be leverandøren sende ein ny førespurnad.",
            "Requests not answered in time can no longer be approved. Ask the vendor to send a new request.",
        ],
        already_approved: ["Forespørselen er allerede godkjent", "Førespurnaden er allereie godkjend", "The request is already approved"],
        already_approved_text: [
            "Systemtilgangen er opprettet. Du finner den blant virksomhetens systemtilganger.",
            "Systemtilgangen er oppretta. Du finn han blant systemtilgangane til verksemda.",
            "The system access has been created. You find it on the organisation's system access page.",
        ],
        already_rejected: ["Forespørselen er allerede avvist", "Førespurnaden er allereie avvist", "The request is already rejected"],
        already_rejected_text: [
            "Leverandøren må sende en ny forespørsel om dere likevel vil gi tilgang.",
            "Leverandøren må sende ein ny førespurnad om de likevel vil gi tilgang.",
            "The vendor must send a new request if you want to give access after all.",
        ],
        not_answered: ["Forespørselen kunne ikke besvares", "Førespurnaden kunne ikkje svarast på", "The request could not be answered"],
        approved: ["Systemtilgangen er godkjent", "Systemtilgangen er godkjend", "System access approved"],
        approved_text: [
            "Systemtilgangen er opprettet, og leverandøren kan nå bruke den.",
            "Systemtilgangen er oppretta, og leverandøren kan no bruke han.",
            "The system access has been created, and the vendor can now use it.",
        ],
        rejected: ["Forespørselen er avvist", "Førespurnaden er avvist", "The request is rejected"],
        rejected_text: ["Leverandøren får ingen tilgang.", "Leverandøren får ingen tilgang.", "The vendor gets no access."],
        back_to_vendor: ["Gå tilbake til leverandøren", "Gå tilbake til leverandøren", "Back to the vendor"],
        sent_on: ["Sendt videre", "Sendt vidare", "Sent on"],
        sent_on_text: [
            "Virksomhetens administratorer ser nå forespørselen blant systemtilgangene som venter.",
            "Administratorane i verksemda ser no førespurnaden blant systemtilgangane som ventar.",
            "The organisation's administrators now see the request among the system access requests waiting.",
        ],
        not_sent_on: ["Kunne ikke sendes videre", "Kunne ikkje sendast vidare", "Could not be sent on"],
        not_sent_on_text: [
            "Forespørselen er besvart, utløpt eller slettet.",
            "Førespurnaden er svara på, gått ut eller sletta.",
            "The request is answered, expired or deleted.",
        ],
    }
}

#[derive(Template)]
#[template(path = "system_users/request.html")]
struct RequestPage<'a> {
    f: Frame,
    t: &'static ApprovalTexts,
    w: &'static RightsTexts,
    vendor: &'a str,
    /// Organisation numbers as people read them (`123 456 789`).
    vendor_org: String,
    customer: &'a str,
    customer_org: String,
    system_name: String,
    system_description: String,
    integration_title: &'a str,
    rights: Vec<Named>,
    packages: Vec<Named>,
    show_ids: bool,
    agent_note: Option<&'static str>,
    page: &'static str,
    id: &'a str,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "system_users/escalate.html")]
struct EscalatePage<'a> {
    f: Frame,
    t: &'static ApprovalTexts,
    explanation: String,
    page: &'static str,
    id: &'a str,
    csrf: &'a str,
}

/// After an answer: what happened, and back to the vendor's `redirectUrl` when it gave one.
#[derive(Template)]
#[template(path = "system_users/receipt.html")]
pub(super) struct Receipt<'a> {
    pub f: Frame,
    pub t: &'static ApprovalTexts,
    pub text: &'static str,
    pub redirect_url: Option<&'a str>,
}

/// A message page with a link to the person's log-in page.
pub(super) fn note(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    private(message(
        state,
        lang,
        status,
        title,
        text,
        vec![Link::new("/auth/session", RightsTexts::of(lang).my_login)],
    ))
}

#[derive(Deserialize)]
struct ShowQuery {
    id: Option<String>,
}

/// Explains why a request cannot be answered, or `None` when it can.
fn not_answerable(state: &AppState, lang: Lang, r: &RequestRecord) -> Option<Response> {
    let t = ApprovalTexts::of(lang);
    let (status, title, text) = match state.app.request_status(r) {
        RequestStatus::New => return None,
        RequestStatus::Timedout => (StatusCode::GONE, t.expired, t.expired_text),
        RequestStatus::Accepted => (
            StatusCode::CONFLICT,
            t.already_approved,
            t.already_approved_text,
        ),
        RequestStatus::Rejected => (
            StatusCode::CONFLICT,
            t.already_rejected,
            t.already_rejected_text,
        ),
    };
    Some(note(state, lang, status, title, text))
}

/// To log in with ID-porten, and back to `uri` afterwards.
pub(super) fn to_login(uri: &axum::http::Uri) -> Response {
    let goto = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    Redirect::to(&format!(
        "/auth/login/idporten?goto={}",
        crate::services::idp::percent_encode(&goto)
    ))
    .into_response()
}

async fn show<K: Kind>(
    State(state): State<AppState>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    MaybeSession(session): MaybeSession,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let Some((_, session)) = session else {
        return Ok(to_login(&uri));
    };
    let t = ApprovalTexts::of(lang);
    let not_found = || {
        note(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            t.not_found,
            t.not_found_text,
        )
    };
    let Some(id) = q.id.filter(|i| !i.is_empty()) else {
        return Ok(not_found());
    };
    let Some(r) = state.app.live_request(&id, K::KIND).await? else {
        return Ok(not_found());
    };
    if let Some(response) = not_answerable(&state, lang, &r) {
        return Ok(response);
    }
    let view = state.app.approval_view(&session.pid, r).await?;
    let r = &view.request;
    if view.standing != Standing::MayApprove {
        let explanation = format!(
            "{} {} ({}). {}",
            t.concerns, view.customer_name, r.party_org_no, t.only_roles
        );
        if view.standing == Standing::Unrelated {
            return Ok(note(
                &state,
                lang,
                StatusCode::FORBIDDEN,
                t.cannot_approve,
                &format!("{explanation} {}", t.ask_them),
            ));
        }
        // Related to the organisation, but without authority: may send it on (escalate).
        return Ok(private(render(
            StatusCode::FORBIDDEN,
            &EscalatePage {
                f: Frame::new(&state, lang, t.cannot_approve),
                t,
                explanation,
                page: page_of(K::KIND),
                id: &r.id,
                csrf: &session.csrf,
            },
        )));
    }
    let Some(system) = &view.system else {
        return Ok(not_found());
    };
    let (rights, packages) = named(&view.names, lang, &r.rights, &r.access_packages);
    let agent = K::KIND == SystemUserType::Agent;
    Ok(private(render(
        StatusCode::OK,
        &RequestPage {
            f: Frame::new(&state, lang, if agent { t.agent_title } else { t.title }),
            t,
            w: RightsTexts::of(lang),
            vendor: &view.vendor_name,
            vendor_org: super::portal::org_no_spaced(&system.vendor_org),
            customer: &view.customer_name,
            customer_org: super::portal::org_no_spaced(&r.party_org_no),
            system_name: localized(&system.name, lang),
            system_description: localized(&system.description, lang),
            integration_title: &r.integration_title,
            rights,
            packages,
            show_ids: true,
            agent_note: agent.then_some(t.agent_note),
            page: page_of(K::KIND),
            id: &r.id,
            csrf: &session.csrf,
        },
    )))
}

#[derive(Deserialize)]
struct DecideForm {
    id: String,
    csrf: String,
    decision: String,
}

async fn decide<K: Kind>(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<DecideForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form_back(&state, lang, session, form, |f| {
        with_query(page_of(K::KIND), &[("id", &f.id)])
    })?;
    let t = ApprovalTexts::of(lang);
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let title = RightsTexts::of(lang).invalid_form;
            return Ok(note(&state, lang, StatusCode::BAD_REQUEST, title, ""));
        }
    };
    match state
        .app
        .decide_request(&session.pid, &form.id, K::KIND, approve)
        .await
    {
        // Post/redirect/get: the receipt is a page of its own, so a reload answers nothing again.
        Ok(r) => Ok(Redirect::to(&with_query(
            &format!("{}/receipt", page_of(K::KIND)),
            &[("id", &r.id)],
        ))
        .into_response()),
        Err(SuError::Problem(p)) if p.code == codes::REQUEST_STATUS_NOT_NEW.code => {
            let conflict = || note(&state, lang, StatusCode::CONFLICT, p.title, "");
            Ok(match state.app.request_record(&form.id, K::KIND).await? {
                Some(r) => not_answerable(&state, lang, &r).unwrap_or_else(conflict),
                None => conflict(),
            })
        }
        Err(SuError::Problem(p)) => Ok(note(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            t.not_answered,
            p.text(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The receipt of an answered request, for a person with authority for its organisation: what
/// was decided, and the way back to the vendor. A request still waiting goes to its page.
async fn receipt<K: Kind>(
    State(state): State<AppState>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    MaybeSession(session): MaybeSession,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let Some((_, session)) = session else {
        return Ok(to_login(&uri));
    };
    let t = ApprovalTexts::of(lang);
    let id = q.id.unwrap_or_default();
    let record = state.app.request_record(&id, K::KIND).await?;
    let Some(r) = record else {
        return Ok(note(&state, lang, StatusCode::NOT_FOUND, t.not_found, ""));
    };
    if !state
        .app
        .has_authority(&session.pid, &r.party_org_no)
        .await
        .map_err(SuError::from)?
    {
        return Ok(note(&state, lang, StatusCode::NOT_FOUND, t.not_found, ""));
    }
    let (title, text) = match state.app.request_status(&r) {
        RequestStatus::Accepted if K::KIND == SystemUserType::Agent => {
            (t.approved, t.agent_approved_text)
        }
        RequestStatus::Accepted => (t.approved, t.approved_text),
        RequestStatus::Rejected => (t.rejected, t.rejected_text),
        RequestStatus::New | RequestStatus::Timedout => {
            return Ok(
                Redirect::to(&with_query(page_of(K::KIND), &[("id", &r.id)])).into_response(),
            );
        }
    };
    Ok(private(render(
        StatusCode::OK,
        &Receipt {
            f: Frame::new(&state, lang, title),
            t,
            text,
            redirect_url: r.redirect_url.as_deref(),
        },
    )))
}

#[derive(Deserialize)]
struct EscalateForm {
    id: String,
    csrf: String,
}

async fn escalate<K: Kind>(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<EscalateForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form_back(&state, lang, session, form, |f| {
        with_query(page_of(K::KIND), &[("id", &f.id)])
    })?;
    let t = ApprovalTexts::of(lang);
    match state.app.escalate_request(&session.pid, &form.id).await {
        Ok(true) => Ok(note(
            &state,
            lang,
            StatusCode::OK,
            t.sent_on,
            t.sent_on_text,
        )),
        Ok(false) => Ok(note(
            &state,
            lang,
            StatusCode::CONFLICT,
            t.not_sent_on,
            t.not_sent_on_text,
        )),
        Err(SuError::Problem(p)) => Ok(note(&state, lang, StatusCode::BAD_REQUEST, p.text(), "")),
        Err(e) => Err(e.into()),
    }
}

csrf_forms!(DecideForm, EscalateForm);
