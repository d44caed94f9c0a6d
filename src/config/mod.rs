//! Configuration: defaults, a TOML file, `TILGANG_*` environment variables and command-line
//! flags, in rising order of precedence. Every setting is declared once, in the table in
//! [`settings`]: its flag, environment variable, TOML key, default and help come from there.
//! Command-line parsing fills [`Overrides`] (flags and their environment twins);
//! [`Config::resolve`] merges them with the file and the defaults and checks the result.

mod check;
mod describe;
mod resolve;
pub mod settings;
mod values;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use check::mask_url_password;
pub use settings::{Overrides, SETTINGS, Setting, SettingDefault};
pub use values::{
    AddressRange, Profile, ProxyHeaders, SmtpSecurity, format_duration, parse_duration,
};

/// An SMTP server to deliver mail through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<(String, crate::secret::Secret)>,
}

/// An external OpenID provider tilgang logs people in with (production profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalProvider {
    /// Exactly as configured (and as the provider's discovery document must say).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: crate::secret::Secret,
}

/// Where an effective value came from, shown by `tilgang config check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    /// A flag or its environment variable.
    Command,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Default => "default",
            Source::File => "config file",
            Source::Command => "flag or environment",
        })
    }
}

/// The effective configuration the rest of the program reads. Its `Debug` hides secrets and
/// the database password.
#[derive(Clone)]
pub struct Config {
    pub profile: Profile,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Extra trusted CA for the PostgreSQL server's certificate.
    pub database_ca_file: Option<PathBuf>,
    /// Production: a non-TLS connection to another host is allowed on purpose.
    pub database_allow_plaintext: bool,
    /// Without a trailing slash.
    pub public_url: String,
    pub request_timeout: Duration,
    pub log: String,
    /// Algorithm of newly created signing keys (existing keys keep theirs).
    pub signing_alg: crate::jose::Alg,
    /// Whose main administrators may use the operator pages.
    pub operator_org: Option<crate::domain::OrgNumber>,
    /// An external Maskinporten (issuer with trailing slash, JWKS URL) whose tokens the API
    /// accepts besides the embedded one's.
    pub maskinporten: Option<(String, String)>,
    /// The `aud` tokens of the external Maskinporten must carry.
    pub maskinporten_audience: Option<String>,
    /// The real ID-porten and Ansattporten (production); `None` means the embedded provider.
    pub idporten: Option<ExternalProvider>,
    pub ansattporten: Option<ExternalProvider>,
    /// `None`: mail is only kept in the outbox (local profile).
    pub smtp: Option<Smtp>,
    pub mail_from: String,
    /// How long an activation link works (Gitea's ACTIVE_CODE_LIVE_MINUTES).
    pub activation_lifetime: Duration,
    /// How long a password-reset link works (Gitea's RESET_PASSWD_CODE_LIVE_MINUTES).
    pub reset_lifetime: Duration,
    pub captcha_difficulty: u64,
    pub job_interval: Duration,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
    /// The `acr` value a person's log-in must reach (ID-porten's URN form).
    pub min_acr: &'static str,
    pub max_connections_per_client: usize,
    /// The most individual requests in one decision-API call.
    pub decision_max_requests: usize,
    /// The share of decisions audited, 0 to 1.
    pub decision_audit_rate: f64,
    pub trusted_proxies: Vec<AddressRange>,
    pub proxy_headers: ProxyHeaders,
    /// Start on a database recorded for the other profile (and record this one).
    pub allow_profile_change: bool,
    pub config_file: Option<PathBuf>,
    pub sources: Vec<(&'static str, Source)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error(
        "the production profile needs these settings, which are missing or unsafe:\n{}",
        .0.iter().map(|m| format!("  - {m}")).collect::<Vec<_>>().join("\n")
    )]
    Incomplete(Vec<String>),
}

impl Config {
    fn source(&self, key: &str) -> Source {
        self.sources
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| *s)
            .unwrap_or(Source::Default)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// `public_url` joined with a path that starts with '/'.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

#[cfg(test)]
mod tests;
