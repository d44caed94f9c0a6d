//! The account's settings as Gitea offers them: the public profile (`/studio/user/settings`),
//! the password and the e-mail address (`…/settings/account`, the address confirmed by a mailed
//! link), and the active sessions, each of which can be ended (`…/settings/sessions`). The
//! authorised applications (`…/settings/applications`) are in their own file.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    AccountSession, AccountTexts, Input, MaybeAccount, checked_form, element_of, form_field,
    inactive_page, message, not_checked, server_error, studio, to_start, with_retry_after,
};
use crate::clock::format_micros;
use crate::domain::studio::Field;
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{FieldError, Frame, Lang, PageResult, texts};
use crate::secret;
use crate::services::studio::{Device, KIND_DESIGNER, StudioError};
use crate::services::studio_account::EmailConfirmation;
use crate::services::studio_directory::Account;
use crate::store::studio_account::{LinkedIdentity, SessionInfo};

texts! {
    pub struct SettingsTexts {
        nav_label: ["Innstillinger", "Innstillingar", "Settings"],
        profile: ["Profil", "Profil", "Profile"],
        account: ["Konto", "Konto", "Account"],
        sessions: ["Aktive økter", "Aktive økter", "Active sessions"],
        applications: ["Autoriserte applikasjoner", "Autoriserte applikasjonar", "Authorized applications"],
        profile_intro: [
            "Dette står på den offentlige profilen din. Alle kan se den.",
            "Dette står på den offentlege profilen din. Alle kan sjå han.",
            "This is on your public profile. Anyone can see it.",
        ],
        see_profile: ["Se den offentlige profilen din", "Sjå den offentlege profilen din", "See your public profile"],
        user_name_fixed: ["Brukernavn (kan ikke endres)", "Brukarnamn (kan ikkje endrast)", "User name (cannot be changed)"],
        full_name: ["Fullt navn", "Fullt namn", "Full name"],
        website: ["Nettsted", "Nettstad", "Website"],
        website_hint: ["For eksempel https://digdir.no", "Til dømes https://digdir.no", "For example https://digdir.no"],
        location: ["Sted", "Stad", "Location"],
        description: ["Om deg", "Om deg", "About you"],
        save: ["Lagre", "Lagre", "Save"],
        profile_saved: ["Profilen er lagret.", "Profilen er lagra.", "The profile is saved."],
        password_heading: ["Endre passord", "Endre passord", "Change password"],
        password_intro: [
            "Når du endrer passordet, blir du logget ut på alle andre enheter, og applikasjoner du har gitt tilgang, må be om den på nytt.",
            "Når du endrar passordet, blir du logga ut på alle andre einingar, og applikasjonar du har gitt tilgang, må be om han på nytt.",
            "When you change the password, you are logged out on every other device, and applications you gave access must ask for it again.",
        ],
        current_password: ["Nåværende passord", "Noverande passord", "Current password"],
        new_password: ["Nytt passord", "Nytt passord", "New password"],
        retype: ["Gjenta nytt passord", "Gjenta nytt passord", "Repeat the new password"],
        password_changed: [
            "Passordet er endret. Du er logget ut på alle andre enheter.",
            "Passordet er endra. Du er logga ut på alle andre einingar.",
            "The password is changed. You are logged out on every other device.",
        ],
        email_heading: ["E-postadresse", "E-postadresse", "E-mail address"],
        email_now: ["Kontoen bruker nå", "Kontoen bruker no", "The account now uses"],
        email_intro: [
            "Vi sender en lenke til den nye adressen. Adressen byttes først når du åpner lenken.",
            "Vi sender ei lenkje til den nye adressa. Adressa blir bytt først når du opnar lenkja.",
            "We send a link to the new address. The address changes only when you open the link.",
        ],
        new_email: ["Ny e-postadresse", "Ny e-postadresse", "New e-mail address"],
        change_email: ["Send bekreftelse", "Send stadfesting", "Send confirmation"],
        email_sent: [
            "Vi har sendt en lenke til den nye adressen. Åpne den for å ta adressen i bruk.",
            "Vi har sendt ei lenkje til den nye adressa. Opne ho for å ta adressa i bruk.",
            "We have sent a link to the new address. Open it to start using the address.",
        ],
        email_limited: [
            "Vi sendte nettopp en e-post. Vent noen minutter før du ber om en ny.",
            "Vi sende nettopp ein e-post. Vent nokre minutt før du ber om ein ny.",
            "We just sent a mail. Wait a few minutes before asking for another.",
        ],
        email_changed: ["E-postadressen er endret", "E-postadressa er endra", "The e-mail address is changed"],
        email_changed_text: [
            "Kontoen bruker nå den nye adressen. Den gamle adressen har fått beskjed.",
            "Kontoen bruker no den nye adressa. Den gamle adressa har fått beskjed.",
            "The account now uses the new address. The old address has been told.",
        ],
        email_link_invalid: ["Lenken virker ikke", "Lenkja verkar ikkje", "The link does not work"],
        email_link_invalid_text: [
            "Lenken er utløpt, er brukt eller er ikke hel. Be om en ny under kontoinnstillingene.",
            "Lenkja har gått ut, er brukt eller er ikkje heil. Be om ei ny under kontoinnstillingane.",
            "The link has expired, has been used or is not whole. Ask for a new one in the account settings.",
        ],
        email_taken_text: [
            "En annen konto har tatt i bruk adressen i mellomtiden. Velg en annen adresse.",
            "Ein annan konto har teke i bruk adressa i mellomtida. Vel ei anna adresse.",
            "Another account has taken the address meanwhile. Choose another address.",
        ],
        to_account: ["Til kontoinnstillingene", "Til kontoinnstillingane", "To the account settings"],
        confirm_email_title: ["Bekreft ny e-postadresse", "Stadfest ny e-postadresse", "Confirm the new e-mail address"],
        confirm_email_text: [
            "Kontoen {name} skal bruke e-postadressen {email}. Bekreft at det er riktig.",
            "Kontoen {name} skal bruke e-postadressa {email}. Stadfest at det er rett.",
            "The account {name} is to use the e-mail address {email}. Confirm that this is right.",
        ],
        confirm_email: ["Bekreft adressen", "Stadfest adressa", "Confirm the address"],
        identities_heading: ["Innlogging med eID", "Innlogging med eID", "Log-in with eID"],
        identities_intro: [
            "Disse eID-ene logger inn på kontoen uten passord. Fjern en du ikke kjenner igjen.",
            "Desse eID-ane loggar inn på kontoen utan passord. Fjern ein du ikkje kjenner att.",
            "These eIDs log in to the account without the password. Remove one you do not recognise.",
        ],
        no_identities: ["Ingen eID er koblet til kontoen.", "Ingen eID er kopla til kontoen.", "No eID is linked to the account."],
        linked_on: ["koblet til", "kopla til", "linked on"],
        unlink: ["Fjern koblingen", "Fjern koplinga", "Remove the link"],
        unlinked: [
            "Koblingen er fjernet. Neste innlogging med den eID-en ber om å koble til en konto på nytt.",
            "Koplinga er fjerna. Neste innlogging med den eID-en ber om å kople til ein konto på nytt.",
            "The link is removed. The next log-in with that eID asks to link an account again.",
        ],
        sessions_intro: [
            "Her er enhetene der du er logget inn i Altinn Studio. Logg ut en enhet du ikke kjenner igjen, og endre passordet.",
            "Her er einingane der du er logga inn i Altinn Studio. Logg ut ei eining du ikkje kjenner att, og endre passordet.",
            "These are the devices where you are logged in to Altinn Studio. Log out a device you do not recognise, and change the password.",
        ],
        device: ["Enhet", "Eining", "Device"],
        kind: ["Type", "Type", "Kind"],
        address: ["IP-adresse", "IP-adresse", "IP address"],
        started: ["Logget inn", "Logga inn", "Logged in"],
        ends: ["Utløper", "Går ut", "Expires"],
        kind_account: ["Kontoen", "Kontoen", "The account"],
        kind_designer: ["Altinn Studio-appen", "Altinn Studio-appen", "The Altinn Studio app"],
        this_session: ["Denne økten", "Denne økta", "This session"],
        end_session: ["Logg ut", "Logg ut", "Log out"],
        end_others: ["Logg ut alle andre økter", "Logg ut alle andre økter", "Log out every other session"],
        ended_one: ["Økten er logget ut.", "Økta er logga ut.", "The session is logged out."],
        ended_others: ["De andre øktene er logget ut.", "Dei andre øktene er logga ut.", "The other sessions are logged out."],
        already_gone: [
            "Økten var allerede avsluttet.",
            "Økta var allereie avslutta.",
            "The session had already ended.",
        ],
        unknown_device: ["Ukjent nettleser", "Ukjend nettlesar", "Unknown browser"],
        on: ["på", "på", "on"],
    }
}

