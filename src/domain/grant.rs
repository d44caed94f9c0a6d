//! The JWT-bearer grant (RFC 7523) as Maskinporten accepts it (spec tokens-idp-delegation §B.2),
//! and the `authorization_details` of type `urn:altinn:systemuser` (§B.2, RFC 9396). Pure
//! checks on an assertion whose signature has been verified; errors are RFC 6749 errors with a
//! description that names the problem.

use serde_json::{Map, Value};

use super::OrgNumber;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const SYSTEMUSER_TYPE: &str = "urn:altinn:systemuser";
/// How far `iat` may be from the server's clock.
pub const MAX_IAT_SKEW_SECS: i64 = 10;
/// Longest allowed `exp − iat`.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 120;

/// A successful token response (RFC 6749 §5.1), as Maskinporten, the embedded ID-porten and
/// Ansattporten, and Studio's provider answer it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// `Bearer` (Studio, like Gitea, writes `bearer`).
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    /// With the `openid` scope (ID-porten, Ansattporten, Studio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Studio only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// A token introspection response (RFC 7662 §2.2): `active` alone for a token that is not.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `Bearer` for an access token, `refresh_token` for a refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

/// The error codes of RFC 6749 §5.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    UnsupportedGrantType,
    /// Maskinporten's own: the system user the grant asks for does not exist (MP-303).
    InvalidAltinnCustomerConfiguration,
}

impl OAuthError {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidAltinnCustomerConfiguration => {
                "invalid_altinn_customer_configuration"
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", .error.as_str())]
pub struct GrantError {
    pub error: OAuthError,
    pub description: String,
}

impl GrantError {
    pub fn new(error: OAuthError, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }

    fn grant(description: impl Into<String>) -> Self {
        Self::new(OAuthError::InvalidGrant, description)
    }
}

/// A request for a system-user token: the customer organisation and, optionally, the vendor's
/// reference for that customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemUserDetail {
    pub org: OrgNumber,
    pub external_ref: Option<String>,
}

/// What a checked assertion asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAssertion {
    pub client_id: String,
    pub jti: String,
    pub exp: i64,
    pub scopes: Vec<String>,
    pub system_user: Option<SystemUserDetail>,
    /// The `resource` claim (audience restriction), when given.
    pub resource: Option<Value>,
    /// The organisation the client acts for through a delegation (`consumer_org`), when it is
    /// not the client's own. Its scopes are checked against the delegations, not the client.
    pub consumer_org: Option<OrgNumber>,
}

/// The client an assertion is checked for: the organisation that owns it and its scopes.
pub struct GrantingClient<'a> {
    pub owner_org: &'a str,
    pub scopes: &'a [String],
}

