//! Altinn Studio accounts (spec studio-accounts §2.4): the registration form's rules for user
//! names, e-mail addresses and passwords, each failure a field-level message in bokmål and
//! English. (Groundwork for the Studio issue; the pages and the store come with it.)

use std::fmt;

/// Longest user name.
pub const MAX_USERNAME: usize = 40;
/// Longest e-mail address.
pub const MAX_EMAIL: usize = 254;
/// Longest password.
pub const MAX_PASSWORD: usize = 255;
/// Gitea's default shortest password.
pub const DEFAULT_MIN_PASSWORD: usize = 8;

const RESERVED: [&str; 34] = [
    ".",
    "..",
    ".well-known",
    "api",
    "metrics",
    "v2",
    "assets",
    "attachments",
    "avatar",
    "avatars",
    "repo-avatars",
    "captcha",
    "login",
    "org",
    "repo",
    "user",
    "explore",
    "issues",
    "pulls",
    "milestones",
    "notifications",
    "favicon.ico",
    "manifest.json",
    "robots.txt",
    "sitemap.xml",
    "ssh_info",
    "swagger.v1.json",
    "ghost",
    "gitea-actions",
    // Studio's own pages beside the public profiles (`/studio/{name}`).
    "admin",
    "dashboard",
    "orgs",
    "logout",
    "signin-oidc",
];
const RESERVED_SUFFIXES: [&str; 5] = [".keys", ".gpg", ".rss", ".atom", ".png"];
const SPECIALS: &str = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// A form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Username,
    Email,
    Password,
    Retype,
    Captcha,
    /// The account's password, asked again before a change to the password or address.
    CurrentPassword,
    FullName,
    Website,
    Location,
    Description,
}

/// What is wrong with a field, by Gitea's message key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong(usize),
    UsernameChars,
    NameReserved,
    NamePatternNotAllowed,
    EmailInvalid,
    PasswordNotMatch,
    PasswordTooShort(usize),
    /// The missing character classes.
    PasswordComplexity(Vec<CharClass>),
    UsernameTaken,
    EmailUsed,
    CaptchaIncorrect,
    /// Control characters or text-direction overrides.
    NotPlainText,
    WebsiteInvalid,
    CurrentPasswordWrong,
    EmailUnchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    Lower,
    Upper,
    Digit,
    Special,
}

