//! The pages in a real browser (headless chromium): from tilgang's start page through the
//! embedded ID-porten log-in and back, then log-out.

use crate::common;

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
    browser.assert_accessible("the embedded ID-porten").await;
    browser.screenshot("idporten-login").await;

    // A wrong number first: the page says why and stays.
    browser.type_into("#pid-input", "01818520031").await;
    browser.click_css("button[value=custom]").await;
    browser.wait_text("Ugyldig fødselsnummer").await;
    browser
        .assert_accessible("the embedded ID-porten after a typo")
        .await;

    browser.click_css("button[value=\"05827536549\"]").await;
    browser.wait_url(|u| u.ends_with("/auth/session")).await;
    browser.wait_text("person-name").await;
    assert_eq!(browser.text_of("#person-name").await, "Kari Fjellheim");
    browser.assert_accessible("the session page").await;
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

    // On a page that answered a form (a typo in the number), the switch keeps the step: the
    // log-in page again, in English, not a GET of the form's POST-only address.
    browser.type_into("#pid-input", "01818520031").await;
    browser.click_css("button[value=custom]").await;
    browser.wait_text("Ugyldig fødselsnummer").await;
    assert!(
        browser.url().await.ends_with("/authorize/login"),
        "answered by the form's address"
    );
    browser.click_link("English").await;
    browser.wait_text("Choose a test person").await;
    assert!(
        browser.url().await.contains("/idporten/authorize?"),
        "{}",
        browser.url().await
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
    browser.assert_accessible("the request page").await;
    browser.screenshot("approval-request").await;
    // Nothing scrolls sideways on the narrowest phone (WCAG 1.4.10), long ids included.
    browser.resize(320, 700).await;
    browser
        .assert_accessible("the request page at 320 px")
        .await;
    browser.screenshot("approval-request-320").await;
    browser.resize(1200, 900).await;
    browser.click_css("button[value=approve]").await;
    browser.wait_text("Systemtilgangen er godkjent").await;
    browser.assert_accessible("the receipt").await;
    browser.screenshot("approval-receipt").await;
    // The receipt stays until the person goes on (WCAG 2.2.1: no page leaves by itself).
    browser.click_css("#continue").await;
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

/// The seed story "Create user in Altinn Studio", as a new user would try it, in the local
/// profile: start page → "Opprett ny bruker" → Ansattporten → form with captcha → the mail in
/// the outbox → activation link → authorise Altinn Studio → empty dashboard; an expired link
/// and a re-login lead to resend; the operator creates a service-owner organisation with the
/// user's colleague as administrator, who adds the user to Devs; the organisation with its
/// environments shows on the user's dashboard.
#[tokio::test]
async fn create_a_user_in_altinn_studio() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = TestServer::start(Engine::Sqlite).await;
    let sign_up = |pid: &'static str, name: &'static str, email: &'static str| {
        let b = &b;
        let s = &s;
        async move {
            b.goto(&s.url("/studio/")).await;
            b.assert_accessible("Studio's start page").await;
            b.click_link("Opprett ny bruker").await;
            b.wait_text("bare registreres gjennom Ansattporten").await;
            b.click_link("Logg inn med Ansattporten").await;
            b.wait_url(|u| u.contains("/ansattporten/authorize")).await;
            b.click_css(&format!("button[value=\"{pid}\"]")).await;
            b.wait_url(|u| u.ends_with("/studio/user/link_account"))
                .await;
            b.type_into("#user_name", name).await;
            b.type_into("#email", email).await;
            b.type_into("#password", "Sterkt-Passord1").await;
            b.type_into("#retype", "Sterkt-Passord1").await;
            b.wait_text("data-state=\"verified\"").await;
            b.assert_accessible("Studio's registration form").await;
            b.screenshot("studio-sign-up").await;
            b.click_css("#signup-submit").await;
            b.wait_text("Aktiver kontoen din").await;
            assert!(b.source().await.contains(email));
            // Post/redirect/get: reloading the page shows it again, and sends nothing again.
            let here = b.url().await;
            assert!(
                here.ends_with("/studio/user/activate?notice=sent"),
                "{here}"
            );
            b.goto(&here).await;
            b.wait_text("Aktiver kontoen din").await;
            b.assert_accessible("the activation page").await;
            assert!(!b.source().await.contains("utløpt"));
        }
    };
    let open_newest_mail = || async {
        b.goto(&s.url("/dev/mail")).await;
        b.assert_accessible("the outbox").await;
        b.click_link("Aktiver kontoen din i Altinn Studio / Please activate your account")
            .await;
        b.wait_text("activate?code=").await;
        b.assert_accessible("a mail in the outbox").await;
        b.click_css("#body a").await;
    };

    // Kari signs up, activates and authorises Altinn Studio.
    sign_up("05827536549", "kari", "kari@example.no").await;
    open_newest_mail().await;
    b.wait_text("Kontoen er aktivert").await;
    b.click_css("#continue").await;
    b.wait_text("tilgang til kontoen din").await;
    b.assert_accessible("Studio's consent page").await;
    b.screenshot("studio-consent").await;
    b.click_css("#authorize").await;
    b.wait_url(|u| u.ends_with("/studio/dashboard")).await;
    b.wait_text("Du har ingen applikasjoner ennå").await;
    b.assert_accessible("Studio's dashboard").await;
    b.screenshot("studio-empty-dashboard").await;
    b.click_link("Logg ut").await;
    b.click_css("#logout").await;
    b.wait_url(|u| u.ends_with("/studio/")).await;

    // Anders signs up, but opens the link too late; logging in again offers a new one.
    sign_up("28878205660", "anders", "anders@example.no").await;
    s.clock.advance(std::time::Duration::from_secs(181 * 60));
    open_newest_mail().await;
    b.wait_text("Bekreftelseskoden er ugyldig eller utløpt")
        .await;
    b.click_link("Logg inn med Ansattporten").await;
    b.click_css("button[value=\"28878205660\"]").await;
    b.wait_url(|u| u.ends_with("/studio/user/activate")).await;
    b.click_css("#resend").await;
    b.wait_text("En bekreftelse er sendt til anders@example.no")
        .await;
    open_newest_mail().await;
    b.wait_text("Kontoen er aktivert").await;

    // The operator creates the service owner with Anders as its administrator.
    b.goto(&s.url("/admin/studio")).await;
    b.click_css("button[value=\"14836835388\"]").await;
    b.wait_url(|u| u.ends_with("/admin/studio")).await;
    b.assert_accessible("the operator's Studio page").await;
    b.type_into("#name", "fjellbekk").await;
    b.type_into("#full_name", "Fjellbekk Bakeri AS").await;
    b.type_into("#org_number", "315287138").await;
    b.click_css("#service_owner").await;
    b.type_into("#admin", "anders").await;
    b.click_css("#create").await;
    b.wait_text("Organisasjonen fjellbekk er opprettet").await;

    // Anders adds Kari to Devs.
    b.goto(&s.url("/studio/org/fjellbekk/teams/devs")).await;
    b.type_into("#uname", "kari").await;
    b.click_css("#add-member").await;
    b.wait_text("kari er lagt til i Devs").await;
    b.assert_accessible("a Studio team").await;
    b.screenshot("studio-team").await;
    b.goto(&s.url("/studio/logout")).await;
    b.click_css("#logout").await;
    b.wait_url(|u| u.ends_with("/studio/")).await;

    // Kari logs in again: the organisation and its environments are on her dashboard.
    b.goto(&s.url("/studio/user/login")).await;
    b.click_link("Logg inn med Ansattporten").await;
    b.click_css("button[value=\"05827536549\"]").await;
    b.wait_url(|u| u.ends_with("/studio/dashboard")).await;
    b.wait_text("data-org=\"fjellbekk\"").await;
    let envs = b.text_of("tr[data-org=fjellbekk] .envs").await;
    assert!(
        envs.contains("tt02") && envs.contains("production"),
        "{envs}"
    );
    assert!(
        b.text_of("tr[data-org=fjellbekk] .can")
            .await
            .contains("lage applikasjoner")
    );
    b.screenshot("studio-dashboard-with-org").await;

    b.quit().await;
    s.stop().await;
}