/// Checks the claims of an assertion against the time `now` (seconds), the issuer it must
/// name as its audience and the client (its scopes, unless it asks for a delegated
/// organisation's token with `consumer_org`).
pub fn check_claims(
    claims: &Map<String, Value>,
    now: i64,
    issuer: &str,
    client: &GrantingClient<'_>,
) -> Result<CheckedAssertion, GrantError> {
    let client_id = string_claim(claims, "iss")?;
    check_audience(claims.get("aud"), issuer)?;

    let iat = number_claim(claims, "iat")?;
    if (iat - now).abs() > MAX_IAT_SKEW_SECS {
        return Err(GrantError::grant(format!(
            "iat is {} seconds {} the server's clock; it must be within {MAX_IAT_SKEW_SECS} seconds",
            (iat - now).abs(),
            if iat > now { "ahead of" } else { "behind" }
        )));
    }
    let exp = number_claim(claims, "exp")?;
    if exp <= now {
        return Err(GrantError::grant(
            "the assertion has expired (exp is in the past)",
        ));
    }
    if exp - iat > MAX_ASSERTION_LIFETIME_SECS {
        return Err(GrantError::grant(format!(
            "the assertion lives {} seconds (exp - iat); at most {MAX_ASSERTION_LIFETIME_SECS} are allowed",
            exp - iat
        )));
    }
    let jti = string_claim(claims, "jti")?;
    if jti.len() > 256 {
        return Err(GrantError::grant("jti is longer than 256 characters"));
    }

    let scope = match claims.get("scope") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(GrantError::new(
                OAuthError::InvalidRequest,
                "scope must be a space-separated string",
            ));
        }
        None => {
            return Err(GrantError::new(
                OAuthError::InvalidScope,
                "the assertion has no scope claim",
            ));
        }
    };
    let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return Err(GrantError::new(
            OAuthError::InvalidScope,
            "the scope claim is empty",
        ));
    }
    let consumer_org = match claims.get("consumer_org") {
        None => None,
        Some(Value::String(s)) => Some(s.parse::<OrgNumber>().map_err(|e| {
            GrantError::new(
                OAuthError::InvalidRequest,
                format!("consumer_org '{s}': {e}"),
            )
        })?),
        Some(_) => {
            return Err(GrantError::new(
                OAuthError::InvalidRequest,
                "consumer_org must be an organisation number as a string",
            ));
        }
    }
    .filter(|org| org.as_str() != client.owner_org);
    let system_user = match claims.get("authorization_details") {
        None => None,
        Some(details) => Some(parse_authorization_details(details)?),
    };
    if consumer_org.is_some() && system_user.is_some() {
        return Err(GrantError::new(
            OAuthError::InvalidRequest,
            "consumer_org cannot be combined with authorization_details: a system-user token is always the vendor's own",
        ));
    }
    let missing: Vec<&str> = scopes
        .iter()
        .filter(|s| consumer_org.is_none() && !client.scopes.contains(s))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(GrantError::new(
            OAuthError::InvalidScope,
            format!(
                "the client is not registered for the scope(s): {}",
                missing.join(" ")
            ),
        ));
    }
    Ok(CheckedAssertion {
        client_id,
        jti,
        exp,
        scopes,
        system_user,
        resource: claims.get("resource").cloned(),
        consumer_org,
    })
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Result<String, GrantError> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(GrantError::grant(format!(
            "the {name} claim must be a non-empty string"
        ))),
        None => Err(GrantError::grant(format!(
            "the assertion has no {name} claim"
        ))),
    }
}

fn number_claim(claims: &Map<String, Value>, name: &str) -> Result<i64, GrantError> {
    match claims.get(name) {
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or_else(|| {
                GrantError::grant(format!(
                    "the {name} claim must be a number of seconds since 1970"
                ))
            }),
        None => Err(GrantError::grant(format!(
            "the assertion has no {name} claim"
        ))),
    }
}

/// `aud` is the issuer, one value (Digdir: "the token-endpoint url as audience is no longer
/// valid"; aud "must only contain a single value"); a missing trailing slash is forgiven.
fn check_audience(aud: Option<&Value>, issuer: &str) -> Result<(), GrantError> {
    let one = match aud {
        Some(Value::String(a)) => Some(a.as_str()),
        Some(Value::Array(list)) if list.len() == 1 => list[0].as_str(),
        Some(Value::Array(list)) if list.len() > 1 => {
            return Err(GrantError::grant(format!(
                "aud must be one value, the issuer {issuer}; it has {}",
                list.len()
            )));
        }
        _ => None,
    };
    let Some(aud) = one else {
        return Err(GrantError::grant(format!(
            "the assertion has no aud claim; use the issuer {issuer}"
        )));
    };
    if aud.trim_end_matches('/') == issuer.trim_end_matches('/') {
        Ok(())
    } else if aud.trim_end_matches('/') == format!("{issuer}token").trim_end_matches('/') {
        Err(GrantError::grant(format!(
            "the token endpoint is no longer valid as audience; use the issuer {issuer}"
        )))
    } else {
        Err(GrantError::grant(format!(
            "aud does not name this Maskinporten; use the issuer {issuer}"
        )))
    }
}

