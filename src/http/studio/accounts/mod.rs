//! Altinn Studio account pages (spec studio-accounts §2.1–§2.5, Gitea's paths under `/studio/`):
//! start page, sign-up through Ansattporten, the registration/link form with captcha, password
//! log-in, activation by e-mailed link, log-out, and the account's authorised applications.
//!
//! This module holds the routes and what the other Studio pages share (cookies, the message
//! and error pages, the account and designer sessions, the form field component); each flow
//! has its own file.

mod activation;
mod applications;
mod login;
mod public_profile;
mod recover;
mod settings;
mod signup;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

pub use activation::inactive_page;

use crate::domain::studio::Field;
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{FieldError, Lang, Link, private, render, texts};
use crate::http::login::{cookie_value, session_unavailable};
use crate::secret;
use crate::services::studio::Device;
use crate::services::studio::{
    ACCOUNT_COOKIE, ACCOUNT_SESSION_SECS, DESIGNER_COOKIE, KIND_ACCOUNT, KIND_DESIGNER, StudioError,
};
use crate::services::studio_account::MAX_USER_AGENT;
use crate::services::studio_directory::{Account, Session};

pub const ANON_CSRF_COOKIE: &str = "studio_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio", get(|| async { Redirect::permanent("/studio/") }))
        .route("/studio/", get(login::start_page))
        .route("/studio/captcha.js", get(signup::captcha_js))
        .route("/studio/captcha/image/{token}", get(signup::captcha_image))
        .route(
            "/studio/user/sign_up",
            get(signup::sign_up_page).post(signup::sign_up_post),
        )
        .route(
            "/studio/user/login",
            get(login::login_page).post(login::login_post),
        )
        .route(
            "/studio/user/oauth2/{provider}",
            get(signup::external_start),
        )
        .route(
            "/studio/user/oauth2/{provider}/callback",
            get(signup::external_callback),
        )
        .route("/studio/user/link_account", get(signup::link_account_page))
        .route(
            "/studio/user/link_account_signup",
            post(signup::link_signup),
        )
        .route(
            "/studio/user/link_account_signin",
            post(signup::link_signin),
        )
        .route(
            "/studio/user/activate",
            get(activation::activate_get).post(activation::activate_post),
        )
        .route("/studio/user/logout", post(login::logout))
        .route(
            "/studio/user/settings",
            get(settings::profile_get).post(settings::profile_post),
        )
        .route(
            "/studio/user/settings/account",
            get(settings::account_get).post(settings::password_post),
        )
        .route(
            "/studio/user/settings/account/email",
            post(settings::email_post),
        )
        .route(
            "/studio/user/settings/account/unlink",
            post(settings::unlink_identity),
        )
        .route(
            "/studio/user/activate_email",
            get(settings::confirm_email_page).post(settings::confirm_email),
        )
        .route(
            "/studio/user/settings/sessions",
            get(settings::sessions_get),
        )
        .route(
            "/studio/user/settings/sessions/end",
            post(settings::end_session),
        )
        .route(
            "/studio/user/settings/sessions/end_others",
            post(settings::end_other_sessions),
        )
        .route(
            "/studio/user/forgot_password",
            get(recover::forgot_get).post(recover::forgot_post),
        )
        .route(
            "/studio/user/recover_account",
            get(recover::recover_get).post(recover::recover_post),
        )
        .route("/studio/{name}", get(public_profile::profile_page))
        .route(
            "/studio/user/settings/applications",
            get(applications::applications_page),
        )
        .route(
            "/studio/user/settings/applications/revoke",
            post(applications::revoke_application),
        )
}

