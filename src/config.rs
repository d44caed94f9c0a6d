//! Configuration: defaults, a TOML file, `TILGANG_*` environment variables and command-line
//! flags, in rising order of precedence. Command-line parsing fills [`Overrides`] (flags and
//! their environment twins); [`Config::resolve`] merges them with the file and the defaults.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Embedded stand-ins for every outside service, SQLite, synthetic demo data.
    Local,
    /// Real outside services, PostgreSQL, test endpoints off.
    Production,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Profile::Local),
            "production" => Ok(Profile::Production),
            other => Err(format!(
                "unknown profile '{other}': use 'local' or 'production'"
            )),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Local => "local",
            Profile::Production => "production",
        })
    }
}

/// Values given on the command line or through the environment (clap reads both).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "TILGANG_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database and other local state [default: ./tilgang-data]
    #[arg(long, env = "TILGANG_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… [default: sqlite://<data-dir>/tilgang.db]
    #[arg(long, env = "TILGANG_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// PEM file with the certificate authority that signed the PostgreSQL server's
    /// certificate (with sslmode=verify-full in database-url) [default: public CAs only]
    #[arg(long, env = "TILGANG_DATABASE_CA_FILE", global = true)]
    pub database_ca_file: Option<PathBuf>,
    /// Production: allow a PostgreSQL connection that is not TLS (or may fall back to plain
    /// text) to a host other than this machine
    #[arg(long, env = "TILGANG_DATABASE_ALLOW_PLAINTEXT", global = true)]
    pub database_allow_plaintext: bool,
    /// The URL people and clients use to reach this server [default: http://<listen>]
    #[arg(long, env = "TILGANG_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// local or production [default: local]
    #[arg(long, env = "TILGANG_PROFILE", global = true)]
    pub profile: Option<Profile>,
    /// A TOML configuration file
    #[arg(long, env = "TILGANG_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// How long a system-user request may wait for an answer, e.g. 10d, 12h, 90s [default: 10d]
    #[arg(long, env = "TILGANG_REQUEST_TIMEOUT", global = true, value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
    /// Log filter, e.g. info or tilgang=debug,tower_http=info [default: info]
    #[arg(long, env = "TILGANG_LOG", global = true)]
    pub log: Option<String>,
    /// Algorithm of new signing keys: RS256, ES256 or EdDSA [default: RS256]
    #[arg(long, env = "TILGANG_SIGNING_ALG", global = true)]
    pub signing_alg: Option<crate::jose::Alg>,
    /// The platform operator's organisation: its daglig leder, styreleder or innehaver may use
    /// the operator pages at /admin/ [default: the demo operator 315177340, local profile]
    #[arg(long, env = "TILGANG_OPERATOR_ORG", global = true)]
    pub operator_org: Option<String>,
    /// An external Maskinporten whose tokens the API accepts, e.g. https://test.maskinporten.no/
    #[arg(long, env = "TILGANG_MASKINPORTEN_ISSUER", global = true)]
    pub maskinporten_issuer: Option<String>,
    /// The JWKS address of that Maskinporten, e.g. https://test.maskinporten.no/jwk
    #[arg(long, env = "TILGANG_MASKINPORTEN_JWKS_URL", global = true)]
    pub maskinporten_jwks_url: Option<String>,
    /// The `aud` that tokens from that Maskinporten must carry (clients ask for it with the
    /// `resource` parameter) [default: not checked, as in Altinn]
    #[arg(long, env = "TILGANG_MASKINPORTEN_AUDIENCE", global = true)]
    pub maskinporten_audience: Option<String>,
    /// ID-porten issuer for people's log-in [default: the embedded one, local profile]
    #[arg(long, env = "TILGANG_IDPORTEN_ISSUER", global = true)]
    pub idporten_issuer: Option<String>,
    /// tilgang's client id at ID-porten
    #[arg(long, env = "TILGANG_IDPORTEN_CLIENT_ID", global = true)]
    pub idporten_client_id: Option<String>,
    /// tilgang's client secret at ID-porten
    #[arg(
        long,
        env = "TILGANG_IDPORTEN_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub idporten_client_secret: Option<String>,
    /// Ansattporten issuer for Altinn Studio log-in [default: the embedded one, local profile]
    #[arg(long, env = "TILGANG_ANSATTPORTEN_ISSUER", global = true)]
    pub ansattporten_issuer: Option<String>,
    /// tilgang's client id at Ansattporten
    #[arg(long, env = "TILGANG_ANSATTPORTEN_CLIENT_ID", global = true)]
    pub ansattporten_client_id: Option<String>,
    /// tilgang's client secret at Ansattporten
    #[arg(
        long,
        env = "TILGANG_ANSATTPORTEN_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub ansattporten_client_secret: Option<String>,
    /// SMTP server for outgoing e-mail, e.g. smtp.example.no [default: none; the local profile
    /// keeps mail in an outbox shown at /dev/mail]
    #[arg(long, env = "TILGANG_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587 with starttls, 465 with tls, 25 with none]
    #[arg(long, env = "TILGANG_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    /// starttls, tls or none [default: starttls]
    #[arg(long, env = "TILGANG_SMTP_SECURITY", global = true)]
    pub smtp_security: Option<SmtpSecurity>,
    /// SMTP user name (AUTH PLAIN)
    #[arg(long, env = "TILGANG_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    /// SMTP password
    #[arg(
        long,
        env = "TILGANG_SMTP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// Sender of e-mail [default: Altinn Studio <studio@altinn.no>]
    #[arg(long, env = "TILGANG_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// How long an activation link works, e.g. 180m, 3h [default: 180m]
    #[arg(long, env = "TILGANG_ACTIVATION_LIFETIME", global = true, value_parser = parse_duration)]
    pub activation_lifetime: Option<Duration>,
    /// Captcha difficulty: the largest secret number the browser searches for [default: 50000]
    #[arg(long, env = "TILGANG_CAPTCHA_DIFFICULTY", global = true)]
    pub captcha_difficulty: Option<u64>,
    /// The lowest level of assurance a person's eID log-in may have: substantial or high
    /// [default: substantial]
    #[arg(long, env = "TILGANG_MIN_ACR", global = true)]
    pub min_acr: Option<String>,
    /// After SIGTERM or Ctrl-C, how long requests in flight may take to finish [default: 10s]
    #[arg(long, env = "TILGANG_SHUTDOWN_GRACE", global = true, value_parser = parse_duration)]
    pub shutdown_grace: Option<Duration>,
    /// Start although the database was set up by the other profile, and record this profile
    /// for it (to move test data into production, or the other way, on purpose)
    #[arg(long, env = "TILGANG_ALLOW_PROFILE_CHANGE", global = true)]
    pub allow_profile_change: bool,
    /// How often the background jobs run (purge, time-outs, mail retries, key reload) [default: 60s]
    #[arg(long, env = "TILGANG_JOB_INTERVAL", global = true, value_parser = parse_duration)]
    pub job_interval: Option<Duration>,
    /// How long a client may take to send a request's headers; also how long an idle
    /// keep-alive connection stays open [default: 10s]
    #[arg(long, env = "TILGANG_HEADER_READ_TIMEOUT", global = true, value_parser = parse_duration)]
    pub header_read_timeout: Option<Duration>,
    /// Reverse proxies whose X-Forwarded-For is believed, comma-separated IP addresses or
    /// ranges such as 10.0.0.0/8 (rate limits and log-in throttling then go by the client's
    /// address) [default: none]
    #[arg(long, env = "TILGANG_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Which header the trusted proxies set: xforwarded (X-Forwarded-For) or forwarded
    /// (RFC 7239 Forwarded); the other one is ignored [default: xforwarded]
    #[arg(long, env = "TILGANG_PROXY_HEADERS", global = true)]
    pub proxy_headers: Option<ProxyHeaders>,
    /// Connections one client address may have open at once; behind a reverse proxy every
    /// client has the proxy's address, so size it for the proxy [default: 256]
    #[arg(long, env = "TILGANG_MAX_CONNECTIONS_PER_CLIENT", global = true)]
    pub max_connections_per_client: Option<usize>,
}

