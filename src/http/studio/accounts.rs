//! Altinn Studio account pages (spec studio-accounts §2.1–§2.5, Gitea's paths under `/studio/`):
//! start page, sign-up through Ansattporten, the registration/link form with captcha, password
//! log-in, activation by e-mailed link, log-out, and the account's authorised applications.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::config::Profile;
use crate::domain::studio::Field;
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{Lang, esc, page};
use crate::http::login::{MaybeSession, cookie_value, session_unavailable};
use crate::secret;
use crate::services::idp::ANSATTPORTEN;
use crate::services::studio::{
    ACCOUNT_COOKIE, ACCOUNT_SESSION_SECS, ANSATTPORTEN_SOURCE, DESIGNER_COOKIE, KIND_ACCOUNT,
    KIND_DESIGNER, PendingIdentity, Signup, StudioError, activation_lifetime_text,
};
use crate::store::studio::{Account, Session};

pub const ANON_CSRF_COOKIE: &str = "studio_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio", get(|| async { Redirect::permanent("/studio/") }))
        .route("/studio/", get(start_page))
        .route("/studio/captcha.js", get(captcha_js))
        .route("/studio/user/sign_up", get(sign_up_page).post(sign_up_post))
        .route("/studio/user/login", get(login_page).post(login_post))
        .route("/studio/user/oauth2/{provider}", get(external_start))
        .route(
            "/studio/user/oauth2/{provider}/callback",
            get(external_callback),
        )
        .route("/studio/user/link_account", get(link_account_page))
        .route("/studio/user/link_account_signup", post(link_signup))
        .route("/studio/user/link_account_signin", post(link_signin))
        .route(
            "/studio/user/activate",
            get(activate_get).post(activate_post),
        )
        .route("/studio/user/logout", post(logout))
        .route("/studio/user/settings/applications", get(applications_page))
        .route(
            "/studio/user/settings/applications/revoke",
            post(revoke_application),
        )
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

pub fn studio_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let local = state.app.config.profile == Profile::Local;
    let mut response = (status, page(lang, title, local, body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn message(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let mut body = format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text));
    if let Some((href, label)) = link {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            esc(href),
            esc(label)
        ));
    }
    studio_page(state, lang, status, title, &body)
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
    let page = message(
        state,
        lang,
        status,
        lang.t("Noe gikk galt", "Something went wrong"),
        lang.t("Prøv igjen om litt.", "Try again in a moment."),
        None,
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        with_retry_after(page)
    } else {
        page
    }
}

/// The "form has expired" page (403) for a form without the right CSRF token, with a way back.
pub fn expired_form(state: &AppState, lang: Lang, back: Option<(&str, &str)>) -> Response {
    message(
        state,
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Skjemaet er utløpt", "The form has expired"),
        lang.t(
            "Last siden på nytt og prøv igjen.",
            "Reload the page and try again.",
        ),
        back,
    )
}

