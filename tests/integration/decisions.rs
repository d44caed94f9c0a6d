//! The decision API (issue 18): a resource owner asks whether a standard or agent system user,
//! or a person, may perform an action on a resource for a party, as Altinn's PDP is asked.

use crate::common;

use common::{Engine, TestServer, json_of, problem, send};
use serde_json::{Value, json};

use crate::agents::{FIRM, GUNNHILD, SIGNING, approved_agent, uuid_of, vendor_with_client_system};
use crate::system_users::{BAKERY, KARI, party_id, person_token, request_body, vendor_with_system};

const PDP: &str = "/authorization/api/v1/authorize";
const SKD: &str = "974761076";
const ELECTRIC: &str = "312882930";
const SIRI: &str = "28849440200"; // no roles
const ACTION: &str = "urn:oasis:names:tc:xacml:1.0:action:action-id";

/// The policy data: Skatteetaten owns three resources.
fn policy_doc() -> Value {
    json!({
        "serviceOwners": [{"code": "skd", "orgNo": SKD, "name": {"nb": "Skatteetaten"}}],
        "resources": [
            {"id": "ske-krav-og-betalinger", "title": {"nb": "Krav og betalinger"}, "resourceType": "GenericAccessResource",
             "delegable": true, "owner": "skd", "actions": ["read", "write"]},
            {"id": "skd-skattegrunnlag", "title": {"nb": "Skattegrunnlag"}, "resourceType": "GenericAccessResource",
             "delegable": true, "owner": "skd", "actions": ["read"], "accessPackages": ["urn:altinn:accesspackage:skattegrunnlag"]},
            {"id": "skd-mva", "title": {"nb": "Merverdiavgift"}, "resourceType": "GenericAccessResource",
             "delegable": true, "owner": "skd", "actions": ["read", "write"], "accessPackages": [SIGNING]}
        ]
    })
}

fn subject(id: &str, value: &str) -> Value {
    json!([{"AttributeId": id, "Value": value}])
}

fn system_user(id: &str) -> Value {
    subject("urn:altinn:systemuser:uuid", id)
}

fn org(orgno: &str) -> Value {
    json!({"AttributeId": "urn:altinn:organization:identifier-no", "Value": orgno})
}

fn one(subject: Value, action: &str, resource: &str, party: Value) -> Value {
    json!({"Request": {
        "AccessSubject": [{"Attribute": subject}],
        "Action": [{"Attribute": [{"AttributeId": ACTION, "Value": action, "DataType": "http://www.w3.org/2001/XMLSchema#string"}]}],
        "Resource": [{"Attribute": [{"AttributeId": "urn:altinn:resource", "Value": resource}, party]}]}})
}

async fn ask(s: &TestServer, token: &str, body: &Value) -> Vec<Value> {
    let res = s
        .post_json(&format!("{PDP}?explain=true"), token, body)
        .await;
    let answer = json_of(res, 200).await;
    answer["response"].as_array().expect("response").clone()
}

/// The decision and the explanation of a single request.
/// A standard system user for Fjellbekk Bakeri, approved by Kari: its id and the bakery's
/// party id.
async fn approved_standard(s: &TestServer) -> (String, i64) {
    let vendor = vendor_with_system(s).await;
    let mp = vendor.access_token(s).await;
    let created = json_of(
        s.post_json(
            "/authentication/api/v1/systemuser/request/vendor",
            &mp,
            &request_body(BAKERY),
        )
        .await,
        201,
    )
    .await;
    let su = created["id"].as_str().unwrap().to_owned();
    let party = party_id(s, BAKERY).await;
    let res = send(
        s,
        reqwest::Method::POST,
        &format!("/authentication/api/v1/systemuser/request/{party}/{su}/approve"),
        &person_token(s, KARI).await,
    )
    .await;
    assert_eq!(json_of(res, 200).await, json!(true));
    (su, party)
}