/// One link of the settings' sub-navigation.
pub(super) struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The settings pages' sub-navigation: its name and links.
pub(super) struct SettingsNav {
    pub label: &'static str,
    pub links: Vec<NavLink>,
}

/// The settings pages' sub-navigation with `here` marked as the current page.
pub(super) fn settings_nav(lang: Lang, here: &str) -> SettingsNav {
    let t = SettingsTexts::of(lang);
    let links = [
        ("/studio/user/settings", t.profile),
        ("/studio/user/settings/account", t.account),
        ("/studio/user/settings/sessions", t.sessions),
        ("/studio/user/settings/applications", t.applications),
    ]
    .into_iter()
    .map(|(href, label)| NavLink {
        href,
        label,
        current: href == here,
    })
    .collect();
    SettingsNav {
        label: t.nav_label,
        links,
    }
}

/// The signed-in, active account, or the answer for everyone else: the log-in page (coming
/// back to `here`), or the activation page for an account not active yet.
pub(super) async fn active_account(
    state: &AppState,
    lang: Lang,
    s: Option<AccountSession>,
    here: &str,
) -> Result<(AccountSession, Account), Response> {
    let to_login =
        || Redirect::to(&format!("/studio/user/login?redirect_to={here}")).into_response();
    let Some(s) = s else {
        return Err(to_login());
    };
    let Some(user) = s.user.clone() else {
        return Err(to_login());
    };
    if !user.is_active {
        return Err(inactive_page(state, lang, &s, &user).await);
    }
    Ok((s, user))
}

