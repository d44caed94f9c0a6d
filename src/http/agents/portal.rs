//! The portal's pages for agent system users: a facilitator's administrator sees an agent's
//! clients, finds more among the organisation's clients (search, paging — a firm has
//! thousands) and adds or removes them, each change confirmed on screen. The texts are shared
//! with the package pages (`packages.rs`).

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, PageResult, message, private, render, texts};
use crate::http::login::{MaybeSession, checked_form, csrf_forms};
use crate::http::system_users::pages::{Named, RightsTexts, localized, named};
use crate::http::system_users::portal::{back_home, chosen_org};
use crate::services::agents::{ClientPage, ClientQuery, page_token};
use crate::services::idp::percent_encode;
use crate::services::login::WebSession;
use crate::services::reference::PartyRecord;
use crate::services::system_users::{SuError, SystemUserRecord};

/// An agent's clients (Altinn's path); the page of earlier versions was `…/agent?org=&id=`.
const AGENT: &str = "/accessmanagement/ui/systemuser/{id}/agentdelegation";
const OLD_AGENT: &str = "/accessmanagement/ui/systemuser/agent";
const ADD: &str = "/accessmanagement/ui/systemuser/agent/add";
const REMOVE: &str = "/accessmanagement/ui/systemuser/agent/remove";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(AGENT, get(agent_page))
        .route(OLD_AGENT, get(moved_agent_page))
        .route(ADD, get(add_page).post(add))
        .route(REMOVE, get(confirm_remove).post(remove))
}

texts! {
    pub struct AgentTexts {
        clients: ["Klienter", "Klientar", "Clients"],
        system_acts_for: [
            "Systemet kan handle for disse klientene med tilgangspakkene over.",
            "Systemet kan handle for desse klientane med tilgangspakkane over.",
            "The system may act for these clients with the access packages above.",
        ],
        none_yet: [
            "Ingen klienter er lagt til ennå.",
            "Ingen klientar er lagde til enno.",
            "No clients have been added yet.",
        ],
        add_clients: ["Legg til klienter", "Legg til klientar", "Add clients"],
        add_title: ["Legg til klienter for", "Legg til klientar for", "Add clients for"],
        add_explained: [
            "Her er virksomhetens klienter som gir alle tilgangspakkene systemet trenger. Søk på navn eller organisasjonsnummer.",
            "Her er klientane til verksemda som gir alle tilgangspakkane systemet treng. Søk på namn eller organisasjonsnummer.",
            "These are the organisation's clients that give every access package the system needs. Search by name or organisation number.",
        ],
        none_available: [
            "Ingen flere klienter gir alle tilgangspakkene systemet trenger.",
            "Ingen fleire klientar gir alle tilgangspakkane systemet treng.",
            "No more clients give every access package the system needs.",
        ],
        no_match: ["Ingen treff.", "Ingen treff.", "No matches."],
        search: ["Søk", "Søk", "Search"],
        search_label: ["Søk etter navn eller organisasjonsnummer", "Søk etter namn eller organisasjonsnummer", "Search by name or organisation number"],
        next_page: ["Neste side", "Neste side", "Next page"],
        add: ["Legg til", "Legg til", "Add"],
        already: ["(lagt til)", "(lagd til)", "(added)"],
        remove: ["Fjern", "Fjern", "Remove"],
        not_eligible: [
            "Gir ikke lenger alle tilgangspakkene (rollen er fjernet)",
            "Gir ikkje lenger alle tilgangspakkane (rolla er fjerna)",
            "No longer gives every access package (the role was removed)",
        ],
        added: ["Klienten er lagt til", "Klienten er lagd til", "Client added"],
        added_text: [
            "Systemet kan nå handle for klienten med systemtilgangens tilgangspakker.",
            "Systemet kan no handle for klienten med tilgangspakkane til systemtilgangen.",
            "The system may now act for the client with the system access's packages.",
        ],
        add_more: ["Legg til flere", "Legg til fleire", "Add more"],
        back_to_agent: ["Tilbake til systemtilgangen", "Tilbake til systemtilgangen", "Back to the system access"],
        confirm_remove: ["Fjerne klienten?", "Fjerne klienten?", "Remove the client?"],
        remove_effect: [
            "Systemet kan ikke lenger handle for klienten. Dere kan legge den til igjen senere.",
            "Systemet kan ikkje lenger handle for klienten. De kan leggje han til att seinare.",
            "The system can no longer act for the client. You can add it again later.",
        ],
        removed: ["Klienten er fjernet", "Klienten er fjerna", "Client removed"],
        removed_text: [
            "Systemet kan ikke lenger handle for klienten.",
            "Systemet kan ikkje lenger handle for klienten.",
            "The system can no longer act for the client.",
        ],
        not_changed: ["Ingen endring", "Inga endring", "Nothing changed"],
        not_agent: ["Fant ikke systemtilgangen", "Fann ikkje systemtilgangen", "System access not found"],
        not_agent_text: [
            "Systemtilgangen finnes ikke, er slettet eller er ikke for klienter.",
            "Systemtilgangen finst ikkje, er sletta eller er ikkje for klientar.",
            "The system access does not exist, was deleted, or is not for clients.",
        ],
        no_authority: ["Du kan ikke administrere klienter", "Du kan ikkje administrere klientar", "You cannot manage clients"],
        no_authority_text: [
            "Bare daglig leder, styreleder, innehaver eller en klientadministrator kan gjøre dette.",
            "Berre dagleg leiar, styreleiar, innehavar eller ein klientadministrator kan gjere dette.",
            "Only the daglig leder, styreleder, innehaver or a client administrator may do this.",
        ],
        packages_title: ["Tilgangspakker gitt til andre virksomheter", "Tilgangspakkar gitt til andre verksemder", "Access packages given to other organisations"],
        packages_explained: [
            "Gi en regnskapsfører, revisor eller forretningsfører en tilgangspakke direkte, så virksomheten blir deres klient for systemer som trenger den.",
            "Gi ein rekneskapsførar, revisor eller forretningsførar ein tilgangspakke direkte, så verksemda blir klienten deira for system som treng han.",
            "Give an accountant, auditor or business manager an access package directly, so that the organisation becomes their client for systems that need it.",
        ],
        given_to: ["Gitt til", "Gitt til", "Given to"],
        none_given: ["Ingen tilgangspakker er gitt direkte.", "Ingen tilgangspakkar er gitt direkte.", "No access packages are given directly."],
        receiver: ["Organisasjonsnummer til mottakeren", "Organisasjonsnummer til mottakaren", "Organisation number of the receiver"],
        package: ["Tilgangspakke", "Tilgangspakke", "Access package"],
        give: ["Gi tilgangspakken", "Gi tilgangspakken", "Give the access package"],
        withdraw: ["Trekk tilbake", "Trekk tilbake", "Withdraw"],
        package_not_changed: ["Tilgangspakken ble ikke endret", "Tilgangspakken vart ikkje endra", "The access package was not changed"],
    }
}

