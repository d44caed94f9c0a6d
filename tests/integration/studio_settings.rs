//! Studio account self-service over HTTP, on SQLite and PostgreSQL, with the mail delivered
//! over real SMTP to a listener: the public profile, a new password (other sessions end), a new
//! e-mail address confirmed by a mailed link, a forgotten password reset by a mailed link that
//! works once while it lives, and the sessions list with log-out per session.

use std::time::Duration;

use crate::common;
use crate::studio::{PASSWORD, new_user, open_studio, server_with_smtp};
use common::studio::{SmtpSink, Visitor};
use common::{Engine, input_value, location};

const KARI: &str = "05827536549";
const ANDERS: &str = "28878205660";
const NEW_PASSWORD: &str = "Nytt-Passord2";

/// Logs in with name and password; returns where the log-in sends the browser.
async fn password_login(v: &mut Visitor<'_>, name: &str, password: &str) -> (u16, String) {
    let (_, _, page) = v.open("/studio/user/login").await;
    let csrf = input_value(&page, "_csrf").expect("csrf");
    let res = v
        .post(
            "/studio/user/login",
            &[
                ("_csrf", &csrf),
                ("user_name", name),
                ("password", password),
            ],
        )
        .await;
    let status = res.status().as_u16();
    if res.status().is_redirection() {
        (status, location(&res))
    } else {
        (status, res.text().await.expect("body"))
    }
}

/// The link in a mail body that contains `path`.
fn link_in(body: &str, path: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains(path))
        .unwrap_or_else(|| panic!("a {path} link in the mail: {body}"))
        .to_owned()
}

/// Waits for the next mail after `seen` and returns it.
async fn next_mail(sink: &SmtpSink, seen: &mut usize) -> common::studio::Received {
    let mails = sink.wait_for(*seen + 1).await;
    *seen += 1;
    mails[*seen - 1].clone()
}

fn mail_count(sink: &SmtpSink) -> usize {
    sink.mails.lock().expect("lock").len()
}

/// Presses "confirm" on the page a link mailed to a new address opens.
async fn confirm_address(v: &mut Visitor<'_>, code: &str, email: &str) -> reqwest::Response {
    v.post(
        "/studio/user/activate_email",
        &[("code", code), ("email", email)],
    )
    .await
}

/// Asks for a password-reset mail for Kari on the forgot-password page; the status.
async fn ask_for_reset(v: &mut Visitor<'_>, csrf: &str) -> u16 {
    v.post(
        "/studio/user/forgot_password",
        &[("_csrf", csrf), ("who", "kari")],
    )
    .await
    .status()
    .as_u16()
}

/// Whether the visitor's account session still works (the settings page answers 200).
async fn signed_in(v: &mut Visitor<'_>) -> bool {
    v.get("/studio/user/settings").await.status() == 200
}

