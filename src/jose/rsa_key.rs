use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("could not generate an RSA key")]
    Generate,
    #[error("the stored private key is not a valid PKCS#8 RSA key: {0}")]
    Parse(String),
    #[error("signing failed")]
    Sign,
}

/// An RSA private key, parsed once, with its key id.
pub struct RsaSigningKey {
    kid: String,
    pair: KeyPair,
    public: RsaVerifyingKey,
}

impl RsaSigningKey {
    pub fn generate(kid: String) -> Result<Self, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Ok(Self::from_pair(kid, pair))
    }

    pub fn from_pkcs8(kid: String, der: &[u8]) -> Result<Self, KeyError> {
        let pair = KeyPair::from_pkcs8(der).map_err(|e| KeyError::Parse(e.to_string()))?;
        Ok(Self::from_pair(kid, pair))
    }

    fn from_pair(kid: String, pair: KeyPair) -> Self {
        let components: PublicKeyComponents<Vec<u8>> = pair.public_key().into();
        let public = RsaVerifyingKey {
            kid: kid.clone(),
            n: components.n,
            e: components.e,
        };
        Self { kid, pair, public }
    }

    pub fn pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&self.pair)
            .map_err(|_| KeyError::Sign)?;
        Ok(der.as_ref().to_vec())
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public(&self) -> &RsaVerifyingKey {
        &self.public
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (JWS `RS256`).
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }
}

/// An RSA public key as published in a JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaVerifyingKey {
    pub kid: String,
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

impl RsaVerifyingKey {
    /// The JWK of this key (`kty`, `use`, `alg`, `kid`, `n`, `e`).
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": B64.encode(&self.n),
            "e": B64.encode(&self.e),
        })
    }

    /// Reads an RSA JWK; `None` when it is not one (wrong `kty`, missing or bad `n`/`e`).
    pub fn from_jwk(jwk: &Value) -> Option<Self> {
        if jwk.get("kty")?.as_str()? != "RSA" {
            return None;
        }
        let decode = |name: &str| {
            B64.decode(jwk.get(name)?.as_str()?)
                .ok()
                .filter(|b| !b.is_empty())
        };
        Some(Self {
            kid: jwk
                .get("kid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            n: decode("n")?,
            e: decode("e")?,
        })
    }

    /// Checks a signature for `alg` (RS256, RS384 or RS512); keys shorter than 2048 bits fail.
    pub fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        let params: &signature::RsaParameters = match alg {
            "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
            "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
            "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
            _ => return false,
        };
        let key = PublicKeyComponents {
            n: self.n.as_slice(),
            e: self.e.as_slice(),
        };
        key.verify(params, message, sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_round_trip_through_pkcs8_and_jwk() {
        let key = RsaSigningKey::generate("k1".into()).unwrap();
        let sig = key.sign_rs256(b"hello").unwrap();
        assert!(key.public().verify("RS256", b"hello", &sig));
        assert!(!key.public().verify("RS256", b"hellO", &sig));
        assert!(!key.public().verify("RS384", b"hello", &sig));
        assert!(!key.public().verify("HS256", b"hello", &sig));

        let again = RsaSigningKey::from_pkcs8("k1".into(), &key.pkcs8_der().unwrap()).unwrap();
        assert_eq!(again.public(), key.public());
        let from_jwk = RsaVerifyingKey::from_jwk(&key.public().jwk()).unwrap();
        assert_eq!(&from_jwk, key.public());
        assert!(RsaVerifyingKey::from_jwk(&json!({"kty": "EC"})).is_none());
        assert!(RsaSigningKey::from_pkcs8("x".into(), b"not a key").is_err());
    }
}