/// The error summary's entries and each field's message, from the problems a service found.
fn field_errors(
    lang: Lang,
    problems: &[(Field, crate::domain::studio::Problem)],
    element: impl Fn(Field) -> &'static str,
) -> (Vec<FieldError>, HashMap<Field, String>) {
    let code = lang.code();
    let summary = problems
        .iter()
        .map(|(f, p)| FieldError {
            id: element(*f),
            message: p.message(code),
        })
        .collect();
    let at = problems
        .iter()
        .map(|(f, p)| (*f, p.message(code)))
        .collect();
    (summary, at)
}

/// What a settings page shows besides its form: what the form before did (after a redirect),
/// or the problems of the form just sent (answered with 422).
#[derive(Clone, Copy)]
enum Outcome<'a, F> {
    Shown(Option<&'static str>),
    Wrong(F, &'a [(Field, crate::domain::studio::Problem)]),
}

impl<F> Outcome<'_, F> {
    fn status(&self) -> StatusCode {
        match self {
            Outcome::Shown(_) => StatusCode::OK,
            Outcome::Wrong(..) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn done(&self) -> Option<&'static str> {
        match self {
            Outcome::Shown(done) => *done,
            Outcome::Wrong(..) => None,
        }
    }
}

#[derive(serde::Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

// ---- the profile ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "studio/settings_profile.html")]
struct ProfilePage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    nav: SettingsNav,
    errors: Vec<FieldError>,
    done: Option<&'static str>,
    csrf: &'a str,
    name: &'a str,
    fields: [Input<'a>; 4],
}

struct ProfileValues<'a> {
    full_name: &'a str,
    website: &'a str,
    location: &'a str,
    description: &'a str,
}

