//! The production profile logs people in through an OpenID provider that is not tilgang's own:
//! a small provider served by this test (discovery, JWKS, token endpoint with PKCE and client
//! authentication) whose issuer has no trailing slash, as the real ID-porten's
//! (`https://idporten.no`) has not (issue 12, item 1).

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{Engine, Options, TestServer, location, query_param, set_cookie};
use serde_json::{Value, json};
use tilgang::config::Profile;
use tilgang::jose::{RsaSigningKey, sign_compact};

const KARI: &str = "05827536549";

/// What the test provider remembers of an authorization it granted.
struct Granted {
    nonce: String,
    challenge: String,
}

struct Provider {
    issuer: String,
    /// The issuer its discovery document and ID tokens name (normally `issuer`).
    names: String,
    key: RsaSigningKey,
    codes: Mutex<HashMap<String, Granted>>,
    /// The level of assurance its ID tokens state (none: no `acr` claim).
    acr: Mutex<Option<String>>,
    /// Keys published besides `key` (a rotation).
    more_keys: Mutex<Vec<Value>>,
    /// An outage: discovery and keys answer 503.
    down: AtomicBool,
}

type Answer = Result<Json<Value>, axum::http::StatusCode>;

fn up(p: &Provider) -> Result<(), axum::http::StatusCode> {
    if p.down.load(Ordering::SeqCst) {
        Err(axum::http::StatusCode::SERVICE_UNAVAILABLE)
    } else {
        Ok(())
    }
}