/// The header a trusted reverse proxy names the client in. Only that one is read: a proxy
/// passes the other one on from the client unchanged, so it could be forged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeaders {
    /// `X-Forwarded-For: client, proxy1`
    #[default]
    XForwarded,
    /// `Forwarded: for=client;proto=https, for=proxy1` (RFC 7239)
    Forwarded,
}

impl FromStr for ProxyHeaders {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "xforwarded" => Ok(ProxyHeaders::XForwarded),
            "forwarded" => Ok(ProxyHeaders::Forwarded),
            other => Err(format!(
                "'{other}' is not xforwarded (X-Forwarded-For) or forwarded (RFC 7239 Forwarded)"
            )),
        }
    }
}

impl fmt::Display for ProxyHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProxyHeaders::XForwarded => "xforwarded",
            ProxyHeaders::Forwarded => "forwarded",
        })
    }
}

/// How tilgang talks to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (refused when the server does not offer it).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption (a local relay or a test sink only).
    None,
}

impl FromStr for SmtpSecurity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            other => Err(format!(
                "unknown SMTP security '{other}': use starttls, tls or none"
            )),
        }
    }
}

impl fmt::Display for SmtpSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        })
    }
}

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

/// The keys accepted in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    database_ca_file: Option<PathBuf>,
    database_allow_plaintext: Option<bool>,
    public_url: Option<String>,
    profile: Option<String>,
    request_timeout: Option<String>,
    log: Option<String>,
    signing_alg: Option<String>,
    operator_org: Option<String>,
    maskinporten_issuer: Option<String>,
    maskinporten_jwks_url: Option<String>,
    maskinporten_audience: Option<String>,
    idporten_issuer: Option<String>,
    idporten_client_id: Option<String>,
    idporten_client_secret: Option<String>,
    ansattporten_issuer: Option<String>,
    ansattporten_client_id: Option<String>,
    ansattporten_client_secret: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    mail_from: Option<String>,
    activation_lifetime: Option<String>,
    captcha_difficulty: Option<u64>,
    job_interval: Option<String>,
    header_read_timeout: Option<String>,
    max_connections_per_client: Option<usize>,
    trusted_proxies: Option<String>,
    proxy_headers: Option<String>,
    shutdown_grace: Option<String>,
    min_acr: Option<String>,
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

