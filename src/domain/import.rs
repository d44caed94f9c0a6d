//! The reference-data import document (DESIGN §7): parsing and every check that needs no
//! database. Each problem is reported with the JSON pointer of the record it concerns.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::reference::{
    AccessPackage, ClientRole, Organization, PackageDelegation, PartyRef, Person, Resource,
    ResourcePolicy, ResourceType, RoleAssignment, ScopeDelegation, ServiceOwner, is_action,
    is_org_code,
};
use super::urn::RoleCode;
use super::{Localized, OrgNumber, Pid};

/// Longest free-text value (names, titles, descriptions) accepted in an import.
pub const MAX_TEXT_LEN: usize = 2000;

/// One bad record: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIssue {
    pub path: String,
    pub message: String,
    pub kind: IssueKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// The record itself is malformed.
    Invalid,
    /// The record names a party that neither the document nor the register holds.
    UnknownReference,
}

impl ImportIssue {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            kind: IssueKind::Invalid,
        }
    }

    pub fn unknown_reference(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: IssueKind::UnknownReference,
            ..Self::new(path, message)
        }
    }
}

/// A checked import document. Every value in it is well-formed; references to parties that
/// are not in the document itself still have to be resolved against the store.
#[derive(Debug, Default, Clone)]
pub struct ImportBatch {
    pub organizations: Vec<Organization>,
    pub persons: Vec<Person>,
    /// Each role with the JSON path it came from, for reporting unknown references.
    pub roles: Vec<(String, RoleAssignment)>,
    pub access_packages: Vec<AccessPackage>,
    pub resources: Vec<Resource>,
    /// Each direct package delegation with the JSON path it came from.
    pub package_delegations: Vec<(String, PackageDelegation)>,
    /// Each Maskinporten scope delegation with the JSON path it came from.
    pub scope_delegations: Vec<(String, ScopeDelegation)>,
    /// The policy of each resource in `resources` (same order), with its JSON path.
    pub resource_policies: Vec<(String, ResourcePolicy)>,
    pub service_owners: Vec<ServiceOwner>,
}

