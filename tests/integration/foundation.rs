//! The foundation end to end: the server on a free port, on SQLite and PostgreSQL.

use crate::common;

use common::{Engine, Options, TestServer, engines, problem};
use serde_json::{Value, json};
use tilgang::config::Profile;

const VENDOR: &str = "317219253";
const ADMIN_SCOPES: &str = "altinn:register/admin tilgang:admin";
/// What the embedded demo data holds (docs/demo-data.md).
const DEMO_ORGS: i64 = 2446;
const DEMO_PERSONS: i64 = 33;
const DEMO_ROLES: i64 = 2481;

fn import_doc() -> Value {
    json!({
      "organizations": [{"orgNo": "910493353", "name": "Testkunde AS", "orgForm": "AS"},
                        {"orgNo": "313872076", "name": "Testregnskap AS", "orgForm": "AS"}],
      "persons": [{"pid": "01818520030", "name": "Kari Nordmann"}],
      "roles": [
        {"role": "daglig-leder", "from": "910493353", "to": "01818520030"},
        {"role": "urn:altinn:external-role:ccr:regnskapsforer", "from": "910493353", "to": "313872076"},
        {"role": "revisor", "from": "910493353", "to": "316980635"}
      ],
      "accessPackages": [{"urn": "urn:altinn:accesspackage:testpakke",
                          "name": {"nb": "Testpakke", "nn": "Testpakke", "en": "Test package"},
                          "isDelegable": true, "isAssignable": true, "clientRoles": ["regnskapsforer"]}],
      "resources": [{"id": "test-ressurs", "title": {"nb": "Testressurs"},
                     "resourceType": "GenericAccessResource", "delegable": true}]
    })
}

