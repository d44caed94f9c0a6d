//! The table of settings: for each one its name (the flag and the TOML key), its environment
//! variable, its default and what it does. From this one table come the command-line flags
//! with their help ([`Overrides`]), the keys of the TOML file, the merge of the two with the
//! defaults, and the README's settings table (`tilgang config settings`).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ConfigError, Profile, ProxyHeaders, SmtpSecurity, Source, format_duration};
use crate::jose::Alg;
use crate::secret::Secret;

/// One setting, as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The flag (`--name`) and, when [`Setting::in_file`], the TOML key.
    pub name: &'static str,
    pub env: &'static str,
    pub default: SettingDefault,
    /// What it does, one line per source line (joined with spaces); `code` in backticks.
    pub doc: &'static [&'static str],
    /// Whether the TOML file may set it (not `config` itself, nor the one-off flags).
    pub in_file: bool,
    /// A password or client secret: kept in [`Secret`], its environment value never shown.
    pub secret: bool,
}

/// What applies when a setting is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingDefault {
    /// This value, read as if it had been given.
    Value(&'static str),
    /// Worked out from other settings, or nothing: described in words (`code` in backticks).
    Described(&'static str),
}

/// The settings table. Each entry:
///
/// ```text
/// /// What it does (the help line).
/// field: type on the command line = "name", env "TILGANG_NAME",
///     default "value" | default_is "words" [, file type in TOML] [, clap(more clap attributes)];
/// ```
///
/// `default` is a value read like a given one (so it is checked like one); `default_is`
/// describes a default that [`super::Config::resolve`] works out (or the absence of one).
macro_rules! settings {
    (@default default $d:literal) => { SettingDefault::Value($d) };
    (@default default_is $d:literal) => { SettingDefault::Described($d) };
    (@merged default) => { Given };
    (@merged default_is) => { Picked };
    (@merge default, $name:literal, $cmd:expr, $file:expr, $d:literal) => {
        Given::new($name, $cmd, $file, $d)
    };
    (@merge default_is, $name:literal, $cmd:expr, $file:expr, $d:literal) => {
        Picked::new($name, $cmd, $file)
    };
    (@in_file) => { false };
    (@in_file $t:ty) => { true };
    (@from_file $file:ident . $field:ident) => { None };
    (@from_file $file:ident . $field:ident $t:ty) => { AsText::as_text(&$file.$field) };
    ($(
        $(#[doc = $doc:literal])+
        $field:ident : $cli:ty = $name:literal, env $env:literal,
            $kind:ident $default:literal $(, file $fty:ty)? $(, clap($($clap:tt)*))?;
    )*) => {
        /// Every setting, in the order of `--help`, the README and `config check`.
        pub const SETTINGS: &[Setting] = &[$(
            Setting {
                name: $name,
                env: $env,
                default: settings!(@default $kind $default),
                doc: &[$($doc),+],
                in_file: settings!(@in_file $($fty)?),
                secret: <$cli as AsText>::SECRET,
            }
        ),*];

        /// Values given on the command line or through the environment (clap reads both):
        /// one field per entry of [`SETTINGS`].
        #[derive(Clone, Default, clap::Args)]
        pub struct Overrides {$(
            #[arg(
                long = $name,
                env = $env,
                global = true,
                help = help_line(&[$($doc),+], settings!(@default $kind $default)),
                hide_env_values = <$cli as AsText>::SECRET
                $(, $($clap)*)?
            )]
            pub $field: $cli,
        )*}

        /// The given values only, secrets and URL passwords masked.
        impl fmt::Debug for Overrides {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut out = f.debug_struct("Overrides");
                $(
                    if let Some(text) = AsText::as_text(&self.$field) {
                        out.field(
                            stringify!($field),
                            &shown(&text, <$cli as AsText>::SECRET),
                        );
                    }
                )*
                out.finish_non_exhaustive()
            }
        }

        /// The keys accepted in the TOML file.
        #[derive(Default, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub(super) struct FileConfig {$($(
            #[serde(rename = $name)]
            $field: Option<$fty>,
        )?)*}

        /// Each setting from the first place that has it: flag or environment, then the file,
        /// then the default.
        pub(super) struct Merged {$(
            pub $field: settings!(@merged $kind),
        )*}

        impl Merged {
            pub fn new(o: &Overrides, file: FileConfig) -> Self {
                Self {$(
                    $field: settings!(
                        @merge $kind,
                        $name,
                        AsText::as_text(&o.$field),
                        settings!(@from_file file.$field $($fty)?),
                        $default
                    ),
                )*}
            }

            /// Where each value came from.
            pub fn sources(&self) -> Vec<(&'static str, Source)> {
                vec![$((self.$field.key, self.$field.source)),*]
            }
        }
    };
}

