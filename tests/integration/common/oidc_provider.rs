//! The independent OpenID provider in `tests/oidc-provider` (npm `oidc-provider`), started as
//! a child process to stand in for the real ID-porten. It needs Node.js and `npm ci` in that
//! folder (`.ci/run` does it); without them the test is skipped with a warning, except under
//! `CI=true`, where it fails.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct OidcProvider {
    child: Child,
    /// As its discovery document names it: `http://127.0.0.1:<port>`, no trailing slash.
    pub issuer: String,
}

impl OidcProvider {
    /// Starts the provider with one client (`tilgang`/`secret`) that may redirect to
    /// `redirect_uri`; its ID tokens carry `acr`.
    pub async fn start(redirect_uri: &str, acr: &str) -> Option<Self> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider");
        if !dir.join("node_modules/oidc-provider").exists() {
            let why = format!(
                "the test OpenID provider is not installed (run `npm ci` in {})",
                dir.display()
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{why}");
            }
            eprintln!("WARNING: {why}; skipping the test");
            return None;
        }
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .env("OP_PORT", "0")
            .env("OP_REDIRECT_URIS", redirect_uri)
            .env("OP_ACR", acr)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).map(|_| line)
            }),
        )
        .await
        .expect("the provider did not say it was ready within 30 s")
        .expect("reader")
        .expect("the provider's output");
        let issuer = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the provider said '{line}'"))
            .to_owned();
        Some(Self { child, issuer })
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
