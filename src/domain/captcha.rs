//! A self-hosted proof-of-work captcha compatible with ALTCHA: no third party, works offline.
//! The server hands out a signed challenge; the browser searches for the secret number; the
//! server checks the answer's signature, hash and expiry (single use is the caller's job, by
//! remembering the challenge until it expires). (Groundwork for the Studio sign-up form.)

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// What the browser receives (ALTCHA's challenge JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    pub algorithm: String,
    pub challenge: String,
    #[serde(rename = "maxnumber")]
    pub max_number: u64,
    pub salt: String,
    pub signature: String,
}

/// What the browser sends back: base64 of this JSON in the form field `altcha`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    pub algorithm: String,
    pub challenge: String,
    pub number: u64,
    pub salt: String,
    pub signature: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaptchaError {
    #[error("the captcha answer is missing or malformed")]
    Malformed,
    #[error("the captcha answer is wrong")]
    Wrong,
    #[error("the captcha has expired; solve a new one")]
    Expired,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(salt: &str, number: u64) -> String {
    hex(digest(&SHA256, format!("{salt}{number}").as_bytes()).as_ref())
}

fn sign(key: &[u8], challenge: &str) -> String {
    hex(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        challenge.as_bytes(),
    )
    .as_ref())
}

/// A new challenge. `random_salt` should be unguessable, `secret_number` random in
/// `0..=max_number` (the difficulty), `expires_at` in seconds since 1970.
pub fn create(
    key: &[u8],
    random_salt: &str,
    secret_number: u64,
    max_number: u64,
    expires_at: i64,
) -> Challenge {
    let salt = format!("{random_salt}?expires={expires_at}");
    let challenge = hash(&salt, secret_number.min(max_number));
    Challenge {
        algorithm: "SHA-256".into(),
        signature: sign(key, &challenge),
        challenge,
        max_number,
        salt,
    }
}

/// Checks a base64 answer at `now` (seconds); returns the challenge (to remember as used).
pub fn verify(key: &[u8], payload: &str, now: i64) -> Result<Solution, CaptchaError> {
    let bytes = B64
        .decode(payload.trim())
        .map_err(|_| CaptchaError::Malformed)?;
    let s: Solution = serde_json::from_slice(&bytes).map_err(|_| CaptchaError::Malformed)?;
    if s.algorithm != "SHA-256" {
        return Err(CaptchaError::Malformed);
    }
    let expected = sign(key, &s.challenge);
    if !crate::secret::constant_time_eq(&expected, &s.signature)
        || hash(&s.salt, s.number) != s.challenge
    {
        return Err(CaptchaError::Wrong);
    }
    let expires = s
        .salt
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("expires=")))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or(CaptchaError::Malformed)?;
    if expires < now {
        return Err(CaptchaError::Expired);
    }
    Ok(s)
}

/// Solves a challenge the way the browser widget does (tests, and a fallback for tools).
pub fn solve(c: &Challenge) -> Option<u64> {
    (0..=c.max_number).find(|n| hash(&c.salt, *n) == c.challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a server secret of enough length";

    fn answer(c: &Challenge, number: u64) -> String {
        let s = Solution {
            algorithm: c.algorithm.clone(),
            challenge: c.challenge.clone(),
            number,
            salt: c.salt.clone(),
            signature: c.signature.clone(),
        };
        B64.encode(serde_json::to_vec(&s).unwrap())
    }

    #[test]
    fn a_solved_challenge_verifies_until_it_expires() {
        let c = create(KEY, "salt123", 4321, 10_000, 1000);
        let n = solve(&c).unwrap();
        assert_eq!(n, 4321);
        assert!(verify(KEY, &answer(&c, n), 999).is_ok());
        assert_eq!(
            verify(KEY, &answer(&c, n), 1001).unwrap_err(),
            CaptchaError::Expired
        );
    }

    #[test]
    fn wrong_answers_forgeries_and_garbage_are_refused() {
        let c = create(KEY, "salt123", 42, 1000, 1000);
        assert_eq!(
            verify(KEY, &answer(&c, 43), 0).unwrap_err(),
            CaptchaError::Wrong
        );
        assert_eq!(
            verify(b"another key", &answer(&c, 42), 0).unwrap_err(),
            CaptchaError::Wrong
        );
        // A challenge made up by the client (self-signed with a guessed key) fails.
        let forged = create(b"guess", "salt", 1, 10, 1000);
        assert_eq!(
            verify(KEY, &answer(&forged, 1), 0).unwrap_err(),
            CaptchaError::Wrong
        );
        for bad in ["", "!!!", &B64.encode("{}"), &B64.encode("[1]")] {
            assert_eq!(
                verify(KEY, bad, 0).unwrap_err(),
                CaptchaError::Malformed,
                "{bad}"
            );
        }
    }

    #[test]
    fn challenge_json_is_altcha_shaped() {
        let c = create(KEY, "s", 1, 50_000, 10);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["algorithm"], "SHA-256");
        assert_eq!(v["maxnumber"], 50_000);
        assert_eq!(v["salt"], "s?expires=10");
        assert_eq!(v["challenge"].as_str().unwrap().len(), 64);
    }
}