settings! {
    /// `local` (SQLite, embedded stand-ins for the outside services, synthetic demo data) or
    /// `production` (PostgreSQL, the real outside services, test endpoints off)
    profile: Option<Profile> = "profile", env "TILGANG_PROFILE",
        default "local", file String;
    /// Address to listen on
    listen: Option<SocketAddr> = "listen", env "TILGANG_LISTEN",
        default "127.0.0.1:8080", file String;
    /// Directory for the SQLite database and other local state
    data_dir: Option<PathBuf> = "data-dir", env "TILGANG_DATA_DIR",
        default "./tilgang-data", file PathBuf;
    /// The database: `sqlite://…`, or `postgres://…` for PostgreSQL (the environment is the
    /// place for a URL with a password)
    database_url: Option<String> = "database-url", env "TILGANG_DATABASE_URL",
        default_is "`sqlite://<data-dir>/tilgang.db`", file String,
        // It may hold a password: `--help` does not show the environment's value.
        clap(hide_env_values = true);
    /// PEM file with the certificate authority that signed the PostgreSQL server's
    /// certificate (with `sslmode=verify-full` in database-url)
    database_ca_file: Option<PathBuf> = "database-ca-file", env "TILGANG_DATABASE_CA_FILE",
        default_is "public CAs only", file PathBuf;
    /// Production: allow a PostgreSQL connection that is not TLS (or may fall back to plain
    /// text) to a host other than this machine
    database_allow_plaintext: bool = "database-allow-plaintext",
        env "TILGANG_DATABASE_ALLOW_PLAINTEXT",
        default "false", file bool;
    /// The URL people and clients use to reach this server (`https://` in production)
    public_url: Option<String> = "public-url", env "TILGANG_PUBLIC_URL",
        default_is "`http://<listen>`", file String;
    /// How long a system-user request may wait for an answer, e.g. `10d`, `12h`, `90s`
    request_timeout: Option<Duration> = "request-timeout", env "TILGANG_REQUEST_TIMEOUT",
        default "10d", file String, clap(value_parser = super::parse_duration);
    /// Log filter (a `tracing` filter), e.g. `info` or `tilgang=debug,tower_http=info`
    log: Option<String> = "log", env "TILGANG_LOG",
        default "info", file String;
    /// Algorithm of new signing keys: `RS256`, `ES256` or `EdDSA` (existing keys keep theirs)
    signing_alg: Option<Alg> = "signing-alg", env "TILGANG_SIGNING_ALG",
        default "RS256", file String;
    /// The platform operator's organisation: its daglig leder, styreleder or innehaver may use
    /// the operator pages at `/admin/`
    operator_org: Option<String> = "operator-org", env "TILGANG_OPERATOR_ORG",
        default_is "local profile: the demo operator `315177340`; production: none",
        file String;
    /// An external Maskinporten whose tokens the API accepts, e.g.
    /// `https://test.maskinporten.no/` (with maskinporten-jwks-url)
    maskinporten_issuer: Option<String> = "maskinporten-issuer",
        env "TILGANG_MASKINPORTEN_ISSUER",
        default_is "none: only the embedded Maskinporten's tokens are accepted", file String;
    /// The JWKS address of that Maskinporten, e.g. `https://test.maskinporten.no/jwk`
    maskinporten_jwks_url: Option<String> = "maskinporten-jwks-url",
        env "TILGANG_MASKINPORTEN_JWKS_URL",
        default_is "none", file String;
    /// The `aud` that tokens from that Maskinporten must carry (clients ask for it with the
    /// `resource` parameter)
    maskinporten_audience: Option<String> = "maskinporten-audience",
        env "TILGANG_MASKINPORTEN_AUDIENCE",
        default_is "not checked, as in Altinn", file String;
    /// ID-porten issuer for people's log-in (with idporten-client-id and -client-secret)
    idporten_issuer: Option<String> = "idporten-issuer", env "TILGANG_IDPORTEN_ISSUER",
        default_is "the embedded one, local profile", file String;
    /// tilgang's client id at ID-porten
    idporten_client_id: Option<String> = "idporten-client-id", env "TILGANG_IDPORTEN_CLIENT_ID",
        default_is "none", file String;
    /// tilgang's client secret at ID-porten
    idporten_client_secret: Option<Secret> = "idporten-client-secret",
        env "TILGANG_IDPORTEN_CLIENT_SECRET",
        default_is "none", file Secret;
    /// Ansattporten issuer for Altinn Studio log-in (with ansattporten-client-id and
    /// -client-secret)
    ansattporten_issuer: Option<String> = "ansattporten-issuer",
        env "TILGANG_ANSATTPORTEN_ISSUER",
        default_is "the embedded one, local profile", file String;
    /// tilgang's client id at Ansattporten
    ansattporten_client_id: Option<String> = "ansattporten-client-id",
        env "TILGANG_ANSATTPORTEN_CLIENT_ID",
        default_is "none", file String;
    /// tilgang's client secret at Ansattporten
    ansattporten_client_secret: Option<Secret> = "ansattporten-client-secret",
        env "TILGANG_ANSATTPORTEN_CLIENT_SECRET",
        default_is "none", file Secret;
    /// SMTP server for outgoing e-mail, e.g. `smtp.example.no`
    smtp_host: Option<String> = "smtp-host", env "TILGANG_SMTP_HOST",
        default_is "none; the local profile keeps mail in an outbox shown at `/dev/mail`",
        file String;
    /// SMTP port
    smtp_port: Option<u16> = "smtp-port", env "TILGANG_SMTP_PORT",
        default_is "587 with starttls, 465 with tls, 25 with none", file u16;
    /// How to talk to the SMTP server: `starttls`, `tls` or `none`
    smtp_security: Option<SmtpSecurity> = "smtp-security", env "TILGANG_SMTP_SECURITY",
        default "starttls", file String;
    /// SMTP user name (AUTH PLAIN, with smtp-password)
    smtp_username: Option<String> = "smtp-username", env "TILGANG_SMTP_USERNAME",
        default_is "none", file String;
    /// SMTP password
    smtp_password: Option<Secret> = "smtp-password", env "TILGANG_SMTP_PASSWORD",
        default_is "none", file Secret;
    /// Sender of e-mail
    mail_from: Option<String> = "mail-from", env "TILGANG_MAIL_FROM",
        default "Altinn Studio <studio@altinn.no>", file String;
    /// How long an Altinn Studio activation or new-address link works, e.g. `180m`, `3h`
    activation_lifetime: Option<Duration> = "activation-lifetime",
        env "TILGANG_ACTIVATION_LIFETIME",
        default "180m", file String, clap(value_parser = super::parse_duration);
    /// How long an Altinn Studio password-reset link works, e.g. `60m`, `15m`
    reset_lifetime: Option<Duration> = "reset-lifetime",
        env "TILGANG_RESET_LIFETIME",
        default "60m", file String, clap(value_parser = super::parse_duration);
    /// Captcha difficulty: the largest secret number the browser's proof of work searches for
    captcha_difficulty: Option<u64> = "captcha-difficulty", env "TILGANG_CAPTCHA_DIFFICULTY",
        default "50000", file u64;
    /// How often the background jobs run (purge, time-outs, mail retries, key reload; each
    /// ±10 %)
    job_interval: Option<Duration> = "job-interval", env "TILGANG_JOB_INTERVAL",
        default "60s", file String, clap(value_parser = super::parse_duration);
    /// How long a client may take to send a request's headers; also how long an idle
    /// keep-alive connection stays open
    header_read_timeout: Option<Duration> = "header-read-timeout",
        env "TILGANG_HEADER_READ_TIMEOUT",
        default "10s", file String, clap(value_parser = super::parse_duration);
    /// After SIGTERM or Ctrl-C, how long requests in flight may take to finish
    shutdown_grace: Option<Duration> = "shutdown-grace", env "TILGANG_SHUTDOWN_GRACE",
        default "10s", file String, clap(value_parser = super::parse_duration);
    /// The lowest level of assurance a person's eID log-in may have: `substantial` or `high`
    /// (asked for with `acr_values`; an ID token below it, or without `acr`, is refused)
    min_acr: Option<String> = "min-acr", env "TILGANG_MIN_ACR",
        default "substantial", file String;
    /// Connections one client address may have open at once; behind a reverse proxy every
    /// client has the proxy's address, so size it for the proxy
    max_connections_per_client: Option<usize> = "max-connections-per-client",
        env "TILGANG_MAX_CONNECTIONS_PER_CLIENT",
        default "256", file usize;
    /// The most individual requests one decision-API call may hold (`MultiRequests`); a
    /// call with more is refused with 413
    decision_max_requests: Option<usize> = "decision-max-requests",
        env "TILGANG_DECISION_MAX_REQUESTS",
        default "1000", file usize;
    /// The share of decisions written to the audit log, from 0 (none) to 1 (every one)
    decision_audit_rate: Option<String> = "decision-audit-rate",
        env "TILGANG_DECISION_AUDIT_RATE",
        default "0", file String;
    /// Reverse proxies whose X-Forwarded-For is believed, comma-separated IP addresses or
    /// ranges such as `10.0.0.0/8` (rate limits and log-in throttling then go by the client's
    /// address)
    trusted_proxies: Option<String> = "trusted-proxies", env "TILGANG_TRUSTED_PROXIES",
        default_is "none", file String;
    /// Which header the trusted proxies set: `xforwarded` (X-Forwarded-For) or `forwarded`
    /// (RFC 7239 Forwarded); the other one is ignored
    proxy_headers: Option<ProxyHeaders> = "proxy-headers", env "TILGANG_PROXY_HEADERS",
        default "xforwarded", file String;
    /// Start although the database was set up by the other profile, and record this profile
    /// for it (to move test data into production, or the other way, on purpose)
    allow_profile_change: bool = "allow-profile-change", env "TILGANG_ALLOW_PROFILE_CHANGE",
        default "false";
    /// A TOML configuration file with any of the settings that have a TOML key
    config: Option<PathBuf> = "config", env "TILGANG_CONFIG",
        default_is "none";
}

