//! Client systems through the API: the vendor asks for an agent system user for an accounting
//! firm, the firm's daglig leder approves it, chooses which of the firm's clients it may act
//! for (the `enduser/systemuser` façade and the portal's BFF routes), and the vendor fetches an
//! agent token. Every code of errata §B–§D, the eligibility rule, idempotence and races, on
//! both engines.

use crate::common;
use crate::system_users::{VENDOR, Vendor, party_id, person_token, token_with, vendor_client};

use common::{Engine, TestServer, claims_of, json_of, problem, send};
use serde_json::{Value, json};

pub(crate) const FIRM: &str = "313564363"; // Tallknuserne Regnskap AS, 28 regnskapsforer clients
pub(crate) const GUNNHILD: &str = "24827748486"; // daglig leder of the firm
const TOVE: &str = "06906900570"; // klientadministrator of the firm
const KARI: &str = "05827536549"; // daglig leder of Fjellbekk Bakeri AS (a client)
const SIRI: &str = "28849440200"; // no roles
const BAKERY: &str = "315287138"; // Fjellbekk Bakeri AS: regnskapsforer and revisor client
const ELECTRIC: &str = "312882930"; // Nordlys Elektro AS: regnskapsforer client
const SEAFOOD: &str = "313027104"; // Havbris Sjømat AS: regnskapsforer client
const HOUSING: &str = "319219773"; // Solsiden Borettslag: a client of another facilitator
const MANAGER: &str = "319832343"; // the business manager (forretningsforer)
const MANAGER_DL: &str = "22846930586";
const ASGARD: &str = "310478210"; // Åsgard Eiendom AS: forretningsforer client, but an AS
const SOLSIDEN_BRL: &str = "319219773"; // a BRL client of the business manager

const REQ: &str = "/authentication/api/v1/systemuser/request";
const SU: &str = "/authentication/api/v1/systemuser";
const FACADE: &str = "/authentication/api/v1/enduser/systemuser";
const SYSTEM: &str = "317219253_klient";
const RESOURCE_SCOPE: &str = "krr:global/kontaktinformasjon.read";
pub(crate) const SIGNING: &str = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";
const PAYROLL: &str = "urn:altinn:accesspackage:regnskapsforer-lonn";
const AUDITOR: &str = "urn:altinn:accesspackage:ansvarlig-revisor";
const ESTATE: &str = "urn:altinn:accesspackage:forretningsforer-eiendom";
const MAIN_ADMIN: &str = "urn:altinn:accesspackage:hovedadministrator";

fn pkgs(urns: &[&str]) -> Value {
    Value::Array(urns.iter().map(|u| json!({"urn": u})).collect())
}

/// The vendor's Maskinporten client and its client system (`packages` for clients).
pub(crate) async fn vendor_with_client_system(
    s: &TestServer,
    id: &str,
    packages: &[&str],
) -> Vendor {
    let scopes = json!([
        "altinn:authentication/systemuser.request.write",
        "altinn:authentication/systemuser.request.read",
        RESOURCE_SCOPE
    ]);
    let vendor = vendor_client(s, id, scopes).await;
    register_system(s, id, packages, &vendor.client_id).await;
    vendor
}

