//! A vendor end to end against the embedded Maskinporten: its own key, a client registered
//! through the self-service API, JWT-bearer grants, protected calls, the token exchange, and
//! every bad assertion refused with its RFC 6749 error.

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{Engine, TestServer, claims_of, problem};
use serde_json::{Value, json};
use tilgang::jose::{RsaSigningKey, sign_compact};

const VENDOR: &str = "317219253";
const OTHER_ORG: &str = "315034698";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct Vendor {
    key: RsaSigningKey,
    client_id: String,
    dcr_token: String,
}

async fn register_vendor(s: &TestServer, scopes: Value) -> Vendor {
    let key = RsaSigningKey::generate("vendor-key-1".into()).unwrap();
    let dcr_token = s
        .enterprise_token(VENDOR, "idporten:dcr.write idporten:dcr.read")
        .await;
    let res = s
        .post_json(
            "/selvbetjening/api/v1/clients",
            &dcr_token,
            &json!({"client_name": "Regnskapssystemet integrasjon", "description": "Henter systembrukertokens",
                    "scopes": scopes, "integration_type": "maskinporten",
                    "token_endpoint_auth_method": "private_key_jwt", "grant_types": [JWT_BEARER]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let client: Value = res.json().await.unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    assert_eq!(client["client_orgno"], VENDOR);
    let res = s
        .post_json(
            &format!("/selvbetjening/api/v1/clients/{client_id}/jwks"),
            &dcr_token,
            &json!({"keys": [key.public().jwk()]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    Vendor {
        key,
        client_id,
        dcr_token,
    }
}

impl Vendor {
    fn claims(&self, s: &TestServer, extra: Value) -> Value {
        let now = s.clock.now() / 1_000_000;
        let mut claims = json!({
            "iss": self.client_id, "sub": self.client_id, "aud": format!("{}/maskinporten/", s.base),
            "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(), "scope": "idporten:dcr.read",
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    }

    fn assertion(&self, s: &TestServer, extra: Value) -> String {
        sign_compact(&self.key, &self.claims(s, extra)).unwrap()
    }
}

/// A JWT with any header, signed RS256 by `key`.
fn signed_with_header(key: &RsaSigningKey, header: Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = key.sign_rs256(input.as_bytes()).unwrap();
    format!("{input}.{}", B64.encode(sig))
}

async fn grant(s: &TestServer, assertion: &str) -> reqwest::Response {
    s.client
        .post(s.url("/maskinporten/token"))
        .form(&[("grant_type", JWT_BEARER), ("assertion", assertion)])
        .send()
        .await
        .unwrap()
}

async fn refused(res: reqwest::Response, status: u16, error: &str, words: &str) {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(words),
        "expected '{words}' in: {description}"
    );
}

engine_tests! {
    /// Issue 16, item 13: a service owner's exchanged token names its org code; in a test
    /// environment (`?test=true`) Digdir is `ttd`.
    async fn service_owners_get_their_org_code_in_the_exchange(engine: Engine) {
        let s = TestServer::start(engine).await;
        let v = register_vendor(&s, json!(["altinn:serviceowner/instances.read"])).await;
        let exchange = |query: &'static str, token: String| {
            let c = s.client.clone();
            let url = s.url(&format!("/authentication/api/v1/exchange/maskinporten{query}"));
            async move { c.get(url).bearer_auth(token).send().await.unwrap() }
        };
        let mp = || {
            let assertion = v.assertion(&s, json!({"scope": "altinn:serviceowner/instances.read"}));
            let s = &s;
            async move { grant(s, &assertion).await.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned() }
        };
        // Not a service owner yet: no org code.
        let platform = exchange("", mp().await).await.text().await.unwrap();
        assert!(claims_of(&platform).get("urn:altinn:org").is_none());
        // The operator makes the vendor's Studio organisation a service owner.
        let mut tx = s.app.store.begin().await.unwrap();
        let new = tilgang::store::studio::NewOrg { name: "regnskap", full_name: "Regnskapssystemet AS", org_number: Some(VENDOR), service_owner: true, description: "" };
        tilgang::store::studio::insert_org(&mut tx, &new, &["tt02", "production"], 0).await.unwrap();
        tx.commit().await.unwrap();
        let platform = exchange("", mp().await).await.text().await.unwrap();
        assert_eq!(claims_of(&platform)["urn:altinn:org"], "regnskap");
        s.stop().await;
    }

    async fn digdir_is_ttd_in_a_test_environment(engine: Engine) {
        let s = TestServer::start(engine).await;
        let key = RsaSigningKey::generate("digdir-key".into()).unwrap();
        let dcr = s.enterprise_token("991825827", "idporten:dcr.write").await;
        let client: Value = s.post_json("/selvbetjening/api/v1/clients", &dcr, &json!({"client_name": "Digdir", "description": "d", "scopes": ["altinn:serviceowner/instances.read"]})).await.json().await.unwrap();
        let client_id = client["client_id"].as_str().unwrap().to_owned();
        s.post_json(&format!("/selvbetjening/api/v1/clients/{client_id}/jwks"), &dcr, &json!({"keys": [key.public().jwk()]})).await;
        let now = s.clock.now() / 1_000_000;
        let claims = json!({"iss": client_id, "aud": format!("{}/maskinporten/", s.base), "iat": now, "exp": now + 60,
            "jti": uuid::Uuid::new_v4().to_string(), "scope": "altinn:serviceowner/instances.read"});
        let mp: Value = grant(&s, &sign_compact(&key, &claims).unwrap()).await.json().await.unwrap();
        let mp = mp["access_token"].as_str().unwrap();
        let platform = s.get_auth("/authentication/api/v1/exchange/maskinporten?test=true", mp).await.text().await.unwrap();
        assert_eq!(claims_of(&platform)["urn:altinn:org"], "ttd");
        let platform = s.get_auth("/authentication/api/v1/exchange/maskinporten", mp).await.text().await.unwrap();
        assert!(claims_of(&platform).get("urn:altinn:org").is_none(), "Digdir is no service owner in the register here");
        s.stop().await;
    }
}

engine_tests! {
    async fn vendor_end_to_end(engine: Engine) {
        let s = TestServer::start(engine).await;
        let discovery: Value = s
            .get("/maskinporten/.well-known/oauth-authorization-server")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], format!("{}/maskinporten/", s.base));
        assert_eq!(
            discovery["token_endpoint"],
            format!("{}/maskinporten/token", s.base)
        );

        let vendor = register_vendor(
            &s,
            json!([
                "idporten:dcr.read",
                "altinn:authentication/systemuser.request.write"
            ]),
        )
        .await;
        let res = grant(&s, &vendor.assertion(&s, json!({}))).await;
        assert_eq!(res.status(), 200, "{engine:?}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "idporten:dcr.read");
        assert_eq!(body["expires_in"], 120);
        let mp_token = body["access_token"].as_str().unwrap().to_owned();
        let claims = claims_of(&mp_token);
        assert_eq!(claims["iss"], format!("{}/maskinporten/", s.base));
        assert_eq!(claims["client_id"], vendor.client_id.as_str());
        assert_eq!(claims["client_amr"], "private_key_jwt");
        assert_eq!(
            claims["consumer"],
            json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{VENDOR}")})
        );
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            120
        );
        assert!(claims["jti"].is_string());

        // The token is checked with the published key.
        let jwks: Value = s.get("/maskinporten/jwk").await.json().await.unwrap();
        let header: Value =
            serde_json::from_slice(&B64.decode(mp_token.split('.').next().unwrap()).unwrap())
                .unwrap();
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == header["kid"])
        );

        // A protected call with the Maskinporten token.
        let clients: Vec<Value> = s
            .get_auth("/selvbetjening/api/v1/clients", &mp_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(clients.len(), 1);
        assert_eq!(clients[0]["client_id"], vendor.client_id.as_str());

        // And with the exchanged platform token.
        let res = s
            .get_auth("/authentication/api/v1/exchange/maskinporten", &mp_token)
            .await;
        assert_eq!(res.status(), 200);
        let platform = res.text().await.unwrap();
        let pc = claims_of(&platform);
        assert_eq!(
            pc["iss"],
            format!("{}/authentication/api/v1/openid/", s.base)
        );
        assert_eq!(pc["urn:altinn:orgNumber"], VENDOR);
        assert_eq!(pc["urn:altinn:authenticatemethod"], "maskinporten");
        assert_eq!(pc["scope"], "idporten:dcr.read");
        assert!(pc.get("client_amr").is_none());
        assert_eq!(
            pc["exp"], claims["exp"],
            "the exchange does not extend the lifetime"
        );
        let clients: Vec<Value> = s
            .get_auth("/selvbetjening/api/v1/clients", &platform)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(clients.len(), 1);

        // The exchange takes Maskinporten tokens only, and refuses enterprise users.
        problem(
            s.get_auth("/authentication/api/v1/exchange/maskinporten", &platform)
                .await,
            401,
        )
        .await;
        let res = s
            .client
            .get(s.url("/authentication/api/v1/exchange/maskinporten"))
            .bearer_auth(&mp_token)
            .header("X-Altinn-EnterpriseUser-Authentication", "x")
            .send()
            .await
            .unwrap();
        problem(res, 410).await;

        // The Maskinporten token lacks dcr.write, so it may not register clients.
        problem(
            s.post_json("/selvbetjening/api/v1/clients", &mp_token, &json!({}))
                .await,
            403,
        )
        .await;
        s.stop().await;
    }
}

engine_tests! {
    async fn every_bad_assertion_is_refused_with_its_error(engine: Engine) {
        let s = TestServer::start(engine).await;
        let v = register_vendor(&s, json!(["idporten:dcr.read"])).await;
        let now = s.clock.now() / 1_000_000;

        let none = format!(
            "{}.{}.",
            B64.encode(json!({"alg": "none", "kid": "vendor-key-1"}).to_string()),
            B64.encode(v.claims(&s, json!({})).to_string())
        );
        refused(grant(&s, &none).await, 400, "invalid_grant", "'none'").await;
        let hmac = format!(
            "{}.{}.{}",
            B64.encode(json!({"alg": "HS256", "kid": "vendor-key-1"}).to_string()),
            B64.encode(v.claims(&s, json!({})).to_string()),
            B64.encode([7u8; 32])
        );
        refused(grant(&s, &hmac).await, 400, "invalid_grant", "'HS256'").await;
        let unknown_kid = signed_with_header(
            &v.key,
            json!({"alg": "RS256", "kid": "other"}),
            &v.claims(&s, json!({})),
        );
        refused(
            grant(&s, &unknown_kid).await,
            401,
            "invalid_client",
            "'other' is not registered",
        )
        .await;
        let no_kid = signed_with_header(&v.key, json!({"alg": "RS256"}), &v.claims(&s, json!({})));
        refused(grant(&s, &no_kid).await, 400, "invalid_grant", "no kid").await;
        let x5c = signed_with_header(
            &v.key,
            json!({"alg": "RS256", "x5c": ["MIIB"]}),
            &v.claims(&s, json!({})),
        );
        refused(grant(&s, &x5c).await, 400, "invalid_grant", "x5c").await;
        let impostor = RsaSigningKey::generate("vendor-key-1".into()).unwrap();
        refused(
            grant(
                &s,
                &sign_compact(&impostor, &v.claims(&s, json!({}))).unwrap(),
            )
            .await,
            400,
            "invalid_grant",
            "signature",
        )
        .await;
        refused(
            grant(&s, &v.assertion(&s, json!({"iss": "no-such-client"}))).await,
            401,
            "invalid_client",
            "no-such-client",
        )
        .await;
        refused(
            grant(
                &s,
                &v.assertion(&s, json!({"aud": "https://maskinporten.no/"})),
            )
            .await,
            400,
            "invalid_grant",
            "aud",
        )
        .await;
        // Digdir: the token endpoint is no longer a valid audience, and aud is one value.
        let token_endpoint = format!("{}/maskinporten/token", s.base);
        let issuer = format!("{}/maskinporten/", s.base);
        let cases = [
            (json!(token_endpoint), "token endpoint is no longer valid"),
            (json!([issuer, "https://evil.example/"]), "one value"),
        ];
        for (aud, words) in cases {
            let assertion = v.assertion(&s, json!({ "aud": aud }));
            refused(grant(&s, &assertion).await, 400, "invalid_grant", words).await;
        }
        let one = v.assertion(&s, json!({ "aud": [issuer] }));
        assert_eq!(grant(&s, &one).await.status(), 200, "aud as a list of one");
        refused(
            grant(
                &s,
                &v.assertion(&s, json!({"iat": now - 200, "exp": now - 100})),
            )
            .await,
            400,
            "invalid_grant",
            "behind",
        )
        .await;
        refused(
            grant(
                &s,
                &v.assertion(&s, json!({"iat": now + 30, "exp": now + 60})),
            )
            .await,
            400,
            "invalid_grant",
            "ahead",
        )
        .await;
        refused(
            grant(
                &s,
                &v.assertion(&s, json!({"iat": now - 5, "exp": now - 1})),
            )
            .await,
            400,
            "invalid_grant",
            "expired",
        )
        .await;
        refused(
            grant(&s, &v.assertion(&s, json!({"exp": now + 121}))).await,
            400,
            "invalid_grant",
            "at most 120",
        )
        .await;
        refused(
            grant(&s, &v.assertion(&s, json!({"jti": null}))).await,
            400,
            "invalid_grant",
            "jti",
        )
        .await;
        refused(
            grant(
                &s,
                &v.assertion(
                    &s,
                    json!({"scope": "idporten:dcr.read skatteetaten:secret"}),
                ),
            )
            .await,
            400,
            "invalid_scope",
            "skatteetaten:secret",
        )
        .await;
        refused(
            grant(
                &s,
                &v.assertion(
                    &s,
                    json!({"authorization_details": {"type": "urn:altinn:systemuser"}}),
                ),
            )
            .await,
            400,
            "invalid_request",
            "array",
        )
        .await;
        refused(grant(&s, &v.assertion(&s, json!({"authorization_details": [{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:910493354"}}]}))).await, 400, "invalid_request", "check digit").await;
        let wanted = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:315287138"}}]);
        refused(
            grant(
                &s,
                &v.assertion(&s, json!({"authorization_details": wanted.clone()})),
            )
            .await,
            400,
            "invalid_grant",
            "no live system",
        )
        .await;
        // Once the client is on a registered system, the lookup of the system user decides.
        let register = s
            .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
            .await;
        let system = json!({"id": format!("{VENDOR}_fuzz"), "vendor": {"ID": format!("0192:{VENDOR}")},
            "name": {"nb": "a", "nn": "a", "en": "a"}, "description": {"nb": "a", "nn": "a", "en": "a"}, "clientId": [v.client_id]});
        assert_eq!(
            s.post_json(
                "/authentication/api/v1/systemregister/vendor",
                &register,
                &system
            )
            .await
            .status(),
            200
        );
        refused(
            grant(
                &s,
                &v.assertion(&s, json!({"authorization_details": wanted})),
            )
            .await,
            400,
            "invalid_altinn_customer_configuration",
            "MP-303: no system user",
        )
        .await;
        refused(
            grant(&s, &format!("{}.{}.x", "a".repeat(20_000), "b")).await,
            400,
            "invalid_request",
            "longer",
        )
        .await;
        refused(
            grant(&s, "not-a-jwt").await,
            400,
            "invalid_grant",
            "not a signed JWT",
        )
        .await;

        // Replay: the same assertion works once.
        let once = v.assertion(&s, json!({}));
        assert_eq!(grant(&s, &once).await.status(), 200);
        refused(grant(&s, &once).await, 400, "invalid_grant", "replay").await;

        // The form itself.
        let res = s
            .client
            .post(s.url("/maskinporten/token"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        refused(res, 400, "unsupported_grant_type", "client_credentials").await;
        let res = s
            .client
            .post(s.url("/maskinporten/token"))
            .form(&[("assertion", "x")])
            .send()
            .await
            .unwrap();
        refused(res, 400, "invalid_request", "grant_type").await;
        let res = s
            .client
            .post(s.url("/maskinporten/token"))
            .form(&[("grant_type", JWT_BEARER)])
            .send()
            .await
            .unwrap();
        refused(res, 400, "invalid_request", "assertion").await;
        let res = s
            .client
            .post(s.url("/maskinporten/token"))
            .json(&json!({"grant_type": JWT_BEARER}))
            .send()
            .await
            .unwrap();
        refused(res, 400, "invalid_request", "x-www-form-urlencoded").await;
        s.stop().await;
    }
}

engine_tests! {
    async fn self_service_checks_input_and_ownership(engine: Engine) {
        let s = TestServer::start(engine).await;
        let v = register_vendor(&s, json!(["idporten:dcr.read"])).await;
        let token = &v.dcr_token;
        let base = json!({"client_name": "x", "description": "y", "scopes": ["a:b"]});
        let with = |k: &str, val: Value| {
            let mut b = base.clone();
            b[k] = val;
            b
        };
        for (body, words) in [
            (with("client_name", json!("")), "client_name"),
            (with("description", json!(" ")), "description"),
            (with("scopes", json!(["has space"])), "not a scope"),
            (
                with("integration_type", json!("krr")),
                "integration_type 'krr'",
            ),
            (
                with("token_endpoint_auth_method", json!("client_secret_basic")),
                "private_key_jwt",
            ),
            (
                with("grant_types", json!(["client_credentials"])),
                "grant_types",
            ),
        ] {
            let p = problem(
                s.post_json("/selvbetjening/api/v1/clients", token, &body)
                    .await,
                400,
            )
            .await;
            assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
        }
        let p = problem(
            s.post_json(
                "/selvbetjening/api/v1/clients",
                token,
                &with("scopes", json!("a")),
            )
            .await,
            400,
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("shape"), "{p}");

        let jwks_url = format!("/selvbetjening/api/v1/clients/{}/jwks", v.client_id);
        let good = v.key.public().jwk();
        let mut private = good.clone();
        private["d"] = json!("AQAB");
        let mut short = good.clone();
        short["n"] = json!(B64.encode([0xABu8; 128]));
        let mut no_kid = good.clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        for (body, words) in [
            (json!({"keys": []}), "1 to 5"),
            (json!([good]), "{\"keys\""),
            (json!({"keys": [{"kty": "EC", "kid": "e"}]}), "RSA"),
            (json!({"keys": [private]}), "private"),
            (json!({"keys": [short]}), "2048"),
            (json!({"keys": [no_kid]}), "kid"),
            (json!({"keys": [good, good]}), "twice"),
        ] {
            let p = problem(s.post_json(&jwks_url, token, &body).await, 400).await;
            assert!(
                p["detail"].as_str().unwrap().contains(words),
                "{words}: {p}"
            );
        }
        // The rejected key sets changed nothing: the registered key still works.
        assert_eq!(grant(&s, &v.assertion(&s, json!({}))).await.status(), 200);

        // Another organisation sees nothing of this client.
        let other = s.enterprise_token(OTHER_ORG, "idporten:dcr.write").await;
        let client_url = format!("/selvbetjening/api/v1/clients/{}", v.client_id);
        problem(s.get_auth(&client_url, &other).await, 404).await;
        problem(
            s.post_json(&jwks_url, &other, &json!({"keys": [v.key.public().jwk()]}))
                .await,
            404,
        )
        .await;
        problem(
            s.client
                .delete(s.url(&client_url))
                .bearer_auth(&other)
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
        let list: Vec<Value> = s
            .get_auth("/selvbetjening/api/v1/clients", &other)
            .await
            .json()
            .await
            .unwrap();
        assert!(list.is_empty());
        let no_scope = s.enterprise_token(VENDOR, "altinn:portal/enduser").await;
        problem(
            s.get_auth("/selvbetjening/api/v1/clients", &no_scope).await,
            403,
        )
        .await;

        // The owner reads and deletes; then the client can no longer get tokens.
        let keys: Value = s.get_auth(&jwks_url, token).await.json().await.unwrap();
        assert_eq!(keys["keys"][0]["kid"], "vendor-key-1");
        let res = s
            .client
            .delete(s.url(&client_url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        problem(s.get_auth(&client_url, token).await, 404).await;
        refused(
            grant(&s, &v.assertion(&s, json!({}))).await,
            401,
            "invalid_client",
            "no client",
        )
        .await;

        let admin = s.enterprise_token(VENDOR, "tilgang:admin").await;
        let audit: Value = s
            .get_auth(
                "/admin/api/v1/audit?target=client:".to_owned().as_str(),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(audit["data"].as_array().unwrap().is_empty());
        let audit: Value = s
            .get_auth(
                &format!("/admin/api/v1/audit?target=client:{}", v.client_id),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "maskinporten.client.create",
                "maskinporten.client.keys",
                "maskinporten.client.delete"
            ]
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn tokens_can_be_signed_with_es256_or_eddsa() {
    use tilgang::jose::{Alg, VerifyingKey, verify_compact};
    for alg in [Alg::Es256, Alg::EdDsa] {
        let s = TestServer::start_with(
            common::Engine::Sqlite,
            common::Options {
                signing_alg: Some(alg),
                ..Default::default()
            },
        )
        .await;
        let vendor = register_vendor(&s, json!(["idporten:dcr.read"])).await;
        let res = grant(&s, &vendor.assertion(&s, json!({}))).await;
        assert_eq!(res.status(), 200);
        let token = res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let header: Value =
            serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["alg"], alg.as_str());
        let jwks: Value = s.get("/maskinporten/jwk").await.json().await.unwrap();
        let keys: Vec<VerifyingKey> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(VerifyingKey::from_jwk)
            .collect();
        assert!(
            verify_compact(&token, &keys).is_ok(),
            "verifiable with the published {alg} key"
        );
        // The API accepts it, and the exchange too.
        assert_eq!(
            s.get_auth("/selvbetjening/api/v1/clients", &token)
                .await
                .status(),
            200
        );
        assert_eq!(
            s.get_auth("/authentication/api/v1/exchange/maskinporten", &token)
                .await
                .status(),
            200
        );
        s.stop().await;
    }
}

/// A second server trusts the first one's Maskinporten as its external Maskinporten (as a
/// production server trusts the real one through its JWKS).
#[tokio::test]
async fn tokens_from_a_configured_external_maskinporten_are_accepted() {
    let a = TestServer::start(common::Engine::Sqlite).await;
    let vendor = register_vendor(&a, json!(["idporten:dcr.read"])).await;
    let body: Value = grant(&a, &vendor.assertion(&a, json!({})))
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();

    let b = TestServer::start_with(
        common::Engine::Sqlite,
        common::Options {
            external_maskinporten: Some((a.url("/maskinporten/"), a.url("/maskinporten/jwk"))),
            ..Default::default()
        },
    )
    .await;
    let res = b.get_auth("/selvbetjening/api/v1/clients", &token).await;
    assert_eq!(res.status(), 200, "B accepts A's Maskinporten token");
    let list: Vec<Value> = res.json().await.unwrap();
    assert!(
        list.is_empty(),
        "B has no clients of its own for this organisation"
    );
    // A token signed by a key A never published is refused.
    let rogue = RsaSigningKey::generate("rogue".into()).unwrap();
    let now = b.clock.now() / 1_000_000;
    let forged = sign_compact(
        &rogue,
        &json!({"iss": a.url("/maskinporten/"), "scope": "idporten:dcr.read", "exp": now + 60,
        "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{VENDOR}")}}),
    )
    .unwrap();
    problem(
        b.get_auth("/selvbetjening/api/v1/clients", &forged).await,
        401,
    )
    .await;

    // Issue 12, item 9: a resource server that wants audience-restricted tokens says so;
    // then a token without that `aud` is refused, and one asked for with `resource` passes.
    let api = "https://tilgang.example/api";
    let d = TestServer::start_with(
        common::Engine::Sqlite,
        common::Options {
            external_maskinporten: Some((a.url("/maskinporten/"), a.url("/maskinporten/jwk"))),
            maskinporten_audience: Some(api.into()),
            ..Default::default()
        },
    )
    .await;
    let body = problem(
        d.get_auth("/selvbetjening/api/v1/clients", &token).await,
        401,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("aud is not '{api}'")),
        "{body}"
    );
    let restricted: Value = grant(&a, &vendor.assertion(&a, json!({"resource": api})))
        .await
        .json()
        .await
        .unwrap();
    let restricted = restricted["access_token"].as_str().unwrap();
    assert_eq!(common::claims_of(restricted)["aud"], api);
    let res = d
        .get_auth("/selvbetjening/api/v1/clients", restricted)
        .await;
    assert_eq!(res.status(), 200);
    d.stop().await;

    // Issue 12, item 8: an issuer whose keys cannot be fetched is an outage, not a bad
    // credential: 503 with Retry-After.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = TestServer::start_with(
        common::Engine::Sqlite,
        common::Options {
            external_maskinporten: Some((
                a.url("/maskinporten/"),
                format!("http://127.0.0.1:{closed}/jwk"),
            )),
            ..Default::default()
        },
    )
    .await;
    let res = c.get_auth("/selvbetjening/api/v1/clients", &token).await;
    assert_eq!(res.headers()["retry-after"], "1");
    let body = problem(res, 503).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("keys could not be fetched"),
        "{body}"
    );
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

engine_tests! {
    /// Issue 16, item 10: `consumer_org` gets a token on another organisation's behalf only
    /// for the scopes that organisation delegated to the client's (MP-251 otherwise).
    async fn delegated_scopes_give_tokens_for_the_consumer(engine: Engine) {
        let s = TestServer::start(engine).await;
        let v = register_vendor(&s, json!(["idporten:dcr.read"])).await;
        let consumer = s.enterprise_token(OTHER_ORG, "idporten:dcr.write idporten:dcr.read").await;
        const READ: &str = "altinn:serviceowner/instances.read";
        const WRITE: &str = "altinn:serviceowner/instances.write";
        let ask = |scope: &str| v.assertion(&s, json!({"consumer_org": OTHER_ORG, "scope": scope}));
        refused(grant(&s, &ask(READ)).await, 400, "invalid_scope", "MP-251").await;
        // Asking for the client's own organisation is no delegation: its own scopes apply.
        let own = v.assertion(&s, json!({"consumer_org": VENDOR}));
        assert_eq!(grant(&s, &own).await.status(), 200);

        // Bad delegations are refused and change nothing.
        let list = |token: String| {
            let s = &s;
            async move { s.get_auth("/selvbetjening/api/v1/delegations", &token).await.json::<Value>().await.unwrap() }
        };
        for (body, words) in [
            (json!({"supplier_orgno": VENDOR}), "1 to 100 scopes"),
            (json!({"scopes": [READ]}), "supplier_orgno is required"),
            (json!({"supplier_orgno": "12345", "scopes": [READ]}), "supplier_orgno"),
            (json!({"supplier_orgno": OTHER_ORG, "scopes": [READ]}), "itself"),
            (json!({"supplier_orgno": "310000000", "scopes": [READ]}), "holds no organisation"),
            (json!({"supplier_orgno": VENDOR, "scopes": ["a b"]}), "is not a scope"),
            (json!({"supplier_orgno": VENDOR, "scopes": ["idporten:dcr.write"]}), "cannot be delegated"),
        ] {
            let p = problem(s.post_json("/selvbetjening/api/v1/delegations", &consumer, &body).await, 400).await;
            assert!(p["detail"].as_str().unwrap().contains(words), "{words}: {p}");
        }
        let p = problem(s.post_json("/selvbetjening/api/v1/delegations", &consumer, &json!({"supplier_orgno": VENDOR, "scopes": [READ], "extra": 1})).await, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("extra"), "{p}");
        assert_eq!(list(consumer.clone()).await["offered"], json!([]));
        assert_eq!(s.client.post(s.url("/selvbetjening/api/v1/delegations")).json(&json!({})).send().await.unwrap().status(), 401);

        // The consumer delegates READ (twice: idempotent).
        for _ in 0..2 {
            let res = s.post_json("/selvbetjening/api/v1/delegations", &consumer, &json!({"supplier_orgno": VENDOR, "scopes": [READ]})).await;
            assert_eq!(res.status(), 201);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
            assert_eq!(body[0]["consumer_orgno"], OTHER_ORG);
            assert_eq!(body[0]["scope"], READ);
        }
        let res = grant(&s, &ask(READ)).await;
        assert_eq!(res.status(), 200);
        let token: Value = res.json().await.unwrap();
        let claims = claims_of(token["access_token"].as_str().unwrap());
        assert_eq!(claims["consumer"]["ID"], format!("0192:{OTHER_ORG}"));
        assert_eq!(claims["supplier"]["ID"], format!("0192:{VENDOR}"));
        assert_eq!(claims["delegation_source"], format!("{}/", s.base));
        assert_eq!(claims["scope"], READ);
        // A scope not delegated is named.
        refused(grant(&s, &ask(&format!("{READ} {WRITE}"))).await, 400, "invalid_scope", WRITE).await;
        // A system-user grant is always the vendor's own.
        let su = v.assertion(&s, json!({"consumer_org": OTHER_ORG, "authorization_details": [{"type": "urn:altinn:systemuser",
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{OTHER_ORG}")}}]}));
        refused(grant(&s, &su).await, 400, "invalid_request", "consumer_org").await;

        // Both sides see it.
        let mine = list(consumer.clone()).await;
        assert_eq!(mine["offered"][0]["supplier_orgno"], VENDOR);
        assert_eq!(mine["received"], json!([]));
        assert_eq!(mine["truncated"], false);
        let theirs = list(v.dcr_token.clone()).await;
        assert_eq!(theirs["received"][0]["consumer_orgno"], OTHER_ORG);

        // Withdrawn: the next token is refused.
        let path = format!("/selvbetjening/api/v1/delegations?supplier_orgno={VENDOR}&scope={}", READ.replace('/', "%2F"));
        assert_eq!(s.delete_auth(&path, &consumer).await.status(), 204);
        refused(grant(&s, &ask(READ)).await, 400, "invalid_scope", "MP-251").await;
        problem(s.delete_auth(&path, &consumer).await, 404).await;
        problem(s.delete_auth("/selvbetjening/api/v1/delegations", &consumer).await, 400).await;

        // The import gives delegations too.
        s.import_as_operator(&json!({"maskinportenDelegations": [{"consumer": OTHER_ORG, "supplier": VENDOR, "scopes": [WRITE]}]})).await;
        assert_eq!(grant(&s, &ask(WRITE)).await.status(), 200);
        s.stop().await;
    }
}
