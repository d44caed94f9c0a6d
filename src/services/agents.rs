//! Agent system users end to end (spec authentication-api §1.3, §2.2 R2–R21, §2.4 U2,
//! U12–U17 and the `enduser/systemuser` client-delegation façade, as corrected by errata
//! §B–§D): a vendor asks for an agent system user for a facilitator (an accounting firm, an
//! auditor, a business manager), the facilitator approves, and then chooses which of its
//! clients the agent may act for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::system_users::{Asked, SuError, p, p_detail};
use super::tokens::Caller;
use crate::domain::agent;
use crate::domain::problem_codes as codes;
use crate::domain::request::{self, RequestProblem, SystemUserType, canonical_uuid};
use crate::domain::system::PackageRef;
use crate::store::StoreError;
pub use crate::store::agent::ClientCursor;
use crate::store::agent::{self as db, ClientFilter};
use crate::store::audit::{self, AuditEntry};
use crate::store::reference::PartyRecord;
use crate::store::system_user::{RequestRecord, SystemUserRecord};

/// The most clients "add all" adds in one go, and the most it looks at (a firm with more
/// presses it again).
pub const ADD_ALL_LIMIT: usize = 1000;
pub const ADD_ALL_SCAN: usize = 20_000;

/// What "add all" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedAll {
    pub added: usize,
    /// Some eligible clients may not have been looked at yet.
    pub more: bool,
}

/// Clients per page of the client lists (tilgang's extension; Altinn sends one page).
pub const CLIENT_PAGE_SIZE: i64 = 100;
/// The longest search text accepted.
const MAX_SEARCH: usize = 100;

/// The body of `POST systemuser/request/vendor/agent` (`CreateAgentRequestSystemUser`). It
/// has no `rights`: a `rights` field is ignored like any unknown one (errata §B.4).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAgentRequest {
    pub system_id: String,
    pub party_org_no: String,
    #[serde(default)]
    pub external_ref: Option<String>,
    #[serde(default)]
    pub integration_title: Option<String>,
    /// Required; `None` is refused by the handler before this is called.
    #[serde(default)]
    pub access_packages: Option<Vec<PackageRef>>,
    #[serde(default)]
    pub redirect_url: Option<String>,
}

/// A client as the lists show it.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    pub party: PartyRecord,
    /// Whether it still gives every package of the agent (a delegated client whose role
    /// towards the facilitator was withdrawn is not, and cannot be added again).
    pub eligible: bool,
    /// Whether it is delegated to the agent already.
    pub delegated: bool,
}

/// A client with what it gives the facilitator: (role, packages) per client role, and the
/// packages it delegated directly as `rettighetshaver`.
#[derive(Debug, Clone)]
pub struct FacilitatorClient {
    pub party: PartyRecord,
    pub access: Vec<(String, Vec<String>)>,
}

/// A page of clients and where the next starts.
#[derive(Debug, Clone)]
pub struct ClientPage {
    pub clients: Vec<ClientEntry>,
    pub next: Option<ClientCursor>,
}

/// How a list of clients is narrowed: a search and the page to start at.
#[derive(Debug, Clone, Default)]
pub struct ClientQuery {
    pub search: Option<String>,
    pub after: Option<ClientCursor>,
}

impl ClientQuery {
    /// The store's filter: one more than a page, so that a next page shows.
    pub fn filter(&self) -> ClientFilter<'_> {
        ClientFilter {
            search: self.search.as_deref(),
            after: self.after.as_ref(),
            limit: CLIENT_PAGE_SIZE + 1,
        }
    }

    /// Reads `?search=` and a `token` from `links.next`; a token that is not one is refused.
    pub fn parse(search: Option<&str>, token: Option<&str>) -> Result<Self, SuError> {
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > MAX_SEARCH) {
            return Err(invalid(&format!(
                "search is at most {MAX_SEARCH} characters"
            )));
        }
        let after = match token.filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(
                B64.decode(t)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<ClientCursor>(&b).ok())
                    // A name with a control character (NUL) is no name we wrote.
                    .filter(|c| !c.name.chars().any(char::is_control))
                    .ok_or_else(|| invalid("token is not a page token from links.next"))?,
            ),
        };
        Ok(Self {
            search: search.map(str::to_owned),
            after,
        })
    }
}

