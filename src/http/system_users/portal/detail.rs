//! One system user's page: what it may do in words, its vendor, reference and creation time,
//! renaming it, and deleting it behind a confirmation step.

use super::*;

/// One of the organisation's system users, with the overview it is in (for its names).
struct OneUser {
    session: WebSession,
    org_no: String,
    overview: crate::services::system_user_queries::OrganisationOverview,
    /// Where it is in `overview.users`.
    index: usize,
}

impl OneUser {
    fn user(&self) -> &crate::services::system_users::SystemUserRecord {
        &self.overview.users[self.index]
    }
}

/// The organisation's system user `id` as the pages show it; the "not found" page otherwise.
async fn one_user(
    state: &AppState,
    lang: Lang,
    session: Option<WebSession>,
    org: Option<&str>,
    id: &str,
    path: &str,
) -> Result<OneUser, Response> {
    // After a log-in, back to this page for the same organisation.
    let here = match org {
        Some(o) => format!("{path}?org={}", percent_encode(o)),
        None => path.to_owned(),
    };
    let (session, org, _) = chosen_org(state, lang, session, org, &here).await?;
    let org_no = org.org_no.clone().unwrap_or_default();
    let overview = state
        .app
        .organisation_overview(&session.pid, &org_no)
        .await
        .map_err(crate::http::system_users::su_problem)?;
    let Some(index) = overview.users.iter().position(|u| u.id == id) else {
        let t = PortalTexts::of(lang);
        return Err(message(
            state,
            lang,
            StatusCode::NOT_FOUND,
            t.not_found,
            t.not_found_text,
            vec![Link::new(back_home(&org_no), RightsTexts::of(lang).back)],
        ));
    };
    Ok(OneUser {
        session,
        org_no,
        overview,
        index,
    })
}

#[derive(Template)]
#[template(path = "system_users/detail.html")]
struct DetailPage<'a> {
    f: Frame,
    t: &'static PortalTexts,
    w: &'static RightsTexts,
    org_no: &'a str,
    org_no_spaced: String,
    u: UserView<'a>,
    show_ids: bool,
    back: String,
    csrf: &'a str,
    done: Option<&'static str>,
    /// The rename form's value and what is wrong with it.
    new_name: &'a str,
    name_error: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub(super) struct DetailQuery {
    org: Option<String>,
    done: Option<String>,
}

/// One system user: what it may do in words, when and by which vendor it was made, its
/// name to change, and the way to its clients and to deleting it.
pub(super) async fn detail(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let path = format!("/accessmanagement/ui/systemuser/{}", percent_encode(&id));
    let one = one_user(
        &state,
        lang,
        session.map(|(_, s)| s),
        q.org.as_deref(),
        &id,
        &path,
    )
    .await?;
    let t = PortalTexts::of(lang);
    Ok(detail_page(
        &state,
        lang,
        &one,
        done_text(t, q.done.as_deref()),
        None,
    ))
}

/// The page of `one`, saying what the form before did (`done`), or, for a refused rename,
/// the typed name and why.
fn detail_page(
    state: &AppState,
    lang: Lang,
    one: &OneUser,
    done: Option<&'static str>,
    rename: Option<(&str, &'static str)>,
) -> Response {
    let t = PortalTexts::of(lang);
    let (u, org_no) = (one.user(), one.org_no.as_str());
    let view = user_view(&one.overview, u, lang);
    let title = view.integration_title.to_owned();
    private(render(
        if rename.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        &DetailPage {
            f: Frame::new(state, lang, &title).with_errors(rename.is_some()),
            t,
            w: RightsTexts::of(lang),
            org_no,
            org_no_spaced: org_no_spaced(org_no),
            new_name: rename.map(|(v, _)| v).unwrap_or(&u.integration_title),
            name_error: rename.map(|(_, e)| e),
            u: view,
            show_ids: false,
            back: back_home(org_no),
            csrf: &one.session.csrf,
            done,
        },
    ))
}

#[derive(Deserialize)]
pub(super) struct RenameForm {
    org: String,
    title: String,
    csrf: String,
}

/// Renames a system user, then shows its page again saying so (post/redirect/get); a bad
/// name is said at the field, with what was typed kept.
pub(super) async fn rename(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    form: Result<Form<RenameForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    let t = PortalTexts::of(lang);
    let problem = match crate::domain::request::integration_title(&form.title) {
        Ok(_) => None,
        Err(crate::domain::request::TitleProblem::Empty) => Some(t.name_empty),
        Err(crate::domain::request::TitleProblem::TooLong) => Some(t.name_too_long),
    };
    if let Some(problem) = problem {
        let path = format!("/accessmanagement/ui/systemuser/{}", percent_encode(&id));
        let one = one_user(&state, lang, Some(session), Some(&form.org), &id, &path).await?;
        return Ok(detail_page(
            &state,
            lang,
            &one,
            None,
            Some((&form.title, problem)),
        ));
    }
    match state
        .app
        .rename_system_user(&session.pid, &form.org, &id, &form.title)
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("{}&done=renamed", detail_url(&form.org, &id))).into_response(),
        ),
        Err(SuError::Problem(p)) => Ok(message(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            t.not_found,
            p.text(),
            vec![Link::new(back_home(&form.org), RightsTexts::of(lang).back)],
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "system_users/confirm_delete.html")]
struct ConfirmDeletePage<'a> {
    f: Frame,
    t: &'static PortalTexts,
    w: &'static RightsTexts,
    org_no: &'a str,
    u: UserView<'a>,
    show_ids: bool,
    back: String,
    csrf: &'a str,
}

/// Asks before a system user is deleted: what it may do now, and what deleting it means.
pub(super) async fn confirm_delete(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let path = format!(
        "/accessmanagement/ui/systemuser/{}/delete",
        percent_encode(&id)
    );
    let one = one_user(
        &state,
        lang,
        session.map(|(_, s)| s),
        q.org.as_deref(),
        &id,
        &path,
    )
    .await?;
    let t = PortalTexts::of(lang);
    let (u, org_no) = (one.user(), one.org_no.as_str());
    Ok(private(render(
        StatusCode::OK,
        &ConfirmDeletePage {
            f: Frame::new(&state, lang, t.confirm_delete),
            t,
            w: RightsTexts::of(lang),
            org_no,
            back: detail_url(org_no, &u.id),
            u: user_view(&one.overview, u, lang),
            show_ids: false,
            csrf: &one.session.csrf,
        },
    )))
}

#[derive(Deserialize)]
pub(super) struct DeleteForm {
    org: String,
    csrf: String,
}

pub(super) async fn delete(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    form: Result<Form<DeleteForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    match state
        .app
        .delete_system_user(&session.pid, &form.org, &id, None)
        .await
    {
        Ok(()) => Ok(Redirect::to(&home_after(&form.org, "deleted")).into_response()),
        Err(SuError::Problem(p)) => Ok(message(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            p.text(),
            "",
            vec![],
        )),
        Err(e) => Err(e.into()),
    }
}

csrf_forms!(DeleteForm, RenameForm);
