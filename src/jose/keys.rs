//! Signing keys of every algorithm tilgang can issue with: RS256 (the default; what Maskinporten
//! and most resource servers expect), ES256 (P-256) and EdDSA (Ed25519). Parsed once and kept.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

use super::jws::{JwsSigner, JwsVerifier};
use super::rsa_key::{KeyError, RsaSigningKey, RsaVerifyingKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Rs256,
    Es256,
    EdDsa,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }
}

impl FromStr for Alg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RS256" => Ok(Alg::Rs256),
            "ES256" => Ok(Alg::Es256),
            "EdDSA" => Ok(Alg::EdDsa),
            other => Err(format!(
                "unknown signing algorithm '{other}': use RS256, ES256 or EdDSA"
            )),
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub enum SigningKey {
    Rsa(RsaSigningKey),
    Ec {
        kid: String,
        pair: EcdsaKeyPair,
        public: VerifyingKey,
    },
    Ed {
        kid: String,
        pair: Ed25519KeyPair,
        public: VerifyingKey,
    },
}

impl SigningKey {
    pub fn generate(alg: Alg, kid: String) -> Result<Self, KeyError> {
        match alg {
            Alg::Rs256 => RsaSigningKey::generate(kid).map(SigningKey::Rsa),
            Alg::Es256 => {
                let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| KeyError::Generate)?;
                Ok(Self::from_ec(kid, pair))
            }
            Alg::EdDsa => {
                let pair = Ed25519KeyPair::generate().map_err(|_| KeyError::Generate)?;
                Ok(Self::from_ed(kid, pair))
            }
        }
    }

    pub fn from_pkcs8(alg: Alg, kid: String, der: &[u8]) -> Result<Self, KeyError> {
        match alg {
            Alg::Rs256 => RsaSigningKey::from_pkcs8(kid, der).map(SigningKey::Rsa),
            Alg::Es256 => {
                let pair =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                        .map_err(|e| KeyError::Parse(e.to_string()))?;
                Ok(Self::from_ec(kid, pair))
            }
            Alg::EdDsa => {
                let pair =
                    Ed25519KeyPair::from_pkcs8(der).map_err(|e| KeyError::Parse(e.to_string()))?;
                Ok(Self::from_ed(kid, pair))
            }
        }
    }

    fn from_ec(kid: String, pair: EcdsaKeyPair) -> Self {
        // Uncompressed point: 0x04 || x (32) || y (32).
        let point = pair.public_key().as_ref().to_vec();
        let public = VerifyingKey::Ec {
            kid: kid.clone(),
            point,
        };
        SigningKey::Ec { kid, pair, public }
    }

    fn from_ed(kid: String, pair: Ed25519KeyPair) -> Self {
        let public = VerifyingKey::Ed {
            kid: kid.clone(),
            x: pair.public_key().as_ref().to_vec(),
        };
        SigningKey::Ed { kid, pair, public }
    }

    pub fn kid(&self) -> &str {
        JwsSigner::kid(self)
    }

    pub fn alg(&self) -> Alg {
        match self {
            SigningKey::Rsa(_) => Alg::Rs256,
            SigningKey::Ec { .. } => Alg::Es256,
            SigningKey::Ed { .. } => Alg::EdDsa,
        }
    }

    pub fn pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        match self {
            SigningKey::Rsa(k) => k.pkcs8_der(),
            SigningKey::Ec { pair, .. } => pair
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            SigningKey::Ed { pair, .. } => pair
                .to_pkcs8()
                .map(|d| d.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
        }
    }

    pub fn public(&self) -> VerifyingKey {
        match self {
            SigningKey::Rsa(k) => VerifyingKey::Rsa(k.public().clone()),
            SigningKey::Ec { public, .. } | SigningKey::Ed { public, .. } => public.clone(),
        }
    }
}

impl JwsSigner for SigningKey {
    fn kid(&self) -> &str {
        match self {
            SigningKey::Rsa(k) => k.kid(),
            SigningKey::Ec { kid, .. } | SigningKey::Ed { kid, .. } => kid,
        }
    }

