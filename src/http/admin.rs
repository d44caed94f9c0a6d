//! Operator API: the audit log.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::auth::{Scoped, TilgangAdmin};
use super::html::{Lang, esc, page};
use super::login::MaybeSession;
use super::problem::Problem;
use crate::clock::parse_rfc3339;
use crate::domain::scopes;
use crate::services::audit::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::store::audit::AuditQuery;
use axum::http::StatusCode;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/api/v1/audit", get(list_audit))
        .route("/admin/", get(operator_page))
        .route(
            "/admin",
            get(|| async { axum::response::Redirect::permanent("/admin/") }),
        )
}

/// The operator's overview: the register's contents and every registered system. Only the
/// main administrators of the operator organisation (`operator-org`) may see it.
async fn operator_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let local = state.app.config.profile == crate::config::Profile::Local;
    let Some((_, session)) = session else {
        return axum::response::Redirect::to("/auth/login/idporten?goto=/admin/").into_response();
    };
    let allowed = state.app.is_operator(&session.pid).await;
    if !allowed {
        let body = format!(
            "<h1>{}</h1><p>{}</p>",
            lang.t("Ikke tilgang", "No access"),
            lang.t(
                "Operatørsidene er for daglig leder, styreleder eller innehaver i plattformoperatørens organisasjon (innstillingen operator-org).",
                "The operator pages are for the daglig leder, styreleder or innehaver of the platform operator's organisation (the operator-org setting)."
            )
        );
        return (
            StatusCode::FORBIDDEN,
            page(lang, lang.t("Ikke tilgang", "No access"), local, &body),
        )
            .into_response();
    }
    let (counts, systems) = match state.app.operator_summary().await {
        Ok(x) => x,
        Err(e) => return Problem::from(e).into_response(),
    };
    let mut body = format!(
        "<h1>{}</h1><p>{}: {} {}, {} {}, {} {}, {} {}, {} {}.</p>",
        lang.t("Operatør", "Operator"),
        lang.t("Registeret", "The register"),
        counts.organizations,
        lang.t("organisasjoner", "organisations"),
        counts.persons,
        lang.t("personer", "persons"),
        counts.roles,
        lang.t("roller", "roles"),
        counts.access_packages,
        lang.t("tilgangspakker", "access packages"),
        counts.resources,
        lang.t("ressurser", "resources"),
    );
    body.push_str(&format!(
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("Registrerte systemer", "Registered systems"),
        lang.t("System", "System"),
        lang.t("Navn", "Name"),
        lang.t("Leverandør", "Vendor"),
        lang.t("Klient-id-er", "Client ids"),
        lang.t("Status", "Status"),
    ));
    if systems.is_empty() {
        body.push_str(&format!(
            "<tr><td colspan=\"5\" class=\"muted\">{}</td></tr>",
            lang.t(
                "Ingen systemer er registrert ennå.",
                "No systems are registered yet."
            )
        ));
    }
    for s in &systems {
        let status = match (s.is_deleted, s.is_visible) {
            (true, _) => lang.t("slettet", "deleted"),
            (false, true) => lang.t("synlig", "visible"),
            (false, false) => lang.t("skjult", "hidden"),
        };
        let name = s
            .name
            .get(lang.code())
            .or_else(|| s.name.get("nb"))
            .cloned()
            .unwrap_or_default();
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&s.system_id), esc(&name), esc(&s.vendor_org), s.client_ids.len(), status
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&format!(
        "<p>{} <a href=\"/docs\"><code>GET /admin/api/v1/audit</code></a> ({} <code>{}</code>).</p>",
        lang.t("Revisjonsloggen leses gjennom", "The audit log is read through"),
        lang.t("scope", "scope"),
        scopes::TILGANG_ADMIN,
    ));
    page(lang, lang.t("Operatør", "Operator"), local, &body)
}

#[derive(Deserialize)]
struct AuditParams {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

async fn list_audit(
    State(state): State<AppState>,
    _: Scoped<TilgangAdmin>,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(p) = match params {
        Ok(p) => p,
        Err(e) => return Problem::bad_request(e.body_text()).into_response(),
    };
    let query = match to_query(&p) {
        Ok(q) => q,
        Err(msg) => return Problem::bad_request(msg).into_response(),
    };
    let page = match state.app.audit_page(query).await {
        Ok(page) => page,
        Err(e) => return Problem::from(e).into_response(),
    };
    let next = page.next_after.map(|after| {
        let mut pairs = vec![
            format!("after={after}"),
            format!(
                "limit={}",
                p.limit.as_deref().unwrap_or(&DEFAULT_PAGE_SIZE.to_string())
            ),
        ];
        for (k, v) in [
            ("action", &p.action),
            ("actor", &p.actor),
            ("target", &p.target),
            ("since", &p.since),
            ("until", &p.until),
        ] {
            if let Some(v) = v {
                pairs.push(format!("{k}={}", encode(v)));
            }
        }
        state
            .app
            .config
            .url(&format!("/admin/api/v1/audit?{}", pairs.join("&")))
    });
    Json(json!({"links": {"next": next}, "data": page.entries})).into_response()
}

fn to_query(p: &AuditParams) -> Result<AuditQuery, String> {
    let time = |name: &str, v: &Option<String>| -> Result<Option<i64>, String> {
        v.as_deref()
            .map(|s| {
                parse_rfc3339(s).ok_or_else(|| {
                    format!("'{name}' must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
                })
            })
            .transpose()
    };
    let limit = match &p.limit {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
            .ok_or_else(|| format!("'limit' must be a whole number from 1 to {MAX_PAGE_SIZE}"))?,
        None => DEFAULT_PAGE_SIZE,
    };
    let after = match &p.after {
        Some(a) => Some(
            a.parse::<i64>()
                .ok()
                .filter(|a| *a >= 0)
                .ok_or("'after' must be the cursor from links.next")?,
        ),
        None => None,
    };
    Ok(AuditQuery {
        action: p.action.clone(),
        actor: p.actor.clone(),
        target: p.target.clone(),
        since: time("since", &p.since)?,
        until: time("until", &p.until)?,
        after,
        limit,
    })
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}
