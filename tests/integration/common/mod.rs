//! Test harness: starts the real server on a free port, on SQLite and on PostgreSQL, and talks
//! HTTP to it.
//!
//! PostgreSQL is reached at `TILGANG_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each server gets a database of its own,
//! dropped when the test stops it. A test written once for both engines is an `engine_tests!`
//! (`<name>_sqlite`, `<name>_postgres`). When PostgreSQL is unreachable the PostgreSQL tests
//! are skipped with a warning, except under `CI=true`, where they fail.
#![allow(dead_code)]

pub mod browser;
pub mod certs;
pub mod contract;
pub mod oidc_provider;
pub mod studio;
pub mod tls_postgres;
pub mod tls_proxy;

use std::path::PathBuf;
use std::time::Duration;

use sqlx::Connection;
use tilgang::clock::Clock;
use tilgang::config::{Config, Overrides, Profile};
use tilgang::services::App;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub fn admin_url() -> String {
    std::env::var("TILGANG_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Why PostgreSQL at [`admin_url`] does not answer, or `None` when it does. Asked afresh by
/// every test that needs it.
async fn postgres_unreachable() -> Option<String> {
    let reachable = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::PgConnection::connect(&admin_url()),
    )
    .await;
    match reachable {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            None
        }
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("timed out".into()),
    }
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The engines to run a test on (for the tests that compare or combine engines, and the
/// PostgreSQL-only ones; a test that runs the same on each engine is an [`engine_tests!`]).
pub async fn engines() -> Vec<Engine> {
    match postgres_unreachable().await {
        None => vec![Engine::Sqlite, Engine::Postgres],
        Some(why) => {
            if in_ci() {
                panic!(
                    "PostgreSQL at {} is unreachable ({why}); CI must test both engines",
                    admin_url()
                );
            }
            eprintln!(
                "WARNING: PostgreSQL at {} is unreachable ({why}); testing SQLite only",
                admin_url()
            );
            vec![Engine::Sqlite]
        }
    }
}

/// Whether the PostgreSQL half of an [`engine_tests!`] test runs: `true` when PostgreSQL
/// answers. When it does not, the test fails under `CI=true` and is otherwise skipped with a
/// warning, as [`engines`] does.
pub async fn postgres_available() -> bool {
    match postgres_unreachable().await {
        None => true,
        Some(why) => {
            if in_ci() {
                panic!(
                    "PostgreSQL at {} is unreachable ({why}); CI must test both engines",
                    admin_url()
                );
            }
            eprintln!(
                "WARNING: PostgreSQL at {} is unreachable ({why}); skipping the PostgreSQL test",
                admin_url()
            );
            false
        }
    }
}

/// Tests written once for both engines: each `async fn name(engine: Engine)` becomes the
/// tests `name_sqlite` and `name_postgres`, so that a failure names its engine and each engine
/// runs on its own. The PostgreSQL test first checks that PostgreSQL answers
/// ([`postgres_available`]: a failure under `CI=true`, otherwise a skip with a warning).
///
/// ```ignore
/// engine_tests! {
///     /// What the test shows (attributes go on the function).
///     async fn health_answers(engine: Engine) {
///         let s = TestServer::start(engine).await;
///         …
///     }
/// }
/// ```
///
/// rustfmt leaves the inside of a `name! { … }` alone; to have a test formatted, write the
/// function outside and name it: `engine_tests!(health_answers);` above
/// `async fn health_answers(engine: Engine) { … }`.
macro_rules! engine_tests {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($engine:ident: $engine_type:ty) $body:block
    )+) => {
        $(
            $(#[$meta])*
            async fn $name($engine: $engine_type) $body

            engine_tests!($name);
        )+
    };
    ($($name:ident),+ $(,)?) => {
        $(
            ::pastey::paste! {
                #[tokio::test]
                async fn [<$name _sqlite>]() {
                    $name($crate::common::Engine::Sqlite).await;
                }

                #[tokio::test]
                async fn [<$name _postgres>]() {
                    if $crate::common::postgres_available().await {
                        $name($crate::common::Engine::Postgres).await;
                    }
                }
            }
        )+
    };
}

/// A fresh, empty database for `engine`; returns its URL and the scratch directory.
pub async fn fresh_database(engine: Engine) -> (String, PathBuf, Option<String>) {
    let dir = std::env::temp_dir().join(format!("tilgang-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    match engine {
        Engine::Sqlite => (format!("sqlite://{}/tilgang.db", dir.display()), dir, None),
        Engine::Postgres => {
            let name = format!("tilgang_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin_url())
                .await
                .expect("PostgreSQL");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let base = admin_url();
            let url = match base.rsplit_once('/') {
                Some((prefix, _)) => format!("{prefix}/{name}"),
                None => panic!("TILGANG_TEST_POSTGRES_URL must end in a database name"),
            };
            (url, dir, Some(name))
        }
    }
}

pub async fn drop_database(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        let _ = conn.close().await;
    }
}

pub struct TestServer {
    pub engine: Engine,
    pub base: String,
    pub client: reqwest::Client,
    /// A client that does not follow redirects (to walk log-in flows step by step).
    pub browser: reqwest::Client,
    pub app: App,
    pub clock: Clock,
    pub database_url: String,
    dir: PathBuf,
    db_name: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The data outlive the server (a restart on the same database).
    keep_data: bool,
}

pub struct Options {
    pub profile: Profile,
    pub database: Option<(String, PathBuf, Option<String>)>,
    pub signing_alg: Option<tilgang::jose::Alg>,
    /// (issuer, JWKS URL) of an external Maskinporten to trust.
    pub external_maskinporten: Option<(String, String)>,
    /// Deliver mail through SMTP (no TLS) to this port on 127.0.0.1.
    pub smtp_port: Option<u16>,
    pub header_read_timeout: Option<Duration>,
    pub max_connections_per_client: Option<usize>,
    pub decision_max_requests: Option<usize>,
    pub decision_audit_rate: Option<String>,
    /// Production profile: the ID-porten to log people in with (client `tilgang`, secret
    /// `secret`) instead of an unreachable placeholder.
    pub idporten_issuer: Option<String>,
    /// Production profile: the Ansattporten to log people in with (client `tilgang`, secret
    /// `secret`) instead of an unreachable placeholder.
    pub ansattporten_issuer: Option<String>,
    /// The CA for a PostgreSQL server's certificate (`database-ca-file`).
    pub database_ca_file: Option<PathBuf>,
    /// The public URL (e.g. of a TLS proxy in front) instead of one made up from the port.
    pub public_url: Option<String>,
    /// The `aud` tokens of the external Maskinporten must carry.
    pub maskinporten_audience: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profile: Profile::Local,
            database: None,
            signing_alg: None,
            external_maskinporten: None,
            smtp_port: None,
            header_read_timeout: None,
            max_connections_per_client: None,
            decision_max_requests: None,
            decision_audit_rate: None,
            idporten_issuer: None,
            ansattporten_issuer: None,
            database_ca_file: None,
            public_url: None,
            maskinporten_audience: None,
        }
    }
}

