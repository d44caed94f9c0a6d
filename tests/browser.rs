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
