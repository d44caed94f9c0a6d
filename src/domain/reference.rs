//! Reference data from the central registers (DESIGN §7): organisations, persons, roles, the
//! access-package catalogue and the resource registry.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::urn::{AccessPackageUrn, ResourceId, RoleCode};
use super::{Localized, OrgNumber, Pid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub org_no: OrgNumber,
    pub name: String,
    pub org_form: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub pid: Pid,
    pub name: String,
}

/// A party named by its public identifier: organisations by org number, persons by pid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartyRef {
    Org(OrgNumber),
    Person(Pid),
}

impl FromStr for PartyRef {
    type Err = String;

    /// Nine digits name an organisation, eleven a person.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.len() {
            9 => s.parse().map(PartyRef::Org).map_err(|e| e.to_string()),
            11 => s.parse().map(PartyRef::Person).map_err(|e| e.to_string()),
            _ => Err("a party is an organisation number (9 digits) or a national identity number (11 digits)".into()),
        }
    }
}

impl fmt::Display for PartyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartyRef::Org(o) => o.fmt(f),
            PartyRef::Person(p) => p.fmt(f),
        }
    }
}

/// `from` (an organisation) has `to` as holder of `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub role: RoleCode,
    pub from: OrgNumber,
    pub to: PartyRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessPackage {
    #[schema(value_type = String, example = "urn:altinn:accesspackage:regnskapsforer-lonn")]
    pub urn: AccessPackageUrn,
    pub name: Localized,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    pub is_delegable: bool,
    pub is_assignable: bool,
    /// Holders of these client roles for an organisation get this package for it.
    pub client_roles: Vec<ClientRole>,
}

impl AccessPackage {
    /// Whether a client of organisation form `org_form` gives this package to whoever holds
    /// `role` for it.
    pub fn granted_by(&self, role: &str, org_form: &str) -> bool {
        self.client_roles.iter().any(|c| c.grants(role, org_form))
    }
}

/// A client role that grants an access package (DESIGN §7), possibly only when the client has
/// one of some organisation forms (`forretningsforer` only for ESEK and BRL). Written as the
/// bare role code when it holds for every form, as `{"role", "orgForms"}` otherwise.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "RawClientRole")]
pub struct ClientRole {
    pub role: RoleCode,
    /// Empty: every organisation form.
    pub org_forms: Vec<String>,
}

impl ClientRole {
    pub fn grants(&self, role: &str, org_form: &str) -> bool {
        self.role.as_str() == role
            && (self.org_forms.is_empty() || self.org_forms.iter().any(|f| f == org_form))
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum RawClientRole {
    Code(String),
    Limited {
        role: String,
        #[serde(rename = "orgForms", default)]
        org_forms: Vec<String>,
    },
}

impl TryFrom<RawClientRole> for ClientRole {
    type Error = String;

    fn try_from(raw: RawClientRole) -> Result<Self, Self::Error> {
        let (role, org_forms) = match raw {
            RawClientRole::Code(role) => (role, Vec::new()),
            RawClientRole::Limited { role, org_forms } => (role, org_forms),
        };
        let role = role.parse::<RoleCode>().map_err(|e| e.to_string())?;
        if let Some(bad) = org_forms
            .iter()
            .find(|f| f.is_empty() || f.len() > 10 || !f.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(format!(
                "orgForms holds '{bad}'; an organisation form is a short code such as AS, ESEK or BRL"
            ));
        }
        Ok(Self { role, org_forms })
    }
}

impl Serialize for ClientRole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if self.org_forms.is_empty() {
            return s.serialize_str(self.role.as_str());
        }
        let mut st = s.serialize_struct("ClientRole", 2)?;
        st.serialize_field("role", self.role.as_str())?;
        st.serialize_field("orgForms", &self.org_forms)?;
        st.end()
    }
}

/// The role code alone, or the role with the organisation forms it is limited to.
impl utoipa::PartialSchema for ClientRole {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let string = || ObjectBuilder::new().schema_type(Type::String);
        OneOfBuilder::new()
            .item(string())
            .item(
                ObjectBuilder::new()
                    .property("role", string())
                    .property("orgForms", ArrayBuilder::new().items(string()))
                    .required("role")
                    .required("orgForms"),
            )
            .into()
    }
}

impl utoipa::ToSchema for ClientRole {}

/// A client organisation gave a facilitator an access package directly (AM's
/// `rettighetshaver`), rather than through a client role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDelegation {
    pub from: OrgNumber,
    pub to: OrgNumber,
    pub package: AccessPackageUrn,
}

/// What the decision API needs of a resource: its owner's org code, the actions it knows, and
/// the access packages whose holders may perform them (DESIGN §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    pub owner: Option<String>,
    pub actions: Vec<String>,
    pub access_packages: Vec<AccessPackageUrn>,
}

impl Default for ResourcePolicy {
    fn default() -> Self {
        Self {
            owner: None,
            actions: vec!["read".into()],
            access_packages: Vec::new(),
        }
    }
}

/// A service owner: an organisation with an Altinn org code (`urn:altinn:org`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOwner {
    pub code: String,
    pub org_no: OrgNumber,
    pub name: Localized,
}

/// Whether `code` is an Altinn org code: 2 to 20 lower-case letters and digits.
pub fn is_org_code(code: &str) -> bool {
    (2..=20).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether `action` is an action name: 1 to 50 of `a-z`, `0-9`, `-`, `_`, starting with a letter.
pub fn is_action(action: &str) -> bool {
    (1..=50).contains(&action.len())
        && action.as_bytes()[0].is_ascii_lowercase()
        && action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The consumer organisation lets the supplier's Maskinporten clients ask for tokens with
/// these scopes on its behalf (Altinn's API delegation; `consumer_org` in the assertion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDelegation {
    pub consumer: OrgNumber,
    pub supplier: OrgNumber,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum ResourceType {
    GenericAccessResource,
    AltinnApp,
    MaskinportenSchema,
    Systemresource,
    Consent,
    CorrespondenceService,
    BrokerService,
}

impl ResourceType {
    pub const ALL: [ResourceType; 7] = [
        ResourceType::GenericAccessResource,
        ResourceType::AltinnApp,
        ResourceType::MaskinportenSchema,
        ResourceType::Systemresource,
        ResourceType::Consent,
        ResourceType::CorrespondenceService,
        ResourceType::BrokerService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::GenericAccessResource => "GenericAccessResource",
            ResourceType::AltinnApp => "AltinnApp",
            ResourceType::MaskinportenSchema => "MaskinportenSchema",
            ResourceType::Systemresource => "Systemresource",
            ResourceType::Consent => "Consent",
            ResourceType::CorrespondenceService => "CorrespondenceService",
            ResourceType::BrokerService => "BrokerService",
        }
    }
}

impl FromStr for ResourceType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|t| t.as_str()).collect();
                format!("resourceType must be one of {}", names.join(", "))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    #[schema(value_type = String, example = "ske-krav-og-betalinger")]
    pub identifier: ResourceId,
    pub title: Localized,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    pub resource_type: ResourceType,
    pub delegable: bool,
}
