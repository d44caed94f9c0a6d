//! The pages at the `confirmUrl`: the customer's representative logs in, sees what the vendor's
//! system asks for, and approves or rejects; then a receipt, and back to the vendor.

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::config::Profile;
use crate::domain::problem_codes as codes;
use crate::domain::request::RequestStatus;
use crate::domain::system::System;
use crate::http::AppState;
use crate::http::html::{Lang, esc, page};
use crate::http::login::{MaybeSession, checked_form, csrf_forms};
use crate::services::system_user_queries::{ApprovalView, Standing};
use crate::services::system_users::SuError;
use crate::store::system_user::RequestRecord;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accessmanagement/ui/systemuser/request", get(show))
        .route(
            "/accessmanagement/ui/systemuser/request/decide",
            post(decide),
        )
        .route(
            "/accessmanagement/ui/systemuser/request/escalate",
            post(escalate),
        )
}

fn message(state: &AppState, lang: Lang, status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/auth/session\">{}</a></p>",
        esc(title),
        esc(text),
        lang.t("Min innlogging", "My log-in")
    );
    (
        status,
        page(
            lang,
            title,
            state.app.config.profile == Profile::Local,
            &body,
        ),
    )
        .into_response()
}

#[derive(Deserialize)]
struct ShowQuery {
    id: Option<String>,
}

fn text(map: &std::collections::HashMap<String, String>, lang: Lang) -> String {
    map.get(lang.code())
        .or_else(|| map.get("nb"))
        .cloned()
        .unwrap_or_default()
}

/// Explains why a request cannot be answered, or `None` when it can.
fn not_answerable(state: &AppState, lang: Lang, r: &RequestRecord) -> Option<Response> {
    match state.app.request_status(r) {
        RequestStatus::New => None,
        RequestStatus::Timedout => Some(message(state, lang, StatusCode::GONE, lang.t("Forespørselen er utløpt", "The request has expired"), lang.t(
            "Forespørsler som ikke er besvart innen fristen, kan ikke lenger godkjennes. Be leverandøren sende en ny forespørsel.",
            "Requests not answered in time can no longer be approved. Ask the vendor to send a new request.",
        ))),
        RequestStatus::Accepted => Some(message(state, lang, StatusCode::CONFLICT, lang.t("Forespørselen er allerede godkjent", "The request is already approved"), lang.t(
            "Systembrukeren er opprettet. Du finner den blant virksomhetens systembrukere.",
            "The system user has been created. You find it among the organisation's system users.",
        ))),
        RequestStatus::Rejected => Some(message(state, lang, StatusCode::CONFLICT, lang.t("Forespørselen er allerede avvist", "The request is already rejected"), lang.t(
            "Leverandøren må sende en ny forespørsel om dere likevel vil gi tilgang.",
            "The vendor must send a new request if you want to give access after all.",
        ))),
    }
}

