//! Method B: the organisation creates a system user itself, by choosing a visible system and
//! confirming what it gets.

use super::*;

/// A system to choose, with its name and description in the reader's language.
struct SystemView<'a> {
    id: &'a str,
    name: String,
    description: String,
    vendor_org: &'a str,
}

#[derive(Template)]
#[template(path = "system_users/choose_system.html")]
struct ChooseSystemPage<'a> {
    f: Frame,
    t: &'static PortalTexts,
    org_name: &'a str,
    org_no: &'a str,
    systems: Vec<SystemView<'a>>,
    path: &'a str,
    /// The search as typed, and what is wrong with it.
    search: &'a str,
    search_error: Option<&'static str>,
}

/// The longest search among the systems, in characters.
const MAX_SEARCH: usize = 100;

/// Whether the system matches the search: its name or description in the reader's language,
/// its id or its vendor's organisation number contain it (ignoring case).
fn matches(s: &SystemView<'_>, search: &str) -> bool {
    let search = search.to_lowercase();
    [s.name.as_str(), s.description.as_str(), s.id, s.vendor_org]
        .iter()
        .any(|field| field.to_lowercase().contains(&search))
}

#[derive(Template)]
#[template(path = "system_users/confirm_new.html")]
struct ConfirmPage<'a> {
    f: Frame,
    t: &'static PortalTexts,
    w: &'static RightsTexts,
    system: SystemView<'a>,
    org_name: &'a str,
    org_no: &'a str,
    rights: Vec<Named>,
    packages: Vec<Named>,
    show_ids: bool,
    path: &'a str,
    home: &'a str,
    csrf: &'a str,
}

/// A system in the reader's language.
fn system_view(s: &System, lang: Lang) -> SystemView<'_> {
    SystemView {
        id: &s.system_id,
        name: localized(&s.name, lang),
        description: localized(&s.description, lang),
        vendor_org: &s.vendor_org,
    }
}

pub(super) async fn choose_system(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<OrgQuery>,
) -> PageResult {
    let here = match q.org.as_deref() {
        Some(o) => format!("{NEW}?org={}", percent_encode(o)),
        None => NEW.to_owned(),
    };
    let (session, org, _) = chosen_org(
        &state,
        lang,
        session.map(|(_, s)| s),
        q.org.as_deref(),
        &here,
    )
    .await?;
    let org_no = org.org_no.clone().unwrap_or_default();
    let systems = state.app.systems_to_choose().await?;
    let t = PortalTexts::of(lang);
    let Some(system) = q
        .system
        .as_deref()
        .and_then(|id| systems.iter().find(|s| s.system_id == id))
    else {
        let search = q.search.as_deref().map(str::trim).unwrap_or_default();
        let too_long = search.chars().count() > MAX_SEARCH;
        let views = systems
            .iter()
            .map(|s| system_view(s, lang))
            .filter(|s| too_long || search.is_empty() || matches(s, search))
            .collect();
        return Ok(private(render(
            if too_long {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            &ChooseSystemPage {
                f: Frame::new(&state, lang, t.choose_system).with_errors(too_long),
                t,
                org_name: &org.name,
                org_no: &org_no,
                systems: views,
                path: NEW,
                search,
                search_error: too_long.then_some(t.search_too_long),
            },
        )));
    };
    let names = state
        .app
        .reference_names(&system.rights, &system.access_packages)
        .await?;
    let (rights, packages) = named(&names, lang, &system.rights, &system.access_packages);
    Ok(private(render(
        StatusCode::OK,
        &ConfirmPage {
            f: Frame::new(&state, lang, t.confirm_new),
            t,
            w: RightsTexts::of(lang),
            system: system_view(system, lang),
            org_name: &org.name,
            org_no: &org_no,
            rights,
            packages,
            show_ids: false,
            path: NEW,
            home: HOME,
            csrf: &session.csrf,
        },
    )))
}

#[derive(Deserialize)]
pub(super) struct CreateForm {
    org: String,
    system: String,
    csrf: String,
    title: Option<String>,
}

pub(super) async fn create(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<CreateForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    match state
        .app
        .create_system_user_directly(&session.pid, &form.org, &form.system, form.title.as_deref())
        .await
    {
        Ok(_) => Ok(Redirect::to(&home_after(&form.org, "created")).into_response()),
        Err(SuError::Problem(p)) => {
            let t = PortalTexts::of(lang);
            let text = if p.code == codes::SYSTEM_USER_ALREADY_EXISTS.code {
                t.already_exists
            } else {
                p.text()
            };
            Ok(message(
                &state,
                lang,
                StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
                t.not_created,
                text,
                vec![Link::new(back_home(&form.org), RightsTexts::of(lang).back)],
            ))
        }
        Err(e) => Err(e.into()),
    }
}

csrf_forms!(CreateForm);
