//! Altinn Studio accounts end to end over HTTP, on SQLite and PostgreSQL: sign-up through the
//! embedded Ansattporten with every form rule, the activation mail delivered over real SMTP to
//! a listener, activation (once), consent and the OAuth2 provider's error cases, the
//! dashboard, organisations and teams through pages and the Gitea API, organisation requests.

use crate::common;

use std::time::Duration;

use common::studio::{SmtpSink, Visitor, activation_link};
use common::{Engine, Options, TestServer, input_value, location};
use serde_json::{Value, json};

const KARI: &str = "05827536549";
const ANDERS: &str = "28878205660";
const CAMILLA: &str = "25908741695";
const MARIT: &str = "14836835388";
pub(crate) const PASSWORD: &str = "Sterkt-Passord1";

pub(crate) async fn server_with_smtp(engine: common::Engine) -> (TestServer, SmtpSink) {
    let sink = SmtpSink::start(0).await;
    let server = TestServer::start_with(
        engine,
        Options {
            smtp_port: Some(sink.port),
            ..Default::default()
        },
    )
    .await;
    (server, sink)
}

/// Signs a person up and activates the account; returns the visitor (signed in to the account).
pub(crate) async fn new_user<'a>(
    server: &'a TestServer,
    sink: &SmtpSink,
    pid: &str,
    name: &str,
    email: &str,
) -> Visitor<'a> {
    let mut v = Visitor::new(server);
    let before = sink.mails.lock().expect("lock").len();
    let (url, _, page) = v.ansattporten(pid).await;
    assert!(url.ends_with("/studio/user/link_account"), "{url}");
    let (_, status, page) = v.sign_up(&page, name, email, PASSWORD, PASSWORD).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Aktiver kontoen din"), "{page}");
    let mails = sink.wait_for(before + 1).await;
    let link = activation_link(&mails[before].body);
    let (_, _, page) = v.open(&link).await;
    assert!(page.contains("Kontoen er aktivert"), "{page}");
    v
}

