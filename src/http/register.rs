//! The register: reference-data import and organisation lookups.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::AppState;
use super::auth::{Bearer, RegisterAdmin, Scoped};
use super::problem::{ApiJson, Problem, ValidationError, current_trace_id};
use crate::config::Profile;
use crate::domain::OrgNumber;
use crate::domain::import::{ImportIssue, ImportPolicy, IssueKind};
use crate::services::import::{ImportActor, ImportError};

/// Import documents may be large (a whole register).
const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/register/api/v1/admin/import",
            post(import_document).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/register/api/v1/organizations/{org_no}", get(organization))
}

async fn import_document(
    State(state): State<AppState>,
    scoped: Scoped<RegisterAdmin>,
    ApiJson(doc): ApiJson<Value>,
) -> Response {
    let caller = &scoped.0;
    let policy = ImportPolicy {
        synthetic_pids_only: state.app.config.profile == Profile::Local,
    };
    let actor = caller.audit_name();
    let trace_id = current_trace_id();
    let by = ImportActor {
        actor: &actor,
        trace_id: Some(&trace_id),
    };
    match state.app.import_reference_data(&doc, policy, by).await {
        Ok(counts) => Json(counts).into_response(),
        Err(ImportError::Invalid(issues)) => import_problem(&issues).into_response(),
        Err(ImportError::Store(e)) => Problem::from(e).into_response(),
    }
}

/// Every bad record of an import, by JSON path, in one validation problem.
pub fn import_problem(issues: &[ImportIssue]) -> Problem {
    let errors = issues
        .iter()
        .map(|i| {
            let (code, title) = match i.kind {
                IssueKind::Invalid => (
                    "REG.VLD-00001",
                    "A record in the import document is not valid.",
                ),
                IssueKind::UnknownReference => (
                    "REG.VLD-00002",
                    "A record refers to an organisation or person that is not in the register.",
                ),
            };
            ValidationError {
                code: code.into(),
                title: title.into(),
                paths: vec![i.path.clone()],
                detail: Some(i.message.clone()),
                extensions: Default::default(),
            }
        })
        .collect();
    Problem::validation(errors).with_detail(format!(
        "{} record(s) are not valid; nothing was imported",
        issues.len()
    ))
}

/// An organisation as the register's API shows it.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RegisterOrganization)]
struct Organization<'a> {
    org_number: Option<&'a str>,
    name: &'a str,
    unit_type: Option<&'a str>,
    party_id: i64,
    party_uuid: &'a str,
}

async fn organization(
    State(state): State<AppState>,
    _bearer: Bearer,
    Path(org_no): Path<String>,
) -> Response {
    let org_no: OrgNumber = match org_no.parse() {
        Ok(o) => o,
        Err(e) => return Problem::bad_request(format!("'{org_no}': {e}")).into_response(),
    };
    match state.app.organization(&org_no).await {
        Ok(Some(p)) => Json(Organization {
            org_number: p.org_no.as_deref(),
            name: &p.name,
            unit_type: p.org_form.as_deref(),
            party_id: p.party_id,
            party_uuid: &p.party_uuid,
        })
        .into_response(),
        Ok(None) => {
            Problem::not_found(format!("no organisation {org_no} in the register")).into_response()
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

pub(crate) fn schemas(s: &mut crate::http::openapi::Schemas) {
    s.add::<Organization>()
        .add::<crate::services::import::ImportCounts>();
}