impl Problem {
    /// Gitea's message key (`form.require_error`, …).
    pub fn key(&self) -> &'static str {
        match self {
            Problem::Required => "form.require_error",
            Problem::TooLong(_) => "form.max_size_error",
            Problem::UsernameChars => "form.username_error",
            Problem::NameReserved => "user.form.name_reserved",
            Problem::NamePatternNotAllowed => "user.form.name_pattern_not_allowed",
            Problem::EmailInvalid => "form.email_invalid",
            Problem::PasswordNotMatch => "form.password_not_match",
            Problem::PasswordTooShort(_) => "auth.password_too_short",
            Problem::PasswordComplexity(_) => "form.password_complexity",
            Problem::UsernameTaken => "form.username_been_taken",
            Problem::EmailUsed => "form.email_been_used",
            Problem::CaptchaIncorrect => "form.captcha_incorrect",
            Problem::NotPlainText => "form.invalid_characters",
            Problem::WebsiteInvalid => "form.url_error",
            Problem::CurrentPasswordWrong => "settings.password_incorrect",
            Problem::EmailUnchanged => "settings.email_unchanged",
        }
    }

    /// The message in `lang` (`nb`, `nn` or `en`; anything else is bokmål).
    pub fn message(&self, lang: &str) -> String {
        let t = |nb: &str, nn: &str, en: &str| match lang {
            "en" => en.to_owned(),
            "nn" => nn.to_owned(),
            _ => nb.to_owned(),
        };
        match self {
            Problem::Required => t(
                "Feltet kan ikke være tomt.",
                "Feltet kan ikkje vere tomt.",
                "This field cannot be empty.",
            ),
            Problem::TooLong(n) => t(
                &format!("Kan ikke være lenger enn {n} tegn."),
                &format!("Kan ikkje vere lenger enn {n} teikn."),
                &format!("Must be at most {n} characters."),
            ),
            Problem::UsernameChars => t(
                "Brukernavnet kan bare inneholde bokstaver (a–z), tall, bindestrek, understrek og punktum, må begynne med bokstav eller tall og kan ikke slutte med eller ha to like skilletegn etter hverandre.",
                "Brukarnamnet kan berre innehalde bokstavar (a–z), tal, bindestrek, understrek og punktum, må byrje med bokstav eller tal og kan ikkje slutte med eller ha to like skiljeteikn etter kvarandre.",
                "The user name may only contain letters (a–z), digits, dashes, underscores and dots, must start with a letter or digit, and may not end with or repeat a separator.",
            ),
            Problem::NameReserved => t(
                "Brukernavnet er reservert.",
                "Brukarnamnet er reservert.",
                "This user name is reserved.",
            ),
            Problem::NamePatternNotAllowed => t(
                "Brukernavnet kan ikke slutte på .keys, .gpg, .rss, .atom eller .png.",
                "Brukarnamnet kan ikkje slutte på .keys, .gpg, .rss, .atom eller .png.",
                "The user name may not end in .keys, .gpg, .rss, .atom or .png.",
            ),
            Problem::EmailInvalid => t(
                "E-postadressen er ikke gyldig.",
                "E-postadressa er ikkje gyldig.",
                "The e-mail address is not valid.",
            ),
            Problem::UsernameTaken => t(
                "Brukernavnet er allerede tatt.",
                "Brukarnamnet er allereie teke.",
                "The user name is already taken.",
            ),
            Problem::EmailUsed => t(
                "E-postadressen er allerede i bruk.",
                "E-postadressa er allereie i bruk.",
                "The e-mail address is already used.",
            ),
            Problem::PasswordNotMatch => t(
                "Passordene er ikke like.",
                "Passorda er ikkje like.",
                "The passwords do not match.",
            ),
            Problem::CaptchaIncorrect => t(
                "Kontrollen av at du er et menneske er ikke bestått eller er utløpt. Prøv igjen.",
                "Kontrollen av at du er eit menneske er ikkje bestått eller har gått ut. Prøv igjen.",
                "The check that you are human was not passed or has expired. Try again.",
            ),
            Problem::NotPlainText => t(
                "Teksten kan ikke ha kontrolltegn eller tegn som snur skriveretningen.",
                "Teksten kan ikkje ha kontrollteikn eller teikn som snur skriveretninga.",
                "The text may not contain control characters or characters that reverse the writing direction.",
            ),
            Problem::WebsiteInvalid => t(
                "Skriv en hel adresse som begynner med https:// eller http://.",
                "Skriv ei heil adresse som byrjar med https:// eller http://.",
                "Enter a whole address starting with https:// or http://.",
            ),
            Problem::CurrentPasswordWrong => t(
                "Passordet er feil.",
                "Passordet er feil.",
                "The password is incorrect.",
            ),
            Problem::EmailUnchanged => t(
                "Dette er allerede e-postadressen din.",
                "Dette er allereie e-postadressa di.",
                "This is already your e-mail address.",
            ),
            Problem::PasswordTooShort(n) => t(
                &format!("Passordet må ha minst {n} tegn."),
                &format!("Passordet må ha minst {n} teikn."),
                &format!("The password must be at least {n} characters."),
            ),
            Problem::PasswordComplexity(missing) => {
                let parts: Vec<String> = missing
                    .iter()
                    .map(|c| match c {
                        CharClass::Lower => t(
                            "én liten bokstav",
                            "éin liten bokstav",
                            "one lowercase letter",
                        ),
                        CharClass::Upper => t(
                            "én stor bokstav",
                            "éin stor bokstav",
                            "one uppercase letter",
                        ),
                        CharClass::Digit => t("ett tall", "eitt tal", "one digit"),
                        CharClass::Special => t(
                            "ett spesialtegn",
                            "eitt spesialteikn",
                            "one special character",
                        ),
                    })
                    .collect();
                let parts = parts.join(", ");
                t(
                    &format!("Passordet må inneholde minst {parts}."),
                    &format!("Passordet må innehalde minst {parts}."),
                    &format!("The password must contain at least {parts}."),
                )
            }
        }
    }
}