/// `authorization_details` must be a list with one entry of type `urn:altinn:systemuser`.
pub fn parse_authorization_details(details: &Value) -> Result<SystemUserDetail, GrantError> {
    let bad = |d: &str| {
        GrantError::new(
            OAuthError::InvalidRequest,
            format!("authorization_details: {d}"),
        )
    };
    let list = details
        .as_array()
        .ok_or_else(|| bad("must be a JSON array (even for one entry)"))?;
    let [entry] = list.as_slice() else {
        return Err(bad("must hold exactly one entry"));
    };
    let entry = entry
        .as_object()
        .ok_or_else(|| bad("each entry must be a JSON object"))?;
    match entry.get("type").and_then(Value::as_str) {
        Some(SYSTEMUSER_TYPE) => {}
        Some(other) => {
            return Err(bad(&format!(
                "type '{other}' is not supported; use '{SYSTEMUSER_TYPE}'"
            )));
        }
        None => return Err(bad("the entry has no type")),
    }
    let org_claim = entry
        .get("systemuser_org")
        .ok_or_else(|| bad("the entry has no systemuser_org"))?;
    let org = org_claim
        .as_object()
        .filter(|o| o.get("authority").and_then(Value::as_str) == Some("iso6523-actorid-upis"))
        .and_then(|o| o.get("ID").or_else(|| o.get("id")))
        .and_then(Value::as_str)
        .ok_or_else(|| bad("systemuser_org must be {\"authority\": \"iso6523-actorid-upis\", \"ID\": \"0192:<orgno>\"}"))?;
    let org_no = org
        .strip_prefix("0192:")
        .ok_or_else(|| bad("systemuser_org.ID must start with '0192:'"))?;
    let org = org_no
        .parse()
        .map_err(|e| bad(&format!("systemuser_org.ID: {e}")))?;
    let external_ref = match entry.get("externalRef") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) if s.len() <= 255 => Some(s.clone()),
        Some(_) => {
            return Err(bad(
                "externalRef must be a string of at most 255 characters",
            ));
        }
    };
    Ok(SystemUserDetail { org, external_ref })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AUD: &str = "http://h/maskinporten/";

    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({"iss": "c1", "aud": "http://h/maskinporten/", "iat": 1000, "exp": 1100, "jti": "j1", "scope": "a b"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base.as_object().unwrap().clone()
    }

    fn check(extra: Value) -> Result<CheckedAssertion, GrantError> {
        check_claims(
            &claims(extra),
            1000,
            AUD,
            &GrantingClient {
                owner_org: "910493353",
                scopes: &["a".into(), "b".into(), "c".into()],
            },
        )
    }

    #[test]
    fn accepts_a_good_assertion() {
        let c = check(json!({})).unwrap();
        assert_eq!(c.client_id, "c1");
        assert_eq!(c.scopes, ["a", "b"]);
        assert!(c.system_user.is_none());
        assert!(check(json!({"aud": ["http://h/maskinporten/"]})).is_ok());
        assert!(
            check(json!({"aud": "http://h/maskinporten"})).is_ok(),
            "trailing slash optional"
        );
    }

    #[test]
    fn refuses_each_bad_claim_with_its_error() {
        let cases = [
            (
                json!({"aud": "http://evil/"}),
                OAuthError::InvalidGrant,
                "aud",
            ),
            (json!({"aud": null}), OAuthError::InvalidGrant, "aud"),
            (
                json!({"aud": "http://h/maskinporten/token"}),
                OAuthError::InvalidGrant,
                "token endpoint is no longer valid",
            ),
            (
                json!({"aud": ["http://h/maskinporten/", "http://evil/"]}),
                OAuthError::InvalidGrant,
                "one value",
            ),
            (json!({"iat": 1011}), OAuthError::InvalidGrant, "ahead"),
            (
                json!({"iat": 989, "exp": 1050}),
                OAuthError::InvalidGrant,
                "behind",
            ),
            (json!({"iat": "x"}), OAuthError::InvalidGrant, "iat"),
            (json!({"exp": 1000}), OAuthError::InvalidGrant, "expired"),
            (
                json!({"exp": 1121}),
                OAuthError::InvalidGrant,
                "121 seconds",
            ),
            (json!({"jti": null}), OAuthError::InvalidGrant, "jti"),
            (json!({"iss": null}), OAuthError::InvalidGrant, "iss"),
            (json!({"scope": "a d"}), OAuthError::InvalidScope, "d"),
            (json!({"scope": ""}), OAuthError::InvalidScope, "empty"),
            (json!({"scope": null}), OAuthError::InvalidScope, "no scope"),
            (json!({"scope": ["a"]}), OAuthError::InvalidRequest, "scope"),
            (
                json!({"consumer_org": "12345"}),
                OAuthError::InvalidRequest,
                "consumer_org '12345'",
            ),
            (
                json!({"consumer_org": 313872076}),
                OAuthError::InvalidRequest,
                "as a string",
            ),
            (
                json!({"consumer_org": "313872076", "authorization_details": [{"type": SYSTEMUSER_TYPE,
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:313872076"}}]}),
                OAuthError::InvalidRequest,
                "cannot be combined",
            ),
        ];
        for (extra, error, words) in cases {
            let e = check(extra.clone()).unwrap_err();
            assert_eq!(e.error, error, "{extra}: {e}");
            assert!(e.description.contains(words), "{extra}: {e}");
        }
    }

    #[test]
    fn a_delegated_consumer_skips_the_client_scopes_and_the_own_one_does_not() {
        let delegated = check(json!({"consumer_org": "313872076", "scope": "x:y"})).unwrap();
        assert_eq!(
            delegated.consumer_org.map(|o| o.as_str().to_owned()),
            Some("313872076".into())
        );
        assert_eq!(delegated.scopes, ["x:y"]);
        let own = check(json!({"consumer_org": "910493353"})).unwrap();
        assert!(
            own.consumer_org.is_none(),
            "the client's own organisation is no delegation"
        );
        let e = check(json!({"consumer_org": "910493353", "scope": "x:y"})).unwrap_err();
        assert_eq!(e.error, OAuthError::InvalidScope);
    }

    #[test]
    fn reads_system_user_details_with_id_in_either_case() {
        for key in ["ID", "id"] {
            let d = json!([{"type": SYSTEMUSER_TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", key: "0192:910493353"}, "externalRef": "kunde-1"}]);
            let c = check(json!({"authorization_details": d})).unwrap();
            let su = c.system_user.unwrap();
            assert_eq!(su.org.as_str(), "910493353");
            assert_eq!(su.external_ref.as_deref(), Some("kunde-1"));
        }
    }

    #[test]
    fn refuses_malformed_authorization_details() {
        let org = json!({"authority": "iso6523-actorid-upis", "ID": "0192:910493353"});
        let cases = [
            json!({"type": SYSTEMUSER_TYPE, "systemuser_org": org}),
            json!([]),
            json!([1]),
            json!([{"systemuser_org": org}]),
            json!([{"type": "urn:other", "systemuser_org": org}]),
            json!([{"type": SYSTEMUSER_TYPE}]),
            json!([{"type": SYSTEMUSER_TYPE, "systemuser_org": {"authority": "x", "ID": "0192:910493353"}}]),
            json!([{"type": SYSTEMUSER_TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "910493353"}}]),
            json!([{"type": SYSTEMUSER_TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:910493354"}}]),
            json!([{"type": SYSTEMUSER_TYPE, "systemuser_org": org, "externalRef": 5}]),
            json!([{"type": SYSTEMUSER_TYPE, "systemuser_org": org}, {"type": SYSTEMUSER_TYPE, "systemuser_org": org}]),
        ];
        for d in cases {
            let e = check(json!({"authorization_details": d.clone()})).unwrap_err();
            assert_eq!(e.error, OAuthError::InvalidRequest, "{d}: {e}");
            assert!(e.description.starts_with("authorization_details"), "{e}");
        }
    }
}
