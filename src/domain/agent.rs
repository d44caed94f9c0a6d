//! Agent system users and their clients (errata §D, DESIGN §7): which organisations an agent
//! system user may be given as clients.
//!
//! An organisation C is a client of the facilitator F for an agent system user S when the
//! packages C gives F — through every client role C has F in (`regnskapsforer`, `revisor`,
//! `forretningsforer`; each grants the packages whose `clientRoles` name it, some only for
//! some organisation forms) and through packages C delegated to F directly — together cover
//! **every** package of S.

use super::reference::AccessPackage;
use super::system::PackageRef;

/// The roles through which an organisation is a client of another.
pub const CLIENT_ROLES: [&str; 3] = ["regnskapsforer", "revisor", "forretningsforer"];

/// What one organisation gives a facilitator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRelation {
    pub org_form: String,
    /// Its roles towards the facilitator (any roles; only client roles count).
    pub roles: Vec<String>,
    /// The packages it delegated to the facilitator directly.
    pub delegated: Vec<String>,
}

impl ClientRelation {
    /// Whether there is any relation at all (a client role or a direct delegation).
    pub fn exists(&self) -> bool {
        !self.delegated.is_empty()
            || self
                .roles
                .iter()
                .any(|r| CLIENT_ROLES.contains(&r.as_str()))
    }

    /// Whether the relation gives a package with these client roles, or delegated as `urn`.
    pub fn gives_with(&self, urn: &str, client_roles: &[super::reference::ClientRole]) -> bool {
        self.delegated.iter().any(|d| d == urn)
            || self.roles.iter().any(|r| {
                CLIENT_ROLES.contains(&r.as_str())
                    && client_roles.iter().any(|c| c.grants(r, &self.org_form))
            })
    }

    /// Whether the relation gives the package `urn`.
    pub fn gives(&self, urn: &str, catalogue: &[AccessPackage]) -> bool {
        self.delegated.iter().any(|d| d == urn)
            || catalogue
                .iter()
                .find(|p| p.urn.as_str() == urn)
                .is_some_and(|p| {
                    self.roles.iter().any(|r| {
                        CLIENT_ROLES.contains(&r.as_str()) && p.granted_by(r, &self.org_form)
                    })
                })
    }
}

/// The packages of `needed` that `relation` does not give; empty when the organisation is a
/// client for an agent system user with these packages.
pub fn missing_packages<'a>(
    needed: &'a [PackageRef],
    catalogue: &[AccessPackage],
    relation: &ClientRelation,
) -> Vec<&'a str> {
    needed
        .iter()
        .filter(|p| !relation.gives(&p.urn, catalogue))
        .map(|p| p.urn.as_str())
        .collect()
}

/// How one package can be given to a facilitator: directly, or by one of `roles` (each with
/// the organisation forms it holds for; empty = every form). The store turns a list of these
/// into one query over all clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageGrant {
    pub urn: String,
    pub roles: Vec<(String, Vec<String>)>,
}

/// For each package of `needed`, how a client can give it.
pub fn grants_for(needed: &[PackageRef], catalogue: &[AccessPackage]) -> Vec<PackageGrant> {
    needed
        .iter()
        .map(|p| PackageGrant {
            urn: p.urn.clone(),
            roles: catalogue
                .iter()
                .filter(|c| c.urn.as_str() == p.urn)
                .flat_map(|c| &c.client_roles)
                .filter(|c| CLIENT_ROLES.contains(&c.role.as_str()))
                .map(|c| (c.role.as_str().to_owned(), c.org_forms.clone()))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Localized;
    use crate::domain::reference::ClientRole;

    fn package(name: &str, roles: &[(&str, &[&str])]) -> AccessPackage {
        AccessPackage {
            urn: format!("urn:altinn:accesspackage:{name}").parse().unwrap(),
            name: Localized {
                nb: name.into(),
                nn: None,
                en: None,
            },
            description: None,
            is_delegable: true,
            is_assignable: false,
            client_roles: roles
                .iter()
                .map(|(r, forms)| ClientRole {
                    role: r.parse().unwrap(),
                    org_forms: forms.iter().map(|f| f.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn catalogue() -> Vec<AccessPackage> {
        vec![
            package("regnskapsforer-lonn", &[("regnskapsforer", &[])]),
            package("ansvarlig-revisor", &[("revisor", &[])]),
            package(
                "forretningsforer-eiendom",
                &[("forretningsforer", &["ESEK", "BRL"])],
            ),
            package("skattegrunnlag", &[("daglig-leder", &[])]),
        ]
    }

    fn needs(names: &[&str]) -> Vec<PackageRef> {
        names
            .iter()
            .map(|n| PackageRef {
                urn: format!("urn:altinn:accesspackage:{n}"),
            })
            .collect()
    }

    fn relation(form: &str, roles: &[&str], delegated: &[&str]) -> ClientRelation {
        ClientRelation {
            org_form: form.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            delegated: delegated
                .iter()
                .map(|d| format!("urn:altinn:accesspackage:{d}"))
                .collect(),
        }
    }

    #[test]
    fn every_package_must_be_given_over_all_roles_together() {
        let c = catalogue();
        let both = needs(&["regnskapsforer-lonn", "ansvarlig-revisor"]);
        let accountant = relation("AS", &["regnskapsforer"], &[]);
        assert_eq!(
            missing_packages(&both, &c, &accountant),
            ["urn:altinn:accesspackage:ansvarlig-revisor"],
            "one role covers only some: not a client (AND, not ANY)"
        );
        let accountant_and_auditor = relation("AS", &["regnskapsforer", "revisor"], &[]);
        assert!(missing_packages(&both, &c, &accountant_and_auditor).is_empty());
        let accountant_with_delegation =
            relation("AS", &["regnskapsforer"], &["ansvarlig-revisor"]);
        assert!(missing_packages(&both, &c, &accountant_with_delegation).is_empty());
    }

    #[test]
    fn organisation_forms_limit_what_a_role_gives() {
        let c = catalogue();
        let estate = needs(&["forretningsforer-eiendom"]);
        assert!(
            missing_packages(&estate, &c, &relation("BRL", &["forretningsforer"], &[])).is_empty()
        );
        assert_eq!(
            missing_packages(&estate, &c, &relation("AS", &["forretningsforer"], &[])).len(),
            1
        );
    }

    #[test]
    fn only_client_roles_count() {
        let c = catalogue();
        let tax = needs(&["skattegrunnlag"]);
        let r = relation("AS", &["daglig-leder"], &[]);
        assert!(!r.exists());
        assert_eq!(missing_packages(&tax, &c, &r).len(), 1);
        let grants = grants_for(&tax, &c);
        assert!(grants[0].roles.is_empty(), "daglig-leder is no client role");
        let grants = grants_for(&needs(&["forretningsforer-eiendom"]), &c);
        assert_eq!(
            grants[0].roles,
            [(
                "forretningsforer".to_owned(),
                vec!["ESEK".to_owned(), "BRL".to_owned()]
            )]
        );
    }
}
