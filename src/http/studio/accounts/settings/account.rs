//! The account's settings (`/studio/user/settings/account`): a new password, a new e-mail
//! address (taken when the page its mailed link opens is confirmed, at Gitea's
//! `/studio/user/activate_email`), and the linked eIDs.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{DoneQuery, Outcome, SettingsNav, SettingsTexts, active_account, settings_nav};
use crate::clock::format_micros;
use crate::domain::studio::Field;
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{FieldError, Frame, Lang, PageResult};
use crate::http::studio::accounts::{
    AccountSession, AccountTexts, Input, MaybeAccount, checked_form, element_of, field_errors,
    form_field, message, not_checked, server_error, studio, with_retry_after,
};
use crate::services::studio::{Device, StudioError};
use crate::services::studio_account::EmailConfirmation;
use crate::services::studio_account::LinkedIdentity;
use crate::services::studio_directory::Account;

#[derive(Template)]
#[template(path = "studio/settings_account.html")]
struct AccountPage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    nav: SettingsNav,
    errors: Vec<FieldError>,
    done: Option<&'static str>,
    csrf: &'a str,
    email: &'a str,
    password_fields: [Input<'a>; 3],
    email_fields: [Input<'a>; 2],
    identities: Vec<IdentityRow>,
}

/// A linked eID as the account page lists it.
struct IdentityRow {
    source: String,
    external_id: String,
    /// The eID's name ("Ansattporten").
    name: String,
    /// The day it was linked (YYYY-MM-DD).
    date: String,
}

fn identity_rows(identities: &[LinkedIdentity]) -> Vec<IdentityRow> {
    identities
        .iter()
        .map(|i| {
            let mut date = format_micros(i.created_at);
            date.truncate(10);
            IdentityRow {
                source: i.source.clone(),
                external_id: i.external_id.clone(),
                name: match i.source.as_str() {
                    "ansattporten" => "Ansattporten".to_owned(),
                    other => other.to_owned(),
                },
                date,
            }
        })
        .collect()
}

/// The account page's list of linked eIDs.
async fn identities_of(
    state: &AppState,
    lang: Lang,
    user: &Account,
) -> Result<Vec<LinkedIdentity>, Response> {
    state
        .app
        .studio_identities_of(user.id)
        .await
        .map_err(|e| server_error(state, lang, &e))
}

/// Which of the account page's forms a problem belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AccountForm {
    Password,
    Email,
}

/// The e-mail form's inputs have their own ids (both forms ask for the current password).
fn email_element(field: Field) -> &'static str {
    match field {
        Field::CurrentPassword => "email_current_password",
        Field::Email => "new_email",
        other => element_of(other),
    }
}

fn account_page(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    user: &Account,
    outcome: Outcome<'_, AccountForm>,
    new_email: &str,
    identities: &[LinkedIdentity],
) -> Response {
    let (t, c) = (SettingsTexts::of(lang), AccountTexts::of(lang));
    let (errors, at) = match outcome {
        Outcome::Wrong(AccountForm::Email, problems) => field_errors(lang, problems, email_element),
        Outcome::Wrong(AccountForm::Password, problems) => field_errors(lang, problems, element_of),
        Outcome::Shown(_) => Default::default(),
    };
    let on = |form: AccountForm, field: Field| match outcome {
        Outcome::Wrong(f, _) if f == form => at.get(&field).map(String::as_str),
        _ => None,
    };
    studio(
        outcome.status(),
        &AccountPage {
            f: Frame::new(state, lang, t.account).with_errors(!errors.is_empty()),
            t,
            nav: settings_nav(lang, "/studio/user/settings/account"),
            errors,
            done: outcome.done(),
            csrf: &s.session.csrf,
            email: &user.email,
            password_fields: [
                Input::new("current_password", "current_password", t.current_password)
                    .kind("password")
                    .autocomplete("current-password")
                    .required()
                    .error(on(AccountForm::Password, Field::CurrentPassword)),
                Input::new("password", "password", t.new_password)
                    .kind("password")
                    .autocomplete("new-password")
                    .required()
                    .error(on(AccountForm::Password, Field::Password)),
                Input::new("retype", "retype", t.retype)
                    .kind("password")
                    .autocomplete("new-password")
                    .required()
                    .error(on(AccountForm::Password, Field::Retype)),
            ],
            email_fields: [
                Input::new("new_email", "email", t.new_email)
                    .kind("email")
                    .autocomplete("email")
                    .maxlength(254)
                    .value(new_email)
                    .required()
                    .error(on(AccountForm::Email, Field::Email)),
                Input::new("email_current_password", "current_password", c.password)
                    .kind("password")
                    .autocomplete("current-password")
                    .required()
                    .error(on(AccountForm::Email, Field::CurrentPassword)),
            ],
            identities: identity_rows(identities),
        },
    )
}

pub(in crate::http::studio::accounts) async fn account_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let t = SettingsTexts::of(lang);
    let done = match q.done.as_deref() {
        Some("password") => Some(t.password_changed),
        Some("email_sent") => Some(t.email_sent),
        Some("email_limited") => Some(t.email_limited),
        Some("unlinked") => Some(t.unlinked),
        _ => None,
    };
    let identities = identities_of(&state, lang, &user).await?;
    Ok(account_page(
        &state,
        lang,
        &s,
        &user,
        Outcome::Shown(done),
        "",
        &identities,
    ))
}