/// Authorises Altinn Studio (consent if asked) and returns the dashboard page.
pub(crate) async fn open_studio(v: &mut Visitor<'_>) -> String {
    let (url, _, page) = v.open("/studio/login").await;
    if url.contains("/studio/login/oauth/authorize") {
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let field = |n: &str| input_value(&page, n).unwrap_or_default();
        let res = v
            .post(
                "/studio/login/oauth/grant",
                &[
                    ("_csrf", &csrf),
                    ("client_id", &field("client_id")),
                    ("state", &field("state")),
                    ("scope", &field("scope")),
                    ("nonce", &field("nonce")),
                    ("redirect_uri", &field("redirect_uri")),
                    ("granted", "true"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        let (url, _, page) = v.follow(res).await;
        assert!(url.ends_with("/studio/dashboard"), "{url}");
        return page;
    }
    assert!(url.ends_with("/studio/dashboard"), "{url}: {page}");
    page
}

engine_tests! {
    async fn sign_up_activate_consent_and_dashboard(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut v = Visitor::new(&server);

        let (_, status, start) = v.open("/studio/").await;
        assert_eq!(status, 200);
        assert!(start.contains("Logg inn") && start.contains("Opprett ny bruker"));
        let (_, _, signup) = v.open("/studio/user/sign_up").await;
        assert!(signup.contains("Ansattporten"));
        assert_eq!(
            server
                .browser
                .post(server.url("/studio/user/sign_up"))
                .send()
                .await
                .expect("post")
                .status(),
            403
        );
        // Without an eID identity the form is not there.
        let res = server
            .browser
            .get(server.url("/studio/user/link_account"))
            .send()
            .await
            .expect("get");
        assert_eq!(location(&res), "/studio/user/login");

        let (url, _, mut page) = v.ansattporten(KARI).await;
        assert!(url.ends_with("/studio/user/link_account"), "{url}");
        assert!(
            page.contains("Registrer ny konto") && page.contains("Koble til eksisterende konto")
        );

        // Every rule of the form, in order, with the values kept and the password never echoed.
        let long_name = "a".repeat(41);
        let cases: Vec<(&str, &str, &str, &str, &str)> = vec![
            (
                "",
                "kari@example.no",
                PASSWORD,
                PASSWORD,
                "Feltet kan ikke være tomt.",
            ),
            (
                &long_name,
                "kari@example.no",
                PASSWORD,
                PASSWORD,
                "Kan ikke være lenger enn 40 tegn.",
            ),
            ("kari", "", PASSWORD, PASSWORD, "Feltet kan ikke være tomt."),
            (
                "kari",
                "kari@example.no",
                "",
                "",
                "Feltet kan ikke være tomt.",
            ),
            (
                "kari",
                "kari@example.no",
                PASSWORD,
                "Annet-Passord1",
                "Passordene er ikke like.",
            ),
            (
                "kari",
                "kari@example.no",
                "Ab1!",
                "Ab1!",
                "Passordet må ha minst 8 tegn.",
            ),
            (
                "kari",
                "kari@example.no",
                "abcdefgh",
                "abcdefgh",
                "Passordet må inneholde minst én stor bokstav, ett tall, ett spesialtegn.",
            ),
            (
                "-kari",
                "kari@example.no",
                PASSWORD,
                PASSWORD,
                "Brukernavnet kan bare inneholde",
            ),
            (
                "kari..b",
                "kari@example.no",
                PASSWORD,
                PASSWORD,
                "Brukernavnet kan bare inneholde",
            ),
            (
                "api",
                "kari@example.no",
                PASSWORD,
                PASSWORD,
                "Brukernavnet er reservert.",
            ),
            (
                "kari.png",
                "kari@example.no",
                PASSWORD,
                PASSWORD,
                "Brukernavnet kan ikke slutte på .keys",
            ),
            (
                "kari",
                "ikke-en-adresse",
                PASSWORD,
                PASSWORD,
                "E-postadressen er ikke gyldig.",
            ),
        ];
        for (user, email, pw, retype, expected) in cases {
            let (_, status, next) = v.sign_up(&page, user, email, pw, retype).await;
            assert_eq!(status, 200, "{user}");
            assert!(
                next.contains(expected),
                "{user}/{email}: expected {expected:?}"
            );
            assert!(
                next.contains("aria-invalid=\"true\""),
                "the field is marked"
            );
            if !user.is_empty() {
                assert!(
                    next.contains(&format!("value=\"{user}\"")),
                    "the user name is kept"
                );
            }
            assert!(
                !next.contains(&format!("value=\"{PASSWORD}\"")),
                "the password is not echoed"
            );
            page = next;
        }
        // An empty form: every field at once, each by its field, in an error summary that
        // takes focus, and a title that says so first.
        let (_, status, next) = v.sign_up(&page, "", "", "", "").await;
        assert_eq!(status, 200);
        assert!(next.contains("<title>Feil: Registrer konto"), "{next}");
        let summary = next.split("id=\"error-summary\"").nth(1).expect("an error summary").split("</div>").next().unwrap_or_default();
        for field in ["user_name", "email", "password", "retype"] {
            assert!(summary.contains(&format!("href=\"#{field}\">Feltet kan ikke være tomt.</a>")), "{field}: {summary}");
            assert!(next.contains(&format!("id=\"{field}\" name=\"{field}\"")), "{field}");
        }
        assert!(next.contains("autofocus"), "the summary takes focus");
        assert_eq!(next.matches("aria-invalid=\"true\"").count(), 4, "every field is marked");
        page = next;

        // A wrong or reused captcha: said at the captcha, not at the user name.
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let answer = common::studio::solve_captcha(&page);
        let form = |captcha: &str| {
            vec![
                ("_csrf", csrf.clone()),
                ("user_name", "kari".to_owned()),
                ("email", "kari@example.no".to_owned()),
                ("password", PASSWORD.to_owned()),
                ("retype", "x".to_owned()),
                ("captcha", captcha.to_owned()),
            ]
        };
        let res = server
            .browser
            .post(server.url("/studio/user/link_account_signup"))
            .header("cookie", v.jar.header())
            .form(&form("bm90IGFuIGFuc3dlcg=="))
            .send()
            .await
            .expect("post");
        let wrong = res.text().await.expect("body");
        assert!(wrong.contains("id=\"captcha-error\">Kontrollen av at du er et menneske er ikke bestått"), "{wrong}");
        assert!(wrong.contains("href=\"#captcha-field\">"), "{wrong}");
        assert!(!wrong.contains("aria-describedby=\"user_name-error\""), "not at the user name");
        let res = server
            .browser
            .post(server.url("/studio/user/link_account_signup"))
            .header("cookie", v.jar.header())
            .form(&form(&answer))
            .send()
            .await
            .expect("post");
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Passordene er ikke like"),
            "the answer counted once"
        );
        let res = server
            .browser
            .post(server.url("/studio/user/link_account_signup"))
            .header("cookie", v.jar.header())
            .form(&form(&answer))
            .send()
            .await
            .expect("post");
        let page2 = res.text().await.expect("body");
        assert!(
            page2.contains("id=\"captcha-error\""),
            "a used answer is refused"
        );
        // A form without the session's CSRF token changes nothing.
        let res = server
            .browser
            .post(server.url("/studio/user/link_account_signup"))
            .header("cookie", v.jar.header())
            .form(&[("_csrf", "forged"), ("user_name", "kari")])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 403);

        // In English.
        v.get("/lang/en").await;
        let (_, _, en) = v.open("/studio/user/link_account").await;
        let (_, _, en) = v
            .sign_up(&en, "kari", "kari@example.no", "abcdefgh1", "abcdefgh1")
            .await;
        assert!(
            en.contains(
                "The password must contain at least one uppercase letter, one special character."
            ),
            "{en}"
        );
        v.get("/lang/nb").await;

        // Success: inactive account, mail over SMTP.
        let (_, _, fresh) = v.open("/studio/user/link_account").await;
        let (_, status, prompt) = v
            .sign_up(&fresh, "Kari", "Kari@Example.no", PASSWORD, PASSWORD)
            .await;
        assert_eq!(status, 200);
        assert!(
            prompt.contains("En bekreftelse er sendt til kari@example.no")
                && prompt.contains("3 timer"),
            "{prompt}"
        );
        // The prompt's own forms carry the new session's token.
        let csrf = input_value(&prompt, "_csrf").expect("csrf on the prompt");
        let res = v
            .post(
                "/studio/user/activate",
                &[("_csrf", &csrf), ("action", "resend")],
            )
            .await;
        // Post/redirect/get: the answer to the form is the activation page by GET.
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/studio/user/activate?notice=limited");
        let (_, _, page) = v.follow(res).await;
        assert!(page.contains("Vent 3 minutter"), "{page}");
        let mails = sink.wait_for(1).await;
        assert_eq!(mails[0].to, "kari@example.no");
        assert_eq!(mails[0].from, "studio@altinn.no");
        assert!(mails[0].headers.contains("Subject: "));
        let link = activation_link(&mails[0].body);
        assert!(link.starts_with(&server.base), "{link}");
        // The HTML alternative has the same link, as a link.
        assert!(
            mails[0].html.contains(&format!("<a href=\"{link}\">")),
            "{}",
            mails[0].html
        );
        let mut status = String::new();
        for _ in 0..100 {
            status = server.app.store.mails(10).await.expect("outbox")[0]
                .status
                .clone();
            if status == "sent" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, "sent", "the outbox records the delivery");

        // While inactive: the API refuses, authorising Studio shows the activation page.
        let basic = server
            .client
            .get(server.url("/studio/api/v1/user"))
            .basic_auth("kari", Some(PASSWORD))
            .send()
            .await
            .expect("api");
        assert_eq!(basic.status(), 403);
        assert_eq!(
            basic.json::<Value>().await.expect("json")["message"],
            "This account is not activated."
        );
        let (_, _, held) = v.open("/studio/login").await;
        assert!(held.contains("Aktiver kontoen din"), "{held}");

        // Names and addresses are unique, case-insensitively, across users and organisations.
        let mut other = Visitor::new(&server);
        let (_, _, p) = other.ansattporten(ANDERS).await;
        let (_, _, p) = other
            .sign_up(&p, "KARI", "anders@example.no", PASSWORD, PASSWORD)
            .await;
        assert!(p.contains("Brukernavnet er allerede tatt."));
        let (_, _, p) = other
            .sign_up(&p, "anders", "KARI@example.no", PASSWORD, PASSWORD)
            .await;
        assert!(p.contains("E-postadressen er allerede i bruk."));

        // Activation works once; unknown and tampered codes get the same page.
        let (_, status, done) = v.open(&link).await;
        assert_eq!(status, 200);
        assert!(done.contains("Kontoen er aktivert"), "{done}");
        for bad in [
            link.clone(),
            format!("{link}00"),
            server.url("/studio/user/activate?code=123"),
        ] {
            let (_, status, again) = v.open(&bad).await;
            assert_eq!(status, 200);
            assert!(
                again.contains("Bekreftelseskoden er ugyldig eller utløpt"),
                "{bad}"
            );
        }

        // Consent: cancel first, then authorise; the dashboard is empty.
        let (url, _, consent) = v.open("/studio/login").await;
        assert!(url.contains("/studio/login/oauth/authorize"), "{url}");
        assert!(consent.contains("Vil du gi «Altinn Studio» tilgang til kontoen din"));
        let csrf = input_value(&consent, "_csrf").expect("csrf");
        let f = |n: &str| input_value(&consent, n).unwrap_or_default();
        let bad_state = v
            .post(
                "/studio/login/oauth/grant",
                &[
                    ("_csrf", &csrf),
                    ("client_id", &f("client_id")),
                    ("state", "other"),
                    ("redirect_uri", &f("redirect_uri")),
                    ("granted", "true"),
                ],
            )
            .await;
        assert_eq!(bad_state.status(), 400);
        let (url, _, consent) = v.open("/studio/login").await;
        assert!(url.contains("authorize"));
        let csrf = input_value(&consent, "_csrf").expect("csrf");
        let f = |n: &str| input_value(&consent, n).unwrap_or_default();
        let res = v
            .post(
                "/studio/login/oauth/grant",
                &[
                    ("_csrf", &csrf),
                    ("client_id", &f("client_id")),
                    ("state", &f("state")),
                    ("redirect_uri", &f("redirect_uri")),
                    ("granted", "false"),
                ],
            )
            .await;
        assert!(location(&res).contains("error=access_denied"));
        let (_, status, denied) = v.follow(res).await;
        assert_eq!(status, 403);
        assert!(denied.contains("Du må gi Altinn Studio tilgang"));
        let dashboard = open_studio(&mut v).await;
        assert!(
            dashboard.contains("Du har ingen applikasjoner ennå"),
            "{dashboard}"
        );
        assert!(dashboard.contains("Du er ikke medlem av noen organisasjon ennå"));
        // Consent is asked once: the next log-in goes straight through.
        let forged = v.post("/studio/logout", &[("_csrf", "forged")]).await;
        assert_eq!(forged.status(), 403, "log-out needs the form");
        let (_, _, confirm) = v.open("/studio/logout").await;
        let csrf = input_value(&confirm, "_csrf").expect("csrf");
        let res = v.post("/studio/logout", &[("_csrf", &csrf)]).await;
        assert_eq!(location(&res), "/studio/");
        let (url, _, _) = v.open("/studio/login").await;
        assert!(
            url.contains("/studio/user/login"),
            "log-out ends the account session: {url}"
        );
        let (url, _, _) = v.ansattporten(KARI).await;
        assert!(url.ends_with("/studio/dashboard"), "{url}");
        let (url, _, _) = v.open("/studio/").await;
        assert!(
            url.ends_with("/studio/dashboard"),
            "a signed-in user goes to the dashboard"
        );
        let dashboard = open_studio(&mut v).await;

        // Creating an application.
        let csrf = input_value(&dashboard, "_csrf").expect("csrf");
        let res = v
            .post(
                "/studio/dashboard/apps",
                &[
                    ("_csrf", &csrf),
                    ("owner", "Kari"),
                    ("name", "min-forste-app"),
                ],
            )
            .await;
        assert_eq!(location(&res), "/studio/dashboard");
        let (_, _, dashboard) = v.open("/studio/dashboard").await;
        assert!(dashboard.contains("min-forste-app"));
        let res = v
            .post(
                "/studio/dashboard/apps",
                &[
                    ("_csrf", &csrf),
                    ("owner", "Kari"),
                    ("name", "min-forste-app"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.expect("body").contains("finnes allerede"));
        let res = v
            .post(
                "/studio/dashboard/apps",
                &[
                    ("_csrf", &csrf),
                    ("owner", "Kari"),
                    ("name", "med mellomrom"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        let res = v
            .post(
                "/studio/dashboard/apps",
                &[("_csrf", &csrf), ("owner", "ukjent-org"), ("name", "app")],
            )
            .await;
        assert_eq!(res.status(), 400);

        // Revoking consent in the account settings ends the application's session.
        let (_, _, apps) = v.open("/studio/user/settings/applications").await;
        assert!(apps.contains("Altinn Studio"));
        let csrf = input_value(&apps, "_csrf").expect("csrf");
        let id = input_value(&apps, "id").expect("grant id");
        let res = v
            .post(
                "/studio/user/settings/applications/revoke",
                &[("_csrf", &csrf), ("id", &id)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let (_, _, apps) = v.open("/studio/user/settings/applications").await;
        assert!(apps.contains("Ingen applikasjoner har tilgang"));
        let audit = server
            .client
            .get(server.url("/admin/api/v1/audit?limit=5"))
            .bearer_auth(server.enterprise_token("315177340", "tilgang:admin").await)
            .send()
            .await
            .expect("audit")
            .text()
            .await
            .expect("body");
        assert!(
            audit.contains("studio.oauth.grant_revoked") && audit.contains(&format!("studio-grant:{id}")),
            "the revocation is audited: {audit}"
        );
        let (url, _, _) = v.open("/studio/dashboard").await;
        assert!(
            url.contains("/studio/login/oauth/authorize"),
            "consent is asked again: {url}"
        );
        server.stop().await;
    }
}

engine_tests! {
    async fn the_oauth_provider_checks_every_request(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut v = new_user(&server, &sink, KARI, "kari", "kari@example.no").await;
        let (client_id, secret) = server.app.studio_designer_client();
        let redirect = server.url("/studio/signin-oidc");

        let discovery: Value = server
            .client
            .get(server.url("/studio/.well-known/openid-configuration"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(discovery["issuer"], server.url("/studio/"));
        let jwks: Value = server
            .client
            .get(discovery["jwks_uri"].as_str().expect("jwks"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert!(!jwks["keys"].as_array().expect("keys").is_empty());

        let authorize = |q: &[(&str, &str)]| {
            let mut url = server.url("/studio/login/oauth/authorize?");
            for (k, val) in q {
                url.push_str(&format!("{k}={}&", urlencode(val)));
            }
            url
        };
        // Error pages without redirect.
        let res = v.get(&authorize(&[("client_id", &client_id)])).await;
        assert_eq!(res.status(), 400);
        let res = v
            .get(&authorize(&[
                ("client_id", "nope"),
                ("response_type", "code"),
                ("redirect_uri", &redirect),
            ]))
            .await;
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Client ID not registered")
        );
        let res = v
            .get(&authorize(&[
                ("client_id", &client_id),
                ("response_type", "code"),
                ("redirect_uri", "https://evil.example/cb"),
            ]))
            .await;
        assert_eq!(res.status(), 400);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Unregistered Redirect URI")
        );
        // Errors sent back to the client.
        let res = v
            .get(&authorize(&[
                ("client_id", &client_id),
                ("response_type", "token"),
                ("redirect_uri", &redirect),
                ("state", "s1"),
            ]))
            .await;
        assert!(
            location(&res).contains("error=unsupported_response_type")
                && location(&res).contains("state=s1")
        );
        let res = v
            .get(&authorize(&[
                ("client_id", &client_id),
                ("response_type", "code"),
                ("redirect_uri", &redirect),
                ("code_challenge", "abc"),
                ("code_challenge_method", "S512"),
            ]))
            .await;
        assert!(location(&res).contains("error=invalid_request"));

        // A full code flow with PKCE over HTTP, as another client would do it.
        let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
        let challenge = tilgang::secret::pkce_challenge(verifier);
        let flow = |state: &'static str| {
            authorize(&[
                ("client_id", &client_id),
                ("response_type", "code"),
                ("redirect_uri", &redirect),
                ("scope", "openid profile"),
                ("state", state),
                ("nonce", "n-1"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
        };
        let (_, _, consent) = v.open(&flow("s2")).await;
        let csrf = input_value(&consent, "_csrf").expect("consent page");
        let res = v
            .post(
                "/studio/login/oauth/grant",
                &[
                    ("_csrf", &csrf),
                    ("client_id", &client_id),
                    ("state", "s2"),
                    ("redirect_uri", &redirect),
                    ("granted", "true"),
                ],
            )
            .await;
        let back = location(&res);
        assert!(
            back.starts_with(&redirect) && back.contains("state=s2"),
            "{back}"
        );
        let code = common::query_param(&back, "code").expect("code");
        let token = |form: Vec<(&'static str, String)>| {
            let c = server.client.clone();
            let url = server.url("/studio/login/oauth/access_token");
            async move { c.post(url).form(&form).send().await.expect("token") }
        };
        let base = |code: &str, verifier: &str, secret: &str| {
            vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code.to_owned()),
                ("redirect_uri", redirect.clone()),
                ("code_verifier", verifier.to_owned()),
                ("client_id", client_id.clone()),
                ("client_secret", secret.to_owned()),
            ]
        };
        let res = token(base(&code, verifier, "wrong")).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.json::<Value>().await.expect("json")["error"],
            "invalid_client"
        );
        let res = token(base(
            &code,
            "another-verifier-0123456789-0123456789-0123",
            &secret,
        ))
        .await;
        assert_eq!(
            res.json::<Value>().await.expect("json")["error"],
            "invalid_grant"
        );
        // The code was spent by the failed attempt: a new one (no consent page this time).
        // More scopes than consented to: the question again, for them (issue 16, item 3).
        let more = authorize(&[
            ("client_id", &client_id),
            ("response_type", "code"),
            ("redirect_uri", &redirect),
            ("scope", "openid profile email"),
            ("state", "s-more"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let res = v.get(&more).await;
        assert_eq!(res.status(), 200, "the consent page, not a redirect");
        let consent = res.text().await.expect("page");
        let csrf = input_value(&consent, "_csrf").expect("consent page");
        let res = v
            .post(
                "/studio/login/oauth/grant",
                &[("_csrf", &csrf), ("client_id", &client_id), ("state", "s-more"), ("redirect_uri", &redirect), ("granted", "true")],
            )
            .await;
        assert!(location(&res).contains("code="), "{}", location(&res));
        let res = v.get(&more).await;
        assert!(location(&res).contains("code="), "now remembered with the new scope");
        let res = v.get(&flow("s3")).await;
        let code = common::query_param(&location(&res), "code").expect("consent is remembered");
        let mut missing = base(&code, verifier, &secret);
        missing.retain(|(k, _)| *k != "grant_type");
        assert_eq!(
            token(missing).await.json::<Value>().await.expect("json")["error"],
            "invalid_request"
        );
        let res = token(base(&code, verifier, &secret)).await;
        assert_eq!(res.status(), 200);
        let tokens: Value = res.json().await.expect("json");
        assert_eq!(tokens["token_type"], "bearer");
        let id = common::claims_of(tokens["id_token"].as_str().expect("id token"));
        assert_eq!(id["preferred_username"], "kari");
        assert_eq!(id["nonce"], "n-1");
        assert_eq!(id["aud"], client_id.as_str());
        let reuse = token(base(&code, verifier, &secret)).await;
        assert_eq!(
            reuse.json::<Value>().await.expect("json")["error"],
            "invalid_grant"
        );
        let replayed_refresh = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        let form = |r: &str| {
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", r.to_owned()),
                ("client_id", client_id.clone()),
                ("client_secret", secret.clone()),
            ]
        };
        assert_eq!(
            token(form(&replayed_refresh))
                .await
                .json::<Value>()
                .await
                .expect("json")["error"],
            "invalid_grant",
            "a replayed code revokes the refresh tokens it gave"
        );
        let res = v.get(&flow("s4")).await;
        let code = common::query_param(&location(&res), "code").expect("code");
        let tokens: Value = token(base(&code, verifier, &secret))
            .await
            .json()
            .await
            .expect("json");
        let access = tokens["access_token"].as_str().expect("access").to_owned();

        let info: Value = server
            .client
            .get(server.url("/studio/login/oauth/userinfo"))
            .bearer_auth(&access)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(info["preferred_username"], "kari");
        assert_eq!(info["email"], "kari@example.no");
        let res = server
            .client
            .get(server.url("/studio/login/oauth/userinfo"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 401);
        let me: Value = server
            .client
            .get(server.url("/studio/api/v1/user"))
            .bearer_auth(&access)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(me["login"], "kari");
        // Gitea's own scheme, as its SDKs send it; the version they ask for first; her orgs.
        let me: Value = server
            .client
            .get(server.url("/studio/api/v1/user"))
            .header("authorization", format!("token {access}"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(me["login"], "kari", "Authorization: token <t>");
        let version: Value = server.client.get(server.url("/studio/api/v1/version")).send().await.expect("get").json().await.expect("json");
        assert!(version["version"].as_str().expect("version").starts_with("1."), "{version}");
        let res = server.client.get(server.url("/studio/api/v1/users/kari/orgs")).bearer_auth(&access).send().await.expect("get");
        assert_eq!(res.status(), 200);
        assert!(res.json::<Value>().await.expect("json").is_array());
        let res = server
            .client
            .get(server.url("/studio/api/v1/user"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"Altinn Studio\"");
        let res = server
            .client
            .get(server.url("/studio/api/v1/user"))
            .basic_auth("kari", Some("wrong"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 401);

        // Refresh tokens rotate.
        let refresh = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        let res = token(form(&refresh)).await;
        assert_eq!(res.status(), 200);
        let rotated = res.json::<Value>().await.expect("json")["refresh_token"]
            .as_str()
            .expect("a new refresh token")
            .to_owned();
        // Regression (security review, item 11): presenting the used token again revokes
        // the whole family, so the token it was rotated into stops working too; audited.
        let reused = token(form(&refresh))
            .await
            .json::<Value>()
            .await
            .expect("json");
        assert_eq!(reused["error"], "invalid_grant");
        assert!(
            reused["error_description"]
                .as_str()
                .expect("description")
                .contains("used before"),
            "{reused}"
        );
        assert_eq!(
            token(form(&rotated))
                .await
                .json::<Value>()
                .await
                .expect("json")["error"],
            "invalid_grant",
            "the rotated token went with its family"
        );
        let audit = server
            .client
            .get(server.url("/admin/api/v1/audit?limit=5"))
            .bearer_auth(server.enterprise_token("315177340", "tilgang:admin").await)
            .send()
            .await
            .expect("audit")
            .text()
            .await
            .expect("body");
        assert!(audit.contains("studio.oauth.refresh_reused"), "{audit}");
        let res = token(vec![
            ("grant_type", "password".to_owned()),
            ("client_id", client_id.clone()),
            ("client_secret", secret.clone()),
        ])
        .await;
        assert_eq!(
            res.json::<Value>().await.expect("json")["error"],
            "unsupported_grant_type"
        );

        // Revoked consent ends the tokens.
        let user = server
            .app
            .store
            .studio_account_by_name("kari")
            .await
            .expect("db")
            .expect("kari");
        let grants = server
            .app
            .store
            .oauth_grants_of(user.id)
            .await
            .expect("grants");
        for g in grants {
            server
                .app
                .store
                .delete_oauth_grant(user.id, g.id)
                .await
                .expect("revoke");
        }
        let res = server
            .client
            .get(server.url("/studio/api/v1/user"))
            .bearer_auth(&access)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 401);
        server.stop().await;
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

engine_tests! {
    /// Issue 16, item 19: a team created through the Gitea API keeps its units, as Gitea does.
    async fn teams_keep_their_units(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let _kari = new_user(&server, &sink, KARI, "kari", "kari@example.no").await;
        let operator = server.enterprise_token("315177340", "tilgang:admin").await;
        let res = server.post_json("/studio/api/v1/admin/users/kari/orgs", &operator, &json!({"username": "fjellbekk", "full_name": "Fjellbekk Bakeri AS"})).await;
        assert_eq!(res.status(), 201);
        let create = |body: Value| {
            let c = server.client.clone();
            let url = server.url("/studio/api/v1/orgs/fjellbekk/teams");
            async move { c.post(url).basic_auth("kari", Some(PASSWORD)).json(&body).send().await.expect("post") }
        };
        let res = create(json!({"name": "Kode", "permission": "write", "can_create_org_repo": true,
            "units_map": {"repo.code": "write", "repo.issues": "read"}})).await;
        assert_eq!(res.status(), 201);
        let team: Value = res.json().await.expect("json");
        assert_eq!(team["units"], json!(["repo.code", "repo.issues"]), "{team}");
        assert_eq!((&team["units_map"]["repo.code"], &team["units_map"]["repo.wiki"]), (&json!("write"), &json!("none")));
        assert_eq!(team["can_create_org_repo"], true);
        let res = create(json!({"name": "Les", "permission": "read", "units": ["repo.code"]})).await;
        let team: Value = res.json().await.expect("json");
        assert_eq!(team["units_map"]["repo.code"], "read");
        assert_eq!(team["units"], json!(["repo.code"]));
        let listed: Value = server.client.get(server.url("/studio/api/v1/orgs/fjellbekk/teams")).basic_auth("kari", Some(PASSWORD)).send().await.expect("get").json().await.expect("json");
        let kode = listed.as_array().expect("teams").iter().find(|t| t["name"] == "Kode").expect("Kode").clone();
        assert_eq!(kode["units"], json!(["repo.code", "repo.issues"]), "stored: {kode}");
        for bad in [json!({"name": "X", "units": ["repo.nothing"]}), json!({"name": "Y", "units_map": {"repo.code": "owner"}})] {
            let res = create(bad).await;
            assert_eq!(res.status(), 422);
            assert!(res.json::<Value>().await.expect("json")["message"].as_str().expect("message").contains("use"));
        }
        server.stop().await;
    }
}

engine_tests! {
    /// Issue 16, items 4 and 9b: prompt=none, prompt=login, max_age and auth_time at Studio's
    /// provider (OIDC Core §3.1.2.1, §3.1.2.6).
    async fn the_provider_honours_prompt_and_max_age(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut v = new_user(&server, &sink, KARI, "kari", "kari@example.no").await;
        let (client_id, secret) = server.app.studio_designer_client();
        let redirect = server.url("/studio/signin-oidc");
        let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
        let challenge = tilgang::secret::pkce_challenge(verifier);
        let authorize = |extra: &[(&str, &str)]| {
            let mut url = server.url("/studio/login/oauth/authorize?");
            let base = [("client_id", client_id.as_str()), ("response_type", "code"), ("redirect_uri", redirect.as_str()),
                ("scope", "openid profile"), ("state", "st"), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
            for (k, val) in base.iter().chain(extra) {
                url.push_str(&format!("{k}={}&", urlencode(val)));
            }
            url
        };
        // Nobody logged in, prompt=none: back to the client with login_required.
        let mut anonymous = Visitor::new(&server);
        let back = location(&anonymous.get(&authorize(&[("prompt", "none")])).await);
        assert!(back.starts_with(&redirect) && back.contains("error=login_required") && back.contains("state=st"), "{back}");
        // Logged in, but never consented: consent_required.
        let back = location(&v.get(&authorize(&[("prompt", "none")])).await);
        assert!(back.contains("error=consent_required"), "{back}");
        // Consent, a code, and the ID token's auth_time.
        let (_, _, consent) = v.open(&authorize(&[])).await;
        let csrf = input_value(&consent, "_csrf").expect("consent page");
        let res = v.post("/studio/login/oauth/grant", &[("_csrf", &csrf), ("client_id", &client_id), ("state", "st"), ("redirect_uri", &redirect), ("granted", "true")]).await;
        let code = common::query_param(&location(&res), "code").expect("code");
        let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier), ("client_id", client_id.as_str()), ("client_secret", secret.as_str())];
        let tokens: Value = server.client.post(server.url("/studio/login/oauth/access_token")).form(&form).send().await.expect("token").json().await.expect("json");
        let id = common::claims_of(tokens["id_token"].as_str().expect("id token"));
        let now = server.clock.now() / 1_000_000;
        let auth_time = id["auth_time"].as_i64().expect("auth_time");
        assert!(auth_time <= now && now - auth_time < 3600, "{id}");
        // A refreshed ID token keeps the log-in's auth_time (OIDC Core §12.2).
        let refresh_form = [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("refresh")),
            ("client_id", client_id.as_str()), ("client_secret", secret.as_str())];
        server.clock.advance(std::time::Duration::from_secs(5));
        let tokens: Value = server.client.post(server.url("/studio/login/oauth/access_token")).form(&refresh_form).send().await.expect("token").json().await.expect("json");
        let refreshed = common::claims_of(tokens["id_token"].as_str().expect("id token"));
        assert_eq!(refreshed["auth_time"], auth_time, "{refreshed}");
        // Introspection and revocation (RFC 7662, RFC 7009), for the client the tokens are for.
        let call = |path: &'static str, form: Vec<(&'static str, String)>| {
            let c = server.client.clone();
            let url = server.url(path);
            async move { c.post(url).form(&form).send().await.expect("post") }
        };
        let with_client = |token: &str| vec![("token", token.to_owned()), ("client_id", client_id.clone()), ("client_secret", secret.clone())];
        let access = tokens["access_token"].as_str().expect("access").to_owned();
        let refresh = tokens["refresh_token"].as_str().expect("refresh").to_owned();
        let info: Value = call("/studio/login/oauth/introspect", with_client(&access)).await.json().await.expect("json");
        assert_eq!((&info["active"], &info["username"], &info["token_type"]), (&json!(true), &json!("kari"), &json!("Bearer")), "{info}");
        let info: Value = call("/studio/login/oauth/introspect", with_client(&refresh)).await.json().await.expect("json");
        assert_eq!((&info["active"], &info["token_type"]), (&json!(true), &json!("refresh_token")), "{info}");
        let info: Value = call("/studio/login/oauth/introspect", with_client("nonsense")).await.json().await.expect("json");
        assert_eq!(info, json!({"active": false}));
        let res = call("/studio/login/oauth/introspect", vec![("token", access.clone()), ("client_id", client_id.clone()), ("client_secret", "wrong".into())]).await;
        assert_eq!(res.status(), 401);
        assert_eq!(call("/studio/login/oauth/revoke", with_client(&access)).await.status(), 200, "access tokens expire by themselves");
        let res = call("/studio/login/oauth/revoke", vec![("client_id", client_id.clone()), ("client_secret", secret.clone())]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_request");
        assert_eq!(call("/studio/login/oauth/revoke", with_client("nonsense")).await.status(), 200);
        assert_eq!(call("/studio/login/oauth/revoke", with_client(&refresh)).await.status(), 200);
        let info: Value = call("/studio/login/oauth/introspect", with_client(&refresh)).await.json().await.expect("json");
        assert_eq!(info["active"], false, "revoked");
        let res = call("/studio/login/oauth/access_token", vec![("grant_type", "refresh_token".into()), ("refresh_token", refresh.clone()), ("client_id", client_id.clone()), ("client_secret", secret.clone())]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        let discovery: Value = server.client.get(server.url("/studio/.well-known/openid-configuration")).send().await.expect("get").json().await.expect("json");
        assert_eq!(discovery["revocation_endpoint"], server.url("/studio/login/oauth/revoke"));
        assert_eq!(discovery["introspection_endpoint"], server.url("/studio/login/oauth/introspect"));

        // Consent known: prompt=none gives a code at once.
        let back = location(&v.get(&authorize(&[("prompt", "none")])).await);
        assert!(back.contains("code="), "{back}");
        // max_age shorter than the time since log-in: asked to log in again, on a form.
        server.clock.advance(std::time::Duration::from_secs(120));
        let res = v.get(&authorize(&[("max_age", "60")])).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.expect("page").contains("id=\"relogin\""));
        let res = v.get(&authorize(&[("max_age", "60"), ("prompt", "none")])).await;
        assert!(location(&res).contains("error=login_required"));
        // prompt=login: a link alone logs nobody out; the form does, and the request waits at
        // the log-in page without prompt and max_age.
        let mut w = new_user(&server, &sink, "28878205660", "anders", "anders@example.no").await;
        let res = w.get(&authorize(&[("prompt", "login"), ("max_age", "0")])).await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.expect("page");
        let res = w.get(&authorize(&[])).await;
        assert_eq!(res.status(), 200, "still logged in: the consent page");
        assert!(res.text().await.expect("page").contains("/studio/login/oauth/grant"));
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let to = input_value(&page, "redirect_to").expect("redirect_to");
        let res = w.post("/studio/user/logout", &[("_csrf", &csrf), ("redirect_to", &to)]).await;
        let back = location(&res);
        assert!(back.starts_with("/studio/user/login?redirect_to=") && !back.contains("prompt") && !back.contains("max_age"), "{back}");
        let back = location(&w.get(&authorize(&[])).await);
        assert!(back.starts_with("/studio/user/login"), "logged out: {back}");
        // Only local pages after a log-out.
        let (_, _, page) = v.open(&authorize(&[("prompt", "login")])).await;
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let res = v.post("/studio/user/logout", &[("_csrf", &csrf), ("redirect_to", "https://evil.example/")]).await;
        assert_eq!(location(&res), "/studio/");
        // Scopes the provider does not offer are refused (the grant collects what was agreed to).
        let wider = authorize(&[]).replace(&format!("scope={}", urlencode("openid profile")), &format!("scope={}", urlencode("openid admin")));
        let back = location(&w.get(&wider).await);
        assert!(back.contains("error=invalid_scope"), "{back}");
        server.stop().await;
    }
}

engine_tests! {
    async fn an_expired_link_and_a_new_login_lead_to_resend(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut v = Visitor::new(&server);
        let (_, _, page) = v.ansattporten(CAMILLA).await;
        v.sign_up(&page, "camilla", "camilla@example.no", PASSWORD, PASSWORD)
            .await;
        let first = activation_link(&sink.wait_for(1).await[0].body);

        // 181 minutes later the link has expired.
        server.clock.advance(Duration::from_secs(181 * 60));
        let mut later = Visitor::new(&server);
        let (_, status, page) = later.open(&first).await;
        assert_eq!(status, 200);
        assert!(page.contains("Bekreftelseskoden er ugyldig eller utløpt"));
        // Logging in again lands on the activation page, with resend.
        let (url, _, page) = later.ansattporten(CAMILLA).await;
        assert!(url.ends_with("/studio/user/activate"), "{url}");
        assert!(
            page.contains("Kontoen camilla er ikke aktivert ennå"),
            "{page}"
        );
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let res = later
            .post(
                "/studio/user/activate",
                &[("_csrf", &csrf), ("action", "resend")],
            )
            .await;
        let (_, _, page) = later.follow(res).await;
        assert!(page.contains("En bekreftelse er sendt til camilla@example.no"), "{page}");
        let second = activation_link(&sink.wait_for(2).await[1].body);
        // At most one mail per 3 minutes.
        let res = later
            .post(
                "/studio/user/activate",
                &[("_csrf", &csrf), ("action", "resend")],
            )
            .await;
        let (_, _, page) = later.follow(res).await;
        assert!(page.contains("Vent 3 minutter"), "{page}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            sink.mails.lock().expect("lock").len(),
            2,
            "no mail inside the limit"
        );
        // Changing the address: a bad one is refused, a good one gets a new link and kills the old.
        let res = later
            .post(
                "/studio/user/activate",
                &[
                    ("_csrf", &csrf),
                    ("action", "change_email"),
                    ("email", "ikke gyldig"),
                ],
            )
            .await;
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("E-postadressen er ikke gyldig.")
        );
        let res = later
            .post(
                "/studio/user/activate",
                &[
                    ("_csrf", &csrf),
                    ("action", "change_email"),
                    ("email", "camilla.berg@example.no"),
                ],
            )
            .await;
        let (_, _, changed) = later.follow(res).await;
        assert!(
            changed.contains("camilla.berg@example.no") && changed.contains("Vent 3 minutter"),
            "a new address does not lift the limit"
        );
        server.clock.advance(Duration::from_secs(181));
        let res = later
            .post(
                "/studio/user/activate",
                &[("_csrf", &csrf), ("action", "resend")],
            )
            .await;
        let (_, _, page) = later.follow(res).await;
        assert!(page.contains("En bekreftelse er sendt til camilla.berg@example.no"), "{page}");
        let mails = sink.wait_for(3).await;
        assert_eq!(mails[2].to, "camilla.berg@example.no");
        let third = activation_link(&mails[2].body);
        let (_, _, page) = later.open(&second).await;
        assert!(
            page.contains("ugyldig eller utløpt"),
            "a new address invalidates the earlier link"
        );
        // The link opened in another browser activates, but signs nobody in there.
        let mut elsewhere = Visitor::new(&server);
        let (_, _, page) = elsewhere.open(&third).await;
        assert!(page.contains("Kontoen er aktivert"));
        assert!(
            !elsewhere.jar.has("i_like_gitea"),
            "no session from the link alone"
        );
        // Another eID identity links itself to the existing account by name and password.
        let mut hanne = Visitor::new(&server);
        let (_, _, page) = hanne.ansattporten("12927044860").await;
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let res = hanne
            .post(
                "/studio/user/link_account_signin",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "camilla"),
                    ("password", "feil"),
                ],
            )
            .await;
        let wrong = res.text().await.expect("body");
        assert!(
            wrong.contains("Brukernavnet eller passordet er feil.")
                && wrong.contains("value=\"camilla\"")
        );
        let res = hanne
            .post(
                "/studio/user/link_account_signin",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "camilla"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(location(&res), "/studio/login");
        let mut again = Visitor::new(&server);
        let (url, _, _) = again.ansattporten("12927044860").await;
        assert!(
            url.contains("/studio/login/oauth/authorize"),
            "the linked identity signs in: {url}"
        );
        // A password log-in works now.
        let (_, _, login) = later.open("/studio/user/login").await;
        let csrf = input_value(&login, "_csrf").expect("csrf");
        let res = later
            .post(
                "/studio/user/login",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "camilla"),
                    ("password", "feil"),
                ],
            )
            .await;
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Brukernavnet eller passordet er feil.")
        );
        let res = later
            .post(
                "/studio/user/login",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "camilla"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(location(&res), "/studio/login");
        // Guessing is slowed down: ten failures on one account lock it for five minutes (429).
        let mut last = 0;
        for _ in 0..11 {
            last = later
                .post(
                    "/studio/user/login",
                    &[
                        ("_csrf", &csrf),
                        ("user_name", "camilla"),
                        ("password", "gjett"),
                    ],
                )
                .await
                .status()
                .as_u16();
        }
        assert_eq!(last, 429);
        let res = later
            .post(
                "/studio/user/login",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "camilla"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert!(res.text().await.expect("body").contains("For mange forsøk"));
        server.clock.advance(Duration::from_secs(
            tilgang::services::studio::LOCKOUT_SECS as u64 + 1,
        ));
        let res = later
            .post(
                "/studio/user/login",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "camilla"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            location(&res),
            "/studio/login",
            "after the lock-out window it works again"
        );
        let res = later
            .post(
                "/studio/user/login",
                &[
                    ("_csrf", "forged"),
                    ("user_name", "camilla"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status(), 403);
        server.stop().await;
    }
}

engine_tests! {
    async fn operators_create_organisations_and_owners_manage_teams(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@example.no").await;
        let mut anders = new_user(&server, &sink, ANDERS, "anders", "anders@example.no").await;

        // The operator (main administrator of the operator organisation) at /admin/studio.
        let op_cookie = server.login_as(MARIT).await;
        let admin_page = server
            .browser
            .get(server.url("/admin/studio"))
            .header("cookie", &op_cookie)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("page");
        let csrf = input_value(&admin_page, "csrf").unwrap_or_else(|| panic!("{admin_page}"));
        let create = |fields: Vec<(&'static str, &'static str)>| {
            let mut form = fields;
            let c = csrf.clone();
            let browser = server.browser.clone();
            let url = server.url("/admin/studio/orgs");
            let cookie = op_cookie.clone();
            async move {
                form.push(("csrf", Box::leak(c.into_boxed_str())));
                browser
                    .post(url)
                    .header("cookie", cookie)
                    .form(&form)
                    .send()
                    .await
                    .expect("post")
            }
        };
        for (fields, expected) in [
            (
                vec![
                    ("name", "fjellbekk"),
                    ("full_name", "Fjellbekk Bakeri AS"),
                    ("org_number", "123"),
                    ("admin", "kari"),
                ],
                "ikke et gyldig organisasjonsnummer",
            ),
            (
                vec![("name", "fjellbekk"), ("full_name", ""), ("admin", "kari")],
                "Fullt navn må fylles ut",
            ),
            (
                vec![
                    ("name", "fjellbekk"),
                    ("full_name", "Fjellbekk Bakeri AS"),
                    ("admin", "ingen"),
                ],
                "Brukeren «ingen» finnes ikke",
            ),
            (
                vec![("name", "Kari"), ("full_name", "X"), ("admin", "kari")],
                "allerede brukt",
            ),
            (
                vec![("name", "-x"), ("full_name", "X"), ("admin", "kari")],
                "Kortnavnet er ikke gyldig",
            ),
        ] {
            let res = create(fields).await;
            assert_eq!(res.status(), 422);
            assert!(
                res.text().await.expect("body").contains(expected),
                "{expected}"
            );
        }
        let res = create(vec![
            ("name", "fjellbekk"),
            ("full_name", "Fjellbekk Bakeri AS"),
            ("org_number", "315287138"),
            ("service_owner", "on"),
            ("admin", "kari"),
        ])
        .await;
        assert_eq!(res.status(), 200);
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Organisasjonen fjellbekk er opprettet")
        );
        let res = create(vec![
            ("name", "utviklerne"),
            ("full_name", "Utviklerne i staten"),
            ("admin", "kari"),
        ])
        .await;
        assert_eq!(res.status(), 200);
        // Someone who is not the operator.
        let not_op = server.login_as(ANDERS).await;
        let res = server
            .browser
            .get(server.url("/admin/studio"))
            .header("cookie", &not_op)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 403);

        // The admin (Owners) adds the colleague to Devs on the team page.
        let (_, _, teams) = kari.open("/studio/org/fjellbekk/teams").await;
        for team in ["Owners", "Devs", "Deploy-TT02", "Deploy-Production"] {
            assert!(teams.contains(team), "{team}");
        }
        assert!(teams.contains("production, tt02") || teams.contains("tt02, production"));
        let (_, _, devs) = kari.open("/studio/org/fjellbekk/teams/devs").await;
        let csrf = input_value(&devs, "_csrf").expect("csrf");
        for (uname, expected) in [
            ("ingen-slik", "Brukeren «ingen-slik» finnes ikke"),
            ("anders", "anders er lagt til i Devs"),
            ("anders", "allerede medlem"),
        ] {
            let res = kari
                .post(
                    "/studio/org/fjellbekk/teams/devs/action/add",
                    &[("_csrf", &csrf), ("uname", uname)],
                )
                .await;
            assert!(
                res.text().await.expect("body").contains(expected),
                "{expected}"
            );
        }
        // The last owner stays; a member who is not an owner cannot add.
        let res = kari
            .post(
                "/studio/org/fjellbekk/teams/owners/action/remove",
                &[("_csrf", &csrf), ("uname", "kari")],
            )
            .await;
        assert!(res.text().await.expect("body").contains("Den siste eieren"));
        let (_, _, devs_a) = anders.open("/studio/org/fjellbekk/teams/devs").await;
        assert!(!devs_a.contains("add-member"), "no management for members");
        let csrf_a = input_value(&devs_a, "_csrf").expect("csrf");
        let res = anders
            .post(
                "/studio/org/fjellbekk/teams/deploy-tt02/action/add",
                &[("_csrf", &csrf_a), ("uname", "anders")],
            )
            .await;
        assert_eq!(res.status(), 403);
        let (_, status, _) = anders.open("/studio/org/utviklerne/teams").await;
        assert_eq!(status, 404, "not a member of that organisation");

        // The organisation and its environments show on the colleague's dashboard.
        let dashboard = open_studio(&mut anders).await;
        assert!(dashboard.contains("data-org=\"fjellbekk\""), "{dashboard}");
        assert!(dashboard.contains("production, tt02") || dashboard.contains("tt02, production"));
        assert!(dashboard.contains("lage applikasjoner"));
        assert!(!dashboard.contains("publisere til"), "Devs may not deploy");
        let csrf = input_value(&dashboard, "_csrf").expect("csrf");
        let res = anders
            .post(
                "/studio/dashboard/apps",
                &[
                    ("_csrf", &csrf),
                    ("owner", "fjellbekk"),
                    ("name", "bestilling"),
                ],
            )
            .await;
        assert_eq!(location(&res), "/studio/dashboard");
        let res = anders
            .post(
                "/studio/dashboard/apps",
                &[("_csrf", &csrf), ("owner", "utviklerne"), ("name", "x")],
            )
            .await;
        assert_eq!(res.status(), 400);

        // The Gitea API with Basic authentication.
        let api = |path: &str| server.url(&format!("/studio/api/v1{path}"));
        let orgs: Value = server
            .client
            .get(api("/user/orgs"))
            .basic_auth("anders", Some(PASSWORD))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(orgs[0]["username"], "fjellbekk");
        assert_eq!(orgs[0]["environments"], json!(["tt02", "production"]));
        let teams: Value = server
            .client
            .get(api("/orgs/fjellbekk/teams"))
            .basic_auth("kari", Some(PASSWORD))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        // Gitea's paging: page, limit, X-Total-Count and Link (issue 16, item 17).
        let total = teams.as_array().expect("teams").len();
        assert!(total >= 2, "{teams}");
        let res = server.client.get(api("/orgs/fjellbekk/teams?limit=1&page=2")).basic_auth("kari", Some(PASSWORD)).send().await.expect("get");
        assert_eq!(res.headers()["x-total-count"], total.to_string().as_str());
        let link = res.headers()["link"].to_str().expect("link").to_owned();
        assert!(link.contains("page=1>; rel=\"first\"") && link.contains("page=1>; rel=\"prev\""), "{link}");
        assert_eq!(link.contains("rel=\"next\""), total > 2, "{link}");
        let page: Value = res.json().await.expect("json");
        assert_eq!(page.as_array().expect("page").len(), 1);
        assert_eq!(page[0], teams[1], "the second team");
        let res = server.client.get(api("/orgs/fjellbekk/teams?limit=999&page=0")).basic_auth("kari", Some(PASSWORD)).send().await.expect("get");
        assert!(res.headers().get("link").is_none(), "one page: no links");
        assert_eq!(res.json::<Value>().await.expect("json"), teams);
        let id_of = |name: &str| {
            teams
                .as_array()
                .expect("teams")
                .iter()
                .find(|t| t["name"] == name)
                .expect("team")["id"]
                .as_i64()
                .expect("id")
        };
        let deploy = id_of("Deploy-TT02");
        let owners = id_of("Owners");
        let put = |id: i64, who: &str, user: &str| {
            server
                .client
                .put(api(&format!("/teams/{id}/members/{user}")))
                .basic_auth(who, Some(PASSWORD))
                .send()
        };
        assert_eq!(
            put(deploy, "anders", "anders").await.expect("put").status(),
            403
        );
        assert_eq!(
            put(deploy, "kari", "nobody").await.expect("put").status(),
            404
        );
        assert_eq!(
            put(deploy, "kari", "anders").await.expect("put").status(),
            204
        );
        let member = server
            .client
            .get(api(&format!("/teams/{deploy}/members/anders")))
            .basic_auth("kari", Some(PASSWORD))
            .send()
            .await
            .expect("get");
        assert_eq!(member.status(), 200);
        let my_teams: Value = server
            .client
            .get(api("/user/teams"))
            .basic_auth("anders", Some(PASSWORD))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(my_teams.as_array().expect("teams").len(), 2);
        let (_, _, dashboard) = anders.open("/studio/dashboard").await;
        assert!(dashboard.contains("publisere til tt02"));
        let last = server
            .client
            .delete(api(&format!("/teams/{owners}/members/kari")))
            .basic_auth("kari", Some(PASSWORD))
            .send()
            .await
            .expect("delete");
        assert_eq!(last.status(), 422);
        let res = server
            .client
            .post(api("/orgs"))
            .basic_auth("kari", Some(PASSWORD))
            .json(&json!({"username": "egen"}))
            .send()
            .await
            .expect("post");
        assert_eq!(
            res.status(),
            403,
            "regular organisation creation is disabled"
        );
        let res = server
            .client
            .post(api("/admin/users/kari/orgs"))
            .basic_auth("kari", Some(PASSWORD))
            .json(&json!({"username": "egen"}))
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 403);
        // An operator token may use the admin endpoints.
        let token = server.enterprise_token("315177340", "tilgang:admin").await;
        let res = server.client.post(api("/admin/users/anders/orgs")).bearer_auth(&token).json(&json!({"username": "nordlys", "full_name": "Nordlys Elektro", "service_owner": false})).send().await.expect("post");
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.expect("json");
        assert_eq!(created["environments"], json!([]));
        let res = server
            .client
            .post(api("/admin/users/anders/orgs"))
            .bearer_auth(&token)
            .json(&json!({"username": "nordlys"}))
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 422);
        let res = server
            .client
            .delete(api(&format!("/teams/{deploy}/members/anders")))
            .basic_auth("kari", Some(PASSWORD))
            .send()
            .await
            .expect("delete");
        assert_eq!(res.status(), 204);

        // Asking for an organisation: the operator approves, the requester gets mail.
        let before = sink.mails.lock().expect("lock").len();
        let (_, _, form) = anders.open("/studio/orgs/request").await;
        let csrf = input_value(&form, "_csrf").expect("csrf");
        let res = anders
            .post(
                "/studio/orgs/request",
                &[
                    ("_csrf", &csrf),
                    ("name", "fjellbekk"),
                    ("full_name", "X"),
                    ("admin", "anders"),
                ],
            )
            .await;
        assert!(res.text().await.expect("body").contains("allerede brukt"));
        let res = anders
            .post(
                "/studio/orgs/request",
                &[
                    ("_csrf", &csrf),
                    ("name", "lysverket"),
                    ("full_name", "Lysverket AS"),
                    ("org_number", "312882930"),
                    ("service_owner", "on"),
                    ("admin", "anders"),
                ],
            )
            .await;
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("Forespørselen er sendt")
        );
        let queue = server
            .browser
            .get(server.url("/admin/studio"))
            .header("cookie", &op_cookie)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("page");
        assert!(queue.contains("lysverket"));
        let request = server.app.store.org_requests(None).await.expect("requests");
        let id = &request[0].id;
        let res = server
            .browser
            .post(server.url(&format!("/admin/studio/requests/{id}")))
            .header("cookie", &op_cookie)
            .form(&[("csrf", csrf_of(&queue).as_str()), ("decision", "approve")])
            .send()
            .await
            .expect("post");
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("lysverket er godkjent")
        );
        let res = server
            .browser
            .post(server.url(&format!("/admin/studio/requests/{id}")))
            .header("cookie", &op_cookie)
            .form(&[("csrf", csrf_of(&queue).as_str()), ("decision", "decline")])
            .send()
            .await
            .expect("post");
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("allerede behandlet")
        );
        let mails = sink.wait_for(before + 1).await;
        assert_eq!(mails[before].to, "anders@example.no");
        assert!(mails[before].body.contains("lysverket"));
        let (_, _, dashboard) = anders.open("/studio/dashboard").await;
        assert!(dashboard.contains("data-org=\"lysverket\""));
        // Forms without the session's token change nothing.
        for path in ["/studio/dashboard/apps", "/studio/orgs/request"] {
            let res = anders
                .post(path, &[("_csrf", "forged"), ("name", "x")])
                .await;
            assert_eq!(res.status(), 403, "{path}");
        }
        let res = kari
            .post(
                "/studio/org/fjellbekk/teams/devs/action/add",
                &[("_csrf", "forged"), ("uname", "camilla")],
            )
            .await;
        assert_eq!(res.status(), 403);
        let res = server
            .browser
            .post(server.url("/admin/studio/orgs"))
            .header("cookie", &op_cookie)
            .form(&[("csrf", "forged"), ("name", "forged")])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 403);
        assert!(
            server
                .app
                .store
                .studio_account_by_name("forged")
                .await
                .expect("db")
                .is_none()
        );
        server.stop().await;
    }
}

fn csrf_of(page: &str) -> String {
    input_value(page, "csrf").expect("csrf")
}

#[tokio::test]
async fn mail_is_retried_when_the_smtp_server_refuses_for_a_while() {
    let sink = SmtpSink::start(1).await;
    let server = TestServer::start_with(
        common::Engine::Sqlite,
        Options {
            smtp_port: Some(sink.port),
            ..Default::default()
        },
    )
    .await;
    let id = server
        .app
        .send_mail("someone@example.no", "Hei", "Linje én\n.\nSiste linje æøå")
        .await
        .expect("queue");
    // The first attempt is refused with 451 and leaves the mail pending.
    let mut pending = None;
    for _ in 0..100 {
        let m = server.app.store.mail(&id).await.expect("db").expect("mail");
        if m.attempts >= 1 && m.last_error.is_some() {
            pending = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = pending.expect("the first attempt was made");
    assert_eq!(m.status, "pending");
    assert!(m.last_error.as_deref().unwrap_or("").contains("451"));
    // The job retries once the back-off has passed.
    server.app.deliver_due_mail().await.expect("retry");
    assert_eq!(
        server
            .app
            .store
            .mail(&id)
            .await
            .expect("db")
            .expect("mail")
            .status,
        "pending",
        "not before the back-off"
    );
    server.clock.advance(Duration::from_secs(61));
    server.app.deliver_due_mail().await.expect("retry");
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].body, "Linje én\r\n.\r\nSiste linje æøå");
    assert_eq!(
        server
            .app
            .store
            .mail(&id)
            .await
            .expect("db")
            .expect("mail")
            .status,
        "sent"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_local_outbox_shows_mail_without_smtp() {
    let server = TestServer::start(common::Engine::Sqlite).await;
    let (_, status, page) = Visitor::new(&server).open("/dev/mail").await;
    assert_eq!(status, 200);
    assert!(page.contains("Ingen e-post ennå"));
    let id = server
        .app
        .send_mail(
            "x@example.no",
            "Aktiver",
            "Åpne http://127.0.0.1/studio/user/activate?code=abc",
        )
        .await
        .expect("queue");
    let (_, _, page) = Visitor::new(&server).open("/dev/mail").await;
    assert!(page.contains("x@example.no") && page.contains("kept"));
    let (_, _, one) = Visitor::new(&server).open(&format!("/dev/mail/{id}")).await;
    assert!(
        one.contains(
            "<a class=\"ds-link\" href=\"http://127.0.0.1/studio/user/activate?code=abc\">"
        )
    );
    let (_, status, _) = Visitor::new(&server).open("/dev/mail/nope").await;
    assert_eq!(status, 404);
    server.stop().await;
}

engine_tests! {
    /// Regression (security review, item 1, login CSRF): an attacker starts a Studio sign-up,
    /// finishes the eID step as themself and sends the victim the callback URL. The victim's
    /// browser, which did not start that log-in, gets no session and cannot be led to link its
    /// account to the attacker's identity; the page says to start again.
    async fn a_callback_from_another_browser_links_nothing(engine: Engine) {
        let (s, sink) = server_with_smtp(engine).await;
        // The victim has an account (and is signed in to it).
        let mut victim = new_user(&s, &sink, KARI, "kari", "kari@example.no").await;

        // The attacker walks the eID step as themself and stops at the callback.
        let mut attacker = Visitor::new(&s);
        let res = attacker.get("/studio/user/oauth2/ansattporten").await;
        let authorize = location(&res);
        let res = attacker.get(&authorize).await;
        let html = res.text().await.unwrap();
        let request_id = input_value(&html, "request_id").unwrap();
        let res = attacker
            .post(
                "/ansattporten/authorize/login",
                &[("request_id", &request_id), ("pid", ANDERS)],
            )
            .await;
        let callback = location(&res);
        assert!(
            callback.contains("/auth/callback/ansattporten?"),
            "{callback}"
        );

        // The victim opens it: refused, nothing to link, no eID session.
        let (url, status, page) = victim.open(&callback).await;
        assert_eq!(status, 400, "{url}: {page}");
        assert!(page.contains("annen nettleser"), "{page}");
        assert!(!victim.jar.has("tilgang_session"));
        let (url, _, _) = victim.open("/studio/user/link_account").await;
        assert!(!url.ends_with("/studio/user/link_account"), "{url}");

        // The attacker's own browser can finish its own log-in (the flow is bound, not broken).
        let (url, status, _) = attacker.follow(res).await;
        assert_eq!(status, 200);
        assert!(url.ends_with("/studio/user/link_account"), "{url}");
        s.stop().await;
    }
}

async fn basic_status(s: &TestServer, user: &str, password: &str) -> u16 {
    s.client
        .get(s.url("/studio/api/v1/user"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

engine_tests! {
    /// Regression (security review, items 6 and 7b): log-in throttling lived in process memory
    /// (lost on restart, per instance), counted successful log-ins and could lock the owner out.
    /// Now failures are counted per account and per source in the database; successes never are;
    /// after the lock-out window the right password works again; keys are hashes of fixed length.
    async fn failed_log_ins_lock_an_account_for_a_while_in_every_instance(engine: Engine) {
        let (s, sink) = server_with_smtp(engine).await;
        let _kari = new_user(&s, &sink, KARI, "kari", "kari@example.no").await;
        // Successful Basic-authenticated calls are never throttled.
        for _ in 0..25 {
            assert_eq!(basic_status(&s, "kari", PASSWORD).await, 200);
        }
        // Ten failures lock the account: even the right password is refused, with 429.
        for _ in 0..studio_failures() {
            assert_eq!(basic_status(&s, "KARI", "feil").await, 401);
        }
        assert_eq!(basic_status(&s, "kari", PASSWORD).await, 429);

        // A restarted (or second) instance on the same database sees the same lock.
        let port = sink.port;
        let db = s.stop_keep_data().await;
        let s = TestServer::start_with(
            engine,
            Options {
                database: Some(db),
                smtp_port: Some(port),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(basic_status(&s, "kari", PASSWORD).await, 429);
        // The log-in form says so too, in words.
        let mut v = Visitor::new(&s);
        let (_, _, page) = v.open("/studio/user/login").await;
        let csrf = input_value(&page, "_csrf").unwrap();
        let res = v
            .post(
                "/studio/user/login",
                &[
                    ("_csrf", &csrf),
                    ("user_name", "kari"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status(), 429);
        assert!(res.text().await.unwrap().contains("For mange forsøk"));

        // After the lock-out window the owner gets in, and the count starts again.
        s.clock.advance(Duration::from_secs(
            tilgang::services::studio::LOCKOUT_SECS as u64 + 1,
        ));
        assert_eq!(basic_status(&s, "kari", PASSWORD).await, 200);
        assert_eq!(basic_status(&s, "kari", "feil").await, 401);
        assert_eq!(basic_status(&s, "kari", PASSWORD).await, 200);

        // Attacker-chosen user names of any length are stored as fixed-length hashes.
        let long = "x".repeat(100_000);
        let res = v
            .post(
                "/studio/user/login",
                &[("_csrf", &csrf), ("user_name", &long), ("password", "feil")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let lengths: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT LENGTH(subject) FROM login_failure")
                .fetch_all(s.app.store.pool())
                .await
                .unwrap();
        assert_eq!(lengths, vec![43], "subjects are SHA-256 hashes");

        // Many accounts tried from one source lock that source.
        for i in 0..tilgang::services::studio::SOURCE_FAILURES {
            let status = basic_status(&s, &format!("navn{i}"), "feil").await;
            assert!(status == 401 || status == 429, "{status}");
        }
        assert_eq!(basic_status(&s, "kari", PASSWORD).await, 429);
        s.stop().await;
    }
}

fn studio_failures() -> i64 {
    tilgang::services::studio::ACCOUNT_FAILURES
}

engine_tests! {
    /// Regression (security review, item 12): an account never activated held its user name and
    /// e-mail address for ever. When its activation expires the background job removes it, and
    /// the person (or anyone) may sign up with them again.
    async fn an_unactivated_account_releases_its_name_and_address(engine: Engine) {
        let (s, sink) = server_with_smtp(engine).await;
        let mut v = Visitor::new(&s);
        let (_, _, page) = v.ansattporten(ANDERS).await;
        let (_, status, page) = v
            .sign_up(&page, "anders", "anders@example.no", PASSWORD, PASSWORD)
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Aktiver kontoen din"), "{page}");
        sink.wait_for(1).await;

        // Before the activation expires the job keeps it.
        tilgang::services::jobs::run_once(&s.app).await;
        assert!(
            s.app
                .store
                .studio_user_by_email("anders@example.no")
                .await
                .unwrap()
                .is_some()
        );

        s.clock.advance(Duration::from_secs(181 * 60));
        tilgang::services::jobs::run_once(&s.app).await;
        assert!(
            s.app
                .store
                .studio_user_by_email("anders@example.no")
                .await
                .unwrap()
                .is_none()
        );

        // The same person signs up again with the same name and address, and activates.
        let fresh = new_user(&s, &sink, ANDERS, "anders", "anders@example.no").await;
        assert!(fresh.jar.has("i_like_gitea"));
        s.stop().await;
    }
}

engine_tests! {
    /// Issue 16, item 9: a Studio user registers an OAuth2 application with Gitea's
    /// `/user/applications/oauth2`, logs in with it, and deleting it ends its tokens.
    async fn users_register_their_own_oauth_applications(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut v = new_user(&server, &sink, KARI, "kari", "kari@example.no").await;
        let api = |method: reqwest::Method, path: &str, body: Option<Value>| {
            let mut req = server.client.request(method, server.url(&format!("/studio/api/v1/user/applications/oauth2{path}"))).basic_auth("kari", Some(PASSWORD));
            if let Some(b) = body { req = req.json(&b); }
            async move { req.send().await.expect("request") }
        };
        let redirect = "https://tools.example/cb";
        // Bad input: 422 with the reason, and nothing registered.
        for (body, words) in [
            (json!({"name": "", "redirect_uris": [redirect]}), "name is required"),
            (json!({"name": "Verktøy", "redirect_uris": []}), "1 to 20 redirect_uris"),
            (json!({"name": "Verktøy", "redirect_uris": ["javascript:alert(1)"]}), "redirect_uris"),
            (json!({"name": "Verktøy", "redirect_uris": "https://x.example"}), "invalid JSON body"),
        ] {
            let res = api(reqwest::Method::POST, "", Some(body)).await;
            assert_eq!(res.status(), 422);
            assert!(res.json::<Value>().await.expect("json")["message"].as_str().expect("message").contains(words), "{words}");
        }
        assert_eq!(server.client.get(server.url("/studio/api/v1/user/applications/oauth2")).send().await.expect("get").status(), 401);
        let res = api(reqwest::Method::GET, "", None).await;
        assert_eq!(res.headers()["x-total-count"], "0");

        let res = api(reqwest::Method::POST, "", Some(json!({"name": "Verktøy", "redirect_uris": [redirect], "confidential_client": true}))).await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.expect("json");
        let id = created["id"].as_i64().expect("id");
        let client_id = created["client_id"].as_str().expect("client_id").to_owned();
        let secret = created["client_secret"].as_str().expect("secret").to_owned();
        assert!(secret.starts_with("gto_"), "{secret}");
        assert_eq!(created["confidential_client"], true);
        let listed: Value = api(reqwest::Method::GET, "", None).await.json().await.expect("json");
        assert_eq!(listed[0]["client_id"], client_id.as_str());
        assert_eq!(listed[0]["client_secret"], "", "the secret is shown once");
        let one: Value = api(reqwest::Method::GET, &format!("/{id}"), None).await.json().await.expect("json");
        assert_eq!(one["name"], "Verktøy");
        assert_eq!(api(reqwest::Method::GET, "/999999", None).await.status(), 404);
        assert_eq!(api(reqwest::Method::GET, "/not-a-number", None).await.status(), 404);

        // Kari logs in to her tool through Studio's provider.
        let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
        let challenge = tilgang::secret::pkce_challenge(verifier);
        let authorize = format!(
            "{}?client_id={client_id}&response_type=code&redirect_uri={}&scope=openid%20read:user&state=t1&code_challenge={challenge}&code_challenge_method=S256",
            server.url("/studio/login/oauth/authorize"), urlencode(redirect));
        let (_, _, consent) = v.open(&authorize).await;
        assert!(consent.contains("Verktøy"), "the consent page names the application");
        assert!(consent.contains("registrert av Studio-brukeren <strong>kari</strong>"), "and who registered it: {consent}");
        assert!(consent.contains("<li>å vite hvem du er"), "and what it asks for");
        let csrf = input_value(&consent, "_csrf").expect("consent page");
        let res = v.post("/studio/login/oauth/grant", &[("_csrf", &csrf), ("client_id", &client_id), ("state", "t1"), ("redirect_uri", redirect), ("granted", "true")]).await;
        let code = common::query_param(&location(&res), "code").expect("code");
        let form = |code: &str, secret: &str| vec![("grant_type", "authorization_code".to_owned()), ("code", code.to_owned()),
            ("redirect_uri", redirect.to_owned()), ("code_verifier", verifier.to_owned()), ("client_id", client_id.clone()), ("client_secret", secret.to_owned())];
        let res = server.client.post(server.url("/studio/login/oauth/access_token")).form(&form(&code, &secret)).send().await.expect("token");
        assert_eq!(res.status(), 200);
        let access = res.json::<Value>().await.expect("json")["access_token"].as_str().expect("token").to_owned();
        let me = server.client.get(server.url("/studio/api/v1/user")).bearer_auth(&access).send().await.expect("user");
        assert_eq!(me.status(), 200);
        // A user's application gets only the Gitea scopes granted to it: read:user does not
        // change applications or read organisations.
        let res = server.client.patch(server.url(&format!("/studio/api/v1/user/applications/oauth2/{id}"))).bearer_auth(&access)
            .json(&json!({"name": "x", "redirect_uris": ["https://evil.example/cb"]})).send().await.expect("patch");
        assert_eq!(res.status(), 403);
        assert!(res.json::<Value>().await.expect("json")["message"].as_str().expect("message").contains("write:user"));
        let res = server.client.get(server.url("/studio/api/v1/user/orgs")).bearer_auth(&access).send().await.expect("orgs");
        assert_eq!(res.status(), 403);

        // A change gives a new secret; the old one stops working.
        let res = api(reqwest::Method::PATCH, &format!("/{id}"), Some(json!({"name": "Verktøy 2", "redirect_uris": [redirect], "confidential_client": true}))).await;
        assert_eq!(res.status(), 200);
        let changed: Value = res.json().await.expect("json");
        assert_eq!(changed["name"], "Verktøy 2");
        assert_ne!(changed["client_secret"], secret.as_str());
        let res = server.client.post(server.url("/studio/login/oauth/access_token")).form(&form("any-code", &secret)).send().await.expect("token");
        assert_eq!(res.status(), 401);

        // Another user sees none of it.
        let _ola = new_user(&server, &sink, ANDERS, "ola", "ola@example.no").await;
        let res = server.client.delete(server.url(&format!("/studio/api/v1/user/applications/oauth2/{id}"))).basic_auth("ola", Some(PASSWORD)).send().await.expect("delete");
        assert_eq!(res.status(), 404);

        // Deleted: gone from the list, and Kari's token from it no longer works.
        assert_eq!(api(reqwest::Method::DELETE, &format!("/{id}"), None).await.status(), 204);
        assert_eq!(api(reqwest::Method::DELETE, &format!("/{id}"), None).await.status(), 404);
        let me = server.client.get(server.url("/studio/api/v1/user")).bearer_auth(&access).send().await.expect("user");
        assert_eq!(me.status(), 401);
        let res = api(reqwest::Method::GET, "", None).await;
        assert_eq!(res.headers()["x-total-count"], "0");
        server.stop().await;
    }
}

/// The image captcha answers only its own live puzzles, and each counts once.
#[tokio::test]
async fn the_image_captcha_answers_only_its_own_live_puzzles_once() {
    let s = TestServer::start(Engine::Sqlite).await;
    let puzzle = s.app.new_image_captcha();
    let image = s
        .get(&format!("/studio/captcha/image/{}", puzzle.token))
        .await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    assert_eq!(image.headers()["cache-control"], "no-store");
    // A token this server did not make: a problem, not an image.
    let forged = s
        .get("/studio/captcha/image/0123456789abcdef01234567.9999999999.00")
        .await;
    assert_eq!(forged.status(), 404);
    assert!(forged.text().await.unwrap().contains("reload the form"));
    // Answered with the sum the question asks for: once, not twice.
    let sum = (puzzle.terms.0 + puzzle.terms.1).to_string();
    assert!(
        s.app.spend_image_captcha(&puzzle.token, "0").await.is_err(),
        "a wrong answer"
    );
    assert!(s.app.spend_image_captcha(&puzzle.token, &sum).await.is_ok());
    assert!(
        s.app
            .spend_image_captcha(&puzzle.token, &sum)
            .await
            .is_err(),
        "spent"
    );
    // Past its lifetime the image is gone and no answer counts.
    let late = s.app.new_image_captcha();
    s.clock.advance(Duration::from_secs(601));
    assert_eq!(
        s.get(&format!("/studio/captcha/image/{}", late.token))
            .await
            .status(),
        404
    );
    let late_sum = (late.terms.0 + late.terms.1).to_string();
    assert!(
        s.app
            .spend_image_captcha(&late.token, &late_sum)
            .await
            .is_err(),
        "expired"
    );
    s.stop().await;
}

engine_tests! {
    /// Someone guessing from one address locks only that address out of the account: its
    /// owner, elsewhere, still logs in; guessing spread over many addresses locks it for all.
    async fn guessing_from_elsewhere_does_not_lock_the_owner_out(engine: Engine) {
        use tilgang::services::studio::{ACCOUNT_ALL_SOURCES_FAILURES, ACCOUNT_FAILURES, StudioError};
        let (s, sink) = server_with_smtp(engine).await;
        let _kari = new_user(&s, &sink, KARI, "kari", "kari@example.no").await;
        let check = |password: &'static str, ip: String| {
            let app = s.app.clone();
            async move { app.studio_check_password("kari", password, Some(&ip)).await }
        };
        for _ in 0..ACCOUNT_FAILURES {
            assert!(matches!(check("feil", "10.0.0.1".into()).await, Err(StudioError::Credentials)));
        }
        assert!(matches!(check(PASSWORD, "10.0.0.1".into()).await, Err(StudioError::RateLimited)), "the guesser's address is locked");
        assert!(check(PASSWORD, "10.0.0.2".into()).await.is_ok(), "the owner, elsewhere, is not");
        // A success clears only the all-addresses count and its own address's.
        assert!(matches!(check(PASSWORD, "10.0.0.1".into()).await, Err(StudioError::RateLimited)));

        // Spread over many addresses, the guessing locks the account for everyone.
        let mut failures = 0;
        let mut host = 10;
        while failures < ACCOUNT_ALL_SOURCES_FAILURES {
            for _ in 0..ACCOUNT_FAILURES {
                if failures < ACCOUNT_ALL_SOURCES_FAILURES {
                    let _ = check("feil", format!("10.0.1.{host}")).await;
                    failures += 1;
                }
            }
            host += 1;
        }
        assert!(matches!(check(PASSWORD, "10.0.0.3".into()).await, Err(StudioError::RateLimited)));
        s.stop().await;
    }
}
