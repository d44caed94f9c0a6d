//! The OAuth scopes tilgang's APIs check, in one place, as Altinn and Digdir name them.

/// The end-user portal (a person's platform token from the ID-porten exchange).
pub const PORTAL_ENDUSER: &str = "altinn:portal/enduser";
/// A vendor registers and changes its systems.
pub const SYSTEMREGISTER_WRITE: &str = "altinn:authentication/systemregister.write";
/// Any system in the register (Digdir's administrators).
pub const SYSTEMREGISTER_ADMIN: &str = "altinn:authentication/systemregister.admin";
/// A vendor asks for system users.
pub const SYSTEMUSER_REQUEST_WRITE: &str = "altinn:authentication/systemuser.request.write";
/// A vendor reads its requests and system users.
pub const SYSTEMUSER_REQUEST_READ: &str = "altinn:authentication/systemuser.request.read";
/// Every system user (Digdir's administrators).
pub const SYSTEMUSER_ADMIN: &str = "altinn:authentication/systemuser.admin";
/// Maskinporten looks up a system user when it issues a system-user token.
pub const MASKINPORTEN_SYSTEMUSER_READ: &str = "altinn:maskinporten/systemuser.read";
/// The central register's import and administration.
pub const REGISTER_ADMIN: &str = "altinn:register/admin";
/// Maskinporten's self-service API: register and change clients.
pub const DCR_WRITE: &str = "idporten:dcr.write";
/// Maskinporten's self-service API: read clients.
pub const DCR_READ: &str = "idporten:dcr.read";
/// tilgang's operator API (audit log, Studio organisations).
pub const TILGANG_ADMIN: &str = "tilgang:admin";
/// A resource owner asks the decision API.
pub const AUTHORIZE: &str = "altinn:authorization/authorize";
/// Altinn's administrators of the decision API.
pub const AUTHORIZE_ADMIN: &str = "altinn:authorization/authorize.admin";
/// A person's vendor-built tool reading the clients of agent system users.
pub const CLIENT_DELEGATIONS_READ: &str = "altinn:clientdelegations.read";
/// A person's vendor-built tool adding and removing clients of agent system users.
pub const CLIENT_DELEGATIONS_WRITE: &str = "altinn:clientdelegations.write";

/// RFC 6749 §3.3 scope-token characters, with a sane length.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}
