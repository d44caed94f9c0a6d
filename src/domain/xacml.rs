//! The XACML 3.0 JSON profile as Altinn's decision point takes it (`POST
//! /authorization/api/v1/authorize`): the request's categories and multi-requests, turned into
//! the questions tilgang can answer, and the response as Altinn writes it (camelCase, nulls
//! kept). Pure: no store, no HTTP.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{OrgNumber, Pid};

pub const ACTION_ID: &str = "urn:oasis:names:tc:xacml:1.0:action:action-id";
pub const SYSTEMUSER_UUID: &str = "urn:altinn:systemuser:uuid";
pub const PERSON_ID: &str = "urn:altinn:person:identifier-no";
pub const USER_ID: &str = "urn:altinn:userid";
pub const RESOURCE_ID: &str = "urn:altinn:resource";
pub const ORG_ID: &str = "urn:altinn:organization:identifier-no";
pub const PARTY_ID: &str = "urn:altinn:partyid";
pub const PARTY_UUID: &str = "urn:altinn:party:uuid";

pub const STATUS_OK: &str = "urn:oasis:names:tc:xacml:1.0:status:ok";
pub const STATUS_MISSING: &str = "urn:oasis:names:tc:xacml:1.0:status:missing-attribute";
pub const STATUS_SYNTAX: &str = "urn:oasis:names:tc:xacml:1.0:status:syntax-error";
pub const STATUS_PROCESSING: &str = "urn:oasis:names:tc:xacml:1.0:status:processing-error";

// ---------------------------------------------------------------------------------------------
// Request (PascalCase as the profile writes it; camelCase accepted too)

#[derive(Debug, Deserialize)]
pub struct RequestRoot {
    #[serde(rename = "Request", alias = "request")]
    pub request: Request,
}

#[derive(Debug, Default, Deserialize)]
pub struct Request {
    #[serde(rename = "AccessSubject", alias = "accessSubject", default)]
    pub access_subject: Vec<Category>,
    #[serde(rename = "Action", alias = "action", default)]
    pub action: Vec<Category>,
    #[serde(rename = "Resource", alias = "resource", default)]
    pub resource: Vec<Category>,
    #[serde(rename = "MultiRequests", alias = "multiRequests", default)]
    pub multi_requests: Option<MultiRequests>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Category {
    #[serde(rename = "Id", alias = "id", default)]
    pub id: Option<String>,
    #[serde(rename = "Attribute", alias = "attribute", default)]
    pub attribute: Vec<Attribute>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Attribute {
    #[serde(rename = "AttributeId", alias = "attributeId")]
    pub attribute_id: String,
    #[serde(rename = "Value", alias = "value")]
    pub value: Value,
    #[serde(rename = "DataType", alias = "dataType", default)]
    pub data_type: Option<String>,
    #[serde(rename = "IncludeInResult", alias = "includeInResult", default)]
    pub include_in_result: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct MultiRequests {
    #[serde(rename = "RequestReference", alias = "requestReference", default)]
    pub request_reference: Vec<RequestReference>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestReference {
    #[serde(rename = "ReferenceId", alias = "referenceId", default)]
    pub reference_id: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Questions

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    SystemUser(Uuid),
    Person(Pid),
    /// `urn:altinn:userid`: in tilgang a person's party id.
    UserId(i64),
}

/// For whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Party {
    Org(OrgNumber),
    PartyId(i64),
    PartyUuid(Uuid),
    Person(Pid),
}

/// One decision to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub subject: Subject,
    pub action: String,
    pub resource: String,
    pub party: Party,
}

/// A request that cannot be a question: the status code and message of its Indeterminate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswerable {
    pub status: &'static str,
    pub message: String,
}

fn unanswerable(status: &'static str, message: impl Into<String>) -> Unanswerable {
    Unanswerable {
        status,
        message: message.into(),
    }
}

/// One individual request: its question (or why there is none) and the attributes to echo.
#[derive(Debug, Clone)]
pub struct Individual {
    pub question: Result<Question, Unanswerable>,
    pub echo: Vec<ResultCategory>,
}

/// At most this many attributes in one category.
pub const MAX_ATTRIBUTES: usize = 32;
/// Longest attribute id, category id or reference id, in bytes.
pub const MAX_ID_LEN: usize = 256;
/// Longest attribute value, in bytes.
pub const MAX_VALUE_LEN: usize = 1024;

/// Why a request is not split into individual requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// More than `max` individual requests or categories of one kind.
    TooMany,
    /// Outside the bounds on attributes and ids: where and what.
    OutOfBounds(String),
}

