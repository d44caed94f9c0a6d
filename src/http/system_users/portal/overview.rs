//! The overview of an organisation's system access: its system users, waiting requests and
//! change requests, and (for its main administrators) the access managers.

use super::*;

#[derive(Template)]
#[template(path = "system_users/portal.html")]
struct OverviewPage<'a> {
    f: Frame,
    t: &'static PortalTexts,
    w: &'static RightsTexts,
    org_name: &'a str,
    org_no: &'a str,
    several_orgs: bool,
    /// Each waiting request with the address of its approval page.
    pending: Vec<(String, &'a RequestRecord)>,
    users: Vec<UserView<'a>>,
    /// The access managers (pid, name), when the person may appoint them.
    managers: Option<&'a [(String, String)]>,
    show_ids: bool,
    csrf: &'a str,
    /// What the form before did.
    done: Option<&'static str>,
    /// The access-manager form's typed number and why it was refused.
    manager_pid: &'a str,
    manager_error: Option<&'static str>,
    errors: Vec<FieldError>,
}

pub(super) async fn overview(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<OrgQuery>,
) -> PageResult {
    let t = PortalTexts::of(lang);
    overview_page(
        &state,
        lang,
        session.map(|(_, s)| s),
        q.org.as_deref(),
        done_text(t, q.done.as_deref()),
        None,
    )
    .await
}

/// A refused access-manager form: what was typed and why, shown at the field.
struct ManagerError<'a> {
    pid: &'a str,
    message: &'static str,
    status: StatusCode,
}

/// The overview of the organisation `org`, saying what the form before did (`done`) or, for a
/// refused access-manager form, why (the overview again, the typed number kept).
async fn overview_page(
    state: &AppState,
    lang: Lang,
    session: Option<WebSession>,
    org: Option<&str>,
    done: Option<&'static str>,
    manager_error: Option<ManagerError<'_>>,
) -> PageResult {
    let here = org.map_or_else(|| HOME.to_owned(), back_home);
    let (session, org, represented_count) = chosen_org(state, lang, session, org, &here).await?;
    let org_no = org.org_no.clone().unwrap_or_default();
    let overview = state
        .app
        .organisation_overview(&session.pid, &org_no)
        .await?;
    let users = overview
        .users
        .iter()
        .map(|u| user_view(&overview, u, lang))
        .collect();
    let t = PortalTexts::of(lang);
    let errors: Vec<FieldError> = manager_error
        .iter()
        .map(|e| FieldError {
            id: "manager-pid",
            message: e.message.to_owned(),
        })
        .collect();
    Ok(private(render(
        manager_error.as_ref().map_or(StatusCode::OK, |e| e.status),
        &OverviewPage {
            f: Frame::new(state, lang, t.title).with_errors(!errors.is_empty()),
            t,
            w: RightsTexts::of(lang),
            org_name: &org.name,
            org_no: &org_no,
            several_orgs: represented_count > 1,
            pending: overview
                .pending
                .iter()
                .map(|r| {
                    let page = crate::http::system_users::approval::page_of(r.user_type);
                    (format!("{page}?id={}&DONTCHOOSEREPORTEE=true", r.id), r)
                })
                .collect(),
            users,
            managers: overview.access_managers.as_deref(),
            show_ids: false,
            csrf: &session.csrf,
            done,
            manager_pid: manager_error.as_ref().map_or("", |e| e.pid),
            manager_error: manager_error.as_ref().map(|e| e.message),
            errors,
        },
    )))
}

#[derive(Deserialize)]
pub(super) struct ManagerForm {
    org: String,
    pid: String,
    csrf: String,
    action: String,
}

pub(super) async fn access_managers(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<ManagerForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    let grant = form.action == "grant";
    let t = PortalTexts::of(lang);
    match state
        .app
        .set_access_manager(&session.pid, &form.org, &form.pid, grant)
        .await
    {
        Ok(()) => Ok(Redirect::to(&home_after(
            &form.org,
            if grant {
                "manager_added"
            } else {
                "manager_removed"
            },
        ))
        .into_response()),
        Err(SuError::Problem(p)) => {
            let message = if p.code == codes::PID_INVALID.code {
                t.manager_pid_invalid
            } else if p.code == codes::PERSON_NOT_FOUND.code {
                t.manager_unknown
            } else if p.code == codes::DELETE_SYSTEM_USER_NOT_OWNED.code {
                t.manager_not_allowed
            } else {
                t.manager_refused
            };
            let error = ManagerError {
                pid: if grant { &form.pid } else { "" },
                message,
                status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            };
            overview_page(
                &state,
                lang,
                Some(session),
                Some(&form.org),
                None,
                Some(error),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

csrf_forms!(ManagerForm);
