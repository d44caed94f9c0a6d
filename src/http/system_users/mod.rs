//! System users: the vendor's and the customer's API, the approval page at the `confirmUrl`,
//! and the organisation's system-user portal.

pub mod approval;
pub mod enduser_api;
mod pages;
pub mod portal;
pub mod vendor_api;
pub mod wire;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::Problem;
use crate::services::system_users::SuError;

/// Where the system-user API lives.
const BASE: &str = "/authentication/api/v1/systemuser";

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(vendor_api::routes())
        .merge(enduser_api::routes())
        .merge(approval::routes())
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
            problem.into_response()
        }
        SuError::NoAuthority => Problem::forbidden(e.to_string()).into_response(),
        SuError::Store(s) => Problem::from(s).into_response(),
    }
}
