//! The active sessions (`/studio/user/settings/sessions`): each with its device, address and
//! times, and log-out per session or for all others.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::{DoneQuery, SettingsNav, SettingsTexts, active_account, settings_nav};
use crate::clock::format_micros;
use crate::http::AppState;
use crate::http::html::{Frame, Lang, PageResult};
use crate::http::studio::accounts::{
    MaybeAccount, checked_form, expired_form, form_field, server_error, studio, to_start,
};
use crate::secret;
use crate::services::studio::KIND_DESIGNER;
use crate::services::studio_account::SessionInfo;

/// One session as the page lists it.
struct SessionRow {
    handle: String,
    device: String,
    kind: &'static str,
    ip: String,
    started: String,
    ends: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "studio/settings_sessions.html")]
struct SessionsPage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    nav: SettingsNav,
    done: Option<&'static str>,
    csrf: &'a str,
    rows: Vec<SessionRow>,
    others: bool,
}

/// "Firefox on Linux" from a `User-Agent`, enough to recognise one's own devices.
fn describe_agent(lang: Lang, agent: &str) -> String {
    let t = SettingsTexts::of(lang);
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} {} {s}", t.on),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("{} {} {s}", t.unknown_device, t.on),
        (None, None) => t.unknown_device.to_owned(),
    }
}

fn minute(micros: i64) -> String {
    let mut text = format_micros(micros).replace('T', " ");
    text.truncate(16);
    text
}

fn session_row(lang: Lang, current: &str, s: &SessionInfo) -> SessionRow {
    let t = SettingsTexts::of(lang);
    SessionRow {
        handle: s.id_hash.clone(),
        device: describe_agent(lang, &s.device.user_agent),
        kind: if s.kind == KIND_DESIGNER {
            t.kind_designer
        } else {
            t.kind_account
        },
        ip: s.device.ip.clone(),
        started: minute(s.created_at),
        ends: minute(s.expires_at),
        current: s.id_hash == current,
    }
}

pub(in crate::http::studio::accounts) async fn sessions_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/sessions").await?;
    let t = SettingsTexts::of(lang);
    let sessions = state
        .app
        .studio_sessions_of(user.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let current = secret::hash(&s.id);
    let rows: Vec<SessionRow> = sessions
        .iter()
        .map(|x| session_row(lang, &current, x))
        .collect();
    let done = match q.done.as_deref() {
        Some("one") => Some(t.ended_one),
        Some("others") => Some(t.ended_others),
        Some("gone") => Some(t.already_gone),
        _ => None,
    };
    Ok(studio(
        StatusCode::OK,
        &SessionsPage {
            f: Frame::new(&state, lang, t.sessions),
            t,
            nav: settings_nav(lang, "/studio/user/settings/sessions"),
            done,
            csrf: &s.session.csrf,
            others: rows.iter().any(|r| !r.current),
            rows,
        },
    ))
}

pub(in crate::http::studio::accounts) async fn end_session(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/sessions").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let handle = form_field(&f, "session");
    // A session hash is 43 characters of base64url; anything else names no session.
    if handle.len() != 43
        || !handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Ok(expired_form(&state, lang, to_start(lang)));
    }
    let ended = state
        .app
        .studio_end_session_of(&user, handle)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    if handle == secret::hash(&s.id) {
        // The person logged out this browser's own session: to the start page.
        return Ok(Redirect::to("/studio/").into_response());
    }
    let done = if ended { "one" } else { "gone" };
    Ok(Redirect::to(&format!("/studio/user/settings/sessions?done={done}")).into_response())
}

pub(in crate::http::studio::accounts) async fn end_other_sessions(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/sessions").await?;
    checked_form(&state, lang, form, &s.session.csrf)?;
    state
        .app
        .studio_end_other_sessions(&user, &s.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    Ok(Redirect::to("/studio/user/settings/sessions?done=others").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_read_as_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(describe_agent(Lang::Nb, chrome), "Chrome på Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_agent(Lang::En, iphone), "Safari on iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(describe_agent(Lang::En, edge), "Edge on Windows");
        assert_eq!(describe_agent(Lang::Nb, ""), "Ukjent nettleser");
        assert_eq!(describe_agent(Lang::En, "curl/8.5.0"), "curl");
    }
}
