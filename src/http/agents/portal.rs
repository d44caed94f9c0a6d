//! The portal's pages for agent system users, at Altinn's path `…/{id}/agentdelegation`: a
//! facilitator's administrator sees an agent's clients, finds more among the organisation's
//! clients (search, paging — a firm has thousands) and adds them one by one or all at once,
//! or removes one after a confirmation; every change comes back to a page that says what it
//! did (post/redirect/get). The texts are shared with the package pages (`packages.rs`).

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
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

/// An agent's clients (Altinn's path) and its steps; the pages of earlier versions were
/// `…/agent?org=&id=`, `…/agent/add` and `…/agent/remove`.
const AGENT: &str = "/accessmanagement/ui/systemuser/{id}/agentdelegation";
const ADD: &str = "/accessmanagement/ui/systemuser/{id}/agentdelegation/add";
const ADD_ALL: &str = "/accessmanagement/ui/systemuser/{id}/agentdelegation/add_all";
const REMOVE: &str = "/accessmanagement/ui/systemuser/{id}/agentdelegation/remove";
const OLD_AGENT: &str = "/accessmanagement/ui/systemuser/agent";
const OLD_ADD: &str = "/accessmanagement/ui/systemuser/agent/add";
const OLD_REMOVE: &str = "/accessmanagement/ui/systemuser/agent/remove";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(AGENT, get(agent_page))
        .route(ADD, get(add_page).post(add))
        .route(ADD_ALL, post(add_all))
        .route(REMOVE, get(confirm_remove).post(remove))
        .route(OLD_AGENT, get(moved_agent_page))
        .route(OLD_ADD, get(moved_add_page).post(old_add))
        .route(OLD_REMOVE, get(moved_remove_page).post(old_remove))
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
        add_all: ["Legg til alle", "Legg til alle", "Add all"],
        add_all_matching: ["Legg til alle som passer søket", "Legg til alle som passar søket", "Add every match of the search"],
        added_all: ["{n} klienter er lagt til.", "{n} klientar er lagde til.", "{n} clients added."],
        added_all_more: [
            "Det kan være flere: trykk «Legg til alle» igjen for å fortsette.",
            "Det kan vere fleire: trykk «Legg til alle» igjen for å halde fram.",
            "There may be more: press “Add all” again to go on.",
        ],
        added_none: [
            "Ingen nye klienter: alle var lagt til fra før.",
            "Ingen nye klientar: alle var lagde til frå før.",
            "No new clients: every one was added before.",
        ],
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
    done: Option<String>,
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
    done: Option<String>,
    /// Some client on the page is not added yet ("add all" is offered).
    addable: bool,
    agent_path: String,
    t: &'static AgentTexts,
    org_no: &'a str,
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
    agent_path: String,
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
    /// What the form before did: `added`, `added_all` (with `n` and `more`) or `removed`.
    done: Option<String>,
    n: Option<usize>,
    more: Option<String>,
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
    let mut url = format!("{}/add?org={}", agent_path(id), percent_encode(org));
    if !search.is_empty() {
        url.push_str(&format!("&search={}", percent_encode(search)));
    }
    url
}

/// A step of earlier versions (`…/agent/add?org=&id=…`): the same step at Altinn's path.
fn moved_step(step: &str, q: &AgentQuery) -> Redirect {
    let mut to = format!(
        "{}/{step}?org={}",
        agent_path(q.id.as_deref().unwrap_or_default()),
        percent_encode(q.org.as_deref().unwrap_or_default())
    );
    for (key, value) in [("search", &q.search), ("client", &q.client)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            to.push_str(&format!("&{key}={}", percent_encode(v)));
        }
    }
    Redirect::permanent(&to)
}

async fn moved_add_page(Query(q): Query<AgentQuery>) -> Redirect {
    moved_step("add", &q)
}

async fn moved_remove_page(Query(q): Query<AgentQuery>) -> Redirect {
    moved_step("remove", &q)
}

