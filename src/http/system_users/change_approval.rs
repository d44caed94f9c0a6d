//! The page at a change request's `confirmUrl`: the customer's representative sees the system
//! user as it is, what approval would add and remove, and approves or rejects; then a
//! receipt, and back to the vendor.

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::approval::{ApprovalTexts, Receipt, note, to_login};
use super::pages::{Named, RightsTexts, localized, named};
use crate::domain::problem_codes as codes;
use crate::domain::request::RequestStatus;
use crate::http::AppState;
use crate::http::html::{Frame, Lang, PageResult, private, render, texts};
use crate::http::login::{MaybeSession, checked_form_back, csrf_forms};
use crate::services::system_users::SuError;
use crate::services::system_users::changes::ChangeRequestRecord;

pub const PAGE: &str = "/accessmanagement/ui/systemuser/changerequest";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(show))
        .route(&format!("{PAGE}/decide"), post(decide))
}

texts! {
    pub struct ChangeTexts {
        title: ["Endring av systemtilgang", "Endring av systemtilgang", "Change of system access"],
        asks_to_change: ["ber om å endre systemtilgangen", "ber om å endre systemtilgangen", "asks to change the system access"],
        of: ["for", "for", "of"],
        holds_now: ["Systemtilgangen har nå", "Systemtilgangen har no", "The system access has now"],
        nothing_held: ["Ingen rettigheter eller tilgangspakker", "Ingen rettar eller tilgangspakkar", "No rights or access packages"],
        added: ["Blir lagt til", "Blir lagt til", "Will be added"],
        removed: ["Blir fjernet", "Blir fjerna", "Will be removed"],
        no_change: [
            "Ingen endring: systemtilgangen har allerede det leverandøren ber om.",
            "Inga endring: systemtilgangen har allereie det leverandøren ber om.",
            "No change: the system access already has what the vendor asks for.",
        ],
        only_roles: [
            "Bare daglig leder, styreleder, innehaver eller en tilgangsstyrer kan godkjenne den.",
            "Berre dagleg leiar, styreleiar, innehavar eller ein tilgangsstyrar kan godkjenne han.",
            "Only the daglig leder, styreleder, innehaver or an access manager may approve it.",
        ],
        cannot_approve: ["Du kan ikke godkjenne denne endringen", "Du kan ikkje godkjenne denne endringa", "You cannot approve this change"],
        concerns: ["Endringen gjelder", "Endringa gjeld", "The change concerns"],
        not_found: ["Fant ikke endringen", "Fann ikkje endringa", "Change not found"],
        not_found_text: [
            "Lenken peker ikke til en endring av systemtilgang. Den kan være slettet av leverandøren.",
            "Lenkja peikar ikkje til ei endring av systemtilgang. Leverandøren kan ha sletta ho.",
            "The link does not point to a change of system access. The vendor may have deleted it.",
        ],
        expired: ["Endringen er utløpt", "Endringa er gått ut", "The change has expired"],
        expired_text: [
            "Endringer som ikke er besvart innen fristen, kan ikke lenger godkjennes. Be leverandøren sende en ny.",
            "Endringar som ikkje er svara på innan fristen, kan ikkje lenger godkjennast. Be leverandøren sende ei ny.",
            "Changes not answered in time can no longer be approved. Ask the vendor to send a new one.",
        ],
        already_approved: ["Endringen er allerede godkjent", "Endringa er allereie godkjend", "The change is already approved"],
        already_rejected: ["Endringen er allerede avvist", "Endringa er allereie avvist", "The change is already rejected"],
        answered_text: [
            "Du finner systemtilgangen blant virksomhetens systemtilganger.",
            "Du finn systemtilgangen blant systemtilgangane til verksemda.",
            "You find it on the organisation's system access page.",
        ],
        user_deleted: ["Systemtilgangen er slettet", "Systemtilgangen er sletta", "The system access was deleted"],
        user_deleted_text: [
            "Endringen kan ikke lenger godkjennes. Leverandøren må be om en ny systemtilgang.",
            "Endringa kan ikkje lenger godkjennast. Leverandøren må be om ein ny systemtilgang.",
            "The change can no longer be approved. The vendor must ask for new system access.",
        ],
        approved: ["Endringen er godkjent", "Endringa er godkjend", "Change approved"],
        approved_text: [
            "Systemtilgangen har nå de nye rettighetene og tilgangspakkene.",
            "Systemtilgangen har no dei nye rettane og tilgangspakkane.",
            "The system access now has the new rights and access packages.",
        ],
        rejected: ["Endringen er avvist", "Endringa er avvist", "The change is rejected"],
        rejected_text: [
            "Systemtilgangen er uendret.",
            "Systemtilgangen er uendra.",
            "The system access is unchanged.",
        ],
        not_answered: ["Endringen kunne ikke besvares", "Endringa kunne ikkje svarast på", "The change could not be answered"],
    }
}

