//! Vendors' requests for system users (spec authentication-api §1.3, §1.5, §1.6, §3.3, §4, §5):
//! statuses, the timeout rule, the idempotency key, and what a request may ask for.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use super::problem_codes::{self as codes, ProblemCode};
use super::system::{AttributePair, PackageRef, Right, System};

/// A request's status. `Denied` is never produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    New,
    Accepted,
    Rejected,
    Timedout,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::New => "New",
            RequestStatus::Accepted => "Accepted",
            RequestStatus::Rejected => "Rejected",
            RequestStatus::Timedout => "Timedout",
        }
    }
}

impl FromStr for RequestStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "New" => Ok(RequestStatus::New),
            "Accepted" => Ok(RequestStatus::Accepted),
            "Rejected" => Ok(RequestStatus::Rejected),
            "Timedout" => Ok(RequestStatus::Timedout),
            other => Err(format!("unknown request status {other}")),
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Standard system users act for their owner; agent system users act for the owner's clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemUserType {
    Standard,
    Agent,
}

impl SystemUserType {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemUserType::Standard => "standard",
            SystemUserType::Agent => "agent",
        }
    }
}

impl FromStr for SystemUserType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(SystemUserType::Standard),
            "agent" => Ok(SystemUserType::Agent),
            other => Err(format!("unknown system user type {other}")),
        }
    }
}

impl fmt::Display for SystemUserType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status as of `now`: a request still `New` after `timeout_micros` has timed out.
pub fn effective_status(
    stored: RequestStatus,
    created_at: i64,
    now: i64,
    timeout_micros: i64,
) -> RequestStatus {
    if stored == RequestStatus::New && now.saturating_sub(created_at) >= timeout_micros {
        RequestStatus::Timedout
    } else {
        stored
    }
}

/// A UUID as tilgang stores it (lower case, hyphenated), as Altinn's GUID binding ignores
/// case; anything else as given (it then matches nothing).
pub fn canonical_uuid(id: &str) -> String {
    uuid::Uuid::parse_str(id.trim()).map_or_else(|_| id.to_owned(), |u| u.to_string())
}

/// The longest name of an integration (a system user's `integrationTitle`), in characters.
pub const MAX_INTEGRATION_TITLE: usize = 255;

/// What is wrong with a name given to a system user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleProblem {
    Empty,
    TooLong,
}

/// A system user's new name, trimmed: not empty, at most [`MAX_INTEGRATION_TITLE`] characters.
pub fn integration_title(raw: &str) -> Result<String, TitleProblem> {
    let t = raw.trim();
    if t.is_empty() {
        Err(TitleProblem::Empty)
    } else if t.chars().count() > MAX_INTEGRATION_TITLE {
        Err(TitleProblem::TooLong)
    } else {
        Ok(t.to_owned())
    }
}

/// `externalRef` as stored: a missing or empty one means the customer's org number.
pub fn effective_external_ref(external_ref: Option<&str>, party_org_no: &str) -> String {
    match external_ref.map(str::trim) {
        Some(r) if !r.is_empty() => r.to_owned(),
        _ => party_org_no.to_owned(),
    }
}

/// The key that identifies a request or a system user: one live of each per key. It stays
/// three typed fields all the way to the database (three columns under one unique index), so
/// no separator inside a field can make two keys collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LiveKey<'a> {
    pub system_id: &'a str,
    pub party_org_no: &'a str,
    pub external_ref: &'a str,
}

pub fn live_key<'a>(
    system_id: &'a str,
    party_org_no: &'a str,
    external_ref: &'a str,
) -> LiveKey<'a> {
    LiveKey {
        system_id,
        party_org_no,
        external_ref,
    }
}

/// A problem with what a request asks for, as an `AUTH-xxxxx` code, its status and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestProblem {
    pub code: &'static str,
    pub status: u16,
    pub title: &'static str,
    pub detail: Option<String>,
    /// Extension members (Altinn writes them at the problem's top level), e.g. the packages a
    /// client does not give.
    pub extensions: Vec<(&'static str, serde_json::Value)>,
}