/// What the document may hold, and whether synthetic identities are required.
#[derive(Debug, Clone, Copy)]
pub struct ImportPolicy {
    /// In test instances only synthetic national identity numbers (month + 80) are allowed.
    pub synthetic_pids_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawOrganization {
    org_no: String,
    name: String,
    org_form: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    pid: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    role: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAccessPackage {
    urn: String,
    name: Localized,
    #[serde(default)]
    description: Option<Localized>,
    is_delegable: bool,
    is_assignable: bool,
    #[serde(default)]
    client_roles: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackageDelegation {
    from: String,
    to: String,
    package: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScopeDelegation {
    consumer: String,
    supplier: String,
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawResource {
    id: String,
    title: Localized,
    #[serde(default)]
    description: Option<Localized>,
    resource_type: String,
    delegable: bool,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    actions: Option<Vec<String>>,
    #[serde(default)]
    access_packages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawServiceOwner {
    code: String,
    org_no: String,
    name: Localized,
}

const LISTS: [&str; 8] = [
    "organizations",
    "persons",
    "roles",
    "accessPackages",
    "resources",
    "packageDelegations",
    "maskinportenDelegations",
    "serviceOwners",
];

/// Parses and checks a whole document, returning every problem found (not just the first).
pub fn parse_import(doc: &Value, policy: ImportPolicy) -> Result<ImportBatch, Vec<ImportIssue>> {
    let mut issues = Vec::new();
    let mut batch = ImportBatch::default();
    let Some(top) = doc.as_object() else {
        return Err(vec![ImportIssue::new(
            "",
            "the import document must be a JSON object",
        )]);
    };
    for key in top.keys().filter(|k| !LISTS.contains(&k.as_str())) {
        issues.push(ImportIssue::new(
            format!("/{}", escape_pointer(key)),
            format!("unknown list '{key}'; the lists are {}", LISTS.join(", ")),
        ));
    }

    for (path, raw) in records::<RawOrganization>(top, "organizations", &mut issues) {
        let org_no = field(&path, "orgNo", raw.org_no.parse::<OrgNumber>(), &mut issues);
        let name = text(&path, "name", raw.name, &mut issues);
        let org_form = text(&path, "orgForm", raw.org_form, &mut issues);
        if let (Some(org_no), Some(name), Some(org_form)) = (org_no, name, org_form) {
            batch.organizations.push(Organization {
                org_no,
                name,
                org_form,
            });
        }
    }

    for (path, raw) in records::<RawPerson>(top, "persons", &mut issues) {
        let pid = field(&path, "pid", raw.pid.parse::<Pid>(), &mut issues)
            .and_then(|pid| synthetic_check(&path, "pid", pid, policy, &mut issues));
        let name = text(&path, "name", raw.name, &mut issues);
        if let (Some(pid), Some(name)) = (pid, name) {
            batch.persons.push(Person { pid, name });
        }
    }

    for (path, raw) in records::<RawRole>(top, "roles", &mut issues) {
        let role = field(&path, "role", raw.role.parse::<RoleCode>(), &mut issues);
        let from = field(&path, "from", raw.from.parse::<OrgNumber>(), &mut issues);
        let to =
            field(&path, "to", raw.to.parse::<PartyRef>(), &mut issues).and_then(|to| match to {
                PartyRef::Person(pid) => {
                    synthetic_check(&path, "to", pid, policy, &mut issues).map(PartyRef::Person)
                }
                org => Some(org),
            });
        if let (Some(role), Some(from), Some(to)) = (role, from, to) {
            if PartyRef::Org(from.clone()) == to {
                issues.push(ImportIssue::new(
                    format!("{path}/to"),
                    "an organisation cannot hold a role for itself",
                ));
            } else {
                batch.roles.push((path, RoleAssignment { role, from, to }));
            }
        }
    }

    for (path, raw) in records::<RawAccessPackage>(top, "accessPackages", &mut issues) {
        let urn = field(&path, "urn", raw.urn.parse(), &mut issues);
        let name = localized(&path, "name", raw.name, &mut issues);
        let description = match raw.description {
            Some(d) => localized(&path, "description", d, &mut issues).map(Some),
            None => Some(None),
        };
        let mut client_roles = Vec::new();
        for (i, r) in raw.client_roles.iter().enumerate() {
            if let Some(r) = field(
                &path,
                &format!("clientRoles/{i}"),
                ClientRole::deserialize(r).map_err(|e| {
                    format!("{e}; a client role is a role code or {{\"role\", \"orgForms\"}}")
                }),
                &mut issues,
            ) {
                client_roles.push(r);
            }
        }
        if let (Some(urn), Some(name), Some(description)) = (urn, name, description)
            && client_roles.len() == raw.client_roles.len()
        {
            batch.access_packages.push(AccessPackage {
                urn,
                name,
                description,
                is_delegable: raw.is_delegable,
                is_assignable: raw.is_assignable,
                client_roles,
            });
        }
    }

    for (path, raw) in records::<RawResource>(top, "resources", &mut issues) {
        let identifier = field(&path, "id", raw.id.parse(), &mut issues);
        let title = localized(&path, "title", raw.title, &mut issues);
        let description = match raw.description {
            Some(d) => localized(&path, "description", d, &mut issues).map(Some),
            None => Some(None),
        };
        let resource_type = field(
            &path,
            "resourceType",
            raw.resource_type.parse::<ResourceType>(),
            &mut issues,
        );
        let policy = resource_policy(
            &path,
            raw.owner,
            raw.actions,
            raw.access_packages,
            &mut issues,
        );
        if let (
            Some(identifier),
            Some(title),
            Some(description),
            Some(resource_type),
            Some(policy),
        ) = (identifier, title, description, resource_type, policy)
        {
            batch.resource_policies.push((path.clone(), policy));
            batch.resources.push(Resource {
                identifier,
                title,
                description,
                resource_type,
                delegable: raw.delegable,
            });
        }
    }

    for (path, raw) in records::<RawPackageDelegation>(top, "packageDelegations", &mut issues) {
        let from = field(&path, "from", raw.from.parse::<OrgNumber>(), &mut issues);
        let to = field(&path, "to", raw.to.parse::<OrgNumber>(), &mut issues);
        let package = field(&path, "package", raw.package.parse(), &mut issues);
        if let (Some(from), Some(to), Some(package)) = (from, to, package) {
            if from == to {
                issues.push(ImportIssue::new(
                    format!("{path}/to"),
                    "an organisation cannot delegate a package to itself",
                ));
            } else {
                batch
                    .package_delegations
                    .push((path, PackageDelegation { from, to, package }));
            }
        }
    }

    for (path, raw) in records::<RawServiceOwner>(top, "serviceOwners", &mut issues) {
        let code = raw.code.trim().to_owned();
        if !is_org_code(&code) {
            issues.push(ImportIssue::new(
                format!("{path}/code"),
                format!("'{code}' is not an org code: 2 to 20 lower-case letters and digits"),
            ));
        }
        let org_no = field(&path, "orgNo", raw.org_no.parse::<OrgNumber>(), &mut issues);
        let name = localized(&path, "name", raw.name, &mut issues);
        if let (true, Some(org_no), Some(name)) = (is_org_code(&code), org_no, name) {
            batch
                .service_owners
                .push(ServiceOwner { code, org_no, name });
        }
    }

    for (path, raw) in records::<RawScopeDelegation>(top, "maskinportenDelegations", &mut issues) {
        let consumer = field(
            &path,
            "consumer",
            raw.consumer.parse::<OrgNumber>(),
            &mut issues,
        );
        let supplier = field(
            &path,
            "supplier",
            raw.supplier.parse::<OrgNumber>(),
            &mut issues,
        );
        let mut scopes = raw.scopes;
        let scopes_ok = if scopes.is_empty() || scopes.len() > 100 {
            issues.push(ImportIssue::new(
                format!("{path}/scopes"),
                "give 1 to 100 scopes",
            ));
            false
        } else if let Some(i) = scopes
            .iter()
            .position(|s| !super::scopes::is_scope_token(s))
        {
            issues.push(ImportIssue::new(
                format!("{path}/scopes/{i}"),
                format!("'{}' is not a scope", scopes[i]),
            ));
            false
        } else {
            true
        };
        scopes.sort();
        scopes.dedup();
        if let (Some(consumer), Some(supplier), true) = (consumer, supplier, scopes_ok) {
            if consumer == supplier {
                issues.push(ImportIssue::new(
                    format!("{path}/supplier"),
                    "an organisation cannot delegate scopes to itself",
                ));
            } else {
                batch.scope_delegations.push((
                    path,
                    ScopeDelegation {
                        consumer,
                        supplier,
                        scopes,
                    },
                ));
            }
        }
    }

    find_duplicates(&batch, &mut issues);
    if issues.is_empty() {
        Ok(batch)
    } else {
        Err(issues)
    }
}

/// Deserialises each element of one list, reporting elements of the wrong shape.
fn records<T: for<'de> Deserialize<'de>>(
    top: &serde_json::Map<String, Value>,
    list: &str,
    issues: &mut Vec<ImportIssue>,
) -> Vec<(String, T)> {
    let Some(value) = top.get(list) else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        if !value.is_null() {
            issues.push(ImportIssue::new(
                format!("/{list}"),
                format!("'{list}' must be a list"),
            ));
        }
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let path = format!("/{list}/{i}");
            match T::deserialize(item) {
                Ok(raw) => Some((path, raw)),
                Err(e) => {
                    issues.push(ImportIssue::new(path, e.to_string()));
                    None
                }
            }
        })
        .collect()
}

fn field<T, E: std::fmt::Display>(
    path: &str,
    name: &str,
    parsed: Result<T, E>,
    issues: &mut Vec<ImportIssue>,
) -> Option<T> {
    parsed
        .map_err(|e| issues.push(ImportIssue::new(format!("{path}/{name}"), e.to_string())))
        .ok()
}

fn text(path: &str, name: &str, value: String, issues: &mut Vec<ImportIssue>) -> Option<String> {
    let trimmed = value.trim();
    let problem = if trimmed.is_empty() {
        Some("must not be empty".to_owned())
    } else if trimmed.chars().count() > MAX_TEXT_LEN {
        Some(format!("must be at most {MAX_TEXT_LEN} characters"))
    } else if trimmed.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    match problem {
        Some(p) => {
            issues.push(ImportIssue::new(format!("{path}/{name}"), p));
            None
        }
        None => Some(trimmed.to_owned()),
    }
}

fn localized(
    path: &str,
    name: &str,
    value: Localized,
    issues: &mut Vec<ImportIssue>,
) -> Option<Localized> {
    let at = format!("{path}/{name}");
    let nb = text(&at, "nb", value.nb, issues);
    let mut optional = |lang: &str, v: Option<String>| match v {
        Some(s) if !s.trim().is_empty() => text(&at, lang, s, issues).map(Some),
        _ => Some(None),
    };
    let nn = optional("nn", value.nn);
    let en = optional("en", value.en);
    Some(Localized {
        nb: nb?,
        nn: nn?,
        en: en?,
    })
}

fn synthetic_check(
    path: &str,
    name: &str,
    pid: Pid,
    policy: ImportPolicy,
    issues: &mut Vec<ImportIssue>,
) -> Option<Pid> {
    if policy.synthetic_pids_only && !pid.is_synthetic() {
        issues.push(ImportIssue::new(
            format!("{path}/{name}"),
            "this instance accepts only synthetic national identity numbers (month + 80)",
        ));
        return None;
    }
    Some(pid)
}

fn find_duplicates(batch: &ImportBatch, issues: &mut Vec<ImportIssue>) {
    fn check<'a>(
        list: &str,
        field: &str,
        keys: impl Iterator<Item = &'a str>,
        issues: &mut Vec<ImportIssue>,
    ) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, key) in keys.enumerate() {
            if let Some(first) = seen.insert(key, i) {
                issues.push(ImportIssue::new(
                    format!("/{list}/{i}/{field}"),
                    format!("'{key}' is also at /{list}/{first}"),
                ));
            }
        }
    }
    check(
        "organizations",
        "orgNo",
        batch.organizations.iter().map(|o| o.org_no.as_str()),
        issues,
    );
    check(
        "persons",
        "pid",
        batch.persons.iter().map(|p| p.pid.as_str()),
        issues,
    );
    check(
        "accessPackages",
        "urn",
        batch.access_packages.iter().map(|p| p.urn.as_str()),
        issues,
    );
    check(
        "resources",
        "id",
        batch.resources.iter().map(|r| r.identifier.as_str()),
        issues,
    );
    check(
        "serviceOwners",
        "code",
        batch.service_owners.iter().map(|o| o.code.as_str()),
        issues,
    );
    check(
        "serviceOwners",
        "orgNo",
        batch.service_owners.iter().map(|o| o.org_no.as_str()),
        issues,
    );
}

/// A resource's policy fields: a known-shape owner code, 1 to 20 distinct actions (default
/// `read`), and well-formed access-package URNs.
fn resource_policy(
    path: &str,
    owner: Option<String>,
    actions: Option<Vec<String>>,
    packages: Vec<String>,
    issues: &mut Vec<ImportIssue>,
) -> Option<ResourcePolicy> {
    let before = issues.len();
    if let Some(o) = &owner
        && !is_org_code(o)
    {
        issues.push(ImportIssue::new(
            format!("{path}/owner"),
            format!("'{o}' is not an org code: 2 to 20 lower-case letters and digits"),
        ));
    }
    let mut actions = actions.unwrap_or_else(|| vec!["read".into()]);
    if actions.is_empty() || actions.len() > 20 {
        issues.push(ImportIssue::new(
            format!("{path}/actions"),
            "give 1 to 20 actions",
        ));
    }
    for (i, a) in actions.iter().enumerate() {
        if !is_action(a) {
            issues.push(ImportIssue::new(
                format!("{path}/actions/{i}"),
                format!("'{a}' is not an action: a-z, 0-9, - and _, starting with a letter"),
            ));
        }
    }
    actions.sort();
    actions.dedup();
    let mut access_packages = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        if let Some(urn) = field(path, &format!("accessPackages/{i}"), p.parse(), issues) {
            access_packages.push(urn);
        }
    }
    (issues.len() == before).then_some(ResourcePolicy {
        owner,
        actions,
        access_packages,
    })
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: ImportPolicy = ImportPolicy {
        synthetic_pids_only: true,
    };