fn to_start(lang: Lang) -> Option<(&'static str, &'static str)> {
    Some(("/studio/", lang.t("Til startsiden", "To the start page")))
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
            Some(uid) => match state.app.store.studio_account(uid).await {
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
            Some(uid) => match state.app.store.studio_account(uid).await {
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
async fn sign_in(state: &AppState, old: Option<&str>, user: &Account, goto: &str) -> Response {
    if let Some(old) = old {
        let _ = state.app.end_studio_session(old).await;
    }
    if let Err(e) = state
        .app
        .store
        .touch_studio_login(user.id, state.app.clock.now())
        .await
    {
        tracing::warn!(error = %e, "cannot record the log-in time");
    }
    match state
        .app
        .new_studio_session(KIND_ACCOUNT, Some(user.id), json!({}))
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

/// Only local Studio paths are destinations after log-in.
/// What to tell a person whose attempt was not checked (too many failures, or a busy server),
/// and the status to answer with; `None` for other errors.
fn not_checked(lang: Lang, e: &StudioError) -> Option<(&'static str, StatusCode)> {
    match e {
        StudioError::RateLimited => Some((
            lang.t(
                "For mange forsøk. Vent et minutt og prøv igjen.",
                "Too many attempts. Wait a minute and try again.",
            ),
            StatusCode::TOO_MANY_REQUESTS,
        )),
        StudioError::Busy(_) => Some((
            lang.t(
                "Tjenesten er travel akkurat nå. Prøv igjen om et øyeblikk.",
                "The service is busy right now. Try again in a moment.",
            ),
            StatusCode::SERVICE_UNAVAILABLE,
        )),
        _ => None,
    }
}

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

// ---- start, sign-up, log-in ----------------------------------------------------------------

async fn start_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(designer): MaybeDesigner,
) -> Response {
    if designer.is_some() {
        return Redirect::to("/studio/dashboard").into_response();
    }
    let body = format!(
        "<h1>Altinn Studio</h1><p>{}</p>\
         <p><a class=\"button\" id=\"login\" href=\"/studio/login\">{}</a> \
         <a class=\"button\" id=\"sign-up\" href=\"/studio/user/sign_up\">{}</a></p>\
         <p class=\"muted\">{}</p>",
        lang.t(
            "Lag digitale tjenester for Altinn. Du logger inn med Ansattporten (BankID, MinID …).",
            "Build digital services for Altinn. You log in with Ansattporten (BankID, MinID …)."
        ),
        lang.t("Logg inn", "Log in"),
        lang.t("Opprett ny bruker", "Create new user"),
        lang.t(
            "Har du en bruker fra før (uten Ansattporten)? Koble den til Ansattporten første gang du logger inn, ellers får du en ny bruker uten tilgang til applikasjonene dine.",
            "Already have a user (without Ansattporten)? Link it to Ansattporten the first time you log in, or you get a new user without access to your applications."
        ),
    );
    // The start page forgets the Studio cookies (spec §2.1).
    let mut response = studio_page(&state, lang, StatusCode::OK, "Altinn Studio", &body);
    response.headers_mut().append(
        header::SET_COOKIE,
        studio_cookie(&state, DESIGNER_COOKIE, "", 0),
    );
    response
}

fn ansattporten_button(lang: Lang) -> String {
    format!(
        "<p><a class=\"button\" id=\"ansattporten\" href=\"/studio/user/oauth2/ansattporten\">{}</a></p>",
        lang.t("Logg inn med Ansattporten", "Log in with Ansattporten")
    )
}

async fn sign_up_page(State(state): State<AppState>, lang: Lang) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p>{}",
        lang.t("Opprett ny bruker", "Create new user"),
        lang.t(
            "Av sikkerhetshensyn kan nye brukere bare registreres gjennom Ansattporten. Logg inn med Ansattporten nedenfor, så fyller du ut brukernavn, e-post og passord etterpå.",
            "For security reasons, new users can only register through Ansattporten. Log in with Ansattporten below, then choose a user name, e-mail and password."
        ),
        ansattporten_button(lang),
    );
    studio_page(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Opprett ny bruker", "Create new user"),
        &body,
    )
}

async fn sign_up_post(State(state): State<AppState>, lang: Lang) -> Response {
    message(
        &state,
        lang,
        StatusCode::FORBIDDEN,
        lang.t("Registrering er stengt", "Registration is closed"),
        lang.t(
            "Nye brukere registreres bare gjennom Ansattporten.",
            "New users register through Ansattporten only.",
        ),
        Some((
            "/studio/user/oauth2/ansattporten",
            lang.t("Logg inn med Ansattporten", "Log in with Ansattporten"),
        )),
    )
}

fn login_form(
    lang: Lang,
    csrf: &str,
    redirect_to: &str,
    user_name: &str,
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
    format!(
        "<h1>{title}</h1>{error}{button}<h2>{pw}</h2>\
         <form method=\"post\" action=\"/studio/user/login\">\
         <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"redirect_to\" value=\"{redirect}\">\
         <p><label for=\"user_name\">{un}</label><br><input id=\"user_name\" name=\"user_name\" autocomplete=\"username\" value=\"{uv}\" required></p>\
         <p><label for=\"password\">{pl}</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
         <p><button type=\"submit\">{submit}</button></p></form>\
         <p><a href=\"/studio/user/sign_up\">{new}</a></p>",
        title = lang.t("Logg inn i Altinn Studio", "Log in to Altinn Studio"),
        button = ansattporten_button(lang),
        pw = lang.t(
            "Eller med brukernavn og passord",
            "Or with user name and password"
        ),
        csrf = esc(csrf),
        redirect = esc(redirect_to),
        un = lang.t("Brukernavn eller e-post", "User name or e-mail"),
        uv = esc(user_name),
        pl = lang.t("Passord", "Password"),
        submit = lang.t("Logg inn", "Log in"),
        new = lang.t("Opprett ny bruker", "Create new user"),
    )
}

#[derive(serde::Deserialize)]
struct RedirectQuery {
    redirect_to: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<RedirectQuery>,
) -> Response {
    let (csrf, new) = anon_csrf(&headers);
    let body = login_form(
        lang,
        &csrf,
        &studio_goto(q.redirect_to.as_deref()),
        "",
        None,
    );
    let response = studio_page(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Logg inn", "Log in"),
        &body,
    );
    if new {
        with_cookie(
            response,
            studio_cookie(&state, ANON_CSRF_COOKIE, &csrf, 3600),
        )
    } else {
        response
    }
}

async fn login_post(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    MaybeAccount(current): MaybeAccount,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return expired_form(&state, lang, to_start(lang));
    };
    let (csrf, _) = anon_csrf(&headers);
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &csrf) {
        return expired_form(&state, lang, to_start(lang));
    }
    let goto = studio_goto(Some(form_field(&f, "redirect_to")));
    let name = form_field(&f, "user_name");
    // Gitea also accepts the e-mail address.
    let name_or_email = if name.contains('@') {
        match state.app.store.studio_user_by_email(name).await {
            Ok(Some(u)) => u.name,
            _ => name.to_owned(),
        }
    } else {
        name.to_owned()
    };
    let ip = addr.to_string();
    match state
        .app
        .studio_check_password(&name_or_email, form_field(&f, "password"), Some(&ip))
        .await
    {
        Ok(user) => {
            let goto = if user.is_active {
                goto
            } else {
                "/studio/user/activate".to_owned()
            };
            sign_in(
                &state,
                current.as_ref().map(|c| c.id.as_str()),
                &user,
                &goto,
            )
            .await
        }
        Err(StudioError::Credentials) => {
            let body = login_form(
                lang,
                &csrf,
                &goto,
                name,
                Some(lang.t(
                    "Brukernavnet eller passordet er feil.",
                    "The user name or password is incorrect.",
                )),
            );
            studio_page(
                &state,
                lang,
                StatusCode::OK,
                lang.t("Logg inn", "Log in"),
                &body,
            )
        }
        Err(e) if not_checked(lang, &e).is_some() => {
            let (text, status) = not_checked(lang, &e).unwrap_or_default();
            let body = login_form(lang, &csrf, &goto, name, Some(text));
            with_retry_after(studio_page(
                &state,
                lang,
                status,
                lang.t("Logg inn", "Log in"),
                &body,
            ))
        }
        Err(e) => server_error(&state, lang, &e),
    }
}

