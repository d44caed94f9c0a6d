//! tilgang's own platform tokens: issuing them (the test token generator) and checking the
//! Bearer tokens that callers present.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::App;
use crate::domain::OrgNumber;
use crate::jose::{self, JwsError};

/// Longest lifetime the test token generator hands out.
pub const MAX_TEST_TOKEN_TTL_SECS: i64 = 24 * 3600;
pub const DEFAULT_TEST_TOKEN_TTL_SECS: i64 = 1800;
/// Tolerated clock difference when checking `iat`/`nbf`/`exp`.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(transparent)]
    Jws(#[from] JwsError),
    #[error("the token was issued by '{0}', which this server does not trust")]
    Issuer(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token has no '{0}' claim")]
    MissingClaim(&'static str),
    #[error("signing failed")]
    Signing,
}

/// A caller whose Bearer token checked out.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Map<String, Value>,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The organisation behind the token: `consumer.ID` (`0192:<orgno>`), given as a JSON object
    /// or as a JSON string holding one.
    pub fn consumer_org(&self) -> Option<OrgNumber> {
        let consumer = self.claims.get("consumer")?;
        let parsed;
        let object = match consumer {
            Value::String(s) => {
                parsed = serde_json::from_str::<Value>(s).ok()?;
                &parsed
            }
            other => other,
        };
        if object.get("authority")?.as_str()? != "iso6523-actorid-upis" {
            return None;
        }
        let id = object.get("ID").or_else(|| object.get("id"))?.as_str()?;
        id.strip_prefix("0192:")?.parse().ok()
    }

    /// A short description for the audit log: `org:<orgno>`, `pid:<masked>` or `client:<id>`.
    pub fn audit_name(&self) -> String {
        if let Some(org) = self.consumer_org() {
            return format!("org:{org}");
        }
        if let Some(pid) = self.claims.get("pid").and_then(Value::as_str) {
            return format!("person:{}", pid.get(..6).unwrap_or(pid));
        }
        match self.claims.get("client_id").and_then(Value::as_str) {
            Some(c) => format!("client:{c}"),
            None => "unknown".into(),
        }
    }
}

impl App {
    /// A platform token for an organisation (test token generator, local profile).
    pub fn enterprise_token(
        &self,
        org: &OrgNumber,
        scopes: &str,
        ttl_secs: i64,
        client_id: Option<&str>,
    ) -> Result<String, TokenError> {
        let now = self.clock.now() / 1_000_000;
        let claims = json!({
            "iss": self.platform_issuer(),
            "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")},
            "urn:altinn:orgNumber": org.as_str(),
            "urn:altinn:authenticatemethod": "maskinporten",
            "urn:altinn:authlevel": 3,
            "client_id": client_id.map(str::to_owned).unwrap_or_else(|| Uuid::new_v4().to_string()),
            "scope": scopes,
            "token_type": "Bearer",
            "iat": now,
            "nbf": now,
            "exp": now + ttl_secs,
            "jti": Uuid::new_v4().to_string(),
        });
        jose::sign_compact(self.keys.signing_key(), &claims).map_err(|_| TokenError::Signing)
    }

    /// Checks a Bearer token from tilgang's own issuer.
    pub fn verify_platform_token(&self, token: &str) -> Result<Caller, TokenError> {
        let claims = jose::verify_compact(token, self.keys.verifying_keys())?;
        let iss = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(TokenError::MissingClaim("iss"))?;
        if iss != self.platform_issuer() {
            return Err(TokenError::Issuer(iss.to_owned()));
        }
        let now = self.clock.now() / 1_000_000;
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(TokenError::MissingClaim("exp"))?;
        if exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
            && nbf - LEEWAY_SECS > now
        {
            return Err(TokenError::NotYetValid);
        }
        let scopes = claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Ok(Caller { claims, scopes })
    }
}
