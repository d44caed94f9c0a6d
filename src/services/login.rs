//! tilgang as relying party: people log in to tilgang's pages through ID-porten (the portal) or
//! Ansattporten (Altinn Studio) with the OpenID Connect code flow, PKCE S256, `state` and
//! `nonce`, and get a server-side session. The embedded providers are spoken to over HTTP like
//! the real ones, so the same code runs in both profiles.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::App;
use super::idp::{ACR_HIGH, ACR_SUBSTANTIAL, ANSATTPORTEN, IDPORTEN, Idp, append_query};
use super::provider_metadata::Want;
use crate::config::Profile;
use crate::domain::Pid;
use crate::jose::{self, VerifyingKey};
use crate::secret;
use crate::store::oidc::OidcClient;
pub use crate::store::oidc::WebSession;
use crate::store::{StoreError, meta_get_or_create};

pub const SESSION_COOKIE: &str = "tilgang_session";
/// The cookie that binds a log-in in progress to the browser that started it. `__Host-`
/// (Secure, Path=/, no Domain) when served over HTTPS; browsers refuse that prefix over plain
/// HTTP, so a loopback test instance uses the bare name.
pub const FLOW_COOKIE_HTTPS: &str = "__Host-tilgang_login";
pub const FLOW_COOKIE_HTTP: &str = "tilgang_login";
pub const SESSION_LIFETIME_SECS: i64 = 3600;
pub const FLOW_LIFETIME_SECS: i64 = 600;
/// A destination after log-in longer than this is not kept (the flow cookie must stay small).
const MAX_GOTO: usize = 1024;

/// How tilgang reaches one provider as a client.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    pub idp: Idp,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: crate::secret::Secret,
    pub redirect_uri: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the log-in was cancelled or refused at {provider}: {description}")]
    Refused {
        provider: &'static str,
        description: String,
    },
    #[error("this log-in has expired or was already completed")]
    Expired,
    #[error(
        "this log-in was started in another browser, or this browser no longer has its cookie; start the log-in again here"
    )]
    OtherBrowser,
    #[error("{0} could not be reached or answered with an error: {1}")]
    Provider(&'static str, String),
    #[error("the ID token from {0} was not accepted: {1}")]
    Token(&'static str, String),
    #[error("only synthetic national identity numbers can log in to a test instance")]
    NotSynthetic,
    #[error(
        "the log-in at {provider} was at the level '{got}', and this service needs at least '{needed}'"
    )]
    TooWeak {
        provider: &'static str,
        got: String,
        needed: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A log-in in progress: kept sealed in a cookie of the browser that started it, so it is
/// bound to that browser and costs no database row per anonymous request.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    goto: String,
}

/// Sealed state with what it is for and its expiry (Unix seconds): one kind of sealed state
/// is never taken for another.
#[derive(Serialize, Deserialize)]
struct Sealed<T> {
    purpose: String,
    exp: i64,
    v: T,
}

/// What a log-in flow cookie of tilgang's relying party holds.
pub const PURPOSE_LOGIN: &str = "login";

/// The key of [`App::seal`], created on the first start.
pub async fn flow_key(store: &crate::store::Store) -> Result<Vec<u8>, StoreError> {
    let mut tx = store.begin().await?;
    let key = meta_get_or_create(&mut tx, "flow-cookie-key", secret::random_token).await?;
    tx.commit().await?;
    Ok(key.into_bytes())
}

/// The eIDAS level of an `acr` value as ID-porten and Ansattporten send it (0: low or unknown).
pub fn assurance_level(acr: &str) -> u8 {
    match acr {
        ACR_HIGH | "high" | "Level4" => 4,
        ACR_SUBSTANTIAL | "substantial" | "Level3" => 3,
        _ => 0,
    }
}

