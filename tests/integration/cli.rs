//! The `tilgang` binary as an operator uses it.

use crate::common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Engine, drop_database, fresh_database};

fn tilgang(args: &[&str], database_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tilgang"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TILGANG_DATABASE_URL", database_url)
        .output()
        .expect("run tilgang")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `tilgang` on `port` with the database at `url`, the data directory `dir` and
/// `extra` flags; stdout is piped (for the welcome text), stderr dropped.
fn start_server(
    port: u16,
    url: &str,
    dir: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "--listen",
        listen.as_str(),
        "--data-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_tilgang"))
        .args(args)
        .env_clear()
        .env("TILGANG_DATABASE_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Whether the server on `port` answered /health with 200 within ten seconds.
async fn healthy(client: &reqwest::Client, port: u16) -> bool {
    for _ in 0..100 {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
        {
            return res.status() == 200;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[test]
fn config_check_prints_the_effective_configuration() {
    let out = tilgang(
        &["config", "check", "--offline", "--listen", "127.0.0.1:9999"],
        "postgres://u:hunter2@db/tilgang",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("listen = \"127.0.0.1:9999\"  # flag or environment"),
        "{stdout}"
    );
    assert!(
        stdout.contains("postgres://u:****@db/tilgang"),
        "password masked: {stdout}"
    );
    assert!(!stdout.contains("hunter2"));
    assert!(stdout.contains("profile = \"local\"  # default"));
}

#[test]
fn production_refuses_an_incomplete_configuration_with_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_tilgang"))
        .args(["serve", "--profile", "production"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("database-url") && stderr.contains("public-url"),
        "{stderr}"
    );

    let out = tilgang(&["serve", "--profile", "nonsense"], "sqlite://x.db");
    assert_eq!(out.status.code(), Some(2));
}

engine_tests! {
    /// Issue 16, item 9 (in part): an operator registers a relying party of the embedded
    /// ID-porten from the command line; it is on the log-in page at once.
    async fn client_add_registers_a_relying_party(engine: Engine) {
        let (url, dir, db_name) = fresh_database(engine).await;
        let add = |extra: &[&str]| {
            let mut args = vec!["client", "add", "--provider", "idporten", "--name", "Min app"];
            args.extend_from_slice(extra);
            tilgang(&args, &url)
        };
        let out = add(&["--redirect-uri", "https://rp.example/cb", "--post-logout-uri", "https://rp.example/bye"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let printed = text(&out.stdout);
        let value = |label: &str| {
            printed.lines().find_map(|l| l.strip_prefix(label)).map(|v| v.split_whitespace().next().unwrap_or_default().to_owned()).unwrap_or_else(|| panic!("{label} in {printed}"))
        };
        let (client_id, secret) = (value("client_id:"), value("client_secret:"));
        // Refused, with what to do instead.
        for (extra, words) in [
            (vec!["--redirect-uri", "ftp://rp.example/cb"], "absolute http or https"),
            (vec!["--redirect-uri", "https://rp.example/cb#x"], "without a fragment"),
        ] {
            let out = add(&extra);
            assert!(!out.status.success());
            assert!(text(&out.stderr).contains(words), "{}", text(&out.stderr));
        }
        let out = tilgang(&["client", "add", "--provider", "maskinporten", "--name", "X", "--redirect-uri", "https://rp.example/cb"], &url);
        assert!(!out.status.success() && text(&out.stderr).contains("use idporten or ansattporten"), "{}", text(&out.stderr));
        // The server on that database knows the client: its name on the log-in page, its
        // secret at the token endpoint.
        let s = common::TestServer::start_with(engine, common::Options { database: Some((url.clone(), dir.clone(), db_name.clone())), ..Default::default() }).await;
        let challenge = tilgang::secret::pkce_challenge(&"v".repeat(43));
        let res = s.browser.get(s.url("/idporten/authorize")).query(&[("response_type", "code"), ("client_id", client_id.as_str()), ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid"), ("state", "st"), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")]).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("Min app"));
        let res = s.client.post(s.url("/idporten/token")).basic_auth(&client_id, Some(&secret)).form(&[("grant_type", "authorization_code"), ("code", "unknown")]).send().await.unwrap();
        assert_eq!(res.status(), 400, "the client is known; the code is not");
        s.stop().await;
    }
}

engine_tests! {
    async fn import_command_on_both_engines(engine: Engine) {
        let (url, dir, db_name) = fresh_database(engine).await;
        let good = dir.join("good.json");
        std::fs::write(
            &good,
            r#"{"organizations": [{"orgNo": "910493353", "name": "Testkunde AS", "orgForm": "AS"}],
                "persons": [{"pid": "01818520030", "name": "Kari Nordmann"}],
                "roles": [{"role": "daglig-leder", "from": "910493353", "to": "01818520030"}]}"#,
        )
        .unwrap();
        let bad = dir.join("bad.json");
        std::fs::write(
            &bad,
            r#"{"organizations": [{"orgNo": "313872076", "name": "OK AS", "orgForm": "AS"},
                                  {"orgNo": "910493354", "name": "Feil AS", "orgForm": "AS"}]}"#,
        )
        .unwrap();
        let not_json = dir.join("broken.json");
        std::fs::write(&not_json, "{").unwrap();

        let out = tilgang(&["migrate"], &url);
        assert!(out.status.success(), "{engine:?}: {}", text(&out.stderr));
        let all = tilgang::store::migrate::latest_version();
        assert!(
            text(&out.stdout).contains(&format!("{all} migration(s) applied")),
            "{}",
            text(&out.stdout)
        );
        let out = tilgang(&["migrate"], &url);
        assert!(
            text(&out.stdout).contains("0 migration(s) applied"),
            "migrate twice is harmless"
        );

        let out = tilgang(&["import", good.to_str().unwrap()], &url);
        assert!(out.status.success(), "{engine:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("imported 1 organisation(s), 1 person(s), 1 role(s)"),
            "{}",
            text(&out.stdout)
        );

        let out = tilgang(&["import", bad.to_str().unwrap()], &url);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("/organizations/1/orgNo") && stderr.contains("nothing was imported"),
            "{stderr}"
        );

        let out = tilgang(&["import", not_json.to_str().unwrap()], &url);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains("not valid JSON"));
        let out = tilgang(
            &["import", dir.join("missing.json").to_str().unwrap()],
            &url,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains("cannot read"));

        // Only the good document is stored.
        let store = tilgang::store::Store::connect(&url).await.unwrap();
        let counts = store.reference_counts().await.unwrap();
        assert_eq!(
            (counts.organizations, counts.persons, counts.roles),
            (1, 1, 1),
            "{engine:?}"
        );
        assert!(
            store
                .organization(&"313872076".parse().unwrap())
                .await
                .unwrap()
                .is_none()
        );
        store.close().await;
        if let Some(name) = db_name {
            drop_database(&name).await;
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn serve_answers_health_and_stops_gracefully_on_sigterm() {
    let (url, dir, _) = fresh_database(Engine::Sqlite).await;
    let port = free_port();
    let child = start_server(port, &url, &dir, &["--job-interval", "1s"]);
    let client = reqwest::Client::new();
    assert!(healthy(&client, port).await, "the server answers /health");

    // Regression (security review, item 3): the background jobs run in `serve`, each shown in
    // /metrics; a key added by another process (here `tilgang keys rotate`) is picked up.
    let base = format!("http://127.0.0.1:{port}");
    let jwks = |client: reqwest::Client, base: String| async move {
        let doc: serde_json::Value = client
            .get(format!("{base}/maskinporten/jwk"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        doc["keys"].as_array().map_or(0, Vec::len)
    };
    let keys_before = jwks(client.clone(), base.clone()).await;
    let out = tilgang(&["keys", "rotate", "--activate-after", "1s"], &url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut ran = false;
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        ran = [
            "purge_expired",
            "time_out_requests",
            "retry_mail",
            "reload_keys",
        ]
        .iter()
        .all(|job| {
            metrics.lines().any(|l| {
                l.starts_with(&format!("tilgang_job_runs_total{{job=\"{job}\"}}"))
                    && !l.ends_with(" 0")
            }) && metrics.contains(&format!("tilgang_job_failures_total{{job=\"{job}\"}} 0"))
        });
        if ran && jwks(client.clone(), base.clone()).await > keys_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ran, "every job ran without failing: {metrics}");
    assert!(
        jwks(client.clone(), base.clone()).await > keys_before,
        "the rotated key is published by the running server"
    );
    assert!(
        metrics.contains("tilgang_rejected_for_load_total{reason=\"password_queue\"} 0"),
        "{metrics}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "exit status after SIGTERM: {:?}",
        out.status
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("is running (local profile)") && stdout.contains("Demo identities"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

engine_tests! {
    async fn keys_rotate_publishes_first_and_switches_later(engine: Engine) {
        use tilgang::jose::Alg;
        use tilgang::services::keys::{IssuerName, Keys, rotate};
        let (url, dir, db_name) = fresh_database(engine).await;
        let out = tilgang(
            &[
                "keys",
                "rotate",
                "--activate-after",
                "10m",
                "--keep-old",
                "2h",
            ],
            &url,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("maskinporten")
                && stdout.contains("new key")
                && stdout.contains("retiring"),
            "{stdout}"
        );

        let store = tilgang::store::Store::connect(&url).await.unwrap();
        let clock = tilgang::clock::Clock::manual(time::OffsetDateTime::now_utc());
        let keys = Keys::load_or_create(&store, &clock, Alg::Rs256, &IssuerName::ALL)
            .await
            .unwrap();
        let before = keys.current(IssuerName::Platform).unwrap();
        assert_eq!(
            before.verifying_keys().len(),
            2,
            "the next key is published before it signs"
        );
        let old_kid = before.signing_key().kid().to_owned();

        clock.advance(std::time::Duration::from_secs(11 * 60));
        keys.reload_all(&store, &clock).await.unwrap();
        let after = keys.current(IssuerName::Platform).unwrap();
        assert_ne!(
            after.signing_key().kid(),
            old_kid,
            "the new key signs after activation"
        );
        assert_eq!(
            after.verifying_keys().len(),
            2,
            "the old key is still published"
        );

        clock.advance(std::time::Duration::from_secs(2 * 3600));
        keys.reload_all(&store, &clock).await.unwrap();
        assert_eq!(
            keys.current(IssuerName::Platform)
                .unwrap()
                .verifying_keys()
                .len(),
            1,
            "the old key is retired"
        );

        // A second rotation in-process works the same way.
        let rotations = rotate(
            &store,
            &clock,
            Alg::Es256,
            std::time::Duration::from_secs(0),
            std::time::Duration::from_secs(60),
            &IssuerName::ALL,
        )
        .await
        .unwrap();
        assert_eq!(rotations.len(), IssuerName::ALL.len());
        keys.reload_all(&store, &clock).await.unwrap();
        assert_eq!(
            keys.current(IssuerName::Maskinporten)
                .unwrap()
                .signing_key()
                .kid(),
            rotations[1].new_kid
        );
        assert_eq!(
            keys.current(IssuerName::Maskinporten)
                .unwrap()
                .signing_key()
                .alg(),
            Alg::Es256,
            "rotation can change the algorithm"
        );
        store.close().await;
        if let Some(name) = db_name {
            drop_database(&name).await;
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Issue 12, item 14: SIGTERM while a client has sent half its headers: the server lets
/// requests in flight finish for `--shutdown-grace`, then exits; the stalled client does not
/// keep it alive.
#[tokio::test]
async fn sigterm_with_a_stalled_client_stops_after_the_grace_period() {
    use tokio::io::AsyncWriteExt;
    let (url, dir, _) = fresh_database(Engine::Sqlite).await;
    let port = free_port();
    let mut child = start_server(
        port,
        &url,
        &dir,
        &["--shutdown-grace", "1s", "--header-read-timeout", "10m"],
    );
    assert!(healthy(&reqwest::Client::new(), port).await);
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    // A guard against hanging for ever, not a timing requirement.
    let mut exited = None;
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = exited else {
        let _ = child.kill();
        panic!("the server is still running 30 s after SIGTERM");
    };
    assert!(status.success(), "{status:?}");
    drop(stalled);
    let _ = std::fs::remove_dir_all(dir);
}

/// Issue 12, item 10 (in part): `tilgang import` applies the rules of the profile the database
/// belongs to, so a production database takes real national identity numbers without
/// `--profile production` on the command line (and a local one refuses them).
#[tokio::test]
async fn import_follows_the_profile_recorded_in_the_database() {
    let (url, dir, _) = fresh_database(Engine::Sqlite).await;
    let doc = dir.join("real.json");
    std::fs::write(
        &doc,
        r#"{"persons": [{"pid": "01018512366", "name": "Ekte Person"}]}"#,
    )
    .unwrap();
    let out = tilgang(&["import", doc.to_str().unwrap()], &url);
    assert!(
        !out.status.success(),
        "a local database takes synthetic numbers only"
    );
    assert!(
        text(&out.stderr).contains("synthetic"),
        "{}",
        text(&out.stderr)
    );

    let store = tilgang::store::Store::connect(&url).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tilgang::store::meta_set(&mut tx, "profile", "production")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let out = tilgang(&["import", doc.to_str().unwrap()], &url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 person(s)"),
        "{}",
        text(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `tilgang health` (for a container's or service manager's health check) asks the server on
/// the configured listen address: ready (the database answers) or, with --live, alive.
#[tokio::test]
async fn health_command_asks_the_running_server() {
    let (url, dir, _) = fresh_database(Engine::Sqlite).await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let closed = tilgang(&["health", "--listen", &listen], &url);
    assert_eq!(closed.status.code(), Some(1), "nobody listens yet");
    assert!(text(&closed.stderr).contains(&format!("http://{listen}/health/ready")));

    let mut child = start_server(port, &url, &dir, &[]);
    assert!(healthy(&reqwest::Client::new(), port).await);
    for args in [
        vec!["health", "--listen", &listen],
        vec!["health", "--live", "--listen", &listen],
    ] {
        let out = tilgang(&args, &url);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("200 OK"),
            "{}",
            text(&out.stdout)
        );
    }
    // Listening on every address: the check goes to loopback.
    let out = tilgang(&["health", "--listen", &format!("0.0.0.0:{port}")], &url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // config check reads the database it finds, without changing it.
    let out = tilgang(&["config", "check"], &url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "ok      database  SQLite; schema at version {}; set up by the local profile",
            tilgang::store::migrate::latest_version()
        )),
        "{stdout}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(dir).ok();
}