/// A system user's own page at Altinn's path, at desktop and phone widths: reached from the
/// overview (the old address redirects), its facts in words, a rename that fails at the field
/// and then succeeds, and a delete behind a confirmation step; every page passes axe-core's
/// WCAG 2.1 A/AA rules and fits the window's width.
#[tokio::test]
async fn a_system_user_has_a_page_to_rename_and_delete_it() {
    use crate::system_users::{
        BAKERY, KARI, party_id, person_token, request_body, vendor_with_system,
    };
    for width in [1280, 390] {
        let Some(b) = Browser::at_width(width).await else {
            return;
        };
        let s = TestServer::start(Engine::Sqlite).await;
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let created: serde_json::Value = s
            .post_json(
                "/authentication/api/v1/systemuser/request/vendor",
                &mp,
                &request_body(BAKERY),
            )
            .await
            .json()
            .await
            .unwrap();
        let su = created["id"].as_str().unwrap().to_owned();
        let party = party_id(&s, BAKERY).await;
        let approve = format!("/authentication/api/v1/systemuser/request/{party}/{su}/approve");
        let res = s
            .client
            .post(s.url(&approve))
            .bearer_auth(person_token(&s, KARI).await)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let checked = |page: &'static str| {
            let b = &b;
            async move { b.assert_accessible(&format!("{page} at {width} px")).await }
        };

        // The address of earlier versions leads to the overview, through the log-in.
        b.goto(&s.url(&format!(
            "/accessmanagement/ui/systemuser/overview?org={BAKERY}"
        )))
        .await;
        b.wait_url(|u| u.contains("/idporten/authorize")).await;
        b.click_css(&format!("button[value=\"{KARI}\"]")).await;
        b.wait_url(|u| u.contains("/accessmanagement/ui/systemuser/overview?org="))
            .await;
        b.wait_text("kunde-315287138").await;
        checked("the overview").await;
        b.click_css("a.detail").await;
        b.wait_url(|u| u.contains(&format!("/accessmanagement/ui/systemuser/{su}?org=")))
            .await;
        b.wait_text("Organisasjonsnummer").await;
        assert_eq!(b.text_of("#external-ref").await, "kunde-315287138");
        assert!(b.text_of("#vendor").await.ends_with("(317 219 253)"));
        assert!(b.text_of("#created").await.ends_with("UTC"));
        assert!(b.source().await.contains("315 287 138"));
        checked("the detail page").await;
        b.screenshot(&format!("portal-system-user-{width}")).await;

        // An empty name is said at the field, and nothing changes.
        b.clear("#title").await;
        b.click_css("#rename").await;
        b.wait_text("<title>Feil:").await;
        assert!(b.text_of("#title-error").await.contains("Skriv et navn"));
        checked("the rename error").await;
        b.type_into("#title", "Lønn for bakeriet").await;
        b.click_css("#rename").await;
        b.wait_text("Navnet er endret.").await;
        assert!(b.text_of("#name").await.starts_with("Lønn for bakeriet"));

        // Delete: a confirmation step that says what stops, then a message.
        b.click_css("a.delete").await;
        b.wait_text("Slette systemtilgangen?").await;
        checked("the delete confirmation").await;
        b.click_css("#confirm-delete").await;
        b.wait_text("Systemtilgangen er slettet.").await;
        assert!(!b.source().await.contains("Lønn for bakeriet"));
        b.quit().await;
        s.stop().await;
    }
}

