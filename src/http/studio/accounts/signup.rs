//! Sign-up through Ansattporten: the sign-up page, the external log-in (start and callback),
//! and the registration/link form with its captcha.

use std::collections::HashMap;

use askama::Template;
use askama::filters::Safe;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::activation::to_activation_page;
use super::{
    AccountSession, AccountTexts, Input, MaybeAccount, checked_form, element_of, form_field,
    message, not_checked, server_error, sign_in, studio, studio_cookie, with_cookie,
    with_retry_after,
};
use crate::domain::studio::Field;
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{FieldError, Frame, Lang, PageResult, texts};
use crate::http::login::MaybeSession;
use crate::services::idp::ANSATTPORTEN;
use crate::services::studio::{
    ACCOUNT_COOKIE, ACCOUNT_SESSION_SECS, ANSATTPORTEN_SOURCE, Device, KIND_ACCOUNT,
    PendingIdentity, Signup, StudioError,
};

texts! {
    pub struct SignupTexts {
        sign_up_intro: [
            "Av sikkerhetshensyn kan nye brukere bare registreres gjennom Ansattporten. Logg inn med Ansattporten nedenfor, så fyller du ut brukernavn, e-post og passord etterpå.",
            "Av omsyn til tryggleiken kan nye brukarar berre registrerast gjennom Ansattporten. Logg inn med Ansattporten nedanfor, så fyller du ut brukarnamn, e-post og passord etterpå.",
            "For security reasons, new users can only register through Ansattporten. Log in with Ansattporten below, then choose a user name, e-mail and password.",
        ],
        closed: ["Registrering er stengt", "Registrering er stengd", "Registration is closed"],
        closed_text: [
            "Nye brukere registreres bare gjennom Ansattporten.",
            "Nye brukarar blir berre registrerte gjennom Ansattporten.",
            "New users register through Ansattporten only.",
        ],
        unknown_provider: ["Ukjent innloggingstjeneste", "Ukjend innloggingsteneste", "Unknown log-in provider"],
        uses_ansattporten: [
            "Altinn Studio bruker Ansattporten.",
            "Altinn Studio brukar Ansattporten.",
            "Altinn Studio uses Ansattporten.",
        ],
        no_answer: ["Ansattporten svarer ikke", "Ansattporten svarar ikkje", "Ansattporten does not answer"],
        try_again: ["Prøv igjen", "Prøv igjen", "Try again"],
        title: ["Registrer konto", "Registrer konto", "Register account"],
        heading: ["Registrer eller koble til konto", "Registrer eller kople til konto", "Register or link an account"],
        logged_in_as: [
            "Du er logget inn med Ansattporten som",
            "Du er logga inn med Ansattporten som",
            "You logged in with Ansattporten as",
        ],
        register_new: ["Registrer ny konto", "Registrer ny konto", "Register new account"],
        register_intro: [
            "Registrer e-postadressen din og lag et passord for Altinn Studio. E-posten brukes blant annet hvis du må gjenopprette kontoen.",
            "Registrer e-postadressa di og lag eit passord for Altinn Studio. E-posten blir mellom anna brukt om du må gjenopprette kontoen.",
            "Register your e-mail and create a password for Altinn Studio, used for example to recover your account.",
        ],
        email: ["E-postadresse", "E-postadresse", "E-mail address"],
        password_hint: [
            "Minst 8 tegn, med liten og stor bokstav, tall og spesialtegn.",
            "Minst 8 teikn, med liten og stor bokstav, tal og spesialteikn.",
            "At least 8 characters, with lowercase and uppercase letters, a digit and a special character.",
        ],
        retype: ["Gjenta passordet", "Gjenta passordet", "Repeat the password"],
        captcha_checking: [
            "Bekrefter at du er et menneske … (dette skjer automatisk)",
            "Stadfestar at du er eit menneske … (dette skjer automatisk)",
            "Checking that you are human … (this happens by itself)",
        ],
        captcha_verified: [
            "Bekreftet ✓ Du kan fullføre kontoen.",
            "Stadfesta ✓ Du kan fullføre kontoen.",
            "Verified ✓ You can complete the account.",
        ],
        captcha_failed: [
            "Kontrollen feilet. Last siden på nytt.",
            "Kontrollen feila. Last sida på nytt.",
            "The check failed. Reload the page.",
        ],
        complete: ["Fullfør konto", "Fullfør konto", "Complete Account"],
        link_existing: ["Koble til eksisterende konto", "Kople til eksisterande konto", "Link to existing account"],
        link_intro: [
            "Har du en Altinn Studio-bruker fra før? Logg inn med den for å koble den til Ansattporten.",
            "Har du ein Altinn Studio-brukar frå før? Logg inn med han for å kople han til Ansattporten.",
            "Already have an Altinn Studio user? Log in with it to link it to Ansattporten.",
        ],
        link_account: ["Koble til konto", "Kople til konto", "Link account"],
        captcha_legend: ["Bekreft at du er et menneske", "Stadfest at du er eit menneske", "Confirm that you are human"],
        captcha_nojs: [
            "Nettleseren din kjører ikke JavaScript, så kontrollen skjer ikke av seg selv: skriv tallene i bildet, eller svar på spørsmålet under det.",
            "Nettlesaren din køyrer ikkje JavaScript, så kontrollen skjer ikkje av seg sjølv: skriv tala i biletet, eller svar på spørsmålet under det.",
            "Your browser does not run JavaScript, so the check cannot happen by itself: type the digits in the image, or answer the question below it.",
        ],
        captcha_image_alt: [
            "Bilde med fem tall. Ser du det ikke, svar på spørsmålet under.",
            "Bilete med fem tal. Ser du det ikkje, svar på spørsmålet under.",
            "An image of five digits. If you cannot see it, answer the question below.",
        ],
        captcha_question: ["Eller: hva er {a} pluss {b}?", "Eller: kva er {a} pluss {b}?", "Or: what is {a} plus {b}?"],
        captcha_answer: ["Tallene i bildet, eller svaret (med tall)", "Tala i biletet, eller svaret (med tal)", "The digits in the image, or the answer (in digits)"],
        login_expired: ["Innloggingen er utløpt", "Innlogginga har gått ut", "The log-in has expired"],
        login_again: [
            "Logg inn med Ansattporten på nytt for å registrere deg.",
            "Logg inn med Ansattporten på nytt for å registrere deg.",
            "Log in with Ansattporten again to register.",
        ],
    }
}

