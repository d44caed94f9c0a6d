//! The system-user portal at Altinn's paths under `/accessmanagement/ui/systemuser/`: a
//! representative chooses which organisation to act for (here), sees its system access and
//! appoints access managers (`overview`), opens one system user to rename or delete it
//! (`detail`), and creates one by choosing a system from the list (`create`, Method B).

mod create;
mod detail;
mod overview;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::pages::{Named, RightsTexts, localized, named};
use crate::domain::problem_codes as codes;
use crate::domain::system::System;
use crate::http::AppState;
use crate::http::html::{
    FieldError, Frame, Lang, Link, PageResult, message, private, render, texts,
};
use crate::http::login::{MaybeSession, checked_form, csrf_forms};
use crate::services::idp::percent_encode;
use crate::services::login::WebSession;
use crate::services::reference::PartyRecord;
use crate::services::system_users::RequestRecord;
use crate::services::system_users::SuError;

/// The overview of an organisation's system access (Altinn's path).
pub(crate) const HOME: &str = "/accessmanagement/ui/systemuser/overview";
/// Method B: the organisation creates a system user itself.
const NEW: &str = "/accessmanagement/ui/systemuser/create";
/// One system user's page; its delete step and rename form are under it.
const DETAIL: &str = "/accessmanagement/ui/systemuser/{id}";
const DELETE: &str = "/accessmanagement/ui/systemuser/{id}/delete";
const RENAME: &str = "/accessmanagement/ui/systemuser/{id}/rename";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(overview::overview))
        .route(DETAIL, get(detail::detail))
        .route(DELETE, get(detail::confirm_delete).post(detail::delete))
        .route(RENAME, axum::routing::post(detail::rename))
        .route(NEW, get(create::choose_system).post(create::create))
        // The paths of earlier versions.
        .route("/accessmanagement/ui/systemuser/", get(moved_overview))
        .route("/accessmanagement/ui/systemuser/new", get(moved_create))
        .route("/accessmanagement/ui/systemuser/delete", get(moved_delete))
        .route(
            "/accessmanagement/ui/systemuser/accessmanagers",
            axum::routing::post(overview::access_managers),
        )
}

