//! The start page: what runs where, links to each part and, in the local profile, the demo
//! identities to log in with.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;
use super::html::{Frame, Lang, render, texts};
use crate::config::Profile;
use crate::services::reference::Representative;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(set_language))
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// Remembers the chosen language in a cookie and goes back to the step the page showed
/// (`?back=`, see [`super::html::remember_step`]), or else to the page the person came from
/// (only a page of this server).
async fn set_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(Back { back }): Query<Back>,
    headers: HeaderMap,
) -> Response {
    let code = match code.as_str() {
        "en" => "en",
        "nn" => "nn",
        _ => "nb",
    };
    let base = &state.app.config.public_url;
    let referer = || {
        headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.strip_prefix(base.as_str()))
            .map(str::to_owned)
    };
    let back = back
        .or_else(referer)
        .filter(|path| super::html::is_local_path(path))
        .map(|path| {
            // Drop an explicit ?lang= so the cookie decides.
            path.replace("lang=en", "")
                .replace("lang=nb", "")
                .replace("lang=nn", "")
        })
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "lang={code}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

texts! {
    pub struct PartTexts {
        session: ["Logg inn (ID-porten eller Ansattporten)", "Logg inn (ID-porten eller Ansattporten)", "Log in (ID-porten or Ansattporten)"],
        portal: ["Systemtilganger for din virksomhet", "Systemtilgangar for verksemda di", "System access for your organisation"],
        studio: ["Altinn Studio (opprett bruker, logg inn)", "Altinn Studio (opprett brukar, logg inn)", "Altinn Studio (create user, log in)"],
        studio_admin: [
            "Altinn Studio-organisasjoner (for operatører)",
            "Altinn Studio-organisasjonar (for operatørar)",
            "Altinn Studio organisations (for operators)",
        ],
        docs: ["API-dokumentasjon", "API-dokumentasjon", "API documentation"],
        openapi: ["OpenAPI-beskrivelse", "OpenAPI-skildring", "OpenAPI description"],
        health: ["Helsesjekk", "Helsesjekk", "Health check"],
        metrics: ["Måletall (Prometheus)", "Måltal (Prometheus)", "Metrics (Prometheus)"],
        packages: ["Tilgangspakker (hele katalogen)", "Tilgangspakkar (heile katalogen)", "Access packages (the whole catalogue)"],
        issuer: ["Plattformens token-utsteder", "Token-utferdaren til plattforma", "The platform token issuer"],
        audit: ["Revisjonslogg (for operatører)", "Revisjonslogg (for operatørar)", "Audit log (for operators)"],
        resources: ["Ressursregisteret (eksempel)", "Ressursregisteret (døme)", "Resource registry (example)"],
        idporten: ["Innebygd ID-porten (test)", "Innebygd ID-porten (test)", "Embedded ID-porten (test)"],
        ansattporten: ["Innebygd Ansattporten (test)", "Innebygd Ansattporten (test)", "Embedded Ansattporten (test)"],
        maskinporten: ["Innebygd Maskinporten (test)", "Innebygd Maskinporten (test)", "Embedded Maskinporten (test)"],
        mail: ["E-post fra testinstansen (utboks)", "E-post frå testinstansen (utboks)", "Mail from the test instance (outbox)"],
        selfservice: ["Maskinporten selvbetjening (API)", "Maskinporten sjølvbetening (API)", "Maskinporten self-service (API)"],
        token_generator: ["Testtokengenerator (virksomhet)", "Testtokengenerator (verksemd)", "Test token generator (enterprise)"],
    }
}