#[derive(Template)]
#[template(path = "studio/sign_up.html")]
struct SignUpPage {
    f: Frame,
    t: &'static SignupTexts,
    c: &'static AccountTexts,
}

#[derive(Template)]
#[template(path = "studio/link_account.html")]
struct LinkAccountPage<'a> {
    f: Frame,
    t: &'static SignupTexts,
    person: &'a str,
    flash: Option<&'a str>,
    /// Every wrong field of the registration, for the error summary.
    errors: Vec<FieldError>,
    captcha_error: Option<&'a str>,
    csrf: &'a str,
    challenge: Safe<String>,
    /// The image captcha for browsers without JavaScript, and its question in words.
    puzzle: String,
    question: String,
    signup: [Input<'a>; 4],
    signin: [Input<'a>; 2],
}

pub(super) async fn sign_up_page(State(state): State<AppState>, lang: Lang) -> PageResult {
    let t = SignupTexts::of(lang);
    let c = AccountTexts::of(lang);
    Ok(studio(
        StatusCode::OK,
        &SignUpPage {
            f: Frame::new(&state, lang, c.create_user),
            t,
            c,
        },
    ))
}

pub(super) async fn sign_up_post(State(state): State<AppState>, lang: Lang) -> PageResult {
    let t = SignupTexts::of(lang);
    Ok(message(
        &state,
        lang,
        StatusCode::FORBIDDEN,
        t.closed,
        t.closed_text,
        Some((
            "/studio/user/oauth2/ansattporten",
            AccountTexts::of(lang).login_ansattporten,
        )),
    ))
}

pub(super) async fn external_start(
    State(state): State<AppState>,
    lang: Lang,
    Path(provider): Path<String>,
) -> PageResult {
    let t = SignupTexts::of(lang);
    if provider != ANSATTPORTEN_SOURCE {
        return Ok(message(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            t.unknown_provider,
            t.uses_ansattporten,
            Some(("/studio/user/oauth2/ansattporten", "Ansattporten")),
        ));
    }
    Ok(
        match state
            .app
            .start_login(
                ANSATTPORTEN,
                Some("/studio/user/oauth2/ansattporten/callback"),
                lang.code(),
            )
            .await
        {
            Ok((url, flow)) => crate::http::login::to_provider(&state, &url, &flow),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the Ansattporten log-in");
                message(
                    &state,
                    lang,
                    StatusCode::BAD_GATEWAY,
                    t.no_answer,
                    &e.to_string(),
                    Some(("/studio/user/login", t.try_again)),
                )
            }
        },
    )
}