impl TestServer {
    pub async fn start(engine: Engine) -> Self {
        Self::start_with(engine, Options::default()).await
    }

    pub async fn start_with(engine: Engine, options: Options) -> Self {
        let (database_url, dir, db_name) = match options.database {
            Some(db) => db,
            None => fresh_database(engine).await,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let public_url = match (&options.public_url, options.profile) {
            (Some(url), _) => url.clone(),
            (None, Profile::Local) => format!("http://{addr}"),
            (None, Profile::Production) => format!("https://tilgang.test.invalid:{}", addr.port()),
        };
        let mut overrides = Overrides {
            listen: Some(addr),
            data_dir: Some(dir.clone()),
            database_url: Some(database_url.clone()),
            database_ca_file: options.database_ca_file.clone(),
            public_url: Some(public_url),
            profile: Some(options.profile),
            signing_alg: options.signing_alg,
            maskinporten_issuer: options
                .external_maskinporten
                .as_ref()
                .map(|(i, _)| i.clone()),
            maskinporten_jwks_url: options
                .external_maskinporten
                .as_ref()
                .map(|(_, j)| j.clone()),
            maskinporten_audience: options.maskinporten_audience.clone(),
            header_read_timeout: options.header_read_timeout,
            max_connections_per_client: options.max_connections_per_client,
            decision_max_requests: options.decision_max_requests,
            decision_audit_rate: options.decision_audit_rate.clone(),
            ..Default::default()
        };
        if let Some(port) = options.smtp_port {
            overrides.smtp_host = Some("127.0.0.1".into());
            overrides.smtp_port = Some(port);
            overrides.smtp_security = Some(tilgang::config::SmtpSecurity::None);
        }
        if options.profile == Profile::Production {
            overrides.smtp_host = Some("smtp.test.invalid".into());
            overrides.idporten_issuer = Some(
                options
                    .idporten_issuer
                    .clone()
                    .unwrap_or_else(|| "https://test.idporten.no".into()),
            );
            overrides.idporten_client_id = Some("tilgang".into());
            overrides.idporten_client_secret = Some("secret".into());
            overrides.ansattporten_issuer = Some(
                options
                    .ansattporten_issuer
                    .clone()
                    .unwrap_or_else(|| "https://test.ansattporten.no".into()),
            );
            overrides.ansattporten_client_id = Some("tilgang".into());
            overrides.ansattporten_client_secret = Some("secret".into());
            if options.external_maskinporten.is_none() {
                overrides.maskinporten_issuer = Some("https://test.maskinporten.no/".into());
                overrides.maskinporten_jwks_url = Some("https://test.maskinporten.no/jwk".into());
            }
        }
        let config = Config::resolve(&overrides).expect("test configuration");
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let app = App::start(config, clock.clone())
            .await
            .expect("server starts");
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(tilgang::http::serve(app.clone(), listener, async {
            let _ = rx.await;
        }));
        Self {
            engine,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            browser: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            app,
            clock,
            database_url,
            dir,
            db_name,
            shutdown: Some(tx),
            handle: Some(handle),
            keep_data: false,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Imports reference data as an operator does in production (real identity numbers too).
    pub async fn import_as_operator(&self, doc: &serde_json::Value) {
        self.app
            .import_reference_data(
                doc,
                tilgang::domain::import::ImportPolicy {
                    synthetic_pids_only: false,
                },
                tilgang::services::import::ImportActor {
                    actor: "test",
                    trace_id: None,
                },
            )
            .await
            .expect("import");
    }

    /// A platform token for `org_no` with `scopes`, from the test token generator.
    pub async fn enterprise_token(&self, org_no: &str, scopes: &str) -> String {
        let res = self
            .client
            .get(self.url("/api/GetEnterpriseToken"))
            .query(&[("orgNo", org_no), ("scopes", scopes)])
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "token generator");
        res.text().await.expect("token")
    }

    /// Stops the server and keeps the database (for a restart on the same data).
    pub async fn stop_keep_data(mut self) -> (String, PathBuf, Option<String>) {
        self.shutdown_server().await;
        self.keep_data = true;
        (
            self.database_url.clone(),
            self.dir.clone(),
            self.db_name.take(),
        )
    }

    /// Stops the server and removes its database.
    pub async fn stop(mut self) {
        self.shutdown_server().await;
        if let Some(name) = self.db_name.take() {
            drop_database(&name).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    async fn shutdown_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        self.app.store.close().await;
    }
}

/// A test that fails (or forgets `stop`) still stops its server and drops its database and
/// scratch directory, so failed runs leave no `tilgang_test_*` databases behind.
impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
        }
        if self.keep_data {
            return;
        }
        if let Some(name) = self.db_name.take() {
            // Drop runs inside the test's runtime: drop the database from a thread of its own.
            let dropped = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_database(&name));
                }
            });
            let _ = dropped.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts that a response is a ProblemDetails with `status`, and returns its body.
