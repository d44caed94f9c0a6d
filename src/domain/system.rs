//! The system register (spec authentication-api §1.1, §3.2): a vendor's system, what it asks
//! customers for (rights on resources, access packages), its Maskinporten client ids, and every
//! validation with its `AUTH.VLD-xxxxx` code.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::OrgNumber;
use super::problem_codes::{self as codes, ProblemCode};
use super::reference::{AccessPackage, Resource, ResourceType};

/// Most rights, access packages, client ids or redirect URLs one system may list.
pub const MAX_LIST: usize = 1000;
/// Longest text (name or description in one language).
pub const MAX_TEXT: usize = 4000;
/// Longest system id, client id or URL.
pub const MAX_ID: usize = 255;

const P_VENDOR: &str = "/registersystemrequest/vendor/id";
const P_SYSTEMID: &str = "/registersystemrequest/systemid";
const P_RESOURCE: &str = "/registersystemrequest/rights/resource";
const P_CLIENTID: &str = "/registersystemrequest/clientid";
const P_REDIRECT: &str = "/registersystemrequest/allowedredirecturls";
const P_PACKAGES: &str = "/registersystemrequest/accesspackages";
const P_NAME: &str = "/registersystemrequest/name";
const P_DESCRIPTION: &str = "/registersystemrequest/description";

/// `{"ID": "0192:<orgno>"}`; `id` in lower case and an `authority` are accepted on input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Vendor {
    #[serde(rename = "ID", alias = "id")]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttributePair {
    pub id: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Right {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default)]
    pub resource: Vec<AttributePair>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackageRef {
    pub urn: String,
}

fn default_true() -> bool {
    true
}

/// The body of create and update (`RegisterSystemRequest`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInput {
    pub id: String,
    pub vendor: Vendor,
    pub name: HashMap<String, String>,
    pub description: HashMap<String, String>,
    #[serde(default)]
    pub rights: Vec<Right>,
    #[serde(default)]
    pub access_packages: Vec<PackageRef>,
    #[serde(default)]
    pub client_id: Vec<String>,
    #[serde(default = "default_true")]
    pub is_visible: bool,
    #[serde(default)]
    pub allowed_redirect_urls: Vec<String>,
}

impl SystemInput {
    /// Trims the strings of the body object and its nested objects (not those in lists), as
    /// Altinn's trim filter does.
    pub fn trimmed(mut self) -> Self {
        self.id = self.id.trim().to_owned();
        self.vendor.id = self.vendor.id.trim().to_owned();
        self
    }
}

/// A registered system as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct System {
    pub internal_id: String,
    pub system_id: String,
    pub vendor_org: String,
    pub name: HashMap<String, String>,
    pub description: HashMap<String, String>,
    pub rights: Vec<Right>,
    pub access_packages: Vec<PackageRef>,
    pub client_ids: Vec<String>,
    pub is_visible: bool,
    pub allowed_redirect_urls: Vec<String>,
    pub is_deleted: bool,
}

/// One validation error of the system register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: &'static str,
    pub title: &'static str,
    pub path: &'static str,
    /// Altinn's extension (a key such as `"ResourceIds Not Found : "` and its value).
    pub extension: Option<(&'static str, String)>,
}

fn v(code: ProblemCode, path: &'static str) -> Violation {
    Violation {
        code: code.code,
        title: code.title,
        path,
        extension: None,
    }
}

fn vx(code: ProblemCode, path: &'static str, key: &'static str, value: String) -> Violation {
    Violation {
        extension: Some((key, value)),
        ..v(code, path)
    }
}