/// A setting whose default is a value: it always has one.
pub(super) struct Given {
    pub key: &'static str,
    pub text: String,
    pub source: Source,
}

impl Given {
    fn new(
        key: &'static str,
        cmd: Option<String>,
        file: Option<String>,
        default: &'static str,
    ) -> Self {
        let picked = Picked::new(key, cmd, file);
        Self {
            key,
            source: picked.source,
            text: picked.text.unwrap_or_else(|| default.to_owned()),
        }
    }

    /// The value read with `parse`; its error names this setting.
    pub fn parse<T>(self, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        parse(&self.text).map_err(|message| ConfigError::Invalid {
            key: self.key,
            message,
        })
    }
}

/// A setting whose default is worked out, or nothing.
pub(super) struct Picked {
    pub key: &'static str,
    pub text: Option<String>,
    pub source: Source,
}

impl Picked {
    fn new(key: &'static str, cmd: Option<String>, file: Option<String>) -> Self {
        let (text, source) = match (cmd, file) {
            (Some(v), _) => (Some(v), Source::Command),
            (None, Some(v)) => (Some(v), Source::File),
            (None, None) => (None, Source::Default),
        };
        Self { key, text, source }
    }

    /// The value, if given, read with `parse`; its error names this setting.
    pub fn parse<T>(
        self,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let key = self.key;
        self.text
            .map(|text| parse(&text).map_err(|message| ConfigError::Invalid { key, message }))
            .transpose()
    }
}

