//! Activation by e-mailed link: the prompt after sign-up (also what every signed-in page shows
//! while the account is not active), the link itself, resending it and changing the address.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{
    AccountSession, AccountTexts, Input, MaybeAccount, checked_form, form_field, message,
    server_error, studio, studio_cookie, with_cookie,
};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, PageResult, texts};
use crate::services::studio::{
    ACCOUNT_COOKIE, ACCOUNT_SESSION_SECS, Device, KIND_ACCOUNT, StudioError,
    activation_lifetime_text,
};
use crate::services::studio_directory::Account;

texts! {
    pub struct ActivationTexts {
        title: ["Aktiver kontoen din", "Aktiver kontoen din", "Activate your account"],
        sent_to: [
            "En bekreftelse er sendt til",
            "Ei stadfesting er sendt til",
            "A confirmation e-mail has been sent to",
        ],
        open_within: [
            "Åpne lenken i e-posten innen",
            "Opne lenkja i e-posten innan",
            "Open the link in it within",
        ],
        to_activate: [
            "for å aktivere kontoen. Er adressen feil, kan du endre den nedenfor.",
            "for å aktivere kontoen. Er adressa feil, kan du endre ho nedanfor.",
            "to activate your account. If the address is wrong, change it below.",
        ],
        limited: [
            "Vi har nettopp sendt deg en e-post. Vent 3 minutter før du ber om en ny.",
            "Vi har nettopp sendt deg ein e-post. Vent 3 minutt før du ber om ein ny.",
            "We have just sent you an e-mail. Wait 3 minutes before asking for another.",
        ],
        the_account: ["Kontoen", "Kontoen", "The account"],
        not_active: [
            "er ikke aktivert ennå. Vi sendte en lenke til",
            "er ikkje aktivert enno. Vi sende ei lenkje til",
            "is not activated yet. We sent a link to",
        ],
        resend: [
            "Send e-post med aktiveringslenke på nytt",
            "Send e-post med aktiveringslenkje på nytt",
            "Resend the activation e-mail",
        ],
        change_email: ["Endre e-postadresse", "Endre e-postadresse", "Change e-mail address"],
        new_address: ["Ny e-postadresse", "Ny e-postadresse", "New e-mail address"],
        save: ["Lagre og send ny lenke", "Lagre og send ny lenkje", "Save and send a new link"],
        activated: ["Kontoen er aktivert", "Kontoen er aktivert", "Account activated"],
        activated_heading: ["Kontoen er aktivert", "Kontoen er aktivert", "Your account has been activated"],
        welcome: ["Velkommen,", "Velkomen,", "Welcome,"],
        next_step: [
            "Nå gir du Altinn Studio tilgang til kontoen din.",
            "No gir du Altinn Studio tilgang til kontoen din.",
            "Next, allow Altinn Studio to use your account.",
        ],
        continue_to: ["Fortsett til Altinn Studio", "Hald fram til Altinn Studio", "Continue to Altinn Studio"],
        invalid_link: ["Ugyldig lenke", "Ugyldig lenkje", "Invalid link"],
        invalid_link_text: [
            "Bekreftelseskoden er ugyldig eller utløpt. Logg inn på nytt med Ansattporten: er kontoen allerede aktivert, kommer du rett inn; hvis ikke kan du be om en ny lenke.",
            "Stadfestingskoden er ugyldig eller har gått ut. Logg inn på nytt med Ansattporten: er kontoen alt aktivert, kjem du rett inn; om ikkje kan du be om ei ny lenkje.",
            "Your confirmation code is invalid or has expired. Log in again with Ansattporten: if the account is already active you get straight in; if not, you can ask for a new link.",
        ],
    }
}

/// What the activation page says above its forms.
pub(super) enum Notice {
    /// A mail with a new link went out.
    Sent,
    /// The resend limit held the mail back.
    Limited,
    /// The new address was refused.
    Error(String),
}

#[derive(Template)]
#[template(path = "studio/activation.html")]
struct ActivationPage<'a> {
    f: Frame,
    t: &'static ActivationTexts,
    user: &'a Account,
    lifetime: &'a str,
    notice: Option<Notice>,
    csrf: &'a str,
    field: Input<'a>,
}

#[derive(Template)]
#[template(path = "studio/activated.html")]
struct ActivatedPage<'a> {
    f: Frame,
    t: &'static ActivationTexts,
    name: &'a str,
}