#[derive(Debug, Clone)]
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
    /// The real ID-porten and Ansattporten (production); `None` means the embedded provider.
    /// Whose main administrators may use the operator pages.
    pub operator_org: Option<crate::domain::OrgNumber>,
    /// An external Maskinporten (issuer with trailing slash, JWKS URL) whose tokens the API
    /// accepts besides the embedded one's.
    pub maskinporten: Option<(String, String)>,
    /// The `aud` tokens of the external Maskinporten must carry.
    pub maskinporten_audience: Option<String>,
    pub idporten: Option<ExternalProvider>,
    pub ansattporten: Option<ExternalProvider>,
    /// `None`: mail is only kept in the outbox (local profile).
    pub smtp: Option<Smtp>,
    pub mail_from: String,
    /// How long an activation link works (Gitea's ACTIVE_CODE_LIVE_MINUTES).
    pub activation_lifetime: Duration,
    pub captcha_difficulty: u64,
    pub job_interval: Duration,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
    /// The `acr` value a person's log-in must reach (ID-porten's URN form).
    pub min_acr: &'static str,
    pub max_connections_per_client: usize,
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
    pub fn resolve(o: &Overrides) -> Result<Self, ConfigError> {
        let file = match &o.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let mut sources = Vec::new();
        let mut pick =
            |key: &'static str, cmd: Option<String>, file: Option<String>| -> Option<String> {
                let (v, s) = match (cmd, file) {
                    (Some(v), _) => (Some(v), Source::Command),
                    (None, Some(v)) => (Some(v), Source::File),
                    (None, None) => (None, Source::Default),
                };
                sources.push((key, s));
                v
            };

        let profile = match pick("profile", o.profile.map(|p| p.to_string()), file.profile) {
            Some(p) => p.parse().map_err(|message| ConfigError::Invalid {
                key: "profile",
                message,
            })?,
            None => Profile::Local,
        };
        let listen = match pick("listen", o.listen.map(|l| l.to_string()), file.listen) {
            Some(l) => l
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                    key: "listen",
                    message: format!("'{l}' is not an address such as 127.0.0.1:8080 ({e})"),
                })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir = pick(
            "data-dir",
            o.data_dir.as_ref().map(|d| d.display().to_string()),
            file.data_dir.map(|d| d.display().to_string()),
        )
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("./tilgang-data"));
        let database_url = pick("database-url", o.database_url.clone(), file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}/tilgang.db", data_dir.display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                key: "database-url",
                message: "use sqlite://PATH or postgres://USER@HOST/DB".into(),
            });
        }
        let database_ca_file = pick(
            "database-ca-file",
            o.database_ca_file.as_ref().map(|d| d.display().to_string()),
            file.database_ca_file.map(|d| d.display().to_string()),
        )
        .map(PathBuf::from);
        let database_allow_plaintext = o.database_allow_plaintext
            || pick(
                "database-allow-plaintext",
                None,
                file.database_allow_plaintext.map(|b| b.to_string()),
            )
            .is_some_and(|b| b == "true");
        check_database_tls(&database_url, database_ca_file.as_deref())?;
        let public_url = pick("public-url", o.public_url.clone(), file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = check_public_url(&public_url)?;
        let request_timeout = match pick(
            "request-timeout",
            o.request_timeout.map(format_duration),
            file.request_timeout,
        ) {
            Some(t) => parse_duration(&t).map_err(|message| ConfigError::Invalid {
                key: "request-timeout",
                message,
            })?,
            None => Duration::from_secs(10 * 24 * 3600),
        };
        let log = pick("log", o.log.clone(), file.log).unwrap_or_else(|| "info".into());
        let signing_alg = match pick(
            "signing-alg",
            o.signing_alg.map(|a| a.to_string()),
            file.signing_alg,
        ) {
            Some(a) => a.parse().map_err(|message| ConfigError::Invalid {
                key: "signing-alg",
                message,
            })?,
            None => crate::jose::Alg::Rs256,
        };
        let operator_org = match pick("operator-org", o.operator_org.clone(), file.operator_org) {
            Some(o) => Some(o.parse().map_err(
                |e: crate::domain::org_number::OrgNumberError| ConfigError::Invalid {
                    key: "operator-org",
                    message: format!("'{o}': {e}"),
                },
            )?),
            None if profile == Profile::Local => "315177340".parse().ok(),
            None => None,
        };
        let maskinporten = match (
            pick(
                "maskinporten-issuer",
                o.maskinporten_issuer.clone(),
                file.maskinporten_issuer,
            ),
            pick(
                "maskinporten-jwks-url",
                o.maskinporten_jwks_url.clone(),
                file.maskinporten_jwks_url,
            ),
        ) {
            (None, None) => None,
            (Some(issuer), Some(jwks)) => {
                let bad = |key: &'static str, v: &str| ConfigError::Invalid {
                    key,
                    message: format!("'{v}' is not an http(s) URL"),
                };
                let issuer_checked =
                    check_public_url(&issuer).map_err(|_| bad("maskinporten-issuer", &issuer))?;
                check_public_url(&jwks).map_err(|_| bad("maskinporten-jwks-url", &jwks))?;
                Some((format!("{issuer_checked}/"), jwks))
            }
            _ => {
                return Err(ConfigError::Invalid {
                    key: "maskinporten-issuer",
                    message: "give maskinporten-issuer and maskinporten-jwks-url together".into(),
                });
            }
        };
        let maskinporten_audience = pick(
            "maskinporten-audience",
            o.maskinporten_audience.clone(),
            file.maskinporten_audience,
        )
        .map(|a| a.trim().to_owned());
        match (&maskinporten_audience, &maskinporten) {
            (Some(a), _) if a.is_empty() => {
                return Err(ConfigError::Invalid {
                    key: "maskinporten-audience",
                    message: "is empty".into(),
                });
            }
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    key: "maskinporten-audience",
                    message: "applies to the external Maskinporten: set maskinporten-issuer and maskinporten-jwks-url too".into(),
                });
            }
            _ => {}
        }
        let mut provider = |name: &'static str,
                            triple: [(&'static str, Option<String>, Option<String>); 3]|
         -> Result<Option<ExternalProvider>, ConfigError> {
            let [issuer, id, secret] = triple.map(|(key, cmd, file)| pick(key, cmd, file));
            match (issuer, id, secret) {
                (None, None, None) => Ok(None),
                (Some(issuer), Some(client_id), Some(client_secret)) => {
                    // Kept exactly as given: issuers are compared byte for byte (OpenID
                    // Connect Discovery §4.3, Core §3.1.3.7), and the real ones have no
                    // trailing slash (https://idporten.no).
                    check_public_url(&issuer).map_err(|_| ConfigError::Invalid {
                        key: name,
                        message: format!("'{issuer}' is not an http(s) URL"),
                    })?;
                    Ok(Some(ExternalProvider {
                        issuer: issuer.trim().to_owned(),
                        client_id,
                        client_secret: crate::secret::Secret::new(client_secret),
                    }))
                }
                _ => Err(ConfigError::Invalid {
                    key: name,
                    message: "give the issuer, the client id and the client secret together".into(),
                }),
            }
        };
        let idporten = provider(
            "idporten-issuer",
            [
                (
                    "idporten-issuer",
                    o.idporten_issuer.clone(),
                    file.idporten_issuer,
                ),
                (
                    "idporten-client-id",
                    o.idporten_client_id.clone(),
                    file.idporten_client_id,
                ),
                (
                    "idporten-client-secret",
                    o.idporten_client_secret.clone(),
                    file.idporten_client_secret,
                ),
            ],
        )?;
        let ansattporten = provider(
            "ansattporten-issuer",
            [
                (
                    "ansattporten-issuer",
                    o.ansattporten_issuer.clone(),
                    file.ansattporten_issuer,
                ),
                (
                    "ansattporten-client-id",
                    o.ansattporten_client_id.clone(),
                    file.ansattporten_client_id,
                ),
                (
                    "ansattporten-client-secret",
                    o.ansattporten_client_secret.clone(),
                    file.ansattporten_client_secret,
                ),
            ],
        )?;
        let smtp_security = match pick(
            "smtp-security",
            o.smtp_security.map(|s| s.to_string()),
            file.smtp_security,
        ) {
            Some(s) => s.parse().map_err(|message| ConfigError::Invalid {
                key: "smtp-security",
                message,
            })?,
            None => SmtpSecurity::StartTls,
        };
        let smtp_port = pick(
            "smtp-port",
            o.smtp_port.map(|p| p.to_string()),
            file.smtp_port.map(|p| p.to_string()),
        );
        let smtp_user = pick("smtp-username", o.smtp_username.clone(), file.smtp_username);
        let smtp_password = pick("smtp-password", o.smtp_password.clone(), file.smtp_password);
        let smtp = match pick("smtp-host", o.smtp_host.clone(), file.smtp_host) {
            None => None,
            Some(host) => {
                if host.is_empty() || host.contains(['/', ' ', ':']) {
                    return Err(ConfigError::Invalid {
                        key: "smtp-host",
                        message: format!("'{host}' is not a host name or address"),
                    });
                }
                let port = match smtp_port {
                    Some(p) => p.parse().map_err(|_| ConfigError::Invalid {
                        key: "smtp-port",
                        message: format!("'{p}' is not a port number"),
                    })?,
                    None => match smtp_security {
                        SmtpSecurity::StartTls => 587,
                        SmtpSecurity::Tls => 465,
                        SmtpSecurity::None => 25,
                    },
                };
                let credentials = match (smtp_user, smtp_password) {
                    (None, None) => None,
                    (Some(u), Some(p)) => Some((u, crate::secret::Secret::new(p))),
                    _ => {
                        return Err(ConfigError::Invalid {
                            key: "smtp-username",
                            message: "give smtp-username and smtp-password together".into(),
                        });
                    }
                };
                Some(Smtp {
                    host,
                    port,
                    security: smtp_security,
                    credentials,
                })
            }
        };
        let mail_from = pick("mail-from", o.mail_from.clone(), file.mail_from)
            .unwrap_or_else(|| "Altinn Studio <studio@altinn.no>".into());
        if !mail_from.contains('@') || mail_from.contains(['\r', '\n']) {
            return Err(ConfigError::Invalid {
                key: "mail-from",
                message: format!("'{mail_from}' is not an e-mail address"),
            });
        }
        let activation_lifetime = match pick(
            "activation-lifetime",
            o.activation_lifetime.map(format_duration),
            file.activation_lifetime,
        ) {
            Some(t) => parse_duration(&t)
                .and_then(|d| {
                    if d.as_secs() >= 60 {
                        Ok(d)
                    } else {
                        Err("must be at least one minute".into())
                    }
                })
                .map_err(|message| ConfigError::Invalid {
                    key: "activation-lifetime",
                    message,
                })?,
            None => Duration::from_secs(180 * 60),
        };
        let captcha_difficulty = match pick(
            "captcha-difficulty",
            o.captcha_difficulty.map(|d| d.to_string()),
            file.captcha_difficulty.map(|d| d.to_string()),
        ) {
            Some(d) => d
                .parse::<u64>()
                .ok()
                .filter(|d| (1..=10_000_000).contains(d))
                .ok_or_else(|| ConfigError::Invalid {
                    key: "captcha-difficulty",
                    message: format!("'{d}' is not a number from 1 to 10000000"),
                })?,
            None => 50_000,
        };

        let mut duration = |key: &'static str,
                            cmd: Option<Duration>,
                            file: Option<String>,
                            default: Duration,
                            range: std::ops::RangeInclusive<u64>|
         -> Result<Duration, ConfigError> {
            match pick(key, cmd.map(format_duration), file) {
                Some(t) => parse_duration(&t)
                    .and_then(|d| {
                        if range.contains(&d.as_secs()) {
                            Ok(d)
                        } else {
                            Err(format!(
                                "'{t}' is outside {} to {}",
                                format_duration(Duration::from_secs(*range.start())),
                                format_duration(Duration::from_secs(*range.end()))
                            ))
                        }
                    })
                    .map_err(|message| ConfigError::Invalid { key, message }),
                None => Ok(default),
            }
        };
        let job_interval = duration(
            "job-interval",
            o.job_interval,
            file.job_interval,
            Duration::from_secs(60),
            1..=86_400,
        )?;
        let header_read_timeout = duration(
            "header-read-timeout",
            o.header_read_timeout,
            file.header_read_timeout,
            Duration::from_secs(10),
            1..=3_600,
        )?;
        let shutdown_grace = duration(
            "shutdown-grace",
            o.shutdown_grace,
            file.shutdown_grace,
            Duration::from_secs(10),
            1..=3_600,
        )?;
        let min_acr = match pick("min-acr", o.min_acr.clone(), file.min_acr) {
            None => crate::services::idp::ACR_SUBSTANTIAL,
            Some(v) => match v.trim() {
                "substantial" | "idporten-loa-substantial" => crate::services::idp::ACR_SUBSTANTIAL,
                "high" | "idporten-loa-high" => crate::services::idp::ACR_HIGH,
                other => {
                    return Err(ConfigError::Invalid {
                        key: "min-acr",
                        message: format!("'{other}' is not substantial or high"),
                    });
                }
            },
        };
        let max_connections_per_client = match pick(
            "max-connections-per-client",
            o.max_connections_per_client.map(|n| n.to_string()),
            file.max_connections_per_client.map(|n| n.to_string()),
        ) {
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    key: "max-connections-per-client",
                    message: format!("'{n}' is not a number from 1 to 100000"),
                })?,
            None => 256,
        };
        let trusted_proxies = match pick(
            "trusted-proxies",
            o.trusted_proxies.clone(),
            file.trusted_proxies,
        ) {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.parse::<AddressRange>().map_err(|_| ConfigError::Invalid {
                        key: "trusted-proxies",
                        message: format!(
                            "'{a}' is not an IP address or a range such as 10.0.0.0/8"
                        ),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let proxy_headers = match pick(
            "proxy-headers",
            o.proxy_headers.map(|p| p.to_string()),
            file.proxy_headers,
        ) {
            Some(p) => p.trim().parse().map_err(|message| ConfigError::Invalid {
                key: "proxy-headers",
                message,
            })?,
            None => ProxyHeaders::default(),
        };

        let config = Config {
            profile,
            listen,
            data_dir,
            database_url,
            database_ca_file,
            database_allow_plaintext,
            public_url,
            request_timeout,
            log,
            signing_alg,
            operator_org,
            maskinporten,
            maskinporten_audience,
            idporten,
            ansattporten,
            smtp,
            mail_from,
            activation_lifetime,
            captcha_difficulty,
            job_interval,
            header_read_timeout,
            shutdown_grace,
            min_acr,
            max_connections_per_client,
            trusted_proxies,
            proxy_headers,
            allow_profile_change: o.allow_profile_change,
            config_file: o.config.clone(),
            sources,
        };
        config.check_profile()?;
        Ok(config)
    }

    fn source(&self, key: &str) -> Source {
        self.sources
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| *s)
            .unwrap_or(Source::Default)
    }

    /// The production profile refuses defaults that only make sense on a laptop.
    fn check_profile(&self) -> Result<(), ConfigError> {
        if self.profile != Profile::Production {
            return Ok(());
        }
        let mut missing = Vec::new();
        if self.source("database-url") == Source::Default || self.is_sqlite() {
            missing.push("database-url (TILGANG_DATABASE_URL): a postgres:// URL".to_owned());
        } else if !self.database_allow_plaintext
            && let Some((host, mode)) = plaintext_risk(&self.database_url)
        {
            missing.push(format!(
                "database-url: sslmode={mode} to {host} may send data and passwords in plain text; \
                 add sslmode=verify-full (with database-ca-file when the server's certificate \
                 is not from a public CA), or set database-allow-plaintext on a network you trust"
            ));
        }
        if self.source("public-url") == Source::Default {
            missing.push(
                "public-url (TILGANG_PUBLIC_URL): the https:// address clients use".to_owned(),
            );
        } else if !self.public_url.starts_with("https://") {
            missing.push(
                "public-url (TILGANG_PUBLIC_URL): must use https:// in production".to_owned(),
            );
        }
        if self.idporten.is_none() {
            missing.push("idporten-issuer, idporten-client-id, idporten-client-secret (TILGANG_IDPORTEN_*): the real ID-porten".to_owned());
        }
        if self.ansattporten.is_none() {
            missing.push("ansattporten-issuer, ansattporten-client-id, ansattporten-client-secret (TILGANG_ANSATTPORTEN_*): the real Ansattporten".to_owned());
        }
        if self.smtp.is_none() {
            missing.push(
                "smtp-host (TILGANG_SMTP_HOST): an SMTP server for activation e-mail".to_owned(),
            );
        }
        if self.maskinporten.is_none() {
            missing.push("maskinporten-issuer, maskinporten-jwks-url (TILGANG_MASKINPORTEN_*): the real Maskinporten".to_owned());
        }
        // Keys and ID tokens fetched over plain HTTP could be swapped on the way.
        let providers = [
            (
                "idporten-issuer",
                self.idporten.as_ref().map(|p| p.issuer.as_str()),
            ),
            (
                "ansattporten-issuer",
                self.ansattporten.as_ref().map(|p| p.issuer.as_str()),
            ),
            (
                "maskinporten-issuer",
                self.maskinporten.as_ref().map(|(i, _)| i.as_str()),
            ),
            (
                "maskinporten-jwks-url",
                self.maskinporten.as_ref().map(|(_, j)| j.as_str()),
            ),
        ];
        for (key, url) in providers {
            if let Some(url) = url
                && !url.starts_with("https://")
                && !is_loopback_url(url)
            {
                missing.push(format!(
                    "{key}: '{url}' must use https:// in production (plain http only on loopback)"
                ));
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Incomplete(missing))
        }
    }

    /// Settings that work but that an operator should know are weak.
    pub fn warnings(&self) -> Vec<String> {
        use sqlx::postgres::PgSslMode;
        let mut out = Vec::new();
        if !self.is_sqlite()
            && let Ok(options) = postgres_options(&self.database_url)
            && options.get_socket().is_none()
            && !is_local_host(options.get_host())
        {
            match options.get_ssl_mode() {
                PgSslMode::Require | PgSslMode::VerifyCa => out.push(format!(
                    "database-url: sslmode={} encrypts, but does not check that {} is the \
                     server it claims to be; prefer sslmode=verify-full",
                    ssl_mode_name(options.get_ssl_mode()),
                    options.get_host()
                )),
                PgSslMode::VerifyFull => {}
                mode => out.push(format!(
                    "database-url: sslmode={} to {} may use plain text",
                    ssl_mode_name(mode),
                    options.get_host()
                )),
            }
        }
        out
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// `public_url` joined with a path that starts with '/'.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// The effective configuration as `key = value  # source`, secrets masked.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.config_file {
            out.push_str(&format!("# configuration file: {}\n", f.display()));
        }
        let rows = [
            ("profile", self.profile.to_string()),
            ("listen", self.listen.to_string()),
            ("data-dir", self.data_dir.display().to_string()),
            ("database-url", mask_url_password(&self.database_url)),
            (
                "database-ca-file",
                self.database_ca_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "none (public CAs)".into()),
            ),
            (
                "database-allow-plaintext",
                self.database_allow_plaintext.to_string(),
            ),
            ("public-url", self.public_url.clone()),
            ("request-timeout", format_duration(self.request_timeout)),
            ("log", self.log.clone()),
            ("signing-alg", self.signing_alg.to_string()),
            (
                "operator-org",
                self.operator_org
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "none".into()),
            ),
            (
                "maskinporten-issuer",
                self.maskinporten
                    .as_ref()
                    .map(|(i, _)| i.clone())
                    .unwrap_or_else(|| "embedded only".into()),
            ),
            (
                "maskinporten-jwks-url",
                self.maskinporten
                    .as_ref()
                    .map(|(_, j)| j.clone())
                    .unwrap_or_default(),
            ),
            (
                "maskinporten-audience",
                self.maskinporten_audience
                    .clone()
                    .unwrap_or_else(|| "not checked".into()),
            ),
            (
                "idporten-issuer",
                self.idporten
                    .as_ref()
                    .map(|p| p.issuer.clone())
                    .unwrap_or_else(|| "embedded".into()),
            ),
            (
                "idporten-client-id",
                self.idporten
                    .as_ref()
                    .map(|p| p.client_id.clone())
                    .unwrap_or_default(),
            ),
            (
                "idporten-client-secret",
                self.idporten
                    .as_ref()
                    .map(|_| "****".to_owned())
                    .unwrap_or_default(),
            ),
            (
                "ansattporten-issuer",
                self.ansattporten
                    .as_ref()
                    .map(|p| p.issuer.clone())
                    .unwrap_or_else(|| "embedded".into()),
            ),
            (
                "ansattporten-client-id",
                self.ansattporten
                    .as_ref()
                    .map(|p| p.client_id.clone())
                    .unwrap_or_default(),
            ),
            (
                "ansattporten-client-secret",
                self.ansattporten
                    .as_ref()
                    .map(|_| "****".to_owned())
                    .unwrap_or_default(),
            ),
            (
                "smtp-host",
                self.smtp
                    .as_ref()
                    .map(|s| s.host.clone())
                    .unwrap_or_else(|| "none (outbox only)".into()),
            ),
            (
                "smtp-port",
                self.smtp
                    .as_ref()
                    .map(|s| s.port.to_string())
                    .unwrap_or_default(),
            ),
            (
                "smtp-security",
                self.smtp
                    .as_ref()
                    .map(|s| s.security.to_string())
                    .unwrap_or_default(),
            ),
            (
                "smtp-username",
                self.smtp
                    .as_ref()
                    .and_then(|s| s.credentials.as_ref())
                    .map(|(u, _)| u.clone())
                    .unwrap_or_default(),
            ),
            (
                "smtp-password",
                self.smtp
                    .as_ref()
                    .and_then(|s| s.credentials.as_ref())
                    .map(|_| "****".to_owned())
                    .unwrap_or_default(),
            ),
            ("mail-from", self.mail_from.clone()),
            (
                "activation-lifetime",
                format_duration(self.activation_lifetime),
            ),
            ("captcha-difficulty", self.captcha_difficulty.to_string()),
            ("job-interval", format_duration(self.job_interval)),
            (
                "header-read-timeout",
                format_duration(self.header_read_timeout),
            ),
            ("shutdown-grace", format_duration(self.shutdown_grace)),
            ("min-acr", self.min_acr.to_owned()),
            (
                "max-connections-per-client",
                self.max_connections_per_client.to_string(),
            ),
            (
                "trusted-proxies",
                self.trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("proxy-headers", self.proxy_headers.to_string()),
        ];
        for (key, value) in rows {
            out.push_str(&format!("{key} = {value:?}  # {}\n", self.source(key)));
        }
        out
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn check_public_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::Invalid {
            key: "public-url",
            message: format!("'{url}' must start with http:// or https://"),
        })?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(ConfigError::Invalid {
            key: "public-url",
            message: format!("'{url}' is not a plain base URL"),
        });
    }
    Ok(trimmed.to_owned())
}

