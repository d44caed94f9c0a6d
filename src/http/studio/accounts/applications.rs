//! The account's settings: the applications it has authorised, each with a way to revoke it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::{MaybeAccount, checked_form, expired_form, form_field, server_error, studio, to_start};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, PageResult, texts};
use crate::services::studio_oauth::Grant;

texts! {
    pub struct ApplicationsTexts {
        title: ["Autoriserte applikasjoner", "Autoriserte applikasjonar", "Authorized applications"],
        intro: [
            "Applikasjoner du har gitt tilgang til kontoen din. Trekker du tilgangen tilbake, må applikasjonen spørre på nytt.",
            "Applikasjonar du har gitt tilgang til kontoen din. Trekkjer du tilgangen tilbake, må applikasjonen spørje på nytt.",
            "Applications you have given access to your account. If you revoke access, the application must ask again.",
        ],
        none: ["Ingen applikasjoner har tilgang.", "Ingen applikasjonar har tilgang.", "No application has access."],
        granted: ["gitt", "gitt", "granted"],
        revoke: ["Trekk tilbake", "Trekk tilbake", "Revoke"],
    }
}

/// One authorised application as the page lists it.
struct GrantRow<'a> {
    id: i64,
    name: &'a str,
    /// The day it was granted (YYYY-MM-DD).
    date: String,
}

#[derive(Template)]
#[template(path = "studio/applications.html")]
struct ApplicationsPage<'a> {
    f: Frame,
    t: &'static ApplicationsTexts,
    grants: Vec<GrantRow<'a>>,
    csrf: &'a str,
    nav: super::settings::SettingsNav,
}

fn row(g: &Grant) -> GrantRow<'_> {
    let mut date = crate::clock::format_micros(g.created_at);
    date.truncate(10);
    GrantRow {
        id: g.id,
        name: &g.app_name,
        date,
    }
}

pub(super) async fn applications_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
) -> PageResult {
    let here = "/studio/user/settings/applications";
    let (s, user) = super::settings::active_account(&state, lang, s, here).await?;
    let grants = state
        .app
        .studio_grants_of(user.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let t = ApplicationsTexts::of(lang);
    Ok(studio(
        StatusCode::OK,
        &ApplicationsPage {
            f: Frame::new(&state, lang, t.title),
            t,
            grants: grants.iter().map(row).collect(),
            csrf: &s.session.csrf,
            nav: super::settings::settings_nav(lang, here),
        },
    ))
}

pub(super) async fn revoke_application(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Some(s) = s else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    let Some(user) = s.user.clone() else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let Ok(id) = form_field(&f, "id").parse::<i64>() else {
        return Ok(expired_form(&state, lang, to_start(lang)));
    };
    state
        .app
        .studio_revoke_grant(&user, id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    Ok(Redirect::to("/studio/user/settings/applications").into_response())
}
