//! Operator API: the audit log.

use super::system_users::wire::{Links, Paged};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::auth::{Scoped, TilgangAdmin};
use super::html::{Frame, Lang, message, private, render, texts};
use super::login::MaybeSession;
use super::problem::Problem;
use crate::clock::parse_rfc3339;
use crate::domain::scopes;
use crate::services::audit::AuditQuery;
use crate::services::audit::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::services::reference::ReferenceCounts;
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

texts! {
    pub struct OperatorTexts {
        title: ["Operatør", "Operatør", "Operator"],
        no_access: ["Ikke tilgang", "Ikkje tilgang", "No access"],
        no_access_text: [
            "Operatørsidene er for daglig leder, styreleder eller innehaver i plattformoperatørens organisasjon (innstillingen operator-org).",
            "Operatørsidene er for dagleg leiar, styreleiar eller innehavar i organisasjonen til plattformoperatøren (innstillinga operator-org).",
            "The operator pages are for the daglig leder, styreleder or innehaver of the platform operator's organisation (the operator-org setting).",
        ],
        register: ["Registeret", "Registeret", "The register"],
        organisations: ["organisasjoner", "organisasjonar", "organisations"],
        persons: ["personer", "personar", "persons"],
        roles: ["roller", "roller", "roles"],
        packages: ["tilgangspakker", "tilgangspakkar", "access packages"],
        resources: ["ressurser", "ressursar", "resources"],
        systems: ["Registrerte systemer", "Registrerte system", "Registered systems"],
        system: ["System", "System", "System"],
        name: ["Navn", "Namn", "Name"],
        vendor: ["Leverandør", "Leverandør", "Vendor"],
        client_ids: ["Klient-id-er", "Klient-id-ar", "Client ids"],
        status: ["Status", "Status", "Status"],
        no_systems: ["Ingen systemer er registrert ennå.", "Ingen system er registrerte enno.", "No systems are registered yet."],
        deleted: ["slettet", "sletta", "deleted"],
        visible: ["synlig", "synleg", "visible"],
        hidden: ["skjult", "skjult", "hidden"],
        audit_through: ["Revisjonsloggen leses gjennom", "Revisjonsloggen blir lesen gjennom", "The audit log is read through"],
        scope: ["scope", "scope", "scope"],
    }
}

/// A registered system as the operator page shows it.
struct SystemRow<'a> {
    id: &'a str,
    name: String,
    vendor_org: &'a str,
    client_ids: usize,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "ops/operator.html")]
struct OperatorPage<'a> {
    f: Frame,
    t: &'static OperatorTexts,
    counts: ReferenceCounts,
    systems: Vec<SystemRow<'a>>,
    admin_scope: &'static str,
}

/// The operator's overview: the register's contents and every registered system. Only the
/// main administrators of the operator organisation (`operator-org`) may see it.
async fn operator_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    let Some((_, session)) = session else {
        return axum::response::Redirect::to("/auth/login/idporten?goto=/admin/").into_response();
    };
    let t = OperatorTexts::of(lang);
    let allowed = state.app.is_operator(&session.pid).await;
    if !allowed {
        return message(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            t.no_access,
            t.no_access_text,
            vec![],
        );
    }
    let (counts, systems) = match state.app.operator_summary().await {
        Ok(x) => x,
        Err(e) => return Problem::from(e).into_response(),
    };
    let systems = systems
        .iter()
        .map(|s| SystemRow {
            id: &s.system_id,
            name: s
                .name
                .get(lang.code())
                .or_else(|| s.name.get("nb"))
                .cloned()
                .unwrap_or_default(),
            vendor_org: &s.vendor_org,
            client_ids: s.client_ids.len(),
            status: match (s.is_deleted, s.is_visible) {
                (true, _) => t.deleted,
                (false, true) => t.visible,
                (false, false) => t.hidden,
            },
        })
        .collect();
    private(render(
        StatusCode::OK,
        &OperatorPage {
            f: Frame::new(&state, lang, t.title),
            t,
            counts,
            systems,
            admin_scope: scopes::TILGANG_ADMIN,
        },
    ))
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
    Json(Paged {
        links: Links { next },
        data: page.entries,
    })
    .into_response()
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

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    use crate::services::audit::AuditRecord;
    s.add::<AuditRecord>()
        .add_as::<Paged<AuditRecord>>("PagedAuditRecords");
}
