//! People's log-in to tilgang's pages (as relying party of ID-porten or Ansattporten), their
//! session page and log-out.

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::html::{Frame, Lang, Link, message, private, render, texts};
use crate::secret;
use crate::services::idp::Idp;
use crate::services::login::WebSession;
use crate::services::login::{
    FLOW_LIFETIME_SECS, LoginError, SESSION_COOKIE, SESSION_LIFETIME_SECS,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login/{provider}", get(start))
        .route("/auth/callback/{provider}", get(callback))
        .route("/auth/session", get(session_page))
        .route("/auth/logout", post(logout))
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .map(str::to_owned)
}

/// The page for a storage outage while a session is read: 503 with `Retry-After` and words
/// that say the service is briefly unavailable — not "log in again", which would be wrong
/// (the session is still there).
pub async fn session_unavailable(
    parts: &mut Parts,
    state: &AppState,
    e: &crate::services::StoreError,
) -> Response {
    tracing::error!(error = %e, "cannot read the session");
    let lang = match Lang::from_request_parts(parts, state).await {
        Ok(l) => l,
        Err(never) => match never {},
    };
    database_unavailable_page(lang, state)
}

/// 503 with `Retry-After`: the database cannot be reached; a signed-in person still is.
pub fn database_unavailable_page(lang: Lang, state: &AppState) -> Response {
    let t = LoginTexts::of(lang);
    let mut response = message_page(
        lang,
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        t.unavailable,
        t.unavailable_text,
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// The person logged in to this browser, if any.
pub struct MaybeSession(pub Option<(String, WebSession)>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let id = cookie_value(&parts.headers, SESSION_COOKIE);
        let Some(id) = id else {
            return Ok(MaybeSession(None));
        };
        match state.app.session(&id).await {
            Ok(Some(session)) => Ok(MaybeSession(Some((id, session)))),
            Ok(None) => Ok(MaybeSession(None)),
            Err(e) => Err(session_unavailable(parts, state, &e).await),
        }
    }
}

/// A cookie for the whole site: `HttpOnly; SameSite=Lax; Path=/`, and `Secure` when served over
/// HTTPS (`value` empty with `max_age` 0: forget it).
fn site_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.app.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("tilgang_session=; Path=/; Max-Age=0"))
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    site_cookie(state, SESSION_COOKIE, value, max_age)
}

/// The cookie that binds a log-in in progress to this browser. `SameSite=Lax`, so the
/// provider's redirect back (a top-level GET) carries it.
pub fn flow_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    site_cookie(state, state.app.flow_cookie_name(), value, max_age)
}

/// Sends the browser to the provider, with the cookie that binds the log-in to it.
pub fn to_provider(state: &AppState, url: &str, sealed_flow: &str) -> Response {
    let mut response = Redirect::to(url).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        flow_cookie(state, sealed_flow, FLOW_LIFETIME_SECS),
    );
    response
}

