//! Studio organisations, teams, applications and requests for organisations (spec
//! studio-accounts §2.8, §5). Operators create organisations (service owners get the
//! environments tt02 and production) and name the first administrator; Owners manage members;
//! what a team permits follows its name.

use serde_json::json;

use super::App;
use crate::domain::OrgNumber;
use crate::domain::studio::Username;
use crate::store::StoreError;
pub use crate::store::studio::NewTeam;
use crate::store::studio::{self as st, Account, NewOrg, OrgRequest, Team};

pub const OWNERS: &str = "Owners";
/// The environments of a service owner (Altinn's `altinn-orgs.json`).
pub const SERVICE_OWNER_ENVS: [&str; 2] = ["tt02", "production"];

/// Who acts: an operator (from the operator pages or the admin API) or a Studio user.
#[derive(Debug, Clone)]
pub enum Actor {
    Operator(String),
    User(Box<Account>),
}

impl Actor {
    fn audit_name(&self) -> String {
        match self {
            Actor::Operator(name) => name.clone(),
            Actor::User(u) => format!("studio-user:{}", u.name),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("the short name is not valid: {}", .0.message("en"))]
    NameInvalid(crate::domain::studio::Problem),
    #[error("the name '{0}' is already used by a user or an organisation")]
    NameTaken(String),
    #[error("the full name is required")]
    FullNameRequired,
    #[error("the {0} may not contain control characters or text-direction marks")]
    TextInvalid(&'static str),
    #[error("'{0}' is not a valid organisation number")]
    OrgNumberInvalid(String),
    #[error("there is no Studio user '{0}'")]
    UserNotExist(String),
    #[error("'{0}' is already a member of the team")]
    AlreadyMember(String),
    #[error("'{0}' is not a member of the team")]
    NotMember(String),
    #[error("the last owner cannot leave the Owners team; add another owner first")]
    LastOwner,
    #[error("only the organisation's owners may do this")]
    Forbidden,
    #[error("the organisation or team does not exist")]
    NotFound,
    #[error("a team named '{0}' already exists in this organisation")]
    TeamExists(String),
    #[error("the team name may use letters, digits, '-', '_' and '.', at most 255 characters")]
    TeamNameInvalid,
    #[error("the Owners team cannot be changed or deleted")]
    OwnersFixed,
    #[error(
        "the application name may use letters, digits, '-', '_' and '.', at most 100 characters"
    )]
    RepoNameInvalid,
    #[error("an application named '{0}' already exists there")]
    RepoExists(String),
    #[error("you may not create applications in '{0}'")]
    RepoForbidden(String),
    #[error("the request has already been decided")]
    AlreadyDecided,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OrgError {
    /// The message in bokmål.
    pub fn message_nb(&self) -> String {
        match self {
            OrgError::NameInvalid(p) => format!("Kortnavnet er ikke gyldig: {}", p.message("nb")),
            OrgError::NameTaken(n) => format!("Navnet «{n}» er allerede brukt av en bruker eller organisasjon."),
            OrgError::FullNameRequired => "Fullt navn må fylles ut.".into(),
            OrgError::TextInvalid(_) => "Teksten kan ikke inneholde kontrolltegn eller tegn som endrer skriveretningen.".into(),
            OrgError::OrgNumberInvalid(n) => format!("«{n}» er ikke et gyldig organisasjonsnummer."),
            OrgError::UserNotExist(n) => format!("Brukeren «{n}» finnes ikke."),
            OrgError::AlreadyMember(n) => format!("«{n}» er allerede medlem av teamet."),
            OrgError::NotMember(n) => format!("«{n}» er ikke medlem av teamet."),
            OrgError::LastOwner => "Den siste eieren kan ikke fjernes fra Owners. Legg til en annen eier først.".into(),
            OrgError::Forbidden => "Bare organisasjonens eiere (Owners) kan gjøre dette.".into(),
            OrgError::NotFound => "Organisasjonen eller teamet finnes ikke.".into(),
            OrgError::TeamExists(n) => format!("Teamet «{n}» finnes allerede i organisasjonen."),
            OrgError::TeamNameInvalid => "Teamnavnet kan bare inneholde bokstaver, tall, «-», «_» og «.», høyst 255 tegn.".into(),
            OrgError::OwnersFixed => "Owners-teamet kan ikke endres eller slettes.".into(),
            OrgError::RepoNameInvalid => "Navnet på applikasjonen kan bare inneholde bokstaver, tall, «-», «_» og «.», høyst 100 tegn.".into(),
            OrgError::RepoExists(n) => format!("Applikasjonen «{n}» finnes allerede der."),
            OrgError::RepoForbidden(n) => format!("Du kan ikke opprette applikasjoner i «{n}»."),
            OrgError::AlreadyDecided => "Forespørselen er allerede behandlet.".into(),
            OrgError::Store(_) => "Noe gikk galt. Prøv igjen senere.".into(),
        }
    }
}

/// What a user may do in one organisation (Designer's checks by team name, spec §5).
#[derive(Debug, Clone)]
pub struct OrgPermissions {
    pub org: Account,
    pub teams: Vec<Team>,
    pub environments: Vec<String>,
    pub is_owner: bool,
    pub can_create_repo: bool,
    /// Environments of the organisation the user may deploy to (`Deploy-<env>`).
    pub deploy_to: Vec<String>,
}

fn dash_dot_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.chars().count() <= max
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The organisation request as entered (the operator's form and the user's form).
pub struct NewOrgInput<'a> {
    pub name: &'a str,
    pub full_name: &'a str,
    pub org_number: &'a str,
    pub service_owner: bool,
    pub admin: &'a str,
}

