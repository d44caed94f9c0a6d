//! Studio's directory as the Gitea API and the dashboard read it: users, organisations with
//! their environments, teams with their organisation, and membership. Lists are read in a fixed
//! number of queries, however many entries they have.

use std::collections::HashMap;

use crate::services::App;
use crate::store::StoreError;
pub use crate::store::studio::{Account, KIND_ORG, KIND_USER, OrgRequest, Repo, Session, Team};

/// An organisation with its environments (`tt02`, `production`).
#[derive(Clone)]
pub struct OrgView {
    pub org: Account,
    pub environments: Vec<String>,
}

/// A team with its organisation (`None` only if the organisation vanished under it).
pub struct TeamView {
    pub team: Team,
    pub org: Option<OrgView>,
}

impl App {
    /// A user (not an organisation) by name, case-insensitively.
    pub async fn studio_user_named(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .store
            .studio_account_by_name(name)
            .await?
            .filter(|a| a.kind == KIND_USER))
    }

    /// An organisation by name, case-insensitively.
    pub async fn studio_org_named(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .store
            .studio_account_by_name(name)
            .await?
            .filter(|a| a.kind == KIND_ORG))
    }

    /// A user or organisation by id.
    pub async fn studio_account_by_id(&self, id: i64) -> Result<Option<Account>, StoreError> {
        self.store.studio_account(id).await
    }

    /// The user name to check a password for: Gitea also accepts the e-mail address in the
    /// user-name field. An unknown address is checked as a name (and fails as one).
    pub async fn studio_login_name(&self, name_or_email: &str) -> Result<String, StoreError> {
        if !name_or_email.contains('@') {
            return Ok(name_or_email.to_owned());
        }
        Ok(
            match self.store.studio_user_by_email(name_or_email).await? {
                Some(u) => u.name,
                None => name_or_email.to_owned(),
            },
        )
    }

    /// Records that the user logged in now.
    pub async fn studio_record_login(&self, user_id: i64) -> Result<(), StoreError> {
        self.store
            .touch_studio_login(user_id, self.clock.now())
            .await
    }

    /// The repositories of the given owners (users and organisations).
    pub async fn studio_repos_of(&self, owner_ids: &[i64]) -> Result<Vec<Repo>, StoreError> {
        self.store.studio_repos(owner_ids).await
    }

    /// The organisation requests the user has sent.
    pub async fn studio_org_requests_of(
        &self,
        user_id: i64,
    ) -> Result<Vec<OrgRequest>, StoreError> {
        self.store.org_requests(Some(user_id)).await
    }

    /// A team of the organisation by name, case-insensitively.
    pub async fn studio_team_named(
        &self,
        org_id: i64,
        name: &str,
    ) -> Result<Option<Team>, StoreError> {
        self.store.studio_team_by_name(org_id, name).await
    }

    /// The organisation's teams, each with how many members it has (two queries).
    pub async fn studio_teams_with_counts(
        &self,
        org_id: i64,
    ) -> Result<Vec<(Team, i64)>, StoreError> {
        let teams = self.store.studio_teams(org_id).await?;
        let counts: HashMap<i64, i64> = self.store.studio_team_member_counts(org_id).await?;
        Ok(teams
            .into_iter()
            .map(|t| {
                let n = counts.get(&t.id).copied().unwrap_or(0);
                (t, n)
            })
            .collect())
    }

    /// A user or organisation by name.
    pub async fn studio_account_named(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.store.studio_account_by_name(name).await
    }

    pub async fn studio_team_by_id(&self, id: i64) -> Result<Option<Team>, StoreError> {
        self.store.studio_team(id).await
    }

    /// The user's teams in one organisation (empty: not a member).
    pub async fn studio_teams_in_org(
        &self,
        user_id: i64,
        org_id: i64,
    ) -> Result<Vec<Team>, StoreError> {
        Ok(self
            .store
            .studio_teams_of(user_id)
            .await?
            .into_iter()
            .filter(|t| t.org_id == org_id)
            .collect())
    }

    pub async fn studio_is_org_member(
        &self,
        user_id: i64,
        org_id: i64,
    ) -> Result<bool, StoreError> {
        Ok(!self.studio_teams_in_org(user_id, org_id).await?.is_empty())
    }

    pub async fn studio_members_of_org(&self, org_id: i64) -> Result<Vec<Account>, StoreError> {
        self.store.studio_org_members(org_id).await
    }

    pub async fn studio_members_of_team(&self, team_id: i64) -> Result<Vec<Account>, StoreError> {
        self.store.studio_team_members(team_id).await
    }

    /// The organisations the user is a member of.
    pub async fn studio_orgs_of(&self, user_id: i64) -> Result<Vec<Account>, StoreError> {
        self.store.studio_orgs_of(user_id).await
    }

    /// The organisations the user is a member of, with their environments.
    pub async fn studio_orgs_of_user(&self, user_id: i64) -> Result<Vec<OrgView>, StoreError> {
        let orgs = self.studio_orgs_of(user_id).await?;
        self.studio_org_views(orgs).await
    }

    /// Every organisation, with its environments.
    pub async fn studio_all_orgs(&self) -> Result<Vec<OrgView>, StoreError> {
        let orgs = self.store.studio_accounts(KIND_ORG).await?;
        self.studio_org_views(orgs).await
    }

    pub async fn studio_org_view(&self, org: Account) -> Result<OrgView, StoreError> {
        let environments = self.store.studio_org_envs(org.id).await?;
        Ok(OrgView { org, environments })
    }

    /// The user's teams, each with its organisation.
    pub async fn studio_teams_of_user(&self, user_id: i64) -> Result<Vec<TeamView>, StoreError> {
        let teams = self.store.studio_teams_of(user_id).await?;
        self.studio_team_views(teams).await
    }

    /// An organisation's teams, each with the organisation.
    pub async fn studio_teams_of_org(&self, org_id: i64) -> Result<Vec<TeamView>, StoreError> {
        let teams = self.store.studio_teams(org_id).await?;
        self.studio_team_views(teams).await
    }

    pub async fn studio_team_view(&self, team: Team) -> Result<TeamView, StoreError> {
        self.studio_team_views(vec![team])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a team view went missing".into()))
    }

    async fn studio_org_views(&self, orgs: Vec<Account>) -> Result<Vec<OrgView>, StoreError> {
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let mut envs = self.store.studio_envs_by_org().await?;
        Ok(orgs
            .into_iter()
            .map(|org| OrgView {
                environments: envs.remove(&org.id).unwrap_or_default(),
                org,
            })
            .collect())
    }

    async fn studio_team_views(&self, teams: Vec<Team>) -> Result<Vec<TeamView>, StoreError> {
        let mut org_ids: Vec<i64> = teams.iter().map(|t| t.org_id).collect();
        org_ids.sort_unstable();
        org_ids.dedup();
        let orgs = self.store.studio_accounts_by_ids(&org_ids).await?;
        let views: HashMap<i64, OrgView> = self
            .studio_org_views(
                org_ids
                    .iter()
                    .filter_map(|id| orgs.get(id).cloned())
                    .collect(),
            )
            .await?
            .into_iter()
            .map(|v| (v.org.id, v))
            .collect();
        Ok(teams
            .into_iter()
            .map(|team| TeamView {
                org: views.get(&team.org_id).cloned(),
                team,
            })
            .collect())
    }
}
