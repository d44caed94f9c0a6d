//! What `tilgang config check` finds when it tries the configured services: the database
//! (reachable, TLS, schema, recorded profile), each outside OpenID provider (discovery, issuer,
//! keys, client credentials), the external Maskinporten (keys, metadata) and the SMTP server
//! (greeting, TLS, log-in). Nothing is changed anywhere: no migration runs, no mail is sent, and
//! the credential check uses a made-up authorization code that the provider refuses either way.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::login::{fetch_discovery, fetch_keys};
use crate::config::{Config, ExternalProvider};
use crate::store::{Engine, Store, migrate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Warning,
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Ok => "ok",
            Outcome::Warning => "warning",
            Outcome::Failed => "FAILED",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub subject: String,
    pub outcome: Outcome,
    pub detail: String,
}

impl Finding {
    fn new(subject: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            outcome,
            detail: detail.into(),
        }
    }
}

/// Tries every configured service, one after the other.
pub async fn run(config: &Config) -> Vec<Finding> {
    let mut found = vec![database(config).await];
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(http) => http,
        Err(e) => {
            found.push(Finding::new("HTTP client", Outcome::Failed, e.to_string()));
            return found;
        }
    };
    for (idp, provider) in [
        (super::idp::IDPORTEN, &config.idporten),
        (super::idp::ANSATTPORTEN, &config.ansattporten),
    ] {
        if let Some(p) = provider {
            found.push(openid_provider(&http, idp, p, config).await);
        }
    }
    if let Some((issuer, jwks)) = &config.maskinporten {
        found.push(maskinporten(&http, issuer, jwks).await);
    }
    if let Some(smtp) = &config.smtp {
        let target = format!("SMTP {}:{}", smtp.host, smtp.port);
        found.push(match crate::smtp::probe(smtp).await {
            Ok(greeting) => Finding::new(
                target,
                Outcome::Ok,
                format!("would take mail ({})", greeting.trim()),
            ),
            Err(e) => Finding::new(target, Outcome::Failed, e.to_string()),
        });
    }
    found
}

async fn database(config: &Config) -> Finding {
    let subject = "database";
    if config.is_sqlite() {
        let path = config
            .database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        if !std::path::Path::new(path).exists() {
            return Finding::new(
                subject,
                Outcome::Ok,
                format!("SQLite {path} does not exist yet; the first start creates it"),
            );
        }
    }
    let store = match Store::open(config).await {
        Ok(store) => store,
        Err(e) => return Finding::new(subject, Outcome::Failed, e.to_string()),
    };
    let finding = match describe_database(&store).await {
        Ok((outcome, detail)) => Finding::new(subject, outcome, detail),
        Err(e) => Finding::new(subject, Outcome::Failed, e.to_string()),
    };
    store.close().await;
    finding
}

async fn describe_database(store: &Store) -> Result<(Outcome, String), crate::store::StoreError> {
    let mut parts = Vec::new();
    let mut outcome = Outcome::Ok;
    match store.engine() {
        Engine::Sqlite => parts.push("SQLite".to_owned()),
        Engine::Postgres => {
            let version: String = sqlx::query_scalar("SHOW server_version")
                .fetch_one(store.pool())
                .await?;
            let tls: Option<bool> =
                sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .fetch_optional(store.pool())
                    .await?;
            parts.push(format!(
                "PostgreSQL {version}, {}",
                if tls == Some(true) {
                    "over TLS"
                } else {
                    "not encrypted"
                }
            ));
        }
    }
    let latest = migrate::latest_version();
    match migrate::applied_version(store).await? {
        None => parts.push(format!(
            "empty; the first start creates the schema (version {latest})"
        )),
        Some(v) if v > latest => {
            outcome = Outcome::Failed;
            parts.push(format!(
                "schema at version {v}, newer than this binary knows ({latest}): start a newer tilgang"
            ));
        }
        Some(v) => {
            parts.push(if v == latest {
                format!("schema at version {v}")
            } else {
                format!("schema at version {v}; the next start migrates it to {latest}")
            });
            if let Some(profile) = store.meta_get("profile").await? {
                parts.push(format!("set up by the {profile} profile"));
            }
        }
    }
    Ok((outcome, parts.join("; ")))
}