fn profile_page(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    user: &Account,
    v: &ProfileValues<'_>,
    outcome: Outcome<'_, ()>,
) -> Response {
    let t = SettingsTexts::of(lang);
    let problems = match outcome {
        Outcome::Wrong((), problems) => problems,
        Outcome::Shown(_) => &[],
    };
    let (errors, at) = field_errors(lang, problems, element_of);
    let error = |f: Field| at.get(&f).map(String::as_str);
    studio(
        outcome.status(),
        &ProfilePage {
            f: Frame::new(state, lang, t.profile).with_errors(!errors.is_empty()),
            t,
            nav: settings_nav(lang, "/studio/user/settings"),
            errors,
            done: outcome.done(),
            csrf: &s.session.csrf,
            name: &user.name,
            fields: [
                Input::new("full_name", "full_name", t.full_name)
                    .autocomplete("name")
                    .maxlength(100)
                    .value(v.full_name)
                    .error(error(Field::FullName)),
                Input::new("website", "website", t.website)
                    .kind("url")
                    .autocomplete("url")
                    .maxlength(255)
                    .value(v.website)
                    .hint(t.website_hint)
                    .error(error(Field::Website)),
                Input::new("location", "location", t.location)
                    .maxlength(50)
                    .value(v.location)
                    .error(error(Field::Location)),
                Input::new("description", "description", t.description)
                    .maxlength(255)
                    .value(v.description)
                    .error(error(Field::Description)),
            ],
        },
    )
}

pub(super) async fn profile_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings").await?;
    let done =
        (q.done.as_deref() == Some("profile")).then_some(SettingsTexts::of(lang).profile_saved);
    let v = ProfileValues {
        full_name: &user.full_name,
        website: &user.website,
        location: &user.location,
        description: &user.description,
    };
    Ok(profile_page(
        &state,
        lang,
        &s,
        &user,
        &v,
        Outcome::Shown(done),
    ))
}

pub(super) async fn profile_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let v = ProfileValues {
        full_name: form_field(&f, "full_name"),
        website: form_field(&f, "website"),
        location: form_field(&f, "location"),
        description: form_field(&f, "description"),
    };
    match state
        .app
        .studio_update_profile(&user, v.full_name, v.website, v.location, v.description)
        .await
    {
        Ok(_) => Ok(Redirect::to("/studio/user/settings?done=profile").into_response()),
        Err(StudioError::Fields(problems)) => Ok(profile_page(
            &state,
            lang,
            &s,
            &user,
            &v,
            Outcome::Wrong((), &problems),
        )),
        Err(e) => Err(server_error(&state, lang, &e).into()),
    }
}

// ---- password and e-mail address -------------------------------------------------------------

#[derive(Template)]
#[template(path = "studio/settings_account.html")]
struct AccountPage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    nav: SettingsNav,
    errors: Vec<FieldError>,
    done: Option<&'static str>,
    csrf: &'a str,
    email: &'a str,
    password_fields: [Input<'a>; 3],
    email_fields: [Input<'a>; 2],
    identities: Vec<IdentityRow>,
}

/// A linked eID as the account page lists it.
struct IdentityRow {
    source: String,
    external_id: String,
    /// The eID's name ("Ansattporten").
    name: String,
    /// The day it was linked (YYYY-MM-DD).
    date: String,
}

fn identity_rows(identities: &[LinkedIdentity]) -> Vec<IdentityRow> {
    identities
        .iter()
        .map(|i| {
            let mut date = format_micros(i.created_at);
            date.truncate(10);
            IdentityRow {
                source: i.source.clone(),
                external_id: i.external_id.clone(),
                name: match i.source.as_str() {
                    "ansattporten" => "Ansattporten".to_owned(),
                    other => other.to_owned(),
                },
                date,
            }
        })
        .collect()
}

/// The account page's list of linked eIDs.
async fn identities_of(
    state: &AppState,
    lang: Lang,
    user: &Account,
) -> Result<Vec<LinkedIdentity>, Response> {
    state
        .app
        .studio_identities_of(user.id)
        .await
        .map_err(|e| server_error(state, lang, &e))
}

/// Which of the account page's forms a problem belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AccountForm {
    Password,
    Email,
}

