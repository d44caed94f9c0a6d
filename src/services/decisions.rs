//! The decision point for the subjects tilgang manages (README, "The policy model"):
//!
//! - a **standard** system user may act for its owner organisation, on the resources its rights
//!   name (for the right's action, or every action when the right names none) and on the
//!   resources that list one of its access packages;
//! - an **agent** system user may act for a client delegated to it, on the resources that list
//!   one of its access packages, and never for the facilitator itself;
//! - a **person** may act for an organisation through the packages their roles there give: a
//!   main administrator (daglig leder, styreleder, innehaver) holds every assignable package, and
//!   a role a package names as client role gives that package.
//!
//! The action must be one the resource knows. What a decision reads is kept in the
//! [`DecisionCache`] only while the store's change feed says nothing changed, so a deleted
//! system user or a removed client is refused by the next decision.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::request::SystemUserType;
use crate::domain::xacml::{Decision, Party, Question, STATUS_OK, STATUS_PROCESSING, Subject};
use crate::store::StoreError;
use crate::store::decision::{DecisionSystemUser, PolicyPackage, ResourcePolicyRow};
use crate::store::reference::PartyRecord;

use super::App;
pub use super::decision_cache::DecisionCache;

/// Roles that hold every assignable package of their organisation (DESIGN §7).
const MAIN_ADMIN_ROLES: [&str; 3] = ["daglig-leder", "styreleder", "innehaver"];

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decision: Decision,
    pub status: &'static str,
    /// For an Indeterminate: what was wrong with the request.
    pub message: Option<String>,
    /// What gave the Permit, or what was missing (`?explain=true`).
    pub explanation: String,
}

fn outcome(decision: Decision, explanation: impl Into<String>) -> Outcome {
    Outcome {
        decision,
        status: STATUS_OK,
        message: None,
        explanation: explanation.into(),
    }
}

fn indeterminate(message: impl Into<String>) -> Outcome {
    let message = message.into();
    Outcome {
        decision: Decision::Indeterminate,
        status: STATUS_PROCESSING,
        message: Some(message.clone()),
        explanation: message,
    }
}

/// Who asks for decisions: a resource owner (by its org code) or Altinn's administrators.
#[derive(Debug, Clone)]
pub struct Asker {
    /// The caller's service-owner code (`None`: the caller owns no resource).
    pub owner_code: Option<String>,
    /// `altinn:authorization/authorize.admin`: may ask about every resource.
    pub admin: bool,
    /// The caller as the audit log names it.
    pub audit_name: String,
}

/// How many decisions of each kind were made (for `/metrics`).
#[derive(Debug, Default)]
pub struct DecisionCounts([AtomicU64; 4]);