/// Without JavaScript a person signs up through the image captcha's text alternative (the
/// question in words), after a wrong answer that is said at the captcha.
#[tokio::test]
async fn sign_up_for_studio_without_javascript() {
    let Some(b) = Browser::start_with(&["--blink-settings=scriptEnabled=false"]).await else {
        return;
    };
    let s = TestServer::start(Engine::Sqlite).await;
    b.goto(&s.url("/studio/user/sign_up")).await;
    b.click_link("Logg inn med Ansattporten").await;
    b.wait_url(|u| u.contains("/ansattporten/authorize")).await;
    b.click_css("button[value=\"05827536549\"]").await;
    b.wait_url(|u| u.ends_with("/studio/user/link_account"))
        .await;
    b.wait_text("Nettleseren din kjører ikke JavaScript").await;
    // (axe-core needs scripts, so this view is checked by its markup only: the form's own
    // test runs axe on the same page with scripts.)
    // The image is there and is an image.
    let page = b.source().await;
    let src = page
        .split("src=\"/studio/captcha/image/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the captcha image");
    let image = s.get(&format!("/studio/captcha/image/{src}")).await;
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    let fill = |answer: String| {
        let b = &b;
        async move {
            b.type_into("#user_name", "kari").await;
            b.type_into("#email", "kari@example.no").await;
            b.type_into("#password", "Sterkt-Passord1").await;
            b.type_into("#retype", "Sterkt-Passord1").await;
            b.type_into("#captcha_text", &answer).await;
            b.click_css("#signup-submit").await;
        }
    };
    fill("0".into()).await;
    b.wait_text("Feil: Registrer konto").await;
    assert!(b.text_of("#captcha-error").await.contains("ikke bestått"));
    // The question in words, answered in digits.
    let question = b.text_of("#captcha-question").await;
    let words = [
        "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni",
    ];
    let terms: Vec<usize> = question
        .trim_end_matches('?')
        .split_whitespace()
        .filter_map(|w| words.iter().position(|x| *x == w).map(|i| i + 1))
        .collect();
    assert_eq!(terms.len(), 2, "{question}");
    b.clear("#user_name").await;
    b.clear("#email").await;
    fill((terms[0] + terms[1]).to_string()).await;
    b.wait_text("Aktiver kontoen din").await;
    b.quit().await;
    s.stop().await;
}