/// `method path` with `token` as the bearer.
pub async fn send(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> reqwest::Response {
    s.client
        .request(method, s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// The JSON body of a response with `status` (the body is in the message when it has not).
pub async fn json_of(res: reqwest::Response, status: u16) -> serde_json::Value {
    let got = res.status().as_u16();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).expect("JSON")
}

pub async fn problem(res: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["traceId"]
            .as_str()
            .is_some_and(|t| t.starts_with("00-")),
        "{body}"
    );
    body
}

/// The claims of a JWT, without checking anything.
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The `Location` header of a redirect.
/// The `name=value` pair of the cookie `name` that a response sets.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub fn location(res: &reqwest::Response) -> String {
    assert!(
        res.status().is_redirection(),
        "expected a redirect, got {}",
        res.status()
    );
    res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// A query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

pub fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of the first `name="…" value="…"` input in an HTML page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

impl TestServer {
    /// Logs a person in through the embedded ID-porten, step by step, and returns the session
    /// cookie (`tilgang_session=…`).
    pub async fn login_as(&self, pid: &str) -> String {
        let b = &self.browser;
        let res = b
            .get(self.url("/auth/login/idporten"))
            .send()
            .await
            .expect("login");
        let flow = set_cookie(&res, "tilgang_login").expect("the flow cookie");
        let authorize = location(&res);
        let html = b
            .get(&authorize)
            .send()
            .await
            .expect("authorize")
            .text()
            .await
            .expect("page");
        let request_id = input_value(&html, "request_id").expect("request_id on the log-in page");
        let res = b
            .post(self.url("/idporten/authorize/login"))
            .form(&[("request_id", request_id.as_str()), ("pid", pid)])
            .send()
            .await
            .expect("log in");
        let callback = location(&res);
        let res = b
            .get(&callback)
            .header("cookie", flow)
            .send()
            .await
            .expect("callback");
        set_cookie(&res, "tilgang_session").expect("the session cookie")
    }
}