texts! {
    pub struct AccountTexts {
        went_wrong: ["Noe gikk galt", "Noko gjekk gale", "Something went wrong"],
        try_again_soon: ["Prøv igjen om litt.", "Prøv igjen om litt.", "Try again in a moment."],
        form_expired: ["Skjemaet er utløpt", "Skjemaet har gått ut", "The form has expired"],
        reload: [
            "Last siden på nytt og prøv igjen.",
            "Last inn sida på nytt og prøv igjen.",
            "Reload the page and try again.",
        ],
        to_start: ["Til startsiden", "Til startsida", "To the start page"],
        too_many: [
            "For mange forsøk. Vent et minutt og prøv igjen.",
            "For mange forsøk. Vent eit minutt og prøv igjen.",
            "Too many attempts. Wait a minute and try again.",
        ],
        busy: [
            "Tjenesten er travel akkurat nå. Prøv igjen om et øyeblikk.",
            "Tenesta er travel akkurat no. Prøv igjen om eit augeblikk.",
            "The service is busy right now. Try again in a moment.",
        ],
        login_ansattporten: ["Logg inn med Ansattporten", "Logg inn med Ansattporten", "Log in with Ansattporten"],
        log_in: ["Logg inn", "Logg inn", "Log in"],
        create_user: ["Opprett ny bruker", "Opprett ny brukar", "Create new user"],
        user_name: ["Brukernavn", "Brukarnamn", "User name"],
        password: ["Passord", "Passord", "Password"],
        wrong_credentials: [
            "Brukernavnet eller passordet er feil.",
            "Brukarnamnet eller passordet er feil.",
            "The user name or password is incorrect.",
        ],
    }
}

// ---- shared helpers ------------------------------------------------------------------------

/// A Studio cookie: HttpOnly, SameSite=Lax, Path=/studio, Secure unless served over plain
/// HTTP on loopback.
pub fn studio_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let url = &state.app.config.public_url;
    let loopback = url.starts_with("http://127.")
        || url.starts_with("http://localhost")
        || url.starts_with("http://[::1]");
    let secure = if url.starts_with("https://") || !loopback {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/studio; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("studio=; Path=/studio; Max-Age=0"))
}

/// Adds `Retry-After: 1` to a 429 or 503 page.
pub fn with_retry_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<String> {
    parts_ext.get::<ClientAddr>().map(|c| c.0.to_string())
}

/// Renders a Studio page template: every Studio page is `no-store`.
pub(crate) fn studio(status: StatusCode, template: &impl Template) -> Response {
    private(render(status, template))
}

/// The message page (no-store) with `title` as its heading and at most one link onwards.
pub fn message(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let links = link
        .map(|(href, label)| Link::new(href, label))
        .into_iter()
        .collect();
    private(crate::http::html::message(
        state, lang, status, title, text, links,
    ))
}