async fn external_start(
    State(state): State<AppState>,
    lang: Lang,
    Path(provider): Path<String>,
) -> Response {
    if provider != ANSATTPORTEN_SOURCE {
        return message(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Ukjent innloggingstjeneste", "Unknown log-in provider"),
            lang.t(
                "Altinn Studio bruker Ansattporten.",
                "Altinn Studio uses Ansattporten.",
            ),
            Some(("/studio/user/oauth2/ansattporten", "Ansattporten")),
        );
    }
    match state
        .app
        .start_login(
            ANSATTPORTEN,
            Some("/studio/user/oauth2/ansattporten/callback"),
        )
        .await
    {
        Ok((url, flow)) => crate::http::login::to_provider(&state, &url, &flow),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the Ansattporten log-in");
            message(
                &state,
                lang,
                StatusCode::BAD_GATEWAY,
                lang.t("Ansattporten svarer ikke", "Ansattporten does not answer"),
                &e.to_string(),
                Some(("/studio/user/login", lang.t("Prøv igjen", "Try again"))),
            )
        }
    }
}

/// After the eID log-in (tilgang's relying-party callback has checked the ID token): find the
/// linked user, or keep the identity for the registration form.
async fn external_callback(
    State(state): State<AppState>,
    lang: Lang,
    Path(provider): Path<String>,
    MaybeSession(web): MaybeSession,
    MaybeAccount(current): MaybeAccount,
) -> Response {
    let Some((web_id, web)) =
        web.filter(|(_, s)| s.provider == ANSATTPORTEN.path && provider == ANSATTPORTEN_SOURCE)
    else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let sub = crate::jose::decode_unverified(&web.id_token)
        .ok()
        .and_then(|t| {
            t.claims
                .get("sub")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        });
    let Some(sub) = sub else {
        return Redirect::to("/studio/user/login").into_response();
    };
    // The eID session has done its job; Studio keeps its own.
    let _ = state.app.store.delete_session(&secret::hash(&web_id)).await;
    let who = PendingIdentity {
        source: ANSATTPORTEN_SOURCE.into(),
        sub,
        pid: web.pid.clone(),
        name: web.name.clone(),
    };
    let clear_web =
        HeaderValue::from_static("tilgang_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let old = current.as_ref().map(|c| c.id.clone());
    match state.app.studio_user_for(&who).await {
        Ok(Some(user)) => {
            let goto = if user.is_active {
                "/studio/login"
            } else {
                "/studio/user/activate"
            };
            with_cookie(
                sign_in(&state, old.as_deref(), &user, goto).await,
                clear_web,
            )
        }
        Ok(None) => {
            if let Some(old) = &old {
                let _ = state.app.end_studio_session(old).await;
            }
            match state
                .app
                .new_studio_session(KIND_ACCOUNT, None, json!({"pending": who}))
                .await
            {
                Ok((id, _)) => {
                    let response = with_cookie(
                        Redirect::to("/studio/user/link_account").into_response(),
                        studio_cookie(&state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS),
                    );
                    with_cookie(response, clear_web)
                }
                Err(e) => server_error(&state, lang, &e),
            }
        }
        Err(e) => server_error(&state, lang, &e),
    }
}

// ---- the registration / link form -----------------------------------------------------------

fn pending_of(s: &AccountSession) -> Option<PendingIdentity> {
    s.session
        .data
        .get("pending")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
}

struct SignupView<'a> {
    user_name: &'a str,
    email: &'a str,
    error: Option<(Field, String)>,
    signin_error: Option<String>,
    signin_name: &'a str,
}