texts! {
    pub struct PortalTexts {
        title: ["Systemtilganger", "Systemtilgangar", "System access"],
        access_for: ["Systemtilganger for", "Systemtilgangar for", "System access for"],
        choose_org: ["Velg virksomhet", "Vel verksemd", "Choose organisation"],
        which_org: [
            "Hvilken virksomhet vil du representere?",
            "Kva verksemd vil du representere?",
            "Which organisation do you act for?",
        ],
        no_orgs: ["Du representerer ingen virksomheter", "Du representerer ingen verksemder", "You represent no organisations"],
        no_orgs_text: [
            "Systemtilganger forvaltes av daglig leder, styreleder eller innehaver i virksomheten.",
            "Systemtilgangar blir forvalta av dagleg leiar, styreleiar eller innehavar i verksemda.",
            "System access is managed by the organisation's daglig leder, styreleder or innehaver.",
        ],
        change_org: ["Bytt virksomhet", "Byt verksemd", "Change organisation"],
        create_new: ["Opprett ny systemtilgang", "Opprett ny systemtilgang", "Create new system access"],
        waiting: ["Forespørsler som venter på svar", "Førespurnader som ventar på svar", "Requests waiting for an answer"],
        sent_on_to_you: ["(sendt videre til deg)", "(sendt vidare til deg)", "(sent on to you)"],
        system_users: ["Systemtilganger", "Systemtilgangar", "System access"],
        none_yet: [
            "Virksomheten har ingen systemtilganger ennå.",
            "Verksemda har ingen systemtilgangar enno.",
            "The organisation has no system access yet.",
        ],
        system: ["System:", "System:", "System:"],
        created: ["opprettet", "oppretta", "created"],
        delete: ["Slett", "Slett", "Delete"],
        confirm_delete: ["Slette systemtilgangen?", "Slette systemtilgangen?", "Delete the system access?"],
        delete_effect: [
            "Systemet mister tilgangene under og kan ikke lenger hente tokener for virksomheten. Leverandøren må sende en ny forespørsel for å få dem igjen.",
            "Systemet mistar tilgangane under og kan ikkje lenger hente token for verksemda. Leverandøren må sende ein ny førespurnad for å få dei att.",
            "The system loses the access below and can no longer fetch tokens for the organisation. The vendor must send a new request to get it back.",
        ],
        delete_effect_agent: [
            "Systemet kan heller ikke lenger handle for noen av klientene. Klientene fjernes sammen med systemtilgangen.",
            "Systemet kan heller ikkje lenger handle for nokon av klientane. Klientane blir fjerna saman med systemtilgangen.",
            "The system can no longer act for any of the clients either. The clients are removed with the system access.",
        ],
        not_found: ["Fant ikke systemtilgangen", "Fann ikkje systemtilgangen", "System access not found"],
        not_found_text: [
            "Systemtilgangen finnes ikke eller er allerede slettet.",
            "Systemtilgangen finst ikkje eller er allereie sletta.",
            "The system access does not exist or was deleted already.",
        ],
        for_clients: ["For klienter", "For klientar", "For clients"],
        pending_changes: ["Endringer som venter på svar:", "Endringar som ventar på svar:", "Changes waiting for an answer:"],
        open_change: ["Se endringen", "Sjå endringa", "See the change"],
        manage_clients: ["Se og velg klienter", "Sjå og vel klientar", "See and choose clients"],
        packages_given: ["Tilgangspakker gitt til regnskapsfører, revisor eller forretningsfører", "Tilgangspakkar gitt til rekneskapsførar, revisor eller forretningsførar", "Access packages given to an accountant, auditor or business manager"],
        managers: ["Tilgangsstyrere", "Tilgangsstyrarar", "Access managers"],
        managers_text: [
            "Tilgangsstyrere kan godkjenne forespørsler og forvalte systemtilganger for virksomheten.",
            "Tilgangsstyrarar kan godkjenne førespurnader og forvalte systemtilgangar for verksemda.",
            "Access managers may approve requests and manage system access for the organisation.",
        ],
        remove: ["Fjern", "Fjern", "Remove"],
        new_manager: [
            "Fødselsnummer til ny tilgangsstyrer",
            "Fødselsnummer til ny tilgangsstyrar",
            "National identity number of the new access manager",
        ],
        add: ["Legg til", "Legg til", "Add"],
        choose_system: ["Velg system", "Vel system", "Choose a system"],
        new_for: ["Ny systemtilgang for", "Ny systemtilgang for", "New system access for"],
        no_systems: ["Ingen systemer er tilgjengelige.", "Ingen system er tilgjengelege.", "No systems are available."],
        confirm_new: ["Bekreft ny systemtilgang", "Stadfest ny systemtilgang", "Confirm the new system access"],
        the_system: ["Systemet", "Systemet", "The system"],
        gets_user_for: ["får en systemtilgang for", "får ein systemtilgang for", "gets system access for"],
        integration_name: ["Navn på integrasjonen", "Namn på integrasjonen", "Name of the integration"],
        create: ["Opprett systemtilgang", "Opprett systemtilgang", "Create system access"],
        not_created: ["Systemtilgangen ble ikke opprettet", "Systemtilgangen vart ikkje oppretta", "The system access was not created"],
        already_exists: [
            "Virksomheten har allerede en systemtilgang for dette systemet.",
            "Verksemda har allereie ein systemtilgang for dette systemet.",
            "The organisation already has system access for this system.",
        ],
        done_created: ["Systemtilgangen er opprettet.", "Systemtilgangen er oppretta.", "The system access was created."],
        done_deleted: ["Systemtilgangen er slettet.", "Systemtilgangen er sletta.", "The system access was deleted."],
        done_renamed: ["Navnet er endret.", "Namnet er endra.", "The name was changed."],
        done_manager_added: ["Tilgangsstyreren er lagt til.", "Tilgangsstyraren er lagd til.", "The access manager was added."],
        done_manager_removed: ["Tilgangsstyreren er fjernet.", "Tilgangsstyraren er fjerna.", "The access manager was removed."],
        manager_pid_invalid: [
            "Fødselsnummeret er ikke gyldig. Det har 11 siffer.",
            "Fødselsnummeret er ikkje gyldig. Det har 11 siffer.",
            "The national identity number is not valid. It has 11 digits.",
        ],
        manager_unknown: [
            "Folkeregisteret har ingen person med dette fødselsnummeret.",
            "Folkeregisteret har ingen person med dette fødselsnummeret.",
            "The population register has no person with this number.",
        ],
        manager_not_allowed: [
            "Bare daglig leder, styreleder eller innehaver kan utnevne tilgangsstyrere.",
            "Berre dagleg leiar, styreleiar eller innehavar kan utnemne tilgangsstyrarar.",
            "Only the daglig leder, styreleder or innehaver may appoint access managers.",
        ],
        manager_refused: [
            "Endringen ble ikke gjort. Prøv igjen.",
            "Endringa vart ikkje gjord. Prøv igjen.",
            "The change was not made. Try again.",
        ],
        reference: ["Referanse", "Referanse", "Reference"],
        label_system: ["System", "System", "System"],
        label_vendor: ["Leverandør", "Leverandør", "Vendor"],
        label_created: ["Opprettet", "Oppretta", "Created"],
        org_number: ["Organisasjonsnummer", "Organisasjonsnummer", "Organisation number"],
        show_ids: ["Vis tekniske ID-er", "Vis tekniske ID-ar", "Show technical ids"],
        rename: ["Endre navn", "Endre namn", "Rename"],
        new_name: ["Nytt navn", "Nytt namn", "New name"],
        save_name: ["Lagre navnet", "Lagre namnet", "Save the name"],
        name_empty: ["Skriv et navn.", "Skriv eit namn.", "Type a name."],
        name_too_long: ["Navnet kan ikke være lenger enn 255 tegn.", "Namnet kan ikkje vere lenger enn 255 teikn.", "The name cannot be longer than 255 characters."],
        delete_heading: ["Slett systemtilgangen", "Slett systemtilgangen", "Delete the system access"],
        search_systems: ["Søk etter system eller leverandør", "Søk etter system eller leverandør", "Search for a system or vendor"],
        search: ["Søk", "Søk", "Search"],
        no_match: ["Ingen systemer passer søket.", "Ingen system passar søket.", "No system matches the search."],
        search_too_long: ["Søket kan ikke være lenger enn 100 tegn.", "Søket kan ikkje vere lenger enn 100 teikn.", "The search cannot be longer than 100 characters."],
        disclaimer: [
            "Når du oppretter systemtilgangen, kan systemet handle på vegne av virksomheten med tilgangene under, til den slettes. Sjekk at du stoler på leverandøren, og at systemet ikke får mer enn det trenger.",
            "Når du opprettar systemtilgangen, kan systemet handle på vegner av verksemda med tilgangane under, til han blir sletta. Sjekk at du stolar på leverandøren, og at systemet ikkje får meir enn det treng.",
            "When you create the system access, the system may act on the organisation's behalf with the access below until it is deleted. Check that you trust the vendor, and that the system gets no more than it needs.",
        ],
    }
}