/// The page for a failure that is ours: 503 with `Retry-After` when the database is only
/// overloaded, else 500; the cause goes to the log.
pub fn server_error(
    state: &AppState,
    lang: Lang,
    e: &(dyn std::error::Error + 'static),
) -> Response {
    let status = if crate::http::problem::is_unavailable(e) {
        tracing::warn!(error = %e, "Studio page refused: the database is overloaded");
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        tracing::error!(error = %e, "Studio page failed");
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let t = AccountTexts::of(lang);
    let page = message(state, lang, status, t.went_wrong, t.try_again_soon, None);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        with_retry_after(page)
    } else {
        page
    }
}

/// The "form has expired" page (403) for a form without the right CSRF token, with a way back.
pub fn expired_form(state: &AppState, lang: Lang, back: Option<(&str, &str)>) -> Response {
    let t = AccountTexts::of(lang);
    message(
        state,
        lang,
        StatusCode::FORBIDDEN,
        t.form_expired,
        t.reload,
        back,
    )
}

fn to_start(lang: Lang) -> Option<(&'static str, &'static str)> {
    Some(("/studio/", AccountTexts::of(lang).to_start))
}

/// The posted fields, when the form could be read and carries `csrf` as `_csrf`; otherwise
/// the "form has expired" page.
#[allow(clippy::result_large_err)]
fn checked_form(
    state: &AppState,
    lang: Lang,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
    csrf: &str,
) -> Result<HashMap<String, String>, Response> {
    match form {
        Ok(Form(f)) if secret::constant_time_eq(form_field(&f, "_csrf"), csrf) => Ok(f),
        _ => Err(expired_form(state, lang, to_start(lang))),
    }
}

/// One form field as `templates/studio/field.html` shows it: the label, the input, and the
/// error next to it (the input then has `aria-invalid` and `aria-describedby` pointing at
/// the error). A template renders it with `{% include "studio/field.html" %}` and the field in
/// a variable named `field`.
pub struct Input<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    /// The input's `type`; none for text.
    pub kind: Option<&'a str>,
    pub autocomplete: Option<&'a str>,
    pub maxlength: Option<u16>,
    /// The value shown; none leaves out the attribute (passwords are never shown).
    pub value: Option<&'a str>,
    pub required: bool,
    pub error: Option<&'a str>,
    /// A muted line under the input.
    pub hint: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn new(id: &'a str, name: &'a str, label: &'a str) -> Self {
        Input {
            id,
            name,
            label,
            kind: None,
            autocomplete: None,
            maxlength: None,
            value: None,
            required: false,
            error: None,
            hint: None,
        }
    }

    pub fn kind(self, kind: &'a str) -> Self {
        Input {
            kind: Some(kind),
            ..self
        }
    }

    pub fn autocomplete(self, autocomplete: &'a str) -> Self {
        Input {
            autocomplete: Some(autocomplete),
            ..self
        }
    }

    pub fn maxlength(self, maxlength: u16) -> Self {
        Input {
            maxlength: Some(maxlength),
            ..self
        }
    }

    pub fn value(self, value: &'a str) -> Self {
        Input {
            value: Some(value),
            ..self
        }
    }

    pub fn required(self) -> Self {
        Input {
            required: true,
            ..self
        }
    }

    pub fn error(self, error: Option<&'a str>) -> Self {
        Input { error, ..self }
    }

    pub fn hint(self, hint: &'a str) -> Self {
        Input {
            hint: Some(hint),
            ..self
        }
    }
}

/// The signed-in Studio account (Gitea's session), if any.
pub struct AccountSession {
    pub id: String,
    pub session: Session,
    pub user: Option<Account>,
}

pub struct MaybeAccount(pub Option<AccountSession>);

impl FromRequestParts<AppState> for MaybeAccount {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(id) = cookie_value(&parts.headers, ACCOUNT_COOKIE) else {
            return Ok(MaybeAccount(None));
        };
        let session = match state.app.studio_session(&id, KIND_ACCOUNT).await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(MaybeAccount(None)),
            Err(e) => return Err(session_unavailable(parts, state, &e).await),
        };
        let user = match session.user_id {
            Some(uid) => match state.app.studio_account_by_id(uid).await {
                Ok(user) => user,
                Err(e) => return Err(session_unavailable(parts, state, &e).await),
            },
            None => None,
        };
        Ok(MaybeAccount(Some(AccountSession { id, session, user })))
    }
}

/// The Altinn Studio application's session (after consent), with its user.
pub struct DesignerSession {
    pub id: String,
    pub session: Session,
    pub user: Account,
}

pub struct MaybeDesigner(pub Option<DesignerSession>);

impl FromRequestParts<AppState> for MaybeDesigner {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(id) = cookie_value(&parts.headers, DESIGNER_COOKIE) else {
            return Ok(MaybeDesigner(None));
        };
        let session = match state.app.studio_session(&id, KIND_DESIGNER).await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(MaybeDesigner(None)),
            Err(e) => return Err(session_unavailable(parts, state, &e).await),
        };
        let user = match session.user_id {
            Some(uid) => match state.app.studio_account_by_id(uid).await {
                Ok(user) => user,
                Err(e) => return Err(session_unavailable(parts, state, &e).await),
            },
            None => None,
        };
        Ok(MaybeDesigner(
            user.filter(|u| u.is_active)
                .map(|user| DesignerSession { id, session, user }),
        ))
    }
}