#[derive(Template)]
#[template(path = "system_users/change_request.html")]
struct ChangePage<'a> {
    f: Frame,
    t: &'static ChangeTexts,
    a: &'static ApprovalTexts,
    w: &'static RightsTexts,
    vendor: &'a str,
    customer: &'a str,
    customer_org: String,
    system_name: String,
    integration_title: &'a str,
    held: (Vec<Named>, Vec<Named>),
    added: (Vec<Named>, Vec<Named>),
    removed: (Vec<Named>, Vec<Named>),
    show_ids: bool,
    id: &'a str,
    csrf: &'a str,
}

#[derive(Deserialize)]
struct ShowQuery {
    id: Option<String>,
}

/// Explains why a change request cannot be answered, or `None` when it can.
fn not_answerable(state: &AppState, lang: Lang, c: &ChangeRequestRecord) -> Option<Response> {
    let t = ChangeTexts::of(lang);
    let (status, title, text) = match state.app.change_request_status(c) {
        RequestStatus::New => return None,
        RequestStatus::Timedout => (StatusCode::GONE, t.expired, t.expired_text),
        RequestStatus::Accepted => (StatusCode::CONFLICT, t.already_approved, t.answered_text),
        RequestStatus::Rejected => (StatusCode::CONFLICT, t.already_rejected, t.answered_text),
    };
    Some(note(state, lang, status, title, text))
}

async fn show(
    State(state): State<AppState>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    MaybeSession(session): MaybeSession,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let Some((_, session)) = session else {
        return Ok(to_login(&uri));
    };
    let t = ChangeTexts::of(lang);
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
    let c = match state.app.customer_change_request(None, &id).await {
        Ok(c) => c,
        Err(SuError::Problem(_)) => return Ok(not_found()),
        Err(e) => return Err(e.into()),
    };
    if let Some(response) = not_answerable(&state, lang, &c) {
        return Ok(response);
    }
    let view = state.app.change_approval_view(&session.pid, c).await?;
    let c = &view.change;
    if !view.may_approve {
        let text = format!(
            "{} {} ({}). {}",
            t.concerns, view.customer_name, c.party_org_no, t.only_roles
        );
        return Ok(note(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            t.cannot_approve,
            &text,
        ));
    }
    let Some(user) = &view.system_user else {
        return Ok(note(
            &state,
            lang,
            StatusCode::GONE,
            t.user_deleted,
            t.user_deleted_text,
        ));
    };
    let d = &view.diff;
    Ok(private(render(
        StatusCode::OK,
        &ChangePage {
            f: Frame::new(&state, lang, t.title),
            t,
            a: ApprovalTexts::of(lang),
            w: RightsTexts::of(lang),
            vendor: &view.vendor_name,
            customer: &view.customer_name,
            customer_org: super::portal::org_no_spaced(&c.party_org_no),
            system_name: localized(&view.system_name, lang),
            integration_title: &user.integration_title,
            held: named(&view.names, lang, &user.rights, &user.access_packages),
            added: named(&view.names, lang, &d.add_rights, &d.add_packages),
            removed: named(&view.names, lang, &d.remove_rights, &d.remove_packages),
            show_ids: true,
            id: &c.id,
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

async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<DecideForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form_back(&state, lang, session, form, |f| {
        crate::services::studio_oauth::with_query(PAGE, &[("id", &f.id)])
    })?;
    let t = ChangeTexts::of(lang);
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let title = RightsTexts::of(lang).invalid_form;
            return Ok(note(&state, lang, StatusCode::BAD_REQUEST, title, ""));
        }
    };
    let app = &state.app;
    match app
        .decide_change_request(&session.pid, None, &form.id, approve)
        .await
    {
        Ok(c) => {
            let (title, text) = if approve {
                (t.approved, t.approved_text)
            } else {
                (t.rejected, t.rejected_text)
            };
            Ok(private(render(
                StatusCode::OK,
                &Receipt {
                    f: Frame::new(&state, lang, title),
                    t: ApprovalTexts::of(lang),
                    text,
                    redirect_url: c.redirect_url.as_deref(),
                },
            )))
        }
        Err(SuError::Problem(p)) if p.code == codes::REQUEST_STATUS_NOT_NEW.code => {
            let c = app.customer_change_request(None, &form.id).await?;
            let conflict = || note(&state, lang, StatusCode::CONFLICT, p.title, "");
            Ok(not_answerable(&state, lang, &c).unwrap_or_else(conflict))
        }
        Err(SuError::Problem(p)) if p.code == codes::SYSTEM_USER_NOT_FOUND.code => Ok(note(
            &state,
            lang,
            StatusCode::GONE,
            t.user_deleted,
            t.user_deleted_text,
        )),
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

csrf_forms!(DecideForm);