fn field_attrs(error: &Option<(Field, String)>, field: Field, id: &str) -> String {
    match error {
        Some((f, _)) if *f == field => {
            format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error\"")
        }
        _ => String::new(),
    }
}

fn field_error(error: &Option<(Field, String)>, field: Field, id: &str) -> String {
    match error {
        Some((f, m)) if *f == field => format!(
            "<br><span class=\"error\" id=\"{id}-error\">{}</span>",
            esc(m)
        ),
        _ => String::new(),
    }
}

fn link_account_html(
    state: &AppState,
    lang: Lang,
    who: &PendingIdentity,
    csrf: &str,
    v: &SignupView<'_>,
) -> String {
    let challenge = state.app.new_captcha();
    let challenge_json = serde_json::to_string(&challenge).unwrap_or_default();
    let flash = match (&v.error, &v.signin_error) {
        (Some((_, m)), _) | (None, Some(m)) => format!(
            "<p class=\"error\" role=\"alert\" id=\"flash\">{}</p>",
            esc(m)
        ),
        _ => String::new(),
    };
    let e = &v.error;
    format!(
        "<h1>{title}</h1><p>{hello}</p>{flash}\
         <section aria-labelledby=\"signup-h\"><h2 id=\"signup-h\">{tab1}</h2><p>{intro}</p>\
         <form method=\"post\" action=\"/studio/user/link_account_signup\" id=\"signup\" novalidate>\
         <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
         <p><label for=\"user_name\">{un}</label><br><input id=\"user_name\" name=\"user_name\" autocomplete=\"username\" maxlength=\"40\" value=\"{unv}\"{una}>{une}</p>\
         <p><label for=\"email\">{em}</label><br><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" maxlength=\"254\" value=\"{emv}\"{ema}>{eme}</p>\
         <p><label for=\"password\">{pw}</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\"{pwa}>{pwe}<br><span class=\"muted\">{pwhint}</span></p>\
         <p><label for=\"retype\">{rt}</label><br><input id=\"retype\" name=\"retype\" type=\"password\" autocomplete=\"new-password\"{rta}>{rte}</p>\
         <div class=\"captcha\" id=\"captcha\" data-challenge=\"{challenge}\"><input type=\"hidden\" name=\"captcha\" id=\"captcha-answer\">\
         <p id=\"captcha-status\" role=\"status\" aria-live=\"polite\">{cap}</p></div>\
         <p><button type=\"submit\" id=\"signup-submit\">{submit}</button></p></form></section>\
         <section aria-labelledby=\"signin-h\"><h2 id=\"signin-h\">{tab2}</h2><p>{link_intro}</p>\
         <form method=\"post\" action=\"/studio/user/link_account_signin\" id=\"signin\">\
         <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
         <p><label for=\"link_user_name\">{un2}</label><br><input id=\"link_user_name\" name=\"user_name\" autocomplete=\"username\" value=\"{sn}\"></p>\
         <p><label for=\"link_password\">{pw2}</label><br><input id=\"link_password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"></p>\
         <p><button type=\"submit\">{link}</button></p></form></section>\
         <script src=\"/studio/captcha.js\"></script>",
        title = lang.t("Registrer eller koble til konto", "Register or link an account"),
        hello = esc(&format!("{} {}.", lang.t("Du er logget inn med Ansattporten som", "You logged in with Ansattporten as"), who.name)),
        tab1 = lang.t("Registrer ny konto", "Register new account"),
        intro = lang.t(
            "Registrer e-postadressen din og lag et passord for Altinn Studio. E-posten brukes blant annet hvis du må gjenopprette kontoen.",
            "Register your e-mail and create a password for Altinn Studio, used for example to recover your account."
        ),
        un = lang.t("Brukernavn", "User name"),
        unv = esc(v.user_name),
        una = field_attrs(e, Field::Username, "user_name"),
        une = field_error(e, Field::Username, "user_name"),
        em = lang.t("E-postadresse", "E-mail address"),
        emv = esc(v.email),
        ema = field_attrs(e, Field::Email, "email"),
        eme = field_error(e, Field::Email, "email"),
        pw = lang.t("Passord", "Password"),
        pwa = field_attrs(e, Field::Password, "password"),
        pwe = field_error(e, Field::Password, "password"),
        pwhint = lang.t(
            "Minst 8 tegn, med liten og stor bokstav, tall og spesialtegn.",
            "At least 8 characters, with lowercase and uppercase letters, a digit and a special character."
        ),
        rt = lang.t("Gjenta passordet", "Repeat the password"),
        rta = field_attrs(e, Field::Retype, "retype"),
        rte = field_error(e, Field::Retype, "retype"),
        challenge = esc(&challenge_json),
        cap = lang.t(
            "Bekrefter at du er et menneske … (dette skjer automatisk)",
            "Checking that you are human … (this happens by itself)"
        ),
        submit = lang.t("Fullfør konto", "Complete Account"),
        tab2 = lang.t("Koble til eksisterende konto", "Link to existing account"),
        link_intro = lang.t(
            "Har du en Altinn Studio-bruker fra før? Logg inn med den for å koble den til Ansattporten.",
            "Already have an Altinn Studio user? Log in with it to link it to Ansattporten."
        ),
        un2 = lang.t("Brukernavn", "User name"),
        sn = esc(v.signin_name),
        pw2 = lang.t("Passord", "Password"),
        link = lang.t("Koble til konto", "Link account"),
    )
}