/// A user name that follows the rules (kept as typed; compare with [`Username::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if s.chars().count() > MAX_USERNAME {
            return Err(Problem::TooLong(MAX_USERNAME));
        }
        let lower = s.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) {
            return Err(Problem::NameReserved);
        }
        if RESERVED_SUFFIXES.iter().any(|p| lower.ends_with(p)) {
            return Err(Problem::NamePatternNotAllowed);
        }
        let bytes = s.as_bytes();
        let is_sep = |b: u8| matches!(b, b'-' | b'_' | b'.');
        let chars_ok = bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || is_sep(*b));
        let starts_ok = bytes[0].is_ascii_alphanumeric();
        let ends_ok = !is_sep(bytes[bytes.len() - 1]);
        let no_double = !bytes.windows(2).any(|w| is_sep(w[0]) && is_sep(w[1]));
        if !(chars_ok && starts_ok && ends_ok && no_double) {
            return Err(Problem::UsernameChars);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key for uniqueness across users and organisations.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, stored lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if s.len() > MAX_EMAIL {
            return Err(Problem::TooLong(MAX_EMAIL));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(Problem::EmailInvalid);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(Problem::EmailInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password and its repetition (`min_len` is configurable).
pub fn check_password(
    password: &str,
    retype: &str,
    min_len: usize,
) -> Result<(), (Field, Problem)> {
    if password.is_empty() {
        return Err((Field::Password, Problem::Required));
    }
    if password.chars().count() > MAX_PASSWORD {
        return Err((Field::Password, Problem::TooLong(MAX_PASSWORD)));
    }
    if password != retype {
        return Err((Field::Retype, Problem::PasswordNotMatch));
    }
    if password.chars().count() < min_len {
        return Err((Field::Password, Problem::PasswordTooShort(min_len)));
    }
    let mut missing = Vec::new();
    if !password.chars().any(|c| c.is_lowercase()) {
        missing.push(CharClass::Lower);
    }
    if !password.chars().any(|c| c.is_uppercase()) {
        missing.push(CharClass::Upper);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        missing.push(CharClass::Digit);
    }
    if !password.chars().any(|c| SPECIALS.contains(c)) {
        missing.push(CharClass::Special);
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err((Field::Password, Problem::PasswordComplexity(missing)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["kari", "Kari.Nordmann", "k-1_2.3", "a", &"a".repeat(40)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Username::parse("  ").unwrap_err(), Problem::Required);
        assert_eq!(
            Username::parse(&"a".repeat(41)).unwrap_err(),
            Problem::TooLong(40)
        );
        for bad in [
            "-kari", "kari-", "ka--ri", "ka._ri", "kåre", "ka ri", "kari!",
        ] {
            assert_eq!(
                Username::parse(bad).unwrap_err(),
                Problem::UsernameChars,
                "{bad}"
            );
        }
        for reserved in ["api", "Login", "GHOST", "favicon.ico"] {
            assert_eq!(
                Username::parse(reserved).unwrap_err(),
                Problem::NameReserved,
                "{reserved}"
            );
        }
        assert_eq!(
            Username::parse("kari.keys").unwrap_err(),
            Problem::NamePatternNotAllowed
        );
        assert_eq!(Username::parse("Kari").unwrap().key(), "kari");
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("Kari.Nordmann@Digdir.NO").unwrap().as_str(),
            "kari.nordmann@digdir.no"
        );
        for bad in [
            "kari",
            "kari@",
            "@digdir.no",
            "kari@digdir",
            "ka..ri@digdir.no",
            "kari@-digdir.no",
            "kari@digdir.n0",
            "ka ri@digdir.no",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err(),
                Problem::EmailInvalid,
                "{bad}"
            );
        }
        assert_eq!(Email::parse("").unwrap_err(), Problem::Required);
        assert_eq!(
            Email::parse(&format!("{}@digdir.no", "a".repeat(250))).unwrap_err(),
            Problem::TooLong(254)
        );
    }

    #[test]
    fn passwords() {
        assert!(check_password("Sterkt#Passord1", "Sterkt#Passord1", 8).is_ok());
        assert_eq!(
            check_password("", "", 8).unwrap_err(),
            (Field::Password, Problem::Required)
        );
        assert_eq!(
            check_password("Abcdef1!", "Abcdef1?", 8).unwrap_err(),
            (Field::Retype, Problem::PasswordNotMatch)
        );
        assert_eq!(
            check_password("Ab1!", "Ab1!", 8).unwrap_err(),
            (Field::Password, Problem::PasswordTooShort(8))
        );
        let (_, p) = check_password("abcdefgh", "abcdefgh", 8).unwrap_err();
        assert_eq!(
            p,
            Problem::PasswordComplexity(vec![
                CharClass::Upper,
                CharClass::Digit,
                CharClass::Special
            ])
        );
        assert_eq!(p.key(), "form.password_complexity");
        assert_eq!(
            p.message("nb"),
            "Passordet må inneholde minst én stor bokstav, ett tall, ett spesialtegn."
        );
        assert_eq!(
            p.message("en"),
            "The password must contain at least one uppercase letter, one digit, one special character."
        );
        let long = "Aa1!".repeat(64);
        assert_eq!(
            check_password(&long, &long, 8).unwrap_err(),
            (Field::Password, Problem::TooLong(255))
        );
    }

    #[test]
    fn every_problem_has_a_key_and_three_messages() {
        let all = [
            Problem::Required,
            Problem::TooLong(3),
            Problem::UsernameChars,
            Problem::NameReserved,
            Problem::NamePatternNotAllowed,
            Problem::EmailInvalid,
            Problem::PasswordNotMatch,
            Problem::PasswordTooShort(8),
            Problem::PasswordComplexity(vec![CharClass::Lower]),
            Problem::UsernameTaken,
            Problem::EmailUsed,
            Problem::CaptchaIncorrect,
        ];
        for p in all {
            assert!(!p.key().is_empty());
            let (nb, nn, en) = (p.message("nb"), p.message("nn"), p.message("en"));
            assert!(nb != en && nn != en, "{p:?}");
            // Nynorsk is its own (a few words are the same in both, as for `Required`'s
            // neighbours; every message here differs somewhere).
            assert_ne!(nb, nn, "{p:?}");
        }
    }
}

/// Longest full name, website, location and description on a profile (Gitea's limits).
pub const MAX_FULL_NAME: usize = 100;
pub const MAX_WEBSITE: usize = 255;
pub const MAX_LOCATION: usize = 50;
pub const MAX_DESCRIPTION: usize = 255;

/// What a person writes about themselves on their public profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub full_name: String,
    pub website: String,
    pub location: String,
    pub description: String,
}

impl Profile {
    /// The profile with surrounding blanks trimmed, or every field that is wrong, in the form's
    /// order.
    pub fn parse(
        full_name: &str,
        website: &str,
        location: &str,
        description: &str,
    ) -> Result<Profile, Vec<(Field, Problem)>> {
        let mut problems = Vec::new();
        let mut text = |field: Field, value: &str, max: usize| {
            let value = value.trim();
            if value.chars().count() > max {
                problems.push((field, Problem::TooLong(max)));
            } else if !is_plain_text(value) {
                problems.push((field, Problem::NotPlainText));
            }
            value.to_owned()
        };
        let full_name = text(Field::FullName, full_name, MAX_FULL_NAME);
        let website = text(Field::Website, website, MAX_WEBSITE);
        let location = text(Field::Location, location, MAX_LOCATION);
        let description = text(Field::Description, description, MAX_DESCRIPTION);
        if !website.is_empty()
            && !problems.iter().any(|(f, _)| *f == Field::Website)
            && !is_web_address(&website)
        {
            problems.push((Field::Website, Problem::WebsiteInvalid));
        }
        problems.sort_by_key(|(f, _)| *f as u8);
        if problems.is_empty() {
            Ok(Profile {
                full_name,
                website,
                location,
                description,
            })
        } else {
            Err(problems)
        }
    }
}

/// An absolute http(s) address with a host and no spaces or quotes (it becomes a link).
fn is_web_address(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\' | '`'))
}

/// Whether `s` is text fit to show others: no control characters (NUL, ESC, …) and no
/// text-direction overrides or isolates (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
/// U+061C), which can make a name read as something else (CVE-2021-42574, "Trojan Source").
pub fn is_plain_text(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
    })
}

#[cfg(test)]
mod profile_tests {
    use super::{Field, Problem, Profile};

    #[test]
    fn a_profile_is_trimmed_and_every_wrong_field_is_named() {
        let p = Profile::parse(" Kari Nordmann ", "https://digdir.no/om", "Oslo", "").expect("ok");
        assert_eq!(p.full_name, "Kari Nordmann");
        assert_eq!(p.website, "https://digdir.no/om");
        let wrong = Profile::parse(
            &"x".repeat(101),
            "digdir.no",
            "a\u{202E}b",
            &"y".repeat(256),
        )
        .unwrap_err();
        assert_eq!(
            wrong,
            vec![
                (Field::FullName, Problem::TooLong(100)),
                (Field::Website, Problem::WebsiteInvalid),
                (Field::Location, Problem::NotPlainText),
                (Field::Description, Problem::TooLong(255)),
            ]
        );
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://a b",
            "https://x\"y",
            "ftp://x",
        ] {
            assert_eq!(
                Profile::parse("", bad, "", "").unwrap_err(),
                vec![(Field::Website, Problem::WebsiteInvalid)],
                "{bad}"
            );
        }
        assert!(
            Profile::parse("", "", "", "").is_ok(),
            "everything may be empty"
        );
    }
}

#[cfg(test)]
mod plain_text_tests {
    use super::is_plain_text;

    #[test]
    fn control_and_direction_characters_are_not_plain_text() {
        assert!(is_plain_text("Digitaliseringsdirektoratet – Oslo"));
        for bad in [
            "a\0b",
            "a\u{1}b",
            "a\u{1b}[31mb",
            "abc\u{202E}fdp.exe",
            "a\u{2066}b",
            "x\ny",
        ] {
            assert!(!is_plain_text(bad), "{bad:?}");
        }
    }
}

/// The repository units a team's access applies to (Gitea's `units`).
pub const TEAM_UNITS: [&str; 10] = [
    "repo.code",
    "repo.issues",
    "repo.pulls",
    "repo.releases",
    "repo.wiki",
    "repo.ext_wiki",
    "repo.ext_issues",
    "repo.projects",
    "repo.packages",
    "repo.actions",
];

/// A team's access per unit from Gitea's `CreateTeamOption`: `units_map` (unit → `none`,
/// `read`, `write` or `admin`) wins over `units` (the units that get the team's permission);
/// with neither, every unit gets the permission. Units left out get `none`.
pub fn team_units(
    permission: &str,
    units: Option<&[String]>,
    units_map: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let known = |u: &str| -> Result<(), String> {
        if TEAM_UNITS.contains(&u) {
            Ok(())
        } else {
            Err(format!(
                "'{u}' is not a unit; use one of {}",
                TEAM_UNITS.join(", ")
            ))
        }
    };
    let mut out: std::collections::BTreeMap<String, String> = TEAM_UNITS
        .iter()
        .map(|u| ((*u).to_owned(), "none".to_owned()))
        .collect();
    match (
        units_map.filter(|m| !m.is_empty()),
        units.filter(|u| !u.is_empty()),
    ) {
        (Some(map), _) => {
            for (unit, access) in map {
                known(unit)?;
                if !matches!(access.as_str(), "none" | "read" | "write" | "admin") {
                    return Err(format!(
                        "'{access}' for {unit}: use none, read, write or admin"
                    ));
                }
                out.insert(unit.clone(), access.clone());
            }
        }
        (None, Some(units)) => {
            for unit in units {
                known(unit)?;
                out.insert(unit.clone(), permission.to_owned());
            }
        }
        (None, None) => out.values_mut().for_each(|v| *v = permission.to_owned()),
    }
    Ok(out)
}