engine_tests! {
    async fn the_profile_is_checked_saved_and_public(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;

        let res = server.browser.get(server.url("/studio/user/settings")).send().await.expect("get");
        assert_eq!(location(&res), "/studio/user/login?redirect_to=/studio/user/settings");

        let (_, status, page) = kari.open("/studio/user/settings").await;
        assert_eq!(status, 200);
        assert!(page.contains("aria-current=\"page\""), "the sub-navigation marks the page");
        let csrf = input_value(&page, "_csrf").expect("csrf");

        // Every wrong field at once, each at its field, with the values kept.
        let long = "x".repeat(101);
        let res = kari
            .post(
                "/studio/user/settings",
                &[
                    ("_csrf", &csrf),
                    ("full_name", &long),
                    ("website", "javascript:alert(1)"),
                    ("location", "Oslo\u{202E}"),
                    ("description", "Utvikler"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.expect("body");
        assert!(page.contains("<title>Feil: Profil"), "{page}");
        assert!(page.contains("id=\"error-summary\""));
        for (id, text) in [
            ("full_name", "Kan ikke være lenger enn 100 tegn."),
            ("website", "Skriv en hel adresse som begynner med https://"),
            ("location", "kontrolltegn"),
        ] {
            assert!(page.contains(&format!("href=\"#{id}\"")), "{id} in the summary");
            assert!(page.contains(&format!("id=\"{id}-error\"")), "{id} at its field");
            assert!(page.contains(text), "{text}");
        }
        assert!(page.contains("value=\"Utvikler\""), "the typed values are kept");
        // Nothing changed.
        let api = kari.get("/studio/kari").await.text().await.expect("profile");
        assert!(!api.contains("Utvikler"));

        // A form without the session's token changes nothing.
        let res = kari
            .post("/studio/user/settings", &[("_csrf", "forged"), ("full_name", "Mallory")])
            .await;
        assert_eq!(res.status(), 403);

        let res = kari
            .post(
                "/studio/user/settings",
                &[
                    ("_csrf", &csrf),
                    ("full_name", " Kari Nordmann "),
                    ("website", "https://digdir.no"),
                    ("location", "Oslo"),
                    ("description", "Utvikler i <Digdir>"),
                ],
            )
            .await;
        assert_eq!(location(&res), "/studio/user/settings?done=profile");
        let (_, _, page) = kari.follow(res).await;
        assert!(page.contains("Profilen er lagret."));
        assert!(page.contains("value=\"Kari Nordmann\""), "{page}");

        // The public profile, to anyone: no e-mail address, the text escaped, the link safe.
        let anonymous = server.browser.get(server.url("/studio/kari")).send().await.expect("get");
        assert_eq!(anonymous.status(), 200);
        let profile = anonymous.text().await.expect("page");
        assert!(profile.contains("<h1>Kari Nordmann</h1>"), "{profile}");
        assert!(profile.contains("Utvikler i &#60;Digdir&#62;") || profile.contains("Utvikler i &lt;Digdir&gt;"), "{profile}");
        assert!(profile.contains("href=\"https://digdir.no\" rel=\"nofollow ugc noopener noreferrer\""));
        assert!(!profile.contains("kari@digdir.no"));
        assert!(!profile.contains("Rediger profilen"), "only the owner is offered to edit");
        let (_, _, own) = kari.open("/studio/kari").await;
        assert!(own.contains("Rediger profilen"));
        // The Gitea API shows what the profile says.
        let user: serde_json::Value = server
            .browser
            .get(server.url("/studio/api/v1/users/kari"))
            .basic_auth("kari", Some(PASSWORD))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(user["website"], "https://digdir.no");
        assert_eq!(user["location"], "Oslo");
        assert_eq!(user["full_name"], "Kari Nordmann");

        // Nobody by that name: the "not found" page for a browser, a problem for an API client.
        let res = server
            .browser
            .get(server.url("/studio/ingen-slik"))
            .header("accept", "text/html")
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 404);
        assert!(res.text().await.expect("page").contains("Fant ikke siden"));
        // The names of Studio's own pages cannot be taken by a user.
        let mut anders = Visitor::new(&server);
        let (_, _, page) = anders.ansattporten(ANDERS).await;
        let (_, status, page) = anders.sign_up(&page, "dashboard", "anders@digdir.no", PASSWORD, PASSWORD).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Brukernavnet er reservert."), "{page}");
    }
}

engine_tests! {
    async fn a_new_password_needs_the_old_one_and_ends_other_sessions(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        // Kari has authorised Altinn Studio (a grant with a refresh token).
        open_studio(&mut kari).await;
        let id = server.app.studio_account_named("kari").await.expect("store").expect("kari").id;
        assert_eq!(server.app.studio_grants_of(id).await.expect("grants").len(), 1);
        let mut seen = mail_count(&sink);
        let mut laptop = Visitor::new(&server);
        assert_eq!(password_login(&mut laptop, "kari", PASSWORD).await, (303, "/studio/login".into()));
        assert!(signed_in(&mut laptop).await);

        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        assert!(page.contains("kari@digdir.no"));
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let change = |current: &'static str, new: &'static str, retype: &'static str| {
            [("_csrf", csrf.clone()), ("current_password", current.into()), ("password", new.into()), ("retype", retype.into())]
        };
        // A wrong current password and a mismatch: both said, each at its field.
        let form = change("feil", NEW_PASSWORD, "Annet-Passord3");
        let res = kari.post("/studio/user/settings/account", &form.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.expect("body");
        assert!(page.contains("<title>Feil: Konto"));
        assert!(page.contains("id=\"current_password-error\"") && page.contains("Passordet er feil."), "{page}");
        assert!(page.contains("id=\"retype-error\"") && page.contains("Passordene er ikke like."));
        // A weak new password.
        let form = change(PASSWORD, "kort", "kort");
        let res = kari.post("/studio/user/settings/account", &form.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.expect("body").contains("Passordet må ha minst 8 tegn."));
        // Nothing changed: the old password still works, the laptop is still signed in.
        assert!(signed_in(&mut laptop).await);
        assert_eq!(password_login(&mut Visitor::new(&server), "kari", PASSWORD).await.0, 303);

        let before = kari.jar.get("i_like_gitea").cloned();
        let form = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
        let res = kari.post("/studio/user/settings/account", &form.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
        assert_eq!(location(&res), "/studio/user/settings/account?done=password");
        let (_, _, page) = kari.follow(res).await;
        assert!(page.contains("Passordet er endret."));
        assert!(signed_in(&mut kari).await, "this browser stays signed in (with a new session id)");
        assert_ne!(kari.jar.get("i_like_gitea").cloned(), before, "the session id is new");
        assert!(
            server.app.studio_grants_of(id).await.expect("grants").is_empty(),
            "every application must ask again"
        );
        assert!(!signed_in(&mut laptop).await, "the other session has ended");
        let (status, body) = password_login(&mut Visitor::new(&server), "kari", PASSWORD).await;
        assert_eq!(status, 200, "the old password no longer works");
        assert!(body.contains("Brukernavnet eller passordet er feil."));
        assert_eq!(password_login(&mut Visitor::new(&server), "kari", NEW_PASSWORD).await.0, 303);
        let notice = next_mail(&sink, &mut seen).await;
        assert_eq!(notice.to, "kari@digdir.no");
        assert!(notice.body.contains("passordet til kontoen din i Altinn Studio er endret"), "{}", notice.body);
        assert!(notice.body.contains("/studio/user/forgot_password"));
    }
}

engine_tests! {
    async fn a_new_address_is_taken_only_when_its_link_is_opened(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        new_user(&server, &sink, ANDERS, "anders", "anders@digdir.no").await;
        // Past the pause after the activation mail (one mail every three minutes per account).
        server.clock.advance(Duration::from_secs(181));
        let mut seen = mail_count(&sink);
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let post = |email: &'static str, password: &'static str| {
            [("_csrf", csrf.clone()), ("email", email.to_owned()), ("current_password", password.to_owned())]
        };
        for (email, password, field, text) in [
            ("ikke-en-adresse", PASSWORD, "new_email", "E-postadressen er ikke gyldig."),
            ("anders@digdir.no", PASSWORD, "new_email", "E-postadressen er allerede i bruk."),
            ("KARI@digdir.no", PASSWORD, "new_email", "Dette er allerede e-postadressen din."),
            ("kari@nav.no", "feil", "email_current_password", "Passordet er feil."),
            ("kari@nav.no", "", "email_current_password", "Feltet kan ikke være tomt."),
            // Only the account's owner learns that an address is taken.
            ("anders@digdir.no", "feil", "email_current_password", "Passordet er feil."),
        ] {
            let form = post(email, password);
            let res = kari
                .post("/studio/user/settings/account/email", &form.each_ref().map(|(k, v)| (*k, v.as_str())))
                .await;
            assert_eq!(res.status(), 422, "{email}");
            let page = res.text().await.expect("body");
            assert!(page.contains(&format!("id=\"{field}-error\"")) && page.contains(text), "{email}: {page}");
            assert!(page.contains(&format!("value=\"{email}\"")), "the typed address is kept");
        }
        assert_eq!(mail_count(&sink), seen, "no mail for a refused change");
        let form = post("anders@digdir.no", "feil");
        let res = kari
            .post("/studio/user/settings/account/email", &form.each_ref().map(|(k, v)| (*k, v.as_str())))
            .await;
        assert!(!res.text().await.expect("body").contains("allerede i bruk"));

        let form = post("kari@nav.no", PASSWORD);
        let res = kari
            .post("/studio/user/settings/account/email", &form.each_ref().map(|(k, v)| (*k, v.as_str())))
            .await;
        assert_eq!(location(&res), "/studio/user/settings/account?done=email_sent");
        // Two mails (delivered in either order): the link to the new address, and a heads-up to
        // the address in use, while nothing has changed yet.
        let mails = sink.wait_for(seen + 2).await[seen..].to_vec();
        seen += 2;
        let to = |address: &str| mails.iter().find(|m| m.to == address).cloned().expect(address);
        let link = link_in(&to("kari@nav.no").body, "/studio/user/activate_email?code=");
        let heads_up = to("kari@digdir.no");
        assert!(heads_up.body.contains("flytte kontoen din i Altinn Studio til e-postadressen kari@nav.no"), "{}", heads_up.body);
        // The account keeps its address until the link is opened.
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        assert!(page.contains("<strong id=\"current-email\">kari@digdir.no</strong>"));
        // A second request at once is held back (one mail every three minutes).
        let res = kari
            .post("/studio/user/settings/account/email", &form.each_ref().map(|(k, v)| (*k, v.as_str())))
            .await;
        assert_eq!(location(&res), "/studio/user/settings/account?done=email_limited");

        // The link with another address in it does not work.
        let mut phone = Visitor::new(&server);
        let tampered = link.replace("kari%40nav.no", "mallory%40evil.no");
        assert_ne!(tampered, link);
        let (_, status, page) = phone.open(&tampered).await;
        assert_eq!(status, 400);
        assert!(page.contains("Lenken virker ikke"));
        // Opened on another device, not signed in: a page asks to confirm (a mail scanner that
        // opens the link changes nothing), then the address changes and the old one is told.
        let (_, status, page) = phone.open(&link).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Kontoen kari skal bruke e-postadressen kari@nav.no."), "{page}");
        let (_, _, settings) = kari.open("/studio/user/settings/account").await;
        assert!(settings.contains("<strong id=\"current-email\">kari@digdir.no</strong>"));
        let code = input_value(&page, "code").expect("code");
        let email = input_value(&page, "email").expect("email");
        let res = confirm_address(&mut phone, &code, "mallory@evil.no").await;
        assert_eq!(res.status(), 400, "the code is bound to its address");
        let res = confirm_address(&mut phone, &code, &email).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.expect("page").contains("E-postadressen er endret"));
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        assert!(page.contains("<strong id=\"current-email\">kari@nav.no</strong>"));
        let notice = next_mail(&sink, &mut seen).await;
        assert_eq!(notice.to, "kari@digdir.no");
        assert!(notice.body.contains("kari@nav.no"));
        // Once only.
        let (_, status, _) = phone.open(&link).await;
        assert_eq!(status, 400);
        assert_eq!(confirm_address(&mut phone, &code, &email).await.status(), 400);
        // The new address logs in.
        assert_eq!(password_login(&mut Visitor::new(&server), "kari@nav.no", PASSWORD).await.0, 303);
    }
}

engine_tests! {
    async fn a_forgotten_password_is_reset_by_a_link_that_works_once(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        server.clock.advance(Duration::from_secs(181));
        let mut seen = mail_count(&sink);
        let mut stranger = Visitor::new(&server);
        let (_, _, login) = stranger.open("/studio/user/login").await;
        assert!(login.contains("href=\"/studio/user/forgot_password\""));
        let (_, status, page) = stranger.open("/studio/user/forgot_password").await;
        assert_eq!(status, 200);
        let csrf = input_value(&page, "_csrf").expect("csrf");

        // Empty: said at the field. A forged form: refused.
        let res = stranger.post("/studio/user/forgot_password", &[("_csrf", &csrf), ("who", " ")]).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.expect("body").contains("id=\"who-error\""));
        let res = stranger.post("/studio/user/forgot_password", &[("_csrf", "forged"), ("who", "kari")]).await;
        assert_eq!(res.status(), 403);

        // Unknown and known accounts get the same answer; only the known one gets a mail.
        let res = stranger
            .post("/studio/user/forgot_password", &[("_csrf", &csrf), ("who", "ingen@digdir.no")])
            .await;
        assert_eq!(location(&res), "/studio/user/forgot_password?notice=sent");
        let (_, _, unknown) = stranger.follow(res).await;
        let res = stranger
            .post("/studio/user/forgot_password", &[("_csrf", &csrf), ("who", "Kari@Digdir.no")])
            .await;
        assert_eq!(location(&res), "/studio/user/forgot_password?notice=sent");
        let (_, _, known) = stranger.follow(res).await;
        assert_eq!(unknown, known);
        assert!(known.contains("Den virker i 1 time"), "the reset link's own lifetime: {known}");
        let mail = next_mail(&sink, &mut seen).await;
        assert_eq!(mail.to, "kari@digdir.no");
        let link = link_in(&mail.body, "/studio/user/recover_account?code=");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(mail_count(&sink), seen, "nothing went to the unknown address");

        // Someone guessing locked the account meanwhile; the reset lifts the lock.
        for _ in 0..10 {
            password_login(&mut Visitor::new(&server), "kari", "feil").await;
        }
        assert_eq!(password_login(&mut Visitor::new(&server), "kari", PASSWORD).await.0, 429);
        // The link opens a form; a weak password is said at its field and the link still works.
        let (_, status, page) = stranger.open(&link).await;
        assert_eq!(status, 200);
        assert!(page.contains("Velg et nytt passord for kari."));
        let code = input_value(&page, "code").expect("code");
        let res = stranger
            .post("/studio/user/recover_account", &[("code", &code), ("password", "kort"), ("retype", "kort")])
            .await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.expect("body");
        assert!(page.contains("<title>Feil: Velg nytt passord") && page.contains("id=\"password-error\""));
        let res = stranger
            .post("/studio/user/recover_account", &[("code", &code), ("password", NEW_PASSWORD), ("retype", NEW_PASSWORD)])
            .await;
        assert_eq!(location(&res), "/studio/user/login?notice=password_reset");
        let (_, _, page) = stranger.follow(res).await;
        assert!(page.contains("Passordet er endret, og du er logget ut overalt."));
        assert!(!signed_in(&mut kari).await, "every session has ended");
        assert_eq!(password_login(&mut Visitor::new(&server), "kari", PASSWORD).await.0, 200);
        assert_eq!(password_login(&mut Visitor::new(&server), "kari", NEW_PASSWORD).await.0, 303);
        let notice = next_mail(&sink, &mut seen).await;
        assert!(notice.body.contains("satt på nytt"));

        // The link works once; a tampered code never.
        let (_, status, page) = stranger.open(&link).await;
        assert_eq!(status, 400);
        assert!(page.contains("Be om en ny lenke"));
        let res = stranger
            .post("/studio/user/recover_account", &[("code", &code), ("password", "Tredje-Passord4"), ("retype", "Tredje-Passord4")])
            .await;
        assert_eq!(res.status(), 400);
        let (_, status, _) = stranger.open("/studio/user/recover_account?code=2026120100000180deadbeef").await;
        assert_eq!(status, 400);

        // A new link, after the resend pause, dies when it expires.
        server.clock.advance(Duration::from_secs(181));
        let res = stranger
            .post("/studio/user/forgot_password", &[("_csrf", &csrf), ("who", "kari")])
            .await;
        assert_eq!(res.status(), 303);
        let mail = next_mail(&sink, &mut seen).await;
        let link = link_in(&mail.body, "/studio/user/recover_account?code=");
        server.clock.advance(Duration::from_secs(3600 + 61));
        let (_, status, _) = stranger.open(&link).await;
        assert_eq!(status, 400, "expired");
    }
}

engine_tests! {
    async fn people_see_their_sessions_and_end_them(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        let mut anders = new_user(&server, &sink, ANDERS, "anders", "anders@digdir.no").await;
        let mut phone = Visitor::new(&server);
        password_login(&mut phone, "kari", PASSWORD).await;
        let mut tablet = Visitor::new(&server);
        password_login(&mut tablet, "kari", PASSWORD).await;

        let (_, status, page) = kari.open("/studio/user/settings/sessions").await;
        assert_eq!(status, 200);
        assert_eq!(page.matches("name=\"session\"").count(), 3, "{page}");
        assert_eq!(page.matches("Denne økten").count(), 1);
        let csrf = input_value(&page, "_csrf").expect("csrf");

        // Another person's session cannot be ended from here.
        let (_, _, theirs) = anders.open("/studio/user/settings/sessions").await;
        let their_handle = input_value(&theirs, "session").expect("a session");
        let res = kari
            .post("/studio/user/settings/sessions/end", &[("_csrf", &csrf), ("session", &their_handle)])
            .await;
        assert_eq!(location(&res), "/studio/user/settings/sessions?done=gone");
        assert!(signed_in(&mut anders).await);
        // Garbage is refused.
        let res = kari
            .post("/studio/user/settings/sessions/end", &[("_csrf", &csrf), ("session", "' OR 1=1 --")])
            .await;
        assert_eq!(res.status(), 403);

        // The phone's session (the newest after the tablet's).
        let (_, _, page) = phone.open("/studio/user/settings/sessions").await;
        let phone_csrf = input_value(&page, "_csrf").expect("csrf");
        let handles: Vec<String> = page
            .split("name=\"session\" value=\"")
            .skip(1)
            .map(|s| s[..43].to_owned())
            .collect();
        let own = page
            .split("<tr>")
            .find(|row| row.contains("Denne økten"))
            .and_then(|row| row.split("name=\"session\" value=\"").nth(1))
            .map(|s| s[..43].to_owned())
            .expect("the phone's own row");
        let tablet_or_kari = handles.iter().find(|h| **h != own).expect("another").clone();
        let res = phone
            .post("/studio/user/settings/sessions/end", &[("_csrf", &phone_csrf), ("session", &tablet_or_kari)])
            .await;
        assert_eq!(location(&res), "/studio/user/settings/sessions?done=one");
        assert_eq!(
            [signed_in(&mut kari).await, signed_in(&mut tablet).await].iter().filter(|s| **s).count(),
            1,
            "one of the two other sessions ended"
        );

        // "Log out every other session" leaves only this one.
        let res = phone
            .post("/studio/user/settings/sessions/end_others", &[("_csrf", &phone_csrf)])
            .await;
        assert_eq!(location(&res), "/studio/user/settings/sessions?done=others");
        assert!(!signed_in(&mut kari).await && !signed_in(&mut tablet).await);
        let (_, _, page) = phone.open("/studio/user/settings/sessions").await;
        assert_eq!(page.matches("name=\"session\"").count(), 1);
        assert!(!page.contains("id=\"end-others\""));
        assert!(signed_in(&mut anders).await, "other people's sessions stay");

        // Ending one's own session is a log-out.
        let res = phone
            .post("/studio/user/settings/sessions/end", &[("_csrf", &phone_csrf), ("session", &own)])
            .await;
        assert_eq!(location(&res), "/studio/");
        assert!(!signed_in(&mut phone).await);
    }
}

engine_tests! {
    async fn a_linked_eid_is_listed_and_can_be_unlinked(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        assert!(page.contains("<ul id=\"identities\">") && page.contains("Ansattporten (koblet til"), "{page}");
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let source = input_value(&page, "source").expect("source");
        let external = input_value(&page, "external_id").expect("external_id");
        // A forged form and someone else's link change nothing.
        let res = kari
            .post("/studio/user/settings/account/unlink", &[("_csrf", "forged"), ("source", &source), ("external_id", &external)])
            .await;
        assert_eq!(res.status(), 403);
        let mut anders = new_user(&server, &sink, ANDERS, "anders", "anders@digdir.no").await;
        let (_, _, theirs) = anders.open("/studio/user/settings/account").await;
        let their_csrf = input_value(&theirs, "_csrf").expect("csrf");
        let res = anders
            .post("/studio/user/settings/account/unlink", &[("_csrf", &their_csrf), ("source", &source), ("external_id", &external)])
            .await;
        assert_eq!(res.status(), 303);
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        assert!(page.contains("<ul id=\"identities\">"), "Kari's link stays");

        let res = kari
            .post("/studio/user/settings/account/unlink", &[("_csrf", &csrf), ("source", &source), ("external_id", &external)])
            .await;
        assert_eq!(location(&res), "/studio/user/settings/account?done=unlinked");
        let (_, _, page) = kari.follow(res).await;
        assert!(page.contains("Koblingen er fjernet.") && page.contains("id=\"no-identities\""));
        // Ansattporten no longer logs in to the account: it asks to link one.
        let mut again = Visitor::new(&server);
        let (url, _, _) = again.ansattporten(KARI).await;
        assert!(url.ends_with("/studio/user/link_account"), "{url}");
        // The password still does.
        assert_eq!(password_login(&mut Visitor::new(&server), "kari", PASSWORD).await.0, 303);
    }
}

engine_tests! {
    async fn reset_requests_by_someone_else_do_not_hold_back_the_owners_mails(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        server.clock.advance(Duration::from_secs(181));
        let mut stranger = Visitor::new(&server);
        let (_, _, page) = stranger.open("/studio/user/forgot_password").await;
        let anon = input_value(&page, "_csrf").expect("csrf");
        let before = mail_count(&sink);
        assert_eq!(ask_for_reset(&mut stranger, &anon).await, 303);
        sink.wait_for(before + 1).await;
        // Kari's own new-address mail goes out at once all the same.
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let res = kari
            .post("/studio/user/settings/account/email", &[("_csrf", &csrf), ("email", "kari@nav.no"), ("current_password", PASSWORD)])
            .await;
        assert_eq!(location(&res), "/studio/user/settings/account?done=email_sent");
        // A second reset at once is answered alike but held back by its own pause.
        assert_eq!(ask_for_reset(&mut stranger, &anon).await, 303);
        let mails = sink.wait_for(before + 3).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let resets = sink.mails.lock().expect("lock")[before..]
            .iter()
            .filter(|m| m.body.contains("/studio/user/recover_account?code="))
            .count();
        assert_eq!((resets, mails.len() - before), (1, 3), "one reset mail, the new-address link and its heads-up");
    }
}

engine_tests! {
    async fn refusals_of_the_settings_forms_are_said_and_change_nothing(engine: Engine) {
        let (server, sink) = server_with_smtp(engine).await;
        let mut kari = new_user(&server, &sink, KARI, "kari", "kari@digdir.no").await;
        let mut anders = new_user(&server, &sink, ANDERS, "anders", "anders@digdir.no").await;
        server.clock.advance(Duration::from_secs(181));

        // Both ask for the same free address; the first to confirm gets it, the other is told.
        let seen = mail_count(&sink);
        for v in [&mut kari, &mut anders] {
            let (_, _, page) = v.open("/studio/user/settings/account").await;
            let csrf = input_value(&page, "_csrf").expect("csrf");
            let res = v
                .post("/studio/user/settings/account/email", &[("_csrf", &csrf), ("email", "felles@digdir.no"), ("current_password", PASSWORD)])
                .await;
            assert_eq!(location(&res), "/studio/user/settings/account?done=email_sent");
        }
        let mails = sink.wait_for(seen + 4).await[seen..].to_vec();
        let links: Vec<String> = mails
            .iter()
            .filter(|m| m.to == "felles@digdir.no")
            .map(|m| link_in(&m.body, "/studio/user/activate_email?code="))
            .collect();
        assert_eq!(links.len(), 2);
        let mut phone = Visitor::new(&server);
        let mut answers = Vec::new();
        for link in &links {
            let (_, _, page) = phone.open(link).await;
            let code = input_value(&page, "code").expect("code");
            let res = confirm_address(&mut phone, &code, "felles@digdir.no").await;
            answers.push((res.status().as_u16(), res.text().await.expect("page")));
        }
        assert_eq!(answers[0].0, 200);
        assert_eq!(answers[1].0, 409);
        assert!(answers[1].1.contains("En annen konto har tatt i bruk adressen"), "{}", answers[1].1);

        // Guessing the current password on the password form locks it like the log-in.
        let (_, _, page) = kari.open("/studio/user/settings/account").await;
        let csrf = input_value(&page, "_csrf").expect("csrf");
        let change = |current: &'static str| {
            [("_csrf", csrf.clone()), ("current_password", current.into()), ("password", NEW_PASSWORD.into()), ("retype", NEW_PASSWORD.into())]
        };
        for _ in 0..tilgang::services::studio::ACCOUNT_FAILURES {
            let form = change("feil");
            let res = kari.post("/studio/user/settings/account", &form.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
            assert_eq!(res.status(), 422);
        }
        let form = change(PASSWORD);
        let res = kari.post("/studio/user/settings/account", &form.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        assert!(res.text().await.expect("page").contains("For mange forsøk"));
        // Nothing changed: the old password is still the one (from another address).
        assert!(server.app.studio_check_password("kari", PASSWORD, Some("10.0.0.7")).await.is_ok());

        // Asking for reset links is limited per address.
        let mut stranger = Visitor::new(&server);
        let (_, _, page) = stranger.open("/studio/user/forgot_password").await;
        let anon = input_value(&page, "_csrf").expect("csrf");
        let mut statuses = Vec::new();
        for _ in 0..11 {
            statuses.push(ask_for_reset(&mut stranger, &anon).await);
        }
        assert_eq!(statuses[..10], [303; 10]);
        assert_eq!(statuses[10], 429);
    }
}
