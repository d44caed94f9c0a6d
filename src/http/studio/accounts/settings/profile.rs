//! The public profile's settings (`/studio/user/settings`): full name, website, location and
//! about, every wrong field said at once.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{DoneQuery, Outcome, SettingsNav, SettingsTexts, active_account, settings_nav};
use crate::domain::studio::Field;
use crate::http::AppState;
use crate::http::html::{FieldError, Frame, Lang, PageResult};
use crate::http::studio::accounts::{
    AccountSession, Input, MaybeAccount, checked_form, element_of, field_errors, form_field,
    server_error, studio,
};
use crate::services::studio::StudioError;
use crate::services::studio_directory::Account;

#[derive(Template)]
#[template(path = "studio/settings_profile.html")]
struct ProfilePage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    nav: SettingsNav,
    errors: Vec<FieldError>,
    done: Option<&'static str>,
    csrf: &'a str,
    name: &'a str,
    fields: [Input<'a>; 4],
}

struct ProfileValues<'a> {
    full_name: &'a str,
    website: &'a str,
    location: &'a str,
    description: &'a str,
}

fn profile_page(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    user: &Account,
    v: &ProfileValues<'_>,
    outcome: Outcome<'_, ()>,
) -> Response {
    let t = SettingsTexts::of(lang);
    let problems = match outcome {
        Outcome::Wrong((), problems) => problems,
        Outcome::Shown(_) => &[],
    };
    let (errors, at) = field_errors(lang, problems, element_of);
    let error = |f: Field| at.get(&f).map(String::as_str);
    studio(
        outcome.status(),
        &ProfilePage {
            f: Frame::new(state, lang, t.profile).with_errors(!errors.is_empty()),
            t,
            nav: settings_nav(lang, "/studio/user/settings"),
            errors,
            done: outcome.done(),
            csrf: &s.session.csrf,
            name: &user.name,
            fields: [
                Input::new("full_name", "full_name", t.full_name)
                    .autocomplete("name")
                    .maxlength(100)
                    .value(v.full_name)
                    .error(error(Field::FullName)),
                Input::new("website", "website", t.website)
                    .kind("url")
                    .autocomplete("url")
                    .maxlength(255)
                    .value(v.website)
                    .hint(t.website_hint)
                    .error(error(Field::Website)),
                Input::new("location", "location", t.location)
                    .maxlength(50)
                    .value(v.location)
                    .error(error(Field::Location)),
                Input::new("description", "description", t.description)
                    .maxlength(255)
                    .value(v.description)
                    .error(error(Field::Description)),
            ],
        },
    )
}

pub(in crate::http::studio::accounts) async fn profile_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings").await?;
    let done =
        (q.done.as_deref() == Some("profile")).then_some(SettingsTexts::of(lang).profile_saved);
    let v = ProfileValues {
        full_name: &user.full_name,
        website: &user.website,
        location: &user.location,
        description: &user.description,
    };
    Ok(profile_page(
        &state,
        lang,
        &s,
        &user,
        &v,
        Outcome::Shown(done),
    ))
}

pub(in crate::http::studio::accounts) async fn profile_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let v = ProfileValues {
        full_name: form_field(&f, "full_name"),
        website: form_field(&f, "website"),
        location: form_field(&f, "location"),
        description: form_field(&f, "description"),
    };
    match state
        .app
        .studio_update_profile(&user, v.full_name, v.website, v.location, v.description)
        .await
    {
        Ok(_) => Ok(Redirect::to("/studio/user/settings?done=profile").into_response()),
        Err(StudioError::Fields(problems)) => Ok(profile_page(
            &state,
            lang,
            &s,
            &user,
            &v,
            Outcome::Wrong((), &problems),
        )),
        Err(e) => Err(server_error(&state, lang, &e).into()),
    }
}
