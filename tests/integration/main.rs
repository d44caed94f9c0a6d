//! The integration suite: one test binary with one module per context, all against the real
//! server (`common::TestServer`). A test that runs on both database engines is written once in
//! `engine_tests!` and becomes `<name>_sqlite` and `<name>_postgres`; filter with
//! `cargo test --test integration <module>::` or `… _postgres`.

#[macro_use]
mod common;

mod agents;
mod browser;
mod change_requests;
mod cli;
mod contract;
mod database_tls;
mod decisions;
mod foundation;
mod grant_fuzz;
mod hardening;
mod libraries;
mod live_keys;
mod maskinporten;
mod oidc;
mod production_browser;
mod production_login;
mod studio;
mod studio_settings;
mod system_register;
mod system_users;