fn link_account_response(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    who: &PendingIdentity,
    v: &SignupView<'_>,
    status: StatusCode,
) -> Response {
    let body = link_account_html(state, lang, who, &s.session.csrf, v);
    studio_page(
        state,
        lang,
        status,
        lang.t("Registrer konto", "Register account"),
        &body,
    )
}

async fn link_account_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
) -> Response {
    let Some(s) = s else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let Some(who) = pending_of(&s) else {
        return Redirect::to("/studio/user/login").into_response();
    };
    link_account_response(
        &state,
        lang,
        &s,
        &who,
        &SignupView {
            user_name: "",
            email: "",
            error: None,
            signin_error: None,
            signin_name: "",
        },
        StatusCode::OK,
    )
}

fn no_pending(state: &AppState, lang: Lang) -> Response {
    message(
        state,
        lang,
        StatusCode::BAD_REQUEST,
        lang.t("Innloggingen er utløpt", "The log-in has expired"),
        lang.t(
            "Logg inn med Ansattporten på nytt for å registrere deg.",
            "Log in with Ansattporten again to register.",
        ),
        Some((
            "/studio/user/oauth2/ansattporten",
            lang.t("Logg inn med Ansattporten", "Log in with Ansattporten"),
        )),
    )
}

async fn link_signup(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(s) = s else {
        return no_pending(&state, lang);
    };
    let Some(who) = pending_of(&s) else {
        return no_pending(&state, lang);
    };
    let f = match checked_form(&state, lang, form, &s.session.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ip = addr.to_string();
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect::<String>());
    let result = state
        .app
        .studio_signup(
            &who,
            &Signup {
                user_name: form_field(&f, "user_name"),
                email: form_field(&f, "email"),
                password: form_field(&f, "password"),
                retype: form_field(&f, "retype"),
                captcha: form_field(&f, "captcha"),
                ip: Some(&ip),
                agent: agent.as_deref(),
            },
        )
        .await;
    let en = lang == Lang::En;
    let again = |error: (Field, String), status: StatusCode| {
        link_account_response(
            &state,
            lang,
            &s,
            &who,
            &SignupView {
                user_name: form_field(&f, "user_name"),
                email: form_field(&f, "email"),
                error: Some(error),
                signin_error: None,
                signin_name: "",
            },
            status,
        )
    };
    match result {
        Ok(user) => {
            // The identity is linked now: the session becomes the (inactive) user's.
            let _ = state.app.end_studio_session(&s.id).await;
            match state
                .app
                .new_studio_session(KIND_ACCOUNT, Some(user.id), json!({}))
                .await
            {
                Ok((id, session)) => with_cookie(
                    activation_prompt(&state, lang, &user, &session.csrf, Some(Notice::Sent)),
                    studio_cookie(&state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS),
                ),
                Err(e) => server_error(&state, lang, &e),
            }
        }
        Err(StudioError::Field(field, problem)) => {
            again((field, problem.message(en)), StatusCode::OK)
        }
        Err(StudioError::Captcha) => again(
            (
                Field::Username,
                lang.t(
                    "Captcha-koden er feil. Vent til bekreftelsen er ferdig, og prøv igjen.",
                    "The CAPTCHA code is incorrect. Wait for the check to finish and try again.",
                )
                .to_owned(),
            ),
            StatusCode::OK,
        ),
        Err(e) if not_checked(lang, &e).is_some() => {
            let (text, status) = not_checked(lang, &e).unwrap_or_default();
            with_retry_after(again((Field::Username, text.to_owned()), status))
        }
        Err(StudioError::Credentials) => Redirect::to("/studio/user/login").into_response(),
        Err(e) => server_error(&state, lang, &e),
    }
}

