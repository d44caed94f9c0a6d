//! Altinn's problem codes in one table: each code with its HTTP status and its title as
//! Altinn's authentication component writes it (typos kept: clients may match on titles).
//!
//! Source: `Problem.cs` and `ValidationErrors.cs` of Altinn/altinn-authentication at commit
//! ad4f6f36 (2026-07-17), which agree with spec authentication-api §3.1 and §3.2. AUTH-00029 and
//! AUTH.VLD-00010 do not exist; AUTH.VLD-00014 has two titles in Altinn. The codes from 00100 on
//! are tilgang's own, for checks Altinn does not make; they are marked as such below.

/// One problem code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemCode {
    pub code: &'static str,
    pub status: u16,
    pub title: &'static str,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $status:literal, $title:literal;)*) => {
        $($(#[$doc])* pub const $name: ProblemCode = ProblemCode {
            code: $code,
            status: $status,
            title: $title,
        };)*
        /// Every code, in table order.
        pub const ALL: &[ProblemCode] = &[$($name),*];
    };
}

codes! {
    REPORTEE_ORGNO_NOT_FOUND = "AUTH-00000", 400, "Can't resolve the Organisation Number from the logged in Reportee PartyId.";
    RIGHTS_NOT_FOUND_OR_NOT_DELEGABLE = "AUTH-00001", 400, "One or more Right not found or not delegable.";
    RIGHTS_FAILED_TO_DELEGATE = "AUTH-00002", 400, "The Delegation failed.";
    SYSTEM_USER_FAILED_TO_CREATE = "AUTH-00003", 400, "Failed to create the SystemUser.";
    SYSTEM_USER_ALREADY_EXISTS = "AUTH-00004", 400, "Failed to create new SystemUser, existing SystemUser tied to the given System-Id.";
    GENERIC_END_OF_METHOD = "AUTH-00005", 400, "Default error at the end of logic chain. Not supposed to appear.";
    EXTERNAL_REQUEST_ID_ALREADY_ACCEPTED = "AUTH-00006", 400, "The combination of External Ids refer to an already Accepted SystemUser.";
    EXTERNAL_REQUEST_ID_PENDING = "AUTH-00007", 400, "The combination of External Ids refer to a Pending Request, please reuse or delete.";
    EXTERNAL_REQUEST_ID_DENIED = "AUTH-00008", 400, "The combination of External Ids refer to a Denied Request, please delete and renew the Request.";
    EXTERNAL_REQUEST_ID_REJECTED = "AUTH-00009", 400, "The combination of External Ids refer to a Rejected Request, please delete and renew the Request.";
    REQUEST_NOT_FOUND = "AUTH-00010", 404, "The Id does not refer to a Request in our system.";
    SYSTEM_ID_NOT_FOUND = "AUTH-00011", 404, "The Id does not refer to a Registered System.";
    REQUEST_COULD_NOT_BE_STORED = "AUTH-00012", 404, "An error occured when storing the Request.";
    REQUEST_STATUS_NOT_NEW = "AUTH-00013", 409, "The Status of the Request is not New.";
    UNABLE_TO_DO_DELEGATION_CHECK = "AUTH-00014", 403, "DelegationCheck failed with unknown error.";
    SYSTEM_USER_NOT_FOUND = "AUTH-00015", 404, "The SystemUser was not found.";
    DELEGATION_RIGHT_MISSING_ROLE_ACCESS = "AUTH-00016", 403, "DelegationCheck failed with error: Has not access by a delegation of role in ER or Altinn.";
    SYSTEM_NAME_NOT_FOUND = "AUTH-00017", 404, "The SystemName was not found.";
    DELEGATION_RIGHT_MISSING_DELEGATION_ACCESS = "AUTH-00018", 403, "DelegationCheck failed with error: Has not access by direct delegation.";
    DELEGATION_RIGHT_MISSING_SRR_RIGHT_ACCESS = "AUTH-00019", 403, "DelegationCheck failed with error: The service requires explicit access in SRR and the reportee is missing this.";
    DELEGATION_RIGHT_INSUFFICIENT_AUTHENTICATION_LEVEL = "AUTH-00020", 403, "DelegationCheck failed with error: The service requires explicit authentication level and the reportee is missing this.";
    REDIRECT_URI_NOT_FOUND = "AUTH-00021", 400, "The RedirectUri was not found or not valid.";
    RIGHTS_FAILED_TO_REVOKE = "AUTH-00022", 400, "The operation to revoke rights failed.";
    VENDOR_ORGNO_NOT_FOUND = "AUTH-00023", 401, "Can't resolve the Organisation Number for the Vendor from the Token.";
    DELETE_SYSTEM_USER_NOT_OWNED = "AUTH-00024", 403, "you don't have rights to delete this systemuser";
    NOT_AN_AGENT_REQUEST = "AUTH-00025", 400, "The request id is valid but its not a valid request for creating an agent system user";
    NO_REDIRECT_URIS_FOUND_ON_SYSTEM = "AUTH-00026", 400, "No redirect uris are set for the system";
    ROLE_NOT_FOUND_FOR_PACKAGE = "AUTH-00027", 400, "The accesspackage provided in the request can't be mapped to a valid role.";
    CUSTOMER_ID_NOT_FOUND = "AUTH-00028", 400, "The customer id was not provided or did not validate.";
    AGENT_REQUEST_NOT_FOUND = "AUTH-00030", 404, "The Id does not refer to an AgentRequest in our system.";
    CUSTOMER_DELEGATION_FAILED_TO_REVOKE = "AUTH-00031", 400, "Party does not match delegation facilitator.";
    AGENT_SYSTEM_USER_ASSIGNMENT_NOT_FOUND = "AUTH-00032", 400, "Assignment not found.";
    AGENT_SYSTEM_USER_FAILED_TO_DELETE_AGENT = "AUTH-00033", 400, "Failed to delete the agent system user";
    AGENT_SYSTEM_USER_EXPECTED_AGENT_USER_TYPE = "AUTH-00034", 400, "The system user type of the provided system user GUID is not an agent.";
    AGENT_SYSTEM_USER_HAS_DELEGATIONS = "AUTH-00035", 400, "The system user has delegations from customer. Remove the delegations before deleting the system user";
    AGENT_SYSTEM_USER_EXPECTED_STANDARD_USER_TYPE = "AUTH-00036", 400, "The system user type of the provided system user GUID is not standard.";
    AGENT_SYSTEM_USER_TOO_MANY_ASSIGNMENTS = "AUTH-00037", 400, "To many assignment found";
    AGENT_SYSTEM_USER_DELEGATION_NOT_FOUND = "AUTH-00038", 400, "Delegation not found";
    AGENT_SYSTEM_USER_INVALID_DELEGATION_FACILITATOR = "AUTH-00039", 400, "Party does not match delegation facilitator";
    AGENT_SYSTEM_USER_DELETE_DELEGATION_PARTY_MISMATCH = "AUTH-00040", 400, "Party does not match delegation assignments";
    PARTY_ID_REQUEST_MISMATCH = "AUTH-00041", 403, "Party does not match request's orgno";
    PARTY_ID_AGENT_REQUEST_MISMATCH = "AUTH-00042", 403, "Party does not match agent request's orgno";
    AGENT_SYSTEM_USER_FAILED_TO_GET_CLIENTS_UNAUTHORIZED = "AUTH-00043", 401, "Unauthorized";
    AGENT_SYSTEM_USER_FAILED_TO_GET_CLIENTS_FORBIDDEN = "AUTH-00044", 403, "Forbidden";
    AGENT_SYSTEM_USER_FAILED_TO_GET_CLIENTS = "AUTH-00045", 400, "Failed to get clients";
    SYSTEM_USER_FAILED_TO_GET_ACCESS_PACKAGES = "AUTH-00046", 400, "Failed to get list of accesspackages delegated";
    SYSTEM_USER_FAILED_TO_ADD_AS_RIGHT_HOLDER = "AUTH-00047", 400, "Unable to add system user as right holder to the organisation";
    SYSTEM_USER_FAILED_TO_PUSH_SYSTEM_USER = "AUTH-00048", 400, "Unable to push system user information to access management";
    PARTY_PARTY_UUID_NOT_FOUND = "AUTH-00049", 400, "The party is missing its uuid.";
    ACCESS_PACKAGE_DELEGATION_CHECK_FAILED = "AUTH-00050", 400, "The delegation check failed for access packages";
    ACCESS_PACKAGE_DELEGATION_FAILED = "AUTH-00051", 400, "The delegation of access package to the system user failed";
    ACCESS_PACKAGE_VALIDATION_FAILED = "AUTH-00052", 400, "One or more access packages are invalid";
    ACCESS_PACKAGE_DELEGATION_MISSING_REQUIRED_ACCESS = "AUTH-00053", 400, "The user does not have enough access to delegate the requested access packages";
    SYSTEM_USER_FAILED_TO_REMOVE_RIGHT_HOLDER = "AUTH-00054", 400, "Unable to remove system user as right holder from the organisation";
    ACCESS_PACKAGE_FAILED_TO_GET_DELEGATED_PACKAGES = "AUTH-00055", 500, "Failed to get delegated access packages";
    SYSTEM_USER_FAILED_TO_DELETE = "AUTH-00056", 400, "Failed to delete system user";
    SYSTEM_USER_FAILED_TO_DELETE_ACCESS_PACKAGE = "AUTH-00057", 400, "Failed to delete access package delegation for system user";
    SYSTEM_USER_MISSING_ACCESS_PACKAGE = "AUTH-00058", 400, "No AccessPackages found, an Agent SystemUser must have at least one";
    SYSTEM_USER_MISSING_RIGHTS_OR_ACCESS_PACKAGES = "AUTH-00059", 400, "No AccessPackages or Single Rights found, a SystemUser must have at least one";
    REQUEST_COULD_NOT_BE_UPDATED = "AUTH-00060", 404, "An error occured when Updating the Request.";
    CHANGE_REQUEST_STATUS_NOT_NEW_USE_CORRELLATION_ID = "AUTH-00061", 409, "The Status of the Request is not New. Please generate a new CorrellationId for a new Change Request";
    SYSTEM_USER_FAILED_TO_GET_DELEGATED_RIGHTS = "AUTH-00062", 500, "Failed to get delegated rights";
    ACCESS_PACKAGE_NOT_FOUND = "AUTH-00063", 400, "One or more accesspackage is not found in the referenced system in the System Register.";
    ACCESS_PACKAGE_NOT_DELEGABLE_STANDARD = "AUTH-00064", 400, "One or more access packages cannot be delegated. Either they are intended for clients or they cannot be delegated further.";
    ACCESS_PACKAGE_NOT_DELEGABLE_AGENT = "AUTH-00065", 400, "One or more access packages cannot be delegated because they are not intended for client relationships";
    REQUEST_USER_IS_NOT_ACCESS_MANAGER = "AUTH-00066", 403, "The request requires logged in user to have accessmanager write.";
    SYSTEM_USER_FAILED_TO_ADD_AS_AGENT = "AUTH-00067", 400, "Unable to add system user as agent for the organisation";
    DELEGATION_RIGHT_MISSING_PACKAGE_ACCESS = "AUTH-00068", 403, "DelegationCheck failed with error: Has not access by a delegation of package in Altinn.";
    DELEGATION_RIGHT_ACCESS_LIST_VALIDATION_FAIL = "AUTH-00069", 403, "DelegationCheck failed with error: The receiver does not have the right based on Access List delegation.";
    DELEGATION_RIGHT_RESOURCE_NOT_DELEGABLE = "AUTH-00070", 403, "DelegationCheck failed with error: The resource cannot be delegated to another user or entity.";
    DELEGATION_RIGHT_RESOURCE_IS_MASKINPORTEN_SCHEMA = "AUTH-00071", 403, "DelegationCheck failed with error: The resource is not delegable because it is a Maskinporten schema resource.";
    SELF_IDENTIFIED_LINK_INVALID_CREDENTIALS = "AUTH-00072", 401, "Invalid credentials.";
    SELF_IDENTIFIED_LINK_ACCOUNT_LOCKED = "AUTH-00073", 429, "Account is temporarily locked.";
    SELF_IDENTIFIED_LINK_WRONG_USER_TYPE = "AUTH-00074", 403, "User is not a self identified user.";
    SELF_IDENTIFIED_LINK_MISSING_PARTY_UUID = "AUTH-00075", 400, "Authenticated user has no party UUID.";
    SELF_IDENTIFIED_LINK_INVALID_TOKEN = "AUTH-00076", 401, "Invalid or expired link token.";
    SELF_IDENTIFIED_LINK_TOKEN_NOT_FOR_CALLER = "AUTH-00077", 403, "Link token does not belong to the authenticated user.";
    SELF_IDENTIFIED_LINK_CONNECTION_FAILED = "AUTH-00078", 502, "Failed to create the self-identified user connection.";
    AGENT_SYSTEM_USER_CLIENT_NOT_FOUND = "AUTH-00079", 400, "Client not found.";
    AGENT_SYSTEM_USER_CLIENT_MISSING_ACCESS_PACKAGES = "AUTH-00080", 400, "Client does not have the accesspackages the agent system user requires";
    // Validation errors of the system register (always 400).
    SYSTEM_REGISTER_INVALID_ORG_IDENTIFIER = "AUTH.VLD-00000", 400, "the org number identifier is not valid ISO6523 identifier";
    SYSTEM_REGISTER_INVALID_SYSTEM_ID_FORMAT = "AUTH.VLD-00001", 400, "The system id does not match the format orgnumber_xxxx...";
    SYSTEM_REGISTER_SYSTEM_ID_EXISTS = "AUTH.VLD-00002", 400, "The system id already exists";
    SYSTEM_REGISTER_RESOURCE_ID_DOES_NOT_EXIST = "AUTH.VLD-00003", 400, "One or more resources specified in rights were not found in Altinn's resource register.";
    SYSTEM_REGISTER_CLIENT_ID_EXISTS = "AUTH.VLD-00004", 400, "One of the client id is already tagged with an existing system";
    SYSTEM_REGISTER_INVALID_REDIRECT_URL_FORMAT = "AUTH.VLD-00005", 400, "One or more of the redirect urls format is not valid. The valid format is https://xxx.xx";
    SYSTEM_REGISTER_RESOURCE_ID_DUPLICATES = "AUTH.VLD-00006", 400, "One or more duplicate rights found";
    SYSTEM_REGISTER_ACCESS_PACKAGE_DUPLICATES = "AUTH.VLD-00007", 400, "One or more duplicate access package(s) found";
    SYSTEM_REGISTER_ACCESS_PACKAGE_NOT_VALID = "AUTH.VLD-00008", 400, "One or all the accesspackage(s) is not found in altinn's access packages or is not delegable";
    SYSTEM_REGISTER_RESOURCE_ID_INVALID_FORMAT = "AUTH.VLD-00009", 400, "One or more resource id is in wrong format. The valid format is urn:altinn:resource";
    SYSTEM_REGISTER_DUPLICATE_CLIENT_IDS = "AUTH.VLD-00011", 400, "Request contains duplicate client ids";
    SYSTEM_ID_MISMATCH = "AUTH.VLD-00012", 400, "The system ID in the request body does not match the system ID in the URL";
    SYSTEM_REGISTER_INVALID_SYSTEM_ID_SPACES = "AUTH.VLD-00013", 400, "System ID cannot have spaces in id (leading, trailing or in between the id)";
    SYSTEM_USER_MISSING_SYSTEM_USER_ID = "AUTH.VLD-00014", 400, "The agent query parameter is missing or invalid";
    SYSTEM_USER_SYSTEM_USER_ID_NOT_FOUND = "AUTH.VLD-00014", 400, "System user not found";
    SYSTEM_USER_INVALID_SYSTEM_USER_ID = "AUTH.VLD-00015", 400, "SystemUser is not a valid system user of type agent";
    SYSTEM_USER_MISSING_CLIENT_PARAMETER = "AUTH.VLD-00016", 400, "The client query parameter is missing or invalid";
    SYSTEM_REGISTER_RESOURCE_ID_NOT_DELEGABLE = "AUTH.VLD-00017", 400, "One or more resources specified in rights is of resource type which is not delegable.";
    SYSTEM_REGISTER_IS_VISIBLE_WITH_NON_ASSIGNABLE_ACCESS_PACKAGE = "AUTH.VLD-00018", 400, "Access packages meant for system user for client relations can't be used in combination with the flag isVisible: true";
    // tilgang's own.
    /// tilgang's own (Altinn has no such check).
    SYSTEM_DELETED = "AUTH-00100", 400, "Cannot update a system marked as deleted.";
    /// tilgang's own (Altinn has no such check).
    EXTERNAL_REF_TOO_LONG = "AUTH-00101", 400, "externalRef may be at most 255 characters";
    /// tilgang's own (Altinn has no such check).
    PID_INVALID = "AUTH-00102", 400, "not a valid national identity number";
    /// tilgang's own (Altinn has no such check).
    PERSON_NOT_FOUND = "AUTH-00103", 404, "no such person in the register";
    /// tilgang's own: Altinn answers a plain-text 400 with these words.
    CORRELATION_ID_INVALID = "AUTH-00104", 400, "Missing or invalid QueryParameter: correlation-id. Generate a unique UUID (RFC 4122) for this Change Request, and add as a Query Parameter.";
    /// tilgang's own: Altinn answers a plain-text 400 with these words.
    CORRELATION_ID_IS_SYSTEM_USER_ID = "AUTH-00105", 400, "The correlation-id should not be the same as the system-user-id. Generate a unique id.";
    /// tilgang's own (errata §E.19: Altinn answers a bare 401).
    SYSTEM_USER_OF_OTHER_VENDOR = "AUTH-00106", 403, "The system user belongs to another vendor's system.";
    /// tilgang's own (Altinn's result depends on the order it applies the lists in).
    CHANGE_REQUEST_CONTRADICTS_ITSELF = "AUTH-00107", 400, "A right or access package is both required and unwanted.";
    /// tilgang's own (Altinn has no such check).
    SYSTEM_NAME_INVALID = "AUTH.VLD-00100", 400, "The name must be given in nb, nn and en, each at most 4000 characters";
    /// tilgang's own (Altinn has no such check).
    SYSTEM_DESCRIPTION_INVALID = "AUTH.VLD-00101", 400, "The description must be given in nb, nn and en, each at most 4000 characters";
    /// tilgang's own (Altinn has no such check).
    SYSTEM_TOO_MANY = "AUTH.VLD-00102", 400, "Too many rights, access packages or client ids (at most 1000 of each)";
    /// tilgang's own (Altinn has no such check).
    SYSTEM_CLIENT_ID_INVALID = "AUTH.VLD-00103", 400, "A client id is empty or longer than 255 characters";
    /// tilgang's own (Altinn has no such check).
    SYSTEM_CLIENT_OF_OTHER_ORG = "AUTH.VLD-00104", 400, "One or more client ids belong to a Maskinporten client of another organisation";
}

