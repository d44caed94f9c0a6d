//! Activation codes for Studio accounts (spec studio-accounts §2.5), in Gitea's format:
//! `<start yyyyMMddHHmm UTC><6-digit minutes><hex HMAC><hex of the lower-case user name>`.
//! The HMAC covers the user's id, e-mail, name, password hash and random `rands`, with the start
//! and lifetime, so a code dies when it expires, when the e-mail or password changes, and when
//! `rands` rotates (activation rotates it, so each link works once). (Groundwork for Studio.)
//!
//! The same codes, each bound to its [`Purpose`], confirm a new e-mail address and reset a
//! forgotten password: a code made for one purpose never works for another.

use aws_lc_rs::hmac;
use time::OffsetDateTime;
use time::macros::format_description;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Activating a new account.
    ActivateAccount,
    /// Confirming the address in `Subject::email` as the account's new one.
    ConfirmEmail,
    /// Setting a new password for a forgotten one.
    ResetPassword,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::ActivateAccount => "activate_account",
            Purpose::ConfirmEmail => "confirm_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// What a code is bound to.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub purpose: Purpose,
    pub user_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub rands: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(key: &[u8], s: &Subject<'_>, start: &str, minutes: &str) -> String {
    let data = format!(
        "{}|{}|{}|{}|{}|{}|{start}|{minutes}",
        s.purpose.tag(),
        s.user_id,
        s.email.to_lowercase(),
        s.name.to_lowercase(),
        s.password_hash,
        s.rands
    );
    hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes()).as_ref())
}

fn stamp(unix: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    t.format(format_description!("[year][month][day][hour][minute]"))
        .ok()
}

/// A code valid for `minutes` from `start_unix` (seconds).
pub fn create(key: &[u8], subject: &Subject<'_>, start_unix: i64, minutes: u32) -> String {
    let start = stamp(start_unix).unwrap_or_else(|| "197001010000".into());
    let minutes = format!("{:06}", minutes.min(999_999));
    let mac = mac(key, subject, &start, &minutes);
    format!(
        "{start}{minutes}{mac}{}",
        hex(subject.name.to_lowercase().as_bytes())
    )
}

/// The lower-case user name a code is for (to look the user up), if it is well-formed.
pub fn user_name(code: &str) -> Option<String> {
    let tail = code.get(12 + 6 + 64..)?;
    if tail.is_empty() || tail.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..tail.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(tail.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Whether `code` is valid for `subject` at `now_unix` (constant-time on the MAC).
pub fn verify(key: &[u8], code: &str, subject: &Subject<'_>, now_unix: i64) -> bool {
    let (Some(start), Some(minutes), Some(given)) =
        (code.get(0..12), code.get(12..18), code.get(18..82))
    else {
        return false;
    };
    if user_name(code).as_deref() != Some(subject.name.to_lowercase().as_str()) {
        return false;
    }
    let Ok(m) = minutes.parse::<i64>() else {
        return false;
    };
    let parse = format_description!("[year][month][day][hour][minute]");
    let Ok(begin) = time::PrimitiveDateTime::parse(start, parse) else {
        return false;
    };
    let begin = begin.assume_utc().unix_timestamp();
    if now_unix < begin || now_unix > begin + m * 60 {
        return false;
    }
    crate::secret::constant_time_eq(&mac(key, subject, start, minutes), given)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"studio secret key";
    const NOW: i64 = 1_800_000_000;

    fn subject<'a>(email: &'a str, hash: &'a str, rands: &'a str) -> Subject<'a> {
        Subject {
            purpose: Purpose::ActivateAccount,
            user_id: 7,
            email,
            name: "Kari",
            password_hash: hash,
            rands,
        }
    }

    #[test]
    fn a_code_works_for_its_lifetime_only() {
        let s = subject("kari@digdir.no", "h1", "r1");
        let code = create(KEY, &s, NOW, 180);
        assert_eq!(user_name(&code).as_deref(), Some("kari"));
        assert!(verify(KEY, &code, &s, NOW + 60));
        assert!(verify(KEY, &code, &s, NOW + 179 * 60));
        assert!(!verify(KEY, &code, &s, NOW + 181 * 60), "expired");
    }

    #[test]
    fn changes_to_email_password_or_rands_kill_the_code() {
        let s = subject("kari@digdir.no", "h1", "r1");
        let code = create(KEY, &s, NOW, 180);
        assert!(!verify(
            KEY,
            &code,
            &subject("ny@digdir.no", "h1", "r1"),
            NOW
        ));
        assert!(!verify(
            KEY,
            &code,
            &subject("kari@digdir.no", "h2", "r1"),
            NOW
        ));
        assert!(
            !verify(KEY, &code, &subject("kari@digdir.no", "h1", "r2"), NOW),
            "used once: rands rotates on activation"
        );
        assert!(!verify(b"other key", &code, &s, NOW));
    }

    #[test]
    fn a_code_works_only_for_its_purpose() {
        let s = subject("kari@digdir.no", "h1", "r1");
        let code = create(KEY, &s, NOW, 180);
        for purpose in [Purpose::ConfirmEmail, Purpose::ResetPassword] {
            let other = Subject {
                purpose,
                ..s.clone()
            };
            assert!(!verify(KEY, &code, &other, NOW), "{purpose:?}");
            assert!(verify(KEY, &create(KEY, &other, NOW, 180), &other, NOW));
        }
    }

    #[test]
    fn tampered_and_malformed_codes_fail() {
        let s = subject("kari@digdir.no", "h1", "r1");
        let code = create(KEY, &s, NOW, 180);
        let longer = format!("{}{}", &code[..12], "009999") + &code[18..];
        assert!(
            !verify(KEY, &longer, &s, NOW + 200 * 60),
            "the lifetime is signed"
        );
        for bad in ["", "abc", &code[..40], &format!("{code}zz")] {
            assert!(!verify(KEY, bad, &s, NOW), "{bad}");
        }
        assert!(user_name("x").is_none());
    }
}
