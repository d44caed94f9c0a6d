//! The start page, the password log-in and log-out.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    ANON_CSRF_COOKIE, AccountTexts, Input, MaybeAccount, MaybeDesigner, anon_csrf, expired_form,
    form_field, not_checked, server_error, sign_in, studio, studio_cookie, studio_goto, to_start,
    with_cookie, with_retry_after,
};
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{Frame, Lang, PageResult, texts};
use crate::secret;
use crate::services::studio::{ACCOUNT_COOKIE, DESIGNER_COOKIE, Device, StudioError};

texts! {
    pub struct LoginTexts {
        intro: [
            "Lag digitale tjenester for Altinn. Du logger inn med Ansattporten (BankID, MinID …).",
            "Lag digitale tenester for Altinn. Du loggar inn med Ansattporten (BankID, MinID …).",
            "Build digital services for Altinn. You log in with Ansattporten (BankID, MinID …).",
        ],
        existing_user: [
            "Har du en bruker fra før (uten Ansattporten)? Koble den til Ansattporten første gang du logger inn, ellers får du en ny bruker uten tilgang til applikasjonene dine.",
            "Har du ein brukar frå før (utan Ansattporten)? Kople han til Ansattporten første gongen du loggar inn, elles får du ein ny brukar utan tilgang til applikasjonane dine.",
            "Already have a user (without Ansattporten)? Link it to Ansattporten the first time you log in, or you get a new user without access to your applications.",
        ],
        heading: ["Logg inn i Altinn Studio", "Logg inn i Altinn Studio", "Log in to Altinn Studio"],
        or_password: [
            "Eller med brukernavn og passord",
            "Eller med brukarnamn og passord",
            "Or with user name and password",
        ],
        name_or_email: ["Brukernavn eller e-post", "Brukarnamn eller e-post", "User name or e-mail"],
        forgot: ["Glemt passordet?", "Gløymt passordet?", "Forgot the password?"],
        password_reset: [
            "Passordet er endret, og du er logget ut overalt. Logg inn med det nye passordet.",
            "Passordet er endra, og du er logga ut overalt. Logg inn med det nye passordet.",
            "The password is changed, and you are logged out everywhere. Log in with the new password.",
        ],
    }
}

#[derive(Template)]
#[template(path = "studio/start.html")]
struct StartPage {
    f: Frame,
    t: &'static LoginTexts,
    c: &'static AccountTexts,
}

#[derive(Template)]
#[template(path = "studio/login.html")]
struct LoginPage<'a> {
    f: Frame,
    t: &'static LoginTexts,
    c: &'static AccountTexts,
    csrf: &'a str,
    redirect_to: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    fields: [Input<'a>; 2],
}

pub(super) async fn start_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(designer): MaybeDesigner,
) -> Response {
    if designer.is_some() {
        return Redirect::to("/studio/dashboard").into_response();
    }
    let page = studio(
        StatusCode::OK,
        &StartPage {
            f: Frame::new(&state, lang, "Altinn Studio"),
            t: LoginTexts::of(lang),
            c: AccountTexts::of(lang),
        },
    );
    // The start page forgets the Studio cookies (spec §2.1).
    with_cookie(page, studio_cookie(&state, DESIGNER_COOKIE, "", 0))
}

