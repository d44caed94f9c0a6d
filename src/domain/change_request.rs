//! Change requests (spec authentication-api §1.4, §2.3, §3.5; errata §E): a vendor asks for
//! rights and access packages to be added to (`required`) or removed from (`unwanted`) an
//! approved standard system user. What is asked, what it would change against what the system
//! user holds, and the set it holds after approval.

use super::problem_codes as codes;
use super::request::{
    RequestProblem, check_packages_in_system, check_rights_in_system, same_right,
};
use super::system::{PackageRef, Right, System};

/// The most entries an unwanted list may have (a system has far fewer rights and packages).
pub const MAX_UNWANTED: usize = 200;

/// The four lists of a change request.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub required_rights: &'a [Right],
    pub unwanted_rights: &'a [Right],
    pub required_packages: &'a [PackageRef],
    pub unwanted_packages: &'a [PackageRef],
}

impl Change<'_> {
    /// All four lists are empty: Altinn's `NoChangeNeeded` (errata §E.15), the only case that
    /// gets it (a change the system user already satisfies is stored and approved as a no-op).
    pub fn is_empty(&self) -> bool {
        self.required_rights.is_empty()
            && self.unwanted_rights.is_empty()
            && self.required_packages.is_empty()
            && self.unwanted_packages.is_empty()
    }

    /// §2.3 C1 step 8: what is required must be the system's (AUTH-00001, AUTH-00063) and the
    /// packages assignable (AUTH-00064); each list only when it is not empty. The unwanted
    /// lists are not checked (removing what is not held changes nothing). A right or package
    /// both required and unwanted is refused (AUTH-00107): Altinn's answer depends on the order
    /// it applies the lists in.
    pub fn check(
        &self,
        system: &System,
        is_assignable: impl Fn(&str) -> Option<bool>,
    ) -> Result<(), RequestProblem> {
        // The required lists are bounded by the system's first; the contradiction check below
        // then compares at most (the system's size × MAX_UNWANTED) pairs.
        if !self.required_rights.is_empty() {
            check_rights_in_system(self.required_rights, system)?;
        }
        if !self.required_packages.is_empty() {
            check_packages_in_system(self.required_packages, system, is_assignable)?;
        }
        let contradicts = self
            .required_rights
            .iter()
            .any(|r| self.unwanted_rights.iter().any(|u| same_right(r, u)))
            || self
                .required_packages
                .iter()
                .any(|p| self.unwanted_packages.contains(p));
        if contradicts {
            return Err(codes::CHANGE_REQUEST_CONTRADICTS_ITSELF.into());
        }
        Ok(())
    }

    /// The unwanted lists are not checked against anything (Altinn's rule), so they are
    /// bounded here: a list longer than [`MAX_UNWANTED`] cannot name what a system user holds
    /// any more than a shorter one, and would only cost time and storage.
    pub fn too_long(&self) -> Option<&'static str> {
        if self.unwanted_rights.len() > MAX_UNWANTED {
            Some("unwantedRights")
        } else if self.unwanted_packages.len() > MAX_UNWANTED {
            Some("unwantedAccessPackages")
        } else {
            None
        }
    }

    /// What approval would change for a system user that holds `rights` and `packages`.
    pub fn diff(&self, rights: &[Right], packages: &[PackageRef]) -> Diff {
        let holds_right = |r: &Right| rights.iter().any(|h| same_right(h, r));
        Diff {
            add_rights: unique_rights(self.required_rights.iter().filter(|r| !holds_right(r))),
            remove_rights: unique_rights(self.unwanted_rights.iter().filter(|r| holds_right(r))),
            add_packages: unique_packages(
                self.required_packages
                    .iter()
                    .filter(|p| !packages.contains(p)),
            ),
            remove_packages: unique_packages(
                self.unwanted_packages
                    .iter()
                    .filter(|p| packages.contains(p)),
            ),
        }
    }

    /// The rights and packages after approval: what is held, with what is required and not
    /// held added at the end, and what is unwanted taken out.
    pub fn apply(
        &self,
        rights: &[Right],
        packages: &[PackageRef],
    ) -> (Vec<Right>, Vec<PackageRef>) {
        let diff = self.diff(rights, packages);
        let mut after_rights: Vec<Right> = rights
            .iter()
            .filter(|r| !diff.remove_rights.iter().any(|u| same_right(u, r)))
            .cloned()
            .collect();
        after_rights.extend(diff.add_rights);
        let mut after_packages: Vec<PackageRef> = packages
            .iter()
            .filter(|p| !diff.remove_packages.contains(p))
            .cloned()
            .collect();
        after_packages.extend(diff.add_packages);
        (after_rights, after_packages)
    }
}