/// After the eID log-in (tilgang's relying-party callback has checked the ID token): find the
/// linked user, or keep the identity for the registration form.
pub(super) async fn external_callback(
    State(state): State<AppState>,
    lang: Lang,
    Path(provider): Path<String>,
    MaybeSession(web): MaybeSession,
    MaybeAccount(current): MaybeAccount,
    device: Device,
) -> PageResult {
    let Some((web_id, web)) =
        web.filter(|(_, s)| s.provider == ANSATTPORTEN.path && provider == ANSATTPORTEN_SOURCE)
    else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    let sub = crate::jose::decode_unverified(&web.id_token)
        .ok()
        .and_then(|t| {
            t.claims
                .get("sub")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        });
    let Some(sub) = sub else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    // The eID session has done its job; Studio keeps its own.
    if let Err(e) = state.app.end_web_session(&web_id).await {
        tracing::warn!(error = %e, "cannot end the eID session after the Studio log-in");
    }
    let who = PendingIdentity {
        source: ANSATTPORTEN_SOURCE.into(),
        sub,
        pid: web.pid.clone(),
        name: web.name.clone(),
    };
    let clear_web =
        HeaderValue::from_static("tilgang_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let old = current.as_ref().map(|c| c.id.clone());
    let found = state
        .app
        .studio_user_for(&who)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    if let Some(user) = found {
        let goto = if user.is_active {
            "/studio/login"
        } else {
            "/studio/user/activate"
        };
        return Ok(with_cookie(
            sign_in(&state, old.as_deref(), &user, goto, &device).await,
            clear_web,
        ));
    }
    if let Some(old) = &old {
        let _ = state.app.end_studio_session(old).await;
    }
    let (id, _) = state
        .app
        .new_studio_session(KIND_ACCOUNT, None, json!({"pending": who}), &device)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let response = with_cookie(
        Redirect::to("/studio/user/link_account").into_response(),
        studio_cookie(&state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS),
    );
    Ok(with_cookie(response, clear_web))
}

// ---- the registration / link form -----------------------------------------------------------

fn pending_of(s: &AccountSession) -> Option<PendingIdentity> {
    s.session
        .data
        .get("pending")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
}

/// What the registration/link form shows again: the values kept, and what went wrong (the
/// registration's wrong fields, a problem with the registration as a whole, or the link's
/// log-in).
#[derive(Default)]
struct SignupView<'a> {
    user_name: &'a str,
    email: &'a str,
    errors: Vec<(Field, String)>,
    flash: Option<String>,
    signin_error: Option<String>,
    signin_name: &'a str,
}

/// The captcha challenge as the value of `data-challenge`: JSON with its quotes and
/// ampersands as `&quot;` and `&amp;`, the entities the page has always used (and readers of
/// the page decode), rather than askama's numeric ones.
fn challenge_attribute(json: &str) -> Safe<String> {
    let Ok(escaped) = askama::filters::escape(json, askama::filters::Html);
    Safe(
        escaped
            .to_string()
            .replace("&#34;", "&quot;")
            .replace("&#38;", "&amp;"),
    )
}