/// Where an issuer publishes its discovery document (OpenID Connect Discovery §4: a trailing
/// `/` of the issuer is removed before `/.well-known/openid-configuration` is appended).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// The discovery document of `issuer`, which must name exactly that issuer.
pub async fn fetch_discovery(http: &reqwest::Client, issuer: &str) -> Result<Value, String> {
    let url = discovery_url(issuer);
    let doc: Value = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("discovery {url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("discovery {url}: {e}"))?;
    let named = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
    if named != issuer {
        return Err(format!(
            "the discovery document at {url} names the issuer '{named}', but the configured issuer is '{issuer}'; they must be equal character for character"
        ));
    }
    check_endpoints(issuer, &doc, &url)?;
    Ok(doc)
}

/// An https issuer's endpoints are https too: keys and tokens must not travel in clear.
fn check_endpoints(issuer: &str, doc: &Value, url: &str) -> Result<(), String> {
    if !issuer.starts_with("https://") {
        return Ok(());
    }
    for key in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        if let Some(endpoint) = doc.get(key).and_then(Value::as_str)
            && !endpoint.starts_with("https://")
        {
            return Err(format!(
                "the discovery document at {url} gives {key} '{endpoint}', which is not https://"
            ));
        }
    }
    Ok(())
}

/// The keys of the JWKS at `jwks_uri` that tilgang can verify with (at least one).
pub async fn fetch_keys(
    http: &reqwest::Client,
    jwks_uri: &str,
) -> Result<Vec<VerifyingKey>, String> {
    let doc: Value = http
        .get(jwks_uri)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("keys {jwks_uri}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("keys {jwks_uri}: {e}"))?;
    let keys: Vec<VerifyingKey> = doc
        .get("keys")
        .and_then(Value::as_array)
        .map(|ks| ks.iter().filter_map(VerifyingKey::from_jwk).collect())
        .unwrap_or_default();
    if keys.is_empty() {
        return Err(format!("keys {jwks_uri}: no key tilgang can use"));
    }
    Ok(keys)
}

/// Only local paths may be a destination after log-in (no open redirect).
pub fn safe_goto(goto: Option<&str>) -> String {
    match goto {
        Some(g)
            if g.len() <= MAX_GOTO
                && g.starts_with('/')
                && !g.starts_with("//")
                && !g.contains('\\')
                && !g.chars().any(char::is_control) =>
        {
            g.to_owned()
        }
        _ => "/auth/session".to_owned(),
    }
}

impl App {
    /// The relying-party settings for a provider: the configured real one, or the embedded one.
    pub async fn relying_party(&self, idp: Idp) -> Result<RelyingParty, StoreError> {
        let redirect_uri = self.config.url(&format!("/auth/callback/{}", idp.path));
        let external = if idp == IDPORTEN {
            &self.config.idporten
        } else {
            &self.config.ansattporten
        };
        if let Some(p) = external {
            return Ok(RelyingParty {
                idp,
                issuer: p.issuer.clone(),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                redirect_uri,
            });
        }
        let secret = self
            .store
            .meta_get(&format!("rp-secret:{}", idp.path))
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "no client secret for the embedded {}",
                    idp.display_name
                ))
            })?;
        Ok(RelyingParty {
            idp,
            issuer: self.idp_issuer(idp),
            client_id: embedded_client_id(idp).into(),
            client_secret: crate::secret::Secret::new(secret),
            redirect_uri,
        })
    }

    /// Registers tilgang's own pages as clients of the embedded providers (local profile),
    /// keeping the secret across restarts and the redirect URIs in step with the public URL.
    pub async fn register_embedded_clients(&self) -> Result<(), StoreError> {
        if self.config.profile != Profile::Local {
            return Ok(());
        }
        for idp in [IDPORTEN, ANSATTPORTEN] {
            let key = format!("rp-secret:{}", idp.path);
            let mut tx = self.store.begin().await?;
            let secret = meta_get_or_create(&mut tx, &key, secret::random_token).await?;
            tx.commit().await?;
            let client = OidcClient {
                issuer: idp.path.into(),
                client_id: embedded_client_id(idp).into(),
                client_name: if idp == IDPORTEN {
                    "Altinn (tilgang)".into()
                } else {
                    "Altinn Studio (tilgang)".into()
                },
                secret_hash: Some(secret::hash(&secret)),
                redirect_uris: vec![self.config.url(&format!("/auth/callback/{}", idp.path))],
                post_logout_redirect_uris: vec![self.config.url("/")],
                jwks: None,
                scopes: None,
            };
            self.store
                .upsert_oidc_client(&client, self.clock.now())
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn discovery(
        &self,
        issuer: &str,
        name: &'static str,
    ) -> Result<Value, LoginError> {
        self.provider_metadata
            .discovery
            .get(issuer, Want::Cached, || fetch_discovery(&self.http, issuer))
            .await
            .map_err(|why| LoginError::Provider(name, why))
    }

    /// The keys at `jwks_uri`; with `refresh`, a set fetched anew (for a key id the cached set
    /// lacks, or a failed signature), rate-limited as [`super::provider_metadata`] describes.
    pub(crate) async fn provider_keys(
        &self,
        jwks_uri: &str,
        name: &'static str,
        refresh: bool,
    ) -> Result<Vec<VerifyingKey>, LoginError> {
        let want = if refresh { Want::Newer } else { Want::Cached };
        self.provider_metadata
            .jwks
            .get(jwks_uri, want, || fetch_keys(&self.http, jwks_uri))
            .await
            .map_err(|why| LoginError::Provider(name, why))
    }

    /// `value`, sealed for `purpose` and `lifetime_secs` (see [`secret::seal`]).
    pub fn seal<T: Serialize>(&self, purpose: &str, value: T, lifetime_secs: i64) -> String {
        let sealed = Sealed {
            purpose: purpose.to_owned(),
            exp: self.clock.now() / 1_000_000 + lifetime_secs,
            v: value,
        };
        secret::seal(
            &self.flow_key,
            &serde_json::to_string(&sealed).unwrap_or_default(),
        )
    }

    /// What [`App::seal`] sealed for `purpose`, unless it was altered or has expired.
    pub fn unseal<T: DeserializeOwned>(&self, purpose: &str, sealed: &str) -> Option<T> {
        let text = secret::unseal(&self.flow_key, sealed)?;
        let sealed: Sealed<T> = serde_json::from_str(&text).ok()?;
        (sealed.purpose == purpose && sealed.exp > self.clock.now() / 1_000_000).then_some(sealed.v)
    }

    /// The name of the log-in flow cookie for this server's public URL.
    pub fn flow_cookie_name(&self) -> &'static str {
        if self.config.public_url.starts_with("https://") {
            FLOW_COOKIE_HTTPS
        } else {
            FLOW_COOKIE_HTTP
        }
    }

    /// Starts a log-in: returns the provider's authorization URL to send the browser to, and
    /// the sealed flow for the cookie that binds the log-in to this browser.
    /// Starts a log-in at `idp`, in the person's language (`ui_locales`: `nb`, `nn` or `en`).
    pub async fn start_login(
        &self,
        idp: Idp,
        goto: Option<&str>,
        ui_locales: &str,
    ) -> Result<(String, String), LoginError> {
        let rp = self.relying_party(idp).await?;
        let discovery = self.discovery(&rp.issuer, idp.display_name).await?;
        let endpoint = discovery
            .get("authorization_endpoint")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                LoginError::Provider(idp.display_name, "no authorization_endpoint".into())
            })?;
        let flow = PendingLogin {
            provider: idp.path.into(),
            state: secret::random_token(),
            nonce: secret::random_token(),
            verifier: secret::random_token(),
            goto: safe_goto(goto),
        };
        let url = append_query(
            endpoint,
            &[
                ("response_type", "code".into()),
                ("client_id", rp.client_id),
                ("redirect_uri", rp.redirect_uri),
                ("scope", "openid profile".into()),
                ("state", flow.state.clone()),
                ("nonce", flow.nonce.clone()),
                ("code_challenge", secret::pkce_challenge(&flow.verifier)),
                ("code_challenge_method", "S256".into()),
                ("acr_values", self.config.min_acr.into()),
                ("ui_locales", ui_locales.into()),
            ],
        );
        Ok((url, self.seal(PURPOSE_LOGIN, flow, FLOW_LIFETIME_SECS)))
    }

    /// Finishes a log-in at the callback: checks that the flow cookie of this browser holds
    /// the `state` the provider sent back (so a callback URL made in another browser cannot
    /// log this one in), exchanges the code, checks the ID token and creates a session.
    /// Returns the session id (for the cookie) and where to go.
    pub async fn finish_login(
        &self,
        idp: Idp,
        flow_cookie: Option<&str>,
        code: Option<&str>,
        state: Option<&str>,
        error: Option<&str>,
        error_description: Option<&str>,
    ) -> Result<(String, String), LoginError> {
        let now = self.clock.now();
        if let Some(error) = error {
            return Err(LoginError::Refused {
                provider: idp.display_name,
                description: error_description.unwrap_or(error).to_owned(),
            });
        }
        let (Some(state), Some(code)) = (state, code) else {
            return Err(LoginError::Expired);
        };
        let flow: PendingLogin = flow_cookie
            .and_then(|c| self.unseal(PURPOSE_LOGIN, c))
            .filter(|f: &PendingLogin| {
                f.provider == idp.path && secret::constant_time_eq(&f.state, state)
            })
            .ok_or(LoginError::OtherBrowser)?;
        let rp = self.relying_party(idp).await?;
        let name = idp.display_name;
        let discovery = self.discovery(&rp.issuer, name).await?;
        let token_endpoint = discovery
            .get("token_endpoint")
            .and_then(Value::as_str)
            .ok_or_else(|| LoginError::Provider(name, "no token_endpoint".into()))?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| LoginError::Provider(name, "no jwks_uri".into()))?;
        let response = self
            .http
            .post(token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &rp.redirect_uri),
                ("code_verifier", &flow.verifier),
                ("client_id", &rp.client_id),
                ("client_secret", rp.client_secret.expose()),
            ])
            .send()
            .await
            .map_err(|e| LoginError::Provider(name, e.to_string()))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| LoginError::Provider(name, e.to_string()))?;
        if status == reqwest::StatusCode::BAD_REQUEST
            && body.get("error").and_then(Value::as_str) == Some("invalid_grant")
        {
            // The code was used already (a replayed callback) or has expired.
            return Err(LoginError::Expired);
        }
        if !status.is_success() {
            let desc = body
                .get("error_description")
                .or_else(|| body.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("no description");
            return Err(LoginError::Provider(
                name,
                format!("token endpoint answered {status}: {desc}"),
            ));
        }
        let id_token = body
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| LoginError::Token(name, "the answer has no id_token".into()))?;

        let mut keys = self.provider_keys(jwks_uri, name, false).await?;
        let mut verified = jose::verify_compact(id_token, &keys);
        // An unknown key, or a key replaced under the same id: fetch the set again.
        if matches!(
            verified,
            Err(jose::JwsError::UnknownKey(_) | jose::JwsError::Signature)
        ) {
            keys = self.provider_keys(jwks_uri, name, true).await?;
            verified = jose::verify_compact(id_token, &keys);
        }
        let claims = verified.map_err(|e| LoginError::Token(name, e.to_string()))?;
        let secs = now / 1_000_000;
        let check = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(LoginError::Token(name, what.to_owned()))
            }
        };
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != rp.issuer {
            return Err(LoginError::Token(
                name,
                format!(
                    "the ID token's iss is '{iss}', but the configured issuer is '{}'",
                    rp.issuer
                ),
            ));
        }
        check(
            jose::has_audience(&claims, &rp.client_id),
            "aud is not this client",
        )?;
        check(
            claims
                .get("exp")
                .and_then(Value::as_i64)
                .is_some_and(|e| e + 10 > secs),
            "the ID token has expired",
        )?;
        let nonce_ok = claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|n| secret::constant_time_eq(n, &flow.nonce));
        check(nonce_ok, "nonce does not match")?;
        let pid: Pid = claims
            .get("pid")
            .and_then(Value::as_str)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| LoginError::Token(name, "no valid pid".into()))?;
        if self.config.profile == Profile::Local && !pid.is_synthetic() {
            return Err(LoginError::NotSynthetic);
        }
        // The level of assurance: present, and at least the configured minimum.
        let acr = claims
            .get("acr")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let needed = self.config.min_acr;
        if assurance_level(&acr) < assurance_level(needed) {
            return Err(LoginError::TooWeak {
                provider: name,
                got: if acr.is_empty() { "none".into() } else { acr },
                needed,
            });
        }
        let person_name = match self.store.person(&pid).await? {
            Some(p) => p.name,
            None => format!("Testperson {}", pid.masked()),
        };
        let session_id = secret::random_token();
        let session = WebSession {
            provider: idp.path.into(),
            pid: pid.to_string(),
            name: person_name,
            acr,
            csrf: secret::random_token(),
            id_token: id_token.to_owned(),
            expires_at: now + SESSION_LIFETIME_SECS * 1_000_000,
        };
        self.store
            .insert_session(&secret::hash(&session_id), &session, now)
            .await?;
        tracing::info!(provider = idp.path, pid = %pid.masked(), "person logged in");
        Ok((session_id, flow.goto))
    }

    pub async fn session(&self, session_id: &str) -> Result<Option<WebSession>, StoreError> {
        self.store
            .session(&secret::hash(session_id), self.clock.now())
            .await
    }

    /// Ends the person's session in tilgang without going to the provider (after Studio has
    /// taken over the log-in).
    pub async fn end_web_session(&self, session_id: &str) -> Result<(), StoreError> {
        self.store.delete_session(&secret::hash(session_id)).await
    }

    /// Ends a session; returns where to send the browser (the provider's end-session endpoint
    /// when it has one, else the start page).
    pub async fn logout(
        &self,
        session_id: &str,
        session: &WebSession,
    ) -> Result<String, StoreError> {
        self.store.delete_session(&secret::hash(session_id)).await?;
        let Some(idp) = Idp::by_path(&session.provider) else {
            return Ok("/".into());
        };
        let Ok(rp) = self.relying_party(idp).await else {
            return Ok("/".into());
        };
        match self
            .discovery(&rp.issuer, idp.display_name)
            .await
            .ok()
            .and_then(|d| {
                d.get("end_session_endpoint")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }) {
            Some(end) => Ok(append_query(
                &end,
                &[
                    ("id_token_hint", session.id_token.clone()),
                    ("post_logout_redirect_uri", self.config.url("/")),
                ],
            )),
            None => Ok("/".into()),
        }
    }
}

