//! PostgreSQL over TLS (issue 12, item 2): against a server of the test's own that accepts only
//! TLS, with a certificate for `localhost` from a CA made for the test.

use crate::common;

use common::tls_postgres::TlsPostgres;
use common::{Engine, Options, TestServer};
use tilgang::config::Profile;
use tilgang::store::Store;

/// Whether the store's connection is encrypted, as the server sees it.
async fn encrypted(store: &Store) -> bool {
    let row: (bool,) = sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(store.pool())
        .await
        .expect("pg_stat_ssl");
    row.0
}

#[tokio::test]
async fn production_runs_on_postgresql_with_verify_full_and_the_ca_file() {
    let Some(pg) = TlsPostgres::start() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("tilgang-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            database: Some((pg.url("localhost", "verify-full"), dir, None)),
            database_ca_file: Some(pg.ca.clone()),
            ..Default::default()
        },
    )
    .await;
    let health: serde_json::Value = s.get("/health").await.json().await.unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert!(encrypted(&s.app.store).await);
    s.stop().await;
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let Some(pg) = TlsPostgres::start() else {
        return;
    };
    let url = pg.url("localhost", "verify-full");
    let err = Store::connect_trusting(&url, Some(&pg.other_ca))
        .await
        .err()
        .expect("an unknown CA must not be trusted")
        .to_string();
    assert!(err.contains("UnknownIssuer"), "{err}");
    // Without any CA file only the public CAs are trusted.
    let err = Store::connect(&url)
        .await
        .err()
        .expect("untrusted")
        .to_string();
    assert!(err.contains("UnknownIssuer"), "{err}");
}

#[tokio::test]
async fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let Some(pg) = TlsPostgres::start() else {
        return;
    };
    // The certificate names localhost, not 127.0.0.1.
    let err = Store::connect_trusting(&pg.url("127.0.0.1", "verify-full"), Some(&pg.ca))
        .await
        .err()
        .expect("the name must match")
        .to_string();
    assert!(err.contains("not valid for name"), "{err}");
    let store = Store::connect_trusting(&pg.url("127.0.0.1", "verify-ca"), Some(&pg.ca))
        .await
        .expect("verify-ca checks the issuer only");
    assert!(encrypted(&store).await);
    store.close().await;
}

/// Issue 12, item 12: the PostgreSQL server goes down (connections refused). Once the
/// server has noticed, pages and the API answer 503 with Retry-After at once, instead of each
/// waiting for the pool's 10 s; liveness still answers. When PostgreSQL is back the same
/// session works again, without a restart.
#[tokio::test]
async fn a_stopped_database_is_503_at_once_and_the_server_recovers_by_itself() {
    let Some(pg) = TlsPostgres::start() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("tilgang-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            database: Some((pg.url("localhost", "verify-full"), dir, None)),
            database_ca_file: Some(pg.ca.clone()),
            ..Default::default()
        },
    )
    .await;
    let cookie = s.login_as("05827536549").await;
    let page = || {
        s.browser
            .get(s.url("/auth/session"))
            .header("cookie", cookie.clone())
            .header("accept", "text/html")
            .send()
    };
    assert_eq!(page().await.unwrap().status(), 200);

    pg.stop();
    let mut noticed = false;
    for _ in 0..60 {
        if s.get("/health").await.status() == 503 {
            noticed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(noticed, "the server did not notice the outage");
    let started = std::time::Instant::now();
    let res = page().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("midlertidig utilgjengelig")
    );
    let token = s
        .app
        .enterprise_token(
            &"317219253".parse().unwrap(),
            "altinn:authentication/systemregister.write",
            60,
            None,
        )
        .unwrap();
    let res = s
        .get_auth("/authentication/api/v1/systemregister/vendor", &token)
        .await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(s.get("/health/live").await.status(), 200);
    eprintln!("two answers during the outage took {:?}", started.elapsed());

    pg.start_server().expect("PostgreSQL starts again");
    let mut back = false;
    for _ in 0..60 {
        if page().await.unwrap().status() == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(back, "the session did not work again after the outage");
    assert_eq!(s.get("/health").await.status(), 200);
    s.stop().await;
}

/// Before TLS was built in, `prefer` silently used plain text and `require` failed.
#[tokio::test]
async fn prefer_and_require_now_negotiate_tls() {
    let Some(pg) = TlsPostgres::start() else {
        return;
    };
    for mode in ["prefer", "require"] {
        let store = Store::connect(&pg.url("localhost", mode))
            .await
            .unwrap_or_else(|e| panic!("sslmode={mode}: {e}"));
        assert!(encrypted(&store).await, "sslmode={mode}");
        store.close().await;
    }
    // The server takes no plain text: a plain-text client gets the server's refusal.
    let err = Store::connect(&pg.url("localhost", "disable"))
        .await
        .err()
        .expect("plain text refused by the server")
        .to_string();
    assert!(err.contains("no encryption"), "{err}");
}