/// Checks the bounds that keep a decision call's memory and time proportional to its body.
fn check_bounds(request: &Request, max: usize) -> Result<(), Refused> {
    for (kind, cats) in [
        ("AccessSubject", &request.access_subject),
        ("Action", &request.action),
        ("Resource", &request.resource),
    ] {
        if cats.len() > max {
            return Err(Refused::TooMany);
        }
        for (i, c) in cats.iter().enumerate() {
            let at = format!("Request.{kind}[{i}]");
            if c.id.as_ref().is_some_and(|id| id.len() > MAX_ID_LEN) {
                return Err(Refused::OutOfBounds(format!(
                    "{at}.Id is longer than {MAX_ID_LEN} bytes"
                )));
            }
            if c.attribute.len() > MAX_ATTRIBUTES {
                return Err(Refused::OutOfBounds(format!(
                    "{at}.Attribute has {} attributes; at most {MAX_ATTRIBUTES}",
                    c.attribute.len()
                )));
            }
            for (j, a) in c.attribute.iter().enumerate() {
                let value_len = match &a.value {
                    Value::String(v) => v.len(),
                    _ => 0,
                };
                if a.attribute_id.len() > MAX_ID_LEN || value_len > MAX_VALUE_LEN {
                    return Err(Refused::OutOfBounds(format!(
                        "{at}.Attribute[{j}]: ids are at most {MAX_ID_LEN} bytes, values at most {MAX_VALUE_LEN}"
                    )));
                }
            }
        }
    }
    if let Some(m) = &request.multi_requests {
        if m.request_reference.len() > max {
            return Err(Refused::TooMany);
        }
        for (i, r) in m.request_reference.iter().enumerate() {
            if r.reference_id.len() > 8 || r.reference_id.iter().any(|id| id.len() > MAX_ID_LEN) {
                return Err(Refused::OutOfBounds(format!(
                    "Request.MultiRequests.RequestReference[{i}]: at most 8 ids of at most {MAX_ID_LEN} bytes"
                )));
            }
        }
    }
    Ok(())
}

/// Splits a request into its individual requests, in the order of `MultiRequests` (two or more
/// references), or the one request its categories make, within the bounds ([`Refused`]).
pub fn individual_requests(request: &Request, max: usize) -> Result<Vec<Individual>, Refused> {
    check_bounds(request, max)?;
    let refs = request
        .multi_requests
        .as_ref()
        .map(|m| m.request_reference.as_slice())
        .unwrap_or_default();
    if refs.len() < 2 {
        let all = |cats: &[Category]| -> Vec<Category> {
            if cats.is_empty() {
                Vec::new()
            } else {
                vec![Category {
                    id: None,
                    attribute: cats.iter().flat_map(|c| c.attribute.clone()).collect(),
                }]
            }
        };
        let (s, a, r) = (
            all(&request.access_subject),
            all(&request.action),
            all(&request.resource),
        );
        return Ok(vec![individual(s.first(), a.first(), r.first())]);
    }
    // Categories by id (the last one wins, as in Altinn).
    let index = |cats: &[Category]| -> HashMap<String, usize> {
        cats.iter()
            .enumerate()
            .filter_map(|(i, c)| c.id.clone().map(|id| (id, i)))
            .collect()
    };
    let (subjects, actions, resources) = (
        index(&request.access_subject),
        index(&request.action),
        index(&request.resource),
    );
    let find =
        |cats: &'_ [Category], by_id: &HashMap<String, usize>, ids: &[String]| -> Option<usize> {
            ids.iter()
                .filter_map(|id| by_id.get(id).copied())
                .max()
                .filter(|&i| i < cats.len())
        };
    Ok(refs
        .iter()
        .map(|r| {
            let s = find(&request.access_subject, &subjects, &r.reference_id)
                .map(|i| &request.access_subject[i]);
            let a = find(&request.action, &actions, &r.reference_id).map(|i| &request.action[i]);
            let res =
                find(&request.resource, &resources, &r.reference_id).map(|i| &request.resource[i]);
            individual(s, a, res)
        })
        .collect())
}