texts! {
    pub struct LoginTexts {
        unavailable: ["Tjenesten er midlertidig utilgjengelig", "Tenesta er mellombels utilgjengeleg", "The service is briefly unavailable"],
        unavailable_text: [
            "Vi får ikke kontakt med databasen akkurat nå. Prøv igjen om et øyeblikk; du er fortsatt logget inn.",
            "Vi får ikkje kontakt med databasen akkurat no. Prøv igjen om eit augneblink; du er framleis logga inn.",
            "The database cannot be reached right now. Try again in a moment; you are still logged in.",
        ],
        retry: ["Prøv å logge inn igjen", "Prøv å logge inn igjen", "Try logging in again"],
        unknown_login: ["Ukjent innlogging", "Ukjend innlogging", "Unknown log-in"],
        choose_provider: ["Velg ID-porten eller Ansattporten.", "Vel ID-porten eller Ansattporten.", "Choose ID-porten or Ansattporten."],
        could_not_start: ["Innloggingen kunne ikke starte", "Innlogginga kunne ikkje starte", "The log-in could not start"],
        failed: ["Innloggingen mislyktes", "Innlogginga mislukkast", "The log-in failed"],
        our_fault: [
            "Noe gikk galt hos oss. Prøv igjen; feilen er logget.",
            "Noko gjekk gale hos oss. Prøv igjen; feilen er logga.",
            "Something went wrong on our side. Try again; the error has been logged.",
        ],
        cancelled: ["Innloggingen ble avbrutt", "Innlogginga vart avbroten", "The log-in was cancelled"],
        expired: ["Innloggingen er utløpt", "Innlogginga har gått ut", "The log-in has expired"],
        start_again: ["Start innloggingen på nytt", "Start innlogginga på nytt", "Start the log-in again"],
        other_browser: [
            "Innloggingen ble startet i en annen nettleser, eller denne nettleseren har ikke lenger informasjonskapselen fra starten. Start innloggingen på nytt i denne nettleseren.",
            "Innlogginga vart starta i ein annan nettlesar, eller denne nettlesaren har ikkje lenger informasjonskapselen frå starten. Start innlogginga på nytt i denne nettlesaren.",
            "This log-in was started in another browser, or this browser no longer has the cookie from its start. Start the log-in again in this browser.",
        ],
        test_only: ["Bare testidentiteter", "Berre testidentitetar", "Test identities only"],
        too_weak: ["Innloggingen var ikke sikker nok", "Innlogginga var ikkje sikker nok", "The log-in was not secure enough"],
        form_expired: ["Skjemaet er utløpt", "Skjemaet har gått ut", "The form has expired"],
        reload: ["Last siden på nytt og prøv igjen.", "Last sida på nytt og prøv igjen.", "Reload the page and try again."],
        invalid_form: ["Ugyldig skjema", "Ugyldig skjema", "Invalid form"],
        logout_failed: ["Utlogging mislyktes", "Utlogging mislukkast", "Log-out failed"],
        my_login: ["Min innlogging", "Mi innlogging", "My log-in"],
        logged_in_as: ["Du er logget inn som", "Du er logga inn som", "You are logged in as"],
        logged_in_with: ["Innlogget med", "Innlogga med", "Logged in with"],
        level: ["sikkerhetsnivå", "sikkerheitsnivå", "level of assurance"],
        high: ["høyt", "høgt", "high"],
        substantial: ["betydelig", "betydeleg", "substantial"],
        log_out: ["Logg ut", "Logg ut", "Log out"],
        not_logged_in: ["Du er ikke logget inn", "Du er ikkje logga inn", "You are not logged in"],
        session_gone: [
            "Innloggingen din er utløpt, så ingenting ble gjort. Logg inn igjen, så kommer du tilbake til siden du var på.",
            "Innlogginga di har gått ut, så ingenting vart gjort. Logg inn igjen, så kjem du tilbake til sida du var på.",
            "Your log-in has expired, so nothing was done. Log in again and you come back to the page you were on.",
        ],
        log_in_for: [
            "Logg inn for å se og godkjenne systemtilganger, eller for å bruke Altinn Studio.",
            "Logg inn for å sjå og godkjenne systemtilgangar, eller for å bruke Altinn Studio.",
            "Log in to see and approve system access, or to use Altinn Studio.",
        ],
        with_idporten: ["Logg inn med ID-porten", "Logg inn med ID-porten", "Log in with ID-porten"],
        with_ansattporten: [
            "Logg inn med Ansattporten (Altinn Studio)",
            "Logg inn med Ansattporten (Altinn Studio)",
            "Log in with Ansattporten (Altinn Studio)",
        ],
    }
}

/// The message page of the log-in, with a link to try again at `retry`.
fn message_page(
    lang: Lang,
    state: &AppState,
    status: StatusCode,
    title: &str,
    text: &str,
    retry: Option<&str>,
) -> Response {
    let links = retry
        .map(|href| Link::new(href, LoginTexts::of(lang).retry))
        .into_iter()
        .collect();
    message(state, lang, status, title, text, links)
}

#[derive(Deserialize)]
struct StartQuery {
    goto: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    lang: Lang,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    let t = LoginTexts::of(lang);
    let Some(idp) = Idp::by_path(&provider) else {
        return message_page(
            lang,
            &state,
            StatusCode::NOT_FOUND,
            t.unknown_login,
            t.choose_provider,
            None,
        );
    };
    match state
        .app
        .start_login(idp, q.goto.as_deref(), lang.code())
        .await
    {
        Ok((url, flow)) => to_provider(&state, &url, &flow),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the log-in");
            message_page(
                lang,
                &state,
                StatusCode::BAD_GATEWAY,
                t.could_not_start,
                &e.to_string(),
                None,
            )
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
    Path(provider): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let t = LoginTexts::of(lang);
    let Some(idp) = Idp::by_path(&provider) else {
        return message_page(
            lang,
            &state,
            StatusCode::NOT_FOUND,
            t.unknown_login,
            "",
            None,
        );
    };
    let retry = format!("/auth/login/{}", idp.path);
    let flow = cookie_value(&headers, state.app.flow_cookie_name());
    let mut response = match state
        .app
        .finish_login(
            idp,
            flow.as_deref(),
            q.code.as_deref(),
            q.state.as_deref(),
            q.error.as_deref(),
            q.error_description.as_deref(),
        )
        .await
    {
        Ok((session_id, goto)) => {
            let mut response = Redirect::to(&goto).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie(&state, &session_id, SESSION_LIFETIME_SECS),
            );
            response
        }
        Err(LoginError::Store(e)) => {
            // The person did nothing wrong: no database text on the page, and an outage is
            // a 503 that says so.
            if e.is_unavailable() {
                tracing::error!(error = %e, "log-in: the database does not answer");
                database_unavailable_page(lang, &state)
            } else {
                tracing::error!(error = %e, "log-in failed in the store");
                message_page(
                    lang,
                    &state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t.failed,
                    t.our_fault,
                    Some(&retry),
                )
            }
        }
        Err(e) => {
            let (status, title) = match &e {
                LoginError::Refused { .. } => (StatusCode::BAD_REQUEST, t.cancelled),
                LoginError::Expired => (StatusCode::BAD_REQUEST, t.expired),
                LoginError::OtherBrowser => (StatusCode::BAD_REQUEST, t.start_again),
                LoginError::NotSynthetic => (StatusCode::FORBIDDEN, t.test_only),
                LoginError::TooWeak { .. } => (StatusCode::FORBIDDEN, t.too_weak),
                LoginError::Provider(..) | LoginError::Token(..) => {
                    (StatusCode::BAD_GATEWAY, t.failed)
                }
                // Answered above; kept so that the match stays complete.
                LoginError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, t.failed),
            };
            tracing::warn!(error = %e, "log-in failed");
            let text = match &e {
                LoginError::OtherBrowser => t.other_browser.to_owned(),
                other => other.to_string(),
            };
            message_page(lang, &state, status, title, &text, Some(&retry))
        }
    };
    // The flow is used up either way.
    response
        .headers_mut()
        .append(header::SET_COOKIE, flow_cookie(&state, "", 0));
    response
}