/// What approving a change request adds and removes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub add_rights: Vec<Right>,
    pub remove_rights: Vec<Right>,
    pub add_packages: Vec<PackageRef>,
    pub remove_packages: Vec<PackageRef>,
}

impl Diff {
    /// Approval would change nothing.
    pub fn is_empty(&self) -> bool {
        self.add_rights.is_empty()
            && self.remove_rights.is_empty()
            && self.add_packages.is_empty()
            && self.remove_packages.is_empty()
    }
}

fn unique_rights<'a>(rights: impl Iterator<Item = &'a Right>) -> Vec<Right> {
    let mut out: Vec<Right> = Vec::new();
    for r in rights {
        if !out.iter().any(|o| same_right(o, r)) {
            out.push(r.clone());
        }
    }
    out
}

fn unique_packages<'a>(packages: impl Iterator<Item = &'a PackageRef>) -> Vec<PackageRef> {
    let mut out: Vec<PackageRef> = Vec::new();
    for p in packages {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::system::AttributePair;

    fn right(value: &str) -> Right {
        Right {
            action: None,
            resource: vec![AttributePair {
                id: "urn:altinn:resource".into(),
                value: value.into(),
            }],
        }
    }

    fn package(name: &str) -> PackageRef {
        PackageRef {
            urn: format!("urn:altinn:accesspackage:{name}"),
        }
    }

    fn change<'a>(
        required_rights: &'a [Right],
        unwanted_rights: &'a [Right],
        required_packages: &'a [PackageRef],
        unwanted_packages: &'a [PackageRef],
    ) -> Change<'a> {
        Change {
            required_rights,
            unwanted_rights,
            required_packages,
            unwanted_packages,
        }
    }

    #[test]
    fn approval_adds_what_is_missing_and_removes_what_is_unwanted() {
        let held_rights = [right("a")];
        let held_packages = [package("p"), package("q")];
        let required = [right("a"), right("b"), right("b")];
        let unwanted_packages = [package("q"), package("never-held")];
        let required_packages = [package("r")];
        let c = change(&required, &[], &required_packages, &unwanted_packages);
        let diff = c.diff(&held_rights, &held_packages);
        assert_eq!(
            diff.add_rights,
            [right("b")],
            "held and repeated rights are not added twice"
        );
        assert_eq!(
            diff.remove_packages,
            [package("q")],
            "what is not held is not removed"
        );
        assert_eq!(diff.add_packages, [package("r")]);
        let (rights, packages) = c.apply(&held_rights, &held_packages);
        assert_eq!(rights, [right("a"), right("b")]);
        assert_eq!(packages, [package("p"), package("r")]);
    }

    #[test]
    fn a_change_already_satisfied_changes_nothing_and_an_empty_one_is_no_change_needed() {
        let held = [right("a")];
        let c = change(&held, &[], &[], &[]);
        assert!(!c.is_empty());
        assert!(c.diff(&held, &[]).is_empty());
        assert_eq!(c.apply(&held, &[]), (held.to_vec(), vec![]));
        assert!(change(&[], &[], &[], &[]).is_empty());
    }

    #[test]
    fn required_and_unwanted_at_once_is_refused() {
        let system = System {
            rights: vec![right("a")],
            access_packages: vec![package("p")],
            ..System::default()
        };
        let both = [right("a")];
        let err = change(&both, &both, &[], &[])
            .check(&system, |_| Some(true))
            .unwrap_err();
        assert_eq!(err.code, "AUTH-00107");
        let both = [package("p")];
        let err = change(&[], &[], &both, &both)
            .check(&system, |_| Some(true))
            .unwrap_err();
        assert_eq!(err.code, "AUTH-00107");
    }

    #[test]
    fn what_is_required_must_be_the_systems_and_assignable() {
        let system = System {
            rights: vec![right("a")],
            access_packages: vec![package("p"), package("client-only")],
            ..System::default()
        };
        let ok = |u: &str| Some(!u.ends_with("client-only"));
        assert!(
            change(
                &[right("a")],
                &[right("z")],
                &[package("p")],
                &[package("z")]
            )
            .check(&system, ok)
            .is_ok()
        );
        let err = change(&[right("b")], &[], &[], &[])
            .check(&system, ok)
            .unwrap_err();
        assert_eq!(err.code, "AUTH-00001");
        let err = change(&[], &[], &[package("x")], &[])
            .check(&system, ok)
            .unwrap_err();
        assert_eq!(err.code, "AUTH-00063");
        let err = change(&[], &[], &[package("client-only")], &[])
            .check(&system, ok)
            .unwrap_err();
        assert_eq!(err.code, "AUTH-00064");
    }
}
