//! JSON Web Signatures in compact form, over keys that are parsed once and kept.
//! Only what tilgang needs: RS256 (default), ES256 or EdDSA for the tokens it issues, and
//! verification of those and of RS384/RS512.

pub mod jws;
pub mod keys;
pub mod rsa_key;

pub use jws::{
    JwsError, JwsSigner, JwsVerifier, decode_unverified, has_audience, sign_compact, verify_compact,
};
pub use keys::{Alg, SigningKey, VerifyingKey};
pub use rsa_key::{RsaSigningKey, RsaVerifyingKey};
