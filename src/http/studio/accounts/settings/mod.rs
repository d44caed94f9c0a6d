//! The account's settings as Gitea offers them, a file per page: the public profile
//! (`/studio/user/settings`, `profile.rs`), the password, the e-mail address (confirmed by a
//! mailed link) and the linked eIDs (`…/settings/account`, `account.rs`), and the active
//! sessions, each of which can be ended (`…/settings/sessions`, `sessions.rs`). The authorised
//! applications (`…/settings/applications`) are in `../applications.rs`. This module holds what
//! they share: the texts, the sub-navigation, the signed-in check and the form's outcome.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{AccountSession, inactive_page};
use crate::domain::studio::{Field, Problem};
use crate::http::AppState;
use crate::http::html::{Lang, texts};
use crate::services::studio_directory::Account;

mod account;
mod profile;
mod sessions;

pub(super) use account::{
    account_get, confirm_email, confirm_email_page, email_post, password_post, unlink_identity,
};
pub(super) use profile::{profile_get, profile_post};
pub(super) use sessions::{end_other_sessions, end_session, sessions_get};

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

/// What a settings page shows besides its form: what the form before did (after a redirect),
/// or the problems of the form just sent (answered with 422).
#[derive(Clone, Copy)]
enum Outcome<'a, F> {
    Shown(Option<&'static str>),
    Wrong(F, &'a [(Field, Problem)]),
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
