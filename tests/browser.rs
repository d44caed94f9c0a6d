//! The pages in a real browser (headless chromium): from tilgang's start page through the
//! embedded ID-porten log-in and back, then log-out.

mod common;

use common::browser::Browser;
use common::{Engine, TestServer};

#[tokio::test]
async fn log_in_with_idporten_from_the_start_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let s = TestServer::start(Engine::Sqlite).await;

    browser.goto(&s.url("/")).await;
    let home = browser.source().await;
    assert!(
        home.contains("Testinstans"),
        "the test banner is shown: {home}"
    );
    browser
        .click_link("Logg inn (ID-porten eller Ansattporten)")
        .await;
    browser.wait_url(|u| u.ends_with("/auth/session")).await;
    browser.click_link("Logg inn med ID-porten").await;
    browser
        .wait_url(|u| u.contains("/idporten/authorize"))
        .await;
    browser.wait_text("Velg en testperson").await;
    browser.screenshot("idporten-login").await;

    // A wrong number first: the page says why and stays.
    browser.type_into("#pid-input", "01818520031").await;
    browser.click_css("button[value=custom]").await;
    browser.wait_text("Ugyldig fødselsnummer").await;

    browser.click_css("button[value=\"05827536549\"]").await;
    browser.wait_url(|u| u.ends_with("/auth/session")).await;
    browser.wait_text("person-name").await;
    assert_eq!(browser.text_of("#person-name").await, "Kari Fjellheim");
    browser.screenshot("logged-in").await;

    browser
        .click_css("form[action=\"/auth/logout\"] button")
        .await;
    let home = s.url("/");
    browser.wait_url(|u| u == home).await;
    browser.goto(&s.url("/auth/session")).await;
    browser.wait_text("Du er ikke logget inn").await;

    browser.quit().await;
    s.stop().await;
}

#[tokio::test]
async fn the_language_switch_keeps_the_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let s = TestServer::start(Engine::Sqlite).await;
    browser.goto(&s.url("/auth/login/idporten")).await;
    browser.wait_text("Velg en testperson").await;
    let at_provider = browser.url().await;
    browser.click_link("English").await;
    browser.wait_text("Choose a test person").await;
    assert_eq!(
        browser.url().await,
        at_provider,
        "the same log-in page, its request intact"
    );
    browser.click_link("Norsk (bokmål)").await;
    browser.wait_text("Velg en testperson").await;
    browser.quit().await;
    s.stop().await;
}

/// The seed's story in the browser: the vendor's confirmUrl, log-in through ID-porten, the
/// request page, approval, the receipt, and back at the vendor's redirect URL.
#[tokio::test]
async fn approve_a_system_user_request_in_the_browser() {
    use serde_json::{Value, json};
    let Some(browser) = Browser::start().await else {
        return;
    };
    let s = TestServer::start(Engine::Sqlite).await;
    let vendor = "317219253";
    let back = s.url("/auth/session?from=vendor");
    let register = s
        .enterprise_token(vendor, "altinn:authentication/systemregister.write")
        .await;
    let system = json!({"id": format!("{vendor}_nettleser"), "vendor": {"ID": format!("0192:{vendor}")},
        "name": {"nb": "Lønn Direkte", "nn": "Løn Direkte", "en": "Payroll Direct"},
        "description": {"nb": "Sender lønnsopplysninger", "nn": "Sender lønsopplysningar", "en": "Sends payroll data"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "allowedRedirectUrls": [back]});
    assert_eq!(
        s.post_json(
            "/authentication/api/v1/systemregister/vendor",
            &register,
            &system
        )
        .await
        .status(),
        200
    );
    let requester = s
        .enterprise_token(vendor, "altinn:authentication/systemuser.request.write")
        .await;
    let request = json!({"systemId": format!("{vendor}_nettleser"), "partyOrgNo": "315287138",
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}], "redirectUrl": back});
    let created: Value = s
        .post_json(
            "/authentication/api/v1/systemuser/request/vendor",
            &requester,
            &request,
        )
        .await
        .json()
        .await
        .unwrap();
    let confirm = created["confirmUrl"].as_str().unwrap().to_owned();

    browser.goto(&confirm).await;
    browser
        .wait_url(|u| u.contains("/idporten/authorize"))
        .await;
    browser.click_css("button[value=\"05827536549\"]").await;
    browser.wait_text("Forespørsel om systemtilgang").await;
    assert_eq!(browser.text_of("#system-name").await, "Lønn Direkte");
    assert!(browser.source().await.contains("Krav og betalinger"));
    browser.screenshot("approval-request").await;
    browser.click_css("button[value=approve]").await;
    browser.wait_text("Systemtilgangen er godkjent").await;
    browser.screenshot("approval-receipt").await;
    browser.wait_url(|u| u.ends_with("from=vendor")).await;

    let status: Value = s
        .get_auth(
            &format!(
                "/authentication/api/v1/systemuser/request/vendor/{}",
                created["id"].as_str().unwrap()
            ),
            &s.enterprise_token(vendor, "altinn:authentication/systemuser.request.read")
                .await,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "Accepted");
    browser.quit().await;
    s.stop().await;
}
