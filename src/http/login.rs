//! People's log-in to tilgang's pages (as relying party of ID-porten or Ansattporten), their
//! session page and log-out.

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::html::{Lang, esc, page};
use crate::config::Profile;
use crate::secret;
use crate::services::idp::Idp;
use crate::services::login::{
    FLOW_LIFETIME_SECS, LoginError, SESSION_COOKIE, SESSION_LIFETIME_SECS,
};
use crate::store::oidc::WebSession;

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
    e: &crate::store::StoreError,
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
    let mut response = message_page(
        lang,
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        lang.t(
            "Tjenesten er midlertidig utilgjengelig",
            "The service is briefly unavailable",
        ),
        lang.t(
            "Vi får ikke kontakt med databasen akkurat nå. Prøv igjen om et øyeblikk; du er fortsatt logget inn.",
            "The database cannot be reached right now. Try again in a moment; you are still logged in.",
        ),
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

fn message_page(
    lang: Lang,
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
    retry: Option<&str>,
) -> Response {
    let mut body = format!("<h1>{}</h1><p>{}</p>", esc(title), esc(message));
    if let Some(href) = retry {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            esc(href),
            lang.t("Prøv å logge inn igjen", "Try logging in again")
        ));
    }
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
struct StartQuery {
    goto: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    lang: Lang,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(idp) = Idp::by_path(&provider) else {
        return message_page(
            lang,
            &state,
            StatusCode::NOT_FOUND,
            lang.t("Ukjent innlogging", "Unknown log-in"),
            lang.t(
                "Velg ID-porten eller Ansattporten.",
                "Choose ID-porten or Ansattporten.",
            ),
            None,
        );
    };
    match state.app.start_login(idp, q.goto.as_deref()).await {
        Ok((url, flow)) => to_provider(&state, &url, &flow),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the log-in");
            message_page(
                lang,
                &state,
                StatusCode::BAD_GATEWAY,
                lang.t(
                    "Innloggingen kunne ikke starte",
                    "The log-in could not start",
                ),
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
    let Some(idp) = Idp::by_path(&provider) else {
        return message_page(
            lang,
            &state,
            StatusCode::NOT_FOUND,
            lang.t("Ukjent innlogging", "Unknown log-in"),
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
                    lang.t("Innloggingen mislyktes", "The log-in failed"),
                    lang.t(
                        "Noe gikk galt hos oss. Prøv igjen; feilen er logget.",
                        "Something went wrong on our side. Try again; the error has been logged.",
                    ),
                    Some(&retry),
                )
            }
        }
        Err(e) => {
            let (status, title) = match &e {
                LoginError::Refused { .. } => (
                    StatusCode::BAD_REQUEST,
                    lang.t("Innloggingen ble avbrutt", "The log-in was cancelled"),
                ),
                LoginError::Expired => (
                    StatusCode::BAD_REQUEST,
                    lang.t("Innloggingen er utløpt", "The log-in has expired"),
                ),
                LoginError::OtherBrowser => (
                    StatusCode::BAD_REQUEST,
                    lang.t("Start innloggingen på nytt", "Start the log-in again"),
                ),
                LoginError::NotSynthetic => (
                    StatusCode::FORBIDDEN,
                    lang.t("Bare testidentiteter", "Test identities only"),
                ),
                LoginError::TooWeak { .. } => (
                    StatusCode::FORBIDDEN,
                    lang.t(
                        "Innloggingen var ikke sikker nok",
                        "The log-in was not secure enough",
                    ),
                ),
                LoginError::Provider(..) | LoginError::Token(..) => (
                    StatusCode::BAD_GATEWAY,
                    lang.t("Innloggingen mislyktes", "The log-in failed"),
                ),
                // Answered above; kept so that the match stays complete.
                LoginError::Store(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    lang.t("Innloggingen mislyktes", "The log-in failed"),
                ),
            };
            tracing::warn!(error = %e, "log-in failed");
            let text = match &e {
                LoginError::OtherBrowser => lang
                    .t(
                        "Innloggingen ble startet i en annen nettleser, eller denne nettleseren har ikke lenger informasjonskapselen fra starten. Start innloggingen på nytt i denne nettleseren.",
                        "This log-in was started in another browser, or this browser no longer has the cookie from its start. Start the log-in again in this browser.",
                    )
                    .to_owned(),
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

async fn session_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let local = state.app.config.profile == Profile::Local;
    let body = match session {
        Some((_, s)) => {
            let idp = Idp::by_path(&s.provider)
                .map(|i| i.display_name)
                .unwrap_or("?");
            let level = if s.acr.ends_with("high") {
                lang.t("høyt", "high")
            } else {
                lang.t("betydelig", "substantial")
            };
            let pid = s
                .pid
                .parse::<crate::domain::Pid>()
                .map(|p| p.masked())
                .unwrap_or_default();
            format!(
                "<h1>{}</h1><p>{} <strong id=\"person-name\">{}</strong> ({}).</p><p>{} {idp}, {} {level}.</p>\
                 <form method=\"post\" action=\"/auth/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
                lang.t("Min innlogging", "My log-in"),
                lang.t("Du er logget inn som", "You are logged in as"),
                esc(&s.name),
                esc(&pid),
                lang.t("Innlogget med", "Logged in with"),
                lang.t("sikkerhetsnivå", "level of assurance"),
                esc(&s.csrf),
                lang.t("Logg ut", "Log out"),
            )
        }
        None => format!(
            "<h1>{}</h1><p>{}</p><ul><li><a href=\"/auth/login/idporten\">{}</a></li><li><a href=\"/auth/login/ansattporten\">{}</a></li></ul>",
            lang.t("Du er ikke logget inn", "You are not logged in"),
            lang.t(
                "Logg inn for å se og godkjenne systemtilganger, eller for å bruke Altinn Studio.",
                "Log in to see and approve system access, or to use Altinn Studio."
            ),
            lang.t("Logg inn med ID-porten", "Log in with ID-porten"),
            lang.t(
                "Logg inn med Ansattporten (Altinn Studio)",
                "Log in with Ansattporten (Altinn Studio)"
            ),
        ),
    };
    let mut response = page(lang, lang.t("Min innlogging", "My log-in"), local, &body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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
    if !csrf_ok {
        return message_page(
            lang,
            &state,
            StatusCode::FORBIDDEN,
            lang.t("Skjemaet er utløpt", "The form has expired"),
            lang.t(
                "Last siden på nytt og prøv igjen.",
                "Reload the page and try again.",
            ),
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
                lang.t("Utlogging mislyktes", "Log-out failed"),
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
    let again = lang.t(
        "Last siden på nytt og prøv igjen.",
        "Reload the page and try again.",
    );
    let Some((_, session)) = session else {
        return Err(message_page(
            lang,
            state,
            StatusCode::UNAUTHORIZED,
            lang.t("Du er ikke logget inn", "You are not logged in"),
            again,
            None,
        ));
    };
    let Ok(Form(form)) = form else {
        return Err(message_page(
            lang,
            state,
            StatusCode::BAD_REQUEST,
            lang.t("Ugyldig skjema", "Invalid form"),
            again,
            None,
        ));
    };
    if !secret::constant_time_eq(form.csrf(), &session.csrf) {
        return Err(message_page(
            lang,
            state,
            StatusCode::FORBIDDEN,
            lang.t("Skjemaet er utløpt", "The form has expired"),
            again,
            None,
        ));
    }
    Ok((session, form))
}