/// Runs a vendor script of the README (`examples/<script>`) against `s`.
/// The script runs on a thread of its own, so that the server keeps answering it.
/// The test server's clock stands still unless moved; the script signs with the wall clock, so
/// the server's clock is brought up to it first.
async fn run_script(
    s: &TestServer,
    script: &str,
    state: &std::path::Path,
    step: &str,
) -> (bool, String) {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as i64;
    if let Ok(behind) = u64::try_from(wall - s.clock.now()) {
        s.clock.advance(std::time::Duration::from_micros(behind));
    }
    let mut command = std::process::Command::new("python3");
    command
        .arg(format!("{}/examples/{script}", env!("CARGO_MANIFEST_DIR")))
        .args(["--base", &s.base, "--state"])
        .arg(state)
        .arg(step);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the script's thread")
        .expect("python3 runs the vendor script");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

engine_tests! {
    /// Issue 15's story as a new user tries it: the vendor's script asks for a system user for
    /// the bakery, which its daglig leder approves; then for a change (one right more, one
    /// package less). At the change's confirmUrl she sees exactly that difference, approves and
    /// lands on the vendor's redirect; the vendor reads `Accepted`, the system user holds the new
    /// set, and its token still works.
    async fn a_change_request_from_the_vendor_script_to_the_new_set_in_the_browser(engine: Engine) {
        let Some(b) = Browser::start().await else {
            return;
        };
        let s = TestServer::start(engine).await;
        let state = std::env::temp_dir().join(format!("tilgang-vendor-{}", uuid::Uuid::new_v4()));
        let confirm_of = |out: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix("confirmUrl: "))
                .expect("the script prints the confirmUrl")
                .to_owned()
        };
        let (ok, out) = run_script(&s, "vendor_change.py", &state, "request").await;
        assert!(ok, "{out}");
        b.goto(&confirm_of(&out)).await;
        b.wait_url(|u| u.contains("/idporten/authorize")).await;
        b.click_css("button[value=\"05827536549\"]").await;
        b.wait_text("Forespørsel om systemtilgang").await;
        b.click_css("button[value=approve]").await;
        b.wait_text("Systemtilgangen er godkjent").await;

        let (ok, out) = run_script(&s, "vendor_change.py", &state, "change").await;
        assert!(ok, "{out}");
        let confirm = confirm_of(&out);
        assert!(confirm.contains("/accessmanagement/ui/systemuser/changerequest?id="), "{confirm}");
        b.goto(&confirm).await;
        b.wait_text("Endring av systemtilgang").await;
        let held = b.text_of("#held").await;
        assert!(held.contains("Krav og betalinger") && held.contains("Skattegrunnlag"), "{held}");
        let added = b.text_of("#added").await;
        assert!(added.contains("Innrapportering av a-melding") && !added.contains("Krav"), "{added}");
        let removed = b.text_of("#removed").await;
        assert!(removed.contains("Skattegrunnlag") && !removed.contains("a-melding"), "{removed}");
        b.assert_accessible("change-request").await;
        b.screenshot("change-request").await;
        b.click_css("button[value=approve]").await;
        b.wait_text("Endringen er godkjent").await;
        b.click_css("#continue").await;
        b.wait_url(|u| u.ends_with("from=vendor")).await;

        let (ok, out) = run_script(&s, "vendor_change.py", &state, "status").await;
        assert!(ok && out.trim() == "Accepted", "{out}");
        let (ok, out) = run_script(&s, "vendor_change.py", &state, "holds").await;
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            ["right ske-krav-og-betalinger", "right ske-innrapportering-amelding"],
            "{ok} {out}"
        );
        let (ok, out) = run_script(&s, "vendor_change.py", &state, "token").await;
        assert!(ok && out.contains("system-user token for") && out.contains("0192:315287138"), "{out}");

        b.quit().await;
        s.stop().await;
        let _ = std::fs::remove_dir_all(&state);
    }

    /// Issue 14's story as a new user tries it: the vendor's script asks for an agent system
    /// user for the demo accounting firm; its daglig leder logs in at the confirmUrl, approves,
    /// opens the system user, finds three clients by search and adds them; the vendor fetches
    /// an agent token and lists the clients; removing a client and deleting the agent show at
    /// once in both.
    async fn a_client_system_from_request_to_clients_in_the_browser(engine: Engine) {
        let Some(b) = Browser::start().await else {
            return;
        };
        let s = TestServer::start(engine).await;
        let state = std::env::temp_dir().join(format!("tilgang-vendor-{}", uuid::Uuid::new_v4()));
        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "request").await;
        assert!(ok, "{out}");
        let confirm = out
            .lines()
            .find_map(|l| l.strip_prefix("confirmUrl: "))
            .expect("the script prints the confirmUrl")
            .to_owned();
        assert!(confirm.contains("/accessmanagement/ui/systemuser/agentrequest?id="), "{confirm}");

        b.goto(&confirm).await;
        b.wait_url(|u| u.contains("/idporten/authorize")).await;
        b.click_css("button[value=\"24827748486\"]").await;
        b.wait_text("Forespørsel om systemtilgang for klienter").await;
        assert!(b.source().await.contains("Klientregnskap"));
        b.assert_accessible("agent-request").await;
        b.screenshot("agent-request").await;
        b.click_css("button[value=approve]").await;
        b.wait_text("Systemtilgangen er godkjent").await;
        b.click_css("#continue").await;
        b.wait_url(|u| u.ends_with("from=vendor")).await;
        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "status").await;
        assert!(ok && out.trim() == "Accepted", "{out}");

        b.goto(&s.url("/accessmanagement/ui/systemuser/overview?org=313564363")).await;
        b.click_css("a.manage-clients").await;
        b.wait_text("Ingen klienter er lagt til ennå.").await;
        b.click_css("#add-clients").await;
        for name in ["Fjellbekk Bakeri AS", "Havbris Sjømat AS", "Solvang Tannklinikk AS"] {
            let word = name.split(' ').next().unwrap_or_default();
            b.clear("#search").await;
            b.type_into("#search", word).await;
            b.click_css("form[role=search] button").await;
            b.wait_url(|u| u.contains("search=")).await;
            b.wait_text(name).await;
            b.click_css(&format!("button[aria-label=\"Legg til {name}\"]")).await;
            b.wait_text("Klienten er lagt til").await;
            // Back on the same list (post/redirect/get), the client marked as added.
            assert!(b.url().await.contains("done=added"));
            b.wait_text("(lagt til)").await;
        }
        b.assert_accessible("agent-add-clients").await;
        b.screenshot("agent-add-clients").await;
        b.click_link("Tilbake til systemtilgangen").await;
        b.wait_text("Solvang Tannklinikk AS").await;
        let page = b.source().await;
        assert!(page.contains("Fjellbekk Bakeri AS") && page.contains("Havbris Sjømat AS"));
        b.assert_accessible("agent-clients").await;
        b.screenshot("agent-clients").await;

        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "token").await;
        assert!(ok && out.contains("agent token for system user") && out.contains("0192:313564363"), "{out}");
        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "clients").await;
        assert!(ok && out.contains("3 clients") && out.contains("315287138  Fjellbekk Bakeri AS"), "{out}");

        // A client is removed, after a confirmation; the vendor sees it at once.
        b.click_css("a[aria-label=\"Fjern Havbris Sjømat AS\"]").await;
        b.wait_text("Fjerne klienten?").await;
        b.click_css("form[action$=\"/agentdelegation/remove\"] button").await;
        b.wait_text("Klienten er fjernet").await;
        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "clients").await;
        assert!(ok && out.contains("2 clients") && !out.contains("Havbris"), "{out}");

        // "Legg til alle": every eligible client at once, and the page says how many.
        b.wait_text("Klienten er fjernet").await;
        b.assert_accessible("agent-clients-after-remove").await;
        b.click_css("#add-clients").await;
        b.wait_text("id=\"add-all\"").await;
        b.click_css("#add-all").await;
        b.wait_text("klienter er lagt til.").await;
        assert!(b.source().await.contains("Havbris Sjømat AS"), "added again");
        b.assert_accessible("agent-clients-after-add-all").await;

        // The agent is deleted in the portal: its clients go with it, and the vendor's token
        // and lists say so.
        b.goto(&s.url("/accessmanagement/ui/systemuser/overview?org=313564363")).await;
        b.click_css("a.delete").await;
        b.wait_text("Slette systemtilgangen?").await;
        assert!(b.source().await.contains("Klientene fjernes sammen med systemtilgangen."));
        b.click_css("#confirm-delete").await;
        b.wait_gone("manage-clients").await;
        b.wait_text("Systemtilganger").await;
        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "clients").await;
        assert!(!ok && out.contains("AUTH.VLD-00014"), "{out}");
        let (ok, out) = run_script(&s, "vendor_agent.py", &state, "token").await;
        assert!(!ok && out.contains("invalid_altinn_customer_configuration") && out.contains("MP-303"), "{out}");
        b.quit().await;
        s.stop().await;
        let _ = std::fs::remove_dir_all(&state);
    }
}

