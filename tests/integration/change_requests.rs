//! Change requests through the API (spec authentication-api §2.3 C1–C9, errata §E): a vendor
//! asks to add a right and remove a package of an approved system user, the customer's daglig
//! leder approves, and the system user holds exactly the new set; every refusal, replays,
//! races, the timeout and the system user's deletion. On both engines.

use crate::agents::{FIRM, GUNNHILD, SIGNING, approved_agent, vendor_with_client_system};
use crate::common;
use crate::system_users::{
    BAKERY, KARI, VENDOR, Vendor, futures_join_all, party_id, person_token, token_with,
    vendor_client,
};

use common::{Engine, TestServer, json_of, problem, send};
use serde_json::{Value, json};
use uuid::Uuid;

const SU: &str = "/authentication/api/v1/systemuser";
const CR: &str = "/authentication/api/v1/systemuser/changerequest";
const SYSTEM: &str = "317219253_endring";
const OTHER_VENDOR: &str = "315034698";
const ANDERS: &str = "28878205660"; // daglig leder, Nordlys Elektro AS
const ELECTRIC: &str = "312882930";
const SIRI: &str = "28849440200"; // no roles
const TAXES: &str = "ske-krav-og-betalinger";
const PAYROLL_REPORT: &str = "ske-innrapportering-amelding";
const BASIS: &str = "urn:altinn:accesspackage:skattegrunnlag";
const VAT: &str = "urn:altinn:accesspackage:merverdiavgift";
const CLIENT_ONLY: &str = "urn:altinn:accesspackage:regnskapsforer-lonn";
const REDIRECT: &str = "https://endring.example/ferdig";

fn right(resource: &str) -> Value {
    json!({"resource": [{"id": "urn:altinn:resource", "value": resource}]})
}

fn pkg(urn: &str) -> Value {
    json!({"urn": urn})
}

/// The vendor's system with two rights and three packages (one only for clients), and a
/// system user of Fjellbekk Bakeri AS holding the first right and the first package.
struct Fixture {
    vendor: Vendor,
    token: String,
    system_user: String,
}

