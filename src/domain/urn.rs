//! URNs and the short names inside them.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Prefix of roles from the Central Coordinating Register for Legal Entities (Enhetsregisteret).
pub const CCR_ROLE_PREFIX: &str = "urn:altinn:external-role:ccr:";
/// Prefix of access packages.
pub const ACCESS_PACKAGE_PREFIX: &str = "urn:altinn:accesspackage:";

/// Lower-case ASCII letters and digits in runs joined by single hyphens: `daglig-leder`.
fn is_kebab_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrnError {
    #[error(
        "a role is a lower-case name such as 'daglig-leder', or that name after '{CCR_ROLE_PREFIX}'"
    )]
    Role,
    #[error(
        "an access package is a URN of the form '{ACCESS_PACKAGE_PREFIX}<name>' with a lower-case name"
    )]
    AccessPackage,
    #[error(
        "a resource id is 1 to 100 lower-case letters, digits, '-' and '_', starting with a letter"
    )]
    ResourceId,
}

/// A role from the central register, kept as its short name (`daglig-leder`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleCode(String);

impl RoleCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn urn(&self) -> String {
        format!("{CCR_ROLE_PREFIX}{}", self.0)
    }

    /// The roles that give a person authority to act for an organisation (DESIGN §7).
    pub fn is_main_administrator(&self) -> bool {
        matches!(self.0.as_str(), "daglig-leder" | "styreleder" | "innehaver")
    }
}

impl FromStr for RoleCode {
    type Err = UrnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.strip_prefix(CCR_ROLE_PREFIX).unwrap_or(s);
        if is_kebab_name(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(UrnError::Role)
        }
    }
}

/// The URN of an access package, `urn:altinn:accesspackage:skattegrunnlag`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessPackageUrn(String);

impl AccessPackageUrn {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> &str {
        &self.0[ACCESS_PACKAGE_PREFIX.len()..]
    }
}

impl FromStr for AccessPackageUrn {
    type Err = UrnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix(ACCESS_PACKAGE_PREFIX) {
            Some(name) if is_kebab_name(name) => Ok(Self(s.to_owned())),
            _ => Err(UrnError::AccessPackage),
        }
    }
}

/// The identifier of a resource in the resource registry (`ske-krav-og-betalinger`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(String);

impl ResourceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ResourceId {
    type Err = UrnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = s.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_ok =
            bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if first_ok && rest_ok && s.len() <= 100 {
            Ok(Self(s.to_owned()))
        } else {
            Err(UrnError::ResourceId)
        }
    }
}

macro_rules! display_and_serialize {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    )*};
}
display_and_serialize!(RoleCode, AccessPackageUrn, ResourceId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_accepts_short_name_and_full_urn() {
        let a: RoleCode = "daglig-leder".parse().unwrap();
        let b: RoleCode = "urn:altinn:external-role:ccr:daglig-leder".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.urn(), "urn:altinn:external-role:ccr:daglig-leder");
        assert!(a.is_main_administrator());
        assert!(
            !"regnskapsforer"
                .parse::<RoleCode>()
                .unwrap()
                .is_main_administrator()
        );
    }

    #[test]
    fn role_rejects_bad_names() {
        for r in [
            "",
            "Daglig-leder",
            "daglig--leder",
            "-x",
            "x-",
            "daglig leder",
            "urn:altinn:external-role:ccr:",
        ] {
            assert_eq!(r.parse::<RoleCode>(), Err(UrnError::Role), "{r:?}");
        }
    }

    #[test]
    fn access_package_urn() {
        let p: AccessPackageUrn = "urn:altinn:accesspackage:skattegrunnlag".parse().unwrap();
        assert_eq!(p.name(), "skattegrunnlag");
        for bad in [
            "skattegrunnlag",
            "urn:altinn:accesspackage:",
            "urn:altinn:accesspackage:Skatt",
            "urn:altinn:resource:x",
        ] {
            assert_eq!(
                bad.parse::<AccessPackageUrn>(),
                Err(UrnError::AccessPackage),
                "{bad}"
            );
        }
    }

    #[test]
    fn resource_id() {
        assert!("ske-krav-og-betalinger".parse::<ResourceId>().is_ok());
        assert!("app_ttd_test-1".parse::<ResourceId>().is_ok());
        for bad in ["", "1abc", "Abc", "a b", "a/b", &"a".repeat(101)] {
            assert_eq!(
                bad.parse::<ResourceId>(),
                Err(UrnError::ResourceId),
                "{bad:?}"
            );
        }
    }
}
