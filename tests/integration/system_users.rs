//! The seed's story through the API: a vendor registers a system, asks for a system user, the
//! customer's daglig leder approves (or rejects, or lets it time out), the vendor verifies and
//! fetches a system-user token. On both engines.

use crate::common;

use common::{Engine, TestServer, claims_of, problem};
use serde_json::{Value, json};
use tilgang::jose::{RsaSigningKey, sign_compact};

pub(crate) const VENDOR: &str = "317219253";
const OTHER_VENDOR: &str = "315034698";
pub(crate) const KARI: &str = "05827536549"; // daglig leder, Fjellbekk Bakeri AS
pub(crate) const BAKERY: &str = "315287138";
const ANDERS: &str = "28878205660"; // daglig leder, Nordlys Elektro AS
const ELECTRIC: &str = "312882930";
const CAMILLA: &str = "25908741695"; // daglig leder, Berg Frisør og Velvære AS
const SALON: &str = "315472253";
const SIRI: &str = "28849440200"; // no roles
const REQ: &str = "/authentication/api/v1/systemuser/request";
pub(crate) const SYSTEM: &str = "317219253_regnskap";
pub(crate) const RESOURCE_SCOPE: &str = "krr:global/kontaktinformasjon.read";

pub(crate) struct Vendor {
    pub(crate) key: RsaSigningKey,
    pub(crate) client_id: String,
}

impl Vendor {
    fn assertion(&self, s: &TestServer, extra: Value) -> String {
        let now = s.clock.now() / 1_000_000;
        let mut claims = json!({"iss": self.client_id, "aud": s.url("/maskinporten/"), "iat": now, "exp": now + 60,
            "jti": uuid::Uuid::new_v4().to_string(),
            "scope": "altinn:authentication/systemuser.request.write altinn:authentication/systemuser.request.read"});
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        sign_compact(&self.key, &claims).unwrap()
    }

    pub(crate) async fn token(&self, s: &TestServer, extra: Value) -> reqwest::Response {
        s.client
            .post(s.url("/maskinporten/token"))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", self.assertion(s, extra).as_str()),
            ])
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn access_token(&self, s: &TestServer) -> String {
        let res: Value = self.token(s, json!({})).await.json().await.unwrap();
        res["access_token"].as_str().unwrap().to_owned()
    }
}

/// A Maskinporten client of the vendor with `scopes`, and its key.
pub(crate) async fn vendor_client(s: &TestServer, name: &str, scopes: Value) -> Vendor {
    let dcr = s.enterprise_token(VENDOR, "idporten:dcr.write").await;
    let client: Value = s
        .post_json(
            "/selvbetjening/api/v1/clients",
            &dcr,
            &json!({"client_name": name, "description": "d", "scopes": scopes}),
        )
        .await
        .json()
        .await
        .unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let key = RsaSigningKey::generate(name.into()).unwrap();
    s.post_json(
        &format!("/selvbetjening/api/v1/clients/{client_id}/jwks"),
        &dcr,
        &json!({"keys": [key.public().jwk()]}),
    )
    .await;
    Vendor { key, client_id }
}