async fn link_signin(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(addr): ClientAddr,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(s) = s else {
        return no_pending(&state, lang);
    };
    let Some(who) = pending_of(&s) else {
        return no_pending(&state, lang);
    };
    let f = match checked_form(&state, lang, form, &s.session.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ip = addr.to_string();
    match state
        .app
        .studio_link_existing(
            &who,
            form_field(&f, "user_name"),
            form_field(&f, "password"),
            Some(&ip),
        )
        .await
    {
        Ok(user) => {
            let goto = if user.is_active {
                "/studio/login"
            } else {
                "/studio/user/activate"
            };
            sign_in(&state, Some(&s.id), &user, goto).await
        }
        Err(e @ (StudioError::Credentials | StudioError::RateLimited | StudioError::Busy(_))) => {
            let (text, status) = not_checked(lang, &e).unwrap_or((
                lang.t(
                    "Brukernavnet eller passordet er feil.",
                    "The user name or password is incorrect.",
                ),
                StatusCode::OK,
            ));
            link_account_response(
                &state,
                lang,
                &s,
                &who,
                &SignupView {
                    user_name: "",
                    email: "",
                    error: None,
                    signin_error: Some(text.to_owned()),
                    signin_name: form_field(&f, "user_name"),
                },
                status,
            )
        }
        Err(e) => server_error(&state, lang, &e),
    }
}

// ---- activation ---------------------------------------------------------------------------

/// What the activation page says above its forms.
enum Notice {
    /// A mail with a new link went out.
    Sent,
    /// The resend limit held the mail back.
    Limited,
    /// The new address was refused.
    Error(String),
}

/// The activation page: the prompt after sign-up, and what every signed-in page shows while
/// the account is not active.
fn activation_prompt(
    state: &AppState,
    lang: Lang,
    user: &Account,
    csrf: &str,
    notice: Option<Notice>,
) -> Response {
    let (nb, en) = activation_lifetime_text(&state.app);
    let lifetime = if lang == Lang::En { en } else { nb };
    let notice = match notice {
        Some(Notice::Sent) => format!(
            "<p id=\"flash\" role=\"status\">{}</p>",
            esc(&if lang == Lang::En {
                format!(
                    "A confirmation e-mail has been sent to {}. Open the link in it within {lifetime} to activate your account. If the address is wrong, change it below.",
                    user.email
                )
            } else {
                format!(
                    "En bekreftelse er sendt til {}. Åpne lenken i e-posten innen {lifetime} for å aktivere kontoen. Er adressen feil, kan du endre den nedenfor.",
                    user.email
                )
            })
        ),
        Some(Notice::Limited) => format!(
            "<p id=\"flash\" class=\"error\" role=\"alert\">{}</p>",
            lang.t(
                "Vi har nettopp sendt deg en e-post. Vent 3 minutter før du ber om en ny.",
                "We have just sent you an e-mail. Wait 3 minutes before asking for another."
            )
        ),
        Some(Notice::Error(e)) => format!(
            "<p id=\"flash\" class=\"error\" role=\"alert\">{}</p>",
            esc(&e)
        ),
        None => String::new(),
    };
    let text = if lang == Lang::En {
        format!(
            "The account {} is not activated yet. We sent a link to {}.",
            user.name, user.email
        )
    } else {
        format!(
            "Kontoen {} er ikke aktivert ennå. Vi sendte en lenke til {}.",
            user.name, user.email
        )
    };
    let body = format!(
        "<h1>{title}</h1>{notice}<p>{text}</p>\
         <form method=\"post\" action=\"/studio/user/activate\"><input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"action\" value=\"resend\"><button type=\"submit\" id=\"resend\">{resend}</button></form>\
         <h2>{change}</h2><form method=\"post\" action=\"/studio/user/activate\"><input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"action\" value=\"change_email\">\
         <p><label for=\"email\">{newaddr}</label><br><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" value=\"{email}\"></p>\
         <p><button type=\"submit\">{save}</button></p></form>",
        title = lang.t("Aktiver kontoen din", "Activate your account"),
        text = esc(&text),
        resend = lang.t(
            "Send e-post med aktiveringslenke på nytt",
            "Resend the activation e-mail"
        ),
        change = lang.t("Endre e-postadresse", "Change e-mail address"),
        newaddr = lang.t("Ny e-postadresse", "New e-mail address"),
        email = esc(&user.email),
        save = lang.t("Lagre og send ny lenke", "Save and send a new link"),
        csrf = esc(csrf),
    );
    studio_page(
        state,
        lang,
        StatusCode::OK,
        lang.t("Aktiver kontoen din", "Activate your account"),
        &body,
    )
}

/// Shows the activation page for an inactive signed-in user (with the session's CSRF token).
pub async fn inactive_page(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    user: &Account,
) -> Response {
    activation_prompt(state, lang, user, &s.session.csrf, None)
}

#[derive(serde::Deserialize)]
struct ActivateQuery {
    code: Option<String>,
}

async fn activate_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<ActivateQuery>,
) -> Response {
    if let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) {
        return match state.app.studio_activate(code).await {
            Ok(Some(user)) => {
                // Only the browser that is already signed in as this account stays signed in
                // (with a new session id); a link opened elsewhere (another person, a mail
                // scanner) activates the account but signs nobody in.
                let same_user = s.as_ref().is_some_and(|s| s.session.user_id == Some(user.id));
                let body = format!(
                    "<h1>{}</h1><p id=\"flash\" role=\"status\">{}</p><p><a class=\"button\" id=\"continue\" href=\"/studio/login\">{}</a></p>",
                    lang.t("Kontoen er aktivert", "Your account has been activated"),
                    esc(&if lang == Lang::En {
                        format!("Welcome, {}. Next, allow Altinn Studio to use your account.", user.name)
                    } else {
                        format!("Velkommen, {}. Nå gir du Altinn Studio tilgang til kontoen din.", user.name)
                    }),
                    lang.t("Fortsett til Altinn Studio", "Continue to Altinn Studio"),
                );
                let page = studio_page(&state, lang, StatusCode::OK, lang.t("Kontoen er aktivert", "Account activated"), &body);
                let Some(old) = s.as_ref().filter(|_| same_user).map(|s| s.id.clone()) else {
                    return page;
                };
                let _ = state.app.end_studio_session(&old).await;
                match state.app.new_studio_session(KIND_ACCOUNT, Some(user.id), json!({})).await {
                    Ok((id, _)) => with_cookie(page, studio_cookie(&state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS)),
                    Err(e) => server_error(&state, lang, &e),
                }
            }
            Ok(None) => message(
                &state,
                lang,
                StatusCode::OK,
                lang.t("Ugyldig lenke", "Invalid link"),
                lang.t(
                    "Bekreftelseskoden er ugyldig eller utløpt. Logg inn på nytt med Ansattporten: er kontoen allerede aktivert, kommer du rett inn; hvis ikke kan du be om en ny lenke.",
                    "Your confirmation code is invalid or has expired. Log in again with Ansattporten: if the account is already active you get straight in; if not, you can ask for a new link.",
                ),
                Some(("/studio/user/oauth2/ansattporten", lang.t("Logg inn med Ansattporten", "Log in with Ansattporten"))),
            ),
            Err(e) => server_error(&state, lang, &e),
        };
    }
    let Some(s) = s else {
        return Redirect::to("/studio/user/login").into_response();
    };
    match &s.user {
        None => Redirect::to("/studio/user/login").into_response(),
        Some(u) if u.is_active => Redirect::to("/studio/login").into_response(),
        Some(u) => inactive_page(&state, lang, &s, u).await,
    }
}

