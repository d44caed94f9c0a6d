//! A forgotten password, at Gitea's paths: `/studio/user/forgot_password` asks for the address
//! (or user name) and mails a link; `/studio/user/recover_account?code=…` sets a new password
//! with it, once, while it lives. The first page says the same whether or not the account
//! exists.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    ANON_CSRF_COOKIE, AccountTexts, Input, anon_csrf, element_of, expired_form, field_errors,
    form_field, message, not_checked, server_error, studio, studio_cookie, to_start, with_cookie,
    with_retry_after,
};
use crate::domain::studio::{Field, Problem};
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{FieldError, Frame, Lang, PageResult, texts};
use crate::secret;
use crate::services::studio::{StudioError, reset_lifetime_text};

texts! {
    pub struct RecoverTexts {
        forgot_title: ["Glemt passord", "Gløymt passord", "Forgot password"],
        forgot_intro: [
            "Skriv e-postadressen eller brukernavnet til kontoen. Vi sender en lenke der du velger et nytt passord.",
            "Skriv e-postadressa eller brukarnamnet til kontoen. Vi sender ei lenkje der du vel eit nytt passord.",
            "Enter the account's e-mail address or user name. We send a link where you choose a new password.",
        ],
        who: ["E-postadresse eller brukernavn", "E-postadresse eller brukarnamn", "E-mail address or user name"],
        send: ["Send lenke", "Send lenkje", "Send link"],
        sent: [
            "Finnes det en aktiv konto med denne adressen eller dette brukernavnet, har vi sendt en e-post med en lenke. Den virker i {nb} og bare én gang. Se også i søppelpost.",
            "Finst det ein aktiv konto med denne adressa eller dette brukarnamnet, har vi sendt ein e-post med ei lenkje. Ho verkar i {nb} og berre éin gong. Sjå òg i søppelpost.",
            "If there is an active account with this address or user name, we have sent a mail with a link. It works for {en} and only once. Look in the spam folder too.",
        ],
        recover_title: ["Velg nytt passord", "Vel nytt passord", "Choose a new password"],
        recover_intro: [
            "Velg et nytt passord for {name}. Når det er lagret, blir du logget ut overalt og logger inn med det nye.",
            "Vel eit nytt passord for {name}. Når det er lagra, blir du logga ut overalt og loggar inn med det nye.",
            "Choose a new password for {name}. Once it is saved, you are logged out everywhere and log in with the new one.",
        ],
        new_password: ["Nytt passord", "Nytt passord", "New password"],
        retype: ["Gjenta passordet", "Gjenta passordet", "Repeat the password"],
        save: ["Lagre passordet", "Lagre passordet", "Save the password"],
        link_invalid: ["Lenken virker ikke", "Lenkja verkar ikkje", "The link does not work"],
        link_invalid_text: [
            "Lenken er utløpt, er brukt eller er ikke hel. Be om en ny.",
            "Lenkja har gått ut, er brukt eller er ikkje heil. Be om ei ny.",
            "The link has expired, has been used or is not whole. Ask for a new one.",
        ],
        ask_again: ["Be om en ny lenke", "Be om ei ny lenkje", "Ask for a new link"],
    }
}

#[derive(Template)]
#[template(path = "studio/forgot_password.html")]
struct ForgotPage<'a> {
    f: Frame,
    t: &'static RecoverTexts,
    errors: Vec<FieldError>,
    sent: Option<String>,
    csrf: &'a str,
    field: Input<'a>,
}

