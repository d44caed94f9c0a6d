//! The start page: what runs where, links to each part and, in the local profile, the demo
//! identities to log in with.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;
use super::html::{Lang, esc, page};
use crate::config::Profile;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(set_language))
}

/// Remembers the chosen language in a cookie and goes back to the page the person came from
/// (only a page of this server).
async fn set_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let code = match code.as_str() {
        "en" => "en",
        "nn" => "nn",
        _ => "nb",
    };
    let base = &state.app.config.public_url;
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix(base.as_str()))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
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

/// The parts this server runs, as (path, Norwegian, English) for the start page and the log.
pub fn parts(profile: Profile) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut parts = vec![
        (
            "/auth/session",
            "Logg inn (ID-porten eller Ansattporten)",
            "Log in (ID-porten or Ansattporten)",
        ),
        (
            "/accessmanagement/ui/systemuser/",
            "Systemtilganger for din virksomhet",
            "System access for your organisation",
        ),
        (
            "/studio/",
            "Altinn Studio (opprett bruker, logg inn)",
            "Altinn Studio (create user, log in)",
        ),
        (
            "/admin/studio",
            "Altinn Studio-organisasjoner (for operatører)",
            "Altinn Studio organisations (for operators)",
        ),
        ("/docs", "API-dokumentasjon", "API documentation"),
        (
            "/openapi.json",
            "OpenAPI-beskrivelse",
            "OpenAPI description",
        ),
        ("/health", "Helsesjekk", "Health check"),
        ("/metrics", "Måletall (Prometheus)", "Metrics (Prometheus)"),
        (
            "/accessmanagement/api/v1/meta/info/accesspackages/export",
            "Tilgangspakker (hele katalogen)",
            "Access packages (the whole catalogue)",
        ),
        (
            "/authentication/api/v1/openid/.well-known/openid-configuration",
            "Plattformens token-utsteder",
            "The platform token issuer",
        ),
        (
            "/admin/api/v1/audit",
            "Revisjonslogg (for operatører)",
            "Audit log (for operators)",
        ),
    ];
    if profile == Profile::Local {
        // A resource of the demo data (production has the operator's own register).
        parts.push((
            "/resourceregistry/api/v1/resource/ske-krav-og-betalinger",
            "Ressursregisteret (eksempel)",
            "Resource registry (example)",
        ));
        parts.push((
            "/idporten/.well-known/openid-configuration",
            "Innebygd ID-porten (test)",
            "Embedded ID-porten (test)",
        ));
        parts.push((
            "/ansattporten/.well-known/openid-configuration",
            "Innebygd Ansattporten (test)",
            "Embedded Ansattporten (test)",
        ));
        parts.push((
            "/maskinporten/.well-known/oauth-authorization-server",
            "Innebygd Maskinporten (test)",
            "Embedded Maskinporten (test)",
        ));
        parts.push((
            "/dev/mail",
            "E-post fra testinstansen (utboks)",
            "Mail from the test instance (outbox)",
        ));
        parts.push((
            "/selvbetjening/api/v1/clients",
            "Maskinporten selvbetjening (API)",
            "Maskinporten self-service (API)",
        ));
        parts.push((
            "/api/GetEnterpriseToken?orgNo=317219253&scopes=altinn:register/admin",
            "Testtokengenerator (virksomhet)",
            "Test token generator (enterprise)",
        ));
    }
    parts
}

async fn home(State(state): State<AppState>, lang: Lang) -> Response {
    let config = &state.app.config;
    let local = config.profile == Profile::Local;
    let mut body = format!(
        "<h1>tilgang</h1><p>{}</p>",
        lang.t(
            "En åpen, Altinn-kompatibel plattform for identitet og tilgang: systemregister, systembrukere og Altinn Studio-kontoer.",
            "An open, Altinn-compatible identity and access platform: system register, system users and Altinn Studio accounts."
        )
    );
    body.push_str(&format!(
        "<h2>{}</h2><table><tbody>",
        lang.t("Hva som kjører hvor", "What runs where")
    ));
    for (path, nb, en) in parts(config.profile) {
        body.push_str(&format!(
            "<tr><td><a href=\"{href}\">{}</a></td><td><code>{href}</code></td></tr>",
            esc(lang.t(nb, en)),
            href = esc(path)
        ));
    }
    body.push_str("</tbody></table>");

    if local {
        match state.app.main_administrators(200).await {
            Ok(reps) if !reps.is_empty() => {
                body.push_str(&format!(
                    "<h2>{}</h2><p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                    lang.t("Demo-identiteter", "Demo identities"),
                    lang.t(
                        "Logg inn med et av disse syntetiske fødselsnumrene. Hele datasettet er beskrevet i docs/demo-data.md.",
                        "Log in with one of these synthetic national identity numbers. The whole data set is described in docs/demo-data.md."
                    ),
                    lang.t("Navn", "Name"),
                    lang.t("Fødselsnummer", "National identity number"),
                    lang.t("Rolle", "Role"),
                    lang.t("Organisasjon", "Organisation"),
                ));
                for r in reps {
                    body.push_str(&format!(
                        "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{} (<code>{}</code>)</td></tr>",
                        esc(&r.person_name), esc(&r.pid), esc(&r.role), esc(&r.org_name), esc(&r.org_no)
                    ));
                }
                body.push_str("</tbody></table>");
            }
            Ok(_) => body.push_str(&format!(
                "<p class=\"muted\">{}</p>",
                lang.t(
                    "Ingen demo-identiteter er lastet.",
                    "No demo identities are loaded."
                )
            )),
            Err(e) => tracing::error!(error = %e, "cannot list demo identities"),
        }
    }
    page(lang, "tilgang", local, &body)
}