    fn example() -> Value {
        json!({
          "organizations": [{"orgNo": "910493353", "name": "Testkunde AS", "orgForm": "AS"},
                            {"orgNo": "313872076", "name": "Regnskap AS", "orgForm": "AS"}],
          "persons": [{"pid": "01818520030", "name": "Kari Nordmann"}],
          "roles": [
            {"role": "daglig-leder", "from": "910493353", "to": "01818520030"},
            {"role": "urn:altinn:external-role:ccr:regnskapsforer", "from": "910493353", "to": "313872076"}
          ],
          "accessPackages": [{"urn": "urn:altinn:accesspackage:skattegrunnlag",
                              "name": {"nb": "Skattegrunnlag", "nn": "Skattegrunnlag", "en": "Tax base"},
                              "isDelegable": true, "isAssignable": true, "clientRoles": []}],
          "resources": [{"id": "ske-krav-og-betalinger", "title": {"nb": "Krav og betalinger"},
                         "resourceType": "GenericAccessResource", "delegable": true}]
        })
    }

    #[test]
    fn parses_the_design_example() {
        let b = parse_import(&example(), POLICY).unwrap();
        assert_eq!(b.organizations.len(), 2);
        assert_eq!(b.persons.len(), 1);
        assert_eq!(b.roles.len(), 2);
        assert_eq!(b.roles[1].1.role.as_str(), "regnskapsforer");
        assert_eq!(b.access_packages.len(), 1);
        assert_eq!(b.resources.len(), 1);
    }