async fn activate_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(s) = s else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let Some(user) = s.user.clone() else {
        return Redirect::to("/studio/user/login").into_response();
    };
    if user.is_active {
        return Redirect::to("/studio/login").into_response();
    }
    let f = match checked_form(&state, lang, form, &s.session.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let csrf = &s.session.csrf;
    let now = state.app.clock.now();
    if !state
        .app
        .limits
        .allow(&format!("resend:{}", user.id), 10, now)
    {
        return activation_prompt(&state, lang, &user, csrf, Some(Notice::Limited));
    }
    match form_field(&f, "action") {
        "change_email" => match state
            .app
            .studio_change_email(&user, form_field(&f, "email"))
            .await
        {
            Ok((updated, sent)) => {
                let notice = if sent { Notice::Sent } else { Notice::Limited };
                activation_prompt(&state, lang, &updated, csrf, Some(notice))
            }
            Err(StudioError::Field(_, p)) => {
                let error = Notice::Error(p.message(lang == Lang::En));
                activation_prompt(&state, lang, &user, csrf, Some(error))
            }
            Err(e) => server_error(&state, lang, &e),
        },
        _ => match state.app.send_activation_mail(&user).await {
            Ok(sent) => {
                let notice = if sent { Notice::Sent } else { Notice::Limited };
                activation_prompt(&state, lang, &user, csrf, Some(notice))
            }
            Err(e) => server_error(&state, lang, &e),
        },
    }
}