/// A value as the text that flags, file and defaults share (and that the checks read).
trait Text {
    const SECRET: bool = false;
    fn text(&self) -> String;
}

macro_rules! text_by_display {
    ($($t:ty),*) => {$(
        impl Text for $t {
            fn text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

text_by_display!(
    String,
    SocketAddr,
    Profile,
    Alg,
    SmtpSecurity,
    ProxyHeaders,
    u16,
    u64,
    usize,
    bool
);

impl Text for PathBuf {
    fn text(&self) -> String {
        self.display().to_string()
    }
}

impl Text for Duration {
    fn text(&self) -> String {
        format_duration(*self)
    }
}

impl Text for Secret {
    const SECRET: bool = true;
    fn text(&self) -> String {
        self.expose().to_owned()
    }
}

/// A field of [`Overrides`] or of the file: its value as text when it was given.
trait AsText {
    const SECRET: bool;
    fn as_text(&self) -> Option<String>;
}

impl<T: Text> AsText for Option<T> {
    const SECRET: bool = T::SECRET;
    fn as_text(&self) -> Option<String> {
        self.as_ref().map(Text::text)
    }
}

/// A flag: given when on.
impl AsText for bool {
    const SECRET: bool = false;
    fn as_text(&self) -> Option<String> {
        self.then(|| "true".to_owned())
    }
}

/// How a given value shows in debug output.
fn shown(text: &str, secret: bool) -> String {
    if secret {
        "****".to_owned()
    } else {
        super::mask_url_password(text)
    }
}

/// `code` in backticks is for Markdown; the terminal gets it plain.
fn plain(text: &str) -> String {
    text.replace('`', "")
}

fn joined(doc: &[&str]) -> String {
    doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
}

impl SettingDefault {
    /// As the README shows it.
    fn markdown(&self) -> String {
        match self {
            SettingDefault::Value(v) => format!("`{v}`"),
            SettingDefault::Described(d) => (*d).to_owned(),
        }
    }
}

/// A flag's help: what it does and its default.
fn help_line(doc: &[&str], default: SettingDefault) -> String {
    let default = match default {
        SettingDefault::Value(v) => v,
        SettingDefault::Described(d) => d,
    };
    format!("{} [default: {}]", plain(&joined(doc)), plain(default))
}

impl Setting {
    /// The line under `--help`.
    pub fn help(&self) -> String {
        help_line(self.doc, self.default)
    }

    /// What it does, with `code` in backticks.
    pub fn doc(&self) -> String {
        joined(self.doc)
    }

    /// The setting named `name`.
    pub fn named(name: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|s| s.name == name)
    }
}

/// The README's settings table (`tilgang config settings` prints it).
pub fn markdown() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::from(
        "| flag | TOML key | environment | default | what it sets |\n|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        out.push_str(&format!(
            "| `--{}` | {} | `{}` | {} | {} |\n",
            s.name,
            if s.in_file {
                format!("`{}`", s.name)
            } else {
                "–".to_owned()
            },
            s.env,
            cell(&s.default.markdown()),
            cell(&s.doc()),
        ));
    }
    out
}

pub(super) fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
