//! The embedded ID-porten and Ansattporten, and tilgang's own log-in as their relying party,
//! spoken to over HTTP step by step.

use crate::common;

use common::{
    Engine, TestServer, claims_of, input_value, location, problem, query_param, set_cookie,
};
use serde_json::{Value, json};
use tilgang::jose::{RsaSigningKey, sign_compact};
use tilgang::secret;
use tilgang::store::oidc::OidcClient;

const KARI: &str = "05827536549";

async fn cookie_of(res: &reqwest::Response) -> String {
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tilgang_session="))
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

engine_tests! {
    async fn relying_party_log_in_and_out_through_idporten(engine: Engine) {
        let s = TestServer::start(engine).await;
        let b = &s.browser;
        let res = b
            .get(s.url("/auth/login/idporten?goto=/auth/session"))
            .send()
            .await
            .unwrap();
        let flow_header = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with("tilgang_login="))
            .expect("the flow cookie");
        assert!(
            flow_header.contains("HttpOnly")
                && flow_header.contains("SameSite=Lax")
                && flow_header.contains("Path=/;"),
            "{flow_header}"
        );
        let flow = set_cookie(&res, "tilgang_login").unwrap();
        let authorize = location(&res);
        assert!(
            authorize.starts_with(&s.url("/idporten/authorize?")),
            "{authorize}"
        );
        assert_eq!(
            query_param(&authorize, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert!(query_param(&authorize, "nonce").is_some());

        let page = b.get(&authorize).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Kari Fjellheim") && html.contains("Testinstans"),
            "demo persons on the log-in page"
        );
        let request_id = input_value(&html, "request_id").unwrap();

        // A real (non-synthetic) number is refused on the page, which is shown again.
        let res = b
            .post(s.url("/idporten/authorize/login"))
            .form(&[
                ("request_id", request_id.as_str()),
                ("pid_custom", "01018512366"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("syntetiske"));

        let res = b
            .post(s.url("/idporten/authorize/login"))
            .form(&[("request_id", request_id.as_str()), ("pid", KARI)])
            .send()
            .await
            .unwrap();
        let callback = location(&res);
        assert!(
            callback.starts_with(&s.url("/auth/callback/idporten?code=")),
            "{callback}"
        );
        assert_eq!(query_param(&callback, "iss"), Some(s.url("/idporten/")));

        // Login CSRF (security review, item 1): the callback URL opened in a browser that did
        // not start this log-in (no flow cookie, or another flow's) logs nobody in.
        let other = b.get(s.url("/auth/login/idporten")).send().await.unwrap();
        let other_flow = set_cookie(&other, "tilgang_login").unwrap();
        for cookie in [
            None,
            Some(other_flow.as_str()),
            Some("tilgang_login=forged.value"),
        ] {
            let mut req = b.get(&callback);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 400, "{cookie:?}");
            assert!(set_cookie(&res, "tilgang_session").is_none(), "{cookie:?}");
            let html = res.text().await.unwrap();
            assert!(html.contains("annen nettleser"), "{html}");
        }

        let res = b
            .get(&callback)
            .header("cookie", &flow)
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/auth/session");
        let cookie = cookie_of(&res).await;
        assert!(
            res.headers()
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().starts_with("tilgang_login=;")),
            "the flow cookie is cleared"
        );
        let html = b
            .get(s.url("/auth/session"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Kari Fjellheim") && html.contains("058275*****"),
            "{html}"
        );

        // The callback works once, even with the flow cookie kept.
        let again = b
            .get(&callback)
            .header("cookie", &flow)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400);
        assert!(again.text().await.unwrap().contains("utløpt"));

        // Log-out needs the form's CSRF token.
        let res = b
            .post(s.url("/auth/logout"))
            .header("cookie", &cookie)
            .form(&[("csrf", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let csrf = input_value(&html, "csrf").unwrap();
        let res = b
            .post(s.url("/auth/logout"))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let end_session = location(&res);
        assert!(
            end_session.starts_with(&s.url("/idporten/endsession?id_token_hint=")),
            "{end_session}"
        );
        assert!(
            res.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let res = b.get(&end_session).send().await.unwrap();
        assert_eq!(location(&res), s.url("/"));
        let html = b
            .get(s.url("/auth/session"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("ikke logget inn"), "the session is gone");

        // A refusal at the provider, an unknown state, an unknown provider.
        let res = b
            .get(s.url(
                "/auth/callback/idporten?error=access_denied&error_description=avbrutt&state=x",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("avbrutt"));
        assert_eq!(
            b.get(s.url("/auth/callback/idporten?code=x&state=unknown"))
                .send()
                .await
                .unwrap()
                .status(),
            400
        );
        assert_eq!(
            b.get(s.url("/auth/login/feide"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        // No open redirect after log-in.
        let res = b
            .get(s.url("/auth/login/ansattporten?goto=https://evil.example/"))
            .send()
            .await
            .unwrap();
        assert!(location(&res).starts_with(&s.url("/ansattporten/authorize?")));
        s.stop().await;
    }
}

struct TestClient {
    id: String,
    secret: String,
    redirect: String,
    key: RsaSigningKey,
}

async fn register_client(s: &TestServer, issuer: &str) -> TestClient {
    register_client_with(s, issuer, &secret::random_token()).await
}

async fn register_client_with(s: &TestServer, issuer: &str, client_secret: &str) -> TestClient {
    let key = RsaSigningKey::generate("client-key".into()).unwrap();
    let c = TestClient {
        id: format!("test-{}", uuid::Uuid::new_v4().simple()),
        secret: client_secret.to_owned(),
        redirect: "https://app.example/cb".into(),
        key,
    };
    s.app
        .store
        .upsert_oidc_client(
            &OidcClient {
                issuer: issuer.into(),
                client_id: c.id.clone(),
                client_name: "Testapp".into(),
                secret_hash: Some(secret::hash(&c.secret)),
                redirect_uris: vec![c.redirect.clone()],
                post_logout_redirect_uris: vec!["https://app.example/bye".into()],
                jwks: Some(json!({"keys": [c.key.public().jwk()]})),
                scopes: None,
            },
            0,
        )
        .await
        .unwrap();
    c
}

/// Runs authorize + log-in and returns the code.
async fn code_for(
    s: &TestServer,
    c: &TestClient,
    verifier: &str,
    extra: &[(&str, &str)],
) -> String {
    let challenge = secret::pkce_challenge(verifier);
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", c.redirect.as_str()),
        ("scope", "openid"),
        ("state", "st"),
        ("nonce", "n0nce"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    q.extend_from_slice(extra);
    let res = s
        .browser
        .get(s.url("/idporten/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = input_value(&res.text().await.unwrap(), "request_id").unwrap();
    let res = s
        .browser
        .post(s.url("/idporten/authorize/login"))
        .form(&[("request_id", request_id.as_str()), ("pid", KARI)])
        .send()
        .await
        .unwrap();
    let back = location(&res);
    assert!(back.starts_with("https://app.example/cb?code="), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
    query_param(&back, "code").unwrap()
}

async fn token(
    s: &TestServer,
    c: &TestClient,
    form: &[(&str, &str)],
    basic: bool,
) -> reqwest::Response {
    let mut req = s.client.post(s.url("/idporten/token")).form(form);
    if basic {
        req = req.basic_auth(&c.id, Some(&c.secret));
    }
    req.send().await.unwrap()
}

async fn oauth_refused(res: reqwest::Response, status: u16, error: &str) -> String {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    body["error_description"].as_str().unwrap().to_owned()
}

engine_tests! {
    /// Issue 16, items 1, 5, 6 and 8: what standard OAuth and OIDC libraries do.
    async fn standard_clients_details(engine: Engine) {
        let s = TestServer::start(engine).await;
        // 1. client_secret_basic form-urlencodes the id and secret (RFC 6749 §2.3.1).
        let c = register_client_with(&s, "idporten", "s+cr%t:with/odd=chars").await;
        let verifier = "v".repeat(43);
        let code = code_for(&s, &c, &verifier, &[]).await;
        let enc = tilgang::services::idp::percent_encode;
        let res = s
            .client
            .post(s.url("/idporten/token"))
            .basic_auth(enc(&c.id), Some(enc(&c.secret)))
            .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", c.redirect.as_str()), ("code_verifier", verifier.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let access = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();

        // 5. userinfo by POST, end_session by POST.
        let res = s.client.post(s.url("/idporten/userinfo")).bearer_auth(&access).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["pid"], KARI);
        let res = s.client.post(s.url("/idporten/endsession")).form(&[("post_logout_redirect_uri", "https://app.example/bye")]).send().await.unwrap();
        assert_eq!(res.status(), 200, "no hint: the provider's own page");

        // 6. 401 from token and userinfo carries WWW-Authenticate.
        let res = s.client.post(s.url("/idporten/token")).basic_auth(&c.id, Some("wrong")).form(&[("grant_type", "authorization_code"), ("code", "x")]).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_client\""));
        let res = s.client.post(s.url("/idporten/userinfo")).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer error=\"invalid_token\""));
        let res = s.client.post(s.url("/maskinporten/token")).form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", &unknown_client_assertion(&s))]).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key("www-authenticate"));
        let res = s.client.post(s.url("/studio/login/oauth/access_token")).basic_auth("nobody", Some("x")).form(&[("grant_type", "authorization_code"), ("code", "x")]).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key("www-authenticate"));

        // 8. RFC 8414 metadata at the path-suffixed URL too, with every required field.
        let suffixed: Value = s.get("/.well-known/oauth-authorization-server/maskinporten").await.json().await.unwrap();
        let plain: Value = s.get("/maskinporten/.well-known/oauth-authorization-server").await.json().await.unwrap();
        assert_eq!(suffixed, plain);
        for field in ["issuer", "token_endpoint", "jwks_uri", "response_types_supported", "grant_types_supported"] {
            assert!(!plain[field].is_null(), "{field}: {plain}");
        }
        s.stop().await;
    }
}

/// An assertion signed by a key no client has, naming a client that does not exist.
fn unknown_client_assertion(s: &TestServer) -> String {
    let key = RsaSigningKey::generate("nobody".into()).unwrap();
    let now = s.clock.now() / 1_000_000;
    let claims = json!({"iss": "no-such-client", "aud": s.url("/maskinporten/"), "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(), "scope": "x"});
    sign_compact(&key, &claims).unwrap()
}

engine_tests! {
    async fn provider_protocol_and_its_errors(engine: Engine) {
        let s = TestServer::start(engine).await;
        let c = register_client(&s, "idporten").await;
        let verifier = secret::random_token();

        let discovery: Value = s
            .get("/idporten/.well-known/openid-configuration")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], s.url("/idporten/"));
        assert_eq!(
            discovery["code_challenge_methods_supported"],
            json!(["S256"])
        );

        let code = code_for(&s, &c, &verifier, &[("acr_values", "idporten-loa-high")]).await;
        let form = |code: &str, verifier: &str| {
            vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code.to_owned()),
                ("redirect_uri", c.redirect.clone()),
                ("code_verifier", verifier.to_owned()),
            ]
        };
        let good = form(&code, &verifier);
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();

        let wrong_secret = s
            .client
            .post(s.url("/idporten/token"))
            .form(&good)
            .basic_auth(&c.id, Some("nope"))
            .send()
            .await
            .unwrap();
        oauth_refused(wrong_secret, 401, "invalid_client").await;
        let res = token(&s, &c, &good, true).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let id = claims_of(body["id_token"].as_str().unwrap());
        assert_eq!(id["iss"], s.url("/idporten/"));
        assert_eq!(id["aud"], c.id.as_str());
        assert_eq!(id["pid"], KARI);
        assert_eq!(id["nonce"], "n0nce");
        assert_eq!(id["acr"], "idporten-loa-high");
        assert!(id["auth_time"].is_i64() && id["sid"].is_string() && id["amr"].is_array());
        let access = body["access_token"].as_str().unwrap().to_owned();

        // Codes are single-use.
        let d = oauth_refused(token(&s, &c, &good, true).await, 400, "invalid_grant").await;
        assert!(d.contains("already used"), "{d}");

        // The subject is stable per person and client.
        let code2 = code_for(&s, &c, &verifier, &[]).await;
        let f2 = form(&code2, &verifier);
        let f2: Vec<(&str, &str)> = f2.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body2: Value = token(&s, &c, &f2, true).await.json().await.unwrap();
        assert_eq!(
            claims_of(body2["id_token"].as_str().unwrap())["sub"],
            id["sub"]
        );
        assert_eq!(
            claims_of(body2["id_token"].as_str().unwrap())["acr"],
            "idporten-loa-substantial"
        );

        // PKCE verifier and redirect URI must match; codes expire after 120 s.
        let code3 = code_for(&s, &c, &verifier, &[]).await;
        let f3 = form(&code3, "wrong-verifier-wrong-verifier-wrong-verifier");
        let f3: Vec<(&str, &str)> = f3.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(
            oauth_refused(token(&s, &c, &f3, true).await, 400, "invalid_grant")
                .await
                .contains("code_verifier")
        );
        let code4 = code_for(&s, &c, &verifier, &[]).await;
        let mut f4 = form(&code4, &verifier);
        f4[2].1 = "https://app.example/other".into();
        let f4: Vec<(&str, &str)> = f4.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(
            oauth_refused(token(&s, &c, &f4, true).await, 400, "invalid_grant")
                .await
                .contains("redirect_uri")
        );
        let code5 = code_for(&s, &c, &verifier, &[]).await;
        s.clock.advance(std::time::Duration::from_secs(121));
        let f5 = form(&code5, &verifier);
        let f5: Vec<(&str, &str)> = f5.iter().map(|(k, v)| (*k, v.as_str())).collect();
        oauth_refused(token(&s, &c, &f5, true).await, 400, "invalid_grant").await;

        // client_secret_post and private_key_jwt authenticate too.
        let code6 = code_for(&s, &c, &verifier, &[]).await;
        let mut f6 = form(&code6, &verifier);
        f6.push(("client_id", c.id.clone()));
        f6.push(("client_secret", c.secret.clone()));
        let f6: Vec<(&str, &str)> = f6.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(token(&s, &c, &f6, false).await.status(), 200);
        let now = s.clock.now() / 1_000_000;
        let assertion = sign_compact(&c.key, &json!({"iss": c.id, "sub": c.id, "aud": s.url("/idporten/"), "iat": now, "exp": now + 60, "jti": "a1"})).unwrap();
        let code7 = code_for(&s, &c, &verifier, &[]).await;
        let mut f7 = form(&code7, &verifier);
        f7.push((
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ));
        f7.push(("client_assertion", assertion.clone()));
        let f7: Vec<(&str, &str)> = f7.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(token(&s, &c, &f7, false).await.status(), 200);
        let code8 = code_for(&s, &c, &verifier, &[]).await;
        let mut f8 = form(&code8, &verifier);
        f8.push((
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ));
        f8.push(("client_assertion", assertion));
        let f8: Vec<(&str, &str)> = f8.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(
            oauth_refused(token(&s, &c, &f8, false).await, 401, "invalid_client")
                .await
                .contains("used before")
        );
        let no_auth: Vec<(&str, &str)> = vec![("grant_type", "authorization_code"), ("code", "x")];
        oauth_refused(token(&s, &c, &no_auth, false).await, 401, "invalid_client").await;
        oauth_refused(
            token(&s, &c, &[("grant_type", "password")], true).await,
            400,
            "unsupported_grant_type",
        )
        .await;

        // userinfo takes access tokens only.
        let info: Value = s
            .get_auth("/idporten/userinfo", &access)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(info["pid"], KARI);
        assert_eq!(info["sub"], id["sub"]);
        assert_eq!(
            s.get_auth("/idporten/userinfo", body["id_token"].as_str().unwrap())
                .await
                .status(),
            401
        );
        assert_eq!(s.get("/idporten/userinfo").await.status(), 401);

        // The ID-porten access token can be exchanged for a platform token.
        let res = s
            .get_auth("/authentication/api/v1/exchange/id-porten", &access)
            .await;
        assert_eq!(res.status(), 200);
        let platform = claims_of(&res.text().await.unwrap());
        assert_eq!(platform["pid"], KARI);
        assert_eq!(platform["iss"], s.url("/authentication/api/v1/openid/"));
        problem(
            s.get_auth(
                "/authentication/api/v1/exchange/id-porten",
                body["id_token"].as_str().unwrap(),
            )
            .await,
            401,
        )
        .await;

        // Authorization errors: shown when the client or redirect URI is wrong, redirected otherwise.
        let challenge = secret::pkce_challenge(&verifier);
        let base = vec![
            ("response_type", "code"),
            ("client_id", c.id.as_str()),
            ("redirect_uri", c.redirect.as_str()),
            ("scope", "openid"),
            ("state", "st"),
            ("code_challenge", challenge.as_str()),
        ];
        let with = |k: &'static str, v: &'static str| {
            let mut q = base.clone();
            q.retain(|(key, _)| *key != k);
            if !v.is_empty() {
                q.push((k, v));
            }
            q
        };
        for (q, status) in [
            (with("client_id", "unknown"), 400),
            (with("redirect_uri", "https://evil.example/"), 400),
            (with("redirect_uri", ""), 400),
        ] {
            assert_eq!(
                s.browser
                    .get(s.url("/idporten/authorize"))
                    .query(&q)
                    .send()
                    .await
                    .unwrap()
                    .status(),
                status
            );
        }
        for (q, error) in [
            (with("code_challenge", ""), "invalid_request"),
            (with("code_challenge_method", "plain"), "invalid_request"),
            (with("response_type", "token"), "unsupported_response_type"),
            (with("scope", "profile"), "invalid_scope"),
            (with("acr_values", "Level4"), "invalid_request"),
            (with("prompt", "none"), "login_required"),
        ] {
            let res = s
                .browser
                .get(s.url("/idporten/authorize"))
                .query(&q)
                .send()
                .await
                .unwrap();
            let back = location(&res);
            assert!(back.starts_with("https://app.example/cb?error="), "{back}");
            assert_eq!(
                query_param(&back, "error").as_deref(),
                Some(error),
                "{back}"
            );
            assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
            let issuer = s.url("/idporten/");
            assert_eq!(query_param(&back, "iss").map(|i| common::percent_decode(&i)).as_deref(), Some(issuer.as_str()), "RFC 9207 on errors too: {back}");
        }

        // PAR: the pushed request is used by reference.
        let mut pushed: Vec<(&str, &str)> = base.clone();
        pushed.push(("nonce", "par-nonce"));
        let res = s
            .client
            .post(s.url("/idporten/par"))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&pushed)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let par: Value = res.json().await.unwrap();
        let request_uri = par["request_uri"].as_str().unwrap();
        assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
        let res = s
            .browser
            .get(s.url("/idporten/authorize"))
            .query(&[("client_id", c.id.as_str()), ("request_uri", request_uri)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let again = s
            .browser
            .get(s.url("/idporten/authorize"))
            .query(&[("client_id", c.id.as_str()), ("request_uri", request_uri)])
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400, "a request_uri is used once");
        let mut bad: Vec<(&str, &str)> = base.clone();
        bad.retain(|(k, _)| *k != "redirect_uri");
        bad.push(("redirect_uri", "https://evil.example/"));
        let res = s
            .client
            .post(s.url("/idporten/par"))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&bad)
            .send()
            .await
            .unwrap();
        oauth_refused(res, 400, "invalid_request").await;
        let res = s
            .client
            .post(s.url("/idporten/par"))
            .form(&pushed)
            .send()
            .await
            .unwrap();
        oauth_refused(res, 401, "invalid_client").await;

        // End-session goes back only to a registered address.
        let hint = body2["id_token"].as_str().unwrap();
        let res = s
            .browser
            .get(s.url("/idporten/endsession"))
            .query(&[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", "https://app.example/bye"),
                ("state", "z"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "https://app.example/bye?state=z");
        let res = s
            .browser
            .get(s.url("/idporten/endsession"))
            .query(&[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "shown, not redirected");
        s.stop().await;
    }
}

engine_tests! {
    async fn the_cleanup_job_removes_expired_log_ins_and_keeps_live_ones(engine: Engine) {
        let s = TestServer::start(engine).await;
        let res = s
            .browser
            .get(s.url("/auth/login/idporten"))
            .send()
            .await
            .unwrap();
        let authorize = location(&res);
        let html = s
            .browser
            .get(&authorize)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let request_id = input_value(&html, "request_id").unwrap();
        tilgang::services::jobs::run_once(&s.app).await;
        assert!(
            s.app
                .pending_login(tilgang::services::idp::IDPORTEN, &request_id)
                .await
                .unwrap()
                .is_some(),
            "a live request stays"
        );
        s.clock.advance(std::time::Duration::from_secs(3600));
        tilgang::services::jobs::run_once(&s.app).await;
        assert!(
            s.app
                .pending_login(tilgang::services::idp::IDPORTEN, &request_id)
                .await
                .unwrap()
                .is_none()
        );
        let rows = s
            .app
            .store
            .purge_expired_logins(s.clock.now())
            .await
            .unwrap();
        assert_eq!(rows, 0, "the job left nothing expired behind");
        s.stop().await;
    }
}

async fn rows(s: &TestServer, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(s.app.store.pool())
        .await
        .unwrap()
}

engine_tests! {
    /// Regression (security review, item 7): every anonymous GET of a log-in start URL stored a
    /// row. The relying party's and Studio's flows now live sealed in the browser's cookie; the
    /// embedded providers keep at most a few pending log-ins per source address.
    async fn anonymous_log_in_starts_store_nothing_or_a_bounded_few(engine: Engine) {
        let s = TestServer::start(engine).await;
        let (flows, sessions) = (
            rows(&s, "login_flow").await,
            rows(&s, "studio_session").await,
        );
        for url in [
            "/auth/login/idporten",
            "/auth/login/ansattporten",
            "/studio/user/oauth2/ansattporten",
            "/studio/login",
        ] {
            for _ in 0..100 {
                let res = s.browser.get(s.url(url)).send().await.unwrap();
                assert!(res.status().is_redirection(), "{url}: {}", res.status());
            }
        }
        assert_eq!(rows(&s, "login_flow").await, flows);
        assert_eq!(rows(&s, "studio_session").await, sessions);

        // The embedded ID-porten's authorize: MAX_PENDING_PER_SOURCE, then a refusal that
        // goes back to the client as RFC 6749 `temporarily_unavailable`.
        let res = s
            .browser
            .get(s.url("/auth/login/idporten"))
            .send()
            .await
            .unwrap();
        let authorize = location(&res);
        let max = tilgang::services::idp::MAX_PENDING_PER_SOURCE;
        let before = rows(&s, "oidc_auth_request").await;
        let mut refused = None;
        for _ in 0..(max + 5) {
            let res = s.browser.get(&authorize).send().await.unwrap();
            if res.status().is_redirection() {
                refused = Some(location(&res));
                break;
            }
            assert_eq!(res.status(), 200);
        }
        let refused = refused.expect("a refusal after the limit");
        assert_eq!(
            query_param(&refused, "error").as_deref(),
            Some("temporarily_unavailable"),
            "{refused}"
        );
        assert!(rows(&s, "oidc_auth_request").await - before <= max);
        // When they expire, the source may start again.
        s.clock.advance(std::time::Duration::from_secs(3600));
        tilgang::services::jobs::run_once(&s.app).await;
        assert_eq!(
            s.browser.get(&authorize).send().await.unwrap().status(),
            200
        );
        s.stop().await;
    }
}

/// Exchanges `code` at the ID-porten token endpoint with client_secret_basic.
async fn redeem(s: &TestServer, c: &TestClient, code: &str, verifier: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", c.redirect.as_str()),
        ("code_verifier", verifier),
    ];
    token(s, c, &form, true).await
}

engine_tests! {
    /// Issue 16, item 9: a third party registers a relying party of the embedded ID-porten
    /// through the self-service API, as with Digdir's, and logs a person in with it.
    async fn a_relying_party_registered_through_the_self_service_api(engine: Engine) {
        let s = TestServer::start(engine).await;
        let dcr = s.enterprise_token("317219253", "idporten:dcr.write idporten:dcr.read").await;
        let other = s.enterprise_token("315034698", "idporten:dcr.write idporten:dcr.read").await;
        let count = |token: String| {
            let s = &s;
            async move {
                let list: Value = s.get_auth("/selvbetjening/api/v1/clients", &token).await.json().await.unwrap();
                list.as_array().unwrap().len()
            }
        };
        let good = json!({"client_name": "Timeføring", "description": "Logger inn ansatte",
            "integration_type": "idporten", "redirect_uris": ["https://app.example/cb"],
            "post_logout_redirect_uris": ["https://app.example/bye"]});
        let with = |k: &str, v: Value| {
            let mut b = good.clone();
            if v.is_null() { b.as_object_mut().unwrap().remove(k); } else { b[k] = v; }
            b
        };
        // Every bad field is refused by name and registers nothing.
        for (body, words) in [
            (with("integration_type", json!("krr")), "maskinporten, idporten or ansattporten"),
            (with("redirect_uris", Value::Null), "redirect_uris"),
            (with("redirect_uris", json!(["app.example/cb"])), "absolute http or https"),
            (with("redirect_uris", json!(["https://app.example/cb#x"])), "without a fragment"),
            (with("client_name", json!(" ")), "client_name"),
            (with("scopes", json!(["openid", "email"])), "'email' is not offered"),
            (with("scopes", json!(["profile"])), "must include openid"),
            (with("grant_types", json!(["authorization_code", "refresh_token"])), "grant_types"),
            (with("token_endpoint_auth_method", json!("none")), "is not offered"),
            (with("integration_type", json!("maskinporten")), "are for idporten and ansattporten"),
        ] {
            let res = s.post_json("/selvbetjening/api/v1/clients", &dcr, &body).await;
            let p = problem(res, 400).await;
            assert!(p["detail"].as_str().unwrap().contains(words), "{words}: {p}");
        }
        assert_eq!(count(dcr.clone()).await, 0);

        let res = s.post_json("/selvbetjening/api/v1/clients", &dcr, &good).await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["integration_type"], "idporten");
        assert_eq!(created["client_orgno"], "317219253");
        assert_eq!(created["scopes"], json!(["openid", "profile"]));
        assert_eq!(created["grant_types"], json!(["authorization_code"]));
        assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(created["redirect_uris"], json!(["https://app.example/cb"]));
        let id = created["client_id"].as_str().unwrap().to_owned();
        let secret_once = created["client_secret"].as_str().unwrap().to_owned();
        // The secret is shown once: not in the list, not in the read, and stored hashed.
        let read: Value = s.get_auth(&format!("/selvbetjening/api/v1/clients/{id}"), &dcr).await.json().await.unwrap();
        assert!(read.get("client_secret").is_none(), "{read}");
        assert_eq!(read["client_name"], "Timeføring");
        let stored = s.app.store.oidc_client("idporten", &id).await.unwrap().unwrap();
        assert_eq!(stored.secret_hash.as_deref(), Some(secret::hash(&secret_once).as_str()));
        assert_eq!(count(dcr.clone()).await, 1);
        // Another organisation sees nothing of it.
        assert_eq!(count(other.clone()).await, 0);
        problem(s.get_auth(&format!("/selvbetjening/api/v1/clients/{id}"), &other).await, 404).await;
        problem(s.delete_auth(&format!("/selvbetjening/api/v1/clients/{id}"), &other).await, 404).await;

        // The client logs Kari in.
        let c = TestClient { id: id.clone(), secret: secret_once.clone(), redirect: "https://app.example/cb".into(),
            key: RsaSigningKey::generate("unused".into()).unwrap() };
        let verifier = secret::random_token();
        let code = code_for(&s, &c, &verifier, &[]).await;
        let res = redeem(&s, &c, &code, &verifier).await;
        assert_eq!(res.status(), 200);
        let tokens: Value = res.json().await.unwrap();
        assert_eq!(claims_of(tokens["id_token"].as_str().unwrap())["aud"], id.as_str());

        // A new secret replaces the old one at once.
        let res = s.post_json(&format!("/selvbetjening/api/v1/clients/{id}/secret"), &dcr, &json!({})).await;
        assert_eq!(res.status(), 200);
        let rotated: Value = res.json().await.unwrap();
        let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, secret_once);
        let code = code_for(&s, &c, &verifier, &[]).await;
        oauth_refused(redeem(&s, &c, &code, &verifier).await, 401, "invalid_client").await;
        let c = TestClient { secret: new_secret, ..c };
        let code = code_for(&s, &c, &verifier, &[]).await;
        assert_eq!(redeem(&s, &c, &code, &verifier).await.status(), 200);
        // Keys are for private_key_jwt clients.
        let key = RsaSigningKey::generate("rp-key".into()).unwrap();
        let p = problem(s.post_json(&format!("/selvbetjening/api/v1/clients/{id}/jwks"), &dcr, &json!({"keys": [key.public().jwk()]})).await, 400).await;
        assert!(p["detail"].as_str().unwrap().contains("private_key_jwt"), "{p}");

        // A client registered for openid alone may not ask for profile.
        let narrow: Value = s.post_json("/selvbetjening/api/v1/clients", &dcr, &with("scopes", json!(["openid"]))).await.json().await.unwrap();
        let narrow_id = narrow["client_id"].as_str().unwrap();
        let res = s.browser.get(s.url("/idporten/authorize")).query(&[
            ("response_type", "code"), ("client_id", narrow_id), ("redirect_uri", "https://app.example/cb"),
            ("scope", "openid profile"), ("state", "st"),
            ("code_challenge", secret::pkce_challenge(&verifier).as_str()), ("code_challenge_method", "S256"),
        ]).send().await.unwrap();
        let back = location(&res);
        assert_eq!(query_param(&back, "error").as_deref(), Some("invalid_scope"), "{back}");

        // A private_key_jwt client gets no secret, takes keys, and signs its way in.
        let res = s.post_json("/selvbetjening/api/v1/clients", &dcr, &with("token_endpoint_auth_method", json!("private_key_jwt"))).await;
        let pk: Value = res.json().await.unwrap();
        assert!(pk.get("client_secret").is_none(), "{pk}");
        let pk_id = pk["client_id"].as_str().unwrap().to_owned();
        problem(s.post_json(&format!("/selvbetjening/api/v1/clients/{pk_id}/secret"), &dcr, &json!({})).await, 400).await;
        let res = s.post_json(&format!("/selvbetjening/api/v1/clients/{pk_id}/jwks"), &dcr, &json!({"keys": [key.public().jwk()]})).await;
        assert_eq!(res.status(), 201);
        let keys: Value = s.get_auth(&format!("/selvbetjening/api/v1/clients/{pk_id}/jwks"), &dcr).await.json().await.unwrap();
        assert_eq!(keys["keys"][0]["kid"], "rp-key");
        let c = TestClient { id: pk_id.clone(), secret: String::new(), redirect: "https://app.example/cb".into(), key };
        let code = code_for(&s, &c, &verifier, &[]).await;
        let now = s.clock.now() / 1_000_000;
        let assertion = sign_compact(&c.key, &json!({"iss": pk_id, "sub": pk_id, "aud": s.url("/idporten/"), "iat": now, "exp": now + 60, "jti": "rp-1"})).unwrap();
        let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", "https://app.example/cb"),
            ("code_verifier", verifier.as_str()),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", assertion.as_str())];
        assert_eq!(token(&s, &c, &form, false).await.status(), 200);

        // Deleted: it can log nobody in.
        let res = s.delete_auth(&format!("/selvbetjening/api/v1/clients/{id}"), &dcr).await;
        assert_eq!(res.status(), 204);
        assert_eq!(count(dcr.clone()).await, 2);
        let res = s.browser.get(s.url("/idporten/authorize")).query(&[("response_type", "code"), ("client_id", id.as_str()),
            ("redirect_uri", "https://app.example/cb"), ("scope", "openid")]).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("no client"));
        s.stop().await;
    }
}
