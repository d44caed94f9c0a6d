//! Client lists of a big facilitator (BENCHMARKS.md, issue 14): imports a firm with N clients
//! (role `regnskapsforer`) into a running server, has its daglig leder approve an agent system
//! user, delegates D of the clients through the client-delegation API, then measures the first
//! page of the available and of the delegated clients, and a search, over HTTP keep-alive.
//!
//! Usage: cargo run --release --example client_load -- URL [--clients 10000]
//!        [--delegations 2000] [--seconds 10] [--concurrency 4] [--pid SERVER_PID]
//! The server must run in the local profile (test tokens). With --pid, the server's resident
//! memory is read before and after the measurement.

#[path = "support/load.rs"]
mod load;

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

const VENDOR: &str = "317219253";
const FIRM: &str = "299999998";
const LEADER: &str = "16895243748"; // a synthetic person of the demo data
const PACKAGE: &str = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";

/// The `n`-th valid organisation number starting with 2 (the demo data's start with 3).
fn org_number(n: u32) -> Option<String> {
    let body = format!("2{n:07}");
    let weights = [3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(format!("{body}0")),
        10 => None,
        c => Some(format!("{body}{c}")),
    }
}

fn rss_kb(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .ok()
}

async fn token(http: &reqwest::Client, url: &str, kind: &str, query: &[(&str, &str)]) -> String {
    http.get(format!("{url}/api/{kind}"))
        .query(query)
        .send()
        .await
        .expect("token")
        .text()
        .await
        .expect("token")
}