async fn fixture(s: &TestServer) -> Fixture {
    let scopes = json!([
        "altinn:authentication/systemuser.request.write",
        "altinn:authentication/systemuser.request.read"
    ]);
    let vendor = vendor_client(s, "Endring", scopes).await;
    let register = s
        .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
        .await;
    let system = json!({"id": SYSTEM, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Lønn og skatt", "nn": "Løn og skatt", "en": "Payroll and tax"},
        "description": {"nb": "d", "nn": "d", "en": "d"}, "isVisible": false,
        "rights": [right(TAXES), right(PAYROLL_REPORT)],
        "accessPackages": [pkg(BASIS), pkg(VAT), pkg(CLIENT_ONLY)],
        "clientId": [vendor.client_id], "allowedRedirectUrls": [REDIRECT]});
    let res = s
        .post_json(
            "/authentication/api/v1/systemregister/vendor",
            &register,
            &system,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let token = vendor.access_token(s).await;
    let body = json!({"systemId": SYSTEM, "partyOrgNo": BAKERY, "rights": [right(TAXES)], "accessPackages": [pkg(BASIS)]});
    let res = s
        .post_json(&format!("{SU}/request/vendor"), &token, &body)
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let party = party_id(s, BAKERY).await;
    let res = send(
        s,
        reqwest::Method::POST,
        &format!("{SU}/request/{party}/{id}/approve"),
        &person_token(s, KARI).await,
    )
    .await;
    assert_eq!(res.status(), 200);
    Fixture {
        vendor,
        token,
        system_user: id,
    }
}

/// C1 for `system_user` with `correlation` and `body`.
async fn ask(
    s: &TestServer,
    token: &str,
    correlation: &str,
    system_user: &str,
    body: &Value,
) -> reqwest::Response {
    s.post_json(
        &format!("{CR}/vendor?correlation-id={correlation}&system-user-id={system_user}"),
        token,
        body,
    )
    .await
}

/// Adds the amelding right, removes the skattegrunnlag package.
fn add_right_remove_package() -> Value {
    json!({"requiredRights": [right(PAYROLL_REPORT)], "unwantedAccessPackages": [pkg(BASIS)], "redirectUrl": format!("{REDIRECT}?kunde=1")})
}

/// What the customer sees the system user hold (U3).
async fn holds(s: &TestServer, system_user: &str) -> (Value, Value) {
    let party = party_id(s, BAKERY).await;
    let u = json_of(
        s.get_auth(
            &format!("{SU}/{party}/{system_user}"),
            &person_token(s, KARI).await,
        )
        .await,
        200,
    )
    .await;
    (u["rights"].clone(), u["accessPackages"].clone())
}

async fn decide(s: &TestServer, pid: &str, org: &str, id: &str, what: &str) -> reqwest::Response {
    let party = party_id(s, org).await;
    send(
        s,
        reqwest::Method::POST,
        &format!("{CR}/{party}/{id}/{what}"),
        &person_token(s, pid).await,
    )
    .await
}

async fn code(res: reqwest::Response, status: u16) -> String {
    problem(res, status).await["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn audited(s: &TestServer, action: &str) -> Vec<tilgang::store::audit::AuditRecord> {
    s.app
        .store
        .audit_entries(&tilgang::store::audit::AuditQuery {
            action: Some(action.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

engine_tests! {
    async fn a_change_request_from_the_ask_to_the_new_set(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;
        let id = Uuid::new_v4().to_string();
        let res = ask(&s, &f.token, &id, &f.system_user, &add_right_remove_package()).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["location"].to_str().unwrap(), s.url(&format!("{CR}/{id}")));
        let created = res.json::<Value>().await.unwrap();
        assert_eq!(created["id"], id.as_str());
        assert_eq!(created["systemUserId"], f.system_user.as_str());
        assert_eq!((&created["systemId"], &created["partyOrgNo"], &created["externalRef"]), (&json!(SYSTEM), &json!(BAKERY), &json!(BAKERY)));
        assert_eq!(created["requiredRights"], json!([right(PAYROLL_REPORT)]));
        assert_eq!(created["unwantedRights"], json!([]));
        assert_eq!(created["unwantedAccessPackages"], json!([pkg(BASIS)]));
        assert_eq!(created["status"], "New");
        assert_eq!(created["timedOut"], false);
        assert_eq!(created["redirectUrl"], format!("{REDIRECT}?kunde=1"));
        assert_eq!(created["confirmUrl"], s.url(&format!("/accessmanagement/ui/systemuser/changerequest?id={id}&DONTCHOOSEREPORTEE=true")));

        // The vendor reads it three ways (by key with the package lists, unlike Altinn).
        let read = json_of(s.get_auth(&format!("{CR}/vendor/{id}"), &f.token).await, 200).await;
        assert_eq!(read, created);
        let upper = json_of(s.get_auth(&format!("{CR}/vendor/{}", id.to_uppercase()), &f.token).await, 200).await;
        assert_eq!(upper["id"], id.as_str(), "ids match whatever their case, as Altinn's GUIDs");
        let by_key = json_of(s.get_auth(&format!("{CR}/vendor/byexternalref/{SYSTEM}/{BAKERY}/{BAKERY}"), &f.token).await, 200).await;
        assert_eq!(by_key["unwantedAccessPackages"], json!([pkg(BASIS)]));
        let page = json_of(s.get_auth(&format!("{CR}/vendor/bysystem/{SYSTEM}"), &f.token).await, 200).await;
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        assert!(page["data"][0].get("confirmUrl").is_none() && page["links"].get("next").is_none(), "{page}");

        // The customer reads it by party (C6) and as the person answering it (C7).
        let party = party_id(&s, BAKERY).await;
        let kari = person_token(&s, KARI).await;
        let c6 = json_of(s.get_auth(&format!("{CR}/{party}/{id}"), &kari).await, 200).await;
        assert!(c6.get("confirmUrl").is_none());
        let c7 = json_of(s.get_auth(&format!("{CR}/{id}"), &kari).await, 200).await;
        assert_eq!(c7["partyId"], party);
        assert!(c7.get("created").is_none() && c7["partyUuid"].is_string(), "{c7}");

        // Approval: the system user holds exactly the new set at once.
        assert_eq!(json_of(decide(&s, KARI, BAKERY, &id, "approve").await, 200).await, json!(true));
        assert_eq!(holds(&s, &f.system_user).await, (json!([right(TAXES), right(PAYROLL_REPORT)]), json!([])));
        assert_eq!(json_of(s.get_auth(&format!("{CR}/vendor/{id}"), &f.token).await, 200).await["status"], "Accepted");
        assert_eq!(code(decide(&s, KARI, BAKERY, &id, "approve").await, 409).await, "AUTH-00013");
        let approvals = audited(&s, "systemuser.changerequest.approve").await;
        assert_eq!(approvals.len(), 1);
        assert_eq!(approvals[0].details["before"]["accessPackages"], json!([pkg(BASIS)]));
        assert_eq!(approvals[0].details["after"]["rights"], json!([right(TAXES), right(PAYROLL_REPORT)]));
        let trail = audited(&s, "systemuser.change").await;
        assert_eq!((trail.len(), trail[0].target.as_str()), (1, format!("systemuser:{}", f.system_user).as_str()));
        assert_eq!(audited(&s, "systemuser.changerequest.create").await[0].details["unwantedAccessPackages"], json!([pkg(BASIS)]));

        // The system-user token still works, for the new right's owner.
        let details = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{BAKERY}")}}]);
        let res = f.vendor.token(&s, json!({"scope": "altinn:authentication/systemuser.request.read", "authorization_details": details})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        s.stop().await;
    }

    async fn nothing_to_change_replays_and_races(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;

        // All four lists empty: NoChangeNeeded, nothing stored.
        let id = Uuid::new_v4().to_string();
        let body = json_of(ask(&s, &f.token, &id, &f.system_user, &json!({})).await, 200).await;
        assert_eq!(body["status"], "NoChangeNeeded");
        assert_eq!(body["confirmUrl"], "");
        assert_eq!(code(s.get_auth(&format!("{CR}/vendor/{id}"), &f.token).await, 404).await, "AUTH-00010");

        // A change the system user already satisfies is stored; approving it changes nothing.
        let id = Uuid::new_v4().to_string();
        let satisfied = json!({"requiredRights": [right(TAXES)], "unwantedAccessPackages": [pkg(VAT)]});
        assert_eq!(json_of(ask(&s, &f.token, &id, &f.system_user, &satisfied).await, 201).await["status"], "New");
        let before = holds(&s, &f.system_user).await;
        assert_eq!(json_of(decide(&s, KARI, BAKERY, &id, "approve").await, 200).await, json!(true));
        assert_eq!(holds(&s, &f.system_user).await, before);

        // The same correlation id again: the stored change request, whatever the new body.
        let replay = json_of(ask(&s, &f.token, &id, &f.system_user, &add_right_remove_package()).await, 200).await;
        assert_eq!((&replay["status"], &replay["requiredRights"]), (&json!("Accepted"), &json!([right(TAXES)])));
        assert!(replay["confirmUrl"].is_string());

        // 50 identical asks at once: one change request.
        let id = Uuid::new_v4().to_string();
        let url = s.url(&format!("{CR}/vendor?correlation-id={id}&system-user-id={}", f.system_user));
        let posts = (0..50).map(|_| s.client.post(&url).bearer_auth(&f.token).json(&add_right_remove_package()).send());
        let mut statuses = Vec::new();
        for res in futures_join_all(posts).await {
            statuses.push(res.unwrap().status().as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 201 || *s == 200), "{statuses:?}");
        let page = json_of(s.get_auth(&format!("{CR}/vendor/bysystem/{SYSTEM}"), &f.token).await, 200).await;
        assert_eq!(page["data"].as_array().unwrap().len(), 2, "the satisfied one and this one");
        assert_eq!(audited(&s, "systemuser.changerequest.create").await.len(), 2);
        s.stop().await;
    }

    async fn every_refusal_of_an_ask_and_none_stores_anything(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;
        let su = f.system_user.as_str();
        let good = add_right_remove_package();
        let fresh = || Uuid::new_v4().to_string();
        let ask_code = |correlation: String, system_user: String, body: Value, status: u16| {
            let s = &s;
            let token = f.token.clone();
            async move { code(ask(s, &token, &correlation, &system_user, &body).await, status).await }
        };
        for bad in ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
            assert_eq!(ask_code(bad.into(), su.into(), good.clone(), 400).await, "AUTH-00104", "{bad:?}");
        }
        let no_id = s.post_json(&format!("{CR}/vendor?system-user-id={su}"), &f.token, &good).await;
        assert_eq!(code(no_id, 400).await, "AUTH-00104");
        assert_eq!(ask_code(fresh(), Uuid::new_v4().to_string(), good.clone(), 404).await, "AUTH-00015");
        let no_user = s.post_json(&format!("{CR}/vendor?correlation-id={}", fresh()), &f.token, &good).await;
        assert_eq!(code(no_user, 404).await, "AUTH-00015");
        assert_eq!(ask_code(su.into(), su.into(), good.clone(), 400).await, "AUTH-00105");
        let with = |k: &str, v: Value| {
            let mut b = good.clone();
            b[k] = v;
            b
        };
        assert_eq!(ask_code(fresh(), su.into(), with("requiredRights", json!([right("ske-innrapportering-boligselskap")])), 400).await, "AUTH-00001");
        assert_eq!(ask_code(fresh(), su.into(), with("requiredAccessPackages", json!([pkg("urn:altinn:accesspackage:toll")])), 400).await, "AUTH-00063");
        assert_eq!(ask_code(fresh(), su.into(), with("requiredAccessPackages", json!([pkg(CLIENT_ONLY)])), 400).await, "AUTH-00064");
        assert_eq!(ask_code(fresh(), su.into(), with("unwantedRights", json!([right(PAYROLL_REPORT)])), 400).await, "AUTH-00107");
        assert_eq!(ask_code(fresh(), su.into(), with("redirectUrl", json!("https://evil.example/ferdig")), 400).await, "AUTH-00021");
        assert_eq!(ask_code(fresh(), su.into(), with("redirectUrl", json!("/ferdig")), 400).await, "AUTH-00021");
        let many: Vec<Value> = (0..201).map(|i| right(&format!("r{i}"))).collect();
        let body = problem(ask(&s, &f.token, &fresh(), su, &with("unwantedRights", json!(many))).await, 400).await;
        assert!(body["detail"].as_str().unwrap().contains("unwantedRights may name at most 200"), "{body}");
        let not_json = s.client.post(s.url(&format!("{CR}/vendor?correlation-id={}&system-user-id={su}", fresh()))).bearer_auth(&f.token).body("{").header("content-type", "application/json").send().await.unwrap();
        problem(not_json, 400).await;

        // Another vendor's system user: 403 that says so; a person's token lacks the scope.
        let other_token = s.enterprise_token(OTHER_VENDOR, "altinn:authentication/systemuser.request.write").await;
        let body = problem(ask(&s, &other_token, &fresh(), su, &good).await, 403).await;
        assert_eq!(body["code"], "AUTH-00106");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(su) && !detail.contains(SYSTEM), "names the system user, not the other vendor's system: {body}");
        problem(ask(&s, &person_token(&s, KARI).await, &fresh(), su, &good).await, 403).await;

        // An agent system user: change requests are for standard system users only.
        let agent_vendor = vendor_with_client_system(&s, "317219253_klient", &[SIGNING]).await;
        let agent = approved_agent(&s, &agent_vendor, "317219253_klient", FIRM, GUNNHILD, &[SIGNING]).await;
        let agent_token = agent_vendor.access_token(&s).await;
        let body = problem(ask(&s, &agent_token, &fresh(), &agent, &json!({"unwantedAccessPackages": [pkg(SIGNING)]})).await, 404).await;
        assert_eq!(body["code"], "AUTH-00015");
        assert!(body["detail"].as_str().unwrap().contains("standard system users only"), "{body}");

        // A correlation id of a deleted change request is refused.
        let id = fresh();
        assert_eq!(ask(&s, &f.token, &id, su, &good).await.status(), 201);
        assert_eq!(send(&s, reqwest::Method::DELETE, &format!("{CR}/vendor/{id}"), &f.token).await.status(), 202);
        assert_eq!(code(send(&s, reqwest::Method::DELETE, &format!("{CR}/vendor/{id}"), &f.token).await, 404).await, "AUTH-00010");
        assert_eq!(code(s.get_auth(&format!("{CR}/vendor/{id}"), &f.token).await, 404).await, "AUTH-00010");
        assert_eq!(ask_code(id, su.into(), good.clone(), 409).await, "AUTH-00061");

        // None of the refusals stored anything.
        let page = json_of(s.get_auth(&format!("{CR}/vendor/bysystem/{SYSTEM}"), &f.token).await, 200).await;
        assert_eq!(page["data"], json!([]), "only the deleted one was stored");
        assert_eq!(audited(&s, "systemuser.changerequest.create").await.len(), 1);
        s.stop().await;
    }

    async fn who_may_answer_timeouts_and_deletion(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;
        let su = f.system_user.as_str();
        let id = Uuid::new_v4().to_string();
        assert_eq!(ask(&s, &f.token, &id, su, &add_right_remove_package()).await.status(), 201);
        let before = holds(&s, su).await;

        // Refusals, each with its code; none changes the system user.
        let kari = person_token(&s, KARI).await;
        let res = send(&s, reqwest::Method::POST, &format!("{CR}/99999999/{id}/approve"), &kari).await;
        assert_eq!(code(res, 400).await, "AUTH-00000");
        let bakery = party_id(&s, BAKERY).await;
        let res = send(&s, reqwest::Method::POST, &format!("{CR}/{bakery}/{}/approve", Uuid::new_v4()), &kari).await;
        assert_eq!(code(res, 404).await, "AUTH-00010");
        for (pid, org) in [(ANDERS, ELECTRIC), (KARI, ELECTRIC), (SIRI, BAKERY)] {
            for what in ["approve", "reject"] {
                assert_eq!(code(decide(&s, pid, org, &id, what).await, 403).await, "AUTH-00041", "{pid} {org} {what}");
            }
        }
        let electric = party_id(&s, ELECTRIC).await;
        assert_eq!(code(s.get_auth(&format!("{CR}/{electric}/{id}"), &person_token(&s, ANDERS).await).await, 404).await, "AUTH-00010");
        assert_eq!(code(s.get_auth(&format!("{CR}/{id}"), &person_token(&s, SIRI).await).await, 403).await, "AUTH-00066");
        assert_eq!(holds(&s, su).await, before);

        // Rejected: unchanged, and no longer answerable.
        assert_eq!(json_of(decide(&s, KARI, BAKERY, &id, "reject").await, 200).await, json!(true));
        assert_eq!(code(decide(&s, KARI, BAKERY, &id, "approve").await, 409).await, "AUTH-00013");
        assert_eq!(holds(&s, su).await, before);

        // Timed out after the request timeout: gone for the vendor, not approvable, and the
        // job writes the status.
        let late = Uuid::new_v4().to_string();
        assert_eq!(ask(&s, &f.token, &late, su, &add_right_remove_package()).await.status(), 201);
        s.clock.advance(std::time::Duration::from_secs(10 * 24 * 3600));
        let token = f.vendor.access_token(&s).await;
        assert_eq!(code(s.get_auth(&format!("{CR}/vendor/{late}"), &token).await, 404).await, "AUTH-00010");
        assert_eq!(code(decide(&s, KARI, BAKERY, &late, "approve").await, 409).await, "AUTH-00013");
        tilgang::services::jobs::run_once(&s.app).await;
        assert_eq!(s.app.store.change_request(&late).await.unwrap().unwrap().status.as_str(), "Timedout");
        let by_key = json_of(s.get_auth(&format!("{CR}/vendor/byexternalref/{SYSTEM}/{BAKERY}/{BAKERY}"), &token).await, 200).await;
        assert_eq!((&by_key["id"], &by_key["status"]), (&json!(id), &json!("Rejected")), "the answered one, not the timed-out one");
        assert_eq!(code(ask(&s, &token, &late, su, &add_right_remove_package()).await, 409).await, "AUTH-00061");

        // The system user is deleted: its change request stays readable, but not approvable,
        // and no new one can be asked for.
        let pending = Uuid::new_v4().to_string();
        assert_eq!(ask(&s, &token, &pending, su, &add_right_remove_package()).await.status(), 201);
        let res = send(&s, reqwest::Method::DELETE, &format!("{SU}/{bakery}/{su}"), &person_token(&s, KARI).await).await;
        assert_eq!(res.status(), 202);
        assert_eq!(json_of(s.get_auth(&format!("{CR}/vendor/{pending}"), &token).await, 200).await["status"], "New");
        assert_eq!(code(decide(&s, KARI, BAKERY, &pending, "approve").await, 404).await, "AUTH-00015");
        assert_eq!(code(ask(&s, &token, &Uuid::new_v4().to_string(), su, &add_right_remove_package()).await, 404).await, "AUTH-00015");

        // The standard request of the deleted system user reads as deleted (errata §F.21).
        assert_eq!(code(s.get_auth(&format!("{SU}/request/vendor/{su}"), &token).await, 404).await, "AUTH-00010");
        s.stop().await;
    }

    async fn concurrent_approvals_apply_once_and_lose_no_update(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;
        let su = f.system_user.as_str();
        let kari = person_token(&s, KARI).await;
        let bakery = party_id(&s, BAKERY).await;

        // The same change request approved twice at once: one 200, one 409.
        let id = Uuid::new_v4().to_string();
        assert_eq!(ask(&s, &f.token, &id, su, &add_right_remove_package()).await.status(), 201);
        let url = s.url(&format!("{CR}/{bakery}/{id}/approve"));
        let both = (0..2).map(|_| s.client.post(&url).bearer_auth(&kari).send());
        let mut statuses: Vec<u16> = Vec::new();
        for res in futures_join_all(both).await {
            statuses.push(res.unwrap().status().as_u16());
        }
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        assert_eq!(audited(&s, "systemuser.changerequest.approve").await.len(), 1);

        // Two different change requests of one system user approved at once: both apply.
        let (a, b) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
        let add_vat = json!({"requiredAccessPackages": [pkg(VAT)]});
        let drop_taxes = json!({"unwantedRights": [right(TAXES)]});
        assert_eq!(ask(&s, &f.token, &a, su, &add_vat).await.status(), 201);
        assert_eq!(ask(&s, &f.token, &b, su, &drop_taxes).await.status(), 201);
        let urls = [s.url(&format!("{CR}/{bakery}/{a}/approve")), s.url(&format!("{CR}/{bakery}/{b}/approve"))];
        let both = urls.iter().map(|u| s.client.post(u).bearer_auth(&kari).send());
        for res in futures_join_all(both).await {
            assert_eq!(res.unwrap().status(), 200);
        }
        assert_eq!(holds(&s, su).await, (json!([right(PAYROLL_REPORT)]), json!([pkg(VAT)])));
        s.stop().await;
    }

    async fn the_page_at_the_confirm_url_shows_the_difference(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;
        let id = Uuid::new_v4().to_string();
        let created = json_of(ask(&s, &f.token, &id, &f.system_user, &add_right_remove_package()).await, 201).await;
        let confirm = created["confirmUrl"].as_str().unwrap().to_owned();
        let b = &s.browser;
        let page = |cookie: String, url: String| async move {
            let res = b.get(&url).header("cookie", cookie).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        };

        // Not logged in: to ID-porten and back; without authority: told who may approve.
        let res = b.get(&confirm).send().await.unwrap();
        assert!(common::location(&res).starts_with("/auth/login/idporten?goto=%2Faccessmanagement%2Fui%2Fsystemuser%2Fchangerequest%3Fid%3D"));
        let siri = s.login_as(SIRI).await;
        let (status, html) = page(siri.clone(), confirm.clone()).await;
        assert_eq!(status, 403);
        assert!(html.contains("daglig leder"), "{html}");

        // The daglig leder sees what it holds, what is added and what is removed, in her language.
        let kari = s.login_as(KARI).await;
        let (status, html) = page(kari.clone(), confirm.clone()).await;
        assert_eq!(status, 200, "{html}");
        let section = |id: &str| html.split(&format!("id=\"{id}\"")).nth(1).and_then(|r| r.split("</div>").next()).unwrap_or_default().to_owned();
        assert!(section("held").contains("Krav og betalinger") && section("held").contains("Skattegrunnlag"), "{html}");
        assert!(section("added").contains("Innrapportering av a-melding") && !section("added").contains("Skattegrunnlag"), "{html}");
        assert!(section("removed").contains("Skattegrunnlag") && !section("removed").contains("Krav"), "{html}");
        assert!(html.contains("Lønn og skatt") && html.contains("Fjellbekk Bakeri AS") && html.contains("Endring av systemtilgang"));
        let (_, english) = page(format!("{kari}; lang=en"), confirm.clone()).await;
        assert!(english.contains("Will be added") && english.contains("A-melding reporting") && english.contains("Payroll and tax"), "{english}");
        let (_, nynorsk) = page(format!("{kari}; lang=nn"), confirm.clone()).await;
        assert!(nynorsk.contains("Blir fjerna") && nynorsk.contains("Løn og skatt"), "{nynorsk}");

        // The organisation's page lists it under the system user.
        let (_, portal) = page(kari.clone(), s.url(&format!("/accessmanagement/ui/systemuser/overview?org={BAKERY}"))).await;
        assert!(portal.contains(&format!("changerequest?id={id}")), "{portal}");

        // A forged form changes nothing; the real one approves and sends her back to the vendor.
        let csrf = common::input_value(&html, "csrf").unwrap();
        let decide_url = s.url("/accessmanagement/ui/systemuser/changerequest/decide");
        let res = b.post(&decide_url).header("cookie", &kari).form(&[("id", id.as_str()), ("csrf", "forged"), ("decision", "approve")]).send().await.unwrap();
        assert_eq!(res.status(), 403);
        let res = b.post(&decide_url).header("cookie", &kari).form(&[("id", id.as_str()), ("csrf", csrf.as_str()), ("decision", "approve")]).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let receipt = res.text().await.unwrap();
        assert!(receipt.contains("Endringen er godkjent") && receipt.contains(&format!("href=\"{REDIRECT}?kunde=1\"")), "{receipt}");
        assert_eq!(holds(&s, &f.system_user).await, (json!([right(TAXES), right(PAYROLL_REPORT)]), json!([])));
        let (status, html) = page(kari.clone(), confirm.clone()).await;
        assert_eq!(status, 409);
        assert!(html.contains("allerede godkjent"));
        let (_, portal) = page(kari.clone(), s.url(&format!("/accessmanagement/ui/systemuser/overview?org={BAKERY}"))).await;
        assert!(!portal.contains("changerequest?id="), "answered: no longer listed");

        // Rejected on the page: a receipt, and the system user is unchanged.
        let no = Uuid::new_v4().to_string();
        let created = json_of(ask(&s, &f.token, &no, &f.system_user, &json!({"unwantedRights": [right(TAXES)]})).await, 201).await;
        let (_, html) = page(kari.clone(), created["confirmUrl"].as_str().unwrap().to_owned()).await;
        let csrf = common::input_value(&html, "csrf").unwrap();
        let res = b.post(&decide_url).header("cookie", &kari).form(&[("id", no.as_str()), ("csrf", csrf.as_str()), ("decision", "reject")]).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("Systemtilgangen er uendret."));
        assert_eq!(holds(&s, &f.system_user).await.0, json!([right(TAXES), right(PAYROLL_REPORT)]));
        assert_eq!(json_of(s.get_auth(&format!("{CR}/vendor/{no}"), &f.token).await, 200).await["status"], "Rejected");

        // Nothing to change, unknown, timed out, and a deleted system user.
        let same = Uuid::new_v4().to_string();
        let created = json_of(ask(&s, &f.token, &same, &f.system_user, &json!({"requiredRights": [right(TAXES)]})).await, 201).await;
        let (status, html) = page(kari.clone(), created["confirmUrl"].as_str().unwrap().to_owned()).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"no-change\""), "{html}");
        let (status, _) = page(kari.clone(), s.url("/accessmanagement/ui/systemuser/changerequest?id=nothing")).await;
        assert_eq!(status, 404);
        let bakery = party_id(&s, BAKERY).await;
        let res = send(&s, reqwest::Method::DELETE, &format!("{SU}/{bakery}/{}", f.system_user), &person_token(&s, KARI).await).await;
        assert_eq!(res.status(), 202);
        let (status, html) = page(kari.clone(), created["confirmUrl"].as_str().unwrap().to_owned()).await;
        assert_eq!(status, 410);
        assert!(html.contains("Systemtilgangen er slettet"), "{html}");
        s.clock.advance(std::time::Duration::from_secs(10 * 24 * 3600));
        let kari = s.login_as(KARI).await;
        let (status, html) = page(kari, created["confirmUrl"].as_str().unwrap().to_owned()).await;
        assert_eq!(status, 410);
        assert!(html.contains("utløpt"), "{html}");
        s.stop().await;
    }

    async fn the_remaining_codes_and_paging(engine: Engine) {
        let s = TestServer::start(engine).await;
        let f = fixture(&s).await;
        let su = f.system_user.as_str();
        let good = add_right_remove_package();

        // A person's token with the vendor scope names no vendor: 401 AUTH-00023.
        let person = token_with(&s, KARI, "altinn:authentication/systemuser.request.write").await;
        assert_eq!(code(ask(&s, &person, &Uuid::new_v4().to_string(), su, &good).await, 401).await, "AUTH-00023");

        // The correlation id of another system user's pending change request: AUTH-00007.
        let body = json!({"systemId": SYSTEM, "partyOrgNo": ELECTRIC, "rights": [right(TAXES)]});
        let other = json_of(s.post_json(&format!("{SU}/request/vendor"), &f.token, &body).await, 201).await;
        let other = other["id"].as_str().unwrap().to_owned();
        assert_eq!(json_of(decide_request(&s, ANDERS, ELECTRIC, &other).await, 200).await, json!(true));
        let shared = Uuid::new_v4().to_string();
        assert_eq!(ask(&s, &f.token, &shared, su, &good).await.status(), 201);
        assert_eq!(code(ask(&s, &f.token, &shared, &other, &good).await, 400).await, "AUTH-00007");

        // C4 pages of 50 without skip or repeat; a bad token; another vendor's system.
        for _ in 0..50 {
            assert_eq!(ask(&s, &f.token, &Uuid::new_v4().to_string(), &other, &json!({"unwantedRights": [right(TAXES)]})).await.status(), 201);
        }
        let first = json_of(s.get_auth(&format!("{CR}/vendor/bysystem/{SYSTEM}"), &f.token).await, 200).await;
        assert_eq!(first["data"].as_array().unwrap().len(), 50);
        let next = first["links"]["next"].as_str().unwrap().strip_prefix(&s.base).unwrap().to_owned();
        let second = json_of(s.get_auth(&next, &f.token).await, 200).await;
        assert_eq!(second["data"].as_array().unwrap().len(), 1, "51 in all");
        assert!(second["links"].get("next").is_none());
        let ids: std::collections::BTreeSet<String> = first["data"].as_array().unwrap().iter().chain(second["data"].as_array().unwrap()).map(|c| c["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids.len(), 51);
        // At most 100 may wait per system user.
        for _ in 50..100 {
            assert_eq!(ask(&s, &f.token, &Uuid::new_v4().to_string(), &other, &json!({"unwantedRights": [right(TAXES)]})).await.status(), 201);
        }
        let body = problem(ask(&s, &f.token, &Uuid::new_v4().to_string(), &other, &json!({"unwantedRights": [right(TAXES)]})).await, 400).await;
        assert!(body["detail"].as_str().unwrap().contains("100 change requests of this system user wait"), "{body}");
        problem(s.get_auth(&format!("{CR}/vendor/bysystem/{SYSTEM}?token=bad"), &f.token).await, 400).await;
        let stranger = s.enterprise_token(OTHER_VENDOR, "altinn:authentication/systemuser.request.read").await;
        assert_eq!(code(s.get_auth(&format!("{CR}/vendor/bysystem/{SYSTEM}"), &stranger).await, 404).await, "AUTH-00011");
        assert_eq!(code(s.get_auth(&format!("{CR}/vendor/{shared}"), &stranger).await, 404).await, "AUTH-00011");

        // The system without redirect URLs: AUTH-00026; deleted: AUTH-00011 for a new change
        // and for approving a pending one.
        let register = s.enterprise_token(VENDOR, "altinn:authentication/systemregister.write").await;
        let mut system = json_of(s.get_auth(&format!("/authentication/api/v1/systemregister/vendor/{SYSTEM}"), &register).await, 200).await;
        system["allowedRedirectUrls"] = json!([]);
        let res = s.client.put(s.url(&format!("/authentication/api/v1/systemregister/vendor/{SYSTEM}"))).bearer_auth(&register).json(&system).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(code(ask(&s, &f.token, &Uuid::new_v4().to_string(), su, &good).await, 400).await, "AUTH-00026");
        // Narrowed since the change was asked for: approval checks again.
        let res = s.client.put(s.url(&format!("/authentication/api/v1/systemregister/vendor/{SYSTEM}/rights"))).bearer_auth(&register).json(&json!([right(TAXES)])).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(code(decide(&s, KARI, BAKERY, &shared, "approve").await, 400).await, "AUTH-00001");
        let res = send(&s, reqwest::Method::DELETE, &format!("/authentication/api/v1/systemregister/vendor/{SYSTEM}"), &register).await;
        assert_eq!(res.status(), 200);
        let no_redirect = json!({"requiredRights": [right(PAYROLL_REPORT)]});
        assert_eq!(code(ask(&s, &f.token, &Uuid::new_v4().to_string(), su, &no_redirect).await, 404).await, "AUTH-00011");
        assert_eq!(code(decide(&s, KARI, BAKERY, &shared, "approve").await, 404).await, "AUTH-00011");
        s.stop().await;
    }
}

/// Approves the standard request `id` of `org` as `pid`.
async fn decide_request(s: &TestServer, pid: &str, org: &str, id: &str) -> reqwest::Response {
    let party = party_id(s, org).await;
    send(
        s,
        reqwest::Method::POST,
        &format!("{SU}/request/{party}/{id}/approve"),
        &person_token(s, pid).await,
    )
    .await
}