/// Studio's account settings as a person uses them, at desktop and phone widths: the log-in
/// page (a wrong password said in an error summary, and a "forgot password" link), the profile
/// with a wrong website said at its field, the public profile, a wrong current password at the
/// password form, the sessions list, and a forgotten password reset through the mailed link;
/// every page passes axe-core and fits the window.
#[tokio::test]
async fn manage_a_studio_account_in_the_browser() {
    use crate::studio::{PASSWORD, new_user, server_with_smtp};
    for width in [1280, 390] {
        let Some(b) = Browser::at_width(width).await else {
            return;
        };
        let (s, sink) = server_with_smtp(Engine::Sqlite).await;
        new_user(&s, &sink, "05827536549", "kari", "kari@example.no").await;
        s.clock.advance(std::time::Duration::from_secs(181));
        let checked = |page: &'static str| {
            let b = &b;
            async move { b.assert_accessible(&format!("{page} at {width} px")).await }
        };

        b.goto(&s.url("/studio/user/login?redirect_to=/studio/user/settings"))
            .await;
        checked("Studio's log-in page").await;
        b.type_into("#user_name", "kari").await;
        b.type_into("#password", "feil").await;
        b.click_css("form[action='/studio/user/login'] button")
            .await;
        b.wait_text("<title>Feil: Logg inn").await;
        assert!(
            b.text_of("#error-summary")
                .await
                .contains("Brukernavnet eller passordet er feil.")
        );
        checked("the log-in page after a wrong password").await;
        b.type_into("#password", PASSWORD).await;
        b.click_css("form[action='/studio/user/login'] button")
            .await;
        b.wait_url(|u| u.ends_with("/studio/user/settings")).await;
        checked("the profile settings").await;

        b.type_into("#website", "digdir.no").await;
        b.click_css("form[action='/studio/user/settings'] button")
            .await;
        b.wait_text("<title>Feil: Profil").await;
        assert!(b.text_of("#website-error").await.contains("https://"));
        checked("the profile settings with a wrong website").await;
        b.clear("#website").await;
        b.type_into("#website", "https://digdir.no").await;
        b.type_into("#location", "Oslo").await;
        b.click_css("form[action='/studio/user/settings'] button")
            .await;
        b.wait_text("Profilen er lagret.").await;
        b.screenshot(&format!("studio-settings-profile-{width}"))
            .await;
        b.click_link("Se den offentlige profilen din").await;
        b.wait_url(|u| u.ends_with("/studio/kari")).await;
        assert_eq!(b.text_of("#profile-location").await, "Oslo");
        checked("the public profile").await;

        b.goto(&s.url("/studio/user/settings/account")).await;
        checked("the account settings").await;
        b.type_into("#current_password", "feil").await;
        b.type_into("#password", "Nytt-Passord2").await;
        b.type_into("#retype", "Nytt-Passord2").await;
        b.click_css("#password-form button").await;
        b.wait_text("<title>Feil: Konto").await;
        assert_eq!(
            b.text_of("#current_password-error").await,
            "Passordet er feil."
        );
        checked("the account settings with a wrong password").await;

        b.click_link("Aktive økter").await;
        b.wait_url(|u| u.ends_with("/studio/user/settings/sessions"))
            .await;
        b.wait_text("Denne økten").await;
        checked("the sessions").await;
        b.screenshot(&format!("studio-settings-sessions-{width}"))
            .await;
        // Logging out this browser's own session is a log-out.
        b.click_css("#sessions button").await;
        b.wait_url(|u| u.ends_with("/studio/")).await;

        // Forgotten password: the mailed link, a new password, and a log-in with it.
        let before = sink.mails.lock().expect("lock").len();
        b.goto(&s.url("/studio/user/login")).await;
        b.click_link("Glemt passordet?").await;
        b.wait_url(|u| u.ends_with("/studio/user/forgot_password"))
            .await;
        checked("the forgot-password page").await;
        b.type_into("#who", "kari@example.no").await;
        b.click_css("form[action='/studio/user/forgot_password'] button")
            .await;
        b.wait_text("har vi sendt en e-post").await;
        checked("the forgot-password page after sending").await;
        let mails = sink.wait_for(before + 1).await;
        let link = mails[before]
            .body
            .split_whitespace()
            .find(|w| w.contains("/studio/user/recover_account?code="))
            .expect("a reset link")
            .to_owned();
        b.goto(&link).await;
        b.wait_text("Velg et nytt passord for kari.").await;
        checked("the new-password page").await;
        b.type_into("#password", "Nytt-Passord2").await;
        b.type_into("#retype", "Nytt-Passord2").await;
        b.click_css("form[action='/studio/user/recover_account'] button")
            .await;
        b.wait_text("Passordet er endret, og du er logget ut overalt.")
            .await;
        checked("the log-in page after a reset").await;
        b.type_into("#user_name", "kari").await;
        b.type_into("#password", "Nytt-Passord2").await;
        b.click_css("form[action='/studio/user/login'] button")
            .await;
        b.wait_url(|u| !u.contains("/studio/user/login")).await;
        b.quit().await;
        s.stop().await;
    }
}