/// What the log-in page says above the form.
enum Said<'a> {
    Nothing,
    /// What went wrong with the log-in just tried.
    Error(&'a str),
    /// What the page before did (a password was reset).
    Notice(&'a str),
}

/// The log-in page with the user name kept and what went wrong, if anything.
fn login_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    csrf: &str,
    redirect_to: &str,
    user_name: &str,
    said: Said<'_>,
) -> Response {
    let (error, notice) = match said {
        Said::Nothing => (None, None),
        Said::Error(e) => (Some(e), None),
        Said::Notice(n) => (None, Some(n)),
    };
    let (t, c) = (LoginTexts::of(lang), AccountTexts::of(lang));
    studio(
        status,
        &LoginPage {
            f: Frame::new(state, lang, c.log_in).with_errors(error.is_some()),
            t,
            c,
            csrf,
            redirect_to,
            error,
            notice,
            fields: [
                Input::new("user_name", "user_name", t.name_or_email)
                    .autocomplete("username")
                    .value(user_name)
                    .required(),
                Input::new("password", "password", c.password)
                    .kind("password")
                    .autocomplete("current-password")
                    .required(),
            ],
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct RedirectQuery {
    redirect_to: Option<String>,
    /// What the form before did: `password_reset`.
    notice: Option<String>,
}

pub(super) async fn login_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<RedirectQuery>,
) -> Response {
    let (csrf, new) = anon_csrf(&headers);
    let goto = studio_goto(q.redirect_to.as_deref());
    let said = match q.notice.as_deref() {
        Some("password_reset") => Said::Notice(LoginTexts::of(lang).password_reset),
        _ => Said::Nothing,
    };
    let page = login_form(&state, lang, StatusCode::OK, &csrf, &goto, "", said);
    if new {
        with_cookie(page, studio_cookie(&state, ANON_CSRF_COOKIE, &csrf, 3600))
    } else {
        page
    }
}

pub(super) async fn login_post(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    MaybeAccount(current): MaybeAccount,
    device: Device,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Ok(Form(f)) = form else {
        return Ok(expired_form(&state, lang, to_start(lang)));
    };
    let (csrf, _) = anon_csrf(&headers);
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &csrf) {
        return Ok(expired_form(&state, lang, to_start(lang)));
    }
    let goto = studio_goto(Some(form_field(&f, "redirect_to")));
    let name = form_field(&f, "user_name");
    // Gitea also accepts the e-mail address.
    let name_or_email = state
        .app
        .studio_login_name(name)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let ip = addr.to_string();
    let again =
        |status, error| login_form(&state, lang, status, &csrf, &goto, name, Said::Error(error));
    Ok(
        match state
            .app
            .studio_check_password(&name_or_email, form_field(&f, "password"), Some(&ip))
            .await
        {
            Ok(user) => {
                let goto = if user.is_active {
                    goto.as_str()
                } else {
                    "/studio/user/activate"
                };
                sign_in(
                    &state,
                    current.as_ref().map(|c| c.id.as_str()),
                    &user,
                    goto,
                    &device,
                )
                .await
            }
            Err(StudioError::Credentials) => {
                again(StatusCode::OK, AccountTexts::of(lang).wrong_credentials)
            }
            Err(e) => match not_checked(lang, &e) {
                Some((text, status)) => with_retry_after(again(status, text)),
                None => server_error(&state, lang, &e),
            },
        },
    )
}

pub(super) async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    MaybeDesigner(d): MaybeDesigner,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Ok(Form(f)) = form else {
        return Ok(expired_form(&state, lang, to_start(lang)));
    };
    let token = form_field(&f, "_csrf");
    let ok = s
        .as_ref()
        .is_some_and(|s| secret::constant_time_eq(token, &s.session.csrf))
        || d.as_ref()
            .is_some_and(|d| secret::constant_time_eq(token, &d.session.csrf));
    if !ok && (s.is_some() || d.is_some()) {
        return Ok(expired_form(&state, lang, to_start(lang)));
    }
    if let Some(s) = &s {
        let _ = state.app.end_studio_session(&s.id).await;
    }
    if let Some(d) = &d {
        let _ = state.app.end_studio_session(&d.id).await;
    }
    // Where to go next: a local Studio page only (the re-login an application asked for).
    let next = f
        .get("redirect_to")
        .map(String::as_str)
        .filter(|t| t.starts_with("/studio/") && !t.contains("//") && !t.contains('\\'))
        .unwrap_or("/studio/");
    let response = with_cookie(
        Redirect::to(next).into_response(),
        studio_cookie(&state, ACCOUNT_COOKIE, "", 0),
    );
    Ok(with_cookie(
        response,
        studio_cookie(&state, DESIGNER_COOKIE, "", 0),
    ))
}
