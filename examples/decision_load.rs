//! Decisions with a big register (BENCHMARKS.md, issue 18): fills the database of a running
//! server with S standard system users (a right on `ske-krav-og-betalinger`, spread over the
//! demo organisations) and A agent system users with C clients each (the package
//! `regnskapsforer-med-signeringsrettighet`), then measures single decisions over HTTP
//! keep-alive: half standard system users on their own organisation, half agents on one of
//! their clients, every one a Permit.
//!
//! Usage: cargo run --release --example decision_load -- URL DATABASE_URL
//!        [--standard 100000] [--agents 1000] [--clients 1000] [--seconds 10] [--concurrency 16]
//!        [--churn 0]
//! The server must run in the local profile on DATABASE_URL, with the demo data. `--churn N`
//! changes a party's row N times a second while measuring (another process's commit, which
//! starts the server's decision cache over each time).

#[path = "support/load.rs"]
mod load;

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tilgang::store::{Engine, Store};

const VENDOR: &str = "317219253";
const SKD: &str = "974761076";
const SIGNING: &str = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";

fn option(args: &mut impl Iterator<Item = String>, name: &str) -> u64 {
    args.next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} N"))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("URL of the running server");
    let db_url = args.next().expect("the server's database URL");
    let (mut standard, mut agents, mut clients, mut seconds, mut concurrency, mut churn) =
        (100_000u64, 1_000u64, 1_000u64, 10u64, 16u64, 0u64);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--standard" => standard = option(&mut args, "--standard"),
            "--agents" => agents = option(&mut args, "--agents"),
            "--clients" => clients = option(&mut args, "--clients"),
            "--seconds" => seconds = option(&mut args, "--seconds"),
            "--concurrency" => concurrency = option(&mut args, "--concurrency"),
            "--churn" => churn = option(&mut args, "--churn"),
            other => panic!("unknown option {other}"),
        }
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()
        .expect("client");
    let token = |org: &'static str, scopes: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.get(format!("{url}/api/GetEnterpriseToken"))
                .query(&[("orgNo", org), ("scopes", scopes)])
                .send()
                .await
                .expect("token")
                .text()
                .await
                .expect("token")
        }
    };
    let system_id = format!("{VENDOR}_decisionbench");
    let register = token(VENDOR, "altinn:authentication/systemregister.write").await;
    let system = json!({"id": system_id, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Beslutning", "nn": "Avgjerd", "en": "Decision"}, "description": {"nb": "b", "nn": "b", "en": "b"},
        "clientId": ["decision-bench-client"], "isVisible": false});
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
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM party WHERE org_no IS NOT NULL")
        .fetch_one(store.pool())
        .await
        .expect("organisations");
    let existing = |kind: &'static str| {
        let (store, system_id) = (&store, &system_id);
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM system_user WHERE system_id = $1 AND user_type = $2",
            )
            .bind(system_id)
            .bind(kind)
            .fetch_one(store.pool())
            .await
            .expect("count")
        }
    };
    let (have_standard, have_agents) = (existing("standard").await, existing("agent").await);
    {
        let started = Instant::now();
        let right =
            r#"[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}]}]"#;
        let packages = format!(r#"[{{"urn":"{SIGNING}"}}]"#);
        // System user i belongs to organisation number (i mod orgs) + 1 in party-id order; the
        // agents' clients are the `clients` organisations after their facilitator.
        let (numbers, uuid, pad) = match store.engine() {
            Engine::Sqlite => (
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})",
                "printf('00000000-0000-4000-{K}-%012d', n.i)",
                "",
            ),
            Engine::Postgres => (
                "WITH n(i) AS (SELECT generate_series(1, {N}))",
                "'00000000-0000-4000-{K}-' || lpad(n.i::text, 12, '0')",
                "::bigint",
            ),
        };
        let orgs_cte = "orgs AS (SELECT party_id, org_no, ROW_NUMBER() OVER (ORDER BY party_id) AS rn FROM party WHERE org_no IS NOT NULL)";
        let insert_users = |n: u64,
                            kind: &str,
                            key: &str,
                            rights: &str,
                            packages: &str,
                            seq0: u64| {
            format!(
                "{numbers}, {orgs_cte} \
                 INSERT INTO system_user (id, system_internal_id, system_id, party_org_no, party_id, external_ref, integration_title, user_type, \
                   rights, access_packages, created_at, updated_at, created_by, is_deleted, live, seq) \
                 SELECT {uuid}, '{internal}', '{system_id}', o.org_no, o.party_id, '{kind}-' || n.i, 'bench', '{kind}', '{rights}', '{packages}', 0, 0, 'bench', 0, 1, {seq0} + n.i \
                 FROM n JOIN orgs o ON o.rn = (n.i % {orgs}){pad} + 1",
                numbers = numbers.replace("{N}", &n.to_string()),
                uuid = uuid.replace("{K}", key),
            )
        };
        let mut steps = Vec::new();
        if have_standard == 0 {
            steps.push(insert_users(
                standard,
                "standard",
                "8000",
                right,
                "[]",
                2_000_000_000,
            ));
        }
        if have_agents == 0 {
            steps.push(insert_users(
                agents,
                "agent",
                "9000",
                "[]",
                &packages,
                3_000_000_000,
            ));
        }
        for sql in steps {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(store.pool())
                .await
                .expect("system users");
        }
        let delegations = format!(
            "{numbers}, {orgs_cte} \
             INSERT INTO client_delegation (agent_id, client_party, facilitator_party, created_at, created_by) \
             SELECT su.id, c.party_id, su.party_id, 0, 'bench' FROM system_user su \
             JOIN orgs f ON f.party_id = su.party_id JOIN n ON 1 = 1 \
             JOIN orgs c ON c.rn = (f.rn + n.i) % {orgs} + 1 \
             WHERE su.system_id = '{system_id}' AND su.user_type = 'agent'",
            numbers = numbers.replace("{N}", &clients.to_string()),
        );
        if have_agents == 0 {
            sqlx::raw_sql(sqlx::AssertSqlSafe(delegations))
                .execute(store.pool())
                .await
                .expect("client delegations");
            // Each client has the facilitator as its accountant, which gives the package.
            sqlx::raw_sql(
                "INSERT INTO party_role (from_party, role, to_party, created_at) \
                 SELECT client_party, 'regnskapsforer', facilitator_party, 0 FROM client_delegation \
                 WHERE created_by = 'bench' ON CONFLICT (from_party, role, to_party) DO NOTHING",
            )
            .execute(store.pool())
            .await
            .expect("client roles");
        }
        println!(
            "stored {standard} standard and {agents} agent system users with {} client delegations in {:.1} s",
            agents * clients,
            started.elapsed().as_secs_f64()
        );
    }
    // What to ask: (system user, organisation) pairs that are Permits.
    let standard_pairs: Vec<(String, String)> = sqlx::query_as(
        "SELECT su.id, su.party_org_no FROM system_user su WHERE su.system_id = $1 AND su.user_type = 'standard' ORDER BY su.seq LIMIT 20000",
    )
    .bind(&system_id)
    .fetch_all(store.pool())
    .await
    .expect("standard system users");
    let agent_pairs: Vec<(String, String)> = sqlx::query_as(
        "SELECT d.agent_id, p.org_no FROM client_delegation d JOIN party p ON p.party_id = d.client_party \
         WHERE d.created_by = 'bench' ORDER BY d.agent_id, d.client_party LIMIT 20000",
    )
    .fetch_all(store.pool())
    .await
    .expect("client delegations");
    let churning = (churn > 0).then(|| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_micros(1_000_000 / churn));
            loop {
                tick.tick().await;
                sqlx::query("UPDATE party SET name = name WHERE party_id = (SELECT MIN(party_id) FROM party)")
                    .execute(store.pool())
                    .await
                    .expect("churn");
            }
        })
    });
    println!(
        "asking about {} standard and {} agent pairs",
        standard_pairs.len(),
        agent_pairs.len()
    );

    let pdp = token(SKD, "altinn:authorization/authorize").await;
    let body = |su: &str, action: &str, resource: &str, org: &str| {
        json!({"Request": {
            "AccessSubject": [{"Attribute": [{"AttributeId": "urn:altinn:systemuser:uuid", "Value": su}]}],
            "Action": [{"Attribute": [{"AttributeId": "urn:oasis:names:tc:xacml:1.0:action:action-id", "Value": action}]}],
            "Resource": [{"Attribute": [{"AttributeId": "urn:altinn:resource", "Value": resource},
                {"AttributeId": "urn:altinn:organization:identifier-no", "Value": org}]}]}})
        .to_string()
    };
    let bodies: Arc<Vec<String>> = Arc::new(
        standard_pairs
            .iter()
            .map(|(su, org)| body(su, "read", "ske-krav-og-betalinger", org))
            .zip(
                agent_pairs
                    .iter()
                    .map(|(su, org)| body(su, "write", "app_skd_mva-melding-innsending-v1", org)),
            )
            .flat_map(|(a, b)| [a, b])
            .collect(),
    );
    // One check that they are Permits before measuring.
    for b in bodies.iter().take(2) {
        let answer: serde_json::Value = http
            .post(format!("{url}/authorization/api/v1/authorize"))
            .bearer_auth(&pdp)
            .header("content-type", "application/json")
            .body(b.clone())
            .send()
            .await
            .expect("decision")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["response"][0]["decision"], "Permit", "{answer}");
    }
    let endpoint = format!("{url}/authorization/api/v1/authorize");
    let target: load::Requests = Arc::new(move |t, count| {
        let i = (count.wrapping_mul(2_654_435_761 + t as u64) % bodies.len() as u64) as usize;
        (endpoint.clone(), Some(bodies[i].clone()))
    });
    let run = load::run_requests(&http, &pdp, concurrency as usize, seconds, target).await;
    if let Some(churning) = churning {
        churning.abort();
    }
    store.close().await;
    println!(
        "{}",
        run.report(
            "authorize",
            "decisions",
            &format!(
                "concurrency {concurrency}, {standard} standard system users, {} client delegations, {churn} changes/s",
                agents * clients
            )
        )
    );
}