/// The `token` of the page that starts after `cursor`.
pub fn page_token(cursor: &ClientCursor) -> String {
    B64.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

/// A plain 400 for input that is malformed (not one of Altinn's codes).
pub(crate) fn invalid(detail: &str) -> SuError {
    SuError::Invalid(detail.to_owned())
}

impl App {
    /// R2: creates an agent request (packages only), or returns the live one with the key.
    pub async fn create_agent_request(
        &self,
        caller: &Caller,
        input: CreateAgentRequest,
        packages: Vec<PackageRef>,
    ) -> Result<(RequestRecord, bool), SuError> {
        let asked = Asked {
            system_id: input.system_id,
            party_org_no: input.party_org_no,
            external_ref: input.external_ref,
            integration_title: input.integration_title,
            redirect_url: input.redirect_url,
            kind: SystemUserType::Agent,
        };
        self.create_request_of(caller, asked, move |system, catalogue| {
            request::check_agent_packages(&packages, system, |urn| {
                catalogue
                    .iter()
                    .find(|p| p.urn.as_str() == urn)
                    .map(|p| p.is_delegable)
            })?;
            Ok((Vec::new(), packages))
        })
        .await
    }

    /// The live agent system user `id`: AUTH-00015 when there is none, AUTH-00034 when it is
    /// a standard one.
    pub async fn agent_system_user(&self, id: &str) -> Result<SystemUserRecord, SuError> {
        let u = self
            .store
            .system_user(&canonical_uuid(id))
            .await?
            .filter(|u| !u.is_deleted)
            .ok_or_else(|| p(codes::SYSTEM_USER_NOT_FOUND))?;
        if u.user_type != SystemUserType::Agent {
            return Err(p(codes::AGENT_SYSTEM_USER_EXPECTED_AGENT_USER_TYPE));
        }
        Ok(u)
    }

    /// As [`App::agent_system_user`], owned by `org` (AUTH-00015 otherwise).
    pub async fn agent_of(&self, org: &str, id: &str) -> Result<SystemUserRecord, SuError> {
        let u = self.agent_system_user(id).await?;
        if u.party_org_no != org {
            return Err(p(codes::SYSTEM_USER_NOT_FOUND));
        }
        Ok(u)
    }

    /// The person may manage the clients of `org` (errata §D.13: a main administrator or a
    /// client administrator); [`SuError::NoAuthority`] otherwise.
    pub async fn require_client_admin(&self, pid: &str, org: &str) -> Result<(), SuError> {
        if self.store.is_client_administrator(pid, org).await? {
            Ok(())
        } else {
            Err(SuError::NoAuthority)
        }
    }

    /// The organisation that owns `agent` (the facilitator).
    async fn facilitator(&self, agent: &SystemUserRecord) -> Result<PartyRecord, SuError> {
        self.store
            .organization_by_party_id(agent.party_id)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))
    }

    /// The facilitator's organisations that may still be added to `agent`: those that give
    /// every package of it (errata §D.10), a page at a time.
    pub async fn available_clients(
        &self,
        agent: &SystemUserRecord,
        q: &ClientQuery,
    ) -> Result<ClientPage, SuError> {
        let facilitator = self.facilitator(agent).await?;
        let catalogue = self.store.access_packages().await?;
        let grants = agent::grants_for(&agent.access_packages, &catalogue);
        let filter = q.filter();
        let mut found = self
            .store
            .eligible_clients(facilitator.party_id, &grants, &filter)
            .await?;
        let next = split_page(&mut found);
        let ids: Vec<i64> = found.iter().map(|c| c.party_id).collect();
        let delegated = self.store.delegated_among(&agent.id, &ids).await?;
        let clients = found
            .into_iter()
            .map(|party| ClientEntry {
                delegated: delegated.contains(&party.party_id),
                party,
                eligible: true,
            })
            .collect();
        Ok(ClientPage { clients, next })
    }

    /// The clients delegated to `agent`, a page at a time, each with whether it is still
    /// eligible.
    pub async fn delegated_clients(
        &self,
        agent: &SystemUserRecord,
        q: &ClientQuery,
    ) -> Result<ClientPage, SuError> {
        let filter = q.filter();
        let mut found = self.store.delegated_clients(&agent.id, &filter).await?;
        let next = split_page(&mut found);
        let facilitator = self.facilitator(agent).await?;
        let ids: Vec<i64> = found.iter().map(|c| c.party_id).collect();
        let relations = self
            .store
            .client_relations(facilitator.party_id, &ids)
            .await?;
        let catalogue = self.store.access_packages().await?;
        let clients = found
            .into_iter()
            .map(|party| {
                // The facilitator itself (U15 "self") gives what it holds.
                let eligible = party.party_id == facilitator.party_id
                    || relations.get(&party.party_id).is_some_and(|r| {
                        agent::missing_packages(&agent.access_packages, &catalogue, r).is_empty()
                    });
                ClientEntry {
                    party,
                    eligible,
                    delegated: true,
                }
            })
            .collect();
        Ok(ClientPage { clients, next })
    }

    /// The organisation `client` (a party UUID) as a client of `agent`'s owner: AUTH-00079
    /// unless it gives every package of the agent; when it gives only some, the problem
    /// lists the missing ones (`missingPackages`, tilgang's extension).
    async fn eligible_client(
        &self,
        agent: &SystemUserRecord,
        facilitator: &PartyRecord,
        client: &str,
    ) -> Result<PartyRecord, SuError> {
        let not_found = || p(codes::AGENT_SYSTEM_USER_CLIENT_NOT_FOUND);
        let party = self
            .store
            .party_by_uuid(&canonical_uuid(client))
            .await?
            .filter(|c| c.kind == "org" && c.party_id != facilitator.party_id)
            .ok_or_else(not_found)?;
        let relations = self
            .store
            .client_relations(facilitator.party_id, &[party.party_id])
            .await?;
        let relation = relations.get(&party.party_id).cloned().unwrap_or_default();
        if !relation.exists() {
            return Err(not_found());
        }
        let catalogue = self.store.access_packages().await?;
        let missing = agent::missing_packages(&agent.access_packages, &catalogue, &relation);
        if !missing.is_empty() {
            return Err(SuError::Problem(RequestProblem {
                detail: Some(format!(
                    "{} is a client of {}, but does not give it every access package of the system user",
                    party.name, facilitator.name
                )),
                extensions: vec![("missingPackages", json!(missing))],
                ..codes::AGENT_SYSTEM_USER_CLIENT_NOT_FOUND.into()
            }));
        }
        Ok(party)
    }

    /// Delegates the client `client` (a party UUID) to `agent`, for the person `pid` (who has
    /// been checked to be a client administrator of its owner). Idempotent: `false` when it
    /// already was. The agent's row lock makes a concurrent deletion of the agent wait, so
    /// no delegation outlives its agent.
    pub async fn add_client(
        &self,
        pid: &str,
        agent: &SystemUserRecord,
        client: &str,
    ) -> Result<(PartyRecord, bool), SuError> {
        let facilitator = self.facilitator(agent).await?;
        let party = self.eligible_client(agent, &facilitator, client).await?;
        let now = self.clock.now();
        let actor = person_actor(pid);
        let mut tx = self.store.begin().await?;
        if !db::lock_live_system_user(&mut tx, &agent.id).await? {
            return Err(p(codes::SYSTEM_USER_NOT_FOUND));
        }
        let added = db::insert_client_delegation(
            &mut tx,
            &agent.id,
            party.party_id,
            facilitator.party_id,
            &actor,
            now,
        )
        .await?;
        if added {
            audit_client(&mut tx, &actor, "systemuser.client.add", agent, &party, now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok((party, added))
    }

    /// "Add all": adds every client that gives all of `agent`'s packages and matches `search`,
    /// a page at a time, each page in one transaction. At most [`ADD_ALL_LIMIT`] are added and
    /// [`ADD_ALL_SCAN`] looked at in one go; `more` says that some may be left.
    pub async fn add_all_clients(
        &self,
        pid: &str,
        agent: &SystemUserRecord,
        search: Option<&str>,
    ) -> Result<AddedAll, SuError> {
        let query = ClientQuery::parse(search, None)?;
        let facilitator = self.facilitator(agent).await?;
        let catalogue = self.store.access_packages().await?;
        let grants = agent::grants_for(&agent.access_packages, &catalogue);
        let actor = person_actor(pid);
        let (mut added, mut seen) = (0usize, 0usize);
        let mut after: Option<ClientCursor> = None;
        loop {
            let filter = ClientFilter {
                search: query.search.as_deref(),
                after: after.as_ref(),
                limit: CLIENT_PAGE_SIZE + 1,
            };
            let mut found = self
                .store
                .eligible_clients(facilitator.party_id, &grants, &filter)
                .await?;
            let next = split_page(&mut found);
            let now = self.clock.now();
            let mut tx = self.store.begin().await?;
            if !db::lock_live_system_user(&mut tx, &agent.id).await? {
                return Err(p(codes::SYSTEM_USER_NOT_FOUND));
            }
            for party in &found {
                if added >= ADD_ALL_LIMIT {
                    break;
                }
                if db::insert_client_delegation(
                    &mut tx,
                    &agent.id,
                    party.party_id,
                    facilitator.party_id,
                    &actor,
                    now,
                )
                .await?
                {
                    audit_client(&mut tx, &actor, "systemuser.client.add", agent, party, now)
                        .await?;
                    added += 1;
                }
            }
            tx.commit().await.map_err(StoreError::from)?;
            seen += found.len();
            match next {
                Some(cursor) if added < ADD_ALL_LIMIT && seen < ADD_ALL_SCAN => {
                    after = Some(cursor)
                }
                rest => {
                    tracing::info!(system_user = %agent.id, added, "clients added in one go");
                    return Ok(AddedAll {
                        added,
                        more: rest.is_some(),
                    });
                }
            }
        }
    }

    /// Removes the client `client` (a party UUID) from `agent`. A client that was never
    /// added is AUTH-00038 "Delegation not found", with a detail that says so.
    pub async fn remove_client(
        &self,
        pid: &str,
        agent: &SystemUserRecord,
        client: &str,
    ) -> Result<PartyRecord, SuError> {
        let not_delegated = || {
            p_detail(
                codes::AGENT_SYSTEM_USER_DELEGATION_NOT_FOUND,
                &format!(
                    "the client {client} is not delegated to the system user {}",
                    agent.id
                ),
            )
        };
        let party = self
            .store
            .party_by_uuid(&canonical_uuid(client))
            .await?
            .ok_or_else(not_delegated)?;
        let now = self.clock.now();
        let actor = person_actor(pid);
        let mut tx = self.store.begin().await?;
        if !db::delete_client_delegation(&mut tx, &agent.id, party.party_id).await? {
            return Err(not_delegated());
        }
        audit_client(
            &mut tx,
            &actor,
            "systemuser.client.remove",
            agent,
            &party,
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(party)
    }

    /// U15: the facilitator lets its agent act for itself too (`true` = delegated now or
    /// before), withdraws that, or asks whether it has.
    pub async fn set_self_delegation(
        &self,
        pid: &str,
        agent: &SystemUserRecord,
        delegate: Option<bool>,
    ) -> Result<bool, SuError> {
        let facilitator = self.facilitator(agent).await?;
        let Some(delegate) = delegate else {
            return Ok(self
                .store
                .is_delegated_client(&agent.id, facilitator.party_id)
                .await?);
        };
        let now = self.clock.now();
        let actor = person_actor(pid);
        let mut tx = self.store.begin().await?;
        if !db::lock_live_system_user(&mut tx, &agent.id).await? {
            return Err(p(codes::SYSTEM_USER_NOT_FOUND));
        }
        let changed = if delegate {
            db::insert_client_delegation(
                &mut tx,
                &agent.id,
                facilitator.party_id,
                facilitator.party_id,
                &actor,
                now,
            )
            .await?
        } else {
            db::delete_client_delegation(&mut tx, &agent.id, facilitator.party_id).await?
        };
        if changed {
            let action = if delegate {
                "systemuser.client.add"
            } else {
                "systemuser.client.remove"
            };
            audit_client(&mut tx, &actor, action, agent, &facilitator, now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(delegate)
    }

    /// U17: a page of the facilitator `org`'s clients — those that give every package of
    /// `agent` when one is named — each with what it gives (role → packages; direct
    /// delegations as `rettighetshaver`).
    pub async fn facilitator_clients(
        &self,
        org: &str,
        agent: Option<&SystemUserRecord>,
        q: &ClientQuery,
    ) -> Result<(Vec<FacilitatorClient>, Option<ClientCursor>), SuError> {
        let facilitator = self
            .party_org_by_number(org)
            .await?
            .ok_or_else(|| p(codes::REPORTEE_ORGNO_NOT_FOUND))?;
        let catalogue = self.store.access_packages().await?;
        let needed = agent
            .map(|a| a.access_packages.as_slice())
            .unwrap_or_default();
        let grants = agent::grants_for(needed, &catalogue);
        let filter = q.filter();
        let mut found = self
            .store
            .eligible_clients(facilitator.party_id, &grants, &filter)
            .await?;
        let next = split_page(&mut found);
        let ids: Vec<i64> = found.iter().map(|c| c.party_id).collect();
        let relations = self
            .store
            .client_relations(facilitator.party_id, &ids)
            .await?;
        let clients = found
            .into_iter()
            .map(|party| {
                let relation = relations.get(&party.party_id).cloned().unwrap_or_default();
                let mut access: Vec<(String, Vec<String>)> = relation
                    .roles
                    .iter()
                    .filter(|r| agent::CLIENT_ROLES.contains(&r.as_str()))
                    .map(|r| {
                        let packages = catalogue
                            .iter()
                            .filter(|c| c.granted_by(r, &relation.org_form))
                            .map(|c| c.urn.as_str().to_owned())
                            .collect();
                        (r.clone(), packages)
                    })
                    .collect();
                if !relation.delegated.is_empty() {
                    access.push(("rettighetshaver".into(), relation.delegated.clone()));
                }
                FacilitatorClient { party, access }
            })
            .collect();
        Ok((clients, next))
    }

    /// The names of the systems `ids` by language.
    pub async fn system_names(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, std::collections::HashMap<String, String>>, SuError>
    {
        Ok(self.store.system_names(ids).await?)
    }

    /// The party with the UUID `uuid`.
    pub async fn party_by_uuid(&self, uuid: &str) -> Result<Option<PartyRecord>, SuError> {
        Ok(self.store.party_by_uuid(&canonical_uuid(uuid)).await?)
    }

    /// The organisation with the number `org`, if the register has it.
    pub async fn party_org_by_number(&self, org: &str) -> Result<Option<PartyRecord>, SuError> {
        match org.parse::<crate::domain::OrgNumber>() {
            Ok(o) => Ok(self.store.organization(&o).await?),
            Err(_) => Ok(None),
        }
    }
}

/// Keeps the first [`CLIENT_PAGE_SIZE`] of `found` (asked for with one more, see
/// [`ClientQuery::filter`]); where the next page starts when there is one.
fn split_page(found: &mut Vec<PartyRecord>) -> Option<ClientCursor> {
    if found.len() as i64 <= CLIENT_PAGE_SIZE {
        return None;
    }
    found.truncate(CLIENT_PAGE_SIZE as usize);
    found.last().map(|c| ClientCursor {
        name: c.name.clone(),
        party_id: c.party_id,
    })
}

pub(crate) fn person_actor(pid: &str) -> String {
    format!("person:{}", pid.get(..6).unwrap_or(pid))
}

async fn audit_client(
    tx: &mut crate::store::Conn,
    actor: &str,
    action: &str,
    agent: &SystemUserRecord,
    client: &PartyRecord,
    now: i64,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        actor,
        action,
        target: &format!("systemuser:{}", agent.id),
        details: json!({"client": client.org_no, "clientPartyUuid": client.party_uuid,
            "facilitator": agent.party_org_no}),
        trace_id: None,
    };
    audit::record(tx, &entry, now).await
}
