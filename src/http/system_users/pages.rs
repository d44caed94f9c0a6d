//! What the approval page and the portal show alike: rights and access packages in the reader's
//! words, and the words for them.

use std::collections::HashMap;

use crate::domain::system::{PackageRef, Right};
use crate::http::html::{Lang, texts};
use crate::services::system_user_queries::ReferenceNames;

/// A resource or access package: its name for people and its id.
pub struct Named {
    pub name: String,
    pub id: String,
}

/// The rights (one entry per resource) and the access packages, each by name; the id stands
/// in for a name the reference data does not have.
pub fn named(
    names: &ReferenceNames,
    lang: Lang,
    rights: &[Right],
    packages: &[PackageRef],
) -> (Vec<Named>, Vec<Named>) {
    let rights = rights
        .iter()
        .flat_map(|r| &r.resource)
        .map(|pair| Named {
            name: names
                .resources
                .get(&pair.value)
                .map(|t| t.get(lang.code()).to_owned())
                .unwrap_or_else(|| pair.value.clone()),
            id: pair.value.clone(),
        })
        .collect();
    let packages = packages
        .iter()
        .map(|p| Named {
            name: names
                .packages
                .get(&p.urn)
                .map(|n| n.get(lang.code()).to_owned())
                .unwrap_or_else(|| p.urn.clone()),
            id: p.urn.clone(),
        })
        .collect();
    (rights, packages)
}

/// A text of the system register (`name`, `description`) in `lang`, bokmål when missing.
pub fn localized(map: &HashMap<String, String>, lang: Lang) -> String {
    map.get(lang.code())
        .or_else(|| map.get("nb"))
        .cloned()
        .unwrap_or_default()
}

texts! {
    pub struct RightsTexts {
        gets_rights: ["Systemet får disse tilgangene", "Systemet får desse tilgangane", "The system gets these rights"],
        package: ["Tilgangspakke:", "Tilgangspakke:", "Access package:"],
        org_no: ["org.nr.", "org.nr.", "org. no."],
        show_ids: ["Vis tekniske ID-er", "Vis tekniske ID-ar", "Show technical ids"],
        vendor: ["leverandør", "leverandør", "vendor"],
        back: ["Tilbake", "Tilbake", "Back"],
        cancel: ["Avbryt", "Avbryt", "Cancel"],
        my_login: ["Min innlogging", "Mi innlogging", "My log-in"],
        invalid_form: ["Ugyldig skjema", "Ugyldig skjema", "Invalid form"],
    }
}