/// The device a request comes from, kept with the session it starts (the sessions page shows
/// it): the `User-Agent`, shortened, and the client's address.
impl FromRequestParts<AppState> for Device {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT)
            .collect();
        Ok(Device {
            user_agent,
            ip: client_ip(&parts.extensions).unwrap_or_default(),
        })
    }
}

/// The element a field's error summary entry links to (each form names its inputs so).
pub(super) fn element_of(field: Field) -> &'static str {
    match field {
        Field::Username => "user_name",
        Field::Email => "email",
        Field::Password => "password",
        Field::Retype => "retype",
        Field::Captcha => "captcha-field",
        Field::CurrentPassword => "current_password",
        Field::FullName => "full_name",
        Field::Website => "website",
        Field::Location => "location",
        Field::Description => "description",
    }
}

/// The error summary's entries and each field's message, from the problems a service found.
pub(super) fn field_errors(
    lang: Lang,
    problems: &[(Field, crate::domain::studio::Problem)],
    element: impl Fn(Field) -> &'static str,
) -> (Vec<FieldError>, HashMap<Field, String>) {
    let code = lang.code();
    let summary = problems
        .iter()
        .map(|(f, p)| FieldError {
            id: element(*f),
            message: p.message(code),
        })
        .collect();
    let at = problems
        .iter()
        .map(|(f, p)| (*f, p.message(code)))
        .collect();
    (summary, at)
}

/// The anonymous CSRF token (double-submit cookie) for forms shown before log-in.
fn anon_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie_value(headers, ANON_CSRF_COOKIE).filter(|v| v.len() == 43) {
        Some(v) => (v, false),
        None => (secret::random_token(), true),
    }
}

pub fn form_field<'a>(f: &'a HashMap<String, String>, key: &str) -> &'a str {
    f.get(key).map(String::as_str).unwrap_or("")
}

/// Starts a new account session for `user` (rotating the id) and sets its cookie.
async fn sign_in(
    state: &AppState,
    old: Option<&str>,
    user: &Account,
    goto: &str,
    device: &Device,
) -> Response {
    if let Some(old) = old {
        let _ = state.app.end_studio_session(old).await;
    }
    if let Err(e) = state.app.studio_record_login(user.id).await {
        tracing::warn!(error = %e, "cannot record the log-in time");
    }
    match state
        .app
        .new_studio_session(KIND_ACCOUNT, Some(user.id), json!({}), device)
        .await
    {
        Ok((id, _)) => with_cookie(
            Redirect::to(goto).into_response(),
            studio_cookie(state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS),
        ),
        Err(e) => {
            tracing::error!(error = %e, "cannot start a Studio session");
            Redirect::to("/studio/user/login").into_response()
        }
    }
}

/// What to tell a person whose attempt was not checked (too many failures, or a busy server),
/// and the status to answer with; `None` for other errors.
fn not_checked(lang: Lang, e: &StudioError) -> Option<(&'static str, StatusCode)> {
    let t = AccountTexts::of(lang);
    match e {
        StudioError::RateLimited => Some((t.too_many, StatusCode::TOO_MANY_REQUESTS)),
        StudioError::Busy(_) => Some((t.busy, StatusCode::SERVICE_UNAVAILABLE)),
        _ => None,
    }
}

/// Only local Studio paths are destinations after log-in.
pub fn studio_goto(goto: Option<&str>) -> String {
    match goto {
        Some(g)
            if g.starts_with("/studio/")
                && !g.contains("//")
                && !g.contains('\\')
                && !g.chars().any(char::is_control) =>
        {
            g.to_owned()
        }
        _ => "/studio/login".to_owned(),
    }
}