/// The parts this server runs, as (path, name in `lang`).
fn parts_in(profile: Profile, lang: Lang) -> Vec<(&'static str, &'static str)> {
    let t = PartTexts::of(lang);
    let mut parts = vec![
        ("/auth/session", t.session),
        ("/accessmanagement/ui/systemuser/overview", t.portal),
        ("/studio/", t.studio),
        ("/admin/studio", t.studio_admin),
        ("/docs", t.docs),
        ("/openapi.json", t.openapi),
        ("/health", t.health),
        ("/metrics", t.metrics),
        (
            "/accessmanagement/api/v1/meta/info/accesspackages/export",
            t.packages,
        ),
        (
            "/authentication/api/v1/openid/.well-known/openid-configuration",
            t.issuer,
        ),
        ("/admin/api/v1/audit", t.audit),
    ];
    if profile == Profile::Local {
        parts.extend([
            // A resource of the demo data (production has the operator's own register).
            (
                "/resourceregistry/api/v1/resource/ske-krav-og-betalinger",
                t.resources,
            ),
            ("/idporten/.well-known/openid-configuration", t.idporten),
            (
                "/ansattporten/.well-known/openid-configuration",
                t.ansattporten,
            ),
            (
                "/maskinporten/.well-known/oauth-authorization-server",
                t.maskinporten,
            ),
            ("/dev/mail", t.mail),
            ("/selvbetjening/api/v1/clients", t.selfservice),
            (
                "/api/GetEnterpriseToken?orgNo=317219253&scopes=altinn:register/admin",
                t.token_generator,
            ),
        ]);
    }
    parts
}

/// The parts this server runs, as (path, bokmål, English), for the log at start-up.
pub fn parts(profile: Profile) -> Vec<(&'static str, &'static str, &'static str)> {
    parts_in(profile, Lang::Nb)
        .into_iter()
        .zip(parts_in(profile, Lang::En))
        .map(|((path, nb), (_, en))| (path, nb, en))
        .collect()
}

texts! {
    pub struct HomeTexts {
        intro: [
            "En åpen, Altinn-kompatibel plattform for identitet og tilgang: systemregister, systembrukere og Altinn Studio-kontoer.",
            "Ei open, Altinn-kompatibel plattform for identitet og tilgang: systemregister, systembrukarar og Altinn Studio-kontoar.",
            "An open, Altinn-compatible identity and access platform: system register, system users and Altinn Studio accounts.",
        ],
        what_runs_where: ["Hva som kjører hvor", "Kva som køyrer kvar", "What runs where"],
        demo: ["Demo-identiteter", "Demo-identitetar", "Demo identities"],
        demo_text: [
            "Logg inn med et av disse syntetiske fødselsnumrene. Hele datasettet er beskrevet i docs/demo-data.md.",
            "Logg inn med eitt av desse syntetiske fødselsnummera. Heile datasettet er skildra i docs/demo-data.md.",
            "Log in with one of these synthetic national identity numbers. The whole data set is described in docs/demo-data.md.",
        ],
        name: ["Navn", "Namn", "Name"],
        pid: ["Fødselsnummer", "Fødselsnummer", "National identity number"],
        role: ["Rolle", "Rolle", "Role"],
        organisation: ["Organisasjon", "Organisasjon", "Organisation"],
        no_demo: ["Ingen demo-identiteter er lastet.", "Ingen demo-identitetar er lasta.", "No demo identities are loaded."],
    }
}

#[derive(Template)]
#[template(path = "ops/home.html")]
struct HomePage {
    f: Frame,
    t: &'static HomeTexts,
    parts: Vec<(&'static str, &'static str)>,
    /// The demo identities (local profile); `None` when not shown.
    demo: Option<Vec<Representative>>,
}

async fn home(State(state): State<AppState>, lang: Lang) -> Response {
    let profile = state.app.config.profile;
    let demo = if profile == Profile::Local {
        match state.app.main_administrators(200).await {
            Ok(reps) => Some(reps),
            Err(e) => {
                tracing::error!(error = %e, "cannot list demo identities");
                None
            }
        }
    } else {
        None
    };
    render(
        StatusCode::OK,
        &HomePage {
            f: Frame::new(&state, lang, "tilgang"),
            t: HomeTexts::of(lang),
            parts: parts_in(profile, lang),
            demo,
        },
    )
}