fn link_account_response(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    who: &PendingIdentity,
    v: &SignupView<'_>,
    status: StatusCode,
) -> Response {
    let t = SignupTexts::of(lang);
    let c = AccountTexts::of(lang);
    let challenge = serde_json::to_string(&state.app.new_captcha()).unwrap_or_default();
    let puzzle = state.app.new_image_captcha();
    let question = t
        .captcha_question
        .replace("{a}", number_word(lang, puzzle.terms.0))
        .replace("{b}", number_word(lang, puzzle.terms.1));
    let error_on = |field: Field| {
        v.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    };
    let errors: Vec<FieldError> = v
        .errors
        .iter()
        .map(|(f, m)| FieldError {
            id: element_of(*f),
            message: m.clone(),
        })
        .collect();
    // A failed link log-in is said at its user name, and in the summary like a wrong field.
    let mut errors = errors;
    if let Some(e) = &v.signin_error {
        errors.push(FieldError {
            id: "link_user_name",
            message: e.clone(),
        });
    }
    let flash = v.flash.as_deref();
    let wrong = !errors.is_empty() || flash.is_some();
    studio(
        status,
        &LinkAccountPage {
            f: Frame::new(state, lang, t.title).with_errors(wrong),
            t,
            person: &who.name,
            flash,
            errors,
            captcha_error: error_on(Field::Captcha),
            csrf: &s.session.csrf,
            challenge: challenge_attribute(&challenge),
            puzzle: puzzle.token,
            question,
            signup: [
                Input::new("user_name", "user_name", c.user_name)
                    .autocomplete("username")
                    .maxlength(40)
                    .value(v.user_name)
                    .error(error_on(Field::Username)),
                Input::new("email", "email", t.email)
                    .kind("email")
                    .autocomplete("email")
                    .maxlength(254)
                    .value(v.email)
                    .error(error_on(Field::Email)),
                Input::new("password", "password", c.password)
                    .kind("password")
                    .autocomplete("new-password")
                    .error(error_on(Field::Password))
                    .hint(t.password_hint),
                Input::new("retype", "retype", t.retype)
                    .kind("password")
                    .autocomplete("new-password")
                    .error(error_on(Field::Retype)),
            ],
            signin: [
                Input::new("link_user_name", "user_name", c.user_name)
                    .autocomplete("username")
                    .value(v.signin_name)
                    .error(v.signin_error.as_deref()),
                Input::new("link_password", "password", c.password)
                    .kind("password")
                    .autocomplete("current-password"),
            ],
        },
    )
}

pub(super) async fn link_account_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
) -> PageResult {
    let Some(s) = s else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    let Some(who) = pending_of(&s) else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    Ok(link_account_response(
        &state,
        lang,
        &s,
        &who,
        &SignupView::default(),
        StatusCode::OK,
    ))
}

fn no_pending(state: &AppState, lang: Lang) -> Response {
    let t = SignupTexts::of(lang);
    message(
        state,
        lang,
        StatusCode::BAD_REQUEST,
        t.login_expired,
        t.login_again,
        Some((
            "/studio/user/oauth2/ansattporten",
            AccountTexts::of(lang).login_ansattporten,
        )),
    )
}

/// The session's pending eID identity, or the "log-in has expired" page.
#[allow(clippy::result_large_err)]
fn pending(
    state: &AppState,
    lang: Lang,
    s: Option<AccountSession>,
) -> Result<(AccountSession, PendingIdentity), Response> {
    let s = s.ok_or_else(|| no_pending(state, lang))?;
    let who = pending_of(&s).ok_or_else(|| no_pending(state, lang))?;
    Ok((s, who))
}

pub(super) async fn link_signup(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    MaybeAccount(s): MaybeAccount,
    device: Device,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, who) = pending(&state, lang, s)?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let ip = addr.to_string();
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect::<String>());
    let result = state
        .app
        .studio_signup(
            &who,
            &Signup {
                user_name: form_field(&f, "user_name"),
                email: form_field(&f, "email"),
                password: form_field(&f, "password"),
                retype: form_field(&f, "retype"),
                captcha: form_field(&f, "captcha"),
                captcha_token: form_field(&f, "captcha_token"),
                captcha_text: form_field(&f, "captcha_text"),
                ip: Some(&ip),
                agent: agent.as_deref(),
            },
        )
        .await;
    let again = |errors: Vec<(Field, String)>, flash: Option<String>, status: StatusCode| {
        link_account_response(
            &state,
            lang,
            &s,
            &who,
            &SignupView {
                user_name: form_field(&f, "user_name"),
                email: form_field(&f, "email"),
                errors,
                flash,
                ..SignupView::default()
            },
            status,
        )
    };
    Ok(match result {
        Ok(user) => {
            // The identity is linked now: the session becomes the (inactive) user's.
            let _ = state.app.end_studio_session(&s.id).await;
            match state
                .app
                .new_studio_session(KIND_ACCOUNT, Some(user.id), json!({}), &device)
                .await
            {
                Ok((id, _)) => with_cookie(
                    to_activation_page(true),
                    studio_cookie(&state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS),
                ),
                Err(e) => server_error(&state, lang, &e),
            }
        }
        Err(StudioError::Fields(problems)) => again(
            problems
                .into_iter()
                .map(|(field, p)| (field, p.message(lang.code())))
                .collect(),
            None,
            StatusCode::OK,
        ),
        Err(StudioError::Credentials) => Redirect::to("/studio/user/login").into_response(),
        Err(e) => match not_checked(lang, &e) {
            Some((text, status)) => {
                with_retry_after(again(Vec::new(), Some(text.to_owned()), status))
            }
            None => server_error(&state, lang, &e),
        },
    })
}