    #[test]
    fn resources_carry_their_policy_and_service_owners_their_code() {
        let mut doc = example();
        doc["resources"][0]["owner"] = json!("skd");
        doc["resources"][0]["actions"] = json!(["write", "read", "read"]);
        doc["resources"][0]["accessPackages"] = json!(["urn:altinn:accesspackage:skattegrunnlag"]);
        doc["serviceOwners"] =
            json!([{"code": "skd", "orgNo": "974761076", "name": {"nb": "Skatteetaten"}}]);
        let b = parse_import(&doc, POLICY).unwrap();
        let (_, policy) = &b.resource_policies[0];
        assert_eq!(policy.owner.as_deref(), Some("skd"));
        assert_eq!(policy.actions, ["read", "write"]);
        assert_eq!(
            policy.access_packages[0].as_str(),
            "urn:altinn:accesspackage:skattegrunnlag"
        );
        assert_eq!(b.service_owners[0].code, "skd");
        // Without them: read only, no packages.
        let b = parse_import(&example(), POLICY).unwrap();
        assert_eq!(b.resource_policies[0].1, ResourcePolicy::default());

        doc["resources"][0]["owner"] = json!("SKD");
        doc["resources"][0]["actions"] = json!(["Read", "ok"]);
        doc["resources"][0]["accessPackages"] = json!(["skattegrunnlag"]);
        doc["serviceOwners"] = json!([{"code": "skd", "orgNo": "974761076", "name": {"nb": "S"}},
                                      {"code": "skd", "orgNo": "310000000", "name": {"nb": "T"}},
                                      {"code": "nav", "orgNo": "12", "name": {"nb": "N"}}]);
        let paths: Vec<String> = parse_import(&doc, POLICY)
            .unwrap_err()
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(
            paths,
            [
                "/resources/0/owner",
                "/resources/0/actions/0",
                "/resources/0/accessPackages/0",
                "/serviceOwners/2/orgNo",
                "/serviceOwners/1/code",
            ]
        );
    }

