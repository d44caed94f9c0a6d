//! Load generator for the Maskinporten JWT-bearer grant (BENCHMARKS.md).
//!
//! 1. Measures the crypto ceiling on this machine: verifying one RS256 assertion plus signing one
//!    RS256 token, single-threaded, with the server's own code (tilgang::jose).
//! 2. Registers a client at the running server (test token generator + self-service API).
//! 3. Pre-signs every assertion before the run (on all cores), so that the generator's own
//!    signing is not measured.
//! 4. Sends grants over HTTP/1.1 keep-alive connections for the given time, either as fast as
//!    possible or at a fixed rate, and reports throughput and latency percentiles.
//!
//! Usage: cargo run --release --example grant_load -- [URL] [--seconds 10] [--concurrency 32]
//!        [--rate N] [--org 317219253] [--alg RS256|ES256|EdDSA (the server's --signing-alg)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tilgang::jose::{Alg, RsaSigningKey, SigningKey, sign_compact, verify_compact};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct Args {
    url: String,
    seconds: u64,
    concurrency: usize,
    rate: Option<u64>,
    org: String,
    /// The algorithm the server signs with (its --signing-alg), for the ceiling in (a).
    alg: Alg,
}

fn args() -> Args {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        seconds: 10,
        concurrency: 32,
        rate: None,
        org: "317219253".into(),
        alg: Alg::Rs256,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--concurrency" => a.concurrency = value().parse().expect("--concurrency N"),
            "--rate" => a.rate = Some(value().parse().expect("--rate N")),
            "--org" => a.org = value(),
            "--alg" => a.alg = value().parse().expect("--alg RS256|ES256|EdDSA"),
            url => a.url = url.trim_end_matches('/').to_owned(),
        }
    }
    a
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// (a): µs for one RS256 verify + one RS256 sign, single-threaded.
fn crypto_cost(alg: Alg) -> (f64, f64, f64) {
    let vendor = RsaSigningKey::generate("v".into()).expect("key");
    let server = SigningKey::generate(alg, "s".into()).expect("key");
    let assertion = sign_compact(
        &vendor,
        &json!({"iss": "c", "aud": "x", "iat": 1, "exp": 2, "jti": "j", "scope": "a"}),
    )
    .expect("sign");
    let token_claims = json!({"iss": "http://127.0.0.1:8080/maskinporten/", "client_amr": "private_key_jwt", "token_type": "Bearer",
        "scope": "a", "client_id": "c", "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:317219253"},
        "iat": 1, "exp": 121, "jti": "00000000-0000-0000-0000-000000000000"});
    let measure = |f: &dyn Fn()| {
        for _ in 0..200 {
            f();
        }
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_secs(2) {
            f();
            n += 1;
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    };
    let verify = measure(&|| {
        verify_compact(&assertion, [vendor.public()]).expect("verify");
    });
    let sign = measure(&|| {
        sign_compact(&server, &token_claims).expect("sign");
    });
    (verify, sign, verify + sign)
}

/// Grants/s of crypto alone with every core busy (verify + sign per grant).
fn crypto_all_cores(alg: Alg) -> f64 {
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2);
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let vendor = RsaSigningKey::generate("v".into()).expect("key");
                    let server = SigningKey::generate(alg, "s".into()).expect("key");
                    let claims = json!({"iss": "c", "aud": "x", "iat": 1, "exp": 2, "jti": "j", "scope": "a"});
                    let assertion = sign_compact(&vendor, &claims).expect("sign");
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < Duration::from_secs(3) {
                        verify_compact(&assertion, [vendor.public()]).expect("verify");
                        sign_compact(&server, &claims).expect("sign");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    total as f64 / 3.0
}

async fn register(client: &reqwest::Client, a: &Args, key: &RsaSigningKey) -> String {
    let token = client
        .get(format!("{}/api/GetEnterpriseToken", a.url))
        .query(&[("orgNo", a.org.as_str()), ("scopes", "idporten:dcr.write")])
        .send()
        .await
        .expect("token generator (is the server running in the local profile?)")
        .text()
        .await
        .expect("token");
    let created: Value = client
        .post(format!("{}/selvbetjening/api/v1/clients", a.url))
        .bearer_auth(&token)
        .json(&json!({"client_name": "grant_load", "description": "load generator", "scopes": ["bench:read"]}))
        .send()
        .await
        .expect("create client")
        .json()
        .await
        .expect("client JSON");
    let client_id = created["client_id"].as_str().expect("client_id").to_owned();
    let res = client
        .post(format!(
            "{}/selvbetjening/api/v1/clients/{client_id}/jwks",
            a.url
        ))
        .bearer_auth(&token)
        .json(&json!({"keys": [key.public().jwk()]}))
        .send()
        .await
        .expect("upload key");
    assert_eq!(res.status(), 201, "key upload");
    client_id
}