#[derive(Template)]
#[template(path = "system_users/choose_org.html")]
struct ChooseOrgPage<'a> {
    f: Frame,
    t: &'static PortalTexts,
    orgs: &'a [PartyRecord],
    path: &'a str,
}

/// A system user as the overview shows it.
struct UserView<'a> {
    id: &'a str,
    integration_title: &'a str,
    external_ref: &'a str,
    system_name: String,
    /// The vendor's organisation number, spaced.
    vendor_org: String,
    /// The vendor's name in the register (its org number when the register has none).
    vendor_name: String,
    /// When it was created (`YYYY-MM-DD HH:MM UTC`).
    created: String,
    /// Its page.
    detail: String,
    rights: Vec<Named>,
    packages: Vec<Named>,
    /// An agent system user (its page lists and changes its clients).
    is_agent: bool,
    /// The pages of its change requests that wait for an answer.
    pending_changes: Vec<String>,
}

#[derive(Deserialize, Default)]
struct OrgQuery {
    org: Option<String>,
    system: Option<String>,
    /// What the form before did (`created`, `deleted`, `renamed`), to say so.
    done: Option<String>,
    /// Method B's search among the systems.
    search: Option<String>,
}

/// What a `done=` says, in words.
fn done_text(t: &'static PortalTexts, done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some(t.done_created),
        "deleted" => Some(t.done_deleted),
        "renamed" => Some(t.done_renamed),
        "manager_added" => Some(t.done_manager_added),
        "manager_removed" => Some(t.done_manager_removed),
        _ => None,
    }
}

/// The session and the organisations its person represents; a redirect to log in otherwise.
async fn represented(
    state: &AppState,
    session: Option<WebSession>,
    back: &str,
) -> Result<(WebSession, Vec<PartyRecord>), Response> {
    let Some(session) = session else {
        return Err(Redirect::to(&format!(
            "/auth/login/idporten?goto={}",
            percent_encode(back)
        ))
        .into_response());
    };
    let orgs = state
        .app
        .organizations_represented(&session.pid)
        .await
        .map_err(super::su_problem)?;
    Ok((session, orgs))
}

fn chosen<'a>(orgs: &'a [PartyRecord], wanted: Option<&str>) -> Option<&'a PartyRecord> {
    match wanted {
        Some(w) => orgs.iter().find(|o| o.org_no.as_deref() == Some(w)),
        None if orgs.len() == 1 => orgs.first(),
        None => None,
    }
}