    #[test]
    fn maskinporten_delegations_are_checked_field_by_field() {
        let mut doc = example();
        doc["maskinportenDelegations"] = json!([
            {"consumer": "910493353", "supplier": "313872076", "scopes": ["altinn:a", "altinn:a", "skatt:b"]}
        ]);
        let b = parse_import(&doc, POLICY).unwrap();
        assert_eq!(b.scope_delegations[0].1.scopes, ["altinn:a", "skatt:b"]);
        doc["maskinportenDelegations"] = json!([
            {"consumer": "910493353", "supplier": "910493353", "scopes": ["altinn:a"]},
            {"consumer": "12", "supplier": "313872076", "scopes": ["altinn:a"]},
            {"consumer": "910493353", "supplier": "313872076", "scopes": []},
            {"consumer": "910493353", "supplier": "313872076", "scopes": ["ok", "not ok"]},
            {"consumer": "910493353", "supplier": "313872076"}
        ]);
        let paths: Vec<String> = parse_import(&doc, POLICY)
            .unwrap_err()
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(
            paths,
            [
                "/maskinportenDelegations/4",
                "/maskinportenDelegations/0/supplier",
                "/maskinportenDelegations/1/consumer",
                "/maskinportenDelegations/2/scopes",
                "/maskinportenDelegations/3/scopes/1",
            ]
        );
    }