/// The pages no other browser test walks through, at desktop, phone and the narrowest width
/// (320 px): the front page, the API documentation, Studio's start, log-in and forgot-password
/// pages, the "not found" page, the embedded ID-porten, Method B's system list, its search
/// error and its confirmation, the packages page and the overview. Each passes axe-core's WCAG
/// 2.1 A/AA rules and fits the window.
#[tokio::test]
async fn every_other_page_passes_axe_at_every_width() {
    use crate::system_users::{BAKERY, KARI, SYSTEM, vendor_with_system};
    for width in [1280, 390, 320] {
        let Some(b) = Browser::at_width(width).await else {
            return;
        };
        let s = TestServer::start(Engine::Sqlite).await;
        vendor_with_system(&s).await;
        let visit = |path: String, page: &'static str, text: &'static str| {
            let b = &b;
            let s = &s;
            async move {
                b.goto(&s.url(&path)).await;
                b.wait_text(text).await;
                b.assert_accessible(&format!("{page} at {width} px")).await;
            }
        };
        visit("/".into(), "the front page", "</main>").await;
        visit("/docs".into(), "the API documentation", "</main>").await;
        visit("/studio/".into(), "Studio's start page", "Ansattporten").await;
        visit(
            "/studio/user/login".into(),
            "Studio's log-in page",
            "Glemt passordet?",
        )
        .await;
        visit(
            "/studio/user/forgot_password".into(),
            "the forgot-password page",
            "Send lenke",
        )
        .await;
        visit(
            "/nothing-here".into(),
            "the not-found page",
            "Fant ikke siden",
        )
        .await;

        // Method B, through the embedded ID-porten.
        let create = format!("/accessmanagement/ui/systemuser/create?org={BAKERY}");
        b.goto(&s.url(&create)).await;
        b.wait_url(|u| u.contains("/idporten/authorize")).await;
        b.assert_accessible(&format!("the embedded ID-porten at {width} px"))
            .await;
        b.click_css(&format!("button[value=\"{KARI}\"]")).await;
        b.wait_url(|u| u.contains("/accessmanagement/ui/systemuser/create?org="))
            .await;
        b.wait_text("Regnskap Pluss").await;
        b.assert_accessible(&format!("Method B's system list at {width} px"))
            .await;
        visit(
            format!("{create}&search={}", "x".repeat(101)),
            "Method B's search error",
            "id=\"search-error\"",
        )
        .await;
        visit(
            format!("{create}&system={SYSTEM}"),
            "Method B's confirmation",
            "id=\"disclaimer\"",
        )
        .await;
        visit(
            format!("/accessmanagement/ui/systemuser/packages?org={BAKERY}"),
            "the packages page",
            "</main>",
        )
        .await;
        visit(
            format!("/accessmanagement/ui/systemuser/overview?org={BAKERY}"),
            "the overview",
            "Systemtilganger",
        )
        .await;
        if width == 320 {
            b.screenshot("portal-create-320").await;
        }
        b.quit().await;
        s.stop().await;
    }
}