impl DecisionCounts {
    pub fn count(&self, d: Decision) {
        self.0[d as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, d: Decision) -> u64 {
        self.0[d as usize].load(Ordering::Relaxed)
    }
}

/// The first of the resource's packages that `holds` says the subject holds.
fn first_held(
    policy: &ResourcePolicyRow,
    holds: impl Fn(&PolicyPackage) -> bool,
) -> Option<&PolicyPackage> {
    policy
        .packages
        .iter()
        .filter(|p| p.known)
        .find(|p| holds(p))
}

fn package_list(policy: &ResourcePolicyRow) -> String {
    if policy.packages.is_empty() {
        "the resource lists no access packages".into()
    } else {
        format!(
            "the resource's packages are {}",
            policy
                .packages
                .iter()
                .map(|p| p.urn.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

impl App {
    /// Who `org` is as a caller of the decision API.
    pub async fn decision_asker(
        &self,
        org: Option<&crate::domain::OrgNumber>,
        admin: bool,
        audit_name: String,
    ) -> Result<Asker, StoreError> {
        let owner_code = match org {
            Some(o) => {
                self.decision_cache
                    .owners
                    .get_or_load(
                        self.store.changes(),
                        o.as_str().to_owned(),
                        self.store.service_owner_code(o.as_str()),
                    )
                    .await?
            }
            None => None,
        };
        Ok(Asker {
            owner_code,
            admin,
            audit_name,
        })
    }

    /// The Indeterminate of a request that is no question (counted like every decision).
    pub fn unanswerable(&self, why: &crate::domain::xacml::Unanswerable) -> Outcome {
        self.decisions.count(Decision::Indeterminate);
        Outcome {
            decision: Decision::Indeterminate,
            status: why.status,
            message: Some(why.message.clone()),
            explanation: why.message.clone(),
        }
    }

    /// Decides one question for `asker`, counts it, and audits a sample of decisions.
    pub async fn decide(&self, q: &Question, asker: &Asker) -> Result<Outcome, StoreError> {
        let out = self.evaluate(q, asker).await?;
        self.decisions.count(out.decision);
        let rate = self.config.decision_audit_rate;
        if rate > 0.0 && rand_unit() < rate {
            self.audit_decision(q, &out, asker).await?;
        }
        Ok(out)
    }

    async fn evaluate(&self, q: &Question, asker: &Asker) -> Result<Outcome, StoreError> {
        let (cache, feed) = (&self.decision_cache, self.store.changes());
        let policy = cache
            .resources
            .get_or_load(feed, q.resource.clone(), async {
                Ok(self.store.resource_policy(&q.resource).await?.map(Arc::new))
            })
            .await?;
        let Some(policy) = policy else {
            return Ok(indeterminate(format!(
                "no resource '{}' is in the resource registry",
                q.resource
            )));
        };
        // A resource owner asks about its own resources (Altinn's administrators about any).
        if let Some(owner) = &policy.owner
            && !asker.admin
            && asker.owner_code.as_ref() != Some(owner)
        {
            return Ok(indeterminate(format!(
                "resource '{}' belongs to the service owner '{owner}'; ask with its token",
                q.resource
            )));
        }
        if !policy.actions.contains(&q.action) {
            return Ok(outcome(
                Decision::NotApplicable,
                format!(
                    "resource '{}' knows the actions {}, not '{}'",
                    q.resource,
                    policy.actions.join(", "),
                    q.action
                ),
            ));
        }
        let Some(party) = self.party(&q.party).await? else {
            return Ok(indeterminate(format!(
                "the register has no party {}",
                party_text(&q.party)
            )));
        };
        match &q.subject {
            Subject::SystemUser(uuid) => {
                let id = uuid.to_string();
                let su = cache
                    .system_users
                    .get_or_load(feed, *uuid, async {
                        Ok(self.store.decision_system_user(&id).await?.map(Arc::new))
                    })
                    .await?;
                match su {
                    Some(su) if !su.is_deleted => {
                        Ok(system_user(*uuid, &su, q, &policy, &party, self).await?)
                    }
                    _ => Ok(outcome(
                        Decision::Deny,
                        format!("no live system user {id} (unknown or deleted)"),
                    )),
                }
            }
            Subject::Person(pid) => match cache
                .persons
                .get_or_load(feed, pid.clone(), async {
                    Ok(self.store.person(pid).await?.map(Arc::new))
                })
                .await?
            {
                Some(person) => self.person_decision(&person, &policy, &party).await,
                None => Ok(outcome(Decision::Deny, "the register has no such person")),
            },
            Subject::UserId(id) => {
                match self
                    .party(&Party::PartyId(*id))
                    .await?
                    .filter(|p| p.pid.is_some())
                {
                    Some(person) => self.person_decision(&person, &policy, &party).await,
                    None => Ok(outcome(
                        Decision::Deny,
                        format!("the register has no person with user id {id}"),
                    )),
                }
            }
        }
    }

    async fn person_decision(
        &self,
        person: &PartyRecord,
        policy: &ResourcePolicyRow,
        party: &PartyRecord,
    ) -> Result<Outcome, StoreError> {
        let roles = self
            .decision_cache
            .roles
            .get_or_load(
                self.store.changes(),
                (party.party_id, person.party_id),
                async {
                    Ok(Arc::new(
                        self.store
                            .roles_for(party.party_id, person.party_id)
                            .await?,
                    ))
                },
            )
            .await?;
        let org_form = party.org_form.as_deref().unwrap_or_default();
        if let Some(role) = roles
            .iter()
            .find(|r| MAIN_ADMIN_ROLES.contains(&r.as_str()))
            && let Some(p) = first_held(policy, |p| p.is_assignable)
        {
            return Ok(outcome(
                Decision::Permit,
                format!(
                    "the role {role} for {} holds every assignable package, {} among them",
                    named(party),
                    p.urn
                ),
            ));
        }
        for role in roles.iter() {
            if let Some(p) = first_held(policy, |p| {
                p.client_roles.iter().any(|c| c.grants(role, org_form))
            }) {
                return Ok(outcome(
                    Decision::Permit,
                    format!(
                        "the role {role} for {} gives the package {}",
                        named(party),
                        p.urn
                    ),
                ));
            }
        }
        let held = if roles.is_empty() {
            format!("the person holds no role for {}", named(party))
        } else {
            format!(
                "the person's roles for {} ({}) give none of them",
                named(party),
                roles.join(", ")
            )
        };
        Ok(outcome(
            Decision::NotApplicable,
            format!("{}; {held}", package_list(policy)),
        ))
    }

    /// The party a request names.
    async fn party(&self, party: &Party) -> Result<Option<Arc<PartyRecord>>, StoreError> {
        self.decision_cache
            .parties
            .get_or_load(self.store.changes(), party.clone(), async {
                Ok(self.store.decision_party(party).await?.map(Arc::new))
            })
            .await
    }

    async fn audit_decision(
        &self,
        q: &Question,
        out: &Outcome,
        asker: &Asker,
    ) -> Result<(), StoreError> {
        // One statement outside a transaction: an audit entry changes nothing a decision reads,
        // so it does not move this instance's change feed. (On SQLite its commit still moves
        // `data_version`, so there a sampled audit costs cache hits; BENCHMARKS.md.)
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::from)?;
        crate::store::audit::record(
            &mut conn,
            &crate::store::audit::AuditEntry {
                actor: &asker.audit_name,
                action: "authorization.decision",
                target: &format!("resource:{}", q.resource),
                details: serde_json::json!({
                    "subject": subject_text(&q.subject),
                    "action": q.action,
                    "party": party_text(&q.party),
                    "decision": out.decision.as_str(),
                    "explanation": out.explanation,
                }),
                trace_id: None,
            },
            self.clock.now(),
        )
        .await
    }
}

async fn system_user(
    uuid: uuid::Uuid,
    su: &DecisionSystemUser,
    q: &Question,
    policy: &ResourcePolicyRow,
    party: &PartyRecord,
    app: &App,
) -> Result<Outcome, StoreError> {
    let id = uuid.to_string();
    let held = |p: &PolicyPackage| su.access_packages.iter().any(|h| h.urn == p.urn);
    let kind: SystemUserType = su
        .user_type
        .parse()
        .map_err(|e: String| StoreError::Corrupt(e))?;
    match kind {
        SystemUserType::Standard => {
            if party.party_id != su.party_id {
                return Ok(outcome(
                    Decision::NotApplicable,
                    format!(
                        "system user {id} acts for its owner {} only, not for {}",
                        su.party_org_no,
                        named(party)
                    ),
                ));
            }
            let by_right = su.rights.iter().any(|r| {
                r.action.as_deref().is_none_or(|a| a == q.action)
                    && r.resource
                        .iter()
                        .any(|p| p.id == crate::domain::xacml::RESOURCE_ID && p.value == q.resource)
            });
            if by_right {
                return Ok(outcome(
                    Decision::Permit,
                    format!("system user {id} holds a right on {}", q.resource),
                ));
            }
            if let Some(p) = first_held(policy, held) {
                return Ok(outcome(
                    Decision::Permit,
                    format!("system user {id} holds the package {}", p.urn),
                ));
            }
            Ok(outcome(
                Decision::NotApplicable,
                format!(
                    "system user {id} holds no right on {} and none of its packages; {}",
                    q.resource,
                    package_list(policy)
                ),
            ))
        }
        SystemUserType::Agent => {
            if party.party_id == su.party_id {
                return Ok(outcome(
                    Decision::NotApplicable,
                    format!(
                        "agent system user {id} acts for the clients of {}, not for it",
                        su.party_org_no
                    ),
                ));
            }
            let key = (uuid, su.party_id, party.party_id);
            let relation = app
                .decision_cache
                .clients
                .get_or_load(app.store.changes(), key, async {
                    Ok(app
                        .store
                        .agent_client(&id, su.party_id, party.party_id)
                        .await?
                        .map(Arc::new))
                })
                .await?;
            let Some(relation) = relation else {
                return Ok(outcome(
                    Decision::NotApplicable,
                    format!("{} is not a client of agent system user {id}", named(party)),
                ));
            };
            // The client must still give the package: a role ended or a package delegation
            // withdrawn in the register ends the agent's access with it.
            let still = |p: &PolicyPackage| held(p) && relation.gives_with(&p.urn, &p.client_roles);
            if first_held(policy, held).is_some() && first_held(policy, still).is_none() {
                return Ok(outcome(
                    Decision::NotApplicable,
                    format!(
                        "{} no longer gives {} the packages agent system user {id} holds for this resource (its client role or package delegation ended)",
                        named(party),
                        su.party_org_no
                    ),
                ));
            }
            match first_held(policy, still) {
                Some(p) => Ok(outcome(
                    Decision::Permit,
                    format!(
                        "{} is a client of agent system user {id}, which holds the package {}",
                        named(party),
                        p.urn
                    ),
                )),
                None => Ok(outcome(
                    Decision::NotApplicable,
                    format!(
                        "agent system user {id} holds none of the resource's packages; {}",
                        package_list(policy)
                    ),
                )),
            }
        }
    }
}

/// A party for people: its name and organisation number (a person's identity number stays out).
fn named(p: &PartyRecord) -> String {
    match &p.org_no {
        Some(o) => format!("{} ({o})", p.name),
        None => p.name.clone(),
    }
}

fn party_text(p: &Party) -> String {
    match p {
        Party::Org(o) => format!("organisation {o}"),
        Party::PartyId(id) => format!("party id {id}"),
        Party::PartyUuid(u) => format!("party uuid {u}"),
        Party::Person(_) => "person (identifier withheld)".into(),
    }
}

fn subject_text(s: &Subject) -> String {
    match s {
        Subject::SystemUser(id) => format!("systemuser:{id}"),
        Subject::Person(_) => "person".into(),
        Subject::UserId(id) => format!("userid:{id}"),
    }
}

/// A number in [0, 1) for sampling (not for secrets).
fn rand_unit() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}
