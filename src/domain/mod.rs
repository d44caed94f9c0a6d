//! Pure types and rules: no I/O. Identifiers parse rather than validate, so a value of one of
//! these types is always well-formed.

pub mod activation;
pub mod agent;
pub mod captcha;
pub mod change_request;
pub mod grant;
pub mod image_captcha;
pub mod import;
pub mod localized;
pub mod org_number;
pub mod pid;
pub mod problem_codes;
pub mod reference;
pub mod request;
pub mod scopes;
pub mod studio;
pub mod system;
pub mod urn;
pub mod xacml;

pub use localized::Localized;
pub use org_number::OrgNumber;
pub use pid::Pid;

/// Weighted mod-11 check digit as used by Norwegian organisation and person numbers.
/// Returns `None` when the remainder gives 10 (no valid check digit exists).
pub(crate) fn mod11_check_digit(digits: &[u8], weights: &[u32]) -> Option<u8> {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        k => u8::try_from(k).ok(),
    }
}

/// The decimal digits of `s`, or `None` when `s` is not exactly `len` ASCII digits.
pub(crate) fn ascii_digits(s: &str, len: usize) -> Option<Vec<u8>> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().map(|b| b - b'0').collect())
}
