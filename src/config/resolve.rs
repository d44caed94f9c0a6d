//! From the given settings to a checked [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::check::{check_database_tls, check_public_url};
use super::settings::{FileConfig, Given, Merged, Picked, read_file};
use super::{
    AddressRange, Config, ConfigError, ExternalProvider, Overrides, Profile, Smtp, SmtpSecurity,
    format_duration, parse_duration,
};
use crate::secret::Secret;

/// The operator organisation of the demo data, the local profile's `operator-org`.
const DEMO_OPERATOR_ORG: &str = "315177340";

impl Config {
    pub fn resolve(o: &Overrides) -> Result<Self, ConfigError> {
        let file = match &o.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let m = Merged::new(o, file);
        let sources = m.sources();

        let profile: Profile = m.profile.parse(|p| p.parse())?;
        let listen: SocketAddr = m.listen.parse(|l| {
            l.parse()
                .map_err(|e| format!("'{l}' is not an address such as 127.0.0.1:8080 ({e})"))
        })?;
        let data_dir = PathBuf::from(m.data_dir.text);
        let database_url = m
            .database_url
            .text
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
        let database_ca_file = m.database_ca_file.text.map(PathBuf::from);
        let database_allow_plaintext = m.database_allow_plaintext.text == "true";
        check_database_tls(&database_url, database_ca_file.as_deref())?;
        let public_url = m
            .public_url
            .text
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = check_public_url(&public_url)?;
        let request_timeout = m.request_timeout.parse(parse_duration)?;
        let log = m.log.text;
        let signing_alg: crate::jose::Alg = m.signing_alg.parse(|a| a.parse())?;
        let operator_org = match m.operator_org.parse(|o| {
            o.parse::<crate::domain::OrgNumber>()
                .map_err(|e| format!("'{o}': {e}"))
        })? {
            Some(org) => Some(org),
            None if profile == Profile::Local => DEMO_OPERATOR_ORG.parse().ok(),
            None => None,
        };
        let maskinporten = match (m.maskinporten_issuer.text, m.maskinporten_jwks_url.text) {
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
        let maskinporten_audience = m.maskinporten_audience.text.map(|a| a.trim().to_owned());
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
        let idporten = provider(
            m.idporten_issuer,
            m.idporten_client_id,
            m.idporten_client_secret,
        )?;
        let ansattporten = provider(
            m.ansattporten_issuer,
            m.ansattporten_client_id,
            m.ansattporten_client_secret,
        )?;
        let smtp_security: SmtpSecurity = m.smtp_security.parse(|s| s.parse())?;
        let smtp_port = m.smtp_port.text;
        let smtp_user = m.smtp_username.text;
        let smtp_password = m.smtp_password.text;
        let smtp = match m.smtp_host.text {
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
                    (Some(u), Some(p)) => Some((u, Secret::new(p))),
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
        let mail_from = m.mail_from.text;
        if !mail_from.contains('@') || mail_from.contains(['\r', '\n']) {
            return Err(ConfigError::Invalid {
                key: "mail-from",
                message: format!("'{mail_from}' is not an e-mail address"),
            });
        }
        let at_least_a_minute = |t: &str| {
            parse_duration(t).and_then(|d| {
                if d.as_secs() >= 60 {
                    Ok(d)
                } else {
                    Err("must be at least one minute".into())
                }
            })
        };
        let activation_lifetime = m.activation_lifetime.parse(at_least_a_minute)?;
        let reset_lifetime = m.reset_lifetime.parse(at_least_a_minute)?;
        let captcha_difficulty = m.captcha_difficulty.parse(|d| {
            d.parse::<u64>()
                .ok()
                .filter(|d| (1..=10_000_000).contains(d))
                .ok_or_else(|| format!("'{d}' is not a number from 1 to 10000000"))
        })?;
        let job_interval = bounded_duration(m.job_interval, 1..=86_400)?;
        let header_read_timeout = bounded_duration(m.header_read_timeout, 1..=3_600)?;
        let shutdown_grace = bounded_duration(m.shutdown_grace, 1..=3_600)?;
        let min_acr = m.min_acr.parse(|v| match v.trim() {
            "substantial" | "idporten-loa-substantial" => Ok(crate::services::idp::ACR_SUBSTANTIAL),
            "high" | "idporten-loa-high" => Ok(crate::services::idp::ACR_HIGH),
            other => Err(format!("'{other}' is not substantial or high")),
        })?;
        let max_connections_per_client = m.max_connections_per_client.parse(|n| {
            n.parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| format!("'{n}' is not a number from 1 to 100000"))
        })?;
        let decision_max_requests = m.decision_max_requests.parse(|n| {
            n.parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| format!("'{n}' is not a number from 1 to 10000"))
        })?;
        let decision_audit_rate = m.decision_audit_rate.parse(|r| {
            r.trim()
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    format!("'{r}' is not a share from 0 to 1 (0.01 is one in a hundred)")
                })
        })?;
        let trusted_proxies = m
            .trusted_proxies
            .parse(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        a.parse::<AddressRange>().map_err(|_| {
                            format!("'{a}' is not an IP address or a range such as 10.0.0.0/8")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })?
            .unwrap_or_default();
        let proxy_headers = m.proxy_headers.parse(|p| p.trim().parse())?;
        let allow_profile_change = m.allow_profile_change.text == "true";

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
            reset_lifetime,
            captcha_difficulty,
            job_interval,
            header_read_timeout,
            shutdown_grace,
            min_acr,
            max_connections_per_client,
            decision_max_requests,
            decision_audit_rate,
            trusted_proxies,
            proxy_headers,
            allow_profile_change,
            config_file: o.config.clone(),
            sources,
        };
        config.check_profile()?;
        Ok(config)
    }
}

/// An external OpenID provider: its issuer, client id and client secret, all or none. The
/// errors name the issuer's setting.
fn provider(
    issuer: Picked,
    client_id: Picked,
    client_secret: Picked,
) -> Result<Option<ExternalProvider>, ConfigError> {
    let key = issuer.key;
    match (issuer.text, client_id.text, client_secret.text) {
        (None, None, None) => Ok(None),
        (Some(issuer), Some(client_id), Some(client_secret)) => {
            // Kept exactly as given: issuers are compared byte for byte (OpenID Connect
            // Discovery §4.3, Core §3.1.3.7), and the real ones have no trailing slash
            // (https://idporten.no).
            check_public_url(&issuer).map_err(|_| ConfigError::Invalid {
                key,
                message: format!("'{issuer}' is not an http(s) URL"),
            })?;
            Ok(Some(ExternalProvider {
                issuer: issuer.trim().to_owned(),
                client_id,
                client_secret: Secret::new(client_secret),
            }))
        }
        _ => Err(ConfigError::Invalid {
            key,
            message: "give the issuer, the client id and the client secret together".into(),
        }),
    }
}

/// A duration within `range` (in seconds).
fn bounded_duration(
    given: Given,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    given.parse(|t| {
        parse_duration(t).and_then(|d| {
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
    })
}
