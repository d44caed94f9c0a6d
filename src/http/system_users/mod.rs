//! System users: the vendor and end-user API, the approval page at the `confirmUrl`, and the
//! organisation's system-user portal.

pub mod api;
pub mod approval;
pub mod portal;

use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(approval::routes())
        .merge(portal::routes())
}