/// The activation page: the prompt after sign-up, and what every signed-in page shows while
/// the account is not active.
pub(super) fn activation_prompt(
    state: &AppState,
    lang: Lang,
    user: &Account,
    csrf: &str,
    notice: Option<Notice>,
) -> Response {
    let t = ActivationTexts::of(lang);
    let (nb, en) = activation_lifetime_text(&state.app);
    let lifetime = if lang == Lang::En { en } else { nb };
    studio(
        StatusCode::OK,
        &ActivationPage {
            f: Frame::new(state, lang, t.title),
            t,
            user,
            lifetime: &lifetime,
            notice,
            csrf,
            field: Input::new("email", "email", t.new_address)
                .kind("email")
                .autocomplete("email")
                .value(&user.email),
        },
    )
}

/// Shows the activation page for an inactive signed-in user (with the session's CSRF token).
pub async fn inactive_page(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    user: &Account,
) -> Response {
    activation_prompt(state, lang, user, &s.session.csrf, None)
}

/// Where a form that sent (or held back) an activation mail goes on: the activation page by
/// GET, which says what happened (post/redirect/get, so a reload sends nothing again).
pub(super) fn to_activation_page(sent: bool) -> Response {
    let notice = if sent { "sent" } else { "limited" };
    Redirect::to(&format!("/studio/user/activate?notice={notice}")).into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct ActivateQuery {
    code: Option<String>,
    /// What the form before did (see [`to_activation_page`]).
    notice: Option<String>,
}

pub(super) async fn activate_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    device: Device,
    Query(q): Query<ActivateQuery>,
) -> PageResult {
    if let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) {
        let t = ActivationTexts::of(lang);
        let activated = state
            .app
            .studio_activate(code)
            .await
            .map_err(|e| server_error(&state, lang, &e))?;
        let Some(user) = activated else {
            return Ok(message(
                &state,
                lang,
                StatusCode::OK,
                t.invalid_link,
                t.invalid_link_text,
                Some((
                    "/studio/user/oauth2/ansattporten",
                    AccountTexts::of(lang).login_ansattporten,
                )),
            ));
        };
        // Only the browser that is already signed in as this account stays signed in (with a
        // new session id); a link opened elsewhere (another person, a mail scanner) activates
        // the account but signs nobody in.
        let same_user = s
            .as_ref()
            .is_some_and(|s| s.session.user_id == Some(user.id));
        let page = studio(
            StatusCode::OK,
            &ActivatedPage {
                f: Frame::new(&state, lang, t.activated),
                t,
                name: &user.name,
            },
        );
        let Some(old) = s.as_ref().filter(|_| same_user).map(|s| s.id.clone()) else {
            return Ok(page);
        };
        let _ = state.app.end_studio_session(&old).await;
        let (id, _) = state
            .app
            .new_studio_session(KIND_ACCOUNT, Some(user.id), json!({}), &device)
            .await
            .map_err(|e| server_error(&state, lang, &e))?;
        return Ok(with_cookie(
            page,
            studio_cookie(&state, ACCOUNT_COOKIE, &id, ACCOUNT_SESSION_SECS),
        ));
    }
    let Some(s) = s else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    Ok(match &s.user {
        None => Redirect::to("/studio/user/login").into_response(),
        Some(u) if u.is_active => Redirect::to("/studio/login").into_response(),
        Some(u) => {
            let notice = match q.notice.as_deref() {
                Some("sent") => Some(Notice::Sent),
                Some("limited") => Some(Notice::Limited),
                _ => None,
            };
            activation_prompt(&state, lang, u, &s.session.csrf, notice)
        }
    })
}

pub(super) async fn activate_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Some(s) = s else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    let Some(user) = s.user.clone() else {
        return Ok(Redirect::to("/studio/user/login").into_response());
    };
    if user.is_active {
        return Ok(Redirect::to("/studio/login").into_response());
    }
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let csrf = &s.session.csrf;
    let now = state.app.clock.now();
    if !state
        .app
        .limits
        .allow(&format!("resend:{}", user.id), 10, now)
    {
        return Ok(to_activation_page(false));
    }
    Ok(match form_field(&f, "action") {
        "change_email" => match state
            .app
            .studio_change_email(&user, form_field(&f, "email"))
            .await
        {
            Ok((_, sent)) => to_activation_page(sent),
            Err(StudioError::Field(_, p)) => {
                let error = Notice::Error(p.message(lang.code()));
                activation_prompt(&state, lang, &user, csrf, Some(error))
            }
            Err(e) => server_error(&state, lang, &e),
        },
        _ => match state.app.send_activation_mail(&user).await {
            Ok(sent) => to_activation_page(sent),
            Err(e) => server_error(&state, lang, &e),
        },
    })
}