impl RequestProblem {
    /// What a person reads on a page: the detail when there is one (tilgang's own words for
    /// the case), else the code's title.
    pub fn text(&self) -> &str {
        self.detail.as_deref().unwrap_or(self.title)
    }
}

impl From<ProblemCode> for RequestProblem {
    fn from(c: ProblemCode) -> Self {
        Self {
            code: c.code,
            status: c.status,
            title: c.title,
            detail: None,
            extensions: Vec::new(),
        }
    }
}

fn problem(c: ProblemCode) -> RequestProblem {
    c.into()
}

pub fn rights_not_found() -> RequestProblem {
    problem(codes::RIGHTS_NOT_FOUND_OR_NOT_DELEGABLE)
}

fn pair_set(pairs: &[AttributePair]) -> HashSet<(&str, &str)> {
    pairs
        .iter()
        .map(|p| (p.id.as_str(), p.value.as_str()))
        .collect()
}

/// §3.3 step 6 (standard requests): the rights and packages asked for must be among the
/// system's, and the packages assignable.
pub fn check_requested(
    rights: Option<&[Right]>,
    packages: Option<&[PackageRef]>,
    system: &System,
    is_assignable: impl Fn(&str) -> Option<bool>,
) -> Result<(), RequestProblem> {
    if rights.is_none() && packages.is_none() {
        return Err(rights_not_found());
    }
    let rights = rights.unwrap_or_default();
    let packages = packages.unwrap_or_default();
    if rights.is_empty() && packages.is_empty() {
        return Err(problem(
            codes::SYSTEM_USER_MISSING_RIGHTS_OR_ACCESS_PACKAGES,
        ));
    }
    check_rights_in_system(rights, system)?;
    check_packages_in_system(packages, system, is_assignable)
}

/// Whether two rights name the same resource (the same attribute pairs, in any order;
/// `action` aside).
pub fn same_right(a: &Right, b: &Right) -> bool {
    pair_set(&a.resource) == pair_set(&b.resource)
}

/// The rights asked for are among the system's (AUTH-00001).
pub fn check_rights_in_system(rights: &[Right], system: &System) -> Result<(), RequestProblem> {
    if rights.len() > system.rights.len()
        || rights
            .iter()
            .any(|r| !system.rights.iter().any(|s| same_right(s, r)))
    {
        return Err(rights_not_found());
    }
    Ok(())
}

/// The packages asked for are among the system's (AUTH-00063) and assignable to a standard
/// system user (AUTH-00064).
pub fn check_packages_in_system(
    packages: &[PackageRef],
    system: &System,
    is_assignable: impl Fn(&str) -> Option<bool>,
) -> Result<(), RequestProblem> {
    let not_in_system: Vec<&str> = packages
        .iter()
        .filter(|p| !system.access_packages.contains(p))
        .map(|p| p.urn.as_str())
        .collect();
    if packages.len() > system.access_packages.len() || !not_in_system.is_empty() {
        return Err(RequestProblem {
            detail: Some(format!("NotFoundPackages: {}", not_in_system.join(", "))),
            ..problem(codes::ACCESS_PACKAGE_NOT_FOUND)
        });
    }
    let not_assignable: Vec<&str> = packages
        .iter()
        .filter(|p| is_assignable(&p.urn) != Some(true))
        .map(|p| p.urn.as_str())
        .collect();
    if !not_assignable.is_empty() {
        return Err(RequestProblem {
            detail: Some(format!(
                "NotDelegablePackages: {}",
                not_assignable.join(", ")
            )),
            ..problem(codes::ACCESS_PACKAGE_NOT_DELEGABLE_STANDARD)
        });
    }
    Ok(())
}