/// The vendor's Maskinporten client and its registered system.
pub(crate) async fn vendor_with_system(s: &TestServer) -> Vendor {
    let scopes = json!([
        "altinn:authentication/systemuser.request.write",
        "altinn:authentication/systemuser.request.read",
        RESOURCE_SCOPE
    ]);
    let Vendor { key, client_id } = vendor_client(s, "Regnskap", scopes).await;
    let register = s
        .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
        .await;
    let system = json!({"id": SYSTEM, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Regnskap Pluss", "nn": "Rekneskap Pluss", "en": "Accounting Plus"},
        "description": {"nb": "Fører regnskap", "nn": "Fører rekneskap", "en": "Keeps the books"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattegrunnlag"}],
        "clientId": [client_id], "allowedRedirectUrls": ["https://regnskap.example/ferdig"]});
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
    Vendor { key, client_id }
}

pub(crate) fn request_body(org: &str) -> Value {
    json!({"systemId": SYSTEM, "partyOrgNo": org, "externalRef": format!("kunde-{org}"),
           "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
           "accessPackages": [{"urn": "urn:altinn:accesspackage:skattegrunnlag"}],
           "redirectUrl": "https://regnskap.example/ferdig?kunde=1"})
}

pub(crate) async fn person_token(s: &TestServer, pid: &str) -> String {
    token_with(s, pid, "altinn:portal/enduser").await
}

/// A person's end-user token with `scopes`, from the local profile's test tool.
pub(crate) async fn token_with(s: &TestServer, pid: &str, scopes: &str) -> String {
    s.client
        .get(s.url("/api/GetPersonalToken"))
        .query(&[("pid", pid), ("scopes", scopes)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(crate) async fn party_id(s: &TestServer, org: &str) -> i64 {
    s.app
        .store
        .organization(&org.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .party_id
}

async fn decide(s: &TestServer, pid: &str, org: &str, id: &str, what: &str) -> reqwest::Response {
    let token = person_token(s, pid).await;
    let party = party_id(s, org).await;
    s.client
        .post(s.url(&format!("{REQ}/{party}/{id}/{what}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

engine_tests! {
    async fn request_approve_verify_and_token(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;

        let res = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
            .await;
        assert_eq!(res.status(), 201, "{engine:?}");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = res.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(location.ends_with(&format!("/authentication/api/v1/systemuser/request/{id}")));
        assert_eq!(created["status"], "New");
        assert_eq!(
            created["confirmUrl"],
            s.url(&format!(
                "/accessmanagement/ui/systemuser/request?id={id}&DONTCHOOSEREPORTEE=true"
            ))
        );
        assert_eq!(
            created["integrationTitle"], "Regnskap Pluss",
            "defaults to the system's nb name"
        );

        // The same key again: 200 with the stored request.
        let res = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["id"], id.as_str());
        let got: Value = s
            .get_auth(&format!("{REQ}/vendor/{id}"), &mp)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["id"], id.as_str());
        let by_ref: Value = s
            .get_auth(
                &format!("{REQ}/vendor/byexternalref/{SYSTEM}/{BAKERY}/kunde-{BAKERY}"),
                &mp,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_ref["id"], id.as_str());

        // Someone without authority cannot decide; the daglig leder can, once.
        problem(decide(&s, SIRI, BAKERY, &id, "approve").await, 403).await;
        let res = decide(&s, KARI, BAKERY, &id, "approve").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!(true));
        assert_eq!(
            problem(decide(&s, KARI, BAKERY, &id, "approve").await, 409).await["code"],
            "AUTH-00013"
        );
        let got: Value = s
            .get_auth(&format!("{REQ}/vendor/{id}"), &mp)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["status"], "Accepted");

        // The vendor verifies, and a new request with the same key is refused.
        let user: Value = s
            .get_auth(&format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={SYSTEM}&orgno={BAKERY}&external-ref=kunde-{BAKERY}"), &mp)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            user["id"],
            id.as_str(),
            "the system user keeps the request's id"
        );
        assert_eq!(user["supplierOrgno"], VENDOR);
        assert_eq!(
            problem(
                s.post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
                    .await,
                400
            )
            .await["code"],
            "AUTH-00004"
        );

        // The system-user token from Maskinporten.
        let details = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{BAKERY}")}, "externalRef": format!("kunde-{BAKERY}")}]);
        let res = vendor
            .token(
                &s,
                json!({"scope": RESOURCE_SCOPE, "authorization_details": details}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let token: Value = res.json().await.unwrap();
        let claims = claims_of(token["access_token"].as_str().unwrap());
        let detail = &claims["authorization_details"][0];
        assert_eq!(detail["type"], "urn:altinn:systemuser");
        assert_eq!(detail["systemuser_id"], json!([id]));
        assert_eq!(detail["system_id"], SYSTEM);
        assert_eq!(
            detail["systemuser_org"],
            json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{BAKERY}")})
        );
        assert_eq!(claims["consumer"]["ID"], format!("0192:{VENDOR}"));
        assert_eq!(claims["scope"], RESOURCE_SCOPE);
        // Without the external reference there is no match (it defaults to the org number).
        let plain = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "id": format!("0192:{BAKERY}")}}]);
        assert_eq!(
            vendor
                .token(
                    &s,
                    json!({"scope": RESOURCE_SCOPE, "authorization_details": plain})
                )
                .await
                .status(),
            400
        );

        // Maskinporten's own lookup.
        let lookup = s
            .enterprise_token("991825827", "altinn:maskinporten/systemuser.read")
            .await;
        let res = s
            .get_auth(&format!("/authentication/api/v1/systemuser/byExternalId?clientId={}&systemProviderOrgNo={VENDOR}&systemUserOwnerOrgNo={BAKERY}&externalRef=kunde-{BAKERY}", vendor.client_id), &lookup)
            .await;
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.json::<Value>().await.unwrap()["productName"], SYSTEM);
        problem(s.get_auth(&format!("/authentication/api/v1/systemuser/byExternalId?clientId={}&systemProviderOrgNo={VENDOR}", vendor.client_id), &lookup).await, 400).await;

        // The organisation lists and deletes its system user; the vendor may then ask again.
        let kari = person_token(&s, KARI).await;
        let party = party_id(&s, BAKERY).await;
        let list: Vec<Value> = s
            .get_auth(&format!("/authentication/api/v1/systemuser/{party}"), &kari)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            list[0]["accessPackages"],
            json!([{"urn": "urn:altinn:accesspackage:skattegrunnlag"}])
        );
        let siri = person_token(&s, SIRI).await;
        problem(
            s.client
                .delete(s.url(&format!("/authentication/api/v1/systemuser/{party}/{id}")))
                .bearer_auth(&siri)
                .send()
                .await
                .unwrap(),
            403,
        )
        .await;
        let res = s
            .client
            .delete(s.url(&format!("/authentication/api/v1/systemuser/{party}/{id}")))
            .bearer_auth(&kari)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        assert_eq!(res.text().await.unwrap(), "1", "Altinn's Accepted(1)");
        problem(s.get_auth(&format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={SYSTEM}&orgno={BAKERY}&external-ref=kunde-{BAKERY}"), &mp).await, 404).await;
        assert_eq!(
            vendor
                .token(
                    &s,
                    json!({"scope": RESOURCE_SCOPE, "authorization_details": details})
                )
                .await
                .status(),
            400,
            "no token for a deleted system user"
        );
        assert_eq!(
            s.post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
                .await
                .status(),
            201
        );

        let admin = s.enterprise_token(VENDOR, "tilgang:admin").await;
        let audit: Value = s
            .get_auth(&format!("/admin/api/v1/audit?target=request:{id}"), &admin)
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
            ["systemuser.request.create", "systemuser.request.approve"]
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn reject_timeout_delete_and_refusals(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;

        // Reject: the key stays taken by the rejected request until the vendor deletes it.
        let id = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(ELECTRIC))
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            decide(&s, ANDERS, ELECTRIC, &id, "reject").await.status(),
            200
        );
        let again = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(ELECTRIC))
            .await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["status"], "Rejected");
        assert_eq!(
            problem(decide(&s, ANDERS, ELECTRIC, &id, "approve").await, 409).await["code"],
            "AUTH-00013"
        );
        assert_eq!(
            s.client
                .delete(s.url(&format!("{REQ}/vendor/{id}")))
                .bearer_auth(&mp)
                .send()
                .await
                .unwrap()
                .status(),
            202
        );
        assert_eq!(
            problem(s.get_auth(&format!("{REQ}/vendor/{id}"), &mp).await, 404).await["code"],
            "AUTH-00010"
        );
        assert_eq!(
            problem(
                s.client
                    .delete(s.url(&format!("{REQ}/vendor/{id}")))
                    .bearer_auth(&mp)
                    .send()
                    .await
                    .unwrap(),
                404
            )
            .await["code"],
            "AUTH-00010"
        );
        assert_eq!(
            s.post_json(&format!("{REQ}/vendor"), &mp, &request_body(ELECTRIC))
                .await
                .status(),
            201,
            "a new request after delete"
        );

        // Timeout after 10 days: gone for the vendor, cannot be approved, the key is free again.
        let id = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(SALON))
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        s.clock
            .advance(std::time::Duration::from_secs(10 * 24 * 3600));
        let mp = vendor.access_token(&s).await;
        assert_eq!(
            problem(s.get_auth(&format!("{REQ}/vendor/{id}"), &mp).await, 404).await["code"],
            "AUTH-00010"
        );
        assert_eq!(
            problem(decide(&s, CAMILLA, SALON, &id, "approve").await, 409).await["code"],
            "AUTH-00013"
        );
        let res = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(SALON))
            .await;
        assert_eq!(res.status(), 201);
        assert_ne!(res.json::<Value>().await.unwrap()["id"], id.as_str());
        tilgang::services::jobs::run_once(&s.app).await;
        let stored = s.app.store.request(&id, None).await.unwrap().unwrap();
        assert_eq!(
            stored.status.as_str(),
            "Timedout",
            "the job writes the status"
        );

        // Refusals, each with its code; none stores anything.
        let with = |k: &str, v: Value| {
            let mut b = request_body("310000000");
            b[k] = v;
            b
        };
        let cases = [
            (
                with("systemId", json!("317219253_finnes_ikke")),
                404,
                "AUTH-00011",
            ),
            (with("partyOrgNo", json!("910493353")), 400, "AUTH-00000"),
            (with("partyOrgNo", json!("123")), 400, "AUTH-00000"),
            (
                with("redirectUrl", json!("https://evil.example/")),
                400,
                "AUTH-00021",
            ),
            (with("redirectUrl", json!("/relative")), 400, "AUTH-00021"),
            (
                with(
                    "rights",
                    json!([{"resource": [{"id": "urn:altinn:resource", "value": "annet"}]}]),
                ),
                400,
                "AUTH-00001",
            ),
            (
                with(
                    "accessPackages",
                    json!([{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}]),
                ),
                400,
                "AUTH-00063",
            ),
        ];
        for (body, status, code) in cases {
            let mut body = body;
            if body["partyOrgNo"] == "310000000" {
                body["partyOrgNo"] = json!(ELECTRIC);
                body["externalRef"] = json!("annen-ref");
            }
            assert_eq!(
                problem(
                    s.post_json(&format!("{REQ}/vendor"), &mp, &body).await,
                    status
                )
                .await["code"],
                code,
                "{body}"
            );
        }
        let mut neither = request_body(ELECTRIC);
        neither["externalRef"] = json!("x");
        neither.as_object_mut().unwrap().remove("rights");
        neither.as_object_mut().unwrap().remove("accessPackages");
        assert_eq!(
            problem(
                s.post_json(&format!("{REQ}/vendor"), &mp, &neither).await,
                400
            )
            .await["code"],
            "AUTH-00001"
        );
        // Another vendor's token: the system is not theirs.
        let other = s.enterprise_token(OTHER_VENDOR, "altinn:authentication/systemuser.request.write altinn:authentication/systemuser.request.read").await;
        assert_eq!(
            problem(
                s.post_json(&format!("{REQ}/vendor"), &other, &request_body(BAKERY))
                    .await,
                404
            )
            .await["code"],
            "AUTH-00011"
        );
        let existing = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(
            problem(
                s.get_auth(
                    &format!("{REQ}/vendor/{}", existing["id"].as_str().unwrap()),
                    &other
                )
                .await,
                404
            )
            .await["code"],
            "AUTH-00011"
        );
        assert_eq!(
            problem(
                s.client
                    .delete(s.url(&format!(
                        "{REQ}/vendor/{}",
                        existing["id"].as_str().unwrap()
                    )))
                    .bearer_auth(&other)
                    .send()
                    .await
                    .unwrap(),
                404
            )
            .await["code"],
            "AUTH-00010"
        );
        // A person's token has no vendor.
        let person = s
            .client
            .get(s.url("/api/GetPersonalToken"))
            .query(&[
                ("pid", KARI),
                ("scopes", "altinn:authentication/systemuser.request.write"),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            problem(
                s.post_json(&format!("{REQ}/vendor"), &person, &request_body(BAKERY))
                    .await,
                401
            )
            .await["code"],
            "AUTH-00023"
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn concurrent_creates_give_one_request_and_concurrent_approvals_one_system_user(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let url = s.url(&format!("{REQ}/vendor"));
        let posts = (0..50).map(|_| {
            s.client
                .post(&url)
                .bearer_auth(&mp)
                .json(&request_body(BAKERY))
                .send()
        });
        let results = futures_join_all(posts).await;
        let mut ids = std::collections::HashSet::new();
        let mut created = 0;
        for res in results {
            let res = res.unwrap();
            let status = res.status().as_u16();
            assert!(status == 200 || status == 201, "{status}");
            if status == 201 {
                created += 1;
            }
            ids.insert(
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        assert_eq!(created, 1, "{engine:?}");
        assert_eq!(ids.len(), 1);
        let id = ids.into_iter().next().unwrap();

        let (a, b) = tokio::join!(
            decide(&s, KARI, BAKERY, &id, "approve"),
            decide(&s, KARI, BAKERY, &id, "approve")
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{engine:?}");
        assert_eq!(s.app.store.system_users_of(BAKERY, None).await.unwrap().len(), 1);
        s.stop().await;
    }
}

/// Runs futures concurrently (a small join_all, to keep dependencies lean).
pub(crate) async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

engine_tests! {
    async fn the_approval_pages_at_the_confirm_url(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let created: Value = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
            .await
            .json()
            .await
            .unwrap();
        let confirm = created["confirmUrl"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap().to_owned();
        let b = &s.browser;

        // Not logged in: to ID-porten, and back here afterwards.
        let res = b.get(&confirm).send().await.unwrap();
        let login = common::location(&res);
        assert!(
            login.starts_with(
                "/auth/login/idporten?goto=%2Faccessmanagement%2Fui%2Fsystemuser%2Frequest%3Fid%3D"
            ),
            "{login}"
        );

        // Someone without authority is told who can approve.
        let siri = s.login_as(SIRI).await;
        let res = b
            .get(&confirm)
            .header("cookie", &siri)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("daglig leder"));

        let kari = s.login_as(KARI).await;
        let res = b
            .get(&confirm)
            .header("cookie", &kari)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        for shown in [
            "Regnskap Pluss",
            "Fører regnskap",
            "Regnskapssystemet AS",
            "org.nr. 317 219 253",
            "Fjellbekk Bakeri AS",
            "org.nr. 315 287 138",
            "Krav og betalinger",
            "Skattegrunnlag",
        ] {
            assert!(html.contains(shown), "the page shows {shown}");
        }
        let nynorsk = b
            .get(&confirm)
            .header("cookie", format!("{kari}; lang=nn"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            nynorsk.contains("Rekneskap Pluss")
                && nynorsk.contains("Krav og betalingar")
                && nynorsk.contains("<html lang=\"nn\""),
            "nynorsk: {nynorsk}"
        );
        let english = b
            .get(&confirm)
            .header("cookie", format!("{kari}; lang=en"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            english.contains("Accounting Plus")
                && english.contains("Claims and payments")
                && english.contains("Approve"),
            "English"
        );
        let csrf = common::input_value(&html, "csrf").unwrap();
        let decide_url = s.url("/accessmanagement/ui/systemuser/request/decide");
        let res = b
            .post(&decide_url)
            .header("cookie", &kari)
            .form(&[
                ("id", id.as_str()),
                ("csrf", "forged"),
                ("decision", "approve"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "a forged form is refused");
        let res = b
            .post(&decide_url)
            .header("cookie", &kari)
            .form(&[
                ("id", id.as_str()),
                ("csrf", csrf.as_str()),
                ("decision", "approve"),
            ])
            .send()
            .await
            .unwrap();
        // Post/redirect/get: the answer is a redirect to the receipt, a page of its own that a
        // reload shows again without answering anything again.
        assert_eq!(res.status(), 303);
        let to_receipt = common::location(&res);
        assert_eq!(to_receipt, format!("/accessmanagement/ui/systemuser/request/receipt?id={id}"));
        let receipt_page = || b.get(s.url(&to_receipt)).header("cookie", &kari).send();
        let res = receipt_page().await.unwrap();
        assert_eq!(res.status(), 200);
        let receipt = res.text().await.unwrap();
        assert!(receipt.contains("Systemtilgangen er godkjent"));
        assert_eq!(receipt_page().await.unwrap().status(), 200, "shown again on reload");
        // Only to people with authority for the organisation.
        let siri = s.login_as(SIRI).await;
        let other = b.get(s.url(&to_receipt)).header("cookie", &siri).send().await.unwrap();
        assert_eq!(other.status(), 404);
        assert!(
            receipt.contains("href=\"https://regnskap.example/ferdig?kunde=1\""),
            "back to the vendor: {receipt}"
        );
        let user: Value = s.get_auth(&format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={SYSTEM}&orgno={BAKERY}&external-ref=kunde-{BAKERY}"), &mp).await.json().await.unwrap();
        assert_eq!(user["id"], id.as_str());

        // Opening the link again says it is done; unknown and expired requests have their own pages.
        let res = b
            .get(&confirm)
            .header("cookie", &kari)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        assert!(res.text().await.unwrap().contains("allerede godkjent"));
        let res = b
            .get(s.url(
                "/accessmanagement/ui/systemuser/request?id=00000000-0000-0000-0000-000000000000",
            ))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let anders_req: Value = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(ELECTRIC))
            .await
            .json()
            .await
            .unwrap();
        s.clock
            .advance(std::time::Duration::from_secs(11 * 24 * 3600));
        let anders = s.login_as(ANDERS).await;
        let res = b
            .get(anders_req["confirmUrl"].as_str().unwrap())
            .header("cookie", &anders)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 410);
        assert!(res.text().await.unwrap().contains("utløpt"));
        s.stop().await;
    }
}

engine_tests! {
    async fn the_portal_creates_lists_and_deletes_system_users_and_requests_can_be_escalated(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let b = &s.browser;
        let home = s.url("/accessmanagement/ui/systemuser/overview");
        assert!(
            common::location(&b.get(&home).send().await.unwrap())
                .starts_with("/auth/login/idporten?goto=")
        );
        // The addresses of earlier versions lead to Altinn's paths, the query kept.
        for (old, new) in [
            ("/accessmanagement/ui/systemuser/?org=315287138", "/accessmanagement/ui/systemuser/overview?org=315287138"),
            ("/accessmanagement/ui/systemuser/new?org=315287138", "/accessmanagement/ui/systemuser/create?org=315287138"),
            ("/accessmanagement/ui/systemuser/delete?org=315287138&id=x", "/accessmanagement/ui/systemuser/x/delete?org=315287138"),
            ("/accessmanagement/ui/systemuser/agent?org=315287138&id=x", "/accessmanagement/ui/systemuser/x/agentdelegation?org=315287138"),
            ("/accessmanagement/ui/systemuser/agent/add?org=315287138&id=x&search=a%20b", "/accessmanagement/ui/systemuser/x/agentdelegation/add?org=315287138&search=a%20b"),
            ("/accessmanagement/ui/systemuser/agent/remove?org=315287138&id=x&client=c", "/accessmanagement/ui/systemuser/x/agentdelegation/remove?org=315287138&client=c"),
        ] {
            let res = b.get(s.url(old)).send().await.unwrap();
            assert_eq!((res.status().as_u16(), common::location(&res)), (308, new.to_owned()), "{old}");
        }

        let kari = s.login_as(KARI).await;
        let html = b
            .get(&home)
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Systemtilganger for Fjellbekk Bakeri AS")
                && html.contains("ingen systemtilganger"),
            "{html}"
        );
        let list = b
            .get(s.url(&format!("/accessmanagement/ui/systemuser/create?org={BAKERY}")))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("Regnskap Pluss"),
            "the visible system is offered"
        );
        // A search among the systems: by name (any case) or vendor; none; and one too long.
        let search = |q: String| {
            b.get(s.url(&format!("/accessmanagement/ui/systemuser/create?org={BAKERY}&search={q}")))
                .header("cookie", &kari)
                .send()
        };
        for q in ["regnskap", VENDOR] {
            let found = search(q.into()).await.unwrap().text().await.unwrap();
            assert!(found.contains("Regnskap Pluss"), "{q}: {found}");
        }
        let none = search("zzz".into()).await.unwrap().text().await.unwrap();
        assert!(none.contains("Ingen systemer passer søket.") && !none.contains("Regnskap Pluss"));
        let long = search("x".repeat(101)).await.unwrap();
        assert_eq!(long.status(), 400);
        let long = long.text().await.unwrap();
        assert!(long.contains("<title>Feil:") && long.contains("id=\"search-error\">Søket kan ikke være lenger enn 100 tegn."), "{long}");
        let confirm = b
            .get(s.url(&format!(
                "/accessmanagement/ui/systemuser/create?org={BAKERY}&system={SYSTEM}"
            )))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            confirm.contains("Krav og betalinger") && confirm.contains("Skattegrunnlag"),
            "everything the system gets is shown first"
        );
        assert!(confirm.contains("id=\"disclaimer\""), "what creating it means is said first");
        let csrf = common::input_value(&confirm, "csrf").unwrap();
        let create = |csrf: String| {
            b.post(s.url("/accessmanagement/ui/systemuser/create"))
                .header("cookie", &kari)
                .form(&[
                    ("org", BAKERY.to_owned()),
                    ("system", SYSTEM.to_owned()),
                    ("csrf", csrf),
                    ("title", "Bakeriets regnskap".to_owned()),
                ])
                .send()
        };
        assert_eq!(create("forged".into()).await.unwrap().status(), 403);
        let res = create(csrf.clone()).await.unwrap();
        assert_eq!(
            common::location(&res),
            format!("/accessmanagement/ui/systemuser/overview?org={BAKERY}&done=created")
        );
        let res = create(csrf.clone()).await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("allerede"));
        let html = b
            .get(format!("{home}?org={BAKERY}"))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Bakeriets regnskap") && html.contains("Krav og betalinger"),
            "{html}"
        );
        // The vendor sees it (its external reference is the org number), and can get tokens.
        let user: Value = s.get_auth(&format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={SYSTEM}&orgno={BAKERY}"), &mp).await.json().await.unwrap();
        assert_eq!(user["integrationTitle"], "Bakeriets regnskap");
        let details = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{BAKERY}")}}]);
        assert_eq!(
            vendor
                .token(
                    &s,
                    json!({"scope": RESOURCE_SCOPE, "authorization_details": details})
                )
                .await
                .status(),
            200
        );
        // A name over 255 characters is refused at the field, the typed name kept, nothing
        // renamed; the vendor still sees the old one.
        let user_id = user["id"].as_str().unwrap();
        let long = "x".repeat(256);
        let res = b
            .post(s.url(&format!("/accessmanagement/ui/systemuser/{user_id}/rename")))
            .header("cookie", &kari)
            .form(&[("org", BAKERY), ("title", long.as_str()), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let refused = res.text().await.unwrap();
        assert!(refused.contains("id=\"title-error\">Navnet kan ikke være lenger enn 255 tegn."), "{refused}");
        assert!(refused.contains(&format!("value=\"{long}\"")), "the typed name is kept");
        let unchanged: Value = s.get_auth(&format!("/authentication/api/v1/systemuser/vendor/byquery?system-id={SYSTEM}&orgno={BAKERY}"), &mp).await.json().await.unwrap();
        assert_eq!(unchanged["integrationTitle"], "Bakeriets regnskap");
        // Delete from the portal, after a confirmation page that says what it means.
        let confirm = b
            .get(s.url(&format!("/accessmanagement/ui/systemuser/{user_id}/delete?org={BAKERY}")))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap();
        assert_eq!(confirm.status(), 200);
        let page = confirm.text().await.unwrap();
        assert!(
            page.contains("Slette systemtilgangen?") && page.contains("Bakeriets regnskap"),
            "{page}"
        );
        let missing = b
            .get(s.url(&format!("/accessmanagement/ui/systemuser/nope/delete?org={BAKERY}")))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        let res = b
            .post(s.url(&format!("/accessmanagement/ui/systemuser/{user_id}/delete")))
            .header("cookie", &kari)
            .form(&[("org", BAKERY), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection());
        let html = b
            .get(format!("{home}?org={BAKERY}"))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("Bakeriets regnskap"));

        // Hanne represents several organisations and chooses; Siri represents none.
        let hanne = s.login_as("12927044860").await;
        let html = b
            .get(&home)
            .header("cookie", &hanne)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Velg virksomhet")
                && html.contains("Bjørklund Holding AS")
                && html.contains("Havbris Sjømat AS"),
            "{html}"
        );
        let siri = s.login_as(SIRI).await;
        assert_eq!(
            b.get(&home)
                .header("cookie", &siri)
                .send()
                .await
                .unwrap()
                .status(),
            403
        );

        // Escalation: Siri is made contact person for the bakery; she may send a request on.
        let admin = s.enterprise_token(VENDOR, "altinn:register/admin").await;
        let doc = json!({"roles": [{"role": "kontaktperson", "from": BAKERY, "to": SIRI}]});
        assert_eq!(
            s.post_json("/register/api/v1/admin/import", &admin, &doc)
                .await
                .status(),
            200
        );
        let created: Value = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        let siri_token = person_token(&s, SIRI).await;
        let seen: Value = s
            .get_auth(&format!("{REQ}/{id}"), &siri_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(seen["userMayEscalateButNotApprove"], true);
        let page = b
            .get(created["confirmUrl"].as_str().unwrap())
            .header("cookie", &siri)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 403);
        let page = page.text().await.unwrap();
        assert!(page.contains("Send til virksomhetens administratorer"));
        let csrf = common::input_value(&page, "csrf").unwrap();
        let res = b
            .post(s.url("/accessmanagement/ui/systemuser/request/escalate"))
            .header("cookie", &siri)
            .form(&[("id", id), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = b
            .get(format!("{home}?org={BAKERY}"))
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("sendt videre til deg"),
            "the administrator sees the escalated request: {html}"
        );
        let kari_token = person_token(&s, KARI).await;
        let party = party_id(&s, BAKERY).await;
        let pending: Vec<Value> = s
            .get_auth(&format!("{REQ}/{party}/{BAKERY}/pending"), &kari_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0]["escalated"], true);
        let unrelated = person_token(&s, ANDERS).await;
        assert_eq!(
            problem(s.get_auth(&format!("{REQ}/{id}"), &unrelated).await, 403).await["code"],
            "AUTH-00066"
        );
        let res = s
            .client
            .post(s.url(&format!("{REQ}/{party}/{id}/escalate")))
            .bearer_auth(&unrelated)
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!(false));
        s.stop().await;
    }
}

engine_tests! {
    async fn vendor_and_internal_lists_of_system_users(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        // Three customers approve a request each.
        let mut ids = Vec::new();
        for (pid, org) in [(KARI, BAKERY), (ANDERS, ELECTRIC), (CAMILLA, SALON)] {
            let created: Value = s
                .post_json(&format!("{REQ}/vendor"), &mp, &request_body(org))
                .await
                .json()
                .await
                .unwrap();
            let id = created["id"].as_str().unwrap().to_owned();
            assert_eq!(decide(&s, pid, org, &id, "approve").await.status(), 200);
            ids.push(id);
        }
        let register = s
            .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
            .await;
        let page: Value = s
            .get_auth(
                &format!("/authentication/api/v1/systemuser/vendor/bysystem/{SYSTEM}"),
                &register,
            )
            .await
            .json()
            .await
            .unwrap();
        let got: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(page["links"]["next"].is_null());
        let other = s
            .enterprise_token(OTHER_VENDOR, "altinn:authentication/systemregister.write")
            .await;
        assert_eq!(
            problem(
                s.get_auth(
                    &format!("/authentication/api/v1/systemuser/vendor/bysystem/{SYSTEM}"),
                    &other
                )
                .await,
                404
            )
            .await["code"],
            "AUTH-00011"
        );

        // The internal stream carries every change, deleted users too.
        let kari = person_token(&s, KARI).await;
        let party = party_id(&s, BAKERY).await;
        let delegations: Value = s
            .get_auth(
                &format!(
                    "/authentication/api/v1/systemuser/{party}/{}/delegations",
                    ids[0]
                ),
                &kari,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            delegations["accessPackages"],
            json!([{"urn": "urn:altinn:accesspackage:skattegrunnlag"}])
        );
        assert_eq!(
            s.client
                .delete(s.url(&format!(
                    "/authentication/api/v1/systemuser/{party}/{}",
                    ids[0]
                )))
                .bearer_auth(&kari)
                .send()
                .await
                .unwrap()
                .status(),
            202
        );
        let internal = s
            .enterprise_token("991825827", "altinn:authentication/systemuser.admin")
            .await;
        let stream: Value = s
            .get_auth(
                "/authentication/api/v1/systemuser/internal/systemusers/stream",
                &internal,
            )
            .await
            .json()
            .await
            .unwrap();
        let seqs: Vec<i64> = stream["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["sequenceNo"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs.len(), 3);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let last = stream["data"].as_array().unwrap().last().unwrap();
        assert_eq!(
            last["id"],
            ids[0].as_str(),
            "the deletion moved it to the end"
        );
        assert_eq!(last["isDeleted"], true);
        assert_eq!(stream["stats"]["sequenceMax"], seqs[2]);
        let next = stream["links"]["next"].as_str().unwrap();
        let rest: Value = s
            .client
            .get(next)
            .bearer_auth(&internal)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(rest["data"].as_array().unwrap().is_empty());
        assert!(rest["links"]["next"].is_null());
        assert_eq!(
            s.get_auth(
                &format!(
                    "/authentication/api/v1/systemuser/internal/systemusers/{}",
                    ids[1]
                ),
                &internal
            )
            .await
            .status(),
            200
        );
        problem(
            s.get_auth(
                &format!(
                    "/authentication/api/v1/systemuser/internal/systemusers/{}",
                    ids[0]
                ),
                &internal,
            )
            .await,
            410,
        )
        .await;
        problem(
            s.get_auth(
                "/authentication/api/v1/systemuser/internal/systemusers/stream",
                &mp,
            )
            .await,
            403,
        )
        .await;
        s.stop().await;
    }
}

engine_tests! {
    async fn every_creation_and_approval_code(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let register = s
            .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
            .await;
        let url = s.url(&format!("{REQ}/vendor"));
        let post = |body: Value| s.client.post(&url).bearer_auth(&mp).json(&body).send();

        // A system without redirect URLs (AUTH-00026); both lists empty (AUTH-00059); a package
        // that is not assignable (AUTH-00064).
        let bare = json!({"id": format!("{VENDOR}_bar"), "vendor": {"ID": format!("0192:{VENDOR}")},
            "name": {"nb": "Bar", "nn": "Bar", "en": "Bar"}, "description": {"nb": "b", "nn": "b", "en": "b"},
            "accessPackages": [{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}], "isVisible": false});
        assert_eq!(
            s.post_json(
                "/authentication/api/v1/systemregister/vendor",
                &register,
                &bare
            )
            .await
            .status(),
            200
        );
        let mut body = request_body(BAKERY);
        body["systemId"] = json!(format!("{VENDOR}_bar"));
        body.as_object_mut().unwrap().remove("rights");
        body["accessPackages"] = json!([{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}]);
        assert_eq!(
            problem(post(body.clone()).await.unwrap(), 400).await["code"],
            "AUTH-00026"
        );
        body.as_object_mut().unwrap().remove("redirectUrl");
        assert_eq!(
            problem(post(body.clone()).await.unwrap(), 400).await["code"],
            "AUTH-00064"
        );
        let mut empty = request_body(BAKERY);
        empty["rights"] = json!([]);
        empty["accessPackages"] = json!([]);
        assert_eq!(
            problem(post(empty).await.unwrap(), 400).await["code"],
            "AUTH-00059"
        );

        // Approval: unknown party (AUTH-00000), party of another organisation (AUTH-00041),
        // a deleted request (AUTH-00010), a deleted system (AUTH-00011).
        let id = post(request_body(BAKERY))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let kari = person_token(&s, KARI).await;
        let res = s
            .client
            .post(s.url(&format!("{REQ}/99999999/{id}/approve")))
            .bearer_auth(&kari)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(res, 400).await["code"], "AUTH-00000");
        let electric = party_id(&s, ELECTRIC).await;
        let res = s
            .client
            .post(s.url(&format!("{REQ}/{electric}/{id}/approve")))
            .bearer_auth(&kari)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(res, 403).await["code"], "AUTH-00041");
        let deleted = post(request_body(ELECTRIC))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            s.client
                .delete(s.url(&format!("{REQ}/vendor/{deleted}")))
                .bearer_auth(&mp)
                .send()
                .await
                .unwrap()
                .status(),
            202
        );
        assert_eq!(
            problem(decide(&s, ANDERS, ELECTRIC, &deleted, "approve").await, 404).await["code"],
            "AUTH-00010"
        );
        assert_eq!(
            s.client
                .delete(s.url(&format!(
                    "/authentication/api/v1/systemregister/vendor/{SYSTEM}"
                )))
                .bearer_auth(&register)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            problem(decide(&s, KARI, BAKERY, &id, "approve").await, 404).await["code"],
            "AUTH-00011"
        );
        assert!(
            s.app
                .store
                .system_users_of(BAKERY, None)
                .await
                .unwrap()
                .is_empty(),
            "nothing was created"
        );
        // Deleted systems are not offered to new requests either.
        assert_eq!(
            problem(post(request_body(SALON)).await.unwrap(), 404).await["code"],
            "AUTH-00011"
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn a_daglig_leder_appoints_an_access_manager_who_may_then_approve(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let b = &s.browser;
        let home = s.url(&format!("/accessmanagement/ui/systemuser/overview?org={BAKERY}"));
        let id = s
            .post_json(&format!("{REQ}/vendor"), &mp, &request_body(BAKERY))
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            problem(decide(&s, SIRI, BAKERY, &id, "approve").await, 403).await["code"],
            "AUTH-00041"
        );

        let kari = s.login_as(KARI).await;
        let html = b
            .get(&home)
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::input_value(&html, "csrf").unwrap();
        let url = s.url("/accessmanagement/ui/systemuser/accessmanagers");
        let res = b
            .post(&url)
            .header("cookie", &kari)
            .form(&[
                ("org", BAKERY),
                ("pid", "01818520031"),
                ("csrf", csrf.as_str()),
                ("action", "grant"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "a bad number is refused");
        // … on the overview again, in the person's language, at the field, the number kept.
        let refused = res.text().await.unwrap();
        assert!(refused.contains("<title>Feil: Systemtilganger"), "{refused}");
        assert!(refused.contains("id=\"manager-pid-error\">Fødselsnummeret er ikke gyldig"), "{refused}");
        assert!(refused.contains("value=\"01818520031\""), "the typed number is kept");
        let res = b
            .post(&url)
            .header("cookie", &kari)
            .form(&[
                ("org", BAKERY),
                ("pid", SIRI),
                ("csrf", csrf.as_str()),
                ("action", "grant"),
            ])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection());
        let html = b
            .get(&home)
            .header("cookie", &kari)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Siri Vik"));

        // Now Siri may approve, but not appoint others.
        assert_eq!(decide(&s, SIRI, BAKERY, &id, "approve").await.status(), 200);
        let siri = s.login_as(SIRI).await;
        let html = b
            .get(&home)
            .header("cookie", &siri)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Systemtilganger for Fjellbekk Bakeri AS") && !html.contains("Legg til")
        );
        // Her session's CSRF token, from a page with a form (the delete confirmation).
        let confirm = b
            .get(s.url(&format!("/accessmanagement/ui/systemuser/{id}/delete?org={BAKERY}")))
            .header("cookie", &siri)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let siri_csrf = common::input_value(&confirm, "csrf").unwrap();
        let res = b
            .post(&url)
            .header("cookie", &siri)
            .form(&[
                ("org", BAKERY),
                ("pid", ANDERS),
                ("csrf", siri_csrf.as_str()),
                ("action", "grant"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let page = res.text().await.unwrap();
        assert!(
            page.contains(
                "Bare daglig leder, styreleder eller innehaver kan utnevne tilgangsstyrere."
            ),
            "the page says why, not only the code's title: {page}"
        );

        // Removed again, she may not answer any more.
        let res = b
            .post(&url)
            .header("cookie", &kari)
            .form(&[
                ("org", BAKERY),
                ("pid", SIRI),
                ("csrf", csrf.as_str()),
                ("action", "revoke"),
            ])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection());
        let other = s
            .post_json(&format!("{REQ}/vendor"), &mp, &{
                let mut b = request_body(BAKERY);
                b["externalRef"] = json!("ny");
                b
            })
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(
            problem(
                decide(&s, SIRI, BAKERY, other["id"].as_str().unwrap(), "approve").await,
                403
            )
            .await["code"],
            "AUTH-00041"
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn page_forms_need_a_session_and_a_whole_form() {
    let s = TestServer::start(common::Engine::Sqlite).await;
    let b = &s.browser;
    for path in [
        "/accessmanagement/ui/systemuser/request/decide",
        "/accessmanagement/ui/systemuser/create",
        "/accessmanagement/ui/systemuser/x/delete",
        "/accessmanagement/ui/systemuser/x/rename",
    ] {
        let res = b
            .post(s.url(path))
            .form(&[("id", "x"), ("csrf", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path} without a session");
    }
    let kari = s.login_as(KARI).await;
    let res = b
        .post(s.url("/accessmanagement/ui/systemuser/request/decide"))
        .header("cookie", &kari)
        .form(&[("id", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a form without its fields");
    s.stop().await;
}

/// A second Maskinporten client of the vendor, with its own key, and a system `system_id`
/// that lists it.
async fn second_system(s: &TestServer, system_id: &str) -> Vendor {
    let scopes = json!([
        "altinn:authentication/systemuser.request.write",
        RESOURCE_SCOPE
    ]);
    let Vendor { key, client_id } = vendor_client(s, "Andre", scopes).await;
    let register = s
        .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
        .await;
    let system = json!({"id": system_id, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Andre", "nn": "Andre", "en": "Other"},
        "description": {"nb": "d", "nn": "d", "en": "d"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "clientId": [client_id], "allowedRedirectUrls": ["https://regnskap.example/ferdig"]});
    let res = s
        .post_json(
            "/authentication/api/v1/systemregister/vendor",
            &register,
            &system,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    Vendor { key, client_id }
}

engine_tests! {
    /// Regression (security review, item 2): keys were one string `system|org|externalRef`, so a
    /// system id and an external reference with `|` in them could name another organisation's
    /// system user, and the token endpoint issued a system-user token for an organisation that
    /// approved nothing. Keys are now three typed columns.
    async fn separators_in_system_ids_and_external_refs_never_collide(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        // The bakery approves a system user of SYSTEM with externalRef "<ELECTRIC>|k".
        let tricky_ref = format!("{ELECTRIC}|k");
        let mut body = request_body(BAKERY);
        body["externalRef"] = json!(tricky_ref);
        let res = s.post_json(&format!("{REQ}/vendor"), &mp, &body).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(decide(&s, KARI, BAKERY, &id, "approve").await.status(), 200);

        // "SYSTEM|BAKERY" + "|ELECTRIC|k" spells the same string as the bakery's key.
        let other_id = format!("{SYSTEM}|{BAKERY}");
        let other = second_system(&s, &other_id).await;
        let details = json!([{"type": "urn:altinn:systemuser",
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{ELECTRIC}")},
            "externalRef": "k"}]);
        let res = other
            .token(
                &s,
                json!({"scope": RESOURCE_SCOPE, "authorization_details": details}),
            )
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 400, "{engine:?}: {body}");
        assert_eq!(body["error"], "invalid_altinn_customer_configuration");
        assert!(body["error_description"].as_str().unwrap().starts_with("MP-303"), "{body}");

        // The electrician has no system user of the other system, and may be asked for one.
        let other_mp: Value = other
            .token(
                &s,
                json!({"scope": "altinn:authentication/systemuser.request.write"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let other_mp = other_mp["access_token"].as_str().unwrap();
        problem(
            s.get_auth(
                &format!(
                    "/authentication/api/v1/systemuser/vendor/byquery?system-id={}&orgno={ELECTRIC}&external-ref=k",
                    other_id.replace('|', "%7C")
                ),
                &mp,
            )
            .await,
            404,
        )
        .await;
        let ask = json!({"systemId": other_id, "partyOrgNo": ELECTRIC, "externalRef": "k",
            "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]});
        let res = s.post_json(&format!("{REQ}/vendor"), other_mp, &ask).await;
        assert_eq!(
            res.status(),
            201,
            "{engine:?}: {}",
            res.text().await.unwrap()
        );
        s.stop().await;
    }
}

engine_tests! {
    /// Regression (security review, item 5): an approval held its transaction's connection while
    /// it asked the pool for another, so a burst of approvals starved the pool (500s after 10 s)
    /// and took the token endpoint down with it. Fifty approvals at once, mixed with fifty
    /// system-user token grants, all succeed on both engines.
    async fn fifty_concurrent_approvals_mixed_with_token_grants_all_succeed(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let mut ids = Vec::new();
        for i in 0..51 {
            let mut body = request_body(BAKERY);
            body["externalRef"] = json!(format!("kunde-{i}"));
            let res = s.post_json(&format!("{REQ}/vendor"), &mp, &body).await;
            assert_eq!(res.status(), 201);
            ids.push(
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        // The first one is approved beforehand: the grants ask for its token.
        assert_eq!(
            decide(&s, KARI, BAKERY, &ids[0], "approve").await.status(),
            200
        );
        let token = person_token(&s, KARI).await;
        let party = party_id(&s, BAKERY).await;
        let details = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{BAKERY}")}, "externalRef": "kunde-0"}]);
        let mut tasks = Vec::new();
        for id in &ids[1..] {
            let url = s.url(&format!("{REQ}/{party}/{id}/approve"));
            let req = s.client.post(url).bearer_auth(&token).send();
            tasks.push(tokio::spawn(async move {
                req.await.map(|r| r.status().as_u16()).unwrap_or(0)
            }));
            let grant = s
                .client
                .post(s.url("/maskinporten/token"))
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    (
                        "assertion",
                        vendor
                            .assertion(
                                &s,
                                json!({"scope": RESOURCE_SCOPE, "authorization_details": details}),
                            )
                            .as_str(),
                    ),
                ])
                .send();
            tasks.push(tokio::spawn(async move {
                grant.await.map(|r| r.status().as_u16()).unwrap_or(0)
            }));
        }
        let mut statuses = std::collections::BTreeMap::new();
        for t in tasks {
            *statuses.entry(t.await.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(
            statuses,
            std::collections::BTreeMap::from([(200, 100)]),
            "{engine:?}"
        );
        assert_eq!(s.app.store.system_users_of(BAKERY, None).await.unwrap().len(), 51);
        s.stop().await;
    }
}