async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    MaybeDesigner(d): MaybeDesigner,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return expired_form(&state, lang, to_start(lang));
    };
    let token = form_field(&f, "_csrf");
    let ok = s
        .as_ref()
        .is_some_and(|s| secret::constant_time_eq(token, &s.session.csrf))
        || d.as_ref()
            .is_some_and(|d| secret::constant_time_eq(token, &d.session.csrf));
    if !ok && (s.is_some() || d.is_some()) {
        return expired_form(&state, lang, to_start(lang));
    }
    if let Some(s) = &s {
        let _ = state.app.end_studio_session(&s.id).await;
    }
    if let Some(d) = &d {
        let _ = state.app.end_studio_session(&d.id).await;
    }
    let response = with_cookie(
        Redirect::to("/studio/").into_response(),
        studio_cookie(&state, ACCOUNT_COOKIE, "", 0),
    );
    with_cookie(response, studio_cookie(&state, DESIGNER_COOKIE, "", 0))
}

// ---- account settings: authorised applications ---------------------------------------------

async fn applications_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
) -> Response {
    let Some(s) = s else {
        return Redirect::to("/studio/user/login?redirect_to=/studio/user/settings/applications")
            .into_response();
    };
    let Some(user) = s.user.clone() else {
        return Redirect::to("/studio/user/login").into_response();
    };
    if !user.is_active {
        return inactive_page(&state, lang, &s, &user).await;
    }
    let grants = match state.app.store.oauth_grants_of(user.id).await {
        Ok(g) => g,
        Err(e) => return server_error(&state, lang, &e),
    };
    let mut body = format!(
        "<h1>{}</h1><p>{}</p>",
        lang.t("Autoriserte applikasjoner", "Authorized applications"),
        lang.t(
            "Applikasjoner du har gitt tilgang til kontoen din. Trekker du tilgangen tilbake, må applikasjonen spørre på nytt.",
            "Applications you have given access to your account. If you revoke access, the application must ask again."
        )
    );
    if grants.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"no-grants\">{}</p>",
            lang.t(
                "Ingen applikasjoner har tilgang.",
                "No application has access."
            )
        ));
    } else {
        body.push_str("<ul id=\"grants\">");
        for g in &grants {
            body.push_str(&format!(
                "<li><strong>{}</strong> ({} {}) <form method=\"post\" action=\"/studio/user/settings/applications/revoke\" style=\"display:inline\">\
                 <input type=\"hidden\" name=\"_csrf\" value=\"{}\"><input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\">{}</button></form></li>",
                esc(&g.app_name),
                lang.t("gitt", "granted"),
                esc(&crate::clock::format_micros(g.created_at)[..10]),
                esc(&s.session.csrf),
                g.id,
                lang.t("Trekk tilbake", "Revoke"),
            ));
        }
        body.push_str("</ul>");
    }
    studio_page(
        &state,
        lang,
        StatusCode::OK,
        lang.t("Autoriserte applikasjoner", "Authorized applications"),
        &body,
    )
}

async fn revoke_application(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(s) = s else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let Some(user) = s.user.clone() else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let f = match checked_form(&state, lang, form, &s.session.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(id) = form_field(&f, "id").parse::<i64>() else {
        return expired_form(&state, lang, to_start(lang));
    };
    match state.app.store.delete_oauth_grant(user.id, id).await {
        Ok(_) => {
            // The application's sessions end with the grant.
            let _ = state
                .app
                .store
                .delete_studio_sessions_of(user.id, KIND_DESIGNER)
                .await;
            Redirect::to("/studio/user/settings/applications").into_response()
        }
        Err(e) => server_error(&state, lang, &e),
    }
}

/// The proof-of-work solver for the registration form (ALTCHA's scheme: find n with
/// SHA-256(salt + n) = challenge), with a status line for screen readers.
async fn captcha_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CAPTCHA_JS,
    )
        .into_response()
}

const CAPTCHA_JS: &str = r#"(function () {
  var box = document.getElementById('captcha');
  if (!box) return;
  var status = document.getElementById('captcha-status');
  var answer = document.getElementById('captcha-answer');
  var submit = document.getElementById('signup-submit');
  var en = document.documentElement.lang === 'en';
  var c = JSON.parse(box.getAttribute('data-challenge'));
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  async function solve() {
    var enc = new TextEncoder();
    for (var n = 0; n <= c.maxnumber; n++) {
      var h = hex(await crypto.subtle.digest('SHA-256', enc.encode(c.salt + n)));
      if (h === c.challenge) return n;
    }
    return null;
  }
  if (submit) submit.disabled = true;
  solve().then(function (n) {
    if (n === null) { status.textContent = en ? 'The check failed. Reload the page.' : 'Kontrollen feilet. Last siden på nytt.'; return; }
    answer.value = btoa(JSON.stringify({algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature}));
    status.textContent = en ? 'Verified ✓ You can complete the account.' : 'Bekreftet ✓ Du kan fullføre kontoen.';
    box.setAttribute('data-state', 'verified');
    if (submit) submit.disabled = false;
  });
})();
"#;