engine_tests! {
    async fn health_home_docs_and_metrics(engine: Engine) {
        let s = TestServer::start(engine).await;
        let res = s.get("/health").await;
        assert_eq!(res.status(), 200, "{engine:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");

        let home = s.get("/").await.text().await.unwrap();
        assert!(home.contains("<html lang=\"nb\""), "bokmål by default");
        assert!(home.contains("Testinstans"), "test banner");
        assert!(
            home.contains("Kari Fjellheim") && home.contains("05827536549"),
            "demo identity listed"
        );
        let home_en = s.get("/?lang=en").await.text().await.unwrap();
        assert!(home_en.contains("<html lang=\"en\"") && home_en.contains("Test instance"));

        let docs = s.get("/docs").await;
        assert_eq!(docs.status(), 200);
        let docs = docs.text().await.unwrap();
        assert!(
            docs.contains("/register/api/v1/admin/import")
                && docs.contains("altinn:register/admin")
        );

        let openapi: Value = s.get("/openapi.json").await.json().await.unwrap();
        assert_eq!(openapi["openapi"], "3.1.0");
        assert_eq!(openapi["servers"][0]["url"], s.base);
        assert!(openapi["paths"]["/api/GetEnterpriseToken"].is_object());

        let metrics = s.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(
                "tilgang_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"
            ),
            "{metrics}"
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn import_through_the_api_is_idempotent_and_audited(engine: Engine) {
        let s = TestServer::start(engine).await;
        let token = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        let res = s
            .post_json("/register/api/v1/admin/import", &token, &import_doc())
            .await;
        assert_eq!(res.status(), 200, "{engine:?}");
        let counts: Value = res.json().await.unwrap();
        assert_eq!(
            counts,
            json!({"organizations": 2, "persons": 1, "roles": 3, "accessPackages": 1, "resources": 1, "packageDelegations": 0, "maskinportenDelegations": 0, "serviceOwners": 0})
        );

        let org: Value = s
            .get_auth("/register/api/v1/organizations/910493353", &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(org["name"], "Testkunde AS");
        assert_eq!(org["unitType"], "AS");
        let party_id = org["partyId"].as_i64().unwrap();
        let party_uuid = org["partyUuid"].as_str().unwrap().to_owned();

        // Again, with a changed name: same party ids, updated name, no duplicates.
        let mut doc = import_doc();
        doc["organizations"][0]["name"] = json!("Testkunde AS (nytt navn)");
        let res = s
            .post_json("/register/api/v1/admin/import", &token, &doc)
            .await;
        assert_eq!(res.status(), 200);
        let org: Value = s
            .get_auth("/register/api/v1/organizations/910493353", &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(org["partyId"], party_id);
        assert_eq!(org["partyUuid"], party_uuid.as_str());
        assert_eq!(org["name"], "Testkunde AS (nytt navn)");
        let counts = s.app.store.reference_counts().await.unwrap();
        assert_eq!(counts.organizations, DEMO_ORGS + 2);
        assert_eq!(counts.roles, DEMO_ROLES + 3);

        let pkg: Value = s.get("/accessmanagement/api/v1/meta/info/accesspackages/package/urn/urn:altinn:accesspackage:testpakke").await.json().await.unwrap();
        assert_eq!(pkg["clientRoles"], json!(["regnskapsforer"]));
        let res: Value = s
            .get("/resourceregistry/api/v1/resource/test-ressurs")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(res["title"]["nb"], "Testressurs");

        let audit: Value = s
            .get_auth("/admin/api/v1/audit?action=register.import", &token)
            .await
            .json()
            .await
            .unwrap();
        let entries = audit["data"].as_array().unwrap();
        assert_eq!(entries.len(), 3, "demo load and two imports: {audit}");
        assert_eq!(entries[1]["actor"], format!("org:{VENDOR}"));
        assert_eq!(entries[1]["details"]["counts"]["roles"], 3);
        s.stop().await;
    }
}

engine_tests! {
    async fn one_bad_record_rejects_the_whole_document(engine: Engine) {
        let s = TestServer::start(engine).await;
        let token = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        let mut doc = import_doc();
        doc["organizations"][1]["orgNo"] = json!("313872077");
        doc["roles"][1]["to"] = json!("313872077");
        let body = problem(
            s.post_json("/register/api/v1/admin/import", &token, &doc)
                .await,
            400,
        )
        .await;
        assert_eq!(body["code"], "STD-00000");
        let errors = body["validationErrors"].as_array().unwrap();
        let paths: Vec<&str> = errors
            .iter()
            .map(|e| e["paths"][0].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["/organizations/1/orgNo", "/roles/1/to"], "{body}");
        assert_eq!(errors[0]["code"], "REG.VLD-00001");
        assert!(
            errors[0]["detail"]
                .as_str()
                .unwrap()
                .contains("check digit")
        );

        // Nothing from the document was stored, not even its valid records.
        let res = s
            .get_auth("/register/api/v1/organizations/910493353", &token)
            .await;
        problem(res, 404).await;
        problem(
            s.get("/resourceregistry/api/v1/resource/test-ressurs")
                .await,
            404,
        )
        .await;
        s.stop().await;
    }
}

engine_tests! {
    async fn unknown_references_reject_the_document_and_leave_nothing_behind(engine: Engine) {
        let s = TestServer::start(engine).await;
        let token = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        let mut doc = import_doc();
        doc["roles"][0]["to"] = json!("41818520024");
        let body = problem(
            s.post_json("/register/api/v1/admin/import", &token, &doc)
                .await,
            400,
        )
        .await;
        let errors = body["validationErrors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{body}");
        assert_eq!(errors[0]["code"], "REG.VLD-00002");
        assert_eq!(errors[0]["paths"][0], "/roles/0/to");
        problem(
            s.get_auth("/register/api/v1/organizations/910493353", &token)
                .await,
            404,
        )
        .await;
        let counts = s.app.store.reference_counts().await.unwrap();
        assert_eq!(
            (counts.organizations, counts.persons, counts.roles),
            (DEMO_ORGS, DEMO_PERSONS, DEMO_ROLES)
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn tokens_and_scopes_are_checked(engine: Engine) {
        let s = TestServer::start(engine).await;
        let doc = import_doc();
        let no_token = s
            .client
            .post(s.url("/register/api/v1/admin/import"))
            .json(&doc)
            .send()
            .await
            .unwrap();
        assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
        problem(no_token, 401).await;
        problem(
            s.post_json("/register/api/v1/admin/import", "not-a-token", &doc)
                .await,
            401,
        )
        .await;
        let basic = s
            .client
            .post(s.url("/register/api/v1/admin/import"))
            .header("authorization", "Basic eDp5")
            .json(&doc)
            .send()
            .await
            .unwrap();
        problem(basic, 401).await;

        let wrong_scope = s
            .enterprise_token(VENDOR, "altinn:authentication/systemregister.write")
            .await;
        let body = problem(
            s.post_json("/register/api/v1/admin/import", &wrong_scope, &doc)
                .await,
            403,
        )
        .await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("altinn:register/admin")
        );
        problem(s.get_auth("/admin/api/v1/audit", &wrong_scope).await, 403).await;

        // A token from another issuer with the same kid is refused.
        let good = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        problem(
            s.post_json("/register/api/v1/admin/import", &parts.join("."), &doc)
                .await,
            401,
        )
        .await;

        // Expired after its lifetime (the server's clock is moved, not the test's).
        s.clock.advance(std::time::Duration::from_secs(1800 + 31));
        let body = problem(
            s.post_json("/register/api/v1/admin/import", &good, &doc)
                .await,
            401,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("expired"),
            "{body}"
        );
        let counts = s.app.store.reference_counts().await.unwrap();
        assert_eq!(
            counts.organizations, DEMO_ORGS,
            "nothing imported by refused calls"
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn malformed_requests_get_problem_details(engine: Engine) {
        let s = TestServer::start(engine).await;
        let token = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        let url = s.url("/register/api/v1/admin/import");
        let send = |body: Vec<u8>, ct: &'static str| {
            s.client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", ct)
                .body(body)
                .send()
        };

        problem(send(b"{}".to_vec(), "text/plain").await.unwrap(), 415).await;
        let body = problem(
            send(b"{\"organizations\": [".to_vec(), "application/json")
                .await
                .unwrap(),
            400,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("not valid JSON"),
            "{body}"
        );
        problem(
            send(vec![b'"', 0xff, 0xfe, b'"'], "application/json")
                .await
                .unwrap(),
            400,
        )
        .await;
        let body = problem(
            send(b"[1, 2]".to_vec(), "application/json").await.unwrap(),
            400,
        )
        .await;
        assert_eq!(body["validationErrors"][0]["paths"][0], "", "{body}");
        let huge = format!(
            "{{\"organizations\": [], \"x\": \"{}\"}}",
            "a".repeat(33 * 1024 * 1024)
        );
        problem(
            send(huge.into_bytes(), "application/json").await.unwrap(),
            413,
        )
        .await;

        problem(s.get("/no/such/page").await, 404).await;
        problem(s.client.delete(s.url("/health")).send().await.unwrap(), 405).await;
        problem(s.get("/register/api/v1/organizations/123").await, 401).await;
        problem(
            s.get_auth("/register/api/v1/organizations/123", &token)
                .await,
            400,
        )
        .await;
        problem(
            s.get_auth("/register/api/v1/organizations/910493354", &token)
                .await,
            400,
        )
        .await;
        problem(
            s.get("/accessmanagement/api/v1/meta/info/accesspackages/package/urn/skattegrunnlag")
                .await,
            400,
        )
        .await;
        problem(s.get("/accessmanagement/api/v1/meta/info/accesspackages/package/urn/urn:altinn:accesspackage:finnes-ikke").await, 404).await;
        problem(
            s.get("/resourceregistry/api/v1/resource/Not%20an%20id")
                .await,
            400,
        )
        .await;
        problem(s.get("/api/GetEnterpriseToken?scopes=a").await, 400).await;
        problem(
            s.get("/api/GetEnterpriseToken?orgNo=910493354&scopes=a")
                .await,
            400,
        )
        .await;
        problem(s.get("/api/GetEnterpriseToken?orgNo=910493353").await, 400).await;
        problem(
            s.get("/api/GetEnterpriseToken?orgNo=910493353&scopes=a&ttl=0")
                .await,
            400,
        )
        .await;
        problem(s.get_auth("/admin/api/v1/audit?limit=0", &token).await, 400).await;
        problem(
            s.get_auth("/admin/api/v1/audit?since=yesterday", &token)
                .await,
            400,
        )
        .await;
        let counts = s.app.store.reference_counts().await.unwrap();
        assert_eq!(counts.organizations, DEMO_ORGS);
        s.stop().await;
    }
}

engine_tests! {
    async fn catalogue_of_demo_data(engine: Engine) {
        let s = TestServer::start(engine).await;
        let export: Vec<Value> = s
            .get("/accessmanagement/api/v1/meta/info/accesspackages/export")
            .await
            .json()
            .await
            .unwrap();
        assert!(export.len() >= 25);
        let skatt = export
            .iter()
            .find(|p| p["urn"] == "urn:altinn:accesspackage:skattegrunnlag")
            .unwrap();
        assert_eq!(skatt["name"]["nb"], "Skattegrunnlag");
        let revisor = export
            .iter()
            .find(|p| p["urn"] == "urn:altinn:accesspackage:ansvarlig-revisor")
            .unwrap();
        assert_eq!(revisor["clientRoles"], json!(["revisor"]));
        let r: Value = s
            .get("/resourceregistry/api/v1/resource/ske-krav-og-betalinger")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["resourceType"], "GenericAccessResource");
        s.stop().await;
    }
}

engine_tests! {
    async fn demo_data_loads_on_first_start_only(engine: Engine) {
        let s = TestServer::start(engine).await;
        let first = s.app.store.reference_counts().await.unwrap();
        let jwks_before: Value = s
            .get("/authentication/api/v1/openid/.well-known/openid-configuration/jwks")
            .await
            .json()
            .await
            .unwrap();
        let db = s.stop_keep_data().await;
        let s = TestServer::start_with(
            engine,
            Options {
                database: Some(db),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(s.app.store.reference_counts().await.unwrap(), first);
        // The signing key survived the restart.
        let jwks_after: Value = s
            .get("/authentication/api/v1/openid/.well-known/openid-configuration/jwks")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(jwks_before, jwks_after);
        let token = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        let audit: Value = s
            .get_auth("/admin/api/v1/audit?action=register.import", &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(audit["data"].as_array().unwrap().len(), 1, "{audit}");
        s.stop().await;
    }
}

engine_tests! {
    async fn audit_pages_neither_skip_nor_repeat(engine: Engine) {
        let s = TestServer::start(engine).await;
        let token = s.enterprise_token(VENDOR, ADMIN_SCOPES).await;
        for _ in 0..4 {
            assert_eq!(
                s.post_json("/register/api/v1/admin/import", &token, &json!({}))
                    .await
                    .status(),
                200
            );
        }
        let mut seen = Vec::new();
        let mut next = Some(s.url("/admin/api/v1/audit?limit=2"));
        while let Some(url) = next {
            let page: Value = s
                .client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let data = page["data"].as_array().unwrap();
            assert!(data.len() <= 2);
            seen.extend(data.iter().map(|e| e["seq"].as_i64().unwrap()));
            next = page["links"]["next"].as_str().map(str::to_owned);
        }
        let mut sorted = seen.clone();
        sorted.dedup();
        assert_eq!(seen.len(), 5, "demo load + 4 imports: {seen:?}");
        assert_eq!(sorted, seen);
        s.stop().await;
    }
}

#[tokio::test]
async fn production_profile_hides_test_tools() {
    if !engines().await.contains(&Engine::Postgres) {
        return;
    }
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            ..Default::default()
        },
    )
    .await;
    problem(
        s.get("/api/GetEnterpriseToken?orgNo=910493353&scopes=a")
            .await,
        404,
    )
    .await;
    let openapi: Value = s.get("/openapi.json").await.json().await.unwrap();
    assert!(openapi["paths"]["/api/GetEnterpriseToken"].is_null());
    let home = s.get("/").await.text().await.unwrap();
    assert!(
        !home.contains("Testinstans"),
        "no test banner in production"
    );
    assert_eq!(
        s.app.store.reference_counts().await.unwrap().organizations,
        0,
        "no demo data in production"
    );
    s.stop().await;
}

engine_tests! {
    async fn health_is_503_when_the_database_does_not_answer(engine: Engine) {
        let s = TestServer::start(engine).await;
        s.app.store.close().await;
        let body = problem(s.get("/health").await, 503).await;
        assert!(
            body["detail"].as_str().unwrap().contains("database"),
            "{body}"
        );
        s.stop().await;
    }
}

engine_tests! {
    async fn personal_test_tokens(engine: Engine) {
        let s = TestServer::start(engine).await;
        let res = s
            .get("/api/GetPersonalToken?pid=05827536549&scopes=altinn:portal/enduser")
            .await;
        assert_eq!(res.status(), 200);
        let token = res.text().await.unwrap();
        let claims = common::claims_of(&token);
        assert_eq!(claims["pid"], "05827536549");
        assert_eq!(claims["scope"], "altinn:portal/enduser");
        assert_eq!(claims["urn:altinn:authlevel"], 3);
        assert!(claims["urn:altinn:userid"].as_i64().unwrap() > 50_000_000);
        assert_eq!(claims["urn:altinn:partyid"], claims["urn:altinn:userid"]);
        // Valid for the API.
        assert_eq!(
            s.get_auth("/register/api/v1/organizations/315287138", &token)
                .await
                .status(),
            200
        );

        problem(
            s.get("/api/GetPersonalToken?pid=01818520030&scopes=a")
                .await,
            404,
        )
        .await;
        problem(
            s.get("/api/GetPersonalToken?pid=01818520031&scopes=a")
                .await,
            400,
        )
        .await;
        problem(s.get("/api/GetPersonalToken?scopes=a").await, 400).await;
        problem(s.get("/api/GetPersonalToken?pid=05827536549").await, 400).await;
        problem(
            s.get("/api/GetPersonalToken?pid=05827536549&scopes=a&authLvl=9")
                .await,
            400,
        )
        .await;
        s.stop().await;
    }
}

engine_tests! {
    /// Issue 12, item 11: instances started at once on an empty database take turns migrating
    /// (PostgreSQL: an advisory lock; it failed with "duplicate key … pg_type" before), and every
    /// one of them ends with the whole schema.
    async fn instances_started_together_migrate_once(engine: Engine) {
        let (url, dir, db_name) = common::fresh_database(engine).await;
        let mut starts = Vec::new();
        for _ in 0..4 {
            let url = url.clone();
            starts.push(tokio::spawn(async move {
                let store = tilgang::store::Store::connect(&url).await?;
                let ran = tilgang::store::migrate::run(&store).await?;
                store.close().await;
                Ok::<usize, tilgang::store::StoreError>(ran)
            }));
        }
        let mut ran = Vec::new();
        for s in starts {
            ran.push(s.await.unwrap().expect("every instance starts"));
        }
        ran.sort();
        let all = tilgang::store::migrate::latest_version() as usize;
        assert_eq!(
            ran.iter().sum::<usize>(),
            all,
            "{engine:?}: each migration once"
        );
        if engine == Engine::Postgres {
            // Under the lock the first does everything; the others find it done.
            assert_eq!(ran, vec![0, 0, 0, all]);
        }
        if let Some(name) = db_name {
            common::drop_database(&name).await;
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Issue 12, item 3: a production database started without `--profile` (so as the local
/// profile) would get demo data and a test-token endpoint signing with its keys. The profile is
/// recorded at the first start, another one is refused with a message that says what to do,
/// and `--allow-profile-change` moves the database on purpose.
#[tokio::test]
async fn a_database_keeps_the_profile_it_was_set_up_with() {
    if !engines().await.contains(&Engine::Postgres) {
        return;
    }
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            ..Default::default()
        },
    )
    .await;
    let (url, dir, db_name) = s.stop_keep_data().await;
    let local = |allow: bool| tilgang::config::Overrides {
        database_url: Some(url.clone()),
        data_dir: Some(dir.clone()),
        profile: Some(Profile::Local),
        allow_profile_change: allow,
        ..Default::default()
    };
    let start = |o: tilgang::config::Overrides| async move {
        let config = tilgang::config::Config::resolve(&o).unwrap();
        tilgang::services::App::start(config, tilgang::clock::Clock::System).await
    };
    // Nothing was migrated or written by the refused start, and `keys rotate` of the other
    // profile is refused the same way.
    let before: i64 = {
        let store = tilgang::store::Store::connect(&url).await.unwrap();
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM signing_key")
            .fetch_one(store.pool())
            .await
            .unwrap();
        store.close().await;
        n
    };
    let rotate = std::process::Command::new(env!("CARGO_BIN_EXE_tilgang"))
        .args([
            "keys",
            "rotate",
            "--profile",
            "local",
            "--database-url",
            &url,
        ])
        .arg("--data-dir")
        .arg(&dir)
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(rotate.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&rotate.stderr).contains("set up by the production profile"),
        "{}",
        String::from_utf8_lossy(&rotate.stderr)
    );
    let refused = start(local(false))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        refused.contains("set up by the production profile")
            && refused.contains("--profile production")
            && refused.contains("--allow-profile-change"),
        "{refused}"
    );
    let store = tilgang::store::Store::connect(&url).await.unwrap();
    assert_eq!(
        store.meta_get("demo-data-loaded-at").await.unwrap(),
        None,
        "no demo data went in"
    );
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signing_key")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(before, after, "no keys were added for the other profile");
    // A database from before profiles were recorded, holding organisations of its own, is
    // not taken for a local one either.
    sqlx::query("DELETE FROM meta WHERE key = 'profile'")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO party (party_uuid, kind, org_no, name, created_at, updated_at) \
         VALUES ('00000000-0000-4000-8000-000000000001', 'org', '910493353', 'Ekte AS', 0, 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let refused = start(local(false))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains("not the demo data"), "{refused}");
    // On purpose: the database is the local profile's from now on — but the demo data does
    // not go into a database with records of its own.
    let app = start(local(true)).await.expect("allowed");
    assert_eq!(
        store.meta_get("profile").await.unwrap().as_deref(),
        Some("local")
    );
    assert_eq!(
        store.meta_get("demo-data-loaded-at").await.unwrap(),
        None,
        "no demo data went into a database with organisations of its own"
    );
    assert!(
        store
            .person(&"05827536549".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    app.store.close().await;
    store.close().await;
    if let Some(name) = db_name {
        common::drop_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