/// The code `code` (the first of AUTH.VLD-00014's two).
pub fn by_code(code: &str) -> Option<ProblemCode> {
    ALL.iter().copied().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the spec names (authentication-api.md §3.1, §3.2; errata).
    const IN_THE_SPEC: &[&str] = &[
        "AUTH-00000",
        "AUTH-00001",
        "AUTH-00002",
        "AUTH-00003",
        "AUTH-00004",
        "AUTH-00005",
        "AUTH-00006",
        "AUTH-00007",
        "AUTH-00008",
        "AUTH-00009",
        "AUTH-00010",
        "AUTH-00011",
        "AUTH-00012",
        "AUTH-00013",
        "AUTH-00014",
        "AUTH-00015",
        "AUTH-00016",
        "AUTH-00017",
        "AUTH-00018",
        "AUTH-00019",
        "AUTH-00020",
        "AUTH-00021",
        "AUTH-00022",
        "AUTH-00023",
        "AUTH-00024",
        "AUTH-00025",
        "AUTH-00026",
        "AUTH-00027",
        "AUTH-00028",
        "AUTH-00030",
        "AUTH-00031",
        "AUTH-00032",
        "AUTH-00033",
        "AUTH-00034",
        "AUTH-00035",
        "AUTH-00036",
        "AUTH-00037",
        "AUTH-00038",
        "AUTH-00039",
        "AUTH-00040",
        "AUTH-00041",
        "AUTH-00042",
        "AUTH-00043",
        "AUTH-00044",
        "AUTH-00045",
        "AUTH-00046",
        "AUTH-00047",
        "AUTH-00048",
        "AUTH-00049",
        "AUTH-00050",
        "AUTH-00051",
        "AUTH-00052",
        "AUTH-00053",
        "AUTH-00054",
        "AUTH-00055",
        "AUTH-00056",
        "AUTH-00057",
        "AUTH-00058",
        "AUTH-00059",
        "AUTH-00060",
        "AUTH-00061",
        "AUTH-00062",
        "AUTH-00063",
        "AUTH-00064",
        "AUTH-00065",
        "AUTH-00066",
        "AUTH-00067",
        "AUTH-00068",
        "AUTH-00069",
        "AUTH-00070",
        "AUTH-00071",
        "AUTH-00079",
        "AUTH-00080",
        "AUTH.VLD-00000",
        "AUTH.VLD-00001",
        "AUTH.VLD-00002",
        "AUTH.VLD-00003",
        "AUTH.VLD-00004",
        "AUTH.VLD-00005",
        "AUTH.VLD-00006",
        "AUTH.VLD-00007",
        "AUTH.VLD-00008",
        "AUTH.VLD-00009",
        "AUTH.VLD-00011",
        "AUTH.VLD-00012",
        "AUTH.VLD-00013",
        "AUTH.VLD-00014",
        "AUTH.VLD-00015",
        "AUTH.VLD-00016",
        "AUTH.VLD-00017",
        "AUTH.VLD-00018",
    ];

    #[test]
    fn each_code_once_with_a_real_status_and_title() {
        for (i, c) in ALL.iter().enumerate() {
            assert!(
                [400, 401, 403, 404, 409, 429, 500, 502].contains(&c.status),
                "{c:?}"
            );
            assert!(!c.title.is_empty(), "{c:?}");
            let twice = ALL[i + 1..].iter().any(|o| o.code == c.code);
            assert!(!twice || c.code == "AUTH.VLD-00014", "{} twice", c.code);
        }
    }

    #[test]
    fn every_code_of_the_spec_is_in_the_table() {
        for code in IN_THE_SPEC {
            assert!(by_code(code).is_some(), "{code} is not in the table");
        }
        assert_eq!(by_code("AUTH-00029"), None);
    }
}