/// The e-mail form's inputs have their own ids (both forms ask for the current password).
fn email_element(field: Field) -> &'static str {
    match field {
        Field::CurrentPassword => "email_current_password",
        Field::Email => "new_email",
        other => element_of(other),
    }
}

fn account_page(
    state: &AppState,
    lang: Lang,
    s: &AccountSession,
    user: &Account,
    outcome: Outcome<'_, AccountForm>,
    new_email: &str,
    identities: &[LinkedIdentity],
) -> Response {
    let (t, c) = (SettingsTexts::of(lang), AccountTexts::of(lang));
    let (errors, at) = match outcome {
        Outcome::Wrong(AccountForm::Email, problems) => field_errors(lang, problems, email_element),
        Outcome::Wrong(AccountForm::Password, problems) => field_errors(lang, problems, element_of),
        Outcome::Shown(_) => Default::default(),
    };
    let on = |form: AccountForm, field: Field| match outcome {
        Outcome::Wrong(f, _) if f == form => at.get(&field).map(String::as_str),
        _ => None,
    };
    studio(
        outcome.status(),
        &AccountPage {
            f: Frame::new(state, lang, t.account).with_errors(!errors.is_empty()),
            t,
            nav: settings_nav(lang, "/studio/user/settings/account"),
            errors,
            done: outcome.done(),
            csrf: &s.session.csrf,
            email: &user.email,
            password_fields: [
                Input::new("current_password", "current_password", t.current_password)
                    .kind("password")
                    .autocomplete("current-password")
                    .required()
                    .error(on(AccountForm::Password, Field::CurrentPassword)),
                Input::new("password", "password", t.new_password)
                    .kind("password")
                    .autocomplete("new-password")
                    .required()
                    .error(on(AccountForm::Password, Field::Password)),
                Input::new("retype", "retype", t.retype)
                    .kind("password")
                    .autocomplete("new-password")
                    .required()
                    .error(on(AccountForm::Password, Field::Retype)),
            ],
            email_fields: [
                Input::new("new_email", "email", t.new_email)
                    .kind("email")
                    .autocomplete("email")
                    .maxlength(254)
                    .value(new_email)
                    .required()
                    .error(on(AccountForm::Email, Field::Email)),
                Input::new("email_current_password", "current_password", c.password)
                    .kind("password")
                    .autocomplete("current-password")
                    .required()
                    .error(on(AccountForm::Email, Field::CurrentPassword)),
            ],
            identities: identity_rows(identities),
        },
    )
}

pub(super) async fn account_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let t = SettingsTexts::of(lang);
    let done = match q.done.as_deref() {
        Some("password") => Some(t.password_changed),
        Some("email_sent") => Some(t.email_sent),
        Some("email_limited") => Some(t.email_limited),
        Some("unlinked") => Some(t.unlinked),
        _ => None,
    };
    let identities = identities_of(&state, lang, &user).await?;
    Ok(account_page(
        &state,
        lang,
        &s,
        &user,
        Outcome::Shown(done),
        "",
        &identities,
    ))
}

/// A 429 or 503 for a check that was not made (too many attempts, a busy server), on the page.
fn not_made(state: &AppState, lang: Lang, e: &StudioError) -> Option<Response> {
    let (text, status) = not_checked(lang, e)?;
    let t = AccountTexts::of(lang);
    Some(with_retry_after(message(
        state,
        lang,
        status,
        t.went_wrong,
        text,
        Some((
            "/studio/user/settings/account",
            SettingsTexts::of(lang).to_account,
        )),
    )))
}

pub(super) async fn password_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    ClientAddr(addr): ClientAddr,
    device: Device,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let ip = addr.to_string();
    let result = state
        .app
        .studio_change_password(
            &user,
            form_field(&f, "current_password"),
            form_field(&f, "password"),
            form_field(&f, "retype"),
            Some(&ip),
            &s.id,
        )
        .await;
    Ok(match result {
        // This browser goes on with a new session id (and form token).
        Ok(()) => {
            super::sign_in(
                &state,
                Some(&s.id),
                &user,
                "/studio/user/settings/account?done=password",
                &device,
            )
            .await
        }
        Err(StudioError::Fields(problems)) => account_page(
            &state,
            lang,
            &s,
            &user,
            Outcome::Wrong(AccountForm::Password, &problems),
            "",
            &identities_of(&state, lang, &user).await?,
        ),
        Err(StudioError::Credentials) => {
            // The account changed meanwhile (another tab): show it afresh.
            Redirect::to("/studio/user/settings/account").into_response()
        }
        Err(e) => match not_made(&state, lang, &e) {
            Some(page) => page,
            None => server_error(&state, lang, &e),
        },
    })
}

