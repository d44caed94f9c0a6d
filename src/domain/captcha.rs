//! A self-hosted proof-of-work captcha compatible with ALTCHA: no third party, works offline.
//! The server hands out a signed challenge; the browser searches for the secret number; the
//! server checks the answer's signature, hash and expiry (single use is the caller's job, by
//! remembering the challenge until it expires). (Groundwork for the Studio sign-up form.)
//!
//! The browser side is ALTCHA v1: it finds `n` in `0..=maxnumber` with
//! `hex(SHA-256(salt + n)) == challenge` and echoes the fields back. The server side is
//! stricter than ALTCHA v1 (whose signature is `HMAC(key, challenge)` only, which allowed
//! "challenge splicing": moving leading digits of the number into the salt so that the salt's
//! `expires=` read a later time while `salt + number`, hence the challenge and its signature,
//! stayed the same):
//! - the salt is `{random}?expires={unix seconds}&maxnumber={max}&` — it ends with the `&`
//!   delimiter (ALTCHA's own fix), the random part is ASCII letters and digits only, and
//!   [`verify`] accepts only exactly that canonical form, so no digit can move between salt and
//!   number;
//! - the signature is an HMAC over every field — algorithm, salt, expiry, max number and
//!   challenge — each length-prefixed, so no field can be shifted into another.
//!
//! The browser never checks the signature, so this stays compatible with the widget.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// The only hash algorithm offered and accepted.
const ALGORITHM: &str = "SHA-256";

/// Domain separation for the signature, so that it cannot be confused with any other HMAC made
/// with the same key (activation codes and so on). Bump when the signed fields change.
const SIGNATURE_CONTEXT: &str = "tilgang-captcha-v2";

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

/// ALTCHA's challenge: `hex(SHA-256(salt + decimal(number)))`, exactly what the widget computes.
fn hash(salt: &str, number: u64) -> String {
    hex(digest(&SHA256, format!("{salt}{number}").as_bytes()).as_ref())
}

/// The canonical salt. `random` must be ASCII letters and digits (see [`create`]).
fn make_salt(random: &str, expires_at: i64, max_number: u64) -> String {
    format!("{random}?expires={expires_at}&maxnumber={max_number}&")
}

/// The expiry and max number of a salt made by [`make_salt`]; `None` for anything that is not
/// exactly in that canonical form (a missing final `&`, extra or reordered parameters, signs or
/// leading zeros in the numbers, other characters in the random part).
fn parse_salt(salt: &str) -> Option<(i64, u64)> {
    let body = salt.strip_suffix('&')?;
    let (random, query) = body.split_once('?')?;
    if !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (expires, max_number) = query.strip_prefix("expires=")?.split_once("&maxnumber=")?;
    let expires = expires.parse::<i64>().ok()?;
    let max_number = max_number.parse::<u64>().ok()?;
    (make_salt(random, expires, max_number) == salt).then_some((expires, max_number))
}

/// The server's signature over every field of a challenge: HMAC-SHA256 with the server key over
/// the length-prefixed (8 bytes, big-endian) context, algorithm, salt, expiry, max number and
/// challenge.
fn sign(
    key: &[u8],
    algorithm: &str,
    salt: &str,
    expires_at: i64,
    max_number: u64,
    challenge: &str,
) -> String {
    let expires_at = expires_at.to_string();
    let max_number = max_number.to_string();
    let fields: [&str; 6] = [
        SIGNATURE_CONTEXT,
        algorithm,
        salt,
        &expires_at,
        &max_number,
        challenge,
    ];
    let mut message = Vec::new();
    for field in fields {
        message.extend_from_slice(&(field.len() as u64).to_be_bytes());
        message.extend_from_slice(field.as_bytes());
    }
    hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), &message).as_ref())
}

