//! The production profile as it is deployed (issue 12, "Done when"): behind a TLS proxy, on
//! PostgreSQL, logging people in through an OpenID provider that is not tilgang's own (npm
//! `oidc-provider`, issuer without a trailing slash) — a daglig leder approves a system-user
//! request in headless chromium.

use crate::common;

use common::browser::Browser;
use common::oidc_provider::OidcProvider;
use common::{Engine, Options, TestServer, certs, tls_proxy};
use serde_json::{Value, json};
use tilgang::config::Profile;
use tilgang::domain::OrgNumber;

const KARI: &str = "05827536549";

#[tokio::test]
async fn a_daglig_leder_approves_a_request_through_an_independent_openid_provider() {
    if !common::engines().await.contains(&Engine::Postgres) {
        return;
    }
    let Some(browser) = Browser::start_with(&["--ignore-certificate-errors"]).await else {
        return;
    };
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("https://localhost:{}", front.local_addr().unwrap().port());
    let Some(op) = OidcProvider::start(
        &format!("{public}/auth/callback/idporten"),
        "idporten-loa-substantial",
    )
    .await
    else {
        return;
    };
    let s = TestServer::start_with(
        Engine::Postgres,
        Options {
            profile: Profile::Production,
            idporten_issuer: Some(op.issuer.clone()),
            public_url: Some(public.clone()),
            ..Default::default()
        },
    )
    .await;
    let cert_dir =
        std::env::temp_dir().join(format!("tilgang-certs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&cert_dir).unwrap();
    certs::make(&cert_dir).expect("test certificates");
    let backend = s.base.strip_prefix("http://").unwrap().parse().unwrap();
    tls_proxy::start(front, backend, &cert_dir);

    // The register as an operator imports it in production (real identity numbers allowed).
    let register: Value = serde_json::from_str(tilgang::services::demo::DEMO_DATA).unwrap();
    s.import_as_operator(&register).await;

    // The vendor's tokens, as tilgang issues them in exchange for its Maskinporten tokens.
    let vendor: OrgNumber = "317219253".parse().unwrap();
    let token = |scope: &str| s.app.enterprise_token(&vendor, scope, 300, None).unwrap();
    let back = format!("{public}/auth/session?from=vendor");
    let system = json!({"id": "317219253_produksjon", "vendor": {"ID": "0192:317219253"},
        "name": {"nb": "Lønn Direkte", "nn": "Løn Direkte", "en": "Payroll Direct"},
        "description": {"nb": "Sender lønnsopplysninger", "nn": "Sender lønsopplysningar", "en": "Sends payroll data"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "allowedRedirectUrls": [back]});
    let res = s
        .post_json(
            "/authentication/api/v1/systemregister/vendor",
            &token("altinn:authentication/systemregister.write"),
            &system,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let request = json!({"systemId": "317219253_produksjon", "partyOrgNo": "315287138",
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "redirectUrl": back});
    let created: Value = s
        .post_json(
            "/authentication/api/v1/systemuser/request/vendor",
            &token("altinn:authentication/systemuser.request.write"),
            &request,
        )
        .await
        .json()
        .await
        .unwrap();
    let confirm = created["confirmUrl"].as_str().unwrap().to_owned();
    assert!(confirm.starts_with(&public), "{confirm}");

    // The person: the confirmUrl, the provider's own log-in page, back to the request.
    browser.goto(&confirm).await;
    browser
        .wait_url(|u| u.starts_with(&format!("{}/interaction/", op.issuer)))
        .await;
    browser.type_into("#pid", KARI).await;
    browser.click_css("button[type=submit]").await;
    browser.wait_text("Forespørsel om systemtilgang").await;
    assert_eq!(browser.text_of("#system-name").await, "Lønn Direkte");
    browser.screenshot("production-approval-request").await;
    browser.click_css("button[value=approve]").await;
    browser.wait_text("Systemtilgangen er godkjent").await;
    browser.click_css("#continue").await;
    browser.wait_url(|u| u.ends_with("from=vendor")).await;

    let status: Value = s
        .get_auth(
            &format!(
                "/authentication/api/v1/systemuser/request/vendor/{}",
                created["id"].as_str().unwrap()
            ),
            &token("altinn:authentication/systemuser.request.read"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "Accepted");
    browser.quit().await;
    s.stop().await;
    std::fs::remove_dir_all(cert_dir).ok();
}
