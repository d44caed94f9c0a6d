//! The client libraries integrators really use, against the real server (issue 16): Node's
//! openid-client against the embedded ID-porten, Python's authlib against the embedded
//! Maskinporten (the JWT-bearer grant with a system user), and the generated Gitea SDK
//! (giteapy) against Studio's Gitea API. The scripts are in `tests/clients/`; `.ci/run`
//! installs their packages (`npm ci --prefix tests/clients`, `pip install -r
//! tests/clients/requirements.txt`). Without them a test says so and passes, except under
//! `CI=true`.

use std::path::PathBuf;

use crate::common;
use crate::system_users::{BAKERY, KARI, VENDOR, person_token, request_body, vendor_with_system};

use common::{Engine, TestServer};
use serde_json::{Value, json};
use tilgang::secret;
use tilgang::store::oidc::OidcClient;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Whether the libraries are installed; panics under CI when they are not.
fn installed(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    let why = format!("{what} is not installed (see tests/clients/README.md)");
    if common::in_ci() {
        panic!("{why}");
    }
    eprintln!("WARNING: {why}; skipping the test");
    false
}

fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a script on a thread of its own (the server keeps answering it); its success and
/// output.
async fn run(program: &str, args: Vec<String>) -> (bool, String) {
    let mut command = std::process::Command::new(program);
    command.args(&args).current_dir(clients_dir());
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the script's thread")
        .expect("the script runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The scripts sign and check with the wall clock; the test server's clock stands still.
fn to_wall_clock(s: &TestServer) {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as i64;
    if let Ok(behind) = u64::try_from(wall - s.clock.now()) {
        s.clock.advance(std::time::Duration::from_micros(behind));
    }
}

engine_tests! {
    async fn openid_client_logs_in_through_the_embedded_idporten(engine: Engine) {
        if !installed("openid-client (npm)", clients_dir().join("node_modules/openid-client").exists()) {
            return;
        }
        let s = TestServer::start(engine).await;
        to_wall_clock(&s);
        // A secret with the characters RFC 6749 §2.3.1 makes clients form-urlencode.
        let client_secret = "s+cr%t:with/odd=chars";
        let redirect = "https://rp.example/callback";
        s.app
            .store
            .upsert_oidc_client(
                &OidcClient {
                    issuer: "idporten".into(),
                    client_id: "openid-client-test".into(),
                    client_name: "openid-client".into(),
                    secret_hash: Some(secret::hash(client_secret)),
                    redirect_uris: vec![redirect.into()],
                    post_logout_redirect_uris: vec![],
                    jwks: None,
                    scopes: None,
                },
                0,
            )
            .await
            .unwrap();
        let args = [&s.base, "openid-client-test", client_secret, redirect, KARI].map(String::from).to_vec();
        let (ok, out) = run("node", [vec!["openid_client_idporten.mjs".to_owned()], args].concat()).await;
        assert!(ok, "{out}");
        let result: Value = json_line(&out);
        assert_eq!(result["pid"], KARI, "{result}");
        assert_eq!(result["userinfo_pid"], KARI, "{result}");
        s.stop().await;
    }

    async fn authlib_fetches_a_system_user_token_from_the_embedded_maskinporten(engine: Engine) {
        if !installed("authlib (pip)", python_has("authlib")) {
            return;
        }
        let s = TestServer::start(engine).await;
        to_wall_clock(&s);
        let vendor = vendor_with_system(&s).await;
        let mp = vendor.access_token(&s).await;
        let created: Value = s.post_json("/authentication/api/v1/systemuser/request/vendor", &mp, &request_body(BAKERY)).await.json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        let party = crate::system_users::party_id(&s, BAKERY).await;
        let res = s.client.post(s.url(&format!("/authentication/api/v1/systemuser/request/{party}/{id}/approve"))).bearer_auth(person_token(&s, KARI).await).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let key = std::env::temp_dir().join(format!("tilgang-authlib-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&key, pem(&vendor.key.pkcs8_der().unwrap())).unwrap();
        let args = vec!["authlib_maskinporten.py".to_owned(), s.base.clone(), vendor.client_id.clone(), key.display().to_string(), vendor.key.kid().to_owned(), BAKERY.to_owned(), format!("kunde-{BAKERY}")];
        let (ok, out) = run("python3", args).await;
        let _ = std::fs::remove_file(&key);
        assert!(ok, "{out}");
        let result: Value = json_line(&out);
        assert_eq!(result["systemuser_id"], json!([id]), "{result}");
        assert_eq!(result["consumer"], format!("0192:{VENDOR}"), "{result}");
        s.stop().await;
    }

    async fn the_gitea_sdk_reads_studio_users_organisations_and_teams(engine: Engine) {
        if !installed("giteapy (pip)", python_has("giteapy")) {
            return;
        }
        let (s, sink) = crate::studio::server_with_smtp(engine).await;
        let _kari = crate::studio::new_user(&s, &sink, KARI, "kari", "kari@example.no").await;
        let operator = s.enterprise_token("315177340", "tilgang:admin").await;
        let res = s.post_json("/studio/api/v1/admin/users/kari/orgs", &operator, &json!({"username": "fjellbekk", "full_name": "Fjellbekk Bakeri AS"})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let kari = s.app.studio_user_named("kari").await.unwrap().unwrap();
        s.app.studio_create_repo(&kari, "fjellbekk", "bakeri-app", "Bestilling av brød").await.unwrap();
        s.app.studio_create_repo(&kari, "fjellbekk", "lager", "").await.unwrap();
        let args = ["giteapy_studio.py", &s.base, "kari", crate::studio::PASSWORD, "fjellbekk"].map(String::from).to_vec();
        let (ok, out) = run("python3", args).await;
        assert!(ok, "{out}");
        let result = json_line(&out);
        assert_eq!(result["login"], "kari", "{result}");
        assert_eq!(result["orgs"], json!(["fjellbekk"]), "{result}");
        assert_eq!(result["members"], json!(["kari"]), "{result}");
        assert!(result["teams"].as_array().is_some_and(|t| !t.is_empty()), "{result}");
        assert_eq!(result["repos"], json!(["fjellbekk/bakeri-app", "fjellbekk/lager"]), "{result}");
        assert_eq!(result["search"], json!(["fjellbekk/bakeri-app"]), "{result}");
        s.stop().await;
    }
}

/// A PKCS#8 key as PEM.
fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// The script's JSON line (libraries may warn on stderr around it).
fn json_line(out: &str) -> Value {
    out.lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON line in: {out}"))
}
