//! System users: the vendor's and the customer's API, the approval page at the `confirmUrl`,
//! and the organisation's system-user portal.

pub mod approval;
pub mod change_api;
pub mod change_approval;
pub mod enduser_api;
pub mod pages;
pub mod portal;
pub mod vendor_api;
pub mod wire;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::Problem;
use crate::domain::request::SystemUserType;
use crate::services::system_users::SuError;

/// Where the system-user API lives.
pub(crate) const BASE: &str = "/authentication/api/v1/systemuser";

/// Which type of system user (and request) an endpoint serves: the standard and agent
/// variants of a request endpoint are one handler, routed as `read::<Standard>` and
/// `read::<Agent>`.
pub trait Kind: Send + Sync + 'static {
    const KIND: SystemUserType;
}

pub struct Standard;
pub struct Agent;

impl Kind for Standard {
    const KIND: SystemUserType = SystemUserType::Standard;
}

impl Kind for Agent {
    const KIND: SystemUserType = SystemUserType::Agent;
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(vendor_api::routes())
        .merge(change_api::routes())
        .merge(enduser_api::routes())
        .merge(approval::routes())
        .merge(change_approval::routes())
        .merge(portal::routes())
}

impl From<SuError> for crate::http::html::PageError {
    fn from(e: SuError) -> Self {
        crate::http::html::PageError(su_problem(e))
    }
}

pub fn su_problem(e: SuError) -> Response {
    match e {
        SuError::Problem(p) => {
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut problem = Problem::coded(status, p.code, p.title);
            if let Some(d) = p.detail {
                problem = problem.with_detail(d);
            }
            for (name, value) in p.extensions {
                problem = problem.with_extension(name, value);
            }
            problem.into_response()
        }
        SuError::NoAuthority => Problem::forbidden(e.to_string()).into_response(),
        SuError::Invalid(detail) => Problem::bad_request(detail).into_response(),
        SuError::Store(s) => Problem::from(s).into_response(),
    }
}