/// A new challenge. `random_salt` should be unguessable ASCII letters and digits (hex, say;
/// any other character is dropped so that the salt stays parseable), `secret_number` random in
/// `0..=max_number` (the difficulty), `expires_at` in seconds since 1970.
pub fn create(
    key: &[u8],
    random_salt: &str,
    secret_number: u64,
    max_number: u64,
    expires_at: i64,
) -> Challenge {
    let random: String = random_salt
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let salt = make_salt(&random, expires_at, max_number);
    let challenge = hash(&salt, secret_number.min(max_number));
    Challenge {
        algorithm: ALGORITHM.into(),
        signature: sign(key, ALGORITHM, &salt, expires_at, max_number, &challenge),
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
    if s.algorithm != ALGORITHM {
        return Err(CaptchaError::Malformed);
    }
    let (expires, max_number) = parse_salt(&s.salt).ok_or(CaptchaError::Malformed)?;
    // Signature first: nothing below is trusted before every field is known to be ours.
    let expected = sign(
        key,
        &s.algorithm,
        &s.salt,
        expires,
        max_number,
        &s.challenge,
    );
    if !crate::secret::constant_time_eq(&expected, &s.signature)
        || s.number > max_number
        || hash(&s.salt, s.number) != s.challenge
    {
        return Err(CaptchaError::Wrong);
    }
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

    fn solution(c: &Challenge, number: u64) -> Solution {
        Solution {
            algorithm: c.algorithm.clone(),
            challenge: c.challenge.clone(),
            number,
            salt: c.salt.clone(),
            signature: c.signature.clone(),
        }
    }

    fn encode(s: &Solution) -> String {
        B64.encode(serde_json::to_vec(s).unwrap())
    }

    fn answer(c: &Challenge, number: u64) -> String {
        encode(&solution(c, number))
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
        assert_eq!(v["salt"], "s?expires=10&maxnumber=50000&");
        assert_eq!(v["challenge"].as_str().unwrap().len(), 64);
    }

    /// Security review item 10, the regression: "challenge splicing" against what the old code
    /// issued (salt `…?expires=E` without a final delimiter, signature `HMAC(key, challenge)`
    /// only). Moving the number's leading digits into the salt keeps `salt + number`, hence the
    /// challenge and its signature, while the salt now reads a far later expiry. The old
    /// `verify` accepted exactly this payload at `now = 5000`; it must be refused.
    #[test]
    fn a_spliced_challenge_with_a_later_expiry_is_refused() {
        let old_salt = "abc123?expires=1000";
        let challenge = hash(old_salt, 4321);
        let old_signature = hex(hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, KEY),
            challenge.as_bytes(),
        )
        .as_ref());
        let spliced = Solution {
            algorithm: "SHA-256".into(),
            challenge: challenge.clone(),
            number: 21,
            salt: "abc123?expires=100043".into(),
            signature: old_signature,
        };
        // The attack's premise: the hashed string, so the challenge, is unchanged.
        assert_eq!(hash(&spliced.salt, spliced.number), challenge);
        assert!(verify(KEY, &encode(&spliced), 5000).is_err());
        // Nor does an answer signed the old way verify at all any more.
        let old_honest = Solution {
            salt: old_salt.into(),
            number: 4321,
            ..spliced
        };
        assert!(verify(KEY, &encode(&old_honest), 0).is_err());
    }

    /// The same attack against the new format: of every way to cut `salt + number` into a
    /// salt and a number, only the honest one verifies, and no other cut even yields a salt
    /// that parses (the final `&` and the strict format leave no digit to move).
    #[test]
    fn only_the_honest_cut_of_salt_and_number_verifies() {
        let c = create(KEY, "abc123", 4321, 10_000, 1000);
        let joined = format!("{}{}", c.salt, 4321);
        let mut cuts = 0;
        for at in 1..joined.len() {
            let (salt, digits) = joined.split_at(at);
            let Ok(number) = digits.parse::<u64>() else {
                continue;
            };
            let s = Solution {
                salt: salt.to_owned(),
                number,
                ..solution(&c, 0)
            };
            assert_eq!(hash(&s.salt, s.number), c.challenge);
            cuts += 1;
            if salt == c.salt {
                assert!(verify(KEY, &encode(&s), 0).is_ok());
            } else {
                assert_eq!(parse_salt(salt), None, "{salt}");
                assert_eq!(
                    verify(KEY, &encode(&s), 0).unwrap_err(),
                    CaptchaError::Malformed,
                    "{salt} + {number}"
                );
            }
        }
        assert_eq!(cuts, 4, "the honest cut and three spliced ones");
    }

    #[test]
    fn every_field_tampered_with_is_refused() {
        use super::CaptchaError::{Malformed, Wrong};
        let c = create(KEY, "abc123", 42, 1000, 1000);
        let honest = solution(&c, 42);
        assert!(verify(KEY, &encode(&honest), 1000).is_ok());
        // A salt of the attacker's choosing, with the challenge recomputed to match it, so
        // that only the signature stands in the way.
        let resalted = |salt: String| Solution {
            challenge: hash(&salt, 42),
            salt,
            ..honest.clone()
        };
        let mut flipped = c.signature.clone();
        let first = if flipped.starts_with('0') { "1" } else { "0" };
        flipped.replace_range(..1, first);
        let cases: Vec<(&str, Solution, CaptchaError)> = vec![
            (
                "algorithm",
                Solution {
                    algorithm: "SHA-512".into(),
                    ..honest.clone()
                },
                Malformed,
            ),
            (
                "algorithm spelling",
                Solution {
                    algorithm: "sha-256".into(),
                    ..honest.clone()
                },
                Malformed,
            ),
            (
                "challenge and number",
                Solution {
                    challenge: hash(&c.salt, 43),
                    number: 43,
                    ..honest.clone()
                },
                Wrong,
            ),
            (
                "number",
                Solution {
                    number: 43,
                    ..honest.clone()
                },
                Wrong,
            ),
            (
                "expiry",
                resalted(make_salt("abc123", 1_000_000, 1000)),
                Wrong,
            ),
            ("max number", resalted(make_salt("abc123", 1000, 50)), Wrong),
            (
                "random part",
                resalted(make_salt("abc124", 1000, 1000)),
                Wrong,
            ),
            (
                "no final delimiter",
                resalted("abc123?expires=1000&maxnumber=1000".into()),
                Malformed,
            ),
            (
                "leading zero",
                resalted("abc123?expires=01000&maxnumber=1000&".into()),
                Malformed,
            ),
            (
                "plus sign",
                resalted("abc123?expires=+1000&maxnumber=1000&".into()),
                Malformed,
            ),
            (
                "extra parameter",
                resalted("abc123?expires=1000&maxnumber=1000&expires=9999&".into()),
                Malformed,
            ),
            (
                "reordered parameters",
                resalted("abc123?maxnumber=1000&expires=1000&".into()),
                Malformed,
            ),
            (
                "delimiter in the random part",
                resalted("ab&c?expires=1000&maxnumber=1000&".into()),
                Malformed,
            ),
            (
                "signature",
                Solution {
                    signature: flipped,
                    ..honest.clone()
                },
                Wrong,
            ),
            (
                "signature case",
                Solution {
                    signature: c.signature.to_uppercase(),
                    ..honest.clone()
                },
                Wrong,
            ),
            (
                "no signature",
                Solution {
                    signature: String::new(),
                    ..honest.clone()
                },
                Wrong,
            ),
        ];
        for (what, s, want) in cases {
            assert_eq!(verify(KEY, &encode(&s), 0).unwrap_err(), want, "{what}");
        }
    }

    #[test]
    fn a_number_above_the_signed_maximum_is_refused() {
        // Signed with the server key (as `create` never would) to isolate the bound check.
        let salt = make_salt("abc123", 1000, 10);
        let challenge = hash(&salt, 50);
        let signature = sign(KEY, ALGORITHM, &salt, 1000, 10, &challenge);
        let s = Solution {
            algorithm: ALGORITHM.into(),
            challenge,
            number: 50,
            salt,
            signature,
        };
        assert_eq!(
            verify(KEY, &encode(&s), 0).unwrap_err(),
            CaptchaError::Wrong
        );
    }

    #[test]
    fn a_random_part_with_delimiters_is_cleaned_and_still_verifies() {
        let c = create(KEY, "a?b&c=1", 7, 100, 1000);
        assert_eq!(c.salt, "abc1?expires=1000&maxnumber=100&");
        assert_eq!(solve(&c), Some(7));
        assert!(verify(KEY, &answer(&c, 7), 0).is_ok());
    }

    #[test]
    fn the_signature_covers_each_field_separately() {
        let salt = "s?expires=1&maxnumber=2&";
        let base = sign(KEY, "SHA-256", salt, 1, 2, "ab");
        assert_eq!(base, sign(KEY, "SHA-256", salt, 1, 2, "ab"));
        assert_ne!(base, sign(KEY, "SHA-256", salt, 1, 2, "ac"));
        assert_ne!(base, sign(KEY, "SHA-256", salt, 11, 2, "ab"));
        assert_ne!(base, sign(KEY, "SHA-256", salt, 1, 22, "ab"));
        // Moving a byte across a field boundary changes the signed message.
        assert_ne!(
            base,
            sign(KEY, "SHA-25", "6s?expires=1&maxnumber=2&", 1, 2, "ab")
        );
        assert_ne!(
            base,
            sign(KEY, "SHA-256", "s?expires=1&maxnumber=2&a", 1, 2, "b")
        );
        assert_ne!(base, sign(b"other key", "SHA-256", salt, 1, 2, "ab"));
    }
}