/// A client row on a page.
struct ClientRow {
    uuid: String,
    name: String,
    org_no: String,
    eligible: bool,
    delegated: bool,
}

fn rows(page: &ClientPage) -> Vec<ClientRow> {
    page.clients
        .iter()
        .map(|c| ClientRow {
            uuid: c.party.party_uuid.clone(),
            name: c.party.name.clone(),
            org_no: crate::http::system_users::portal::org_no_spaced(
                c.party.org_no.as_deref().unwrap_or_default(),
            ),
            eligible: c.eligible,
            delegated: c.delegated,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "agents/agent.html")]
struct AgentPage<'a> {
    f: Frame,
    t: &'static AgentTexts,
    w: &'static RightsTexts,
    org_no: &'a str,
    agent: &'a SystemUserRecord,
    system_name: String,
    rights: Vec<Named>,
    packages: Vec<Named>,
    show_ids: bool,
    search: &'a str,
    clients: Vec<ClientRow>,
    next: Option<String>,
    home: String,
    /// The page's own path (its search form goes there).
    path: String,
}

#[derive(Template)]
#[template(path = "agents/add.html")]
struct AddPage<'a> {
    f: Frame,
    t: &'static AgentTexts,
    org_no: &'a str,
    agent: &'a SystemUserRecord,
    search: &'a str,
    clients: Vec<ClientRow>,
    next: Option<String>,
    back: String,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "agents/confirm_remove.html")]
struct ConfirmRemovePage<'a> {
    f: Frame,
    t: &'static AgentTexts,
    w: &'static RightsTexts,
    org_no: &'a str,
    agent: &'a SystemUserRecord,
    client: &'a PartyRecord,
    back: String,
    csrf: &'a str,
}