fn individual(
    subject: Option<&Category>,
    action: Option<&Category>,
    resource: Option<&Category>,
) -> Individual {
    let mut echo = Vec::new();
    for (id, cat) in [
        (
            "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject",
            subject,
        ),
        (
            "urn:oasis:names:tc:xacml:3.0:attribute-category:action",
            action,
        ),
        (
            "urn:oasis:names:tc:xacml:3.0:attribute-category:resource",
            resource,
        ),
    ] {
        let shown: Vec<ResultAttribute> = cat
            .map(|c| c.attribute.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|a| a.include_in_result)
            .map(|a| ResultAttribute {
                attribute_id: a.attribute_id.clone(),
                value: text(&a.value).unwrap_or_default(),
                issuer: None,
                data_type: a
                    .data_type
                    .clone()
                    .unwrap_or_else(|| "http://www.w3.org/2001/XMLSchema#string".into()),
                include_in_result: false,
            })
            .collect();
        if !shown.is_empty() {
            echo.push(ResultCategory {
                category_id: id,
                id: None,
                content: None,
                attribute: shown,
            });
        }
    }
    Individual {
        question: question(subject, action, resource),
        echo,
    }
}

/// A value as text: a string, or a number written as one.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn question(
    subject: Option<&Category>,
    action: Option<&Category>,
    resource: Option<&Category>,
) -> Result<Question, Unanswerable> {
    let attrs = |c: Option<&Category>, kind: &str| -> Result<Vec<(String, String)>, Unanswerable> {
        let c = c.ok_or_else(|| {
            unanswerable(
                STATUS_MISSING,
                format!("the request has no {kind} category"),
            )
        })?;
        c.attribute
            .iter()
            .map(|a| {
                let v = text(&a.value).ok_or_else(|| {
                    unanswerable(
                        STATUS_SYNTAX,
                        format!(
                            "{kind} attribute {}: the value must be a string",
                            a.attribute_id
                        ),
                    )
                })?;
                Ok((a.attribute_id.clone(), v))
            })
            .collect()
    };
    let unknown = |kind: &str, id: &str, known: &[&str]| {
        unanswerable(
            STATUS_SYNTAX,
            format!(
                "unknown {kind} attribute '{id}'; tilgang decides on {}",
                known.join(", ")
            ),
        )
    };

    const SUBJECT_IDS: [&str; 3] = [SYSTEMUSER_UUID, PERSON_ID, USER_ID];
    let subject_attrs = attrs(subject, "AccessSubject")?;
    if let Some((id, _)) = subject_attrs
        .iter()
        .find(|(id, _)| !SUBJECT_IDS.contains(&id.as_str()))
    {
        return Err(unknown("AccessSubject", id, &SUBJECT_IDS));
    }
    let subject = match subject_attrs.as_slice() {
        [] => {
            return Err(unanswerable(
                STATUS_MISSING,
                "the AccessSubject has no attribute",
            ));
        }
        [(id, v)] => match id.as_str() {
            SYSTEMUSER_UUID => Subject::SystemUser(Uuid::parse_str(v).map_err(|_| {
                unanswerable(
                    STATUS_SYNTAX,
                    format!("{SYSTEMUSER_UUID} '{v}' is not a UUID"),
                )
            })?),
            PERSON_ID => Subject::Person(
                v.parse()
                    .map_err(|e| unanswerable(STATUS_SYNTAX, format!("{PERSON_ID} '{v}': {e}")))?,
            ),
            _ => Subject::UserId(v.parse().map_err(|_| {
                unanswerable(STATUS_SYNTAX, format!("{USER_ID} '{v}' is not a number"))
            })?),
        },
        _ => {
            return Err(unanswerable(
                STATUS_SYNTAX,
                "give one subject attribute: a system user, a person or a user id",
            ));
        }
    };

    let action_attrs = attrs(action, "Action")?;
    if let Some((id, _)) = action_attrs.iter().find(|(id, _)| id != ACTION_ID) {
        return Err(unknown("Action", id, &[ACTION_ID]));
    }
    let action = match action_attrs.as_slice() {
        [(_, v)] => v.clone(),
        [] => {
            return Err(unanswerable(
                STATUS_MISSING,
                format!("the Action has no {ACTION_ID}"),
            ));
        }
        _ => return Err(unanswerable(STATUS_SYNTAX, "give one action")),
    };

    const RESOURCE_IDS: [&str; 5] = [RESOURCE_ID, ORG_ID, PARTY_ID, PARTY_UUID, PERSON_ID];
    let resource_attrs = attrs(resource, "Resource")?;
    if let Some((id, _)) = resource_attrs
        .iter()
        .find(|(id, _)| !RESOURCE_IDS.contains(&id.as_str()))
    {
        return Err(unknown("Resource", id, &RESOURCE_IDS));
    }
    let one = |name: &str| -> Result<Option<&String>, Unanswerable> {
        let mut found = resource_attrs.iter().filter(|(id, _)| id == name);
        let first = found.next().map(|(_, v)| v);
        if found.next().is_some() {
            return Err(unanswerable(
                STATUS_SYNTAX,
                format!("the Resource has {name} twice"),
            ));
        }
        Ok(first)
    };
    let resource = one(RESOURCE_ID)?.cloned().ok_or_else(|| {
        unanswerable(STATUS_MISSING, format!("the Resource has no {RESOURCE_ID}"))
    })?;
    // Altinn's order of precedence for the party.
    let party = if let Some(v) = one(PARTY_ID)? {
        Party::PartyId(v.parse().map_err(|_| {
            unanswerable(STATUS_SYNTAX, format!("{PARTY_ID} '{v}' is not a number"))
        })?)
    } else if let Some(v) = one(ORG_ID)? {
        Party::Org(
            v.parse()
                .map_err(|e| unanswerable(STATUS_SYNTAX, format!("{ORG_ID} '{v}': {e}")))?,
        )
    } else if let Some(v) = one(PERSON_ID)? {
        Party::Person(
            v.parse()
                .map_err(|e| unanswerable(STATUS_SYNTAX, format!("{PERSON_ID} '{v}': {e}")))?,
        )
    } else if let Some(v) = one(PARTY_UUID)? {
        Party::PartyUuid(Uuid::parse_str(v).map_err(|_| {
            unanswerable(STATUS_SYNTAX, format!("{PARTY_UUID} '{v}' is not a UUID"))
        })?)
    } else {
        return Err(unanswerable(
            STATUS_MISSING,
            format!(
                "the Resource names no party: give {ORG_ID}, {PARTY_ID}, {PARTY_UUID} or {PERSON_ID}"
            ),
        ));
    };
    Ok(Question {
        subject,
        action,
        resource,
        party,
    })
}

