//! JSON Web Signatures in compact form, over keys that are parsed once and kept.
//! Only what tilgang needs: RS256 for the tokens it issues, and verification of RS256/384/512.

pub mod jws;
pub mod rsa_key;

pub use jws::{JwsError, decode_unverified, sign_compact, verify_compact};
pub use rsa_key::{RsaSigningKey, RsaVerifyingKey};