#[derive(Deserialize)]
struct AgentQuery {
    org: Option<String>,
    id: Option<String>,
    search: Option<String>,
    token: Option<String>,
    client: Option<String>,
}

/// The path of the agent's page.
fn agent_path(id: &str) -> String {
    format!(
        "/accessmanagement/ui/systemuser/{}/agentdelegation",
        percent_encode(id)
    )
}

/// The agent's page address for the organisation `org`.
fn agent_url(org: &str, id: &str) -> String {
    format!("{}?org={}", agent_path(id), percent_encode(org))
}

/// The agent page of earlier versions: the same page at Altinn's path.
async fn moved_agent_page(Query(q): Query<AgentQuery>) -> Redirect {
    let mut to = agent_url(
        q.org.as_deref().unwrap_or_default(),
        q.id.as_deref().unwrap_or_default(),
    );
    if let Some(search) = q.search.as_deref().filter(|s| !s.is_empty()) {
        to.push_str(&format!("&search={}", percent_encode(search)));
    }
    Redirect::permanent(&to)
}

fn add_url(org: &str, id: &str, search: &str) -> String {
    let mut url = format!(
        "{ADD}?org={}&id={}",
        percent_encode(org),
        percent_encode(id)
    );
    if !search.is_empty() {
        url.push_str(&format!("&search={}", percent_encode(search)));
    }
    url
}

/// The person, the organisation and its agent system user `id`; the page that explains
/// why not otherwise (log in, choose an organisation, no authority, no such agent).
async fn agent_for_page(
    state: &AppState,
    lang: Lang,
    session: Option<(String, WebSession)>,
    q: &AgentQuery,
    path: &str,
) -> Result<(WebSession, String, SystemUserRecord), Response> {
    let (session, org, _) =
        chosen_org(state, lang, session.map(|(_, s)| s), q.org.as_deref(), path).await?;
    let org_no = org.org_no.clone().unwrap_or_default();
    let t = AgentTexts::of(lang);
    let home = || vec![Link::new(back_home(&org_no), RightsTexts::of(lang).back)];
    match state.app.require_client_admin(&session.pid, &org_no).await {
        Ok(()) => {}
        Err(SuError::NoAuthority) => {
            return Err(private(message(
                state,
                lang,
                StatusCode::FORBIDDEN,
                t.no_authority,
                t.no_authority_text,
                home(),
            )));
        }
        Err(e) => return Err(crate::http::system_users::su_problem(e)),
    }
    match state
        .app
        .agent_of(&org_no, q.id.as_deref().unwrap_or_default())
        .await
    {
        Ok(agent) => Ok((session, org_no, agent)),
        Err(SuError::Problem(_)) => Err(private(message(
            state,
            lang,
            StatusCode::NOT_FOUND,
            t.not_agent,
            t.not_agent_text,
            home(),
        ))),
        Err(e) => Err(crate::http::system_users::su_problem(e)),
    }
}

fn query_of(q: &AgentQuery) -> Result<ClientQuery, SuError> {
    ClientQuery::parse(q.search.as_deref(), q.token.as_deref())
}

fn next_url(base: String, search: &str, page: &ClientPage) -> Option<String> {
    page.next.as_ref().map(|c| {
        let mut url = format!("{base}&token={}", page_token(c));
        if !search.is_empty() && !base.contains("&search=") {
            url.push_str(&format!("&search={}", percent_encode(search)));
        }
        url
    })
}

async fn agent_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    Query(mut q): Query<AgentQuery>,
) -> PageResult {
    let path = agent_path(&id);
    q.id = Some(id);
    let (_session, org_no, agent) = agent_for_page(&state, lang, session, &q, &path).await?;
    let query = query_of(&q)?;
    let page = state.app.delegated_clients(&agent, &query).await?;
    let names = state
        .app
        .reference_names(&agent.rights, &agent.access_packages)
        .await?;
    let (rights, packages) = named(&names, lang, &agent.rights, &agent.access_packages);
    let system_name = match state
        .app
        .system_names(&[agent.system_id.as_str()])
        .await?
        .get(&agent.system_id)
    {
        Some(n) => localized(n, lang),
        None => agent.system_id.clone(),
    };
    let search = query.search.clone().unwrap_or_default();
    let t = AgentTexts::of(lang);
    Ok(private(render(
        StatusCode::OK,
        &AgentPage {
            f: Frame::new(&state, lang, &agent.integration_title),
            t,
            w: RightsTexts::of(lang),
            org_no: &org_no,
            agent: &agent,
            system_name,
            rights,
            packages,
            show_ids: false,
            search: &search,
            clients: rows(&page),
            next: next_url(agent_url(&org_no, &agent.id), &search, &page),
            home: crate::http::system_users::portal::detail_url(&org_no, &agent.id),
            path,
        },
    )))
}

