//! Agent system users: the vendor asks for one for a facilitator (R2–R8), the facilitator
//! approves it at the `agentrequest` page (R11–R21), and chooses the clients it may act for —
//! in the portal, through the client-delegation façade (`enduser/systemuser/…`) or the BFF
//! routes (U2, U12–U17).

pub mod client_delegation;
pub mod enduser_api;
pub mod packages;
pub mod portal;
pub mod vendor_api;
pub mod wire;

use axum::Router;

use super::AppState;
use super::system_users::{Agent, approval};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(vendor_api::routes())
        .merge(enduser_api::routes())
        .merge(client_delegation::routes())
        .merge(portal::routes())
        .merge(packages::routes())
        .merge(approval::routes_of::<Agent>())
}
