//! The system register API as a vendor script uses it, with every validation code, on both
//! engines.

use crate::common;

use common::{Engine, TestServer, problem};
use serde_json::{Value, json};
use tilgang::jose::{RsaSigningKey, sign_compact};

const VENDOR: &str = "317219253";
const OTHER: &str = "315034698";
const BASE: &str = "/authentication/api/v1/systemregister";
const WRITE: &str = "altinn:authentication/systemregister.write";

fn system(id: &str) -> Value {
    json!({
        "id": id,
        "vendor": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Regnskap Pluss", "nn": "Rekneskap Pluss", "en": "Accounting Plus"},
        "description": {"nb": "Fører regnskap", "nn": "Fører rekneskap", "en": "Keeps the books"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skattegrunnlag"}],
        "clientId": [format!("client-{id}")],
        "isVisible": true,
        "allowedRedirectUrls": ["https://regnskap.example/ferdig"]
    })
}

/// A Maskinporten token for the vendor with the system-register scope, via the embedded
/// Maskinporten (client registered through the self-service API).
async fn maskinporten_token(s: &TestServer, org: &str, scope: &str) -> String {
    let dcr = s.enterprise_token(org, "idporten:dcr.write").await;
    let client: Value = s
        .post_json(
            "/selvbetjening/api/v1/clients",
            &dcr,
            &json!({"client_name": "vendor", "description": "d", "scopes": [scope]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let key = RsaSigningKey::generate("k".into()).unwrap();
    s.post_json(
        &format!("/selvbetjening/api/v1/clients/{client_id}/jwks"),
        &dcr,
        &json!({"keys": [key.public().jwk()]}),
    )
    .await;
    let now = s.clock.now() / 1_000_000;
    let assertion = sign_compact(&key, &json!({"iss": client_id, "aud": s.url("/maskinporten/"), "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(), "scope": scope})).unwrap();
    let res: Value = s
        .client
        .post(s.url("/maskinporten/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["access_token"].as_str().unwrap().to_owned()
}

async fn put_json(s: &TestServer, path: &str, token: &str, body: &Value) -> reqwest::Response {
    s.client
        .put(s.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete(s: &TestServer, path: &str, token: &str) -> reqwest::Response {
    s.client
        .delete(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn codes(res: reqwest::Response) -> Vec<String> {
    let body = problem(res, 400).await;
    body["validationErrors"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

engine_tests! {
    async fn a_vendor_manages_its_system_end_to_end(engine: Engine) {
        let s = TestServer::start(engine).await;
        let mp = maskinporten_token(&s, VENDOR, WRITE).await;
        let portal = s.enterprise_token(OTHER, "altinn:portal/enduser").await;
        let id = format!("{VENDOR}_regnskap");

        let res = s
            .post_json(&format!("{BASE}/vendor"), &mp, &system(&id))
            .await;
        assert_eq!(res.status(), 200, "{engine:?}");
        let internal: Value = res.json().await.unwrap();
        assert!(
            uuid::Uuid::parse_str(internal.as_str().unwrap()).is_ok(),
            "the internal id as a JSON string"
        );

        let full: Value = s
            .get_auth(&format!("{BASE}/vendor/{id}"), &mp)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            full["vendor"],
            json!({"ID": format!("0192:{VENDOR}")}),
            "authority is not written out"
        );
        assert_eq!(full["clientId"], json!([format!("client-{id}")]));
        assert_eq!(full["isDeleted"], false);

        let mine: Vec<Value> = s
            .get_auth(&format!("{BASE}/vendor"), &mp)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["systemVendorOrgName"], "Regnskapssystemet AS");

        let mut changed = system(&id);
        changed["name"]["nb"] = json!("Regnskap Pluss 2");
        changed["isVisible"] = json!(false);
        let res = put_json(&s, &format!("{BASE}/vendor/{id}"), &mp, &changed).await;
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"succeeded": true})
        );
        let res = put_json(&s, &format!("{BASE}/vendor/{id}/rights"), &mp, &json!([{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}, {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}])).await;
        assert_eq!(res.status(), 200);
        let res = put_json(
            &s,
            &format!("{BASE}/vendor/{id}/accesspackages"),
            &mp,
            &json!([{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}]),
        )
        .await;
        assert_eq!(
            res.status(),
            200,
            "client packages are fine on an invisible system"
        );

        let rights: Vec<Value> = s
            .get_auth(&format!("{BASE}/{id}/rights"), &portal)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rights.len(), 2);
        let packages: Value = s
            .get_auth(&format!("{BASE}/{id}/accesspackages"), &portal)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            packages,
            json!([{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}])
        );
        let one: Value = s
            .get_auth(&format!("{BASE}/{id}"), &portal)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one["name"]["nb"], "Regnskap Pluss 2");

        let log: Vec<Value> = s
            .get_auth(&format!("{BASE}/vendor/{id}/changelog"), &mp)
            .await
            .json()
            .await
            .unwrap();
        let kinds: Vec<&str> = log
            .iter()
            .map(|e| e["changeType"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["accesspackageupdate", "rightsupdate", "update", "create"]
        );
        assert_eq!(log[3]["changedByOrgNumber"], VENDOR);
        assert!(
            log[3]["clientId"].is_string(),
            "the token's client id is recorded"
        );

        // Visible and live systems only in the portal list.
        let visible = format!("{VENDOR}_synlig");
        let mut v = system(&visible);
        v["clientId"] = json!([]);
        assert_eq!(
            s.post_json(&format!("{BASE}/vendor"), &mp, &v)
                .await
                .status(),
            200
        );
        let list: Vec<Value> = s.get_auth(BASE, &portal).await.json().await.unwrap();
        let ids: Vec<&str> = list
            .iter()
            .map(|x| x["systemId"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [visible.as_str()],
            "the invisible system is not listed"
        );

        // Delete (also a system without client ids), then nothing more changes.
        let res = delete(&s, &format!("{BASE}/vendor/{visible}"), &mp).await;
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"succeeded": true})
        );
        assert!(
            s.get_auth(BASE, &portal)
                .await
                .json::<Vec<Value>>()
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            delete(&s, &format!("{BASE}/vendor/{id}"), &mp)
                .await
                .status(),
            200
        );
        assert_eq!(
            delete(&s, &format!("{BASE}/vendor/{id}"), &mp)
                .await
                .status(),
            200,
            "deleting again is harmless"
        );
        let full: Value = s
            .get_auth(&format!("{BASE}/vendor/{id}"), &mp)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(full["isDeleted"], true);
        assert_eq!(full["clientId"], json!([]), "the client ids are freed");
        let body = problem(
            put_json(&s, &format!("{BASE}/vendor/{id}"), &mp, &changed).await,
            400,
        )
        .await;
        assert_eq!(body["code"], "AUTH-00100");
        problem(
            put_json(&s, &format!("{BASE}/vendor/{id}/rights"), &mp, &json!([])).await,
            400,
        )
        .await;
        assert!(
            s.get_auth(&format!("{BASE}/vendor"), &mp)
                .await
                .json::<Vec<Value>>()
                .await
                .unwrap()
                .is_empty()
        );

        // A freed client id can be registered again; a deleted system's id cannot.
        let mut again = system(&format!("{VENDOR}_ny"));
        again["clientId"] = json!([format!("client-{id}")]);
        assert_eq!(
            s.post_json(&format!("{BASE}/vendor"), &mp, &again)
                .await
                .status(),
            200
        );
        let mut same_id = system(&id);
        same_id["clientId"] = json!([]);
        assert_eq!(
            codes(s.post_json(&format!("{BASE}/vendor"), &mp, &same_id).await).await,
            ["AUTH.VLD-00002"]
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn every_validation_code_alone(engine: Engine) {
        let s = TestServer::start(engine).await;
        let t = s.enterprise_token(VENDOR, WRITE).await;
        let url = format!("{BASE}/vendor");
        assert_eq!(
            s.post_json(&url, &t, &system(&format!("{VENDOR}_finnes")))
                .await
                .status(),
            200
        );

        let with = |id: &str, f: &dyn Fn(&mut Value)| {
            let mut b = system(id);
            f(&mut b);
            b
        };
        let cases: Vec<(Value, &str)> = vec![
            (
                with(&format!("{VENDOR}_a"), &|b| {
                    b["vendor"]["ID"] = json!(format!("0193:{VENDOR}"))
                }),
                "AUTH.VLD-00000",
            ),
            (with("910493353_a", &|_| {}), "AUTH.VLD-00001"),
            (
                with(&format!("{VENDOR}_finnes"), &|b| b["clientId"] = json!([])),
                "AUTH.VLD-00002",
            ),
            (
                with(
                    &format!("{VENDOR}_b"),
                    &|b| b["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "finnes-ikke"}]}]),
                ),
                "AUTH.VLD-00003",
            ),
            (
                with(&format!("{VENDOR}_c"), &|b| {
                    b["clientId"] = json!([format!("client-{VENDOR}_finnes")])
                }),
                "AUTH.VLD-00004",
            ),
            (
                with(&format!("{VENDOR}_d"), &|b| {
                    b["allowedRedirectUrls"] = json!(["/tilbake"])
                }),
                "AUTH.VLD-00005",
            ),
            (
                with(
                    &format!("{VENDOR}_e"),
                    &|b| b["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}, {"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]),
                ),
                "AUTH.VLD-00006",
            ),
            (
                with(
                    &format!("{VENDOR}_f"),
                    &|b| b["accessPackages"] = json!([{"urn": "urn:altinn:accesspackage:skattegrunnlag"}, {"urn": "urn:altinn:accesspackage:skattegrunnlag"}]),
                ),
                "AUTH.VLD-00007",
            ),
            (
                with(&format!("{VENDOR}_g"), &|b| {
                    b["accessPackages"] = json!([{"urn": "urn:altinn:accesspackage:finnes-ikke"}])
                }),
                "AUTH.VLD-00008",
            ),
            (
                with(
                    &format!("{VENDOR}_h"),
                    &|b| {
                        b["rights"] =
                            json!([{"resource": [{"id": "urn:altinn:org", "value": "ttd"}]}])
                    },
                ),
                "AUTH.VLD-00009",
            ),
            (
                with(&format!("{VENDOR}_i"), &|b| {
                    b["clientId"] = json!(["dup", "DUP"])
                }),
                "AUTH.VLD-00011",
            ),
            (
                with(&format!("{VENDOR}_med mellomrom"), &|_| {}),
                "AUTH.VLD-00013",
            ),
            (
                with(
                    &format!("{VENDOR}_j"),
                    &|b| b["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "altinn_access_management"}]}]),
                ),
                "AUTH.VLD-00017",
            ),
            (
                with(
                    &format!("{VENDOR}_k"),
                    &|b| {
                        b["accessPackages"] =
                            json!([{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}])
                    },
                ),
                "AUTH.VLD-00018",
            ),
            (
                with(&format!("{VENDOR}_l"), &|b| {
                    b["name"].as_object_mut().unwrap().remove("nn");
                }),
                "AUTH.VLD-00100",
            ),
            (
                with(&format!("{VENDOR}_m"), &|b| {
                    b["description"] = json!({"nb": "x"})
                }),
                "AUTH.VLD-00101",
            ),
            (
                with(&format!("{VENDOR}_n"), &|b| {
                    b["rights"] = json!(vec![json!({"resource": []}); 10_000])
                }),
                "AUTH.VLD-00102",
            ),
            (
                with(&format!("{VENDOR}_o"), &|b| b["clientId"] = json!([""])),
                "AUTH.VLD-00103",
            ),
        ];
        for (body, code) in cases {
            let res = s.post_json(&url, &t, &body).await;
            let status = res.status();
            let body_text = res.text().await.unwrap();
            assert_eq!(status, 400, "{code}: {body_text}");
            let parsed: Value = serde_json::from_str(&body_text).unwrap();
            let got: Vec<&str> = parsed["validationErrors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap())
                .collect();
            assert_eq!(got, [code], "{engine:?}: {body_text}");
        }
        // The extension names what is wrong, in Altinn's style.
        let body = problem(s.post_json(&url, &t, &with(&format!("{VENDOR}_p"), &|b| b["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "nope-1"}, {"id": "urn:altinn:resource", "value": "nope-2"}]}]))).await, 400).await;
        assert_eq!(
            body["validationErrors"][0]["ResourceIds Not Found : "],
            "nope-1 | nope-2"
        );
        assert_eq!(
            body["validationErrors"][0]["paths"],
            json!(["/registersystemrequest/rights/resource"])
        );

        // Update-only checks: id mismatch (00012) and a client id of another system (00004).
        let other_id = format!("{VENDOR}_annen");
        let mut other = system(&other_id);
        other["clientId"] = json!(["only-mine"]);
        assert_eq!(s.post_json(&url, &t, &other).await.status(), 200);
        let finnes = format!("{url}/{VENDOR}_finnes");
        assert_eq!(
            codes(put_json(&s, &finnes, &t, &system(&other_id)).await).await,
            ["AUTH.VLD-00012"]
        );
        let mut steal = system(&format!("{VENDOR}_finnes"));
        steal["clientId"] = json!(["only-mine"]);
        assert_eq!(
            codes(put_json(&s, &finnes, &t, &steal).await).await,
            ["AUTH.VLD-00004"]
        );
        let mut redirect = system(&format!("{VENDOR}_finnes"));
        redirect["allowedRedirectUrls"] = json!(["http://regnskap.example/"]);
        assert_eq!(
            codes(put_json(&s, &finnes, &t, &redirect).await).await,
            ["AUTH.VLD-00005"],
            "checked on update too"
        );
        assert_eq!(
            codes(
                put_json(
                    &s,
                    &format!("{finnes}/rights"),
                    &t,
                    &json!([{"resource": [{"id": "urn:altinn:resource", "value": "nope"}]}])
                )
                .await
            )
            .await,
            ["AUTH.VLD-00003"]
        );
        assert_eq!(
            codes(
                put_json(
                    &s,
                    &format!("{finnes}/accesspackages"),
                    &t,
                    &json!([{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}])
                )
                .await
            )
            .await,
            ["AUTH.VLD-00018"],
            "the stored isVisible counts"
        );

        // Nothing of the refused bodies was stored.
        let mine: Vec<Value> = s.get_auth(&url, &t).await.json().await.unwrap();
        assert_eq!(mine.len(), 2);
        s.stop().await;
    }
}

engine_tests! {
    async fn ownership_unknown_systems_and_bad_bodies(engine: Engine) {
        let s = TestServer::start(engine).await;
        let t = s.enterprise_token(VENDOR, WRITE).await;
        let other = s.enterprise_token(OTHER, WRITE).await;
        let admin = s
            .enterprise_token(OTHER, "altinn:authentication/systemregister.admin")
            .await;
        let id = format!("{VENDOR}_eier");
        let url = format!("{BASE}/vendor/{id}");
        assert_eq!(
            s.post_json(&format!("{BASE}/vendor"), &t, &system(&id))
                .await
                .status(),
            200
        );

        // Another vendor may neither create for this vendor nor touch its system.
        problem(
            s.post_json(
                &format!("{BASE}/vendor"),
                &other,
                &system(&format!("{VENDOR}_x")),
            )
            .await,
            403,
        )
        .await;
        problem(s.get_auth(&url, &other).await, 403).await;
        problem(put_json(&s, &url, &other, &system(&id)).await, 403).await;
        problem(
            put_json(&s, &format!("{url}/rights"), &other, &json!([])).await,
            403,
        )
        .await;
        problem(delete(&s, &url, &other).await, 403).await;
        problem(s.get_auth(&format!("{url}/changelog"), &other).await, 403).await;
        // The admin scope may.
        assert_eq!(s.get_auth(&url, &admin).await.status(), 200);
        // A body naming another vendor is treated as not found (no vendor enumeration).
        let mut wrong_vendor = system(&id);
        wrong_vendor["vendor"]["ID"] = json!(format!("0192:{OTHER}"));
        problem(put_json(&s, &url, &t, &wrong_vendor).await, 404).await;
        // Scopes: the portal scope cannot write, the write scope cannot use the portal list.
        let portal = s.enterprise_token(VENDOR, "altinn:portal/enduser").await;
        problem(
            s.post_json(&format!("{BASE}/vendor"), &portal, &system(&id))
                .await,
            403,
        )
        .await;
        problem(s.get_auth(BASE, &t).await, 403).await;
        problem(s.client.get(s.url(BASE)).send().await.unwrap(), 401).await;
        // A person's token has no vendor.
        let person = s
            .client
            .get(s.url("/api/GetPersonalToken"))
            .query(&[("pid", "05827536549"), ("scopes", WRITE)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        problem(s.get_auth(&format!("{BASE}/vendor"), &person).await, 403).await;

        // Unknown systems: 404 with AUTH-00011 everywhere a vendor acts; [] on the portal reads.
        let missing = format!("{BASE}/vendor/{VENDOR}_finnes_ikke");
        for res in [
            s.get_auth(&missing, &t).await,
            put_json(&s, &missing, &t, &system(&format!("{VENDOR}_finnes_ikke"))).await,
            put_json(&s, &format!("{missing}/rights"), &t, &json!([])).await,
            put_json(&s, &format!("{missing}/accesspackages"), &t, &json!([])).await,
            delete(&s, &missing, &t).await,
            s.get_auth(&format!("{missing}/changelog"), &t).await,
            s.get_auth(&format!("{BASE}/{VENDOR}_finnes_ikke"), &portal)
                .await,
        ] {
            assert_eq!(problem(res, 404).await["code"], "AUTH-00011");
        }
        assert_eq!(
            s.get_auth(&format!("{BASE}/{VENDOR}_finnes_ikke/rights"), &portal)
                .await
                .json::<Value>()
                .await
                .unwrap(),
            json!([])
        );
        assert_eq!(
            s.get_auth(
                &format!("{BASE}/{VENDOR}_finnes_ikke/accesspackages"),
                &portal
            )
            .await
            .json::<Value>()
            .await
            .unwrap(),
            json!([])
        );

        // Bad bodies: wrong types, 1 MB names, non-UTF-8, missing fields.
        let mut wrong_types = system(&format!("{VENDOR}_y"));
        wrong_types["rights"] = json!("alle");
        problem(
            s.post_json(&format!("{BASE}/vendor"), &t, &wrong_types)
                .await,
            400,
        )
        .await;
        let mut huge = system(&format!("{VENDOR}_z"));
        huge["name"]["nb"] = json!("x".repeat(1024 * 1024));
        assert_eq!(
            codes(s.post_json(&format!("{BASE}/vendor"), &t, &huge).await).await,
            ["AUTH.VLD-00100"]
        );
        let raw = s
            .client
            .post(s.url(&format!("{BASE}/vendor")))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(vec![b'{', 0xff, b'}'])
            .send()
            .await
            .unwrap();
        problem(raw, 400).await;
        problem(
            s.post_json(
                &format!("{BASE}/vendor"),
                &t,
                &json!({"id": format!("{VENDOR}_w")}),
            )
            .await,
            400,
        )
        .await;
        let mine: Vec<Value> = s
            .get_auth(&format!("{BASE}/vendor"), &t)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine.len(), 1, "nothing stored by refused calls");

        s.stop().await;
    }
}

engine_tests! {
    async fn the_operator_page_lists_systems_for_operators_only(engine: Engine) {
        let s = TestServer::start(engine).await;
        let t = s.enterprise_token(VENDOR, WRITE).await;
        let id = format!("{VENDOR}_operator");
        assert_eq!(
            s.post_json(&format!("{BASE}/vendor"), &t, &system(&id))
                .await
                .status(),
            200
        );

        let res = s.browser.get(s.url("/admin/")).send().await.unwrap();
        assert_eq!(
            common::location(&res),
            "/auth/login/idporten?goto=/admin/",
            "log in first"
        );

        let operator = s.login_as("14836835388").await;
        let res = s
            .browser
            .get(s.url("/admin/"))
            .header("cookie", &operator)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&id) && html.contains("Regnskap Pluss") && html.contains("synlig"),
            "{html}"
        );

        let customer = s.login_as("05827536549").await;
        let res = s
            .browser
            .get(s.url("/admin/"))
            .header("cookie", &customer)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        s.stop().await;
    }
}

/// A client of `org` in the embedded Maskinporten, made through its self-service API.
async fn client_of(s: &TestServer, org: &str) -> String {
    let dcr = s.enterprise_token(org, "idporten:dcr.write").await;
    let res = s
        .post_json(
            "/selvbetjening/api/v1/clients",
            &dcr,
            &json!({"client_name": "klient", "description": "d", "scopes": [WRITE]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let client: Value = res.json().await.unwrap();
    assert_eq!(client["client_orgno"], org);
    client["client_id"].as_str().unwrap().to_owned()
}

/// [`system`] of vendor `org` with `client_ids`.
fn system_of(org: &str, id: &str, client_ids: &[&str]) -> Value {
    let mut b = system(id);
    b["vendor"]["ID"] = json!(format!("0192:{org}"));
    b["clientId"] = json!(client_ids);
    b
}

/// The client ids stored on a system, sorted.
async fn stored_clients(s: &TestServer, url: &str, token: &str) -> Vec<String> {
    let full: Value = s.get_auth(url, token).await.json().await.unwrap();
    let mut ids: Vec<String> = full["clientId"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

engine_tests! {
    /// Regression (security review, item 8): a vendor could register a system naming another
    /// organisation's Maskinporten client. A client that tilgang's embedded Maskinporten holds for
    /// another organisation is now refused (AUTH.VLD-00104) on create and on update; a client id
    /// it does not know passes as before (in production the clients live at the real
    /// Maskinporten, which tilgang cannot ask).
    async fn a_system_may_name_only_its_vendors_own_maskinporten_clients(engine: Engine) {
        let s = TestServer::start(engine).await;
        let url = format!("{BASE}/vendor");
        let a = s.enterprise_token(VENDOR, WRITE).await;
        let b = s.enterprise_token(OTHER, WRITE).await;
        let admin = s
            .enterprise_token(VENDOR, "altinn:authentication/systemregister.admin")
            .await;
        let a_client_id = client_of(&s, VENDOR).await;
        let b_client_id = client_of(&s, OTHER).await;
        let (a_client, b_client) = (a_client_id.as_str(), b_client_id.as_str());
        let unknown = "ukjent-for-den-innebygde-maskinporten";

        // B names A's client on create: 400 with the code, and nothing is stored.
        let b_id = format!("{OTHER}_lant");
        let b_url = format!("{url}/{b_id}");
        let res = s
            .post_json(&url, &b, &system_of(OTHER, &b_id, &[b_client, a_client]))
            .await;
        let body = problem(res, 400).await;
        let errors = body["validationErrors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{engine:?}: {body}");
        assert_eq!(errors[0]["code"], "AUTH.VLD-00104", "{body}");
        assert_eq!(
            errors[0]["paths"],
            json!(["/registersystemrequest/clientid"])
        );
        assert!(
            errors[0]["title"]
                .as_str()
                .unwrap()
                .contains("belong to a Maskinporten client of another organisation"),
            "{body}"
        );
        assert_eq!(
            errors[0]["ClientIds Of Another Organisation : "], a_client,
            "only the foreign id is named"
        );
        assert_eq!(
            problem(s.get_auth(&b_url, &b).await, 404).await["code"],
            "AUTH-00011"
        );
        // Nor in another case, nor through the admin scope (here of A itself): the client must
        // belong to the system's vendor, whoever calls.
        let upper = a_client.to_uppercase();
        assert_eq!(
            codes(
                s.post_json(&url, &b, &system_of(OTHER, &b_id, &[upper.as_str()]))
                    .await
            )
            .await,
            ["AUTH.VLD-00104"]
        );
        assert_eq!(
            codes(
                s.post_json(&url, &admin, &system_of(OTHER, &b_id, &[a_client]))
                    .await
            )
            .await,
            ["AUTH.VLD-00104"]
        );
        assert!(
            s.get_auth(&url, &b)
                .await
                .json::<Vec<Value>>()
                .await
                .unwrap()
                .is_empty(),
            "nothing stored by the refused creates"
        );

        // B's own client, and an id the embedded Maskinporten does not know, pass.
        let honest = system_of(OTHER, &b_id, &[b_client, unknown]);
        let res = s.post_json(&url, &b, &honest).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let mut expected = vec![b_client.to_owned(), unknown.to_owned()];
        expected.sort();
        assert_eq!(stored_clients(&s, &b_url, &b).await, expected);

        // B adds A's client by a full update: 400 with the code, the stored list unchanged.
        let grab = system_of(OTHER, &b_id, &[b_client, unknown, a_client]);
        assert_eq!(
            codes(put_json(&s, &b_url, &b, &grab).await).await,
            ["AUTH.VLD-00104"]
        );
        let swap = system_of(OTHER, &b_id, &[a_client]);
        assert_eq!(
            codes(put_json(&s, &b_url, &b, &swap).await).await,
            ["AUTH.VLD-00104"]
        );
        assert_eq!(stored_clients(&s, &b_url, &b).await, expected);
        // An update with its own and unknown ids still works.
        let res = put_json(&s, &b_url, &b, &system_of(OTHER, &b_id, &[unknown])).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(stored_clients(&s, &b_url, &b).await, [unknown]);

        // A registers its own client, which B's refused calls left free, and updates it.
        let a_id = format!("{VENDOR}_egen");
        let a_url = format!("{url}/{a_id}");
        let mine = system_of(VENDOR, &a_id, &[a_client]);
        let res = s.post_json(&url, &a, &mine).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(stored_clients(&s, &a_url, &a).await, [a_client]);
        let mut renamed = mine;
        renamed["name"]["nb"] = json!("Eget system");
        let res = put_json(&s, &a_url, &a, &renamed).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        // And A may not take B's client in turn.
        let res = put_json(
            &s,
            &a_url,
            &a,
            &system_of(VENDOR, &a_id, &[a_client, b_client]),
        )
        .await;
        assert_eq!(codes(res).await, ["AUTH.VLD-00104"]);
        assert_eq!(stored_clients(&s, &a_url, &a).await, [a_client]);
        s.stop().await;
    }
}

/// The scope is checked before the body is read, as in Altinn (authorization before model
/// binding): a token without the scope gets 403 even when the body is broken; without a
/// token, 401.
#[tokio::test]
async fn the_scope_is_checked_before_the_body() {
    let s = TestServer::start(common::Engine::Sqlite).await;
    let token = s
        .enterprise_token(VENDOR, "altinn:authentication/systemuser.request.read")
        .await;
    let post = |token: Option<&str>| {
        let mut req = s
            .client
            .post(s.url("/authentication/api/v1/systemregister/vendor"))
            .header("content-type", "application/json")
            .body("{not json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let body = problem(post(Some(&token)).await.unwrap(), 403).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("altinn:authentication/systemregister.write"),
        "{body}"
    );
    problem(post(None).await.unwrap(), 401).await;
    let good = s
        .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
        .await;
    problem(post(Some(&good)).await.unwrap(), 400).await;
    s.stop().await;
}