async fn register_system(s: &TestServer, id: &str, packages: &[&str], client_id: &str) {
    let register = s
        .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
        .await;
    let system = json!({"id": id, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Klientsystemet", "nn": "Klientsystemet", "en": "The client system"},
        "description": {"nb": "For regnskapsførere", "nn": "For rekneskapsførarar", "en": "For accountants"},
        "accessPackages": pkgs(packages), "isVisible": false,
        "clientId": [client_id], "allowedRedirectUrls": ["https://regnskap.example/ferdig"]});
    let res = s
        .post_json(
            "/authentication/api/v1/systemregister/vendor",
            &register,
            &system,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

fn agent_body(system: &str, org: &str, packages: &[&str]) -> Value {
    json!({"systemId": system, "partyOrgNo": org, "externalRef": format!("klient-{org}"),
           "accessPackages": pkgs(packages),
           "redirectUrl": "https://regnskap.example/ferdig?kunde=1"})
}

/// The codes of a validation problem (`validationErrors`).
fn validation_codes(body: &Value) -> Vec<String> {
    body["validationErrors"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates an agent request for `org` and has `approver` approve it; the agent's id.
pub(crate) async fn approved_agent(
    s: &TestServer,
    vendor: &Vendor,
    system: &str,
    org: &str,
    approver: &str,
    packages: &[&str],
) -> String {
    let mp = vendor.access_token(s).await;
    let created = json_of(
        s.post_json(
            &format!("{REQ}/vendor/agent"),
            &mp,
            &agent_body(system, org, packages),
        )
        .await,
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let party = party_id(s, org).await;
    let res = send(
        s,
        reqwest::Method::POST,
        &format!("{REQ}/agent/{party}/{id}/approve"),
        &person_token(s, approver).await,
    )
    .await;
    assert_eq!(json_of(res, 200).await, json!(true));
    id
}

/// A client system of the vendor with `packages`, an approved agent system user of `org` for
/// it, and `pid`'s tokens for reading and changing its clients.
struct Firm {
    vendor: Vendor,
    agent: String,
    read: String,
    write: String,
}

async fn firm_with_agent(s: &TestServer, org: &str, pid: &str, packages: &[&str]) -> Firm {
    let vendor = vendor_with_client_system(s, SYSTEM, packages).await;
    let agent = approved_agent(s, &vendor, SYSTEM, org, pid, packages).await;
    Firm {
        vendor,
        agent,
        read: token_with(s, pid, "altinn:clientdelegations.read").await,
        write: token_with(s, pid, "altinn:clientdelegations.write").await,
    }
}

/// The party UUID of an organisation.
pub(crate) async fn uuid_of(s: &TestServer, org: &str) -> String {
    s.app
        .store
        .organization(&org.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .party_uuid
}

/// The client organisation numbers of a façade page.
fn orgs_of(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["clientOrganizationNumber"].as_str().unwrap().to_owned())
        .collect()
}

async fn facade(
    s: &TestServer,
    method: reqwest::Method,
    query: &str,
    token: &str,
) -> reqwest::Response {
    let path = match method {
        reqwest::Method::GET if query.contains("available") => {
            format!(
                "{FACADE}/clients/available?{}",
                query.replace("available&", "")
            )
        }
        _ => format!("{FACADE}/clients?{query}"),
    };
    send(s, method, &path, token).await
}

engine_tests! {
    async fn a_vendor_asks_for_an_agent_system_user_and_gets_every_code(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor =
            vendor_with_client_system(&s, SYSTEM, &[SIGNING, PAYROLL, MAIN_ADMIN]).await;
        let mp = vendor.access_token(&s).await;
        let url = format!("{REQ}/vendor/agent");

        // Bad bodies change nothing: no packages at all, [], a package the system lacks, and
        // one that is not for clients.
        let mut no_packages = agent_body(SYSTEM, FIRM, &[SIGNING]);
        no_packages.as_object_mut().unwrap().remove("accessPackages");
        let body = problem(s.post_json(&url, &mp, &no_packages).await, 400).await;
        assert_eq!(body["title"], "One or more validation errors occurred.");
        assert!(body["errors"]["AccessPackages"].is_array(), "{body}");
        assert!(body.get("code").is_none(), "no AUTH code: {body}");
        for (packages, code) in [
            (vec![], "AUTH-00058"),
            (vec![AUDITOR], "AUTH-00063"),
            (vec![SIGNING, MAIN_ADMIN], "AUTH-00065"),
        ] {
            let body = problem(
                s.post_json(&url, &mp, &agent_body(SYSTEM, FIRM, &packages)).await,
                400,
            )
            .await;
            assert_eq!(body["code"], code, "{body}");
        }
        let listed = json_of(
            s.get_auth(&format!("{REQ}/vendor/agent/bysystem/{SYSTEM}"), &mp).await,
            200,
        )
        .await;
        assert_eq!(listed["data"], json!([]), "nothing was stored");
        assert!(listed["links"].get("next").is_none(), "errata A: no next on the last page");

        // A request (a `rights` field is ignored, as in Altinn).
        let mut body = agent_body(SYSTEM, FIRM, &[SIGNING, PAYROLL]);
        body["rights"] = json!([{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]);
        let res = s.post_json(&url, &mp, &body).await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = res.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(location.ends_with(&format!("{REQ}/{id}")), "{location}");
        assert_eq!(created["status"], "New");
        assert_eq!(created["accessPackages"], pkgs(&[SIGNING, PAYROLL]));
        assert!(created.get("rights").is_none(), "{created}");
        assert_eq!(
            created["confirmUrl"],
            s.url(&format!(
                "/accessmanagement/ui/systemuser/agentrequest?id={id}&DONTCHOOSEREPORTEE=true"
            ))
        );

        // The same key: 200 and the same request, also at the path of Altinn's guide.
        for path in [url.clone(), format!("{SU}/agent/request")] {
            let res = s.post_json(&path, &mp, &body).await;
            assert_eq!(json_of(res, 200).await["id"], id.as_str(), "{path}");
        }
        // One key space: a standard request with the same key is a conflict.
        let standard = json!({"systemId": SYSTEM, "partyOrgNo": FIRM, "externalRef": format!("klient-{FIRM}"),
            "accessPackages": pkgs(&[SIGNING]), "redirectUrl": "https://regnskap.example/ferdig"});
        let conflict = problem(s.post_json(&format!("{REQ}/vendor"), &mp, &standard).await, 400).await;
        assert_eq!(conflict["code"], "AUTH-00007", "{conflict}");

        // The vendor reads it back (R4, R6, R8); the standard read does not know it.
        for path in [
            format!("{REQ}/vendor/agent/{id}"),
            format!("{REQ}/vendor/agent/byexternalref/{SYSTEM}/{FIRM}/klient-{FIRM}"),
        ] {
            assert_eq!(json_of(s.get_auth(&path, &mp).await, 200).await["id"], id.as_str(), "{path}");
        }
        let listed = json_of(
            s.get_auth(&format!("{REQ}/vendor/agent/bysystem/{SYSTEM}"), &mp).await,
            200,
        )
        .await;
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        problem(s.get_auth(&format!("{REQ}/vendor/{id}"), &mp).await, 404).await;

        // The firm's side: the wrong party, the standard routes and no authority are refused.
        let firm_party = party_id(&s, FIRM).await;
        let bakery_party = party_id(&s, BAKERY).await;
        let gunnhild = person_token(&s, GUNNHILD).await;
        let kari = person_token(&s, KARI).await;
        let read = json_of(
            s.get_auth(&format!("{REQ}/agent/{firm_party}/{id}"), &gunnhild).await,
            200,
        )
        .await;
        assert_eq!(read["accessPackages"], pkgs(&[SIGNING, PAYROLL]));
        refused(send(&s, reqwest::Method::POST, &format!("{REQ}/agent/{bakery_party}/{id}/approve"), &kari).await, 403, "AUTH-00042").await;
        refused(send(&s, reqwest::Method::POST, &format!("{REQ}/{firm_party}/{id}/approve"), &gunnhild).await, 404, "AUTH-00010").await;
        refused(send(
                &s,
                reqwest::Method::POST,
                &format!("{REQ}/agent/{firm_party}/{}/approve", uuid::Uuid::new_v4()),
                &gunnhild,
            )
            .await, 404, "AUTH-00030").await;
        problem(
            send(
                &s,
                reqwest::Method::POST,
                &format!("{REQ}/agent/{firm_party}/{id}/approve"),
                &person_token(&s, SIRI).await,
            )
            .await,
            403,
        )
        .await;

        // The portal's reads (R13, R21) and an escalation (R19).
        let portal_view = json_of(s.get_auth(&format!("{REQ}/agent/{id}"), &gunnhild).await, 200).await;
        assert_eq!(portal_view["id"], id.as_str());
        assert_eq!(portal_view["accessPackages"], pkgs(&[SIGNING, PAYROLL]));
        let escalated = send(&s, reqwest::Method::POST, &format!("{REQ}/agent/{firm_party}/{id}/escalate"), &gunnhild).await;
        assert_eq!(json_of(escalated, 200).await, json!(true));
        let pending = json_of(s.get_auth(&format!("{REQ}/agent/{firm_party}/{FIRM}/pending"), &gunnhild).await, 200).await;
        assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
        assert_eq!(pending[0]["id"], id.as_str());
        assert_eq!(pending[0]["escalated"], true);
        let standard_pending = json_of(s.get_auth(&format!("{REQ}/{firm_party}/{FIRM}/pending"), &gunnhild).await, 200).await;
        assert_eq!(standard_pending, json!([]), "R20 lists standard requests only");

        // A second request is rejected (R17), once.
        let mut other = agent_body(SYSTEM, FIRM, &[SIGNING]);
        other["externalRef"] = json!("avvises");
        let second = json_of(s.post_json(&url, &mp, &other).await, 201).await;
        let second_id = second["id"].as_str().unwrap().to_owned();
        let rejected = send(&s, reqwest::Method::POST, &format!("{REQ}/agent/{firm_party}/{second_id}/reject"), &gunnhild).await;
        assert_eq!(json_of(rejected, 200).await, json!(true));
        refused(send(&s, reqwest::Method::POST, &format!("{REQ}/agent/{firm_party}/{second_id}/reject"), &gunnhild).await, 409, "AUTH-00013").await;
        refused(send(&s, reqwest::Method::POST, &format!("{REQ}/agent/{firm_party}/{second_id}/approve"), &gunnhild).await, 409, "AUTH-00013").await;
        let got = json_of(s.get_auth(&format!("{REQ}/vendor/agent/{second_id}"), &mp).await, 200).await;
        assert_eq!(got["status"], "Rejected");

        // Approved: an agent system user with the request's id.
        let res = send(&s, reqwest::Method::POST, &format!("{REQ}/agent/{firm_party}/{id}/approve"), &gunnhild).await;
        assert_eq!(json_of(res, 200).await, json!(true));
        let got = json_of(s.get_auth(&format!("{REQ}/vendor/agent/{id}"), &mp).await, 200).await;
        assert_eq!(got["status"], "Accepted");
        let agents = json_of(s.get_auth(&format!("{SU}/agent/{firm_party}"), &gunnhild).await, 200).await;
        assert_eq!(agents.as_array().unwrap().len(), 1, "{agents}");
        assert_eq!(agents[0]["id"], id.as_str());
        assert_eq!(agents[0]["userType"], "agent", "{agents}");
        let standard_list = json_of(s.get_auth(&format!("{SU}/{firm_party}"), &gunnhild).await, 200).await;
        assert_eq!(standard_list, json!([]), "U1 lists standard users only");

        // The vendor verifies it and fetches an agent token for the firm.
        let user = json_of(
            s.get_auth(
                &format!("{SU}/vendor/byquery?system-id={SYSTEM}&orgno={FIRM}&external-ref=klient-{FIRM}"),
                &mp,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(user["id"], id.as_str());
        let by_system = json_of(s.get_auth(&format!("{SU}/vendor/bysystem/{SYSTEM}"), &s.enterprise_token(VENDOR, "altinn:authentication/systemregister.write").await).await, 200).await;
        assert_eq!(by_system["data"][0]["id"], id.as_str(), "{by_system}");
        let details = json!([{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{FIRM}")}, "externalRef": format!("klient-{FIRM}")}]);
        let res = vendor
            .token(&s, json!({"scope": RESOURCE_SCOPE, "authorization_details": details}))
            .await;
        let token = json_of(res, 200).await;
        let claims = claims_of(token["access_token"].as_str().unwrap());
        let detail = &claims["authorization_details"][0];
        assert_eq!(detail["systemuser_id"], json!([id]));
        assert_eq!(detail["system_id"], SYSTEM);
        assert_eq!(
            detail["systemuser_org"],
            json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{FIRM}")})
        );

        // The same key once more: the live agent user is a conflict (AUTH-00004, as for standard ones).
        let again = problem(s.post_json(&url, &mp, &body).await, 400).await;
        assert_eq!(again["code"], "AUTH-00004", "{again}");

        // A standard system user on the agent routes and vice versa.
        let standard_system = "317219253_standard";
        register_system_visible(&s, standard_system, &vendor.client_id).await;
        let standard_req = json_of(
            s.post_json(
                &format!("{REQ}/vendor"),
                &mp,
                &json!({"systemId": standard_system, "partyOrgNo": FIRM, "externalRef": "std",
                        "accessPackages": pkgs(&["urn:altinn:accesspackage:skattegrunnlag"]),
                        "redirectUrl": "https://regnskap.example/ferdig"}),
            )
            .await,
            201,
        )
        .await;
        let std_id = standard_req["id"].as_str().unwrap().to_owned();
        let res = send(&s, reqwest::Method::POST, &format!("{REQ}/{firm_party}/{std_id}/approve"), &gunnhild).await;
        assert_eq!(res.status(), 200);
        refused(send(&s, reqwest::Method::DELETE, &format!("{SU}/agent/{firm_party}/{std_id}"), &gunnhild).await, 400, "AUTH-00034").await;
        refused(send(&s, reqwest::Method::DELETE, &format!("{SU}/{firm_party}/{id}"), &gunnhild).await, 400, "AUTH-00036").await;
        refused(send(
                &s,
                reqwest::Method::POST,
                &format!("{SU}/agent/{firm_party}/{std_id}?client={}", uuid_of(&s, BAKERY).await),
                &gunnhild,
            )
            .await, 400, "AUTH-00034").await;
        s.stop().await;
    }
}

async fn register_system_visible(s: &TestServer, id: &str, client_id: &str) {
    let register = s
        .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
        .await;
    let system = json!({"id": id, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Standard", "nn": "Standard", "en": "Standard"},
        "description": {"nb": "s", "nn": "s", "en": "s"},
        "accessPackages": pkgs(&["urn:altinn:accesspackage:skattegrunnlag"]),
        "clientId": [format!("{client_id}-std")], "allowedRedirectUrls": ["https://regnskap.example/ferdig"]});
    let res = s
        .post_json(
            "/authentication/api/v1/systemregister/vendor",
            &register,
            &system,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

engine_tests! {
    async fn the_firm_chooses_clients_through_the_client_delegation_api(engine: Engine) {
        let s = TestServer::start(engine).await;
        let Firm { vendor, agent, read, write } = firm_with_agent(&s, FIRM, GUNNHILD, &[SIGNING, PAYROLL]).await;
        let get = reqwest::Method::GET;
        let post = reqwest::Method::POST;
        let delete = reqwest::Method::DELETE;

        // All 28 clients of the firm, in name order, none delegated yet.
        let available = json_of(facade(&s, get.clone(), &format!("available&agent={agent}"), &read).await, 200).await;
        assert_eq!(orgs_of(&available).len(), 28, "{available}");
        assert!(available["links"].get("next").is_none());
        assert_eq!(available["systemUserInformation"], json!({"systemUserId": agent, "systemUserOwnerOrg": FIRM}));
        let names: Vec<&str> = available["data"].as_array().unwrap().iter().map(|c| c["clientOrganizationName"].as_str().unwrap()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(!orgs_of(&available).contains(&HOUSING.to_owned()));
        // Search by name and by organisation number.
        let found = json_of(facade(&s, get.clone(), &format!("available&agent={agent}&search=fjellbekk"), &read).await, 200).await;
        assert_eq!(orgs_of(&found), [BAKERY]);
        let found = json_of(facade(&s, get.clone(), &format!("available&agent={agent}&search={ELECTRIC}"), &read).await, 200).await;
        assert_eq!(orgs_of(&found), [ELECTRIC]);
        let delegated = json_of(facade(&s, get.clone(), &format!("agent={agent}"), &read).await, 200).await;
        assert_eq!(delegated["data"], json!([]));

        // Three clients are added; adding one again is 200 and changes nothing.
        for org in [BAKERY, ELECTRIC, SEAFOOD, BAKERY] {
            let client = uuid_of(&s, org).await;
            let res = facade(&s, post.clone(), &format!("agent={agent}&client={client}"), &write).await;
            assert_eq!(json_of(res, 200).await, json!({"agent": agent, "client": client}));
        }
        let delegated = json_of(facade(&s, get.clone(), &format!("agent={agent}"), &read).await, 200).await;
        let mut orgs = orgs_of(&delegated);
        orgs.sort();
        assert_eq!(orgs, [ELECTRIC, SEAFOOD, BAKERY], "sorted by number");
        assert!(delegated["data"].as_array().unwrap().iter().all(|c| c["eligible"] == true));
        let available = json_of(facade(&s, get.clone(), &format!("available&agent={agent}"), &read).await, 200).await;
        assert_eq!(orgs_of(&available).len(), 28, "still eligible (adding again is a no-op), as in Altinn");
        assert_eq!(audited(&s, "systemuser.client.add").await, 3, "the repeated add is not audited again");

        // The BFF routes agree (U12, U17).
        let firm_party = party_id(&s, FIRM).await;
        let portal = person_token(&s, GUNNHILD).await;
        let firm_uuid = uuid_of(&s, FIRM).await;
        let u12 = json_of(s.get_auth(&format!("{SU}/agent/{firm_party}/{firm_uuid}/{agent}/delegations"), &portal).await, 200).await;
        assert_eq!(u12.as_array().unwrap().len(), 3, "{u12}");
        assert_eq!(u12[0]["agentSystemUserId"], agent.as_str());
        let u17 = json_of(s.get_auth(&format!("{SU}/agent/{firm_party}/clients?agent={agent}&search=fjellbekk"), &portal).await, 200).await;
        assert_eq!(u17[0]["organizationIdentifier"], BAKERY, "{u17}");
        assert_eq!(u17[0]["access"][0]["role"], "regnskapsforer", "{u17}");

        // Not a client, or the firm itself: AUTH-00079, without a list of missing packages.
        for org in [HOUSING, FIRM] {
            let client = uuid_of(&s, org).await;
            let body = problem(facade(&s, post.clone(), &format!("agent={agent}&client={client}"), &write).await, 400).await;
            assert_eq!(body["code"], "AUTH-00079", "{body}");
            assert_eq!(body["title"], "Client not found.");
            assert!(body.get("missingPackages").is_none(), "{body}");
        }
        let body = problem(facade(&s, post.clone(), &format!("agent={agent}&client={}", uuid::Uuid::new_v4()), &write).await, 400).await;
        assert_eq!(body["code"], "AUTH-00079");

        // UUIDs in upper case name the same agent and client (Altinn's GUIDs ignore case).
        let upper = uuid_of(&s, BAKERY).await.to_uppercase();
        let res = facade(&s, post.clone(), &format!("agent={}&client={upper}", agent.to_uppercase()), &write).await;
        assert_eq!(res.status(), 200);
        // A forged page token is a 400, not a storage error (PostgreSQL refuses NUL in text).
        use base64::Engine;
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"name":"\u0000","party_id":1}"#);
        let body = problem(facade(&s, get.clone(), &format!("available&agent={agent}&token={forged}"), &read).await, 400).await;
        assert!(body["detail"].as_str().unwrap().contains("page token"), "{body}");

        // Removing: a client that was never added says so; a delegated one goes.
        let never = uuid_of(&s, "316245501").await;
        let body = problem(facade(&s, delete.clone(), &format!("agent={agent}&client={never}"), &write).await, 400).await;
        assert_eq!(body["code"], "AUTH-00038", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("not delegated"), "{body}");
        let seafood = uuid_of(&s, SEAFOOD).await;
        let res = facade(&s, delete.clone(), &format!("agent={agent}&client={seafood}"), &write).await;
        assert_eq!(json_of(res, 200).await, json!({"agent": agent, "client": seafood}));
        let delegated = json_of(facade(&s, get.clone(), &format!("agent={agent}"), &read).await, 200).await;
        assert_eq!(orgs_of(&delegated).len(), 2);

        // The query parameters: every problem in one answer.
        let body = problem(facade(&s, post.clone(), "agent=nope&client=nope", &write).await, 400).await;
        assert_eq!(validation_codes(&body), ["AUTH.VLD-00014", "AUTH.VLD-00016"], "{body}");
        let body = problem(facade(&s, post.clone(), &format!("agent={}&client={seafood}", uuid::Uuid::new_v4()), &write).await, 400).await;
        assert_eq!(validation_codes(&body), ["AUTH.VLD-00014"], "{body}");
        assert_eq!(body["validationErrors"][0]["title"], "System user not found");
        let body = problem(facade(&s, get.clone(), "agent=", &read).await, 400).await;
        assert_eq!(validation_codes(&body), ["AUTH.VLD-00014"]);
        let body = problem(facade(&s, get.clone(), &format!("agent={agent}&token=garbage"), &read).await, 400).await;
        assert!(body["detail"].as_str().unwrap().contains("token"), "{body}");

        // A standard system user is not an agent (VLD-00015).
        let standard_system = "317219253_standard";
        register_system_visible(&s, standard_system, &vendor.client_id).await;
        let mp = vendor.access_token(&s).await;
        let std_req = json_of(s.post_json(&format!("{REQ}/vendor"), &mp, &json!({"systemId": standard_system, "partyOrgNo": FIRM, "externalRef": "std", "accessPackages": pkgs(&["urn:altinn:accesspackage:skattegrunnlag"]), "redirectUrl": "https://regnskap.example/ferdig"})).await, 201).await;
        let std_id = std_req["id"].as_str().unwrap().to_owned();
        assert_eq!(send(&s, post.clone(), &format!("{REQ}/{firm_party}/{std_id}/approve"), &portal).await.status(), 200);
        let body = problem(facade(&s, get.clone(), &format!("agent={std_id}"), &read).await, 400).await;
        assert_eq!(validation_codes(&body), ["AUTH.VLD-00015"], "{body}");

        // Exact scopes; only the firm's administrators; a klientadministrator may.
        problem(facade(&s, post.clone(), &format!("agent={agent}&client={seafood}"), &read).await, 403).await;
        problem(facade(&s, get.clone(), &format!("agent={agent}"), &write).await, 403).await;
        problem(facade(&s, get.clone(), &format!("agent={agent}"), &portal).await, 403).await;
        for pid in [KARI, SIRI] {
            let other = token_with(&s, pid, "altinn:clientdelegations.read").await;
            problem(facade(&s, get.clone(), &format!("agent={agent}"), &other).await, 403).await;
            problem(send(&s, get.clone(), &format!("{FACADE}/agents?party={FIRM}"), &other).await, 403).await;
            let other = token_with(&s, pid, "altinn:clientdelegations.write").await;
            problem(facade(&s, post.clone(), &format!("agent={agent}&client={seafood}"), &other).await, 403).await;
        }
        let tove = token_with(&s, TOVE, "altinn:clientdelegations.write").await;
        let res = facade(&s, post.clone(), &format!("agent={agent}&client={seafood}"), &tove).await;
        assert_eq!(res.status(), 200);
        let enterprise = s.enterprise_token(FIRM, "altinn:clientdelegations.read").await;
        problem(facade(&s, get.clone(), &format!("agent={agent}"), &enterprise).await, 403).await;

        // The facilitator's agents.
        let agents = json_of(send(&s, get.clone(), &format!("{FACADE}/agents?party={FIRM}"), &read).await, 200).await;
        assert_eq!(agents.as_array().unwrap().len(), 1, "{agents}");
        assert_eq!(agents[0]["id"], agent.as_str());
        problem(send(&s, get.clone(), &format!("{FACADE}/agents?party=999999999"), &read).await, 404).await;
        s.stop().await;
    }

    async fn eligibility_is_the_union_of_roles_and_direct_packages(engine: Engine) {
        let s = TestServer::start(engine).await;
        let Firm { agent, read, write, .. } = firm_with_agent(&s, FIRM, GUNNHILD, &[PAYROLL, AUDITOR]).await;

        // No client gives the firm an auditor's package: none is offered; the bakery is a
        // client that gives only some, and the problem says which are missing.
        let available = json_of(facade(&s, reqwest::Method::GET, &format!("available&agent={agent}"), &read).await, 200).await;
        assert_eq!(available["data"], json!([]));
        let bakery = uuid_of(&s, BAKERY).await;
        let body = problem(facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={bakery}"), &write).await, 400).await;
        assert_eq!(body["code"], "AUTH-00079");
        assert_eq!(body["missingPackages"], json!([AUDITOR]), "{body}");

        // The bakery's daglig leder gives the firm the auditor's package directly, in the portal.
        let cookie = s.login_as(KARI).await;
        let page = s.browser.get(s.url(&format!("/accessmanagement/ui/systemuser/packages?org={BAKERY}"))).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let csrf = common::input_value(&html, "csrf").expect("a form");
        let give = |to: &str, package: &str, csrf: &str| {
            s.browser
                .post(s.url("/accessmanagement/ui/systemuser/packages"))
                .header("cookie", &cookie)
                .form(&[("org", BAKERY), ("to", to), ("package", package), ("action", "give"), ("csrf", csrf)])
                .send()
        };
        // Bad input is refused and changes nothing.
        for (to, package) in [("999999999", AUDITOR), (BAKERY, AUDITOR), (FIRM, MAIN_ADMIN)] {
            let res = give(to, package, &csrf).await.unwrap();
            assert_eq!(res.status(), 400, "{to} {package}");
        }
        assert_eq!(give(FIRM, AUDITOR, "forged").await.unwrap().status(), 403);
        let res = give(FIRM, AUDITOR, &csrf).await.unwrap();
        assert_eq!(res.status(), 303);
        let available = json_of(facade(&s, reqwest::Method::GET, &format!("available&agent={agent}"), &read).await, 200).await;
        assert_eq!(orgs_of(&available), [BAKERY]);
        let res = facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={bakery}"), &write).await;
        assert_eq!(res.status(), 200);

        // The bakery withdraws the package: still delegated, shown as no longer eligible, and
        // a new add is refused.
        let res = s.browser
            .post(s.url("/accessmanagement/ui/systemuser/packages"))
            .header("cookie", &cookie)
            .form(&[("org", BAKERY), ("to", FIRM), ("package", AUDITOR), ("action", "withdraw"), ("csrf", csrf.as_str())])
            .send().await.unwrap();
        assert_eq!(res.status(), 303);
        let delegated = json_of(facade(&s, reqwest::Method::GET, &format!("agent={agent}"), &read).await, 200).await;
        assert_eq!(orgs_of(&delegated), [BAKERY]);
        assert_eq!(delegated["data"][0]["eligible"], false, "{delegated}");
        let res = facade(&s, reqwest::Method::DELETE, &format!("agent={agent}&client={bakery}"), &write).await;
        assert_eq!(res.status(), 200);
        let body = problem(facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={bakery}"), &write).await, 400).await;
        assert_eq!(body["missingPackages"], json!([AUDITOR]));
        s.stop().await;
    }

    async fn losing_the_client_role_makes_a_client_ineligible(engine: Engine) {
        let s = TestServer::start(engine).await;
        let Firm { agent, read, write, .. } = firm_with_agent(&s, FIRM, GUNNHILD, &[SIGNING]).await;
        let electric = uuid_of(&s, ELECTRIC).await;
        let res = facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={electric}"), &write).await;
        assert_eq!(res.status(), 200);

        // The register withdraws the regnskapsforer role (as an import of the register would).
        let mut tx = s.app.store.begin().await.unwrap();
        let from = party_id(&s, ELECTRIC).await;
        let to = party_id(&s, FIRM).await;
        tilgang::store::reference::delete_role(&mut tx, from, "regnskapsforer", to).await.unwrap();
        tx.commit().await.unwrap();

        let delegated = json_of(facade(&s, reqwest::Method::GET, &format!("agent={agent}"), &read).await, 200).await;
        assert_eq!(delegated["data"][0]["clientOrganizationNumber"], ELECTRIC);
        assert_eq!(delegated["data"][0]["eligible"], false);
        let available = json_of(facade(&s, reqwest::Method::GET, &format!("available&agent={agent}&search={ELECTRIC}"), &read).await, 200).await;
        assert_eq!(available["data"], json!([]));
        assert_eq!(facade(&s, reqwest::Method::DELETE, &format!("agent={agent}&client={electric}"), &write).await.status(), 200);
        let body = problem(facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={electric}"), &write).await, 400).await;
        assert_eq!(body["code"], "AUTH-00079");
        assert!(body.get("missingPackages").is_none(), "no relation is left: {body}");
        s.stop().await;
    }

    async fn a_business_manager_gets_only_housing_clients(engine: Engine) {
        let s = TestServer::start(engine).await;
        let Firm { agent, read, write, .. } = firm_with_agent(&s, MANAGER, MANAGER_DL, &[ESTATE]).await;
        let available = json_of(facade(&s, reqwest::Method::GET, &format!("available&agent={agent}"), &read).await, 200).await;
        let orgs = orgs_of(&available);
        assert_eq!(orgs.len(), 7, "the BRL and ESEK clients: {available}");
        assert!(orgs.contains(&SOLSIDEN_BRL.to_owned()));
        assert!(!orgs.contains(&ASGARD.to_owned()), "an AS is not a housing client");
        let asgard = uuid_of(&s, ASGARD).await;
        let body = problem(facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={asgard}"), &write).await, 400).await;
        assert_eq!(body["code"], "AUTH-00079");
        assert_eq!(body["missingPackages"], json!([ESTATE]), "{body}");
        s.stop().await;
    }

    async fn deleting_the_agent_removes_its_clients_and_frees_the_key(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_client_system(&s, SYSTEM, &[SIGNING]).await;
        let agent = approved_agent(&s, &vendor, SYSTEM, FIRM, GUNNHILD, &[SIGNING]).await;
        let write = token_with(&s, GUNNHILD, "altinn:clientdelegations.write").await;
        for org in [BAKERY, ELECTRIC] {
            let client = uuid_of(&s, org).await;
            assert_eq!(facade(&s, reqwest::Method::POST, &format!("agent={agent}&client={client}"), &write).await.status(), 200);
        }
        let portal = person_token(&s, GUNNHILD).await;
        let firm_party = party_id(&s, FIRM).await;
        let bakery_uuid = uuid_of(&s, BAKERY).await;

        // U15: the agent may act for the firm itself too.
        let self_path = format!("{SU}/agent/{firm_party}/{agent}/self");
        assert_eq!(json_of(send(&s, reqwest::Method::GET, &self_path, &portal).await, 200).await, json!(false));
        assert_eq!(json_of(send(&s, reqwest::Method::POST, &self_path, &portal).await, 200).await, json!(true));
        assert_eq!(json_of(send(&s, reqwest::Method::GET, &self_path, &portal).await, 200).await, json!(true));

        // U14 with the wrong client, U16 with the wrong facilitator: refused, nothing changes.
        let never = uuid_of(&s, SEAFOOD).await;
        let body = problem(send(&s, reqwest::Method::DELETE, &format!("{SU}/agent/{firm_party}/{agent}/client?client={never}"), &portal).await, 400).await;
        assert_eq!(body["code"], "AUTH-00038");
        problem(send(&s, reqwest::Method::DELETE, &format!("{SU}/agent/{firm_party}/{agent}?facilitatorId={bakery_uuid}"), &portal).await, 400).await;
        let bakery_party = party_id(&s, BAKERY).await;
        problem(send(&s, reqwest::Method::DELETE, &format!("{SU}/agent/{bakery_party}/{agent}"), &person_token(&s, KARI).await).await, 404).await;
        let u12 = json_of(s.get_auth(&format!("{SU}/agent/{firm_party}/{}/{agent}/delegations", uuid_of(&s, FIRM).await), &portal).await, 200).await;
        assert_eq!(u12.as_array().unwrap().len(), 3, "two clients and the firm itself: {u12}");

        // U16 with the owner's party UUID: the agent and every delegation go.
        let res = send(&s, reqwest::Method::DELETE, &format!("{SU}/agent/{firm_party}/{agent}?facilitatorId={}", uuid_of(&s, FIRM).await), &portal).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "");
        assert_eq!(delegation_rows(&s, &agent).await, 0);
        let read = token_with(&s, GUNNHILD, "altinn:clientdelegations.read").await;
        let body = problem(facade(&s, reqwest::Method::GET, &format!("agent={agent}"), &read).await, 400).await;
        assert_eq!(validation_codes(&body), ["AUTH.VLD-00014"]);
        let body = problem(send(&s, reqwest::Method::DELETE, &format!("{SU}/agent/{firm_party}/{agent}"), &portal).await, 404).await;
        assert_eq!(body["code"], "AUTH-00015");
        let agents = json_of(s.get_auth(&format!("{SU}/agent/{firm_party}"), &portal).await, 200).await;
        assert_eq!(agents, json!([]));

        // The vendor may ask again with the same key: 201.
        let mp = vendor.access_token(&s).await;
        let res = s.post_json(&format!("{REQ}/vendor/agent"), &mp, &agent_body(SYSTEM, FIRM, &[SIGNING])).await;
        assert_eq!(res.status(), 201);
        s.stop().await;
    }

    async fn concurrent_adds_give_one_delegation_and_a_racing_delete_leaves_none(engine: Engine) {
        let s = TestServer::start(engine).await;
        let vendor = vendor_with_client_system(&s, SYSTEM, &[SIGNING]).await;
        let agent = approved_agent(&s, &vendor, SYSTEM, FIRM, GUNNHILD, &[SIGNING]).await;
        let write = token_with(&s, GUNNHILD, "altinn:clientdelegations.write").await;
        let bakery = uuid_of(&s, BAKERY).await;
        let add = (reqwest::Method::POST, format!("{FACADE}/clients?agent={agent}&client={bakery}"), write.clone());
        let statuses = concurrently(&s, vec![add; 20]).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(delegation_rows(&s, &agent).await, 1);
        assert!(s.app.store.is_delegated_client(&agent, party_id(&s, BAKERY).await).await.unwrap());
        assert_eq!(audited(&s, "systemuser.client.add").await, 1);

        // Adds of other clients race the deletion of the agent: whichever order the database
        // chose, no delegation outlives the agent.
        let portal = person_token(&s, GUNNHILD).await;
        let firm_party = party_id(&s, FIRM).await;
        let mut race = Vec::new();
        for org in [ELECTRIC, SEAFOOD, "316245501", "319481338", "316333893"] {
            let client = uuid_of(&s, org).await;
            race.push((reqwest::Method::POST, format!("{FACADE}/clients?agent={agent}&client={client}"), write.clone()));
        }
        race.insert(3, (reqwest::Method::DELETE, format!("{SU}/agent/{firm_party}/{agent}"), portal));
        let statuses = concurrently(&s, race).await;
        assert_eq!(statuses[3], 200, "the deletion: {statuses:?}");
        // An add that lost the race finds no agent: 400 (VLD-00014) or 404 (AUTH-00015).
        assert!(statuses.iter().all(|s| matches!(s, 200 | 400 | 404)), "{statuses:?}");
        assert_eq!(delegation_rows(&s, &agent).await, 0, "no orphan delegation");
        s.stop().await;
    }
}

/// How many client delegations the store holds for `agent`, read from the table itself.
async fn delegation_rows(s: &TestServer, agent: &str) -> i64 {
    s.app.store.client_delegation_count(agent).await.unwrap()
}

/// How many audit entries have the action `action`.
async fn audited(s: &TestServer, action: &str) -> usize {
    s.app
        .store
        .audit_entries(&tilgang::store::audit::AuditQuery {
            action: Some(action.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// Sends the requests `(method, path, token)` at the same time; their statuses in order.
async fn concurrently(
    s: &TestServer,
    requests: Vec<(reqwest::Method, String, String)>,
) -> Vec<u16> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(method, path, token)| {
            let client = s.client.clone();
            let url = s.url(&path);
            tokio::spawn(async move {
                client
                    .request(method, url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Asserts that `res` is a problem with `status` and `code`; the problem.
async fn refused(res: reqwest::Response, status: u16, code: &str) -> Value {
    let body = problem(res, status).await;
    assert_eq!(body["code"], code, "{body}");
    body
}

engine_tests! {
    async fn a_big_firms_clients_come_a_page_at_a_time(engine: Engine) {
        let s = TestServer::start(engine).await;
        let big = "328383047"; // Storbyen Regnskapssentral AS, 2,400 clients
        let leif = person_token(&s, "16895243748").await;
        let party = party_id(&s, big).await;
        let mut url = s.url(&format!("{SU}/agent/{party}/clients"));
        let mut seen = std::collections::HashSet::new();
        let mut pages = 0;
        loop {
            let res = s.client.get(&url).bearer_auth(&leif).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let next = res.headers().get("link").map(|l| {
                let l = l.to_str().unwrap();
                assert!(l.ends_with(">; rel=\"next\""), "{l}");
                l[1..l.len() - 13].to_owned()
            });
            let page: Value = res.json().await.unwrap();
            for c in page.as_array().unwrap() {
                assert!(seen.insert(c["organizationIdentifier"].as_str().unwrap().to_owned()), "each client once");
                assert_eq!(c["access"][0]["role"], "regnskapsforer");
            }
            pages += 1;
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        assert_eq!((seen.len(), pages), (2400, 24));

        // The façade pages too, and a search narrows the list.
        let vendor = vendor_with_client_system(&s, SYSTEM, &[SIGNING]).await;
        let agent = approved_agent(&s, &vendor, SYSTEM, big, "16895243748", &[SIGNING]).await;
        let read = token_with(&s, "16895243748", "altinn:clientdelegations.read").await;
        let first = json_of(facade(&s, reqwest::Method::GET, &format!("available&agent={agent}"), &read).await, 200).await;
        assert_eq!(first["data"].as_array().unwrap().len(), 100);
        let next = first["links"]["next"].as_str().expect("a next page").to_owned();
        let second = json_of(s.client.get(&next).bearer_auth(&read).send().await.unwrap(), 200).await;
        assert_ne!(first["data"][0], second["data"][0]);
        let found = json_of(facade(&s, reqwest::Method::GET, &format!("available&agent={agent}&search=Årvoll"), &read).await, 200).await;
        assert!(found["data"].as_array().unwrap().iter().all(|c| c["clientOrganizationName"].as_str().unwrap().starts_with("Årvoll")), "{found}");
        assert_eq!(found["data"].as_array().unwrap().len(), 96, "{found}");
        s.stop().await;
    }
}

engine_tests! {
    async fn add_all_in_the_portal_adds_every_matching_client_a_thousand_at_a_time(engine: Engine) {
        let s = TestServer::start(engine).await;
        let big = "328383047"; // Storbyen Regnskapssentral AS, 2,400 clients
        let leif = "16895243748";
        let vendor = vendor_with_client_system(&s, SYSTEM, &[SIGNING]).await;
        let agent = approved_agent(&s, &vendor, SYSTEM, big, leif, &[SIGNING]).await;
        let cookie = s.login_as(leif).await;
        let b = &s.browser;
        let base = format!("/accessmanagement/ui/systemuser/{agent}/agentdelegation");
        let page = b.get(s.url(&format!("{base}/add?org={big}&search=%C3%85rvoll"))).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Legg til alle som passer søket"), "{html}");
        let csrf = common::input_value(&html, "csrf").expect("a form");
        let add_all = |search: &str, csrf: &str| {
            b.post(s.url(&format!("{base}/add_all")))
                .header("cookie", &cookie)
                .form(&[("org", big), ("search", search), ("csrf", csrf)])
                .send()
        };

        // A forged form and a too-long search change nothing.
        assert_eq!(add_all("", "forged").await.unwrap().status(), 403);
        let res = add_all(&"x".repeat(101), &csrf).await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("Ingen endring"));
        assert_eq!(delegation_rows(&s, &agent).await, 0);
        // A page raised with `?` (a bad search) is a page for a browser, a problem for an API client.
        let long = "x".repeat(101);
        let res = b.get(s.url(&format!("{base}/add?org={big}&search={long}"))).header("cookie", &cookie).header("accept", "text/html,application/xhtml+xml").header("sec-fetch-dest", "document").send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("Noe er feil i det som ble sendt") && html.contains("search is at most 100 characters"), "{html}");
        let res = b.get(s.url(&format!("{base}/add?org={big}&search={long}"))).header("cookie", &cookie).header("accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2").send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "application/problem+json", "an HTTP library that lists text/html");
        assert_eq!(res.headers()["vary"], "Accept, Sec-Fetch-Dest");

        // The search's 96 matches, then every client, a thousand at a time.
        let res = add_all("Årvoll", &csrf).await.unwrap();
        assert_eq!(common::location(&res), format!("{base}?org={big}&done=added_all&n=96#clients"));
        let page = b.get(s.url(&common::location(&res))).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("96 klienter er lagt til."), "{page}");
        assert_eq!(delegation_rows(&s, &agent).await, 96);
        assert_eq!(audited(&s, "systemuser.client.add").await, 96, "each one audited");
        for (n, more) in [(1000, true), (1000, true), (304, false), (0, false)] {
            let res = add_all("", &csrf).await.unwrap();
            let to = common::location(&res);
            assert_eq!(to, format!("{base}?org={big}&done=added_all&n={n}{}#clients", if more { "&more=1" } else { "" }));
            let page = b.get(s.url(&to)).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
            assert_eq!(page.contains("trykk «Legg til alle» igjen"), more, "{n}");
            if n == 0 {
                assert!(page.contains("Ingen nye klienter: alle var lagt til fra før."));
            }
        }
        assert_eq!(delegation_rows(&s, &agent).await, 2400);
        // Nothing left to add: the button is gone.
        let html = b.get(s.url(&format!("{base}/add?org={big}"))).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("id=\"add-all\""));

        // Someone without authority over the firm's clients cannot.
        let siri = s.login_as(SIRI).await;
        let html = b.get(s.url(&format!("{base}/add?org={big}"))).header("cookie", &siri).send().await.unwrap();
        assert_eq!(html.status(), 403);
        s.stop().await;
    }
}
