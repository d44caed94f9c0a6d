//! The configuration as `tilgang config check` shows it, and as debug output shows it:
//! secrets and the database password masked.

use std::fmt;

use super::{Config, format_duration, mask_url_password};

impl Config {
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
            ("reset-lifetime", format_duration(self.reset_lifetime)),
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
                "decision-max-requests",
                self.decision_max_requests.to_string(),
            ),
            ("decision-audit-rate", self.decision_audit_rate.to_string()),
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

/// Every field, with the database password masked (the secrets mask themselves).
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured, so that a new field cannot be left out.
        let Config {
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
            config_file,
            sources,
        } = self;
        f.debug_struct("Config")
            .field("profile", profile)
            .field("listen", listen)
            .field("data_dir", data_dir)
            .field("database_url", &mask_url_password(database_url))
            .field("database_ca_file", database_ca_file)
            .field("database_allow_plaintext", database_allow_plaintext)
            .field("public_url", public_url)
            .field("request_timeout", request_timeout)
            .field("log", log)
            .field("signing_alg", signing_alg)
            .field("operator_org", operator_org)
            .field("maskinporten", maskinporten)
            .field("maskinporten_audience", maskinporten_audience)
            .field("idporten", idporten)
            .field("ansattporten", ansattporten)
            .field("smtp", smtp)
            .field("mail_from", mail_from)
            .field("activation_lifetime", activation_lifetime)
            .field("reset_lifetime", reset_lifetime)
            .field("captcha_difficulty", captcha_difficulty)
            .field("job_interval", job_interval)
            .field("header_read_timeout", header_read_timeout)
            .field("shutdown_grace", shutdown_grace)
            .field("min_acr", min_acr)
            .field("max_connections_per_client", max_connections_per_client)
            .field("decision_max_requests", decision_max_requests)
            .field("decision_audit_rate", decision_audit_rate)
            .field("trusted_proxies", trusted_proxies)
            .field("proxy_headers", proxy_headers)
            .field("allow_profile_change", allow_profile_change)
            .field("config_file", config_file)
            .field("sources", sources)
            .finish()
    }
}
