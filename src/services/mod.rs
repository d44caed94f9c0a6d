//! Use cases. Each takes typed input and returns a typed error; transactions and authorisation
//! decisions live here, so the HTTP and CLI layers stay thin.

pub mod agents;
pub mod audit;
pub mod decision_cache;
pub mod decisions;
pub mod demo;
pub mod idp;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod load;
pub mod login;
pub mod mail;
pub mod maskinporten;
pub mod package_delegations;
pub mod probe;
pub mod provider_metadata;
pub mod reference;
pub mod relying_parties;
pub mod studio;
pub mod studio_account;
pub mod studio_directory;
pub mod studio_oauth;
pub mod studio_oauth_apps;
pub mod studio_orgs;
pub mod studio_revocation;
pub mod system_register;
pub mod system_user_queries;
pub mod system_users;
pub mod tokens;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, Profile};
use crate::store::{Store, migrate};
pub use crate::store::{StoreError, is_unavailable};

/// Everything a use case may need, built once at start-up and shared.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Clock,
    pub keys: Arc<keys::Keys>,
    /// Answers which system user a Maskinporten grant asks for.
    pub system_users: Arc<dyn maskinporten::SystemUserLookup>,
    /// Maskinporten clients as the token endpoint reads them.
    pub mp_client_cache: Arc<maskinporten::ClientCache>,
    /// Outgoing HTTP (OpenID providers).
    pub http: reqwest::Client,
    /// Discovery documents and keys of the OpenID providers tilgang logs people in with.
    pub provider_metadata: Arc<provider_metadata::ProviderMetadata>,
    /// Studio's secret key (activation codes, captchas).
    pub studio: Arc<studio::StudioSecrets>,
    /// Attempts per minute on log-in, sign-up and resend.
    pub limits: Arc<studio::RateLimits>,
    /// The HMAC key of state kept in browsers (log-in flows in progress), shared by every
    /// instance through the database.
    pub flow_key: Arc<Vec<u8>>,
    /// Bounds on password work, and the counts of what was refused for load.
    pub load: Arc<load::Load>,
    /// When each background job last ran, and how it went.
    pub jobs: Arc<jobs::JobStats>,
    /// How many decisions of each kind the decision API made.
    pub decisions: Arc<decisions::DecisionCounts>,
    /// Resource policies and service-owner codes as the decision API reads them.
    pub decision_cache: Arc<decisions::DecisionCache>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot prepare the signing keys: {0}")]
    Keys(#[from] keys::KeyRingError),
    #[error("cannot load the demo data: {0}")]
    Demo(#[from] import::ImportError),
    #[error(
        "this database was set up by the {stored} profile, and this server runs the {running} profile; start it with --profile {stored}, or, to move the data on purpose, with --allow-profile-change"
    )]
    ProfileMismatch { stored: String, running: Profile },
    #[error(
        "this database holds organisations that are not the demo data, so the local profile will not load its demo data (or serve test tokens) into it; start it with --profile production, or, for local data of your own, with --allow-profile-change"
    )]
    NotDemoData,
}

impl App {
    /// Connects, migrates, loads (or creates) signing keys and, on the first start of the
    /// local profile, the demo data.
    pub async fn start(config: Config, clock: Clock) -> Result<Self, StartError> {
        let store = Store::open(&config).await?;
        // Before anything changes: a database of the other profile is not even migrated.
        App::check_recorded_profile(&store, &config).await?;
        migrate::run(&store).await?;
        App::claim_profile(&store, &config).await?;
        let keys = keys::Keys::load_or_create(
            &store,
            &clock,
            config.signing_alg,
            keys::IssuerName::served_by(config.profile),
        )
        .await?;
        if config.profile == Profile::Local {
            // Never into a database with records of its own (one moved here on purpose with
            // --allow-profile-change, say).
            if demo::loaded(&store).await? || !store.has_organizations().await? {
                demo::load_on_first_start(&store, &clock).await?;
            } else {
                tracing::info!(
                    "this database holds organisations of its own: the demo data is not loaded"
                );
            }
        }
        let app = Self {
            config: Arc::new(config),
            store: store.clone(),
            clock,
            keys: Arc::new(keys),
            system_users: Arc::new(system_users::RegisterLookup {
                store: store.clone(),
            }),
            mp_client_cache: Arc::new(maskinporten::ClientCache::new()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .map_err(|e| StoreError::Corrupt(format!("HTTP client: {e}")))?,
            provider_metadata: Arc::new(provider_metadata::ProviderMetadata::default()),
            studio: Arc::new(App::studio_secrets(&store).await?),
            flow_key: Arc::new(login::flow_key(&store).await?),
            load: Arc::new(load::Load::for_this_machine()),
            jobs: Arc::new(jobs::JobStats::default()),
            decisions: Arc::new(decisions::DecisionCounts::default()),
            decision_cache: Arc::new(decisions::DecisionCache::default()),
            limits: Arc::new(studio::RateLimits::default()),
        };
        app.register_embedded_clients().await?;
        app.register_studio_designer().await?;
        Ok(app)
    }

    /// Refuses a database recorded for the other profile (unless `allow-profile-change`),
    /// reading only: a database without a schema yet passes.
    pub async fn check_recorded_profile(store: &Store, config: &Config) -> Result<(), StartError> {
        if config.allow_profile_change || migrate::applied_version(store).await?.is_none() {
            return Ok(());
        }
        match store.meta_get("profile").await? {
            Some(stored) if stored != config.profile.to_string() => {
                Err(StartError::ProfileMismatch {
                    stored,
                    running: config.profile,
                })
            }
            _ => Ok(()),
        }
    }

    /// Records the profile in a new database, and refuses to start another profile on it
    /// (a production database started without `--profile` would get demo data and a
    /// test-token endpoint signing with its keys) unless `allow-profile-change` says so.
    async fn claim_profile(store: &Store, config: &Config) -> Result<(), StartError> {
        let running = config.profile.to_string();
        let check = |stored: Option<String>| match stored {
            Some(stored) if stored != running && !config.allow_profile_change => {
                Err(StartError::ProfileMismatch {
                    stored,
                    running: config.profile,
                })
            }
            _ => Ok(()),
        };
        let stored = store.meta_get("profile").await?;
        if stored.as_deref() == Some(running.as_str()) {
            return Ok(());
        }
        check(stored.clone())?;
        if stored.is_none()
            && config.profile == Profile::Local
            && !config.allow_profile_change
            && !demo::loaded(store).await?
            && store.has_organizations().await?
        {
            // A database from before profiles were recorded, with data of its own.
            return Err(StartError::NotDemoData);
        }
        let mut tx = store.begin().await?;
        // Another instance may have recorded a profile in the meantime.
        check(crate::store::meta_get(&mut tx, "profile").await?)?;
        crate::store::meta_set(&mut tx, "profile", &running).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(profile = %running, "database recorded for this profile");
        Ok(())
    }

    /// Whether a person may use the operator pages: a main administrator (daglig leder,
    /// styreleder, innehaver) of the configured operator organisation.
    pub async fn is_operator(&self, pid: &str) -> bool {
        match &self.config.operator_org {
            Some(org) => self
                .store
                .is_main_administrator(pid, org.as_str())
                .await
                .unwrap_or(false),
            None => false,
        }
    }

    /// The issuer of tilgang's own platform tokens.
    pub fn platform_issuer(&self) -> String {
        self.config.url("/authentication/api/v1/openid/")
    }

    /// The issuer of the embedded Maskinporten.
    pub fn maskinporten_issuer(&self) -> String {
        self.config.url("/maskinporten/")
    }
}
