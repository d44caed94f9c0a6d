//! Bearer-token authentication for the JSON API: no token or a bad one → 401, a good token
//! without the needed scope → 403, an issuer whose keys cannot be fetched → 503.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use std::marker::PhantomData;

use super::AppState;
use super::problem::Problem;
use crate::domain::scopes;
use crate::services::tokens::{Caller, TokenError};

/// A caller with a valid platform token (any scope).
pub struct Bearer(pub Caller);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            Problem::unauthorized("send a token in the header 'Authorization: Bearer <token>'")
        })?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be 'Bearer <token>'")
            })?;
        state
            .app
            .verify_bearer(token)
            .await
            .map(Bearer)
            .map_err(|e| match e {
                // An outage of the issuer is not the caller's fault: try again, not re-login.
                TokenError::Keys(_) => Problem::unavailable(format!(
                    "the token cannot be checked now: {e}; try again shortly"
                )),
                e => Problem::unauthorized(format!("the token was refused: {e}")),
            })
    }
}

impl Bearer {
    /// Passes when the token holds at least one of `scopes`.
    pub fn require_any(&self, scopes: &[&str]) -> Result<&Caller, Problem> {
        if scopes.iter().any(|s| self.0.has_scope(s)) {
            Ok(&self.0)
        } else {
            Err(Problem::forbidden(format!(
                "the token needs the scope {}",
                scopes.join(" or ")
            )))
        }
    }
}

/// Which scopes an endpoint takes (any one of them): a marker type per set, declared with
/// [`scope_sets!`] below.
pub trait ScopeSet {
    const SCOPES: &'static [&'static str];
}

/// A caller whose platform token holds one of `S`'s scopes: 401 without a good token, 403
/// without the scope — before the body is read, as in Altinn.
pub struct Scoped<S: ScopeSet>(pub Caller, PhantomData<S>);

impl<S: ScopeSet> FromRequestParts<AppState> for Scoped<S> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = Bearer::from_request_parts(parts, state).await?;
        bearer.require_any(S::SCOPES)?;
        Ok(Scoped(bearer.0, PhantomData))
    }
}

macro_rules! scope_sets {
    ($($(#[$doc:meta])* $name:ident = [$($scope:expr),+];)*) => {
        $($(#[$doc])* pub struct $name;
        impl ScopeSet for $name {
            const SCOPES: &'static [&'static str] = &[$($scope),+];
        })*
    };
}

scope_sets! {
    /// A person in the end-user portal.
    Portal = [scopes::PORTAL_ENDUSER];
    /// A person in the portal, or a vendor or administrator of the system register.
    PortalOrRegister = [
        scopes::PORTAL_ENDUSER,
        scopes::SYSTEMREGISTER_ADMIN,
        scopes::SYSTEMREGISTER_WRITE
    ];
    /// A vendor (or an administrator) of the system register.
    RegisterWrite = [scopes::SYSTEMREGISTER_WRITE, scopes::SYSTEMREGISTER_ADMIN];
    /// A vendor asking for system users.
    RequestWrite = [scopes::SYSTEMUSER_REQUEST_WRITE];
    /// A vendor reading its requests and system users.
    RequestRead = [scopes::SYSTEMUSER_REQUEST_READ];
    /// A vendor, asking or reading.
    RequestWriteOrRead = [scopes::SYSTEMUSER_REQUEST_WRITE, scopes::SYSTEMUSER_REQUEST_READ];
    /// A person's tool reading agents' clients (exact: `.write` does not allow reading).
    ClientDelegationRead = [scopes::CLIENT_DELEGATIONS_READ];
    /// A person's tool changing agents' clients (exact: `.read` does not allow writing).
    ClientDelegationWrite = [scopes::CLIENT_DELEGATIONS_WRITE];
    /// Maskinporten looking up a system user.
    Lookup = [scopes::MASKINPORTEN_SYSTEMUSER_READ];
    /// Digdir's administrators of system users.
    SystemUserAdmin = [scopes::SYSTEMUSER_ADMIN];
    /// The central register's administrators (import).
    RegisterAdmin = [scopes::REGISTER_ADMIN];
    /// tilgang's operator.
    TilgangAdmin = [scopes::TILGANG_ADMIN];
    /// A resource owner's policy enforcement point asking for decisions.
    Authorize = [scopes::AUTHORIZE, scopes::AUTHORIZE_ADMIN];
    /// A Maskinporten client registering or changing its clients (self-service).
    DcrWrite = [scopes::DCR_WRITE];
    /// A Maskinporten client reading its clients (self-service).
    DcrRead = [scopes::DCR_READ, scopes::DCR_WRITE];
}

/// An OAuth client's `Authorization: Basic` credentials (RFC 6749 §2.3.1: the client id and
/// secret are form-urlencoded before Base64, so `+`, `%` and `:` survive).
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let (id, secret) = basic_user_password(headers)?;
    let (id, secret) = (url_decode(&id)?, url_decode(&secret)?);
    // Decoded here, after the edge's check for NUL characters: check again.
    (!id.contains('\0') && !secret.contains('\0')).then_some((id, secret))
}

/// A user's `Authorization: Basic` user name and password as RFC 7617 has them (no further
/// decoding: Gitea's API).
pub fn basic_user_password(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, password) = text.split_once(':')?;
    // Decoded here, after the edge's check for NUL characters: check again.
    (!text.contains('\0')).then(|| (name.to_owned(), password.to_owned()))
}

/// Decodes `+` and `%XX` (application/x-www-form-urlencoded); bad escapes stay as they are.
/// `None` when the decoded bytes are not UTF-8 (no credential is, so none is guessed).
fn url_decode(s: &str) -> Option<String> {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod basic_tests {
    use super::*;
    use base64::Engine;

    fn basic(user: &str, password: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        h
    }

    #[test]
    fn oauth_clients_form_urlencode_their_credentials_and_users_do_not() {
        // RFC 6749 §2.3.1: "a+b:c%3Ad%25" is the client "a b" with the secret "c:d%".
        let h = basic("a+b", "c%3Ad%25e+f");
        assert_eq!(
            basic_credentials(&h),
            Some(("a b".into(), "c:d%e f".into()))
        );
        assert_eq!(
            basic_user_password(&h),
            Some(("a+b".into(), "c%3Ad%25e+f".into()))
        );
        let h = basic("kari", "pass:with+plus");
        assert_eq!(
            basic_user_password(&h),
            Some(("kari".into(), "pass:with+plus".into()))
        );
        assert_eq!(
            basic_credentials(&basic("a", "%00")),
            None,
            "no NUL after decoding"
        );
        assert_eq!(
            basic_credentials(&basic("a", "%FF%FE")),
            None,
            "invalid UTF-8 after decoding is refused, not replaced"
        );
    }
}
