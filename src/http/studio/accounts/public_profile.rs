//! A user's or organisation's public profile, at Gitea's path (`/studio/{name}`): the name,
//! what they wrote about themselves, when they joined, and their applications. Anyone may see
//! it; the e-mail address is never on it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{server_error, studio};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, PageResult, not_found, texts};
use crate::services::studio_directory::{Account, KIND_ORG};

texts! {
    pub struct ProfileTexts {
        organisation: ["Organisasjon", "Organisasjon", "Organisation"],
        joined: ["Med siden", "Med sidan", "Joined"],
        website: ["Nettsted", "Nettstad", "Website"],
        location: ["Sted", "Stad", "Location"],
        applications: ["Applikasjoner", "Applikasjonar", "Applications"],
        no_applications: ["Ingen applikasjoner ennå.", "Ingen applikasjonar enno.", "No applications yet."],
        edit: ["Rediger profilen", "Rediger profilen", "Edit the profile"],
    }
}

struct AppRow {
    name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "studio/profile.html")]
struct ProfilePage<'a> {
    f: Frame,
    t: &'static ProfileTexts,
    account: &'a Account,
    is_org: bool,
    joined: String,
    apps: Vec<AppRow>,
    own: bool,
}

pub(super) async fn profile_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    super::MaybeAccount(s): super::MaybeAccount,
    Path(name): Path<String>,
) -> PageResult {
    let found = state
        .app
        .studio_account_named(&name)
        .await
        .map_err(|e| server_error(&state, lang, &e))?
        .filter(|a| a.kind == KIND_ORG || a.is_active);
    let Some(account) = found else {
        return Ok(gone(state, lang, headers).await);
    };
    let apps = state
        .app
        .studio_repos_of(&[account.id])
        .await
        .map_err(|e| server_error(&state, lang, &e))?
        .into_iter()
        .map(|r| AppRow {
            name: r.name,
            description: r.description,
        })
        .collect();
    let mut joined = crate::clock::format_micros(account.created_at);
    joined.truncate(10);
    let own = s
        .as_ref()
        .and_then(|s| s.session.user_id)
        .is_some_and(|id| id == account.id);
    let title = if account.full_name.is_empty() {
        account.name.clone()
    } else {
        account.full_name.clone()
    };
    Ok(studio(
        StatusCode::OK,
        &ProfilePage {
            f: Frame::new(&state, lang, &title),
            t: ProfileTexts::of(lang),
            is_org: account.kind == KIND_ORG,
            account: &account,
            joined,
            apps,
            own,
        },
    ))
}

async fn gone(state: AppState, lang: Lang, headers: HeaderMap) -> Response {
    not_found(State(state), lang, headers).await
}