async fn decide(s: &TestServer, token: &str, body: Value) -> (String, String) {
    let r = ask(s, token, &body).await;
    assert_eq!(r.len(), 1);
    (
        r[0]["decision"].as_str().unwrap().to_owned(),
        r[0]["explanation"].as_str().unwrap_or_default().to_owned(),
    )
}

engine_tests! {
    async fn standard_system_users_and_persons_get_decisions_by_the_policy_model(engine: Engine) {
        let s = TestServer::start(engine).await;
        s.import_as_operator(&policy_doc()).await;
        let pep = s.enterprise_token(SKD, "altinn:authorization/authorize").await;

        let (su, party) = approved_standard(&s).await;

        // Its right (no action named: every action of the resource), its package, its own
        // organisation only, and only actions the resource knows.
        for (action, resource, party, want, words) in [
            ("read", "ske-krav-og-betalinger", org(BAKERY), "Permit", "holds a right on ske-krav-og-betalinger"),
            ("write", "ske-krav-og-betalinger", org(BAKERY), "Permit", "holds a right"),
            ("read", "skd-skattegrunnlag", org(BAKERY), "Permit", "holds the package urn:altinn:accesspackage:skattegrunnlag"),
            ("read", "skd-mva", org(BAKERY), "NotApplicable", "holds no right on skd-mva"),
            ("read", "ske-krav-og-betalinger", org(ELECTRIC), "NotApplicable", "acts for its owner 315287138 only, not for Nordlys Elektro AS (312882930)"),
            ("sign", "ske-krav-og-betalinger", org(BAKERY), "NotApplicable", "knows the actions read, write, not 'sign'"),
            ("read", "ske-krav-og-betalinger", json!({"AttributeId": "urn:altinn:partyid", "Value": party}), "Permit", "holds a right"),
            ("read", "no-such-resource", org(BAKERY), "Indeterminate", "no resource 'no-such-resource'"),
            ("read", "ske-krav-og-betalinger", org("310000000"), "Indeterminate", "no party organisation 310000000"),
        ] {
            let (got, why) = decide(&s, &pep, one(system_user(&su), action, resource, party.clone())).await;
            assert_eq!(got, want, "{action} {resource} {party}: {why}");
            assert!(why.contains(words), "{action} {resource}: {why}");
        }

        // A resource owner asks about its own resources only; Altinn's administrators about any.
        let stranger = s.enterprise_token(ELECTRIC, "altinn:authorization/authorize").await;
        let (got, why) = decide(&s, &stranger, one(system_user(&su), "read", "ske-krav-og-betalinger", org(BAKERY))).await;
        assert_eq!(got, "Indeterminate", "{why}");
        assert!(why.contains("belongs to the service owner 'skd'"), "{why}");
        let admin = s.enterprise_token(ELECTRIC, "altinn:authorization/authorize.admin").await;
        assert_eq!(decide(&s, &admin, one(system_user(&su), "read", "ske-krav-og-betalinger", org(BAKERY))).await.0, "Permit");

        // Persons: Kari is daglig leder (every assignable package), Siri holds nothing.
        let kari_party = s.app.store.person(&KARI.parse().unwrap()).await.unwrap().unwrap().party_id;
        for (who, resource, want, words) in [
            (subject("urn:altinn:person:identifier-no", KARI), "skd-skattegrunnlag", "Permit", "the role daglig-leder"),
            (subject("urn:altinn:userid", &kari_party.to_string()), "skd-skattegrunnlag", "Permit", "daglig-leder"),
            (subject("urn:altinn:person:identifier-no", KARI), "ske-krav-og-betalinger", "NotApplicable", "lists no access packages"),
            (subject("urn:altinn:person:identifier-no", SIRI), "skd-skattegrunnlag", "NotApplicable", "holds no role"),
            (subject("urn:altinn:userid", "999999999"), "skd-skattegrunnlag", "Deny", "no person"),
        ] {
            let (got, why) = decide(&s, &pep, one(who.clone(), "read", resource, org(BAKERY))).await;
            assert_eq!(got, want, "{who}: {why}");
            assert!(why.contains(words), "{who}: {why}");
        }

        // A multi-request is answered in the order of its references, with the attributes the
        // request asked to see again; one bad reference does not spoil the others.
        let multi = json!({"Request": {
            "AccessSubject": [{"Id": "s1", "Attribute": [{"AttributeId": "urn:altinn:systemuser:uuid", "Value": su}]}],
            "Action": [{"Id": "a1", "Attribute": [{"AttributeId": ACTION, "Value": "read"}]},
                       {"Id": "a2", "Attribute": [{"AttributeId": ACTION, "Value": "sign"}]}],
            "Resource": [{"Id": "r1", "Attribute": [{"AttributeId": "urn:altinn:resource", "Value": "skd-mva", "IncludeInResult": true}, org(BAKERY)]},
                         {"Id": "r2", "Attribute": [{"AttributeId": "urn:altinn:resource", "Value": "ske-krav-og-betalinger"}, org(BAKERY)]},
                         {"Id": "r3", "Attribute": [{"AttributeId": "urn:altinn:app", "Value": "x"}]}],
            "MultiRequests": {"RequestReference": [
                {"ReferenceId": ["s1", "a1", "r2"]}, {"ReferenceId": ["s1", "a1", "r1"]},
                {"ReferenceId": ["s1", "a2", "r2"]}, {"ReferenceId": ["s1", "a1", "r3"]}]}}});
        let r = ask(&s, &pep, &multi).await;
        let decisions: Vec<&str> = r.iter().map(|x| x["decision"].as_str().unwrap()).collect();
        assert_eq!(decisions, ["Permit", "NotApplicable", "NotApplicable", "Indeterminate"]);
        assert_eq!(r[1]["category"][0]["attribute"][0]["value"], "skd-mva");
        assert_eq!(r[3]["status"]["statusCode"]["value"], "urn:oasis:names:tc:xacml:1.0:status:syntax-error");
        assert!(r[3]["status"]["statusMessage"].as_str().unwrap().contains("urn:altinn:app"), "{}", r[3]);
        // Without ?explain the answer is Altinn's exactly.
        let plain = json_of(s.post_json(PDP, &pep, &one(system_user(&su), "read", "ske-krav-og-betalinger", org(BAKERY))).await, 200).await;
        assert_eq!(plain, json!({"response": [{"decision": "Permit", "status": {"statusMessage": null, "statusDetails": null,
            "statusCode": {"value": "urn:oasis:names:tc:xacml:1.0:status:ok", "statusCode": null}}, "obligations": null,
            "associateAdvice": null, "category": null, "policyIdentifierList": null}]}));

        // Deleted: the very next decision is Deny.
        let res = s.client.delete(s.url(&format!("/authentication/api/v1/systemuser/{party}/{su}"))).bearer_auth(person_token(&s, KARI).await).send().await.unwrap();
        assert_eq!(res.status(), 202);
        let (got, why) = decide(&s, &pep, one(system_user(&su), "read", "ske-krav-og-betalinger", org(BAKERY))).await;
        assert_eq!((got.as_str(), why.contains("unknown or deleted")), ("Deny", true), "{why}");
        let (got, _) = decide(&s, &pep, one(system_user(&uuid::Uuid::new_v4().to_string()), "read", "ske-krav-og-betalinger", org(BAKERY))).await;
        assert_eq!(got, "Deny", "an unknown subject is never Permit");

        // Counted in /metrics.
        let metrics = s.get("/metrics").await.text().await.unwrap();
        assert!(metrics.lines().any(|l| l.starts_with("tilgang_decisions_total{decision=\"Permit\"}") && !l.ends_with(" 0")), "{metrics}");
        s.stop().await;
    }

    async fn a_change_by_another_process_reaches_cached_decisions(engine: Engine) {
        let s = TestServer::start(engine).await;
        s.import_as_operator(&policy_doc()).await;
        let pep = s.enterprise_token(SKD, "altinn:authorization/authorize").await;
        let (su, _) = approved_standard(&s).await;
        let question = || one(system_user(&su), "read", "ske-krav-og-betalinger", org(BAKERY));
        // The feed listens, so decisions are cached (without it every decision reads the
        // database and this test would prove nothing).
        for _ in 0..100 {
            if s.app.store.changes().generation().is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(s.app.store.changes().generation().is_some(), "the change feed listens");
        // Asked twice: the second answer comes from the decision cache.
        assert_eq!(decide(&s, &pep, question()).await.0, "Permit");
        assert_eq!(decide(&s, &pep, question()).await.0, "Permit");

        // Another instance (or an operator's SQL) deletes the system user behind this server's
        // back: PostgreSQL's trigger notifies, SQLite's data_version moves, and the cached
        // Permit goes.
        let other = tilgang::store::Store::connect(&s.database_url).await.unwrap();
        sqlx::query("UPDATE system_user SET is_deleted = 1 WHERE id = $1").bind(&su).execute(other.pool()).await.unwrap();
        other.close().await;
        let mut answer = decide(&s, &pep, question()).await;
        for _ in 0..100 {
            if answer.0 != "Permit" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            answer = decide(&s, &pep, question()).await;
        }
        assert_eq!(answer.0, "Deny", "{}", answer.1);
        assert!(answer.1.contains("unknown or deleted"), "{}", answer.1);
        s.stop().await;
    }

    async fn an_agent_is_permitted_for_delegated_clients_only(engine: Engine) {
        let s = TestServer::start(engine).await;
        s.import_as_operator(&policy_doc()).await;
        let pep = s.enterprise_token(SKD, "altinn:authorization/authorize").await;
        let vendor = vendor_with_client_system(&s, "317219253_pdp", &[SIGNING]).await;
        let agent = approved_agent(&s, &vendor, "317219253_pdp", FIRM, GUNNHILD, &[SIGNING]).await;
        let write = crate::system_users::token_with(&s, GUNNHILD, "altinn:clientdelegations.write").await;
        let client = uuid_of(&s, BAKERY).await;
        let clients = format!("/authentication/api/v1/enduser/systemuser/clients?agent={agent}&client={client}");
        let mva = || one(system_user(&agent), "write", "skd-mva", org(BAKERY));

        let (got, why) = decide(&s, &pep, mva()).await;
        assert_eq!(got, "NotApplicable", "not a client yet: {why}");
        assert!(why.contains("is not a client of agent system user"), "{why}");
        assert_eq!(send(&s, reqwest::Method::POST, &clients, &write).await.status(), 200);
        let (got, why) = decide(&s, &pep, mva()).await;
        assert_eq!(got, "Permit", "{why}");
        assert!(why.contains(SIGNING), "{why}");
        // Never for the facilitator itself, and not beyond its packages.
        let (got, why) = decide(&s, &pep, one(system_user(&agent), "read", "skd-mva", org(FIRM))).await;
        assert_eq!(got, "NotApplicable", "{why}");
        assert!(why.contains("not for it"), "{why}");
        let (got, _) = decide(&s, &pep, one(system_user(&agent), "read", "skd-skattegrunnlag", org(BAKERY))).await;
        assert_eq!(got, "NotApplicable");
        // The bakery's accountant role for the firm ends in the register: no more Permit, though
        // the delegation is still there; the role back, the Permit is back.
        let (bakery, firm) = (party_id(&s, BAKERY).await, party_id(&s, FIRM).await);
        let mut tx = s.app.store.begin().await.unwrap();
        assert!(tilgang::store::reference::delete_role(&mut tx, bakery, "regnskapsforer", firm).await.unwrap());
        tx.commit().await.unwrap();
        let (got, why) = decide(&s, &pep, mva()).await;
        assert_eq!(got, "NotApplicable", "{why}");
        assert!(why.contains("no longer gives"), "{why}");
        s.import_as_operator(&json!({"roles": [{"role": "regnskapsforer", "from": BAKERY, "to": FIRM}]})).await;
        assert_eq!(decide(&s, &pep, mva()).await.0, "Permit");
        // The client removed in the portal: the next decision says no.
        assert_eq!(send(&s, reqwest::Method::DELETE, &clients, &write).await.status(), 200);
        let (got, _) = decide(&s, &pep, mva()).await;
        assert_eq!(got, "NotApplicable");
        s.stop().await;
    }

    async fn bad_calls_to_the_decision_api_are_refused_clearly(engine: Engine) {
        let s = TestServer::start(engine).await;
        let pep = s.enterprise_token(SKD, "altinn:authorization/authorize").await;
        let body = one(subject("urn:altinn:userid", "1"), "read", "x", org(BAKERY));
        // Who may ask.
        assert_eq!(s.client.post(s.url(PDP)).json(&body).send().await.unwrap().status(), 401);
        let other = s.enterprise_token(SKD, "altinn:authentication/systemregister.write").await;
        problem(s.post_json(PDP, &other, &body).await, 403).await;
        // Malformed JSON names the path.
        let p = problem(s.post_json(PDP, &pep, &json!({"Request": {"AccessSubject": [{"Attribute": [{"AttributeId": 5, "Value": "x"}]}]}})).await, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("Request.AccessSubject[0].Attribute[0].AttributeId"), "{p}");
        problem(s.post_json(PDP, &pep, &json!({"request": "x"})).await, 400).await;
        problem(s.post_json(PDP, &pep, &json!([])).await, 400).await;
        let res = s.client.post(s.url(PDP)).bearer_auth(&pep).body("{}").send().await.unwrap();
        assert_eq!(res.status(), 415);
        // Bounded: 33 attributes in a category, or a value of 2 KiB, is refused by its path.
        let wide = one(subject("urn:altinn:userid", "1"), "read", "x", org(BAKERY));
        let mut wide = wide;
        wide["Request"]["Resource"][0]["Attribute"] = json!(vec![org(BAKERY); 33]);
        let p = problem(s.post_json(PDP, &pep, &wide).await, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("Request.Resource[0].Attribute has 33"), "{p}");
        let long = one(subject("urn:altinn:userid", &"1".repeat(2048)), "read", "x", org(BAKERY));
        let p = problem(s.post_json(PDP, &pep, &long).await, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("Request.AccessSubject[0].Attribute[0]"), "{p}");
        let p = problem(s.post_json(&format!("{PDP}?explain=yes"), &pep, &body).await, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("explain"), "{p}");
        // 1,000 multi-requests are answered; 1,001 are refused with 413.
        let refs = |n: usize| -> Value {
            json!({"Request": {
                "AccessSubject": [{"Id": "s", "Attribute": [{"AttributeId": "urn:altinn:userid", "Value": "1"}]}],
                "Action": [{"Id": "a", "Attribute": [{"AttributeId": ACTION, "Value": "read"}]}],
                "Resource": [{"Id": "r", "Attribute": [{"AttributeId": "urn:altinn:resource", "Value": "ske-krav-og-betalinger"}, org(BAKERY)]}],
                "MultiRequests": {"RequestReference": vec![json!({"ReferenceId": ["s", "a", "r"]}); n]}}})
        };
        let r = ask(&s, &pep, &refs(1000)).await;
        assert_eq!(r.len(), 1000);
        let p = problem(s.post_json(PDP, &pep, &refs(1001)).await, 413).await;
        assert!(p["detail"].as_str().unwrap().contains("at most 1000"), "{p}");
        s.stop().await;
    }
}

engine_tests! {
    /// `decision-max-requests` and `decision-audit-rate` (1: every decision is audited).
    async fn the_cap_and_the_audit_sample_are_configurable(engine: Engine) {
        let s = TestServer::start_with(engine, common::Options {
            decision_max_requests: Some(2),
            decision_audit_rate: Some("1".into()),
            ..Default::default()
        }).await;
        s.import_as_operator(&policy_doc()).await;
        let pep = s.enterprise_token(SKD, "altinn:authorization/authorize").await;
        let refs = |n: usize| json!({"Request": {
            "AccessSubject": [{"Id": "s", "Attribute": [{"AttributeId": "urn:altinn:person:identifier-no", "Value": KARI}]}],
            "Action": [{"Id": "a", "Attribute": [{"AttributeId": ACTION, "Value": "read"}]}],
            "Resource": [{"Id": "r", "Attribute": [{"AttributeId": "urn:altinn:resource", "Value": "skd-skattegrunnlag"}, org(BAKERY)]}],
            "MultiRequests": {"RequestReference": vec![json!({"ReferenceId": ["s", "a", "r"]}); n]}}});
        assert_eq!(ask(&s, &pep, &refs(2)).await.len(), 2);
        problem(s.post_json(PDP, &pep, &refs(3)).await, 413).await;
        let entries = s.app.store.audit_entries(&tilgang::store::audit::AuditQuery {
            action: Some("authorization.decision".into()), limit: 100, ..Default::default()
        }).await.unwrap();
        assert_eq!(entries.len(), 2, "both decisions audited");
        let e = serde_json::to_value(&entries[0]).unwrap();
        assert_eq!(e["target"], "resource:skd-skattegrunnlag", "{e}");
        assert!(e.to_string().contains("Permit"), "{e}");
        assert!(!e.to_string().contains(KARI), "no national identity number in the audit log: {e}");
        s.stop().await;
    }
}

/// `examples/resource_server.py`, started against `s` on a free port; killed on drop.
struct ResourceServer {
    child: std::process::Child,
    base: String,
}

impl Drop for ResourceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn resource_server(s: &TestServer) -> ResourceServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/resource_server.py");
    let child = std::process::Command::new("python3")
        .args([
            script,
            "--tilgang",
            &s.base,
            "--port",
            &port.to_string(),
            "--owner",
            SKD,
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("python3 runs examples/resource_server.py");
    let server = ResourceServer {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if s.client
            .get(format!("{}/", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("examples/resource_server.py did not start");
}

fn details(org: &str, external_ref: &str) -> Value {
    json!({"scope": crate::system_users::RESOURCE_SCOPE, "authorization_details": [{"type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")}, "externalRef": external_ref}]})
}

engine_tests! {
    /// Issue 18, done when: the example resource server accepts a standard system user's call
    /// for its own organisation and refuses another; an agent's call is permitted for a
    /// delegated client and refused after the client is removed.
    async fn the_example_resource_server_enforces_system_users(engine: Engine) {
        let s = TestServer::start(engine).await;
        s.import_as_operator(&policy_doc()).await;
        let pep = resource_server(&s).await;
        let call = |path: String, token: Option<String>| {
            let c = s.client.clone();
            let url = format!("{}{path}", pep.base);
            async move {
                let mut req = c.get(url);
                if let Some(t) = token { req = req.bearer_auth(t); }
                req.send().await.unwrap().status().as_u16()
            }
        };

        // A standard system user of the bakery.
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let created = json_of(s.post_json("/authentication/api/v1/systemuser/request/vendor", &mp, &request_body(BAKERY)).await, 201).await;
        let su = created["id"].as_str().unwrap().to_owned();
        let party = party_id(&s, BAKERY).await;
        send(&s, reqwest::Method::POST, &format!("/authentication/api/v1/systemuser/request/{party}/{su}/approve"), &person_token(&s, KARI).await).await;
        let token: Value = vendor.token(&s, details(BAKERY, &format!("kunde-{BAKERY}"))).await.json().await.unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        assert_eq!(call(format!("/api/ske-krav-og-betalinger/{BAKERY}"), Some(token.clone())).await, 200);
        assert_eq!(call(format!("/api/ske-krav-og-betalinger/{ELECTRIC}"), Some(token.clone())).await, 403);
        assert_eq!(call(format!("/api/ske-krav-og-betalinger/{BAKERY}"), None).await, 401);
        let mut forged = token.clone();
        forged.replace_range(forged.len() - 4.., "AAAA");
        assert_eq!(call(format!("/api/ske-krav-og-betalinger/{BAKERY}"), Some(forged)).await, 401);

        // The vendor deletes its system: the token it still holds is refused at once.
        let register = s.enterprise_token(crate::system_users::VENDOR, "altinn:authentication/systemregister.write").await;
        let res = send(&s, reqwest::Method::DELETE, &format!("/authentication/api/v1/systemregister/vendor/{}", crate::system_users::SYSTEM), &register).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(call(format!("/api/ske-krav-og-betalinger/{BAKERY}"), Some(token.clone())).await, 403);

        // An agent system user of the accounting firm, and one of its clients.
        let vendor = vendor_with_client_system(&s, "317219253_pep", &[SIGNING]).await;
        let agent = approved_agent(&s, &vendor, "317219253_pep", FIRM, GUNNHILD, &[SIGNING]).await;
        let write = crate::system_users::token_with(&s, GUNNHILD, "altinn:clientdelegations.write").await;
        let clients = format!("/authentication/api/v1/enduser/systemuser/clients?agent={agent}&client={}", uuid_of(&s, BAKERY).await);
        let token: Value = vendor.token(&s, details(FIRM, &format!("klient-{FIRM}"))).await.json().await.unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        assert_eq!(call(format!("/api/skd-mva/{BAKERY}"), Some(token.clone())).await, 403, "not a client yet");
        assert_eq!(send(&s, reqwest::Method::POST, &clients, &write).await.status(), 200);
        assert_eq!(call(format!("/api/skd-mva/{BAKERY}"), Some(token.clone())).await, 200);
        assert_eq!(send(&s, reqwest::Method::DELETE, &clients, &write).await.status(), 200);
        assert_eq!(call(format!("/api/skd-mva/{BAKERY}"), Some(token)).await, 403, "removed");
        drop(pep);
        s.stop().await;
    }
}

/// The change feed is trusted only while every trigger it relies on is enabled: after its
/// connection breaks, it does not trust a database where one was disabled, and decisions
/// read the database; enabled again, the feed is trusted again.
#[tokio::test]
async fn the_change_feed_is_not_trusted_without_its_triggers() {
    let s = TestServer::start(Engine::Postgres).await;
    let feed = || s.app.store.changes().generation();
    let wait_for = |trusted: bool| async move {
        for _ in 0..100 {
            if feed().is_some() == trusted {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    };
    assert!(wait_for(true).await, "the feed listens");
    let other = tilgang::store::Store::connect(&s.database_url)
        .await
        .unwrap();
    sqlx::raw_sql("ALTER TABLE party DISABLE TRIGGER decision_change")
        .execute(other.pool())
        .await
        .unwrap();
    // The feed's own connection goes (as in a failover); it connects again and checks.
    sqlx::raw_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
           AND (query LIKE 'LISTEN%' OR query LIKE 'SELECT pg_notify%' OR query LIKE 'SELECT COUNT(*) FROM pg_trigger%')",
    )
    .execute(other.pool())
    .await
    .unwrap();
    assert!(wait_for(false).await, "a broken connection is not trusted");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(feed(), None, "a disabled trigger keeps the feed untrusted");
    sqlx::raw_sql("ALTER TABLE party ENABLE TRIGGER decision_change")
        .execute(other.pool())
        .await
        .unwrap();
    other.close().await;
    assert!(wait_for(true).await, "trusted again with every trigger");
    s.stop().await;
}
