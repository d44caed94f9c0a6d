//! The captcha for browsers without JavaScript (Gitea's default kind: an image of characters to
//! type), with a question in words as its text alternative for people who cannot see the image.
//! Nothing is stored until it is answered: the puzzle is a signed token
//! `{nonce}.{expires}.{signature}`, and the digits in the image and the question's numbers are
//! derived from the nonce with the server key, so only the server can tell them. Single use is
//! the caller's job (remembering the nonce until it expires), as for the proof-of-work captcha.

use aws_lc_rs::hmac;

use super::captcha::CaptchaError;

/// Domain separation from every other HMAC made with the same key.
const CONTEXT: &[u8] = b"tilgang-image-captcha-v1";
/// Digits in the image.
pub const DIGITS: usize = 5;
const NONCE_LEN: usize = 24;

/// A puzzle as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Puzzle {
    /// The signed token (the form's hidden field and the image's address).
    pub token: String,
    /// The text alternative: two numbers to add, as words are made of them.
    pub terms: (u8, u8),
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut message = Vec::new();
    for p in parts {
        message.extend_from_slice(&(p.len() as u64).to_be_bytes());
        message.extend_from_slice(p);
    }
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), &message)
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes everything in a puzzle is drawn from.
fn material(key: &[u8], nonce: &str) -> Vec<u8> {
    mac(key, &[CONTEXT, b"material", nonce.as_bytes()])
}

fn signature(key: &[u8], nonce: &str, expires: i64) -> String {
    hex(&mac(
        key,
        &[CONTEXT, b"token", nonce.as_bytes(), &expires.to_be_bytes()],
    ))
}

/// A new puzzle; `nonce` must be unguessable hex, `expires` in seconds since 1970.
pub fn create(key: &[u8], nonce: &str, expires: i64) -> Puzzle {
    let nonce: String = nonce
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(NONCE_LEN)
        .collect();
    let m = material(key, &nonce);
    Puzzle {
        token: format!("{nonce}.{expires}.{}", signature(key, &nonce, expires)),
        terms: (m[DIGITS] % 9 + 1, m[DIGITS + 1] % 9 + 1),
    }
}

/// The nonce and expiry of a token the server signed, or why not.
pub fn open(key: &[u8], token: &str, now: i64) -> Result<(String, i64), CaptchaError> {
    let mut parts = token.trim().split('.');
    let (Some(nonce), Some(expires), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CaptchaError::Malformed);
    };
    if nonce.len() != NONCE_LEN || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CaptchaError::Malformed);
    }
    let expires: i64 = expires.parse().map_err(|_| CaptchaError::Malformed)?;
    if !crate::secret::constant_time_eq(&signature(key, nonce, expires), sig) {
        return Err(CaptchaError::Wrong);
    }
    if expires < now {
        return Err(CaptchaError::Expired);
    }
    Ok((nonce.to_owned(), expires))
}

/// The digits the image shows.
pub fn code(key: &[u8], nonce: &str) -> String {
    material(key, nonce)[..DIGITS]
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// Checks an answer: the image's digits (spaces ignored) or the sum the question asks for.
/// Returns the nonce to remember as used.
pub fn check(key: &[u8], token: &str, answer: &str, now: i64) -> Result<String, CaptchaError> {
    let (nonce, _) = open(key, token, now)?;
    let answer: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
    let m = material(key, &nonce);
    let sum = u32::from(m[DIGITS] % 9 + 1) + u32::from(m[DIGITS + 1] % 9 + 1);
    if answer == code(key, &nonce) || answer == sum.to_string() {
        Ok(nonce)
    } else {
        Err(CaptchaError::Wrong)
    }
}

/// 5×7 dot patterns of the digits, a row per byte (bit 4 is the left column).
const FONT: [[u8; 7]; 10] = [
    [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
    [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
    [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
    [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
    [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
    [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
    [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
    [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
    [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
    [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
];

pub const WIDTH: u32 = 200;
pub const HEIGHT: u32 = 70;

/// The image of the puzzle's digits: dots drawn as squares, each digit shifted and turned a
/// little, with lines across, as SVG (no text in it to read out).
pub fn svg(key: &[u8], nonce: &str) -> String {
    let m = mac(key, &[CONTEXT, b"drawing", nonce.as_bytes()]);
    let digits = code(key, nonce);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\"><rect width=\"100%\" height=\"100%\" fill=\"#f4f4f4\"/>"
    );
    for (i, d) in digits.bytes().enumerate() {
        let glyph = FONT[usize::from(d - b'0')];
        let x = 14 + i as i32 * 36 + i32::from(m[i] % 9) - 4;
        let y = 10 + i32::from(m[i + 8] % 11) - 5;
        let turn = i32::from(m[i + 16] % 25) - 12;
        out.push_str(&format!(
            "<g fill=\"#1a1a1a\" transform=\"rotate({turn} {} {})\">",
            x + 12,
            y + 24
        ));
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..5 {
                if bits & (0x10 >> col) != 0 {
                    out.push_str(&format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"6\" height=\"7\"/>",
                        x + col * 6,
                        y + row as i32 * 7
                    ));
                }
            }
        }
        out.push_str("</g>");
    }
    for k in 0..4 {
        let b = &m[24 + k * 2..26 + k * 2];
        out.push_str(&format!(
            "<line x1=\"0\" y1=\"{}\" x2=\"{WIDTH}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"2\"/>",
            u32::from(b[0]) % HEIGHT,
            u32::from(b[1]) % HEIGHT
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a server secret of enough length";
    const NONCE: &str = "0123456789abcdef01234567";

    #[test]
    fn the_digits_or_the_sum_answer_a_puzzle_until_it_expires() {
        let p = create(KEY, NONCE, 1_000);
        let digits = code(KEY, NONCE);
        assert_eq!(digits.len(), DIGITS);
        let sum = (p.terms.0 + p.terms.1).to_string();
        assert_eq!(check(KEY, &p.token, &digits, 999), Ok(NONCE.to_owned()));
        let spaced: String = digits.chars().flat_map(|c| [c, ' ']).collect();
        assert_eq!(check(KEY, &p.token, &spaced, 999), Ok(NONCE.to_owned()));
        assert_eq!(check(KEY, &p.token, &sum, 999), Ok(NONCE.to_owned()));
        assert_eq!(check(KEY, &p.token, "x", 999), Err(CaptchaError::Wrong));
        assert_eq!(
            check(KEY, &p.token, &digits, 1_001),
            Err(CaptchaError::Expired)
        );
    }

    #[test]
    fn a_token_is_the_servers_or_nothing() {
        let p = create(KEY, NONCE, 1_000);
        let digits = code(KEY, NONCE);
        let later = p.token.replace(".1000.", ".9999.");
        assert_eq!(check(KEY, &later, &digits, 999), Err(CaptchaError::Wrong));
        assert_eq!(
            check(b"another key of the same length!!", &p.token, &digits, 999),
            Err(CaptchaError::Wrong)
        );
        for bad in [
            "",
            "a.b",
            "zz.1.x",
            "0123.1000.ab",
            &format!("{}.x", p.token),
        ] {
            assert_eq!(open(KEY, bad, 0), Err(CaptchaError::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_image_has_no_text_in_it() {
        let image = svg(KEY, NONCE);
        assert!(image.starts_with("<svg") && image.ends_with("</svg>"));
        assert!(!image.contains("<text"));
        assert!(image.matches("<rect").count() > 20);
    }
}
