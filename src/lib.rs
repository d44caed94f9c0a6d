//! tilgang: an open, Altinn-compatible identity and access platform.
//!
//! Layers, each depending only on the ones before it: [`domain`] (pure types and rules),
//! [`store`] (persistence), [`services`] (use cases), then [`http`] and [`cli`].
#![forbid(unsafe_code)]

pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod jose;
pub mod secret;
pub mod services;
pub mod smtp;
pub mod store;