/// An IP address or a range of them in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl AddressRange {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        let (net, ip, bits) = match (self.addr, ip) {
            (V4(n), V4(i)) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
            (V6(n), V6(i)) => (u128::from(n), u128::from(i), 128),
            (V6(n), V4(i)) => match n.to_ipv4_mapped() {
                Some(n) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
                None => return false,
            },
            (V4(n), V6(i)) => match i.to_ipv4_mapped() {
                Some(i) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
                None => return false,
            },
        };
        let prefix = u32::from(self.prefix.min(bits));
        let shift = u32::from(bits) - prefix;
        shift >= 128 || (net >> shift) == (ip >> shift)
    }
}

impl FromStr for AddressRange {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| ())?)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = addr.parse().map_err(|_| ())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(());
        }
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// The PostgreSQL connection settings of `url` (and of the `PG*` environment), or why
/// they cannot be read.
fn postgres_options(url: &str) -> Result<sqlx::postgres::PgConnectOptions, ConfigError> {
    sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| ConfigError::Invalid {
        key: "database-url",
        message: e.to_string(),
    })
}

/// A CA file must hold certificates, and only a verifying sslmode uses it (sqlx's `require`
/// ignores it, unlike libpq's).
fn check_database_tls(url: &str, ca_file: Option<&Path>) -> Result<(), ConfigError> {
    use sqlx::postgres::PgSslMode;
    if url.starts_with("sqlite:") {
        return match ca_file {
            Some(_) => Err(ConfigError::Invalid {
                key: "database-ca-file",
                message: "only a postgres:// database-url uses a CA file".into(),
            }),
            None => Ok(()),
        };
    }
    let options = postgres_options(url)?;
    let Some(path) = ca_file else {
        return Ok(());
    };
    let pem = std::fs::read(path).map_err(|e| ConfigError::Invalid {
        key: "database-ca-file",
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    use tokio_rustls::rustls::pki_types::{CertificateDer, pem::PemObject};
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&pem).collect();
    match certs {
        Ok(certs) if !certs.is_empty() => {}
        _ => {
            return Err(ConfigError::Invalid {
                key: "database-ca-file",
                message: format!("{} holds no PEM certificate", path.display()),
            });
        }
    }
    if !matches!(
        options.get_ssl_mode(),
        PgSslMode::VerifyCa | PgSslMode::VerifyFull
    ) {
        return Err(ConfigError::Invalid {
            key: "database-ca-file",
            message: format!(
                "sslmode={} does not check the server's certificate; add sslmode=verify-full \
                 to database-url",
                ssl_mode_name(options.get_ssl_mode())
            ),
        });
    }
    Ok(())
}

/// `(host, sslmode)` when a connection to another machine could be plain text.
fn plaintext_risk(url: &str) -> Option<(String, &'static str)> {
    use sqlx::postgres::PgSslMode;
    let options = postgres_options(url).ok()?;
    if options.get_socket().is_some() || is_local_host(options.get_host()) {
        return None;
    }
    let mode = options.get_ssl_mode();
    matches!(
        mode,
        PgSslMode::Disable | PgSslMode::Allow | PgSslMode::Prefer
    )
    .then(|| (options.get_host().to_owned(), ssl_mode_name(mode)))
}

fn ssl_mode_name(mode: sqlx::postgres::PgSslMode) -> &'static str {
    use sqlx::postgres::PgSslMode;
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// This machine: `localhost`, 127.0.0.0/8, `::1`, or a Unix socket directory.
fn is_local_host(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `http://` to 127.0.0.0/8, `[::1]` or `localhost`.
fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Hides the password in `scheme://user:password@host/…`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

/// Parses `10d`, `12h`, `30m`, `90s` (or a plain number of seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a duration such as 10d, 12h, 30m or 90s"))?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(format!("'{s}' has an unknown unit; use d, h, m or s")),
    };
    match secs {
        Some(0) => Err("a duration must be longer than zero".into()),
        Some(secs) => Ok(Duration::from_secs(secs)),
        None => Err(format!("'{s}' is too long")),
    }
}

pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_local_profile() {
        let c = Config::resolve(&Overrides::default()).unwrap();
        assert_eq!(c.profile, Profile::Local);
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./tilgang-data/tilgang.db");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.request_timeout, Duration::from_secs(864_000));
        assert_eq!(c.job_interval, Duration::from_secs(60));
        assert_eq!(c.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.max_connections_per_client, 256);
        assert!(c.trusted_proxies.is_empty());
    }

    #[test]
    fn production_wants_https_providers_outside_loopback() {
        let base = || Overrides {
            profile: Some(Profile::Production),
            database_url: Some("postgres://u@db/t?sslmode=verify-full".into()),
            public_url: Some("https://tilgang.example".into()),
            smtp_host: Some("smtp.example".into()),
            idporten_issuer: Some("https://idporten.no".into()),
            idporten_client_id: Some("c".into()),
            idporten_client_secret: Some("s".into()),
            ansattporten_issuer: Some("https://ansattporten.no".into()),
            ansattporten_client_id: Some("c".into()),
            ansattporten_client_secret: Some("s".into()),
            maskinporten_issuer: Some("https://maskinporten.no/".into()),
            maskinporten_jwks_url: Some("https://maskinporten.no/jwk".into()),
            ..Default::default()
        };
        let c = Config::resolve(&base()).unwrap();
        assert_eq!(
            c.idporten.unwrap().issuer,
            "https://idporten.no",
            "kept exactly"
        );
        let e = Config::resolve(&Overrides {
            idporten_issuer: Some("http://idporten.example".into()),
            maskinporten_jwks_url: Some("http://mp.example/jwk".into()),
            ..base()
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("idporten-issuer: 'http://idporten.example' must use https://"),
            "{e}"
        );
        assert!(e.contains("maskinporten-jwks-url"), "{e}");
        // A provider on this machine (a test, or a sidecar) may speak plain HTTP.
        for local in [
            "http://127.0.0.1:9000",
            "http://localhost:9000/op",
            "http://[::1]:9000",
        ] {
            assert!(
                Config::resolve(&Overrides {
                    idporten_issuer: Some(local.into()),
                    ..base()
                })
                .is_ok(),
                "{local}"
            );
        }
        assert!(!is_loopback_url("http://127.0.0.1.evil.example/"));
    }

    #[test]
    fn production_refuses_plain_text_to_a_database_on_another_host() {
        let with = |url: &str, allow: bool| {
            Config::resolve(&Overrides {
                profile: Some(Profile::Production),
                database_url: Some(url.into()),
                database_allow_plaintext: allow,
                public_url: Some("https://tilgang.example".into()),
                smtp_host: Some("smtp.example".into()),
                idporten_issuer: Some("https://idporten.no".into()),
                idporten_client_id: Some("c".into()),
                idporten_client_secret: Some("s".into()),
                ansattporten_issuer: Some("https://ansattporten.no".into()),
                ansattporten_client_id: Some("c".into()),
                ansattporten_client_secret: Some("s".into()),
                maskinporten_issuer: Some("https://maskinporten.no/".into()),
                maskinporten_jwks_url: Some("https://maskinporten.no/jwk".into()),
                ..Default::default()
            })
        };
        for (url, mode) in [
            ("postgres://u@db.example/t", "prefer"),
            ("postgres://u@db.example/t?sslmode=disable", "disable"),
            ("postgres://u@10.0.0.5:5433/t?sslmode=allow", "allow"),
        ] {
            let e = with(url, false).unwrap_err().to_string();
            assert!(e.contains(&format!("sslmode={mode}")), "{e}");
            assert!(e.contains("database-allow-plaintext"), "{e}");
            assert!(with(url, true).is_ok(), "allowed on purpose: {url}");
        }
        for url in [
            "postgres://u@db.example/t?sslmode=verify-full",
            "postgres://u@localhost/t",
            "postgres://u@127.0.0.1:5432/t?sslmode=disable",
            "postgres://u@[::1]/t",
            "postgres:///t?host=/run/postgresql",
        ] {
            let c = with(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(c.warnings().is_empty(), "{url}: {:?}", c.warnings());
        }
        let c = with("postgres://u@db.example/t?sslmode=require", false).unwrap();
        assert!(c.warnings()[0].contains("prefer sslmode=verify-full"));
        assert!(c.warnings()[0].contains("db.example"));
        // A refused database is named even when nothing else is wrong.
        assert!(matches!(
            with("postgres://u@db.example/t", false),
            Err(ConfigError::Incomplete(m)) if m.len() == 1
        ));
    }

    #[test]
    fn a_database_ca_file_must_hold_certificates_and_be_used() {
        let dir = std::env::temp_dir().join(format!("tilgang-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("ca.txt");
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let resolve = |url: &str, ca: &Path| {
            Config::resolve(&Overrides {
                database_url: Some(url.into()),
                database_ca_file: Some(ca.to_path_buf()),
                ..Default::default()
            })
            .map(|_| ())
            .unwrap_err()
            .to_string()
        };
        let full = "postgres://u@db.example/t?sslmode=verify-full";
        let e = resolve(full, &dir.join("missing.pem"));
        assert!(
            e.contains("database-ca-file") && e.contains("cannot read"),
            "{e}"
        );
        let e = resolve(full, &not_pem);
        assert!(e.contains("holds no PEM certificate"), "{e}");
        // A certificate whose mode would ignore it is a mistake, not a silent no-op.
        let pem = dir.join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = resolve("postgres://u@db.example/t?sslmode=require", &pem);
        assert!(e.contains("sslmode=require does not check"), "{e}");
        let e = resolve("sqlite://./x.db", &pem);
        assert!(e.contains("only a postgres://"), "{e}");
        let c = Config::resolve(&Overrides {
            database_url: Some(full.into()),
            database_ca_file: Some(pem.clone()),
            ..Default::default()
        })
        .unwrap();
        assert!(c.describe().contains("ca.pem"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let c = Config::resolve(&Overrides {
            idporten_issuer: Some("https://idporten.no".into()),
            idporten_client_id: Some("c".into()),
            idporten_client_secret: Some("hemmelig-1".into()),
            smtp_host: Some("smtp.example".into()),
            smtp_username: Some("u".into()),
            smtp_password: Some("hemmelig-2".into()),
            ..Default::default()
        })
        .unwrap();
        let shown = format!("{c:?}{}", c.describe());
        assert!(!shown.contains("hemmelig"), "{shown}");
        assert!(shown.contains("Secret(****)"));
    }

    #[test]
    fn a_maskinporten_audience_needs_the_external_maskinporten() {
        let err = Config::resolve(&Overrides {
            maskinporten_audience: Some("https://api.example/".into()),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("maskinporten-audience") && err.contains("maskinporten-issuer"),
            "{err}"
        );
        let c = Config::resolve(&Overrides {
            maskinporten_audience: Some(" https://api.example/ ".into()),
            maskinporten_issuer: Some("https://test.maskinporten.no/".into()),
            maskinporten_jwks_url: Some("https://test.maskinporten.no/jwk".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            c.maskinporten_audience.as_deref(),
            Some("https://api.example/")
        );
        assert!(
            c.describe()
                .contains("maskinporten-audience = \"https://api.example/\"")
        );
    }

    #[test]
    fn limits_and_proxies_are_checked() {
        let c = Config::resolve(&Overrides {
            trusted_proxies: Some("10.0.0.1, ::1, 172.16.0.0/12".into()),
            header_read_timeout: Some(Duration::from_secs(3)),
            max_connections_per_client: Some(10),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let range = c.trusted_proxies[2];
        assert!(range.contains(ip("172.16.0.1")) && range.contains(ip("172.31.255.255")));
        assert!(!range.contains(ip("172.32.0.1")) && !range.contains(ip("::1")));
        assert!(range.contains(ip("::ffff:172.20.1.1")), "IPv4-mapped");
        assert!(c.trusted_proxies[1].contains(ip("::1")));
        assert!(
            "0.0.0.0/0"
                .parse::<AddressRange>()
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!("10.0.0.0/33".parse::<AddressRange>().is_err());
        let described = c.describe();
        for line in [
            "trusted-proxies = \"10.0.0.1,::1,172.16.0.0/12\"",
            "shutdown-grace = \"10s\"",
            "min-acr = \"idporten-loa-substantial\"",
        ] {
            assert!(described.contains(line), "{line}: {described}");
        }
        let refused = |o: Overrides, key: &str| {
            let e = Config::resolve(&o).unwrap_err().to_string();
            assert!(e.contains(key), "{e}");
        };
        assert!(
            described.contains("proxy-headers = \"xforwarded\""),
            "{described}"
        );
        let c = Config::resolve(&Overrides {
            proxy_headers: Some("forwarded".parse().unwrap()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.proxy_headers, ProxyHeaders::Forwarded);
        assert!("x-forwarded-for".parse::<ProxyHeaders>().is_err());
        refused(
            Overrides {
                trusted_proxies: Some("10.0.0.1,proxy.example".into()),
                ..Default::default()
            },
            "'proxy.example' is not an IP address",
        );
        refused(
            Overrides {
                header_read_timeout: Some(Duration::from_secs(7200)),
                ..Default::default()
            },
            "header-read-timeout",
        );
        refused(
            Overrides {
                max_connections_per_client: Some(0),
                ..Default::default()
            },
            "max-connections-per-client",
        );
        refused(
            Overrides {
                min_acr: Some("low".into()),
                ..Default::default()
            },
            "'low' is not substantial or high",
        );
    }

    #[test]
    fn production_names_every_missing_setting() {
        let o = Overrides {
            profile: Some(Profile::Production),
            ..Default::default()
        };
        let err = Config::resolve(&o).unwrap_err().to_string();
        for setting in [
            "database-url",
            "public-url",
            "idporten-issuer",
            "ansattporten-issuer",
            "maskinporten-issuer",
        ] {
            assert!(err.contains(setting), "{setting} missing from: {err}");
        }
        let o = Overrides {
            profile: Some(Profile::Production),
            database_url: Some("postgres://db/tilgang?sslmode=verify-full".into()),
            public_url: Some("http://example.org".into()),
            ..Default::default()
        };
        let err = Config::resolve(&o).unwrap_err().to_string();
        assert!(err.contains("https"), "{err}");
        assert!(!err.contains("database-url"), "{err}");
    }

    #[test]
    fn file_values_lose_to_flags() {
        let dir = std::env::temp_dir().join(format!("tilgang-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\npublic-url = \"http://x.test/\"\n",
        )
        .unwrap();
        let o = Overrides {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::resolve(&o).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.public_url, "http://x.test");
        assert!(
            c.describe()
                .contains("public-url = \"http://x.test\"  # config file")
        );
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let err = Config::resolve(&Overrides {
            config: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10d").unwrap(), Duration::from_secs(864_000));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10w").is_err());
        assert!(parse_duration("d").is_err());
        assert_eq!(format_duration(Duration::from_secs(864_000)), "10d");
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url_password("postgres://u:secret@h/db"),
            "postgres://u:****@h/db"
        );
        assert_eq!(mask_url_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