async fn show(
    State(state): State<AppState>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    MaybeSession(session): MaybeSession,
    Query(q): Query<ShowQuery>,
) -> Response {
    let Some((_, session)) = session else {
        let goto = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        return Redirect::to(&format!(
            "/auth/login/idporten?goto={}",
            crate::services::idp::percent_encode(&goto)
        ))
        .into_response();
    };
    let not_found = || {
        message(&state, lang, StatusCode::NOT_FOUND, lang.t("Fant ikke forespørselen", "Request not found"), lang.t(
        "Lenken peker ikke til en forespørsel om systemtilgang. Den kan være slettet av leverandøren.",
        "The link does not point to a request for system access. The vendor may have deleted it.",
    ))
    };
    let Some(id) = q.id.filter(|i| !i.is_empty()) else {
        return not_found();
    };
    let r = match state.app.live_request(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return super::su_problem(e),
    };
    if let Some(response) = not_answerable(&state, lang, &r) {
        return response;
    }
    let view = match state.app.approval_view(&session.pid, r).await {
        Ok(view) => view,
        Err(e) => return super::su_problem(e),
    };
    let (r, customer) = (&view.request, &view.customer_name);
    if view.standing != Standing::MayApprove {
        let explanation = format!(
            "{} {} ({}). {}",
            lang.t("Forespørselen gjelder", "The request concerns"),
            customer,
            r.party_org_no,
            lang.t(
                "Bare daglig leder, styreleder eller innehaver kan godkjenne den.",
                "Only the daglig leder, styreleder or innehaver may approve it.",
            )
        );
        if view.standing == Standing::Unrelated {
            return message(
                &state,
                lang,
                StatusCode::FORBIDDEN,
                lang.t(
                    "Du kan ikke godkjenne denne forespørselen",
                    "You cannot approve this request",
                ),
                &format!(
                    "{explanation} {}",
                    lang.t(
                        "Be en av dem åpne lenken.",
                        "Ask one of them to open the link."
                    )
                ),
            );
        }
        // Related to the organisation, but without authority: may send it on (escalate).
        let body = format!(
            "<h1>{}</h1><p>{}</p><form method=\"post\" action=\"/accessmanagement/ui/systemuser/request/escalate\">\
             <input type=\"hidden\" name=\"id\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">{}</button></form>",
            lang.t(
                "Du kan ikke godkjenne denne forespørselen",
                "You cannot approve this request"
            ),
            esc(&explanation),
            esc(&r.id),
            esc(&session.csrf),
            lang.t(
                "Send til virksomhetens administratorer",
                "Send to the organisation's administrators"
            ),
        );
        return (
            StatusCode::FORBIDDEN,
            page(
                lang,
                lang.t(
                    "Du kan ikke godkjenne denne forespørselen",
                    "You cannot approve this request",
                ),
                state.app.config.profile == Profile::Local,
                &body,
            ),
        )
            .into_response();
    }
    let Some(system) = &view.system else {
        return not_found();
    };
    let body = request_page(lang, &view, system, &session.csrf);
    page(
        lang,
        lang.t("Forespørsel om systemtilgang", "Request for system access"),
        state.app.config.profile == Profile::Local,
        &body,
    )
}

fn request_page(lang: Lang, view: &ApprovalView, system: &System, csrf: &str) -> String {
    let r = &view.request;
    let vendor = &view.vendor_name;
    let customer = view.customer_name.as_str();
    let mut body = format!(
        "<h1>{}</h1><p><strong>{}</strong> ({} <code>{}</code>) {} <strong>{}</strong> ({} <code>{}</code>).</p>\
         <h2 id=\"system-name\">{}</h2><p>{}</p><p>{} <strong>{}</strong></p>",
        lang.t("Forespørsel om systemtilgang", "Request for system access"),
        esc(vendor),
        lang.t("org.nr.", "org. no."),
        esc(&system.vendor_org),
        lang.t("ber om en systembruker for", "asks for a system user for"),
        esc(customer),
        lang.t("org.nr.", "org. no."),
        esc(&r.party_org_no),
        esc(&text(&system.name, lang)),
        esc(&text(&system.description, lang)),
        lang.t("Navn på integrasjonen:", "Name of the integration:"),
        esc(&r.integration_title),
    );
    body.push_str(&format!(
        "<h3>{}</h3><ul>",
        lang.t(
            "Systemet får disse tilgangene",
            "The system gets these rights"
        )
    ));
    for right in &r.rights {
        for pair in &right.resource {
            let title = view
                .names
                .resources
                .get(&pair.value)
                .map(|t| t.get(lang.code()).to_owned())
                .unwrap_or_else(|| pair.value.clone());
            body.push_str(&format!(
                "<li>{} <span class=\"muted\">({})</span></li>",
                esc(&title),
                esc(&pair.value)
            ));
        }
    }
    for p in &r.access_packages {
        let name = view
            .names
            .packages
            .get(&p.urn)
            .map(|n| n.get(lang.code()).to_owned())
            .unwrap_or_else(|| p.urn.clone());
        body.push_str(&format!(
            "<li>{} {} <span class=\"muted\">({})</span></li>",
            lang.t("Tilgangspakke:", "Access package:"),
            esc(&name),
            esc(&p.urn)
        ));
    }
    body.push_str("</ul>");
    body.push_str(&format!(
        "<form method=\"post\" action=\"/accessmanagement/ui/systemuser/request/decide\">\
         <input type=\"hidden\" name=\"id\" value=\"{id}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">{approve}</button> \
         <button type=\"submit\" name=\"decision\" value=\"reject\">{reject}</button></form>",
        id = esc(&r.id),
        csrf = esc(csrf),
        approve = lang.t("Godkjenn", "Approve"),
        reject = lang.t("Avvis", "Reject"),
    ));
    body
}