/// §3.3 step 7 (agent requests, errata §B): at least one package (AUTH-00058), each among the
/// system's (AUTH-00063) and delegable to a facilitator (AUTH-00065).
pub fn check_agent_packages(
    packages: &[PackageRef],
    system: &System,
    is_delegable: impl Fn(&str) -> Option<bool>,
) -> Result<(), RequestProblem> {
    if packages.is_empty() {
        return Err(problem(codes::SYSTEM_USER_MISSING_ACCESS_PACKAGE));
    }
    let not_in_system: Vec<&str> = packages
        .iter()
        .filter(|p| !system.access_packages.contains(p))
        .map(|p| p.urn.as_str())
        .collect();
    if !not_in_system.is_empty() {
        return Err(RequestProblem {
            detail: Some(format!("NotFoundPackages: {}", not_in_system.join(", "))),
            ..problem(codes::ACCESS_PACKAGE_NOT_FOUND)
        });
    }
    let not_delegable: Vec<&str> = packages
        .iter()
        .filter(|p| is_delegable(&p.urn) != Some(true))
        .map(|p| p.urn.as_str())
        .collect();
    if !not_delegable.is_empty() {
        return Err(RequestProblem {
            detail: Some(format!(
                "NotDelegablePackages: {}",
                not_delegable.join(", ")
            )),
            ..problem(codes::ACCESS_PACKAGE_NOT_DELEGABLE_AGENT)
        });
    }
    Ok(())
}