/// The signed-in person as the session page shows them.
struct Person<'a> {
    name: &'a str,
    /// The national identity number, masked.
    pid: String,
    idp: &'static str,
    level: &'static str,
}

#[derive(Template)]
#[template(path = "ops/session.html")]
struct SessionPage<'a> {
    f: Frame,
    t: &'static LoginTexts,
    person: Option<Person<'a>>,
    csrf: &'a str,
}

async fn session_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let t = LoginTexts::of(lang);
    let session = session.map(|(_, s)| s);
    let person = session.as_ref().map(|s| Person {
        name: &s.name,
        pid: s
            .pid
            .parse::<crate::domain::Pid>()
            .map(|p| p.masked())
            .unwrap_or_default(),
        idp: Idp::by_path(&s.provider)
            .map(|i| i.display_name)
            .unwrap_or("?"),
        level: if s.acr.ends_with("high") {
            t.high
        } else {
            t.substantial
        },
    });
    private(render(
        StatusCode::OK,
        &SessionPage {
            f: Frame::new(&state, lang, t.my_login),
            t,
            person,
            csrf: session.as_ref().map(|s| s.csrf.as_str()).unwrap_or(""),
        },
    ))
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let Some((id, session)) = session else {
        return Redirect::to("/").into_response();
    };
    let csrf_ok = form
        .as_ref()
        .is_ok_and(|Form(f)| secret::constant_time_eq(&f.csrf, &session.csrf));
    let t = LoginTexts::of(lang);
    if !csrf_ok {
        return message_page(
            lang,
            &state,
            StatusCode::FORBIDDEN,
            t.form_expired,
            t.reload,
            Some("/auth/session"),
        );
    }
    match state.app.logout(&id, &session).await {
        Ok(url) => {
            let mut response = Redirect::to(&url).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, cookie(&state, "", 0));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "log-out failed");
            message_page(
                lang,
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                t.logout_failed,
                &e.to_string(),
                None,
            )
        }
    }
}

/// A form posted by a logged-in person from one of tilgang's pages, carrying the session's
/// CSRF token.
pub trait CsrfForm {
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfForm`] for form structs with a `csrf` field.
macro_rules! csrf_forms {
    ($($t:ty),+) => {$(
        impl $crate::http::login::CsrfForm for $t {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        }
    )+};
}
pub(crate) use csrf_forms;

/// The person and the form, when both are there and the form's CSRF token is the session's;
/// otherwise the page that says what went wrong (401, 400 or 403).
// The error is the response every caller returns at once; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub fn checked_form<T: CsrfForm>(
    state: &AppState,
    lang: Lang,
    session: Option<(String, WebSession)>,
    form: Result<Form<T>, FormRejection>,
) -> Result<(WebSession, T), Response> {
    checked_form_back(state, lang, session, form, |_| "/".to_owned())
}

/// As [`checked_form`]; when the session is gone, the page links to a new log-in that comes
/// back to `back(form)` (the page the form was on), instead of a reload that posts again.
#[allow(clippy::result_large_err)]
pub fn checked_form_back<T: CsrfForm>(
    state: &AppState,
    lang: Lang,
    session: Option<(String, WebSession)>,
    form: Result<Form<T>, FormRejection>,
    back: impl FnOnce(&T) -> String,
) -> Result<(WebSession, T), Response> {
    let t = LoginTexts::of(lang);
    let refuse = |status, title| Err(message_page(lang, state, status, title, t.reload, None));
    let Some((_, session)) = session else {
        let to = form
            .as_ref()
            .map_or_else(|_| "/".to_owned(), |Form(f)| back(f));
        let again =
            crate::services::studio_oauth::with_query("/auth/login/idporten", &[("goto", &to)]);
        return Err(message_page(
            lang,
            state,
            StatusCode::UNAUTHORIZED,
            t.not_logged_in,
            t.session_gone,
            Some(&again),
        ));
    };
    let Ok(Form(form)) = form else {
        return refuse(StatusCode::BAD_REQUEST, t.invalid_form);
    };
    if !secret::constant_time_eq(form.csrf(), &session.csrf) {
        return refuse(StatusCode::FORBIDDEN, t.form_expired);
    }
    Ok((session, form))
}