/// A 429 or 503 for a check that was not made (too many attempts, a busy server), on the page.
fn not_made(state: &AppState, lang: Lang, e: &StudioError) -> Option<Response> {
    let (text, status) = not_checked(lang, e)?;
    let t = AccountTexts::of(lang);
    Some(with_retry_after(message(
        state,
        lang,
        status,
        t.went_wrong,
        text,
        Some((
            "/studio/user/settings/account",
            SettingsTexts::of(lang).to_account,
        )),
    )))
}

pub(in crate::http::studio::accounts) async fn password_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    ClientAddr(addr): ClientAddr,
    device: Device,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let ip = addr.to_string();
    let result = state
        .app
        .studio_change_password(
            &user,
            form_field(&f, "current_password"),
            form_field(&f, "password"),
            form_field(&f, "retype"),
            Some(&ip),
            &s.id,
        )
        .await;
    Ok(match result {
        // This browser goes on with a new session id (and form token).
        Ok(()) => {
            crate::http::studio::accounts::sign_in(
                &state,
                Some(&s.id),
                &user,
                "/studio/user/settings/account?done=password",
                &device,
            )
            .await
        }
        Err(StudioError::Fields(problems)) => account_page(
            &state,
            lang,
            &s,
            &user,
            Outcome::Wrong(AccountForm::Password, &problems),
            "",
            &identities_of(&state, lang, &user).await?,
        ),
        Err(StudioError::Credentials) => {
            // The account changed meanwhile (another tab): show it afresh.
            Redirect::to("/studio/user/settings/account").into_response()
        }
        Err(e) => match not_made(&state, lang, &e) {
            Some(page) => page,
            None => server_error(&state, lang, &e),
        },
    })
}

pub(in crate::http::studio::accounts) async fn email_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let email = form_field(&f, "email");
    let ip = addr.to_string();
    let result = state
        .app
        .studio_request_email_change(&user, email, form_field(&f, "current_password"), Some(&ip))
        .await;
    Ok(match result {
        Ok(true) => Redirect::to("/studio/user/settings/account?done=email_sent").into_response(),
        Ok(false) => {
            Redirect::to("/studio/user/settings/account?done=email_limited").into_response()
        }
        Err(StudioError::Fields(problems)) => account_page(
            &state,
            lang,
            &s,
            &user,
            Outcome::Wrong(AccountForm::Email, &problems),
            email,
            &identities_of(&state, lang, &user).await?,
        ),
        Err(e) => match not_made(&state, lang, &e) {
            Some(page) => page,
            None => server_error(&state, lang, &e),
        },
    })
}

/// Unlinks one of the account's eIDs (`source`, `external_id`), then back to the account page.
pub(in crate::http::studio::accounts) async fn unlink_identity(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    state
        .app
        .studio_unlink_identity(
            &user,
            form_field(&f, "source"),
            form_field(&f, "external_id"),
        )
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    // Gone already or not theirs: the page shows the links as they are.
    Ok(Redirect::to("/studio/user/settings/account?done=unlinked").into_response())
}

#[derive(serde::Deserialize)]
pub(in crate::http::studio::accounts) struct ConfirmEmailQuery {
    code: Option<String>,
    email: Option<String>,
}

#[derive(Template)]
#[template(path = "studio/confirm_email.html")]
struct ConfirmEmailPage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    text: String,
    code: &'a str,
    email: &'a str,
}

fn email_link_invalid(state: &AppState, lang: Lang) -> Response {
    let t = SettingsTexts::of(lang);
    message(
        state,
        lang,
        StatusCode::BAD_REQUEST,
        t.email_link_invalid,
        t.email_link_invalid_text,
        Some(("/studio/user/settings/account", t.to_account)),
    )
}

/// `GET /studio/user/activate_email?code=…&email=…` (Gitea's path): the link mailed to a new
/// address opens a page that asks to confirm; opening it changes nothing (mail scanners open
/// links). It works without being signed in (it is often opened on another device).
pub(in crate::http::studio::accounts) async fn confirm_email_page(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<ConfirmEmailQuery>,
) -> PageResult {
    let t = SettingsTexts::of(lang);
    let (code, email) = (q.code.unwrap_or_default(), q.email.unwrap_or_default());
    let account = state
        .app
        .studio_email_link(&code, &email)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let Some((account, _)) = account else {
        return Ok(email_link_invalid(&state, lang));
    };
    Ok(studio(
        StatusCode::OK,
        &ConfirmEmailPage {
            f: Frame::new(&state, lang, t.confirm_email_title),
            t,
            text: t
                .confirm_email_text
                .replace("{name}", &account.name)
                .replace("{email}", &email),
            code: &code,
            email: &email,
        },
    ))
}

/// The confirmation: the form carries the mailed code, which is its own proof.
pub(in crate::http::studio::accounts) async fn confirm_email(
    State(state): State<AppState>,
    lang: Lang,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let t = SettingsTexts::of(lang);
    let Ok(Form(f)) = form else {
        return Ok(email_link_invalid(&state, lang));
    };
    let confirmed = state
        .app
        .studio_confirm_email(form_field(&f, "code"), form_field(&f, "email"))
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let back = Some(("/studio/user/settings/account", t.to_account));
    Ok(match confirmed {
        EmailConfirmation::Confirmed => message(
            &state,
            lang,
            StatusCode::OK,
            t.email_changed,
            t.email_changed_text,
            back,
        ),
        EmailConfirmation::Invalid => email_link_invalid(&state, lang),
        EmailConfirmation::Taken => message(
            &state,
            lang,
            StatusCode::CONFLICT,
            t.email_link_invalid,
            t.email_taken_text,
            back,
        ),
    })
}