fn presign(key: &RsaSigningKey, client_id: &str, aud: &str, n: usize, iat: i64) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2);
    let per = n.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t * per..((t + 1) * per).min(n))
                        .map(|i| {
                            let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": iat, "exp": iat + 60,
                                "jti": format!("bench-{iat}-{i}"), "scope": "bench:read"});
                            sign_compact(key, &claims).expect("sign")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signer thread"))
            .collect()
    })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() {
    let a = args();
    let (verify, sign, both) = crypto_cost(a.alg);
    let ceiling_one = 1e6 / both;
    println!(
        "(a) crypto, one thread: RS256 verify {verify:.1} µs + {} sign {sign:.1} µs = {both:.1} µs",
        a.alg
    );
    println!(
        "    ceiling: {ceiling_one:.0} grants/s per core, {:.0} grants/s for two cores",
        2.0 * ceiling_one
    );
    let measured_all = crypto_all_cores(a.alg);
    println!("    measured with every core signing at once: {measured_all:.0} grants/s");

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .expect("client");
    let key = RsaSigningKey::generate("grant-load".into()).expect("key");
    let client_id = register(&http, &a, &key).await;

    // Enough assertions for the run: the crypto ceiling, but no more than MAX_RATE a second
    // (HTTP and the replay write bound the server well below the ES256/EdDSA crypto ceiling).
    const MAX_RATE: f64 = 7000.0;
    let expected_rate = a
        .rate
        .map(|r| r as f64)
        .unwrap_or(MAX_RATE.min(1.2 * measured_all.max(2.0 * ceiling_one)));
    let n = (expected_rate * a.seconds as f64) as usize + 1000;
    // How fast this machine pre-signs (RS256, every core), to place iat after the signing.
    let calibrate = Instant::now();
    let probe = presign(&key, &client_id, "calibration", 400, 0);
    let per_sec = probe.len() as f64 / calibrate.elapsed().as_secs_f64();
    let sign_secs = n as f64 / per_sec;
    // Every assertion carries the same iat, which must be within ±10 s of the server's clock
    // for the whole run: it lies just after the signing ends, and the run waits for iat − 9.
    let iat = unix_now() + sign_secs.ceil() as i64 + 9;
    let started = Instant::now();
    let assertions = Arc::new(presign(
        &key,
        &client_id,
        &format!("{}/maskinporten/", a.url),
        n,
        iat,
    ));
    println!(
        "pre-signed {} assertions in {:.1} s",
        assertions.len(),
        started.elapsed().as_secs_f64()
    );
    while unix_now() < iat - 9 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let start = Instant::now();
    let tasks: Vec<_> = (0..a.concurrency)
        .map(|_| {
            let (http, url, assertions, next) = (
                http.clone(),
                format!("{}/maskinporten/token", a.url),
                assertions.clone(),
                next.clone(),
            );
            let rate = a.rate;
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= assertions.len() {
                        break;
                    }
                    if let Some(rate) = rate {
                        // Open loop: request i is due at start + i / rate.
                        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
                        if due > deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                    } else if Instant::now() >= deadline {
                        break;
                    }
                    let sent = Instant::now();
                    let ok = match http
                        .post(&url)
                        .form(&[("grant_type", JWT_BEARER), ("assertion", &assertions[i])])
                        .send()
                        .await
                    {
                        Ok(res) => {
                            let ok = res.status() == 200;
                            let _ = res.bytes().await;
                            ok
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let ok = latencies.len() as u64 - errors;
    let rate = ok as f64 / elapsed;
    println!(
        "(b) {} requests in {elapsed:.1} s, {errors} errors: {rate:.0} grants/s = {:.0} % of the two-core ceiling from (a), {:.0} % of the all-cores measurement",
        latencies.len(),
        100.0 * rate / (2.0 * ceiling_one),
        100.0 * rate / measured_all
    );
    println!(
        "    latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  (concurrency {}, {})",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        a.concurrency,
        a.rate
            .map(|r| format!("fixed rate {r}/s"))
            .unwrap_or_else(|| "as fast as possible".into())
    );
}