/// What the operator's page shows: every Studio organisation with its environments, and the
/// requests for new organisations (three queries, whatever their number).
pub struct OperatorOverview {
    pub orgs: Vec<(Account, Vec<String>)>,
    pub requests: Vec<OrgRequest>,
}

impl App {
    /// The operator's page.
    pub async fn operator_overview(&self) -> Result<OperatorOverview, StoreError> {
        let mut envs = self.store.studio_envs_by_org().await?;
        let orgs = self
            .store
            .studio_accounts(st::KIND_ORG)
            .await?
            .into_iter()
            .map(|o| {
                let e = envs.remove(&o.id).unwrap_or_default();
                (o, e)
            })
            .collect();
        let requests = self.store.org_requests(None).await?;
        Ok(OperatorOverview { orgs, requests })
    }

    /// Checks an organisation's fields; returns (short name, org number, admin).
    async fn checked_org(
        &self,
        o: &NewOrgInput<'_>,
    ) -> Result<(Username, Option<OrgNumber>, Account), OrgError> {
        let name = Username::parse(o.name).map_err(OrgError::NameInvalid)?;
        if o.full_name.trim().is_empty() {
            return Err(OrgError::FullNameRequired);
        }
        if !crate::domain::studio::is_plain_text(o.full_name) {
            return Err(OrgError::TextInvalid("full name"));
        }
        let number = match o.org_number.trim() {
            "" => None,
            n => Some(
                n.parse::<OrgNumber>()
                    .map_err(|_| OrgError::OrgNumberInvalid(n.to_owned()))?,
            ),
        };
        if self
            .store
            .studio_account_by_name(name.as_str())
            .await?
            .is_some()
        {
            return Err(OrgError::NameTaken(name.as_str().to_owned()));
        }
        let admin = self
            .store
            .studio_account_by_name(o.admin.trim())
            .await?
            .filter(|u| u.kind == st::KIND_USER)
            .ok_or_else(|| OrgError::UserNotExist(o.admin.trim().to_owned()))?;
        Ok((name, number, admin))
    }

    /// Creates an organisation with its environments, standard teams and first administrator
    /// (the operator's job; regular users cannot create organisations).
    pub async fn studio_create_org(
        &self,
        actor: &Actor,
        o: &NewOrgInput<'_>,
    ) -> Result<Account, OrgError> {
        self.create_org(actor, o, None).await
    }