pub(super) async fn email_post(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let email = form_field(&f, "email");
    let ip = addr.to_string();
    let result = state
        .app
        .studio_request_email_change(&user, email, form_field(&f, "current_password"), Some(&ip))
        .await;
    Ok(match result {
        Ok(true) => Redirect::to("/studio/user/settings/account?done=email_sent").into_response(),
        Ok(false) => {
            Redirect::to("/studio/user/settings/account?done=email_limited").into_response()
        }
        Err(StudioError::Fields(problems)) => account_page(
            &state,
            lang,
            &s,
            &user,
            Outcome::Wrong(AccountForm::Email, &problems),
            email,
            &identities_of(&state, lang, &user).await?,
        ),
        Err(e) => match not_made(&state, lang, &e) {
            Some(page) => page,
            None => server_error(&state, lang, &e),
        },
    })
}

/// Unlinks one of the account's eIDs (`source`, `external_id`), then back to the account page.
pub(super) async fn unlink_identity(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/account").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    state
        .app
        .studio_unlink_identity(
            &user,
            form_field(&f, "source"),
            form_field(&f, "external_id"),
        )
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    // Gone already or not theirs: the page shows the links as they are.
    Ok(Redirect::to("/studio/user/settings/account?done=unlinked").into_response())
}

#[derive(serde::Deserialize)]
pub(super) struct ConfirmEmailQuery {
    code: Option<String>,
    email: Option<String>,
}

#[derive(Template)]
#[template(path = "studio/confirm_email.html")]
struct ConfirmEmailPage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    text: String,
    code: &'a str,
    email: &'a str,
}

fn email_link_invalid(state: &AppState, lang: Lang) -> Response {
    let t = SettingsTexts::of(lang);
    message(
        state,
        lang,
        StatusCode::BAD_REQUEST,
        t.email_link_invalid,
        t.email_link_invalid_text,
        Some(("/studio/user/settings/account", t.to_account)),
    )
}

/// `GET /studio/user/activate_email?code=…&email=…` (Gitea's path): the link mailed to a new
/// address opens a page that asks to confirm; opening it changes nothing (mail scanners open
/// links). It works without being signed in (it is often opened on another device).
pub(super) async fn confirm_email_page(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<ConfirmEmailQuery>,
) -> PageResult {
    let t = SettingsTexts::of(lang);
    let (code, email) = (q.code.unwrap_or_default(), q.email.unwrap_or_default());
    let account = state
        .app
        .studio_email_link(&code, &email)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let Some(account) = account else {
        return Ok(email_link_invalid(&state, lang));
    };
    Ok(studio(
        StatusCode::OK,
        &ConfirmEmailPage {
            f: Frame::new(&state, lang, t.confirm_email_title),
            t,
            text: t
                .confirm_email_text
                .replace("{name}", &account.name)
                .replace("{email}", &email),
            code: &code,
            email: &email,
        },
    ))
}

/// The confirmation: the form carries the mailed code, which is its own proof.
pub(super) async fn confirm_email(
    State(state): State<AppState>,
    lang: Lang,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let t = SettingsTexts::of(lang);
    let Ok(Form(f)) = form else {
        return Ok(email_link_invalid(&state, lang));
    };
    let confirmed = state
        .app
        .studio_confirm_email(form_field(&f, "code"), form_field(&f, "email"))
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let back = Some(("/studio/user/settings/account", t.to_account));
    Ok(match confirmed {
        EmailConfirmation::Confirmed => message(
            &state,
            lang,
            StatusCode::OK,
            t.email_changed,
            t.email_changed_text,
            back,
        ),
        EmailConfirmation::Invalid => email_link_invalid(&state, lang),
        EmailConfirmation::Taken => message(
            &state,
            lang,
            StatusCode::CONFLICT,
            t.email_link_invalid,
            t.email_taken_text,
            back,
        ),
    })
}