/// What the form before did, in words, for the page it came back to.
async fn done_text(
    state: &AppState,
    lang: Lang,
    q: &AgentQuery,
) -> Result<Option<String>, SuError> {
    let t = AgentTexts::of(lang);
    let client = match (q.done.as_deref(), q.client.as_deref()) {
        (Some("added" | "removed"), Some(c)) => state.app.party_by_uuid(c).await?,
        _ => None,
    };
    let named = |c: &PartyRecord| {
        format!(
            "{} ({})",
            c.name,
            crate::http::system_users::portal::org_no_spaced(
                c.org_no.as_deref().unwrap_or_default()
            )
        )
    };
    Ok(match (q.done.as_deref(), client) {
        (Some("added"), Some(c)) => Some(format!("{}: {}. {}", t.added, named(&c), t.added_text)),
        (Some("removed"), Some(c)) => {
            Some(format!("{}: {}. {}", t.removed, named(&c), t.removed_text))
        }
        (Some("added_all"), _) => {
            let n = q.n.unwrap_or(0);
            let mut text = if n == 0 {
                t.added_none.to_owned()
            } else {
                t.added_all.replace("{n}", &n.to_string())
            };
            if q.more.is_some() {
                text.push(' ');
                text.push_str(t.added_all_more);
            }
            Some(text)
        }
        _ => None,
    })
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
    let done = done_text(&state, lang, &q).await?;
    Ok(private(render(
        StatusCode::OK,
        &AgentPage {
            done,
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
    Path(id): Path<String>,
    Query(mut q): Query<AgentQuery>,
) -> PageResult {
    let path = format!("{}/add", agent_path(&id));
    q.id = Some(id);
    let (session, org_no, agent) = agent_for_page(&state, lang, session, &q, &path).await?;
    let query = query_of(&q)?;
    let page = state.app.available_clients(&agent, &query).await?;
    let search = query.search.clone().unwrap_or_default();
    let t = AgentTexts::of(lang);
    let title = format!("{} {}", t.add_title, agent.integration_title);
    let done = done_text(&state, lang, &q).await?;
    let addable = page.clients.iter().any(|c| !c.delegated);
    Ok(private(render(
        StatusCode::OK,
        &AddPage {
            f: Frame::new(&state, lang, &title),
            done,
            addable,
            agent_path: agent_path(&agent.id),
            t,
            org_no: &org_no,
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
    /// The agent, in the forms of earlier versions (now in the path).
    #[serde(default)]
    id: String,
    #[serde(default)]
    client: String,
    csrf: String,
    #[serde(default)]
    search: String,
}

async fn add(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    add_one(&state, lang, &session, &id, &form).await
}

/// The add form of earlier versions, with the agent in the form.
async fn old_add(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    add_one(&state, lang, &session, &form.id, &form).await
}

/// Adds one client, then back to the add page (with the same search) that says so.
async fn add_one(
    state: &AppState,
    lang: Lang,
    session: &WebSession,
    id: &str,
    form: &ClientForm,
) -> PageResult {
    state
        .app
        .require_client_admin(&session.pid, &form.org)
        .await?;
    let agent = state.app.agent_of(&form.org, id).await?;
    match state
        .app
        .add_client(&session.pid, &agent, &form.client)
        .await
    {
        Ok((client, _)) => Ok(Redirect::to(&format!(
            "{}&done=added&client={}",
            add_url(&form.org, &agent.id, &form.search),
            percent_encode(&client.party_uuid)
        ))
        .into_response()),
        Err(e) => Ok(not_changed(state, lang, e, &form.org, &agent.id)),
    }
}

/// "Add all" (with the add page's search), then back to the agent's page that says how many.
async fn add_all(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    state
        .app
        .require_client_admin(&session.pid, &form.org)
        .await?;
    let agent = state.app.agent_of(&form.org, &id).await?;
    let search = Some(form.search.as_str()).filter(|s| !s.is_empty());
    match state
        .app
        .add_all_clients(&session.pid, &agent, search)
        .await
    {
        Ok(done) => Ok(Redirect::to(&format!(
            "{}&done=added_all&n={}{}#clients",
            agent_url(&form.org, &agent.id),
            done.added,
            if done.more { "&more=1" } else { "" }
        ))
        .into_response()),
        Err(e) => Ok(not_changed(&state, lang, e, &form.org, &agent.id)),
    }
}

/// The page for a change that was refused (a client that does not qualify, a deleted agent),
/// with the way back; other errors as they are.
fn not_changed(state: &AppState, lang: Lang, e: SuError, org: &str, id: &str) -> Response {
    let t = AgentTexts::of(lang);
    match e {
        SuError::Problem(p) => outcome(
            state,
            lang,
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            t.not_changed,
            p.text(),
            vec![Link::new(agent_url(org, id), t.back_to_agent)],
        ),
        SuError::Invalid(detail) => outcome(
            state,
            lang,
            StatusCode::BAD_REQUEST,
            t.not_changed,
            &detail,
            vec![Link::new(agent_url(org, id), t.back_to_agent)],
        ),
        e => crate::http::system_users::su_problem(e),
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

async fn confirm_remove(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    Query(mut q): Query<AgentQuery>,
) -> PageResult {
    let path = format!("{}/remove", agent_path(&id));
    q.id = Some(id);
    let (session, org_no, agent) = agent_for_page(&state, lang, session, &q, &path).await?;
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
            agent_path: agent_path(&agent.id),
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
    Path(id): Path<String>,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    remove_one(&state, lang, &session, &id, &form).await
}

/// The remove form of earlier versions, with the agent in the form.
async fn old_remove(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<ClientForm>, FormRejection>,
) -> PageResult {
    let (session, form) = checked_form(&state, lang, session, form)?;
    remove_one(&state, lang, &session, &form.id, &form).await
}

/// Removes one client, then back to the agent's page that says so.
async fn remove_one(
    state: &AppState,
    lang: Lang,
    session: &WebSession,
    id: &str,
    form: &ClientForm,
) -> PageResult {
    state
        .app
        .require_client_admin(&session.pid, &form.org)
        .await?;
    let agent = state.app.agent_of(&form.org, id).await?;
    match state
        .app
        .remove_client(&session.pid, &agent, &form.client)
        .await
    {
        Ok(client) => Ok(Redirect::to(&format!(
            "{}&done=removed&client={}#clients",
            agent_url(&form.org, &agent.id),
            percent_encode(&client.party_uuid)
        ))
        .into_response()),
        Err(e) => Ok(not_changed(state, lang, e, &form.org, &agent.id)),
    }
}

csrf_forms!(ClientForm);