pub fn vendor_identifier_invalid() -> Violation {
    v(codes::SYSTEM_REGISTER_INVALID_ORG_IDENTIFIER, P_VENDOR)
}
pub fn system_id_format() -> Violation {
    v(codes::SYSTEM_REGISTER_INVALID_SYSTEM_ID_FORMAT, P_SYSTEMID)
}
pub fn system_id_exists() -> Violation {
    v(codes::SYSTEM_REGISTER_SYSTEM_ID_EXISTS, P_SYSTEMID)
}
pub fn client_id_taken() -> Violation {
    v(codes::SYSTEM_REGISTER_CLIENT_ID_EXISTS, P_CLIENTID)
}
pub fn redirect_url_invalid() -> Violation {
    v(
        codes::SYSTEM_REGISTER_INVALID_REDIRECT_URL_FORMAT,
        P_REDIRECT,
    )
}
pub fn duplicate_client_ids() -> Violation {
    v(codes::SYSTEM_REGISTER_DUPLICATE_CLIENT_IDS, P_CLIENTID)
}
pub fn system_id_mismatch() -> Violation {
    v(codes::SYSTEM_ID_MISMATCH, P_SYSTEMID)
}
/// tilgang's own code (Altinn has none, spec authentication-api §3.2): a client id that
/// tilgang's Maskinporten registry holds for another organisation than the system's vendor.
pub const CLIENT_OF_OTHER_ORG: &str = codes::SYSTEM_CLIENT_OF_OTHER_ORG.code;
pub fn client_id_of_other_org(client_ids: &[&str]) -> Violation {
    vx(
        codes::SYSTEM_CLIENT_OF_OTHER_ORG,
        P_CLIENTID,
        "ClientIds Of Another Organisation : ",
        client_ids.join(" | "),
    )
}
pub const TOO_MANY: &str = codes::SYSTEM_TOO_MANY.code;
pub fn too_many() -> Violation {
    v(codes::SYSTEM_TOO_MANY, "/registersystemrequest")
}
pub fn system_id_spaces() -> Violation {
    v(codes::SYSTEM_REGISTER_INVALID_SYSTEM_ID_SPACES, P_SYSTEMID)
}

/// The organisation in a vendor identifier `0192:<orgno>`; `None` when it is not one.
pub fn vendor_org(vendor: &Vendor) -> Option<OrgNumber> {
    let (scheme, org) = vendor.id.split_once(':')?;
    if scheme != "0192" {
        return None;
    }
    org.parse().ok()
}

/// Checks that need no register: system id shape, redirect URLs, texts, list sizes.
pub fn check_shape(input: &SystemInput, vendor: &OrgNumber, creating: bool) -> Vec<Violation> {
    check_shape_with(input, vendor, creating, false)
}

/// [`check_shape`], optionally also accepting `http://localhost` and `http://127.0.0.1`
/// redirect URLs (test instances, where vendors develop on their own machine; RFC 8252 §7.3).
pub fn check_shape_with(
    input: &SystemInput,
    vendor: &OrgNumber,
    creating: bool,
    loopback_http: bool,
) -> Vec<Violation> {
    let mut out = Vec::new();
    if creating {
        if input.id.contains(char::is_whitespace) {
            out.push(system_id_spaces());
        }
        if input.id.split('_').next() != Some(vendor.as_str())
            || input.id.len() > MAX_ID
            || input.id.chars().any(char::is_control)
        {
            out.push(system_id_format());
        }
    }
    if input
        .allowed_redirect_urls
        .iter()
        .any(|u| !(is_https_url(u) || (loopback_http && is_loopback_http_url(u))))
        || input.allowed_redirect_urls.len() > MAX_LIST
    {
        out.push(redirect_url_invalid());
    }
    for (path, code, texts) in [
        (P_NAME, codes::SYSTEM_NAME_INVALID, &input.name),
        (
            P_DESCRIPTION,
            codes::SYSTEM_DESCRIPTION_INVALID,
            &input.description,
        ),
    ] {
        let missing: Vec<&str> = ["nb", "nn", "en"]
            .into_iter()
            .filter(|l| texts.get(*l).is_none_or(|t| t.trim().is_empty()))
            .collect();
        let too_long = texts.values().any(|t| t.chars().count() > MAX_TEXT);
        if !missing.is_empty() || too_long || texts.len() > 3 {
            let detail = if missing.is_empty() {
                "too long, or languages other than nb, nn, en".to_owned()
            } else {
                missing.join(", ")
            };
            out.push(vx(code, path, "Missing or invalid languages : ", detail));
        }
    }
    if input.rights.len() > MAX_LIST
        || input.access_packages.len() > MAX_LIST
        || input.client_id.len() > MAX_LIST
    {
        out.push(too_many());
    }
    if input
        .client_id
        .iter()
        .any(|c| c.trim().is_empty() || c.len() > MAX_ID)
    {
        out.push(v(codes::SYSTEM_CLIENT_ID_INVALID, P_CLIENTID));
    }
    out
}