    fn alg(&self) -> &'static str {
        SigningKey::alg(self).as_str()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            SigningKey::Rsa(k) => k.sign_rs256(message),
            SigningKey::Ec { pair, .. } => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            SigningKey::Ed { pair, .. } => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

/// A public key of any supported algorithm, as published in a JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    Rsa(RsaVerifyingKey),
    Ec { kid: String, point: Vec<u8> },
    Ed { kid: String, x: Vec<u8> },
}

impl VerifyingKey {
    pub fn jwk(&self) -> Value {
        match self {
            VerifyingKey::Rsa(k) => k.jwk(),
            VerifyingKey::Ec { kid, point } => json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": B64.encode(point.get(1..33).unwrap_or_default()),
                "y": B64.encode(point.get(33..65).unwrap_or_default()),
            }),
            VerifyingKey::Ed { kid, x } => {
                json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid, "x": B64.encode(x)})
            }
        }
    }

    /// Reads an RSA, P-256 or Ed25519 JWK.
    pub fn from_jwk(jwk: &Value) -> Option<Self> {
        let kid = jwk
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let decode = |name: &str| B64.decode(jwk.get(name)?.as_str()?).ok();
        match (
            jwk.get("kty")?.as_str()?,
            jwk.get("crv").and_then(Value::as_str),
        ) {
            ("RSA", _) => RsaVerifyingKey::from_jwk(jwk).map(VerifyingKey::Rsa),
            ("EC", Some("P-256")) => {
                let (x, y) = (decode("x")?, decode("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let mut point = vec![4u8];
                point.extend(x);
                point.extend(y);
                Some(VerifyingKey::Ec { kid, point })
            }
            ("OKP", Some("Ed25519")) => decode("x")
                .filter(|x| x.len() == 32)
                .map(|x| VerifyingKey::Ed { kid, x }),
            _ => None,
        }
    }
}

impl JwsVerifier for VerifyingKey {
    fn kid(&self) -> &str {
        match self {
            VerifyingKey::Rsa(k) => &k.kid,
            VerifyingKey::Ec { kid, .. } | VerifyingKey::Ed { kid, .. } => kid,
        }
    }

    fn accepts(&self, alg: &str) -> bool {
        match self {
            VerifyingKey::Rsa(k) => k.accepts(alg),
            VerifyingKey::Ec { .. } => alg == "ES256",
            VerifyingKey::Ed { .. } => alg == "EdDSA",
        }
    }

    fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        match self {
            VerifyingKey::Rsa(k) => JwsVerifier::verify(k, alg, message, sig),
            VerifyingKey::Ec { point, .. } => {
                alg == "ES256"
                    && UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                        .verify(message, sig)
                        .is_ok()
            }
            VerifyingKey::Ed { x, .. } => {
                alg == "EdDSA"
                    && UnparsedPublicKey::new(&signature::ED25519, x)
                        .verify(message, sig)
                        .is_ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{sign_compact, verify_compact};

    #[test]
    fn every_algorithm_signs_verifies_and_round_trips() {
        for alg in [Alg::Rs256, Alg::Es256, Alg::EdDsa] {
            let key = SigningKey::generate(alg, format!("k-{alg}")).unwrap();
            let token = sign_compact(&key, &json!({"sub": "x"})).unwrap();
            let public = key.public();
            assert_eq!(
                verify_compact(&token, [&public]).unwrap()["sub"],
                "x",
                "{alg}"
            );
            let again =
                SigningKey::from_pkcs8(alg, format!("k-{alg}"), &key.pkcs8_der().unwrap()).unwrap();
            assert_eq!(again.public(), public);
            let from_jwk = VerifyingKey::from_jwk(&public.jwk()).unwrap();
            assert_eq!(from_jwk, public, "{alg}");
            let header: Value =
                serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap())
                    .unwrap();
            assert_eq!(header["alg"], alg.as_str());
        }
    }

    #[test]
    fn a_key_refuses_other_algorithms() {
        let ec = SigningKey::generate(Alg::Es256, "k".into()).unwrap();
        let ed = SigningKey::generate(Alg::EdDsa, "k".into()).unwrap();
        let token = sign_compact(&ec, &json!({})).unwrap();
        assert!(verify_compact(&token, [&ed.public()]).is_err());
        assert!(
            VerifyingKey::from_jwk(&json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}))
                .is_none()
        );
        assert!("HS256".parse::<Alg>().is_err());
    }
}