/// Without JavaScript a person resets a forgotten password: the forms need no script.
#[tokio::test]
async fn reset_a_forgotten_password_without_javascript() {
    use crate::studio::{new_user, server_with_smtp};
    let Some(b) = Browser::start_with(&["--blink-settings=scriptEnabled=false"]).await else {
        return;
    };
    let (s, sink) = server_with_smtp(Engine::Sqlite).await;
    new_user(&s, &sink, "05827536549", "kari", "kari@example.no").await;
    s.clock.advance(std::time::Duration::from_secs(181));
    let before = sink.mails.lock().expect("lock").len();
    b.goto(&s.url("/studio/user/login")).await;
    b.click_link("Glemt passordet?").await;
    b.wait_url(|u| u.ends_with("/studio/user/forgot_password"))
        .await;
    b.click_css("form[action='/studio/user/forgot_password'] button")
        .await;
    b.wait_text("<title>Feil: Glemt passord").await;
    b.type_into("#who", "kari").await;
    b.click_css("form[action='/studio/user/forgot_password'] button")
        .await;
    b.wait_text("har vi sendt en e-post").await;
    let mails = sink.wait_for(before + 1).await;
    let link = mails[before]
        .body
        .split_whitespace()
        .find(|w| w.contains("/studio/user/recover_account?code="))
        .expect("a reset link")
        .to_owned();
    b.goto(&link).await;
    b.type_into("#password", "Nytt-Passord2").await;
    b.type_into("#retype", "Annet-Passord3").await;
    b.click_css("form[action='/studio/user/recover_account'] button")
        .await;
    b.wait_text("Passordene er ikke like.").await;
    b.type_into("#password", "Nytt-Passord2").await;
    b.type_into("#retype", "Nytt-Passord2").await;
    b.click_css("form[action='/studio/user/recover_account'] button")
        .await;
    b.wait_text("Passordet er endret, og du er logget ut overalt.")
        .await;
    b.type_into("#user_name", "kari").await;
    b.type_into("#password", "Nytt-Passord2").await;
    b.click_css("form[action='/studio/user/login'] button")
        .await;
    b.wait_url(|u| !u.contains("/studio/user/login")).await;
    b.quit().await;
    s.stop().await;
}