/// `http://localhost…` or `http://127.0.0.1…` (any port).
pub fn is_loopback_http_url(u: &str) -> bool {
    let Some(rest) = u.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let name = host
        .rsplit_once(':')
        .map(|(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
        .unwrap_or(host);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An absolute `https://host…` URL without spaces.
pub fn is_https_url(u: &str) -> bool {
    let Some(rest) = u.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !host.starts_with('.')
        && u.len() <= MAX_ID
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Resource types that may be delegated to a system user.
fn delegable_type(t: ResourceType) -> bool {
    matches!(
        t,
        ResourceType::AltinnApp
            | ResourceType::Systemresource
            | ResourceType::CorrespondenceService
            | ResourceType::BrokerService
            | ResourceType::GenericAccessResource
    )
}

/// The resource ids that rights name (for looking them up before [`check_rights`]).
pub fn resource_ids(rights: &[Right]) -> Vec<String> {
    let mut ids: Vec<String> = rights
        .iter()
        .flat_map(|r| &r.resource)
        .filter(|p| p.id == "urn:altinn:resource")
        .map(|p| p.value.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// §3.2 rights validation: format (00009), duplicates (00006), existence (00003) and
/// delegability (00017), against the resources found in the registry.
pub fn check_rights(rights: &[Right], found: &HashMap<String, Resource>) -> Vec<Violation> {
    let mut out = Vec::new();
    let bad_format: Vec<&str> = rights
        .iter()
        .flat_map(|r| &r.resource)
        .filter(|p| p.id != "urn:altinn:resource")
        .map(|p| p.value.as_str())
        .collect();
    if !bad_format.is_empty() {
        out.push(vx(
            codes::SYSTEM_REGISTER_RESOURCE_ID_INVALID_FORMAT,
            P_RESOURCE,
            "Invalid Resource Id Details : ",
            bad_format.join(" | "),
        ));
    }
    let mut seen = HashSet::new();
    let duplicate = rights.iter().any(|r| {
        let key = format!(
            "{}|{}",
            r.action.as_deref().unwrap_or(""),
            r.resource
                .iter()
                .map(|p| format!("{}:{}", p.id, p.value))
                .collect::<Vec<_>>()
                .join(",")
        );
        !seen.insert(key)
    });
    if duplicate {
        out.push(v(codes::SYSTEM_REGISTER_RESOURCE_ID_DUPLICATES, P_RESOURCE));
    }
    let ids = resource_ids(rights);
    let missing: Vec<&str> = ids
        .iter()
        .filter(|id| !found.contains_key(*id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        out.push(vx(
            codes::SYSTEM_REGISTER_RESOURCE_ID_DOES_NOT_EXIST,
            P_RESOURCE,
            "ResourceIds Not Found : ",
            missing.join(" | "),
        ));
    }
    let not_delegable: Vec<&str> = ids
        .iter()
        .filter_map(|id| found.get(id))
        .filter(|r| !delegable_type(r.resource_type) || !r.delegable)
        .map(|r| r.identifier.as_str())
        .collect();
    if !not_delegable.is_empty() {
        out.push(vx(
            codes::SYSTEM_REGISTER_RESOURCE_ID_NOT_DELEGABLE,
            P_RESOURCE,
            "ResourceIds Not Delegable : ",
            not_delegable.join(" | "),
        ));
    }
    out
}

/// §3.2 access-package validation: duplicates (00007), format/existence/delegability (00008),
/// and client-relation packages on a visible system (00018).
pub fn check_packages(
    packages: &[PackageRef],
    is_visible: bool,
    catalogue: &HashMap<String, AccessPackage>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    if packages.iter().any(|p| !seen.insert(p.urn.as_str())) {
        out.push(v(
            codes::SYSTEM_REGISTER_ACCESS_PACKAGE_DUPLICATES,
            P_PACKAGES,
        ));
    }
    let mut bad_format = Vec::new();
    let mut not_found = Vec::new();
    let mut not_delegable = Vec::new();
    let mut client_only = false;
    for p in packages {
        if p.urn.is_empty() || p.urn.split(':').count() < 4 {
            bad_format.push(p.urn.as_str());
            continue;
        }
        match catalogue.get(&p.urn) {
            None => not_found.push(p.urn.as_str()),
            Some(pkg) => {
                if !pkg.is_delegable && !pkg.is_assignable {
                    not_delegable.push(p.urn.as_str());
                }
                if !pkg.is_assignable {
                    client_only = true;
                }
            }
        }
    }
    let mut parts = Vec::new();
    if !bad_format.is_empty() {
        parts.push(format!("Invalid format: {}", bad_format.join(", ")));
    }
    if !not_found.is_empty() {
        parts.push(format!("Not found: {}", not_found.join(", ")));
    }
    if !not_delegable.is_empty() {
        parts.push(format!(
            "Not possible to delegate: {}",
            not_delegable.join(", ")
        ));
    }
    if !parts.is_empty() {
        out.push(vx(
            codes::SYSTEM_REGISTER_ACCESS_PACKAGE_NOT_VALID,
            P_PACKAGES,
            "Invalid Urn Details : ",
            parts.join(" | "),
        ));
    }
    if is_visible && client_only {
        out.push(v(
            codes::SYSTEM_REGISTER_IS_VISIBLE_WITH_NON_ASSIGNABLE_ACCESS_PACKAGE,
            P_PACKAGES,
        ));
    }
    out
}

/// A system may name only Maskinporten clients of its own vendor (security review item 8).
/// `owners` pairs each client id of the body with the organisation that owns it in tilgang's
/// Maskinporten registry, `None` when the registry does not know it (see
/// `App::check_client_owners` for why unknown ids pass). The violation names the ids that
/// belong to another organisation than `vendor_org`.
pub fn check_client_owners(
    vendor_org: &str,
    owners: &[(&str, Option<String>)],
) -> Option<Violation> {
    let foreign: Vec<&str> = owners
        .iter()
        .filter(|(_, owner)| owner.as_deref().is_some_and(|o| o != vendor_org))
        .map(|(id, _)| *id)
        .collect();
    (!foreign.is_empty()).then(|| client_id_of_other_org(&foreign))
}

/// Client ids named twice in one body, compared without case (00011).
pub fn has_duplicate_client_ids(ids: &[String]) -> bool {
    let mut seen = HashSet::new();
    ids.iter().any(|c| !seen.insert(c.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Localized;

    fn input() -> SystemInput {
        let texts = |s: &str| {
            HashMap::from([
                ("nb".to_owned(), s.to_owned()),
                ("nn".to_owned(), s.to_owned()),
                ("en".to_owned(), s.to_owned()),
            ])
        };
        SystemInput {
            id: "317219253_regnskap".into(),
            vendor: Vendor {
                id: "0192:317219253".into(),
            },
            name: texts("Regnskap"),
            description: texts("Et system"),
            rights: vec![],
            access_packages: vec![],
            client_id: vec![],
            is_visible: true,
            allowed_redirect_urls: vec!["https://vendor.example/done".into()],
        }
    }

    fn codes(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|x| x.code).collect()
    }

    #[test]
    fn a_good_system_passes() {
        let org = vendor_org(&input().vendor).unwrap();
        assert!(check_shape(&input(), &org, true).is_empty());
    }

    #[test]
    fn vendor_identifier_must_be_0192_and_a_valid_org_number() {
        assert!(
            vendor_org(&Vendor {
                id: "0192:317219253".into()
            })
            .is_some()
        );
        for bad in ["0193:317219253", "317219253", "0192:317219254", ""] {
            assert!(vendor_org(&Vendor { id: bad.into() }).is_none(), "{bad}");
        }
    }

    #[test]
    fn each_shape_check_has_its_code() {
        let org: OrgNumber = "317219253".parse().unwrap();
        let mut i = input();
        i.id = "317219253_med mellomrom".into();
        assert_eq!(codes(&check_shape(&i, &org, true)), ["AUTH.VLD-00013"]);
        let mut i = input();
        i.id = "910493353_annen".into();
        assert_eq!(codes(&check_shape(&i, &org, true)), ["AUTH.VLD-00001"]);
        let mut i = input();
        i.allowed_redirect_urls = vec!["/relative".into()];
        assert_eq!(codes(&check_shape(&i, &org, true)), ["AUTH.VLD-00005"]);
        i.allowed_redirect_urls = vec![
            "http://127.0.0.1:8080/cb".into(),
            "http://localhost/cb".into(),
        ];
        assert_eq!(
            codes(&check_shape(&i, &org, true)),
            ["AUTH.VLD-00005"],
            "no plain http in production"
        );
        assert!(
            check_shape_with(&i, &org, true, true).is_empty(),
            "loopback http in test instances"
        );
        i.allowed_redirect_urls = vec!["http://localhost.evil.example/cb".into()];
        assert_eq!(
            codes(&check_shape_with(&i, &org, true, true)),
            ["AUTH.VLD-00005"]
        );
        i.allowed_redirect_urls = vec!["http://vendor.example/".into()];
        assert_eq!(
            codes(&check_shape(&i, &org, false)),
            ["AUTH.VLD-00005"],
            "checked on update too"
        );
        let mut i = input();
        i.name.remove("nn");
        let out = check_shape(&i, &org, true);
        assert_eq!(codes(&out), ["AUTH.VLD-00100"]);
        assert_eq!(out[0].extension.as_ref().unwrap().1, "nn");
        let mut i = input();
        i.description.insert("en".into(), "x".repeat(MAX_TEXT + 1));
        assert_eq!(codes(&check_shape(&i, &org, true)), ["AUTH.VLD-00101"]);
        let mut i = input();
        i.rights = vec![
            Right {
                action: None,
                resource: vec![]
            };
            MAX_LIST + 1
        ];
        assert_eq!(codes(&check_shape(&i, &org, true)), ["AUTH.VLD-00102"]);
        let mut i = input();
        i.client_id = vec![" ".into()];
        assert_eq!(codes(&check_shape(&i, &org, true)), ["AUTH.VLD-00103"]);
    }

    fn resource(id: &str, t: ResourceType, delegable: bool) -> Resource {
        Resource {
            identifier: id.parse().unwrap(),
            title: Localized {
                nb: id.into(),
                nn: None,
                en: None,
            },
            description: None,
            resource_type: t,
            delegable,
        }
    }

    fn right(id: &str, value: &str) -> Right {
        Right {
            action: None,
            resource: vec![AttributePair {
                id: id.into(),
                value: value.into(),
            }],
        }
    }

    #[test]
    fn rights_checks() {
        let found = HashMap::from([
            (
                "ske-krav".to_owned(),
                resource("ske-krav", ResourceType::GenericAccessResource, true),
            ),
            (
                "mp-scope".to_owned(),
                resource("mp-scope", ResourceType::MaskinportenSchema, true),
            ),
            (
                "locked".to_owned(),
                resource("locked", ResourceType::GenericAccessResource, false),
            ),
        ]);
        assert!(check_rights(&[right("urn:altinn:resource", "ske-krav")], &found).is_empty());
        let out = check_rights(&[right("urn:altinn:org", "ttd")], &found);
        assert_eq!(codes(&out), ["AUTH.VLD-00009"]);
        assert_eq!(
            out[0].extension.as_ref().unwrap(),
            &("Invalid Resource Id Details : ", "ttd".to_owned())
        );
        let twice = [
            right("urn:altinn:resource", "ske-krav"),
            right("urn:altinn:resource", "ske-krav"),
        ];
        assert_eq!(codes(&check_rights(&twice, &found)), ["AUTH.VLD-00006"]);
        let out = check_rights(
            &[
                right("urn:altinn:resource", "a"),
                right("urn:altinn:resource", "b"),
            ],
            &found,
        );
        assert_eq!(codes(&out), ["AUTH.VLD-00003"]);
        assert_eq!(out[0].extension.as_ref().unwrap().1, "a | b");
        let out = check_rights(
            &[
                right("urn:altinn:resource", "mp-scope"),
                right("urn:altinn:resource", "locked"),
            ],
            &found,
        );
        assert_eq!(codes(&out), ["AUTH.VLD-00017"]);
    }

    fn package(urn: &str, delegable: bool, assignable: bool) -> AccessPackage {
        AccessPackage {
            urn: urn.parse().unwrap(),
            name: Localized {
                nb: urn.into(),
                nn: None,
                en: None,
            },
            description: None,
            is_delegable: delegable,
            is_assignable: assignable,
            client_roles: vec![],
        }
    }

    #[test]
    fn package_checks() {
        let p = |u: &str| PackageRef { urn: u.into() };
        let cat = HashMap::from([
            (
                "urn:altinn:accesspackage:skatt".to_owned(),
                package("urn:altinn:accesspackage:skatt", true, true),
            ),
            (
                "urn:altinn:accesspackage:regnskap".to_owned(),
                package("urn:altinn:accesspackage:regnskap", true, false),
            ),
            (
                "urn:altinn:accesspackage:eksplisitt".to_owned(),
                package("urn:altinn:accesspackage:eksplisitt", false, false),
            ),
        ]);
        assert!(check_packages(&[p("urn:altinn:accesspackage:skatt")], true, &cat).is_empty());
        assert_eq!(
            codes(&check_packages(
                &[
                    p("urn:altinn:accesspackage:skatt"),
                    p("urn:altinn:accesspackage:skatt")
                ],
                true,
                &cat
            )),
            ["AUTH.VLD-00007"]
        );
        let out = check_packages(
            &[
                p("skatt"),
                p("urn:altinn:accesspackage:ukjent"),
                p("urn:altinn:accesspackage:eksplisitt"),
            ],
            false,
            &cat,
        );
        assert_eq!(codes(&out), ["AUTH.VLD-00008"]);
        assert_eq!(
            out[0].extension.as_ref().unwrap().1,
            "Invalid format: skatt | Not found: urn:altinn:accesspackage:ukjent | Not possible to delegate: urn:altinn:accesspackage:eksplisitt"
        );
        assert_eq!(
            codes(&check_packages(
                &[p("urn:altinn:accesspackage:regnskap")],
                true,
                &cat
            )),
            ["AUTH.VLD-00018"]
        );
        assert!(check_packages(&[p("urn:altinn:accesspackage:regnskap")], false, &cat).is_empty());
    }

    #[test]
    fn only_clients_of_other_organisations_are_refused() {
        let owners = [
            ("mine", Some("317219253".to_owned())),
            ("unknown", None),
            ("theirs", Some("315034698".to_owned())),
            ("theirs-too", Some("910493353".to_owned())),
        ];
        let out = check_client_owners("317219253", &owners).unwrap();
        assert_eq!(out.code, CLIENT_OF_OTHER_ORG);
        assert_eq!(out.path, P_CLIENTID);
        assert_eq!(out.extension.unwrap().1, "theirs | theirs-too");
        assert_eq!(check_client_owners("317219253", &owners[..2]), None);
        assert_eq!(check_client_owners("317219253", &[]), None);
    }

    #[test]
    fn duplicate_client_ids_ignore_case() {
        assert!(has_duplicate_client_ids(&["abc".into(), "ABC".into()]));
        assert!(!has_duplicate_client_ids(&["abc".into(), "abd".into()]));
    }
}