/// The person and the organisation they act for on a page at `path` (with its query, where
/// a log-in comes back to): a redirect to log in, a page saying they represent none, or the
/// chooser when it is not yet clear. The count is how many organisations they represent.
pub(crate) async fn chosen_org(
    state: &AppState,
    lang: Lang,
    session: Option<WebSession>,
    wanted: Option<&str>,
    path: &str,
) -> Result<(WebSession, PartyRecord, usize), Response> {
    let (session, orgs) = represented(state, session, path).await?;
    let t = PortalTexts::of(lang);
    if orgs.is_empty() {
        return Err(message(
            state,
            lang,
            StatusCode::FORBIDDEN,
            t.no_orgs,
            t.no_orgs_text,
            vec![],
        ));
    }
    match chosen(&orgs, wanted) {
        Some(org) => Ok((session, org.clone(), orgs.len())),
        None => Err(private(render(
            StatusCode::OK,
            &ChooseOrgPage {
                f: Frame::new(state, lang, t.choose_org),
                t,
                orgs: &orgs,
                path: path.split('?').next().unwrap_or(path),
            },
        ))),
    }
}

/// Back to the overview of the organisation `org`.
pub(crate) fn back_home(org: &str) -> String {
    format!("{HOME}?org={}", percent_encode(org))
}

/// The page of the organisation's system user `id`.
pub(crate) fn detail_url(org: &str, id: &str) -> String {
    format!(
        "/accessmanagement/ui/systemuser/{}?org={}",
        percent_encode(id),
        percent_encode(org)
    )
}

/// The overview after a form did something, saying what (post/redirect/get).
fn home_after(org: &str, done: &str) -> String {
    format!("{}&done={done}", back_home(org))
}

/// A system user as the overview and the delete confirmation show it.
fn user_view<'a>(
    overview: &'a crate::services::system_user_queries::OrganisationOverview,
    u: &'a crate::services::system_users::SystemUserRecord,
    lang: Lang,
) -> UserView<'a> {
    let (rights, packages) = named(&overview.names, lang, &u.rights, &u.access_packages);
    let at = crate::clock::format_micros(u.created_at);
    UserView {
        id: &u.id,
        integration_title: &u.integration_title,
        external_ref: &u.external_ref,
        system_name: match overview.system_names.get(&u.system_id) {
            Some(name) => localized(name, lang),
            None => u.system_id.clone(),
        },
        vendor_org: org_no_spaced(&u.vendor_org),
        vendor_name: overview
            .vendor_names
            .get(&u.vendor_org)
            .cloned()
            .unwrap_or_else(|| org_no_spaced(&u.vendor_org)),
        created: format!(
            "{} {} UTC",
            at.get(..10).unwrap_or_default(),
            at.get(11..16).unwrap_or_default()
        ),
        detail: detail_url(&u.party_org_no, &u.id),
        rights,
        packages,
        is_agent: u.user_type == crate::domain::request::SystemUserType::Agent,
        pending_changes: overview
            .pending_changes
            .iter()
            .filter(|(_, user)| *user == u.id)
            .map(|(id, _)| {
                format!(
                    "{}?id={id}&DONTCHOOSEREPORTEE=true",
                    super::change_approval::PAGE
                )
            })
            .collect(),
    }
}

/// An organisation number as people read it: `123 456 789`.
pub(crate) fn org_no_spaced(org_no: &str) -> String {
    if org_no.len() == 9 && org_no.bytes().all(|b| b.is_ascii_digit()) {
        format!("{} {} {}", &org_no[..3], &org_no[3..6], &org_no[6..])
    } else {
        org_no.to_owned()
    }
}

/// The earlier overview address: the same query at Altinn's path.
async fn moved_overview(uri: axum::http::Uri) -> Redirect {
    Redirect::permanent(&with_same_query(HOME, &uri))
}

/// The earlier address of Method B.
async fn moved_create(uri: axum::http::Uri) -> Redirect {
    Redirect::permanent(&with_same_query(NEW, &uri))
}

/// The earlier delete address (`?org=&id=`): the system user's delete step.
async fn moved_delete(Query(q): Query<DeleteQuery>) -> Redirect {
    let id = q.id.unwrap_or_default();
    let mut to = format!(
        "/accessmanagement/ui/systemuser/{}/delete",
        percent_encode(&id)
    );
    if let Some(org) = q.org {
        to.push_str(&format!("?org={}", percent_encode(&org)));
    }
    Redirect::permanent(&to)
}

fn with_same_query(path: &str, uri: &axum::http::Uri) -> String {
    match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    }
}

#[derive(Deserialize)]
struct DeleteQuery {
    org: Option<String>,
    id: Option<String>,
}