/// §3.3 step 5: a redirect URL must match one of the system's by scheme, host, port and
/// path (the query may differ). A relative or malformed URL is refused too (not a 500).
pub fn check_redirect(url: &str, allowed: &[String]) -> Result<(), RequestProblem> {
    if allowed.is_empty() {
        return Err(problem(codes::NO_REDIRECT_URIS_FOUND_ON_SYSTEM));
    }
    let base = |u: &str| -> Option<String> {
        let (scheme, rest) = u.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        let rest = &rest[..end];
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty()
            || authority.contains('@')
            || authority.chars().any(char::is_whitespace)
        {
            return None;
        }
        let authority = authority.to_ascii_lowercase();
        let authority = match scheme.as_str() {
            "https" => authority
                .strip_suffix(":443")
                .unwrap_or(&authority)
                .to_owned(),
            _ => authority
                .strip_suffix(":80")
                .unwrap_or(&authority)
                .to_owned(),
        };
        let path = if path.is_empty() { "/" } else { path };
        Some(format!("{scheme}://{authority}{path}"))
    };
    let wanted = base(url).ok_or_else(|| problem(codes::REDIRECT_URI_NOT_FOUND))?;
    if allowed.iter().filter_map(|a| base(a)).any(|a| a == wanted) {
        Ok(())
    } else {
        Err(problem(codes::REDIRECT_URI_NOT_FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn system() -> System {
        let pair = |v: &str| AttributePair {
            id: "urn:altinn:resource".into(),
            value: v.into(),
        };
        System {
            internal_id: "i".into(),
            system_id: "317219253_s".into(),
            vendor_org: "317219253".into(),
            name: HashMap::new(),
            description: HashMap::new(),
            rights: vec![
                Right {
                    action: None,
                    resource: vec![pair("a")],
                },
                Right {
                    action: None,
                    resource: vec![pair("b")],
                },
            ],
            access_packages: vec![
                PackageRef {
                    urn: "urn:altinn:accesspackage:skatt".into(),
                },
                PackageRef {
                    urn: "urn:altinn:accesspackage:regnskap".into(),
                },
            ],
            client_ids: vec![],
            is_visible: true,
            allowed_redirect_urls: vec!["https://vendor.example/done".into()],
            is_deleted: false,
        }
    }

    fn assignable(urn: &str) -> Option<bool> {
        Some(urn.ends_with("skatt"))
    }

    #[test]
    fn status_times_out_only_when_new() {
        assert_eq!(
            effective_status(RequestStatus::New, 0, 10, 10),
            RequestStatus::Timedout
        );
        assert_eq!(
            effective_status(RequestStatus::New, 0, 9, 10),
            RequestStatus::New
        );
        assert_eq!(
            effective_status(RequestStatus::Accepted, 0, 100, 10),
            RequestStatus::Accepted
        );
    }

    #[test]
    fn empty_external_ref_means_the_org_number() {
        assert_eq!(effective_external_ref(None, "910493353"), "910493353");
        assert_eq!(effective_external_ref(Some(""), "910493353"), "910493353");
        assert_eq!(
            effective_external_ref(Some(" kunde-1 "), "910493353"),
            "kunde-1"
        );
    }

    #[test]
    fn requested_rights_and_packages() {
        let s = system();
        let r = |v: &str| Right {
            action: Some("read".into()),
            resource: vec![AttributePair {
                id: "urn:altinn:resource".into(),
                value: v.into(),
            }],
        };
        let p = |u: &str| PackageRef { urn: u.into() };
        assert!(
            check_requested(Some(&[r("a")]), None, &s, assignable).is_ok(),
            "action is ignored"
        );
        assert_eq!(
            check_requested(None, None, &s, assignable)
                .unwrap_err()
                .code,
            "AUTH-00001"
        );
        assert_eq!(
            check_requested(Some(&[]), Some(&[]), &s, assignable)
                .unwrap_err()
                .code,
            "AUTH-00059"
        );
        assert_eq!(
            check_requested(Some(&[r("c")]), None, &s, assignable)
                .unwrap_err()
                .code,
            "AUTH-00001"
        );
        assert_eq!(
            check_requested(
                None,
                Some(&[p("urn:altinn:accesspackage:annet")]),
                &s,
                assignable
            )
            .unwrap_err()
            .code,
            "AUTH-00063"
        );
        assert_eq!(
            check_requested(
                None,
                Some(&[p("urn:altinn:accesspackage:regnskap")]),
                &s,
                assignable
            )
            .unwrap_err()
            .code,
            "AUTH-00064"
        );
        assert!(
            check_requested(
                None,
                Some(&[p("urn:altinn:accesspackage:skatt")]),
                &s,
                assignable
            )
            .is_ok()
        );
    }

    #[test]
    fn agent_packages() {
        let s = system();
        let p = |u: &str| PackageRef { urn: u.into() };
        let delegable = |urn: &str| Some(urn.ends_with("regnskap"));
        let code = |packages: &[PackageRef]| {
            check_agent_packages(packages, &s, delegable)
                .err()
                .map(|e| e.code)
        };
        assert_eq!(code(&[]), Some("AUTH-00058"));
        assert_eq!(
            code(&[p("urn:altinn:accesspackage:annet")]),
            Some("AUTH-00063")
        );
        assert_eq!(
            code(&[p("urn:altinn:accesspackage:skatt")]),
            Some("AUTH-00065")
        );
        assert_eq!(code(&[p("urn:altinn:accesspackage:regnskap")]), None);
    }

    #[test]
    fn redirect_urls_match_on_scheme_host_and_path() {
        let allowed = vec!["https://vendor.example/done".to_owned()];
        assert!(check_redirect("https://vendor.example/done?x=1", &allowed).is_ok());
        assert!(check_redirect("https://VENDOR.example:443/done", &allowed).is_ok());
        for bad in [
            "https://vendor.example/other",
            "https://evil.example/done",
            "/done",
            "javascript:alert(1)",
            "https://vendor.example@evil.example/done",
        ] {
            assert_eq!(
                check_redirect(bad, &allowed).unwrap_err().code,
                "AUTH-00021",
                "{bad}"
            );
        }
        assert_eq!(
            check_redirect("https://vendor.example/done", &[])
                .unwrap_err()
                .code,
            "AUTH-00026"
        );
    }
}
