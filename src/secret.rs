//! Random tokens and their hashes: authorization codes, session ids, client secrets. Only
//! hashes are stored; lookups go by hash, so no comparison of secrets happens in the database.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

/// A value that must not show in logs, debug output or error messages: client secrets and
/// passwords from the configuration. Only [`Secret::expose`] gives it out.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that sends it (a token request, SMTP AUTH).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Read from the configuration file as a plain string.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

/// 32 random bytes, base64url (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The system random source does not fail on supported platforms; fall back to UUIDs.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        let a = uuid::Uuid::new_v4();
        let b = uuid::Uuid::new_v4();
        bytes[..16].copy_from_slice(a.as_bytes());
        bytes[16..].copy_from_slice(b.as_bytes());
    }
    B64.encode(bytes)
}

/// SHA-256 of `s`, base64url.
pub fn hash(s: &str) -> String {
    B64.encode(digest(&SHA256, s.as_bytes()))
}

/// PKCE S256: BASE64URL(SHA256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    hash(verifier)
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Seals `payload` so that only the holder of `key` could have made it: `B64(payload).B64(mac)`
/// with HMAC-SHA256 over the encoded payload. For short-lived state kept in the browser
/// (log-in flows) instead of a database row per anonymous request. The payload is readable by
/// whoever holds the value; it is not encrypted.
pub fn seal(key: &[u8], payload: &str) -> String {
    let body = B64.encode(payload.as_bytes());
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), body.as_bytes());
    format!("{body}.{}", B64.encode(mac.as_ref()))
}

/// The payload of a value made by [`seal`] with `key`; `None` when it was not, or was altered.
pub fn unseal(key: &[u8], sealed: &str) -> Option<String> {
    let (body, mac) = sealed.split_once('.')?;
    let mac = B64.decode(mac).ok()?;
    hmac::verify(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        body.as_bytes(),
        &mac,
    )
    .ok()?;
    String::from_utf8(B64.decode(body).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_unaltered_and_with_their_key() {
        let v = seal(b"key", "{\"state\":\"a\"}");
        assert_eq!(unseal(b"key", &v).as_deref(), Some("{\"state\":\"a\"}"));
        assert_eq!(unseal(b"other", &v), None);
        let (body, mac) = v.split_once('.').unwrap();
        let altered = format!("{}.{mac}", B64.encode(b"{\"state\":\"b\"}"));
        assert_eq!(unseal(b"key", &altered), None);
        assert_eq!(unseal(b"key", body), None);
        assert_eq!(unseal(b"key", ""), None);
        assert_eq!(unseal(b"key", "a.b.c"), None);
    }

    #[test]
    fn pkce_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn tokens_are_random_and_urlsafe() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &random_token()));
        assert!(!constant_time_eq("a", "ab"));
    }
}
