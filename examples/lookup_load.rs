//! Lookups with many system users stored (BENCHMARKS.md): fills the database of a running
//! server with N system users of one system, then measures the Maskinporten lookup
//! (`byExternalId`) and the vendor's verification (`vendor/byquery`) over HTTP keep-alive.
//!
//! Usage: cargo run --release --example lookup_load -- URL DATABASE_URL [--users 1000000]
//!        [--seconds 10] [--concurrency 16]
//! The server must run in the local profile on DATABASE_URL.

#[path = "support/load.rs"]
mod load;

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tilgang::store::{Engine, Store};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("URL of the running server");
    let db_url = args.next().expect("the server's database URL");
    let (mut users, mut seconds, mut concurrency) = (1_000_000u64, 10u64, 16usize);
    while let Some(a) = args.next() {
        let v = args.next().expect("a value");
        match a.as_str() {
            "--users" => users = v.parse().expect("--users N"),
            "--seconds" => seconds = v.parse().expect("--seconds N"),
            "--concurrency" => concurrency = v.parse().expect("--concurrency N"),
            other => panic!("unknown option {other}"),
        }
    }
    let vendor = "317219253";
    let system_id = format!("{vendor}_lookupbench");
    let client_id = "lookup-bench-client";
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let token = |scopes: &str| {
        let http = http.clone();
        let url = url.clone();
        let scopes = scopes.to_owned();
        async move {
            http.get(format!("{url}/api/GetEnterpriseToken"))
                .query(&[("orgNo", vendor), ("scopes", scopes.as_str())])
                .send()
                .await
                .expect("token")
                .text()
                .await
                .expect("token")
        }
    };
    let register = token("altinn:authentication/systemregister.write").await;
    let system = json!({"id": system_id, "vendor": {"ID": format!("0192:{vendor}")},
        "name": {"nb": "Oppslag", "nn": "Oppslag", "en": "Lookup"}, "description": {"nb": "b", "nn": "b", "en": "b"},
        "clientId": [client_id], "isVisible": false});
    let res = http
        .post(format!("{url}/authentication/api/v1/systemregister/vendor"))
        .bearer_auth(&register)
        .json(&system)
        .send()
        .await
        .expect("register");
    println!("system registered: {}", res.status());

    let store = Store::connect(&db_url).await.expect("database");
    let internal: String =
        sqlx::query_scalar("SELECT internal_id FROM system_register WHERE system_id = $1")
            .bind(&system_id)
            .fetch_one(store.pool())
            .await
            .expect("system");
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM system_user WHERE system_id = $1")
        .bind(&system_id)
        .fetch_one(store.pool())
        .await
        .expect("count");
    if (existing as u64) < users {
        let started = Instant::now();
        let sql = match store.engine() {
            Engine::Sqlite => format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {users}) \
                 INSERT INTO system_user (id, system_internal_id, system_id, party_org_no, party_id, external_ref, integration_title, user_type, \
                   rights, access_packages, created_at, updated_at, created_by, is_deleted, live_key, seq) \
                 SELECT 'bench-' || i, '{internal}', '{system_id}', printf('%09d', i), 0, printf('%09d', i), 'bench', 'standard', '[]', '[]', 0, 0, 'bench', 0, \
                   '{system_id}|' || printf('%09d', i) || '|' || printf('%09d', i), 1000000000 + i FROM n",
                from = existing + 1
            ),
            Engine::Postgres => format!(
                "INSERT INTO system_user (id, system_internal_id, system_id, party_org_no, party_id, external_ref, integration_title, user_type, \
                   rights, access_packages, created_at, updated_at, created_by, is_deleted, live_key, seq) \
                 SELECT 'bench-' || i, '{internal}', '{system_id}', lpad(i::text, 9, '0'), 0, lpad(i::text, 9, '0'), 'bench', 'standard', '[]', '[]', 0, 0, 'bench', 0, \
                   '{system_id}|' || lpad(i::text, 9, '0') || '|' || lpad(i::text, 9, '0'), 1000000000 + i FROM generate_series({from}, {users}) i",
                from = existing + 1
            ),
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .expect("bulk insert");
        println!(
            "stored {} system users in {:.1} s",
            users - existing as u64,
            started.elapsed().as_secs_f64()
        );
    }
    store.close().await;

    let lookup = token("altinn:maskinporten/systemuser.read").await;
    let verify = token("altinn:authentication/systemuser.request.write").await;
    for (name, bearer) in [("byExternalId", lookup), ("vendor/byquery", verify)] {
        let (url, system_id) = (url.clone(), system_id.clone());
        let target: load::Target = Arc::new(move |t, count| {
            // Spread the owners over the whole table.
            let n = count.wrapping_mul(2_654_435_761 + t as u64) % users + 1;
            let org = format!("{n:09}");
            if name == "byExternalId" {
                format!(
                    "{url}/authentication/api/v1/systemuser/byExternalId?clientId={client_id}&systemProviderOrgNo={vendor}&systemUserOwnerOrgNo={org}"
                )
            } else {
                format!(
                    "{url}/authentication/api/v1/systemuser/vendor/byquery?system-id={system_id}&orgno={org}"
                )
            }
        });
        let run = load::run(&http, &bearer, concurrency, seconds, target).await;
        println!(
            "{}",
            run.report(
                name,
                "lookups",
                &format!("concurrency {concurrency}, {users} system users")
            )
        );
    }
}