fn embedded_client_id(idp: Idp) -> &'static str {
    if idp == IDPORTEN {
        "tilgang-portal"
    } else {
        "tilgang-studio"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_issuer_must_have_https_endpoints() {
        let doc = |jwks: &str| {
            serde_json::json!({"authorization_endpoint": "https://op.example/authorize",
                "token_endpoint": "https://op.example/token", "jwks_uri": jwks})
        };
        let url = "https://op.example/.well-known/openid-configuration";
        assert!(
            check_endpoints("https://op.example", &doc("https://op.example/jwks"), url).is_ok()
        );
        let e =
            check_endpoints("https://op.example", &doc("http://op.example/jwks"), url).unwrap_err();
        assert!(e.contains("jwks_uri 'http://op.example/jwks'"), "{e}");
        // A provider on this machine over plain HTTP (allowed by the configuration check).
        assert!(
            check_endpoints(
                "http://127.0.0.1:9000",
                &doc("http://127.0.0.1:9000/jwks"),
                url
            )
            .is_ok()
        );
    }

    #[test]
    fn levels_of_assurance() {
        assert_eq!(assurance_level("idporten-loa-high"), 4);
        assert_eq!(assurance_level("idporten-loa-substantial"), 3);
        for weak in ["idporten-loa-low", "Level2", "", "IDPORTEN-LOA-HIGH"] {
            assert_eq!(assurance_level(weak), 0, "{weak}");
        }
    }

    #[test]
    fn discovery_is_found_with_and_without_a_trailing_slash() {
        assert_eq!(
            discovery_url("https://idporten.no"),
            "https://idporten.no/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://tilgang.example/idporten/"),
            "https://tilgang.example/idporten/.well-known/openid-configuration"
        );
    }

    #[test]
    fn only_local_paths_are_destinations() {
        assert_eq!(
            safe_goto(Some("/accessmanagement/ui/systemuser/")),
            "/accessmanagement/ui/systemuser/"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil",
            "javascript:alert(1)",
            "",
            &format!("/{}", "a".repeat(2000)),
        ] {
            assert_eq!(safe_goto(Some(bad)), "/auth/session", "{bad}");
        }
        assert_eq!(safe_goto(None), "/auth/session");
    }
}
