//! The `tilgang` command: serve, migrate, import, keys, health, config check and settings.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::clock::Clock;
use crate::config::{Config, Overrides, Profile};
use crate::domain::import::ImportPolicy;
use crate::services::App;
use crate::services::import::{self, ImportActor, ImportError};
use crate::store::{Store, migrate};

#[derive(Parser)]
#[command(
    name = "tilgang",
    version,
    about = "An open, Altinn-compatible identity and access platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    overrides: Overrides,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default)
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Import reference data (organisations, persons, roles, access packages, resources)
    Import {
        /// A JSON document in the import format (docs/demo-data.md, DESIGN §7)
        file: PathBuf,
    },
    /// Manage signing keys
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage relying parties of the embedded ID-porten and Ansattporten (local profile)
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Ask the server running with this configuration whether it is ready (exit 0) or not
    /// (exit 1), for container and service-manager health checks
    Health {
        /// Only whether the process answers HTTP (liveness), not whether the database does
        #[arg(long)]
        live: bool,
    },
    /// Inspect the configuration
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key to every issuer. It is published at once and signs after
    /// --activate-after; the keys in use now are retired --keep-old after that
    Rotate {
        /// How long the new key is published before it signs (resource servers cache JWKS)
        #[arg(long, default_value = "10m", value_parser = crate::config::parse_duration)]
        activate_after: std::time::Duration,
        /// How long the old keys stay published after the switch (the longest token lifetime)
        #[arg(long, default_value = "24h", value_parser = crate::config::parse_duration)]
        keep_old: std::time::Duration,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Register a relying party; prints its client id and secret (the secret is shown once
    /// and stored hashed). It authenticates with client_secret_basic or client_secret_post
    Add {
        /// `idporten` or `ansattporten`
        #[arg(long)]
        provider: String,
        /// The name people see on the log-in page
        #[arg(long)]
        name: String,
        /// Where the provider may send the code (repeat for more)
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the provider may send people after logging out (repeat for more)
        #[arg(long = "post-logout-uri")]
        post_logout_uris: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets masked) and where each value came from,
    /// then try the database and each configured outside service (exit code 1 when one fails)
    Check {
        /// Only print the configuration; contact nothing
        #[arg(long)]
        offline: bool,
    },
    /// Print every setting (flag, TOML key, environment variable, default, what it sets) as
    /// the Markdown table in the README
    Settings,
}

/// Exit codes: 0 success, 1 failure while running, 2 bad configuration or usage.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The table of settings needs no configuration, so a broken one does not hide it.
    if let Some(Command::Config {
        command: ConfigCommand::Settings,
    }) = cli.command
    {
        print!("{}", crate::config::settings::markdown());
        return ExitCode::SUCCESS;
    }
    let config = match Config::resolve(&cli.overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tilgang: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Config {
        command: ConfigCommand::Check { offline: true },
    }) = cli.command
    {
        print_config(&config);
        return ExitCode::SUCCESS;
    }
    init_logging(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tilgang: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None | Some(Command::Serve) => serve(config).await,
            Some(Command::Migrate) => run_migrations(config).await,
            Some(Command::Import { file }) => import_file(config, file).await,
            Some(Command::Keys {
                command:
                    KeysCommand::Rotate {
                        activate_after,
                        keep_old,
                    },
            }) => rotate_keys(config, activate_after, keep_old).await,
            Some(Command::Client {
                command:
                    ClientCommand::Add {
                        provider,
                        name,
                        redirect_uris,
                        post_logout_uris,
                    },
            }) => add_client(config, &provider, &name, redirect_uris, post_logout_uris).await,
            Some(Command::Config {
                command: ConfigCommand::Check { .. },
            }) => check_config(config).await,
            // Printed above, before the configuration was resolved.
            Some(Command::Config {
                command: ConfigCommand::Settings,
            }) => Ok(()),
            Some(Command::Health { live }) => check_health(&config, live).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tilgang: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_config(config: &Config) {
    print!("{}", config.describe());
    for warning in config.warnings() {
        println!("# warning: {warning}");
    }
    println!(
        "# the configuration is complete for the {} profile",
        config.profile
    );
}

/// GET /health (or /health/live) on this configuration's listen address.
async fn check_health(config: &Config, live: bool) -> Result<(), String> {
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!(
        "http://{addr}/health{}",
        if live { "/live" } else { "/ready" }
    );
    let res = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if status.is_success() {
        println!("{url}: {status} {body}");
        Ok(())
    } else {
        Err(format!("{url}: {status} {body}"))
    }
}

/// The configuration, then what each service answers.
async fn check_config(config: Config) -> Result<(), String> {
    print_config(&config);
    println!("# trying the services (--offline skips this):");
    let findings = crate::services::probe::run(&config).await;
    let width = findings.iter().map(|f| f.subject.len()).max().unwrap_or(0);
    for f in &findings {
        println!(
            "#   {:<7} {:<width$}  {}",
            f.outcome.to_string(),
            f.subject,
            f.detail
        );
    }
    let failed = findings
        .iter()
        .filter(|f| f.outcome == crate::services::probe::Outcome::Failed)
        .count();
    if failed > 0 {
        return Err(format!(
            "{failed} of the services failed the check (see above)"
        ));
    }
    Ok(())
}

fn init_logging(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn serve(config: Config) -> Result<(), String> {
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let app = App::start(config, Clock::System)
        .await
        .map_err(|e| e.to_string())?;
    print_welcome(&app).await;
    let jobs = crate::services::jobs::spawn(&app, app.config.job_interval);
    let served = crate::http::serve(app.clone(), listener, shutdown_signal()).await;
    for job in jobs {
        job.abort();
    }
    served.map_err(|e| e.to_string())?;
    app.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// What a newcomer needs after start: where each part is and who to log in as.
async fn print_welcome(app: &App) {
    let c = &app.config;
    println!(
        "tilgang {} is running ({} profile) at {}",
        env!("CARGO_PKG_VERSION"),
        c.profile,
        c.public_url
    );
    for (path, _, en) in crate::http::home::parts(c.profile) {
        println!("  {en:<45} {}", c.url(path));
    }
    if c.profile == Profile::Local {
        println!(
            "This is a test instance: every identity is synthetic. Demo identities (see docs/demo-data.md):"
        );
        match app.store.main_administrators(8).await {
            Ok(reps) => {
                for r in reps {
                    println!(
                        "  {:<22} pid {}  {} of {} ({})",
                        r.person_name, r.pid, r.role, r.org_name, r.org_no
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the demo identities"),
        }
        println!("Stop with Ctrl+C.");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn run_migrations(config: Config) -> Result<(), String> {
    let store = Store::open(&config).await.map_err(|e| e.to_string())?;
    let ran = migrate::run(&store).await.map_err(|e| e.to_string())?;
    println!(
        "{ran} migration(s) applied; the schema is at version {}",
        migrate::latest_version()
    );
    store.close().await;
    Ok(())
}

async fn add_client(
    config: Config,
    provider: &str,
    name: &str,
    redirect_uris: Vec<String>,
    post_logout_uris: Vec<String>,
) -> Result<(), String> {
    if config.profile != Profile::Local {
        return Err(
            "the embedded ID-porten and Ansattporten run in the local profile only; \
                    register relying parties with Digdir for the real ones"
                .into(),
        );
    }
    let store = Store::open(&config).await.map_err(|e| e.to_string())?;
    migrate::run(&store).await.map_err(|e| e.to_string())?;
    let registered = crate::services::idp::register_relying_party(
        &store,
        &Clock::System,
        provider,
        name,
        redirect_uris,
        post_logout_uris,
    )
    .await;
    store.close().await;
    let (client_id, secret) = registered?;
    println!("client_id:     {client_id}");
    println!("client_secret: {secret}   (shown once; it is stored hashed)");
    println!(
        "issuer:        {}",
        config.url(&format!("/{}/", provider.trim()))
    );
    Ok(())
}

async fn rotate_keys(
    config: Config,
    activate_after: std::time::Duration,
    keep_old: std::time::Duration,
) -> Result<(), String> {
    let store = Store::open(&config).await.map_err(|e| e.to_string())?;
    // The issuers of the profile the database is set up for.
    App::check_recorded_profile(&store, &config)
        .await
        .map_err(|e| e.to_string())?;
    migrate::run(&store).await.map_err(|e| e.to_string())?;
    let clock = Clock::System;
    // Make sure every issuer has a key before rotating.
    let issuers = crate::services::keys::IssuerName::served_by(config.profile);
    crate::services::keys::Keys::load_or_create(&store, &clock, config.signing_alg, issuers)
        .await
        .map_err(|e| e.to_string())?;
    let rotations = crate::services::keys::rotate(
        &store,
        &clock,
        config.signing_alg,
        activate_after,
        keep_old,
        issuers,
    )
    .await
    .map_err(|e| e.to_string())?;
    store.close().await;
    for r in rotations {
        println!(
            "{:<13} new key {} signs from {}; retiring {}",
            r.issuer,
            r.new_kid,
            crate::clock::format_micros(r.activates_at),
            r.retired
                .iter()
                .map(|(kid, at)| format!("{kid} at {}", crate::clock::format_micros(*at)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("Running servers pick the new keys up within a minute.");
    Ok(())
}

async fn import_file(config: Config, file: PathBuf) -> Result<(), String> {
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", file.display()))?;
    let store = Store::open(&config).await.map_err(|e| e.to_string())?;
    migrate::run(&store).await.map_err(|e| e.to_string())?;
    // The rules are those of the profile the database belongs to (recorded at its first
    // start), so that importing into a production database needs no --profile.
    let profile = match store.meta_get("profile").await.map_err(|e| e.to_string())? {
        Some(recorded) => recorded
            .parse::<Profile>()
            .map_err(|e| format!("the database records an unknown profile: {e}"))?,
        None => config.profile,
    };
    let policy = ImportPolicy {
        synthetic_pids_only: profile == Profile::Local,
    };
    let result = import::import(
        &store,
        &Clock::System,
        &doc,
        policy,
        ImportActor {
            actor: "cli",
            trace_id: None,
        },
    )
    .await;
    store.close().await;
    match result {
        Ok(counts) => {
            println!(
                "imported {} organisation(s), {} person(s), {} role(s), {} access package(s), {} resource(s)",
                counts.organizations,
                counts.persons,
                counts.roles,
                counts.access_packages,
                counts.resources
            );
            Ok(())
        }
        Err(ImportError::Invalid(issues)) => {
            let mut message = format!("{} is not valid; nothing was imported:", file.display());
            for i in issues {
                message.push_str(&format!(
                    "\n  {}: {}",
                    if i.path.is_empty() { "/" } else { &i.path },
                    i.message
                ));
            }
            Err(message)
        }
        Err(ImportError::Store(e)) => Err(e.to_string()),
    }
}
