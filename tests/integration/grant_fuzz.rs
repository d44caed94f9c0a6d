//! Property test: the token endpoint's assertion handling answers every input, however
//! malformed, with an RFC 6749 error and never panics or fails as a server error.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{Engine as Db, TestServer};
use proptest::prelude::*;
use serde_json::{Value, json};
use tilgang::services::maskinporten::{GrantFailure, NoSystemUsers, TokenForm};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        prop_oneof![
            Just("RS256"),
            Just("none"),
            Just("HS256"),
            Just("urn:altinn:systemuser"),
            Just("0192:910493353")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("alg".to_owned()),
                    Just("kid".to_owned()),
                    Just("iss".to_owned()),
                    Just("aud".to_owned()),
                    Just("iat".to_owned()),
                    Just("exp".to_owned()),
                    Just("jti".to_owned()),
                    Just("scope".to_owned()),
                    Just("authorization_details".to_owned()),
                    Just("systemuser_org".to_owned()),
                    Just("type".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn assertion() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        "[A-Za-z0-9_.-]{0,300}",
        (
            json_value(),
            json_value(),
            prop::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(h, p, sig)| {
                format!(
                    "{}.{}.{}",
                    B64.encode(h.to_string()),
                    B64.encode(p.to_string()),
                    B64.encode(sig)
                )
            }),
        (json_value(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(p, sig)| {
            let header = json!({"alg": "RS256", "kid": "k"});
            format!(
                "{}.{}.{}",
                B64.encode(header.to_string()),
                B64.encode(p.to_string()),
                B64.encode(sig)
            )
        }),
    ]
}

#[test]
fn arbitrary_assertions_get_oauth_errors() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start(Db::Sqlite));
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(assertion in assertion(), grant_type in prop_oneof![Just(Some("urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned())), Just(None), ".{0,10}".prop_map(Some)])| {
        let form = TokenForm { grant_type, assertion: Some(assertion) };
        let result = runtime.block_on(server.app.maskinporten_grant(&form, &NoSystemUsers));
        prop_assert!(matches!(result, Err(GrantFailure::Grant(_))), "{result:?}");
    });
    runtime.block_on(server.stop());
}