// ---- sessions ---------------------------------------------------------------------------------

/// One session as the page lists it.
struct SessionRow {
    handle: String,
    device: String,
    kind: &'static str,
    ip: String,
    started: String,
    ends: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "studio/settings_sessions.html")]
struct SessionsPage<'a> {
    f: Frame,
    t: &'static SettingsTexts,
    nav: SettingsNav,
    done: Option<&'static str>,
    csrf: &'a str,
    rows: Vec<SessionRow>,
    others: bool,
}

/// "Firefox on Linux" from a `User-Agent`, enough to recognise one's own devices.
fn describe_agent(lang: Lang, agent: &str) -> String {
    let t = SettingsTexts::of(lang);
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} {} {s}", t.on),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("{} {} {s}", t.unknown_device, t.on),
        (None, None) => t.unknown_device.to_owned(),
    }
}

fn minute(micros: i64) -> String {
    let mut text = format_micros(micros).replace('T', " ");
    text.truncate(16);
    text
}

fn session_row(lang: Lang, current: &str, s: &SessionInfo) -> SessionRow {
    let t = SettingsTexts::of(lang);
    SessionRow {
        handle: s.id_hash.clone(),
        device: describe_agent(lang, &s.device.user_agent),
        kind: if s.kind == KIND_DESIGNER {
            t.kind_designer
        } else {
            t.kind_account
        },
        ip: s.device.ip.clone(),
        started: minute(s.created_at),
        ends: minute(s.expires_at),
        current: s.id_hash == current,
    }
}

pub(super) async fn sessions_get(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/sessions").await?;
    let t = SettingsTexts::of(lang);
    let sessions = state
        .app
        .studio_sessions_of(user.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    let current = secret::hash(&s.id);
    let rows: Vec<SessionRow> = sessions
        .iter()
        .map(|x| session_row(lang, &current, x))
        .collect();
    let done = match q.done.as_deref() {
        Some("one") => Some(t.ended_one),
        Some("others") => Some(t.ended_others),
        Some("gone") => Some(t.already_gone),
        _ => None,
    };
    Ok(studio(
        StatusCode::OK,
        &SessionsPage {
            f: Frame::new(&state, lang, t.sessions),
            t,
            nav: settings_nav(lang, "/studio/user/settings/sessions"),
            done,
            csrf: &s.session.csrf,
            others: rows.iter().any(|r| !r.current),
            rows,
        },
    ))
}

pub(super) async fn end_session(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/sessions").await?;
    let f = checked_form(&state, lang, form, &s.session.csrf)?;
    let handle = form_field(&f, "session");
    // A session hash is 43 characters of base64url; anything else names no session.
    if handle.len() != 43
        || !handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Ok(super::expired_form(&state, lang, to_start(lang)));
    }
    let ended = state
        .app
        .studio_end_session_of(&user, handle)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    if handle == secret::hash(&s.id) {
        // The person logged out this browser's own session: to the start page.
        return Ok(Redirect::to("/studio/").into_response());
    }
    let done = if ended { "one" } else { "gone" };
    Ok(Redirect::to(&format!("/studio/user/settings/sessions?done={done}")).into_response())
}

pub(super) async fn end_other_sessions(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (s, user) = active_account(&state, lang, s, "/studio/user/settings/sessions").await?;
    checked_form(&state, lang, form, &s.session.csrf)?;
    state
        .app
        .studio_end_other_sessions(&user, &s.id)
        .await
        .map_err(|e| server_error(&state, lang, &e))?;
    Ok(Redirect::to("/studio/user/settings/sessions?done=others").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_read_as_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(describe_agent(Lang::Nb, chrome), "Chrome på Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_agent(Lang::En, iphone), "Safari on iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(describe_agent(Lang::En, edge), "Edge on Windows");
        assert_eq!(describe_agent(Lang::Nb, ""), "Ukjent nettleser");
        assert_eq!(describe_agent(Lang::En, "curl/8.5.0"), "curl");
    }
}