async fn json_of(res: reqwest::Response, what: &str) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("URL of the running server");
    let (mut clients, mut delegations, mut seconds, mut concurrency, mut pid) =
        (10_000u32, 2_000usize, 10u64, 4usize, None);
    while let Some(a) = args.next() {
        let v = args.next().expect("a value");
        match a.as_str() {
            "--clients" => clients = v.parse().expect("--clients N"),
            "--delegations" => delegations = v.parse().expect("--delegations N"),
            "--seconds" => seconds = v.parse().expect("--seconds N"),
            "--concurrency" => concurrency = v.parse().expect("--concurrency N"),
            "--pid" => pid = Some(v.parse().expect("--pid PID")),
            other => panic!("unknown option {other}"),
        }
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");

    // The firm and its clients, in one import.
    let numbers: Vec<String> = (1..)
        .filter_map(org_number)
        .take(clients as usize)
        .collect();
    let mut organizations = vec![json!({"orgNo": FIRM, "name": "Benkebyrået AS", "orgForm": "AS"})];
    let mut roles = vec![json!({"role": "daglig-leder", "from": FIRM, "to": LEADER})];
    for (i, no) in numbers.iter().enumerate() {
        organizations
            .push(json!({"orgNo": no, "name": format!("Klient {i:05} AS"), "orgForm": "AS"}));
        roles.push(json!({"role": "regnskapsforer", "from": no, "to": FIRM}));
    }
    let admin = token(
        &http,
        &url,
        "GetEnterpriseToken",
        &[
            ("orgNo", VENDOR),
            ("scopes", "altinn:register/admin tilgang:admin"),
        ],
    )
    .await;
    let started = Instant::now();
    let counts = json_of(
        http.post(format!("{url}/register/api/v1/admin/import"))
            .bearer_auth(&admin)
            .json(&json!({"organizations": organizations, "roles": roles}))
            .send()
            .await
            .expect("import"),
        "import",
    )
    .await;
    println!(
        "imported {} organisations and {} roles in {:.2} s",
        counts["organizations"],
        counts["roles"],
        started.elapsed().as_secs_f64()
    );

    // A client system, an agent request and its approval.
    let register = token(
        &http,
        &url,
        "GetEnterpriseToken",
        &[
            ("orgNo", VENDOR),
            ("scopes", "altinn:authentication/systemregister.write"),
        ],
    )
    .await;
    let system_id = format!("{VENDOR}_klientbenk_{}", std::process::id());
    let system = json!({"id": system_id, "vendor": {"ID": format!("0192:{VENDOR}")},
        "name": {"nb": "Klientbenk", "nn": "Klientbenk", "en": "Client bench"},
        "description": {"nb": "b", "nn": "b", "en": "b"}, "isVisible": false,
        "accessPackages": [{"urn": PACKAGE}], "clientId": [format!("{system_id}-client")],
        "allowedRedirectUrls": ["https://bench.example/"]});
    json_of(
        http.post(format!("{url}/authentication/api/v1/systemregister/vendor"))
            .bearer_auth(&register)
            .json(&system)
            .send()
            .await
            .expect("register"),
        "register",
    )
    .await;
    let requester = token(
        &http,
        &url,
        "GetEnterpriseToken",
        &[
            ("orgNo", VENDOR),
            ("scopes", "altinn:authentication/systemuser.request.write"),
        ],
    )
    .await;
    let created = json_of(
        http.post(format!(
            "{url}/authentication/api/v1/systemuser/request/vendor/agent"
        ))
        .bearer_auth(&requester)
        .json(
            &json!({"systemId": system_id, "partyOrgNo": FIRM, "externalRef": system_id,
                "accessPackages": [{"urn": PACKAGE}], "redirectUrl": "https://bench.example/"}),
        )
        .send()
        .await
        .expect("request"),
        "agent request",
    )
    .await;
    let agent = created["id"].as_str().expect("id").to_owned();
    let portal = token(
        &http,
        &url,
        "GetPersonalToken",
        &[("pid", LEADER), ("scopes", "altinn:portal/enduser")],
    )
    .await;
    let firm = json_of(
        http.get(format!("{url}/register/api/v1/organizations/{FIRM}"))
            .bearer_auth(&portal)
            .send()
            .await
            .expect("firm"),
        "firm",
    )
    .await;
    let party = &firm["partyId"];
    json_of(
        http.post(format!(
            "{url}/authentication/api/v1/systemuser/request/agent/{party}/{agent}/approve"
        ))
        .bearer_auth(&portal)
        .send()
        .await
        .expect("approve"),
        "approve",
    )
    .await;

    // Every page of the available clients, following links.next.
    let read = token(
        &http,
        &url,
        "GetPersonalToken",
        &[("pid", LEADER), ("scopes", "altinn:clientdelegations.read")],
    )
    .await;
    let write = token(
        &http,
        &url,
        "GetPersonalToken",
        &[
            ("pid", LEADER),
            ("scopes", "altinn:clientdelegations.write"),
        ],
    )
    .await;
    let base = format!("{url}/authentication/api/v1/enduser/systemuser");
    let started = Instant::now();
    let mut next = Some(format!("{base}/clients/available?agent={agent}"));
    let mut uuids = Vec::new();
    let mut pages = 0;
    while let Some(page_url) = next {
        let page = json_of(
            http.get(&page_url)
                .bearer_auth(&read)
                .send()
                .await
                .expect("page"),
            "available",
        )
        .await;
        pages += 1;
        for c in page["data"].as_array().expect("data") {
            uuids.push(c["clientId"].as_str().expect("clientId").to_owned());
        }
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    println!(
        "paged through {} available clients in {pages} pages in {:.2} s",
        uuids.len(),
        started.elapsed().as_secs_f64()
    );

    // Delegations through the API, `concurrency` at a time.
    let started = Instant::now();
    let chosen: Vec<String> = uuids.iter().take(delegations).cloned().collect();
    let chunk = chosen.len().div_ceil(concurrency.max(1)).max(1);
    let tasks: Vec<_> = chosen
        .chunks(chunk)
        .map(|part| {
            let (http, base, write, agent) =
                (http.clone(), base.clone(), write.clone(), agent.clone());
            let part = part.to_vec();
            tokio::spawn(async move {
                for client in part {
                    let res = http
                        .post(format!("{base}/clients?agent={agent}&client={client}"))
                        .bearer_auth(&write)
                        .send()
                        .await
                        .expect("add");
                    assert!(res.status().is_success(), "add: {}", res.status());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    println!(
        "delegated {} clients in {:.2} s",
        chosen.len(),
        started.elapsed().as_secs_f64()
    );

    let rss_before = rss_kb(pid);
    let targets = [
        (
            "available, first page",
            format!("{base}/clients/available?agent={agent}"),
        ),
        (
            "delegated, first page",
            format!("{base}/clients?agent={agent}"),
        ),
        (
            "available, search",
            format!("{base}/clients/available?agent={agent}&search=Klient%2004"),
        ),
    ];
    for (name, target) in targets {
        let run = load::run(
            &http,
            &read,
            concurrency,
            seconds,
            Arc::new(move |_, _| target.clone()),
        )
        .await;
        println!(
            "{}",
            run.report(
                name,
                "requests",
                &format!("concurrency {concurrency}, {clients} clients, {delegations} delegated")
            )
        );
    }
    if let (Some(before), Some(after)) = (rss_before, rss_kb(pid)) {
        println!("server RSS: {before} kB before the measurement, {after} kB after");
    }
}