#[derive(Deserialize)]
struct DecideForm {
    id: String,
    csrf: String,
    decision: String,
}

async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<DecideForm>, FormRejection>,
) -> Response {
    let (session, form) = match checked_form(&state, lang, session, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return message(
                &state,
                lang,
                StatusCode::BAD_REQUEST,
                lang.t("Ugyldig skjema", "Invalid form"),
                "",
            );
        }
    };
    match state
        .app
        .decide_request(&session.pid, &form.id, approve)
        .await
    {
        Ok(r) => receipt(&state, lang, &r, approve),
        Err(SuError::Problem(p)) if p.code == codes::REQUEST_STATUS_NOT_NEW.code => {
            match state.app.request_record(&form.id).await {
                Ok(Some(r)) => not_answerable(&state, lang, &r)
                    .unwrap_or_else(|| message(&state, lang, StatusCode::CONFLICT, p.title, "")),
                _ => message(&state, lang, StatusCode::CONFLICT, p.title, ""),
            }
        }
        Err(SuError::Problem(p)) => message(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            lang.t(
                "Forespørselen kunne ikke besvares",
                "The request could not be answered",
            ),
            p.text(),
        ),
        Err(e @ SuError::NoAuthority) => super::su_problem(e),
        Err(SuError::Store(e)) => crate::http::problem::Problem::from(e).into_response(),
    }
}

fn receipt(state: &AppState, lang: Lang, r: &RequestRecord, approved: bool) -> Response {
    let (title, text) = if approved {
        (
            lang.t("Systemtilgangen er godkjent", "System access approved"),
            lang.t(
                "Systembrukeren er opprettet, og leverandøren kan nå bruke den.",
                "The system user has been created, and the vendor can now use it.",
            ),
        )
    } else {
        (
            lang.t("Forespørselen er avvist", "The request is rejected"),
            lang.t(
                "Leverandøren får ingen tilgang.",
                "The vendor gets no access.",
            ),
        )
    };
    let mut body = format!("<h1 id=\"receipt\">{}</h1><p>{}</p>", esc(title), esc(text));
    if let Some(url) = &r.redirect_url {
        // The receipt stays a moment, then the browser goes back to the vendor by itself.
        body.push_str(&format!(
            "<meta http-equiv=\"refresh\" content=\"3;url={url}\"><p><a id=\"continue\" href=\"{url}\">{}</a></p>",
            lang.t("Gå tilbake til leverandøren", "Back to the vendor"),
            url = esc(url)
        ));
    }
    page(
        lang,
        title,
        state.app.config.profile == Profile::Local,
        &body,
    )
}

#[derive(Deserialize)]
struct EscalateForm {
    id: String,
    csrf: String,
}

async fn escalate(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<EscalateForm>, FormRejection>,
) -> Response {
    let (session, form) = match checked_form(&state, lang, session, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.escalate_request(&session.pid, &form.id).await {
        Ok(true) => message(&state, lang, StatusCode::OK, lang.t("Sendt videre", "Sent on"), lang.t(
            "Virksomhetens administratorer ser nå forespørselen blant systemtilgangene som venter.",
            "The organisation's administrators now see the request among the system access requests waiting.",
        )),
        Ok(false) => message(&state, lang, StatusCode::CONFLICT, lang.t("Kunne ikke sendes videre", "Could not be sent on"), lang.t("Forespørselen er besvart, utløpt eller slettet.", "The request is answered, expired or deleted.")),
        Err(SuError::Problem(p)) => message(&state, lang, StatusCode::BAD_REQUEST, p.text(), ""),
        Err(e @ SuError::NoAuthority) => super::su_problem(e),
        Err(SuError::Store(e)) => crate::http::problem::Problem::from(e).into_response(),
    }
}

csrf_forms!(DecideForm, EscalateForm);