// ---------------------------------------------------------------------------------------------
// Response (camelCase with nulls, as Altinn's ASP.NET serialiser writes it)

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Decision {
    Permit,
    Deny,
    NotApplicable,
    Indeterminate,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Permit,
        Decision::Deny,
        Decision::NotApplicable,
        Decision::Indeterminate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Permit => "Permit",
            Decision::Deny => "Deny",
            Decision::NotApplicable => "NotApplicable",
            Decision::Indeterminate => "Indeterminate",
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionResponse {
    pub response: Vec<DecisionResult>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecisionResult {
    pub decision: Decision,
    pub status: Status,
    #[schema(value_type = Option<Vec<Object>>)]
    pub obligations: Option<Vec<Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub associate_advice: Option<Vec<Value>>,
    pub category: Option<Vec<ResultCategory>>,
    #[schema(value_type = Option<Object>)]
    pub policy_identifier_list: Option<Value>,
    /// tilgang's extension, with `?explain=true`: what gave the Permit, or what was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Why a decision is Indeterminate (Altinn leaves it null).
    pub status_message: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub status_details: Option<Value>,
    pub status_code: StatusCode,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusCode {
    pub value: &'static str,
    #[schema(value_type = Option<Object>)]
    pub status_code: Option<Value>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultCategory {
    pub category_id: &'static str,
    pub id: Option<String>,
    pub content: Option<String>,
    pub attribute: Vec<ResultAttribute>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultAttribute {
    pub attribute_id: String,
    pub value: String,
    pub issuer: Option<String>,
    pub data_type: String,
    pub include_in_result: bool,
}

impl DecisionResult {
    pub fn new(
        decision: Decision,
        status: &'static str,
        message: Option<String>,
        echo: Vec<ResultCategory>,
    ) -> Self {
        DecisionResult {
            decision,
            status: Status {
                status_message: message,
                status_details: None,
                status_code: StatusCode {
                    value: status,
                    status_code: None,
                },
            },
            obligations: None,
            associate_advice: None,
            category: (!echo.is_empty()).then_some(echo),
            policy_identifier_list: None,
            explanation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Vec<Individual> {
        let root: RequestRoot = serde_json::from_value(v).unwrap();
        individual_requests(&root.request, 1000).unwrap()
    }

    fn single(subject: Value, action: &str, resource: Value) -> Value {
        json!({"Request": {
            "AccessSubject": [{"Attribute": subject}],
            "Action": [{"Attribute": [{"AttributeId": ACTION_ID, "Value": action, "DataType": "http://www.w3.org/2001/XMLSchema#string"}]}],
            "Resource": [{"Attribute": resource}]}})
    }

    #[test]
    fn a_single_request_for_a_system_user_on_an_organisation() {
        let su = "8a3b7c1e-1d2f-4e5a-9b6c-7d8e9f0a1b2c";
        let r = parse(single(
            json!([{"AttributeId": SYSTEMUSER_UUID, "Value": su}]),
            "read",
            json!([{"AttributeId": RESOURCE_ID, "Value": "ske-krav", "IncludeInResult": true},
                   {"AttributeId": ORG_ID, "Value": "910493353"}]),
        ));
        let q = r[0].question.clone().unwrap();
        assert_eq!(q.subject, Subject::SystemUser(Uuid::parse_str(su).unwrap()));
        assert_eq!(q.action, "read");
        assert_eq!(q.resource, "ske-krav");
        assert_eq!(q.party, Party::Org("910493353".parse().unwrap()));
        assert_eq!(r[0].echo[0].attribute[0].value, "ske-krav");
    }

    #[test]
    fn camel_case_and_numbers_as_values_are_read_too() {
        let r = parse(json!({"request": {
            "accessSubject": [{"attribute": [{"attributeId": USER_ID, "value": 50001234}]}],
            "action": [{"attribute": [{"attributeId": ACTION_ID, "value": "write"}]}],
            "resource": [{"attribute": [{"attributeId": RESOURCE_ID, "value": "r"}, {"attributeId": PARTY_ID, "value": 5}]}]}}));
        let q = r[0].question.clone().unwrap();
        assert_eq!(
            (q.subject, q.party),
            (Subject::UserId(50001234), Party::PartyId(5))
        );
    }

    #[test]
    fn multi_requests_answer_in_reference_order() {
        let r = parse(json!({"Request": {
            "AccessSubject": [{"Id": "s1", "Attribute": [{"AttributeId": PERSON_ID, "Value": "05827536549"}]}],
            "Action": [{"Id": "a1", "Attribute": [{"AttributeId": ACTION_ID, "Value": "read"}]},
                       {"Id": "a2", "Attribute": [{"AttributeId": ACTION_ID, "Value": "write"}]}],
            "Resource": [{"Id": "r1", "Attribute": [{"AttributeId": RESOURCE_ID, "Value": "x"}, {"AttributeId": ORG_ID, "Value": "910493353"}]}],
            "MultiRequests": {"RequestReference": [{"ReferenceId": ["s1", "a2", "r1"]}, {"ReferenceId": ["s1", "a1", "r1"]}, {"ReferenceId": ["s1", "a9", "r1"]}]}}}));
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].question.as_ref().unwrap().action, "write");
        assert_eq!(r[1].question.as_ref().unwrap().action, "read");
        assert_eq!(r[2].question.as_ref().unwrap_err().status, STATUS_MISSING);
        let root: RequestRoot = serde_json::from_value(json!({"Request": {"MultiRequests": {"RequestReference": [{"ReferenceId": []}, {"ReferenceId": []}, {"ReferenceId": []}]}}})).unwrap();
        assert_eq!(
            individual_requests(&root.request, 2).unwrap_err(),
            Refused::TooMany,
            "over the cap"
        );
        let many = vec![json!({"AttributeId": ORG_ID, "Value": "910493353"}); MAX_ATTRIBUTES + 1];
        let root: RequestRoot =
            serde_json::from_value(json!({"Request": {"Resource": [{"Attribute": many}]}}))
                .unwrap();
        assert!(
            matches!(individual_requests(&root.request, 2), Err(Refused::OutOfBounds(m)) if m.contains("Request.Resource[0].Attribute has 33"))
        );
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        let root: RequestRoot = serde_json::from_value(json!({"Request": {"Action": [{"Attribute": [{"AttributeId": ACTION_ID, "Value": long}]}]}})).unwrap();
        assert!(
            matches!(individual_requests(&root.request, 2), Err(Refused::OutOfBounds(m)) if m.contains("Request.Action[0].Attribute[0]"))
        );
    }

    #[test]
    fn what_cannot_be_asked_says_why() {
        let org = json!({"AttributeId": ORG_ID, "Value": "910493353"});
        let res = json!({"AttributeId": RESOURCE_ID, "Value": "x"});
        let cases = [
            (
                json!([{"AttributeId": "urn:altinn:org", "Value": "skd"}]),
                json!([res, org]),
                STATUS_SYNTAX,
                "unknown AccessSubject attribute 'urn:altinn:org'",
            ),
            (
                json!([{"AttributeId": SYSTEMUSER_UUID, "Value": "nope"}]),
                json!([res, org]),
                STATUS_SYNTAX,
                "not a UUID",
            ),
            (
                json!([{"AttributeId": PERSON_ID, "Value": "123"}]),
                json!([res, org]),
                STATUS_SYNTAX,
                PERSON_ID,
            ),
            (json!([]), json!([res, org]), STATUS_MISSING, "no attribute"),
            (
                json!([{"AttributeId": USER_ID, "Value": "1"}, {"AttributeId": PERSON_ID, "Value": "05827536549"}]),
                json!([res, org]),
                STATUS_SYNTAX,
                "one subject",
            ),
            (
                json!([{"AttributeId": USER_ID, "Value": "1"}]),
                json!([org]),
                STATUS_MISSING,
                RESOURCE_ID,
            ),
            (
                json!([{"AttributeId": USER_ID, "Value": "1"}]),
                json!([res]),
                STATUS_MISSING,
                "names no party",
            ),
            (
                json!([{"AttributeId": USER_ID, "Value": "1"}]),
                json!([res, {"AttributeId": "urn:altinn:app", "Value": "a"}]),
                STATUS_SYNTAX,
                "unknown Resource attribute",
            ),
            (
                json!([{"AttributeId": USER_ID, "Value": {"x": 1}}]),
                json!([res, org]),
                STATUS_SYNTAX,
                "must be a string",
            ),
        ];
        for (subject, resource, status, words) in cases {
            let r = parse(single(subject.clone(), "read", resource));
            let e = r[0].question.clone().unwrap_err();
            assert_eq!(e.status, status, "{subject}: {e:?}");
            assert!(e.message.contains(words), "{subject}: {}", e.message);
        }
    }

    #[test]
    fn the_response_is_camel_case_with_nulls_as_altinn_writes_it() {
        let r = DecisionResult::new(Decision::Permit, STATUS_OK, None, Vec::new());
        assert_eq!(
            serde_json::to_value(DecisionResponse { response: vec![r] }).unwrap(),
            json!({"response": [{"decision": "Permit", "status": {"statusMessage": null, "statusDetails": null,
                "statusCode": {"value": STATUS_OK, "statusCode": null}}, "obligations": null, "associateAdvice": null,
                "category": null, "policyIdentifierList": null}]})
        );
    }
}