    #[test]
    fn client_roles_may_be_limited_to_organisation_forms_and_packages_delegated_directly() {
        let mut doc = example();
        doc["accessPackages"][0]["clientRoles"] = json!([
            "regnskapsforer",
            {"role": "forretningsforer", "orgForms": ["ESEK", "BRL"]}
        ]);
        doc["packageDelegations"] = json!([{"from": "910493353", "to": "313872076",
            "package": "urn:altinn:accesspackage:skattegrunnlag"}]);
        let b = parse_import(&doc, POLICY).unwrap();
        let p = &b.access_packages[0];
        assert!(p.granted_by("regnskapsforer", "AS"));
        assert!(p.granted_by("forretningsforer", "BRL"));
        assert!(!p.granted_by("forretningsforer", "AS"));
        assert!(!p.granted_by("revisor", "AS"));
        assert_eq!(
            serde_json::to_value(&p.client_roles).unwrap(),
            json!(["regnskapsforer", {"role": "forretningsforer", "orgForms": ["ESEK", "BRL"]}])
        );
        assert_eq!(b.package_delegations.len(), 1);
        assert_eq!(b.package_delegations[0].1.to.as_str(), "313872076");

        doc["accessPackages"][0]["clientRoles"] = json!([{"role": "Forretningsfører"}, 7]);
        doc["packageDelegations"] = json!([{"from": "910493353", "to": "910493353",
            "package": "urn:altinn:accesspackage:skattegrunnlag"}, {"from": "910493353"}]);
        let issues = parse_import(&doc, POLICY).unwrap_err();
        let paths: Vec<_> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/accessPackages/0/clientRoles/0",
                "/accessPackages/0/clientRoles/1",
                "/packageDelegations/1",
                "/packageDelegations/0/to"
            ]
        );
    }

    #[test]
    fn every_list_is_optional() {
        let b = parse_import(&json!({}), POLICY).unwrap();
        assert!(b.organizations.is_empty());
    }

    #[test]
    fn reports_every_bad_record_by_path() {
        let mut doc = example();
        doc["organizations"][1]["orgNo"] = json!("313872077");
        doc["persons"][0]["pid"] = json!("01818520031");
        doc["roles"][0]["role"] = json!("Daglig Leder");
        doc["resources"][0]["resourceType"] = json!("Nope");
        let issues = parse_import(&doc, POLICY).unwrap_err();
        let paths: Vec<_> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/organizations/1/orgNo",
                "/persons/0/pid",
                "/roles/0/role",
                "/resources/0/resourceType"
            ]
        );
        assert!(issues[0].message.contains("check digit"), "{issues:?}");
    }

    #[test]
    fn wrong_shapes_and_unknown_keys_are_reported() {
        let doc = json!({
            "organisations": [],
            "persons": {"pid": "01818520030"},
            "organizations": [{"orgNo": 910493353, "name": "x", "orgForm": "AS"},
                              {"orgNo": "910493353", "name": "x", "orgForm": "AS", "extra": 1}],
            "accessPackages": [{"urn": "urn:altinn:accesspackage:x", "name": {"nn": "x"}, "isDelegable": true, "isAssignable": true}]
        });
        let issues = parse_import(&doc, POLICY).unwrap_err();
        let paths: Vec<_> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/organisations",
                "/organizations/0",
                "/organizations/1",
                "/persons",
                "/accessPackages/0"
            ]
        );
    }

    #[test]
    fn real_pids_are_refused_when_synthetic_are_required() {
        let mut doc = example();
        // A valid, non-synthetic number (built from the check-digit rule).
        doc["persons"][0]["pid"] = json!("01018512366");
        doc["roles"] = json!([]);
        assert!("01018512366".parse::<Pid>().is_ok());
        let issues = parse_import(&doc, POLICY).unwrap_err();
        assert_eq!(issues[0].path, "/persons/0/pid");
        assert!(
            parse_import(
                &doc,
                ImportPolicy {
                    synthetic_pids_only: false
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn duplicates_and_self_roles_are_reported() {
        let mut doc = example();
        doc["organizations"][1]["orgNo"] = json!("910493353");
        doc["roles"][1]["to"] = json!("910493353");
        let issues = parse_import(&doc, POLICY).unwrap_err();
        let paths: Vec<_> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["/roles/1/to", "/organizations/1/orgNo"]);
    }

    #[test]
    fn empty_and_oversized_texts_are_refused() {
        let mut doc = example();
        doc["organizations"][0]["name"] = json!("   ");
        doc["organizations"][1]["name"] = json!("x".repeat(MAX_TEXT_LEN + 1));
        let issues = parse_import(&doc, POLICY).unwrap_err();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].path, "/organizations/0/name");
    }
}
