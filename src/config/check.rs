//! The checks that look at more than one setting: the production profile's demands, the
//! database's TLS, URLs, and the masking of passwords in what is shown.

use std::path::Path;
use std::str::FromStr;

use super::{Config, ConfigError, Profile, Source};

impl Config {
    /// The production profile refuses defaults that only make sense on a laptop.
    pub(super) fn check_profile(&self) -> Result<(), ConfigError> {
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
}

pub(super) fn check_public_url(url: &str) -> Result<String, ConfigError> {
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
pub(super) fn check_database_tls(url: &str, ca_file: Option<&Path>) -> Result<(), ConfigError> {
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
pub(super) fn is_loopback_url(url: &str) -> bool {
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

/// Hides the password in `scheme://user:password@host/…` and in a `password=` query
/// parameter (which sqlx and libpq also read).
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let mut split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !rest[..split].contains('@')
        && let Some(at) = rest.rfind('@')
    {
        // A password with an unescaped '/', '?' or '#' in it: the user information runs to
        // the last '@' (this may hide more than the password, never less).
        split = rest[at..]
            .find(['/', '?', '#'])
            .map_or(rest.len(), |i| at + i);
    }
    let (authority, tail) = rest.split_at(split);
    // The last '@' ends the user information, as in the URL standard.
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:****@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("password", _)) => "password=****",
                    _ => pair,
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{path}?{query}")
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}