async fn add_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<AgentQuery>,
) -> PageResult {
    let (session, org_no, agent) = agent_for_page(&state, lang, session, &q, ADD).await?;
    let query = query_of(&q)?;
    let page = state.app.available_clients(&agent, &query).await?;
    let search = query.search.clone().unwrap_or_default();
    let t = AgentTexts::of(lang);
    let title = format!("{} {}", t.add_title, agent.integration_title);
    Ok(private(render(
        StatusCode::OK,
        &AddPage {
            f: Frame::new(&state, lang, &title),
            t,
            org_no: &org_no,
            agent: &agent,
            search: &search,
            clients: rows(&page),
            next: next_url(add_url(&org_no, &agent.id, &search), &search, &page),
            back: agent_url(&org_no, &agent.id),
            csrf: &session.csrf,
        },
    )))
}

#[derive(Deserialize)]
struct ClientForm {
    org: String,
    id: String,
    client: String,
    csrf: String,
    #[serde(default)]
    search: String,
}

/// The page after adding or removing a client: what changed, or why nothing did.
fn changed(
    state: &AppState,
    lang: Lang,
    result: Result<PartyRecord, SuError>,
    title: &str,
    text: &str,
    links: Vec<Link>,
) -> Result<Response, SuError> {
    match result {
        Ok(client) => Ok(outcome(
            state,
            lang,
            StatusCode::OK,
            title,
            &format!(
                "{} ({}): {text}",
                client.name,
                client.org_no.unwrap_or_default()
            ),
            links,
        )),
        Err(SuError::Problem(p)) => Ok(outcome(
            state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            AgentTexts::of(lang).not_changed,
            p.text(),
            links,
        )),
        Err(e) => Err(e),
    }
}

/// A message after a change, with the way on.
pub(super) fn outcome(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    links: Vec<Link>,
) -> Response {
    private(message(state, lang, status, title, text, links))
}

async fn add(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    let t = AgentTexts::of(lang);
    let links = vec![
        Link::new(add_url(&form.org, &form.id, &form.search), t.add_more),
        Link::new(agent_url(&form.org, &form.id), t.back_to_agent),
    ];
    state
        .app
        .require_client_admin(&session.pid, &form.org)
        .await?;
    let agent = state.app.agent_of(&form.org, &form.id).await?;
    let result = state
        .app
        .add_client(&session.pid, &agent, &form.client)
        .await
        .map(|(client, _)| client);
    Ok(changed(&state, lang, result, t.added, t.added_text, links)?)
}

async fn confirm_remove(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Query(q): Query<AgentQuery>,
) -> PageResult {
    let (session, org_no, agent) = agent_for_page(&state, lang, session, &q, REMOVE).await?;
    let t = AgentTexts::of(lang);
    let client = match q.client.as_deref() {
        Some(c) => state.app.party_by_uuid(c).await?,
        None => None,
    };
    let Some(client) = client else {
        return Ok(outcome(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            t.not_changed,
            "",
            vec![Link::new(agent_url(&org_no, &agent.id), t.back_to_agent)],
        ));
    };
    Ok(private(render(
        StatusCode::OK,
        &ConfirmRemovePage {
            f: Frame::new(&state, lang, t.confirm_remove),
            t,
            w: RightsTexts::of(lang),
            org_no: &org_no,
            agent: &agent,
            client: &client,
            back: agent_url(&org_no, &agent.id),
            csrf: &session.csrf,
        },
    )))
}

async fn remove(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    let t = AgentTexts::of(lang);
    let links = vec![Link::new(agent_url(&form.org, &form.id), t.back_to_agent)];
    state
        .app
        .require_client_admin(&session.pid, &form.org)
        .await?;
    let agent = state.app.agent_of(&form.org, &form.id).await?;
    let result = state
        .app
        .remove_client(&session.pid, &agent, &form.client)
        .await;
    Ok(changed(
        &state,
        lang,
        result,
        t.removed,
        t.removed_text,
        links,
    )?)
}

csrf_forms!(ClientForm);