/// Discovery, issuer, keys, and whether the token endpoint takes the client's credentials.
async fn openid_provider(
    http: &reqwest::Client,
    idp: super::idp::Idp,
    p: &ExternalProvider,
    config: &Config,
) -> Finding {
    let name = idp.display_name;
    let discovery = match fetch_discovery(http, &p.issuer).await {
        Ok(d) => d,
        Err(e) => return Finding::new(name, Outcome::Failed, e),
    };
    let text = |key: &str| {
        discovery
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(jwks_uri), Some(token_endpoint), Some(_)) = (
        text("jwks_uri"),
        text("token_endpoint"),
        text("authorization_endpoint"),
    ) else {
        return Finding::new(
            name,
            Outcome::Failed,
            "the discovery document lacks jwks_uri, token_endpoint or authorization_endpoint",
        );
    };
    let keys = match fetch_keys(http, &jwks_uri).await {
        Ok(k) => k.len(),
        Err(e) => return Finding::new(name, Outcome::Failed, e),
    };
    let mut notes = vec![format!("issuer {} matches; {keys} usable key(s)", p.issuer)];
    let mut outcome = Outcome::Ok;
    let listed = |key: &str, value: &str| {
        discovery
            .get(key)
            .and_then(Value::as_array)
            .is_none_or(|list| list.iter().any(|v| v.as_str() == Some(value)))
    };
    if !listed(
        "token_endpoint_auth_methods_supported",
        "client_secret_post",
    ) {
        outcome = Outcome::Failed;
        notes.push("it does not offer client_secret_post, which tilgang uses".into());
    }
    if !listed("acr_values_supported", config.min_acr) {
        if outcome == Outcome::Ok {
            outcome = Outcome::Warning;
        }
        notes.push(format!("it does not list the level {}", config.min_acr));
    }
    // A made-up code: a provider that accepts the client says invalid_grant, one that does
    // not says invalid_client.
    let redirect_uri = config.url(&format!("/auth/callback/{}", idp.path));
    let answer = http
        .post(&token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "tilgang-config-check"),
            ("redirect_uri", redirect_uri.as_str()),
            (
                "code_verifier",
                "tilgang-config-check-tilgang-config-check-0123",
            ),
            ("client_id", p.client_id.as_str()),
            ("client_secret", p.client_secret.expose()),
        ])
        .send()
        .await;
    match answer {
        Err(e) => {
            outcome = Outcome::Failed;
            notes.push(format!("token endpoint {token_endpoint}: {e}"));
        }
        Ok(res) => {
            let status = res.status();
            let error = res
                .json::<Value>()
                .await
                .ok()
                .and_then(|b| b.get("error").and_then(Value::as_str).map(str::to_owned));
            match error.as_deref() {
                Some("invalid_client" | "unauthorized_client") => {
                    outcome = Outcome::Failed;
                    notes.push(format!(
                        "the token endpoint refuses client {} ({}): check the client id and secret",
                        p.client_id,
                        error.unwrap_or_default()
                    ));
                }
                Some(_) => notes.push(format!("client {} accepted", p.client_id)),
                None => {
                    if outcome == Outcome::Ok {
                        outcome = Outcome::Warning;
                    }
                    notes.push(format!(
                        "cannot tell whether client {} is accepted (the token endpoint answered {status})",
                        p.client_id
                    ));
                }
            }
        }
    }
    Finding::new(name, outcome, notes.join("; "))
}

/// The keys must parse; the metadata, when published, must name the issuer.
async fn maskinporten(http: &reqwest::Client, issuer: &str, jwks: &str) -> Finding {
    let name = "Maskinporten";
    let keys = match fetch_keys(http, jwks).await {
        Ok(k) => k.len(),
        Err(e) => return Finding::new(name, Outcome::Failed, e),
    };
    let url = format!("{issuer}.well-known/oauth-authorization-server");
    let metadata = async {
        http.get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)?
            .json::<Value>()
            .await
    }
    .await;
    match metadata {
        Ok(doc) => {
            let named = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
            if named == issuer {
                Finding::new(
                    name,
                    Outcome::Ok,
                    format!("issuer {issuer} matches its metadata; {keys} usable key(s)"),
                )
            } else {
                Finding::new(
                    name,
                    Outcome::Failed,
                    format!(
                        "{url} names the issuer '{named}', but maskinporten-issuer is '{issuer}'"
                    ),
                )
            }
        }
        Err(e) => Finding::new(
            name,
            Outcome::Warning,
            format!("{keys} usable key(s); no metadata at {url} to check the issuer against ({e})"),
        ),
    }
}
