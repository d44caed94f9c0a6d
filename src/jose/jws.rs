use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value};

use super::rsa_key::{KeyError, RsaSigningKey, RsaVerifyingKey};

/// A key that signs JWS.
pub trait JwsSigner {
    fn kid(&self) -> &str;
    fn alg(&self) -> &'static str;
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// A key that checks JWS signatures.
pub trait JwsVerifier {
    fn kid(&self) -> &str;
    /// Whether this key is for `alg` (never `none` or HMAC).
    fn accepts(&self, alg: &str) -> bool;
    fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool;
}

impl JwsSigner for RsaSigningKey {
    fn kid(&self) -> &str {
        RsaSigningKey::kid(self)
    }
    fn alg(&self) -> &'static str {
        "RS256"
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign_rs256(message)
    }
}

impl JwsVerifier for RsaVerifyingKey {
    fn kid(&self) -> &str {
        &self.kid
    }
    fn accepts(&self, alg: &str) -> bool {
        matches!(alg, "RS256" | "RS384" | "RS512")
    }
    fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        RsaVerifyingKey::verify(self, alg, message, sig)
    }
}

/// Longest compact JWS accepted anywhere: far above any real token, small enough to refuse
/// abuse before decoding.
pub const MAX_JWS_LEN: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the token is longer than {MAX_JWS_LEN} bytes")]
    TooLong,
    #[error("the token is not a compact JWS (three base64url parts separated by dots)")]
    Format,
    #[error("the token header is not a JSON object")]
    Header,
    #[error("the token payload is not a JSON object")]
    Payload,
    #[error("the token algorithm '{0}' is not accepted")]
    Algorithm(String),
    #[error("the token header names no key id (kid)")]
    NoKid,
    #[error("the key '{0}' is not known")]
    UnknownKey(String),
    #[error("the token signature is not valid")]
    Signature,
}

/// A compact JWS split into its parts, header and payload decoded but not yet trusted.
#[derive(Debug, Clone)]
pub struct Unverified<'a> {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl Unverified<'_> {
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Checks the signature with `key`, for the algorithm the key is for (never `none` or
    /// HMAC).
    pub fn verify_with<K: JwsVerifier + ?Sized>(&self, key: &K) -> Result<(), JwsError> {
        let alg = self.alg();
        if !key.accepts(alg) {
            return Err(JwsError::Algorithm(alg.to_owned()));
        }
        if key.verify(alg, self.signing_input.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(JwsError::Signature)
        }
    }
}

/// Splits and decodes a compact JWS without checking the signature.
pub fn decode_unverified(token: &str) -> Result<Unverified<'_>, JwsError> {
    if token.len() > MAX_JWS_LEN {
        return Err(JwsError::TooLong);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Format);
    };
    let header_bytes = B64.decode(h).map_err(|_| JwsError::Format)?;
    let payload_bytes = B64.decode(p).map_err(|_| JwsError::Format)?;
    let signature = B64.decode(s).map_err(|_| JwsError::Format)?;
    let header = match serde_json::from_slice(&header_bytes) {
        Ok(Value::Object(m)) => m,
        _ => return Err(JwsError::Header),
    };
    let claims = match serde_json::from_slice(&payload_bytes) {
        Ok(Value::Object(m)) => m,
        _ => return Err(JwsError::Payload),
    };
    Ok(Unverified {
        header,
        claims,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature,
    })
}

/// Whether verified claims' `aud` is `audience`, or a list that holds it (RFC 7519 §4.1.3).
pub fn has_audience(claims: &Map<String, Value>, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

/// Verifies a compact JWS against a set of keys, chosen by `kid`; returns the claims.
pub fn verify_compact<'k, K: JwsVerifier + 'k>(
    token: &str,
    keys: impl IntoIterator<Item = &'k K>,
) -> Result<Map<String, Value>, JwsError> {
    let jws = decode_unverified(token)?;
    let kid = jws.kid().ok_or(JwsError::NoKid)?;
    let key = keys
        .into_iter()
        .find(|k| k.kid() == kid)
        .ok_or_else(|| JwsError::UnknownKey(kid.to_owned()))?;
    jws.verify_with(key)?;
    Ok(jws.claims)
}

/// Signs `claims` with the key's algorithm under its `kid`.
pub fn sign_compact<K: JwsSigner + ?Sized>(key: &K, claims: &Value) -> Result<String, KeyError> {
    let header = serde_json::json!({"alg": key.alg(), "typ": "JWT", "kid": key.kid()});
    let mut token = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&B64.encode(sig));
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_and_tampering() {
        let key = RsaSigningKey::generate("k1".into()).unwrap();
        let token = sign_compact(&key, &json!({"sub": "x"})).unwrap();
        let claims = verify_compact(&token, [key.public()]).unwrap();
        assert_eq!(claims["sub"], "x");

        let other = RsaSigningKey::generate("k2".into()).unwrap();
        assert_eq!(
            verify_compact(&token, [other.public()]),
            Err(JwsError::UnknownKey("k1".into()))
        );
        let mut forged = other.public().clone();
        forged.kid = "k1".into();
        assert_eq!(verify_compact(&token, [&forged]), Err(JwsError::Signature));

        let parts: Vec<_> = token.split('.').collect();
        let evil_payload = B64.encode(json!({"sub": "admin"}).to_string());
        let tampered = format!("{}.{}.{}", parts[0], evil_payload, parts[2]);
        assert_eq!(
            verify_compact(&tampered, [key.public()]),
            Err(JwsError::Signature)
        );
    }

    #[test]
    fn refuses_none_and_hmac() {
        let key = RsaSigningKey::generate("k1".into()).unwrap();
        for alg in ["none", "HS256"] {
            let h = B64.encode(json!({"alg": alg, "kid": "k1"}).to_string());
            let p = B64.encode(json!({"sub": "x"}).to_string());
            let token = format!("{h}.{p}.");
            assert_eq!(
                verify_compact(&token, [key.public()]),
                Err(JwsError::Algorithm(alg.into()))
            );
        }
    }

    #[test]
    fn refuses_malformed_input() {
        for t in ["", "a", "a.b", "a.b.c.d", "!!.e30.", "e30.!!.x"] {
            assert!(matches!(decode_unverified(t), Err(JwsError::Format)), "{t}");
        }
        let arr = format!("{}.{}.", B64.encode("[]"), B64.encode("{}"));
        assert!(matches!(decode_unverified(&arr), Err(JwsError::Header)));
        let arr = format!("{}.{}.", B64.encode("{}"), B64.encode("1"));
        assert!(matches!(decode_unverified(&arr), Err(JwsError::Payload)));
        assert!(matches!(
            decode_unverified(&"a".repeat(MAX_JWS_LEN + 1)),
            Err(JwsError::TooLong)
        ));
    }
}
