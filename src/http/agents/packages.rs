//! A client's administrator gives a facilitator (an accounting firm, an auditor, a business
//! manager) an access package directly, so that the client becomes its client for agent system
//! users that need the package (errata §D.10), or withdraws it.

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::portal::{AgentTexts, outcome};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, PageResult, private, render};
use crate::http::login::{MaybeSession, checked_form, csrf_forms};
use crate::http::system_users::pages::RightsTexts;
use crate::http::system_users::portal::{back_home, chosen_org};
use crate::services::idp::percent_encode;
use crate::services::system_users::SuError;

const PACKAGES: &str = "/accessmanagement/ui/systemuser/packages";

pub fn routes() -> Router<AppState> {
    Router::new().route(PACKAGES, get(packages_page).post(change_package))
}

/// A package the organisation gave another directly, on the packages page.
struct GivenRow {
    to_name: String,
    to_org: String,
    package: String,
    package_name: String,
}

#[derive(Template)]
#[template(path = "agents/packages.html")]
struct PackagesPage<'a> {
    f: Frame,
    t: &'static AgentTexts,
    org_no: &'a str,
    given: Vec<GivenRow>,
    /// The packages that may be given (urn, name).
    choices: Vec<(String, String)>,
    home: String,
    path: &'static str,
    csrf: &'a str,
}

#[derive(Deserialize)]
struct OrgOnly {
    org: Option<String>,
}

async fn packages_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<OrgOnly>,
) -> PageResult {
    let (session, org, _) = chosen_org(
        &state,
        lang,
        session.map(|(_, s)| s),
        q.org.as_deref(),
        PACKAGES,
    )
    .await?;
    let org_no = org.org_no.clone().unwrap_or_default();
    state.app.require_authority(&session.pid, &org_no).await?;
    let view = state.app.package_delegations_of(&org_no).await?;
    let t = AgentTexts::of(lang);
    let name = |urn: &str| {
        view.catalogue
            .iter()
            .find(|p| p.urn.as_str() == urn)
            .map(|p| p.name.get(lang.code()).to_owned())
            .unwrap_or_else(|| urn.to_owned())
    };
    Ok(private(render(
        StatusCode::OK,
        &PackagesPage {
            f: Frame::new(&state, lang, t.packages_title),
            t,
            org_no: &org_no,
            given: view
                .given
                .iter()
                .map(|(to, package)| GivenRow {
                    to_name: to.name.clone(),
                    to_org: to.org_no.clone().unwrap_or_default(),
                    package: package.clone(),
                    package_name: name(package),
                })
                .collect(),
            choices: view
                .catalogue
                .iter()
                .filter(|p| p.is_delegable)
                .map(|p| {
                    (
                        p.urn.as_str().to_owned(),
                        p.name.get(lang.code()).to_owned(),
                    )
                })
                .collect(),
            home: back_home(&org_no),
            path: PACKAGES,
            csrf: &session.csrf,
        },
    )))
}

#[derive(Deserialize)]
struct PackageForm {
    org: String,
    to: String,
    package: String,
    action: String,
    csrf: String,
}

async fn change_package(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<PackageForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    let back = format!("{PACKAGES}?org={}", percent_encode(&form.org));
    let give = form.action == "give";
    match state
        .app
        .set_package_delegation(&session.pid, &form.org, form.to.trim(), &form.package, give)
        .await
    {
        Ok(()) => Ok(axum::response::Redirect::to(&back).into_response()),
        Err(SuError::Problem(p)) => Ok(outcome(
            &state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            AgentTexts::of(lang).package_not_changed,
            p.text(),
            vec![Link::new(back, RightsTexts::of(lang).back)],
        )),
        Err(SuError::Invalid(detail)) => Ok(outcome(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            AgentTexts::of(lang).package_not_changed,
            &detail,
            vec![Link::new(back, RightsTexts::of(lang).back)],
        )),
        Err(e) => Err(e.into()),
    }
}

csrf_forms!(PackageForm);