    /// Creates the organisation; with `approving` (request id, operator), marks that request
    /// approved in the same transaction, so that a concurrent decision cannot leave an
    /// organisation behind a declined request.
    async fn create_org(
        &self,
        actor: &Actor,
        o: &NewOrgInput<'_>,
        approving: Option<(&str, &str)>,
    ) -> Result<Account, OrgError> {
        let (name, number, admin) = self.checked_org(o).await?;
        let now = self.clock.now();
        let envs: &[&str] = if o.service_owner {
            &SERVICE_OWNER_ENVS
        } else {
            &[]
        };
        let mut tx = self.store.begin().await?;
        if let Some((id, operator)) = approving
            && !st::decide_org_request(&mut tx, id, "approved", "", operator, now).await?
        {
            return Err(OrgError::AlreadyDecided);
        }
        let org_id = match st::insert_org(
            &mut tx,
            &NewOrg {
                name: name.as_str(),
                full_name: o.full_name.trim(),
                org_number: number.as_ref().map(OrgNumber::as_str),
                service_owner: o.service_owner,
                description: "",
            },
            envs,
            now,
        )
        .await
        {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(OrgError::NameTaken(name.as_str().to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let mut standard = vec![
            (OWNERS, "Administratorer for organisasjonen", "owner", true),
            (
                "Devs",
                "Utviklere: lage og endre applikasjoner",
                "write",
                true,
            ),
        ];
        if o.service_owner {
            standard.push((
                "Deploy-TT02",
                "Publisere applikasjoner til TT02 (testmiljøet)",
                "read",
                false,
            ));
            standard.push((
                "Deploy-Production",
                "Publisere applikasjoner til produksjon",
                "read",
                false,
            ));
        }
        let mut owners_id = 0;
        for (team, description, permission, can_create) in standard {
            let no_units = Default::default();
            let new = st::NewTeam {
                name: team,
                description,
                permission,
                can_create_org_repo: can_create,
                units_map: &no_units,
            };
            let id = st::insert_team(&mut tx, org_id, &new, now).await?;
            if team == OWNERS {
                owners_id = id;
            }
        }
        let owners = st::team_by_id_in(&mut tx, owners_id)
            .await?
            .ok_or(OrgError::NotFound)?;
        st::insert_team_member(&mut tx, &owners, admin.id).await?;
        self.audit_in(
            &mut tx,
            &actor.audit_name(),
            "studio.org.created",
            &format!("studio-org:{}", name.as_str()),
            &json!({"org": name.as_str(), "fullName": o.full_name.trim(), "orgNumber": number.as_ref().map(OrgNumber::as_str),
                    "serviceOwner": o.service_owner, "environments": envs, "admin": admin.name}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(org = name.as_str(), admin = %admin.name, "Studio organisation created");
        self.store
            .studio_account(org_id)
            .await?
            .ok_or(OrgError::NotFound)
    }

    /// The user's rights in one organisation.
    pub async fn studio_permissions(
        &self,
        user: &Account,
        org: &Account,
    ) -> Result<OrgPermissions, StoreError> {
        let teams: Vec<Team> = self
            .store
            .studio_teams_of(user.id)
            .await?
            .into_iter()
            .filter(|t| t.org_id == org.id)
            .collect();
        let environments = self.store.studio_org_envs(org.id).await?;
        let is_owner = teams.iter().any(|t| t.name.eq_ignore_ascii_case(OWNERS));
        let can_create_repo = teams.iter().any(|t| t.can_create_org_repo);
        let deploy_to = environments
            .iter()
            .filter(|env| {
                teams
                    .iter()
                    .any(|t| t.name.eq_ignore_ascii_case(&format!("Deploy-{env}")))
            })
            .cloned()
            .collect();
        Ok(OrgPermissions {
            org: org.clone(),
            teams,
            environments,
            is_owner,
            can_create_repo,
            deploy_to,
        })
    }

    async fn require_owner(&self, actor: &Actor, org_id: i64) -> Result<(), OrgError> {
        match actor {
            Actor::Operator(_) => Ok(()),
            Actor::User(u) if u.is_admin => Ok(()),
            Actor::User(u) => {
                let owner = self
                    .store
                    .studio_teams_of(u.id)
                    .await?
                    .iter()
                    .any(|t| t.org_id == org_id && t.name.eq_ignore_ascii_case(OWNERS));
                if owner {
                    Ok(())
                } else {
                    Err(OrgError::Forbidden)
                }
            }
        }
    }

    /// Adds a user to a team (owners and site administrators only).
    pub async fn studio_add_member(
        &self,
        actor: &Actor,
        team: &Team,
        user_name: &str,
    ) -> Result<Account, OrgError> {
        self.require_owner(actor, team.org_id).await?;
        let user = self
            .store
            .studio_account_by_name(user_name.trim())
            .await?
            .filter(|u| u.kind == st::KIND_USER)
            .ok_or_else(|| OrgError::UserNotExist(user_name.trim().to_owned()))?;
        let mut tx = self.store.begin().await?;
        match st::insert_team_member(&mut tx, team, user.id).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => return Err(OrgError::AlreadyMember(user.name)),
            Err(e) => return Err(e.into()),
        }
        self.audit_in(
            &mut tx,
            &actor.audit_name(),
            "studio.team.member_added",
            &format!("studio-team:{}", team.id),
            &json!({"team": team.name, "user": user.name}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user)
    }

    /// Removes a user from a team; the last owner stays.
    pub async fn studio_remove_member(
        &self,
        actor: &Actor,
        team: &Team,
        user_name: &str,
    ) -> Result<(), OrgError> {
        let leaving_self =
            matches!(actor, Actor::User(u) if u.name.eq_ignore_ascii_case(user_name.trim()));
        if !leaving_self {
            self.require_owner(actor, team.org_id).await?;
        }
        let user = self
            .store
            .studio_account_by_name(user_name.trim())
            .await?
            .ok_or_else(|| OrgError::UserNotExist(user_name.trim().to_owned()))?;
        let mut tx = self.store.begin().await?;
        // Take the team's row lock first (PostgreSQL; SQLite's write transaction is already
        // exclusive), so that two owners removing each other count one after the other.
        st::lock_team(&mut tx, team.id).await?;
        if team.name.eq_ignore_ascii_case(OWNERS)
            && st::count_team_members(&mut tx, team.id).await? <= 1
        {
            return Err(OrgError::LastOwner);
        }
        if !st::delete_team_member(&mut tx, team.id, user.id).await? {
            return Err(OrgError::NotMember(user.name));
        }
        // Re-check under the write: two owners removing each other at once keep one.
        if team.name.eq_ignore_ascii_case(OWNERS)
            && st::count_team_members(&mut tx, team.id).await? < 1
        {
            return Err(OrgError::LastOwner);
        }
        self.audit_in(
            &mut tx,
            &actor.audit_name(),
            "studio.team.member_removed",
            &format!("studio-team:{}", team.id),
            &json!({"team": team.name, "user": user.name}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Creates a team in an organisation (owners only).
    pub async fn studio_create_team(
        &self,
        actor: &Actor,
        org: &Account,
        new: &st::NewTeam<'_>,
    ) -> Result<Team, OrgError> {
        let (name, description, permission) = (new.name, new.description, new.permission);
        self.require_owner(actor, org.id).await?;
        if !dash_dot_name(name, 255) || description.chars().count() > 255 {
            return Err(OrgError::TeamNameInvalid);
        }
        if !crate::domain::studio::is_plain_text(description) {
            return Err(OrgError::TextInvalid("description"));
        }
        let mut tx = self.store.begin().await?;
        let id = match st::insert_team(&mut tx, org.id, new, self.clock.now()).await {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => return Err(OrgError::TeamExists(name.to_owned())),
            Err(e) => return Err(e.into()),
        };
        self.audit_in(
            &mut tx,
            &actor.audit_name(),
            "studio.team.created",
            &format!("studio-team:{id}"),
            &json!({"org": org.name, "team": name, "permission": permission}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.store.studio_team(id).await?.ok_or(OrgError::NotFound)
    }

    /// Creates an application owned by the user or by an organisation where one of the user's
    /// teams may create.
    pub async fn studio_create_repo(
        &self,
        user: &Account,
        owner: &str,
        name: &str,
        description: &str,
    ) -> Result<crate::store::studio::Repo, OrgError> {
        let name = name.trim();
        if !dash_dot_name(name, 100) {
            return Err(OrgError::RepoNameInvalid);
        }
        if !crate::domain::studio::is_plain_text(description) {
            return Err(OrgError::TextInvalid("description"));
        }
        let owner_account = if owner.eq_ignore_ascii_case(&user.name) || owner.is_empty() {
            user.clone()
        } else {
            let org = self
                .store
                .studio_account_by_name(owner)
                .await?
                .filter(|a| a.kind == st::KIND_ORG)
                .ok_or_else(|| OrgError::RepoForbidden(owner.to_owned()))?;
            if !self.studio_permissions(user, &org).await?.can_create_repo {
                return Err(OrgError::RepoForbidden(org.name));
            }
            org
        };
        let id = match self
            .store
            .insert_studio_repo(
                owner_account.id,
                name,
                description.trim(),
                user.id,
                self.clock.now(),
            )
            .await
        {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => return Err(OrgError::RepoExists(name.to_owned())),
            Err(e) => return Err(e.into()),
        };
        tracing::info!(owner = %owner_account.name, app = name, "Studio application created");
        self.store
            .studio_repos(&[owner_account.id])
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(OrgError::NotFound)
    }

    /// A signed-in user asks for an organisation (instead of e-mailing the service desk).
    pub async fn studio_request_org(
        &self,
        user: &Account,
        o: &NewOrgInput<'_>,
    ) -> Result<OrgRequest, OrgError> {
        let (name, number, admin) = self.checked_org(o).await?;
        let request = OrgRequest {
            id: uuid::Uuid::new_v4().to_string(),
            requester_id: user.id,
            requester_name: user.name.clone(),
            requester_email: user.email.clone(),
            short_name: name.as_str().to_owned(),
            full_name: o.full_name.trim().to_owned(),
            org_number: number.map(|n| n.as_str().to_owned()).unwrap_or_default(),
            admin_name: admin.name,
            service_owner: o.service_owner,
            status: "pending".into(),
            reason: String::new(),
            created_at: self.clock.now(),
        };
        self.store.insert_org_request(&request).await?;
        tracing::info!(org = %request.short_name, by = %user.name, "organisation requested");
        Ok(request)
    }

    /// The operator approves (creating the organisation) or declines; the requester is told
    /// by e-mail.
    pub async fn studio_decide_org_request(
        &self,
        operator: &str,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<OrgRequest, OrgError> {
        let request = self
            .store
            .org_request(id)
            .await?
            .ok_or(OrgError::NotFound)?;
        if request.status != "pending" {
            return Err(OrgError::AlreadyDecided);
        }
        let actor = Actor::Operator(operator.to_owned());
        if approve {
            self.create_org(
                &actor,
                &NewOrgInput {
                    name: &request.short_name,
                    full_name: &request.full_name,
                    org_number: &request.org_number,
                    service_owner: request.service_owner,
                    admin: &request.admin_name,
                },
                Some((id, operator)),
            )
            .await?;
        } else {
            let mut tx = self.store.begin().await?;
            if !st::decide_org_request(
                &mut tx,
                id,
                "declined",
                reason.trim(),
                operator,
                self.clock.now(),
            )
            .await?
            {
                return Err(OrgError::AlreadyDecided);
            }
            tx.commit().await.map_err(StoreError::from)?;
        }
        let (subject, body) = if approve {
            (
                format!(
                    "Organisasjonen {} er opprettet / The organisation has been created",
                    request.short_name
                ),
                format!(
                    "Hei {},\n\norganisasjonen {} ({}) er opprettet i Altinn Studio med {} som administrator.\n{}\n\n---\n\n\
                     The organisation {} has been created in Altinn Studio with {} as administrator.\n",
                    request.requester_name,
                    request.short_name,
                    request.full_name,
                    request.admin_name,
                    self.config.url("/studio/dashboard"),
                    request.short_name,
                    request.admin_name,
                ),
            )
        } else {
            (
                format!(
                    "Forespørselen om {} er avslått / The request was declined",
                    request.short_name
                ),
                format!(
                    "Hei {},\n\nforespørselen om organisasjonen {} ble avslått.{}\n\n---\n\n\
                     The request for the organisation {} was declined.\n",
                    request.requester_name,
                    request.short_name,
                    if reason.trim().is_empty() {
                        String::new()
                    } else {
                        format!("\nBegrunnelse: {}", reason.trim())
                    },
                    request.short_name,
                ),
            )
        };
        if !request.requester_email.is_empty() {
            self.send_mail(&request.requester_email, &subject, &body)
                .await?;
        }
        Ok(self.store.org_request(id).await?.unwrap_or(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_teams_and_applications() {
        assert!(dash_dot_name("Deploy-TT02", 255));
        assert!(dash_dot_name("min-app_1.0", 100));
        for bad in ["", ".", "..", "med mellomrom", "æøå", "a/b"] {
            assert!(!dash_dot_name(bad, 100), "{bad}");
        }
        assert!(!dash_dot_name(&"a".repeat(101), 100));
    }
}