fn forgot_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    csrf: &str,
    who: &str,
    problem: Option<&Problem>,
    sent: bool,
) -> Response {
    let t = RecoverTexts::of(lang);
    let message = problem.map(|p| p.message(lang.code()));
    let errors: Vec<FieldError> = message
        .iter()
        .map(|m| FieldError {
            id: "who",
            message: m.clone(),
        })
        .collect();
    let (nb, en) = reset_lifetime_text(&state.app);
    let sent = sent.then(|| t.sent.replace("{nb}", &nb).replace("{en}", &en));
    studio(
        status,
        &ForgotPage {
            f: Frame::new(state, lang, t.forgot_title).with_errors(!errors.is_empty()),
            t,
            errors,
            sent,
            csrf,
            field: Input::new("who", "who", t.who)
                .autocomplete("username")
                .maxlength(254)
                .value(who)
                .required()
                .error(message.as_deref()),
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct ForgotQuery {
    notice: Option<String>,
}

pub(super) async fn forgot_get(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<ForgotQuery>,
) -> Response {
    let (csrf, new) = anon_csrf(&headers);
    let sent = q.notice.as_deref() == Some("sent");
    let page = forgot_page(&state, lang, StatusCode::OK, &csrf, "", None, sent);
    if new {
        with_cookie(page, studio_cookie(&state, ANON_CSRF_COOKIE, &csrf, 3600))
    } else {
        page
    }
}

pub(super) async fn forgot_post(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let back = Some((
        "/studio/user/forgot_password",
        RecoverTexts::of(lang).forgot_title,
    ));
    let Ok(Form(f)) = form else {
        return Ok(expired_form(&state, lang, back));
    };
    let (csrf, _) = anon_csrf(&headers);
    if !secret::constant_time_eq(form_field(&f, "_csrf"), &csrf) {
        return Ok(expired_form(&state, lang, back));
    }
    let who = form_field(&f, "who");
    let ip = addr.to_string();
    Ok(
        match state.app.studio_forgot_password(who, Some(&ip)).await {
            Ok(()) => Redirect::to("/studio/user/forgot_password?notice=sent").into_response(),
            Err(StudioError::Field(_, p)) => forgot_page(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &csrf,
                who,
                Some(&p),
                false,
            ),
            Err(e) => match not_checked(lang, &e) {
                Some((text, status)) => with_retry_after(message(
                    &state,
                    lang,
                    status,
                    AccountTexts::of(lang).went_wrong,
                    text,
                    back,
                )),
                None => server_error(&state, lang, &e),
            },
        },
    )
}

#[derive(Template)]
#[template(path = "studio/recover_account.html")]
struct RecoverPage<'a> {
    f: Frame,
    t: &'static RecoverTexts,
    intro: String,
    errors: Vec<FieldError>,
    code: &'a str,
    fields: [Input<'a>; 2],
}

fn recover_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    code: &str,
    name: &str,
    problems: &[(Field, Problem)],
) -> Response {
    let t = RecoverTexts::of(lang);
    let (errors, at) = field_errors(lang, problems, element_of);
    let on = |field: Field| at.get(&field).map(String::as_str);
    studio(
        status,
        &RecoverPage {
            f: Frame::new(state, lang, t.recover_title).with_errors(!errors.is_empty()),
            t,
            intro: t.recover_intro.replace("{name}", name),
            errors,
            code,
            fields: [
                Input::new("password", "password", t.new_password)
                    .kind("password")
                    .autocomplete("new-password")
                    .required()
                    .error(on(Field::Password)),
                Input::new("retype", "retype", t.retype)
                    .kind("password")
                    .autocomplete("new-password")
                    .required()
                    .error(on(Field::Retype)),
            ],
        },
    )
}

fn link_invalid(state: &AppState, lang: Lang) -> Response {
    let t = RecoverTexts::of(lang);
    message(
        state,
        lang,
        StatusCode::BAD_REQUEST,
        t.link_invalid,
        t.link_invalid_text,
        Some(("/studio/user/forgot_password", t.ask_again)),
    )
}

#[derive(serde::Deserialize)]
pub(super) struct RecoverQuery {
    code: Option<String>,
}

pub(super) async fn recover_get(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<RecoverQuery>,
) -> PageResult {
    let code = q.code.unwrap_or_default();
    let account = state
        .app
        .studio_reset_account(&code)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    Ok(match account {
        Some(u) => recover_page(&state, lang, StatusCode::OK, &code, &u.name, &[]),
        None => link_invalid(&state, lang),
    })
}

/// The form carries the code, which is its own proof (no session, no CSRF cookie needed: a
/// forged post would have to know a secret mailed to the account).
pub(super) async fn recover_post(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Ok(Form(f)) = form else {
        return Ok(expired_form(&state, lang, to_start(lang)));
    };
    let code = form_field(&f, "code");
    let result = state
        .app
        .studio_reset_password(
            code,
            form_field(&f, "password"),
            form_field(&f, "retype"),
            Some(&addr.to_string()),
        )
        .await;
    Ok(match result {
        Ok(Some(_)) => Redirect::to("/studio/user/login?notice=password_reset").into_response(),
        Ok(None) => link_invalid(&state, lang),
        Err(StudioError::Fields(problems)) => {
            let name = state
                .app
                .studio_reset_account(code)
                .await
                .map_err(|e| server_error(&state, lang, &e))?
                .map(|u| u.name)
                .unwrap_or_default();
            recover_page(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                &name,
                &problems,
            )
        }
        Err(e) => match not_checked(lang, &e) {
            Some((text, status)) => with_retry_after(message(
                &state,
                lang,
                status,
                AccountTexts::of(lang).went_wrong,
                text,
                None,
            )),
            None => server_error(&state, lang, &e),
        },
    })
}