pub(super) async fn link_signin(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(addr): ClientAddr,
    MaybeAccount(s): MaybeAccount,
    device: Device,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, who) = pending(&state, lang, s)?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let ip = addr.to_string();
    Ok(
        match state
            .app
            .studio_link_existing(
                &who,
                form_field(&f, "user_name"),
                form_field(&f, "password"),
                Some(&ip),
            )
            .await
        {
            Ok(user) => {
                let goto = if user.is_active {
                    "/studio/login"
                } else {
                    "/studio/user/activate"
                };
                sign_in(&state, Some(&s.id), &user, goto, &device).await
            }
            Err(
                e @ (StudioError::Credentials | StudioError::RateLimited | StudioError::Busy(_)),
            ) => {
                let (text, status) = not_checked(lang, &e)
                    .unwrap_or((AccountTexts::of(lang).wrong_credentials, StatusCode::OK));
                link_account_response(
                    &state,
                    lang,
                    &s,
                    &who,
                    &SignupView {
                        signin_error: Some(text.to_owned()),
                        signin_name: form_field(&f, "user_name"),
                        ..SignupView::default()
                    },
                    status,
                )
            }
            Err(e) => server_error(&state, lang, &e),
        },
    )
}

/// A number from one to nine in words, for the image captcha's question.
fn number_word(lang: Lang, n: u8) -> &'static str {
    const NB: [&str; 9] = [
        "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni",
    ];
    const NN: [&str; 9] = [
        "ein", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni",
    ];
    const EN: [&str; 9] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let words = match lang {
        Lang::Nb => NB,
        Lang::Nn => NN,
        Lang::En => EN,
    };
    words[usize::from(n.clamp(1, 9) - 1)]
}

/// The image of an image captcha (`GET /studio/captcha/image/{token}`): SVG, never kept by
/// caches; 404 for a token this server did not make or that has expired.
pub(super) async fn captcha_image(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    match state.app.image_captcha_svg(&token) {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            svg,
        )
            .into_response(),
        None => crate::http::problem::Problem::new(StatusCode::NOT_FOUND, "Not Found")
            .with_detail("no such captcha, or it has expired: reload the form for a new one")
            .into_response(),
    }
}

/// The proof-of-work solver for the registration form (ALTCHA's scheme: find n with
/// SHA-256(salt + n) = challenge), with a status line for screen readers.
pub(super) async fn captcha_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CAPTCHA_JS,
    )
        .into_response()
}

const CAPTCHA_JS: &str = r#"(function () {
  var box = document.getElementById('captcha');
  if (!box) return;
  box.hidden = false;
  var status = document.getElementById('captcha-status');
  var answer = document.getElementById('captcha-answer');
  var submit = document.getElementById('signup-submit');
  var c = JSON.parse(box.getAttribute('data-challenge'));
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  async function solve() {
    var enc = new TextEncoder();
    for (var n = 0; n <= c.maxnumber; n++) {
      var h = hex(await crypto.subtle.digest('SHA-256', enc.encode(c.salt + n)));
      if (h === c.challenge) return n;
    }
    return null;
  }
  if (submit) submit.disabled = true;
  solve().then(function (n) {
    if (n === null) { status.textContent = box.getAttribute('data-failed'); return; }
    answer.value = btoa(JSON.stringify({algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature}));
    status.textContent = box.getAttribute('data-verified');
    box.setAttribute('data-state', 'verified');
    if (submit) submit.disabled = false;
  });
})();
"#;