async fn discovery(State(p): State<Arc<Provider>>) -> Answer {
    up(&p)?;
    Ok(Json(json!({
        "issuer": p.names,
        "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "jwks_uri": format!("{}/jwks", p.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })))
}

async fn jwks(State(p): State<Arc<Provider>>) -> Answer {
    up(&p)?;
    let mut keys = vec![p.key.public().jwk()];
    keys.extend(p.more_keys.lock().unwrap().iter().cloned());
    Ok(Json(json!({ "keys": keys })))
}

async fn token(
    State(p): State<Arc<Provider>>,
    Form(form): Form<HashMap<String, String>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let bad = |error: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": error})),
        )
    };
    if form.get("client_id").map(String::as_str) != Some("tilgang")
        || form.get("client_secret").map(String::as_str) != Some("secret")
    {
        return bad("invalid_client");
    }
    let Some(granted) = form
        .get("code")
        .and_then(|c| p.codes.lock().unwrap().remove(c))
    else {
        return bad("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if tilgang::secret::pkce_challenge(&verifier) != granted.challenge {
        return bad("invalid_grant");
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = json!({"iss": p.names, "aud": "tilgang", "sub": "pairwise-kari", "pid": KARI,
            "nonce": granted.nonce, "amr": ["TestID"], "iat": now, "exp": now + 120});
    if let Some(acr) = p.acr.lock().unwrap().clone() {
        claims["acr"] = json!(acr);
    }
    let id_token = sign_compact(&p.key, &claims).unwrap();
    (
        axum::http::StatusCode::OK,
        Json(
            json!({"access_token": "opaque", "token_type": "Bearer", "id_token": id_token, "expires_in": 120}),
        ),
    )
}

/// Starts the provider at `http://127.0.0.1:<port>`; with `slash` it claims to be that
/// address with a trailing `/` (a mismatch with what tilgang is configured with).
async fn provider(slash: bool) -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let p = Arc::new(Provider {
        names: if slash {
            format!("{issuer}/")
        } else {
            issuer.clone()
        },
        issuer,
        key: RsaSigningKey::generate("op-key".into()).unwrap(),
        codes: Mutex::new(HashMap::new()),
        acr: Mutex::new(Some("idporten-loa-substantial".into())),
        more_keys: Mutex::new(Vec::new()),
        down: AtomicBool::new(false),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    p
}

/// The provider and a production server that logs people in through it; `None` when
/// PostgreSQL (which the production profile needs) is unreachable outside CI.
async fn production_with_provider(slash: bool) -> Option<(Arc<Provider>, TestServer)> {
    if !common::engines().await.contains(&Engine::Postgres) {
        return None;
    }
    let p = provider(slash).await;
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            idporten_issuer: Some(p.issuer.clone()),
            ..Default::default()
        },
    )
    .await;
    Some((p, s))
}

/// Plays the person at the provider: reads tilgang's authorization request, grants a code.
fn grant(p: &Provider, authorize: &str) -> String {
    grant_for(p, authorize, "idporten")
}

/// [`grant`] for the relying party at `/auth/callback/{path}`.
fn grant_for(p: &Provider, authorize: &str, path: &str) -> String {
    assert!(
        authorize.starts_with(&format!("{}/authorize?", p.issuer)),
        "{authorize}"
    );
    let code = uuid::Uuid::new_v4().to_string();
    p.codes.lock().unwrap().insert(
        code.clone(),
        Granted {
            nonce: query_param(authorize, "nonce").unwrap(),
            challenge: query_param(authorize, "code_challenge").unwrap(),
        },
    );
    format!(
        "/auth/callback/{path}?code={code}&state={}",
        query_param(authorize, "state").unwrap()
    )
}

#[tokio::test]
async fn a_person_logs_in_through_an_issuer_without_a_trailing_slash() {
    let Some((p, s)) = production_with_provider(false).await else {
        return;
    };
    let b = &s.browser;
    let res = b
        .get(s.url("/auth/login/idporten?goto=/auth/session"))
        .send()
        .await
        .unwrap();
    let flow = set_cookie(&res, "__Host-tilgang_login").expect("a __Host- flow cookie over HTTPS");
    let header = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("__Host-tilgang_login="))
        .unwrap();
    assert!(
        header.contains("; Secure") && header.contains("Path=/;") && !header.contains("Domain"),
        "{header}"
    );
    let callback = grant(&p, &location(&res));
    let res = b
        .get(s.url(&callback))
        .header("cookie", &flow)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let session = set_cookie(&res, "tilgang_session");
    let body = res.text().await.unwrap();
    assert!(status.is_redirection(), "{status}: {body}");
    let session = session.expect("a session");
    let page = b
        .get(s.url("/auth/session"))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("058275*****"), "{page}");
    s.stop().await;
}

#[tokio::test]
async fn an_issuer_that_differs_by_a_slash_is_refused_naming_both() {
    // The provider claims "<its address>/" while tilgang is configured with "<its address>".
    let Some((p, s)) = production_with_provider(true).await else {
        return;
    };
    let res = s
        .browser
        .get(s.url("/auth/login/idporten"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&format!("&#39;{}/&#39;", p.issuer))
            || page.contains(&format!("'{}/'", p.issuer)),
        "the page names what the provider said: {page}"
    );
    assert!(
        page.contains(&format!("&#39;{}&#39;", p.issuer))
            || page.contains(&format!("'{}'", p.issuer)),
        "and what was configured: {page}"
    );
    s.stop().await;
}

/// Issue 12, item 5: in production the token exchange for end-user systems takes access
/// tokens of the configured ID-porten (not only of the embedded one), checked against its keys.
#[tokio::test]
async fn the_exchange_takes_access_tokens_of_the_configured_idporten() {
    let Some((p, s)) = production_with_provider(false).await else {
        return;
    };
    s.import_as_operator(&json!({"persons": [{"pid": KARI, "name": "Kari Fjellheim"}]}))
        .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let access = |iss: &str, key: &RsaSigningKey| {
        sign_compact(
            key,
            &json!({"iss": iss, "pid": KARI, "acr": "idporten-loa-high", "scope": "openid altinn:portal/enduser",
                    "client_id": "sluttbrukersystem", "token_type": "Bearer", "iat": now, "exp": now + 120}),
        )
        .unwrap()
    };
    let exchange = |token: String| {
        s.client
            .get(s.url("/authentication/api/v1/exchange/id-porten"))
            .bearer_auth(token)
            .send()
    };
    let res = exchange(access(&p.issuer, &p.key)).await.unwrap();
    assert_eq!(res.status(), 200);
    let claims = common::claims_of(&res.text().await.unwrap());
    assert_eq!(claims["pid"], KARI);
    assert_eq!(claims["urn:altinn:authlevel"], 4);

    // Another issuer, or a key the provider never published, is refused.
    let res = exchange(access("https://idporten.example", &p.key))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let rogue = RsaSigningKey::generate("op-key".into()).unwrap();
    let res = exchange(access(&p.issuer, &rogue)).await.unwrap();
    assert_eq!(res.status(), 401);

    // An ID token (issued to some relying party for its own log-in) is not an access token;
    // a log-in below the required level, or without a level, does not pass either.
    let signed = |claims: Value| sign_compact(&p.key, &claims).unwrap();
    let id_token = signed(
        json!({"iss": p.issuer, "aud": "another-rp", "sub": "x", "pid": KARI,
        "acr": "idporten-loa-high", "nonce": "n", "iat": now, "exp": now + 120}),
    );
    let weak = signed(
        json!({"iss": p.issuer, "pid": KARI, "acr": "idporten-loa-low", "scope": "openid",
        "client_id": "sluttbrukersystem", "iat": now, "exp": now + 120}),
    );
    let no_level = signed(json!({"iss": p.issuer, "pid": KARI, "scope": "openid",
        "client_id": "sluttbrukersystem", "iat": now, "exp": now + 120}));
    for (token, says) in [
        (id_token, "no 'client_id' claim"),
        (
            weak,
            "'idporten-loa-low', below the required idporten-loa-substantial",
        ),
        (no_level, "'none', below"),
    ] {
        let body = common::problem(exchange(token).await.unwrap(), 401).await;
        assert!(
            body["detail"].as_str().unwrap().contains(says),
            "{says}: {body}"
        );
    }
    s.stop().await;
}

/// Issue 12, item 4: the ID token's level of assurance is checked. A log-in at
/// `idporten-loa-low`, or without `acr`, is refused with a page that says why; the level asked
/// for is the configured minimum (substantial).
#[tokio::test]
async fn a_log_in_below_the_required_level_is_refused() {
    let Some((p, s)) = production_with_provider(false).await else {
        return;
    };
    for acr in [Some("idporten-loa-low"), None] {
        *p.acr.lock().unwrap() = acr.map(str::to_owned);
        let res = s
            .browser
            .get(s.url("/auth/login/idporten"))
            .send()
            .await
            .unwrap();
        let flow = set_cookie(&res, "__Host-tilgang_login").unwrap();
        let authorize = location(&res);
        assert_eq!(
            query_param(&authorize, "acr_values").as_deref(),
            Some("idporten-loa-substantial")
        );
        let res = s
            .browser
            .get(s.url(&grant(&p, &authorize)))
            .header("cookie", &flow)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{acr:?}");
        assert!(set_cookie(&res, "tilgang_session").is_none());
        let page = res.text().await.unwrap();
        assert!(page.contains("ikke sikker nok"), "{page}");
        assert!(page.contains(acr.unwrap_or("none")), "{page}");
    }
    s.stop().await;
}

/// Issue 12, item 8: a key published after the cached set was fetched is found on its first
/// use; while the provider is down, tokens with known keys still work and a token naming an
/// unknown key is a 503 with Retry-After (an outage, not bad credentials); when the provider
/// is back, the same token works without a restart.
#[tokio::test]
async fn a_rotated_key_works_at_once_and_an_outage_is_503_until_the_provider_is_back() {
    let Some((p, s)) = production_with_provider(false).await else {
        return;
    };
    s.import_as_operator(&json!({"persons": [{"pid": KARI, "name": "Kari Fjellheim"}]}))
        .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let access = |key: &RsaSigningKey| {
        sign_compact(
            key,
            &json!({"iss": p.issuer, "pid": KARI, "acr": "idporten-loa-high", "scope": "openid",
                    "client_id": "sluttbrukersystem", "iat": now, "exp": now + 120}),
        )
        .unwrap()
    };
    let exchange = |token: String| {
        s.client
            .get(s.url("/authentication/api/v1/exchange/id-porten"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(exchange(access(&p.key)).await.unwrap().status(), 200);

    // The provider rotates: the new key is used at once (the cached set lacks it). Fetches
    // for unknown keys are limited to one a second, and the set was fetched just now.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let rotated = RsaSigningKey::generate("op-key-2".into()).unwrap();
    p.more_keys.lock().unwrap().push(rotated.public().jwk());
    assert_eq!(exchange(access(&rotated)).await.unwrap().status(), 200);

    // A key replaced under the same key id: the failed signature fetches the set again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let replaced = RsaSigningKey::generate("op-key-2".into()).unwrap();
    *p.more_keys.lock().unwrap() = vec![replaced.public().jwk()];
    assert_eq!(exchange(access(&replaced)).await.unwrap().status(), 200);

    // Outage: known keys keep working from the cache.
    p.down.store(true, Ordering::SeqCst);
    assert_eq!(exchange(access(&replaced)).await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let next = RsaSigningKey::generate("op-key-3".into()).unwrap();
    let res = exchange(access(&next)).await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 503, "{body}");

    // Back, with the new key: accepted without a restart (after the 2 s failure back-off).
    p.more_keys.lock().unwrap().push(next.public().jwk());
    p.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(exchange(access(&next)).await.unwrap().status(), 200);
    s.stop().await;
}

/// A provider that is down when a person starts to log in: a page that says so, and the
/// log-in works once it is back, without a restart.
#[tokio::test]
async fn log_in_during_a_provider_outage_fails_with_a_page_and_recovers() {
    let Some((p, s)) = production_with_provider(false).await else {
        return;
    };
    p.down.store(true, Ordering::SeqCst);
    let res = s
        .browser
        .get(s.url("/auth/login/idporten"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("503"),
        "the page says what the provider answered: {page}"
    );
    p.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = s
        .browser
        .get(s.url("/auth/login/idporten"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(location(&res).starts_with(&format!("{}/authorize?", p.issuer)));
    s.stop().await;
}

/// Issue 12, item 9: `tilgang config check` tries each configured service and says what it
/// found — here a provider that accepts the client, one that refuses its secret, a Maskinporten
/// without metadata and an SMTP server that is not there — and exits 1 when one fails.
#[tokio::test(flavor = "multi_thread")]
async fn config_check_tries_each_service_and_says_what_it_found() {
    if !common::engines().await.contains(&Engine::Postgres) {
        return;
    }
    let p = provider(false).await;
    let (url, dir, db_name) = common::fresh_database(Engine::Postgres).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = p.issuer.clone();
    let db_url = url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tilgang"))
            .args(["config", "check"])
            .env_clear()
            .env("TILGANG_PROFILE", "production")
            .env("TILGANG_DATABASE_URL", &url)
            .env("TILGANG_PUBLIC_URL", "https://tilgang.example")
            .env("TILGANG_IDPORTEN_ISSUER", &issuer)
            .env("TILGANG_IDPORTEN_CLIENT_ID", "tilgang")
            .env("TILGANG_IDPORTEN_CLIENT_SECRET", "secret")
            .env("TILGANG_ANSATTPORTEN_ISSUER", &issuer)
            .env("TILGANG_ANSATTPORTEN_CLIENT_ID", "tilgang")
            .env("TILGANG_ANSATTPORTEN_CLIENT_SECRET", "not-the-secret")
            .env("TILGANG_MASKINPORTEN_ISSUER", &issuer)
            .env("TILGANG_MASKINPORTEN_JWKS_URL", format!("{issuer}/jwks"))
            .env("TILGANG_SMTP_HOST", "127.0.0.1")
            .env("TILGANG_SMTP_PORT", closed.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = |subject: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(2) == Some(subject))
            .unwrap_or_else(|| panic!("no line for {subject}: {stdout}"))
            .to_owned()
    };
    let db = line("database");
    assert!(
        db.contains("ok") && db.contains("PostgreSQL") && db.contains("empty"),
        "{db}"
    );
    let idporten = line("ID-porten");
    assert!(
        idporten.contains("ok")
            && idporten.contains(&format!("issuer {} matches", p.issuer))
            && idporten.contains("1 usable key(s)")
            && idporten.contains("client tilgang accepted"),
        "{idporten}"
    );
    let ansattporten = line("Ansattporten");
    assert!(
        ansattporten.contains("FAILED") && ansattporten.contains("invalid_client"),
        "{ansattporten}"
    );
    let maskinporten = line("Maskinporten");
    assert!(
        maskinporten.contains("warning") && maskinporten.contains("no metadata"),
        "{maskinporten}"
    );
    let smtp = line("SMTP");
    assert!(
        smtp.contains("FAILED") && smtp.contains("cannot reach"),
        "{smtp}"
    );
    assert!(stderr.contains("2 of the services failed"), "{stderr}");
    // Nothing was changed: the database is still empty.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db_url)
        .await
        .unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(tables, 0, "config check created tables");
    drop(conn);
    if let Some(name) = db_name {
        common::drop_database(&name).await;
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Issue 12, item 10: production serves no embedded Maskinporten, ID-porten or Ansattporten,
/// so it keeps no keys for them, trusts no token in the embedded Maskinporten's name, and its
/// start page links nothing that only the demo data has.
#[tokio::test]
async fn production_has_no_keys_or_links_for_what_it_does_not_serve() {
    let Some((_p, s)) = production_with_provider(false).await else {
        return;
    };
    let issuers: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT issuer FROM signing_key ORDER BY issuer")
            .fetch_all(s.app.store.pool())
            .await
            .unwrap();
    assert_eq!(issuers, ["platform", "studio"]);
    // A token naming the embedded Maskinporten as issuer is not trusted.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = RsaSigningKey::generate("any".into()).unwrap();
    let forged = sign_compact(
        &key,
        &json!({"iss": s.app.config.url("/maskinporten/"), "scope": "altinn:authentication/systemregister.write",
                "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:317219253"}, "exp": now + 60}),
    )
    .unwrap();
    let res = s
        .get_auth("/authentication/api/v1/systemregister/vendor", &forged)
        .await;
    let body = common::problem(res, 401).await;
    assert!(
        body["detail"].as_str().unwrap().contains("does not trust"),
        "{body}"
    );
    let home = s.get("/").await.text().await.unwrap();
    assert!(!home.contains("ske-krav-og-betalinger"), "{home}");
    assert!(!home.contains("/maskinporten/"), "{home}");
    s.stop().await;
}

/// The documented flow for vendors in production: a token from the real Maskinporten (here the
/// independent provider, with its own keys) is exchanged for a platform token for the
/// organisation; a token from another issuer or key is refused.
#[tokio::test]
async fn production_exchanges_tokens_of_the_configured_maskinporten() {
    if !common::engines().await.contains(&Engine::Postgres) {
        return;
    }
    let p = provider(false).await;
    let maskinporten = format!("{}/", p.issuer);
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            idporten_issuer: Some(p.issuer.clone()),
            external_maskinporten: Some((maskinporten.clone(), format!("{}/jwks", p.issuer))),
            ..Default::default()
        },
    )
    .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = |iss: &str, key: &RsaSigningKey| {
        sign_compact(
            key,
            &json!({"iss": iss, "scope": "altinn:authentication/systemregister.write", "client_id": "vendor-client",
                    "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:317219253"},
                    "token_type": "Bearer", "iat": now, "exp": now + 120}),
        )
        .unwrap()
    };
    let res = s
        .get_auth(
            "/authentication/api/v1/exchange/maskinporten",
            &token(&maskinporten, &p.key),
        )
        .await;
    assert_eq!(res.status(), 200);
    let claims = common::claims_of(&res.text().await.unwrap());
    assert_eq!(claims["urn:altinn:orgNumber"], "317219253");
    assert_eq!(
        claims["iss"],
        s.app.config.url("/authentication/api/v1/openid/")
    );
    for refused in [
        token("https://maskinporten.example/", &p.key),
        token(
            &maskinporten,
            &RsaSigningKey::generate("op-key".into()).unwrap(),
        ),
    ] {
        let res = s
            .get_auth("/authentication/api/v1/exchange/maskinporten", &refused)
            .await;
        assert_eq!(res.status(), 401);
    }
    s.stop().await;
}

/// Issue 12, item 12: the database goes away while a person is at the provider. The callback
/// is a 503 page that says the service is briefly unavailable, without database error text.
#[tokio::test]
async fn a_callback_during_a_database_outage_is_a_503_page() {
    let Some((p, s)) = production_with_provider(false).await else {
        return;
    };
    let res = s
        .browser
        .get(s.url("/auth/login/idporten"))
        .send()
        .await
        .unwrap();
    let flow = set_cookie(&res, "__Host-tilgang_login").unwrap();
    let callback = grant(&p, &location(&res));
    s.app.store.close().await;
    let res = s
        .browser
        .get(s.url(&callback))
        .header("cookie", &flow)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    let page = res.text().await.unwrap();
    assert!(page.contains("midlertidig utilgjengelig"), "{page}");
    assert!(
        !page.contains("database error") && !page.contains("pool"),
        "{page}"
    );
    s.stop().await;
}

/// Altinn Studio in production: "Logg inn med Ansattporten" goes to the configured
/// Ansattporten (at the required level), and a person it vouches for arrives at Studio's form
/// that links the eID to a new or existing account.
#[tokio::test]
async fn studio_logs_people_in_through_the_configured_ansattporten() {
    if !common::engines().await.contains(&Engine::Postgres) {
        return;
    }
    let p = provider(false).await;
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            ansattporten_issuer: Some(p.issuer.clone()),
            ..Default::default()
        },
    )
    .await;
    let b = &s.browser;
    let res = b
        .get(s.url("/studio/user/oauth2/ansattporten"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let flow = set_cookie(&res, "__Host-tilgang_login").expect("flow cookie");
    let authorize = location(&res);
    assert_eq!(
        query_param(&authorize, "acr_values").as_deref(),
        Some("idporten-loa-substantial")
    );
    assert_eq!(query_param(&authorize, "ui_locales").as_deref(), Some("nb"));
    // The person's language goes to the provider.
    let english = b
        .get(s.url("/studio/user/oauth2/ansattporten"))
        .header("cookie", "lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(
        query_param(&location(&english), "ui_locales").as_deref(),
        Some("en")
    );
    let res = b
        .get(s.url(&grant_for(&p, &authorize, "ansattporten")))
        .header("cookie", &flow)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let session = set_cookie(&res, "tilgang_session").expect("a session");
    let next = location(&res);
    assert!(
        next.starts_with("/studio/user/oauth2/ansattporten/callback"),
        "{next}"
    );
    let mut cookies = vec![session];
    let mut to = next;
    let res = loop {
        let res = b
            .get(s.url(&to))
            .header("cookie", cookies.join("; "))
            .send()
            .await
            .unwrap();
        // Keep every cookie the server sets (Studio's own session among them).
        for header in res.headers().get_all("set-cookie") {
            let pair = header
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            cookies.push(pair);
        }
        if !res.status().is_redirection() {
            break res;
        }
        to = location(&res);
        assert!(to.starts_with("/studio/"), "stays in Studio: {to}");
    };
    assert_eq!(res.status(), 200, "{to}");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("link_account_signup"),
        "the form that links the eID: {page}"
    );
    s.stop().await;
}
