//! A PostgreSQL server of the test's own that accepts only TLS connections, with a certificate
//! for `localhost` signed by a certificate authority made for the test (openssl), so that
//! `sslmode=verify-full` is exercised against a real server.
//!
//! It is a throwaway cluster (`initdb` into a scratch directory, started with `pg_ctl`, run as
//! the `postgres` user when the tests run as root). Where PostgreSQL's server programs or
//! openssl are missing the tests that need it are skipped with a warning, except under
//! `CI=true`, where they fail.

use std::path::PathBuf;
use std::process::Command;

pub struct TlsPostgres {
    pub port: u16,
    /// The CA that signed the server's certificate.
    pub ca: PathBuf,
    /// A CA that signed nothing the server has.
    pub other_ca: PathBuf,
    dir: PathBuf,
    bin: PathBuf,
}

impl TlsPostgres {
    /// `postgres://postgres@{host}:{port}/postgres?sslmode={mode}`
    pub fn url(&self, host: &str, mode: &str) -> String {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode={mode}",
            self.port
        )
    }

    /// Starts a server, or says why it cannot (a skip outside CI, a failure in CI).
    pub fn start() -> Option<Self> {
        match Self::try_start() {
            Ok(pg) => Some(pg),
            Err(why) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("cannot start a TLS PostgreSQL server for the test: {why}");
                }
                eprintln!("WARNING: skipping the PostgreSQL TLS test: {why}");
                None
            }
        }
    }

    fn try_start() -> Result<Self, String> {
        let bin = server_programs().ok_or("PostgreSQL's initdb and pg_ctl were not found")?;
        let dir =
            std::env::temp_dir().join(format!("tilgang-pgtls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        super::certs::make(&dir)?;
        let port = free_port()?;
        let pg = Self {
            port,
            ca: dir.join("ca.pem"),
            other_ca: dir.join("other-ca.pem"),
            dir,
            bin,
        };
        pg.init_and_start()?;
        Ok(pg)
    }

    fn init_and_start(&self) -> Result<(), String> {
        let data = self.dir.join("data");
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir))?;
        }
        run(self.as_server_user("initdb").arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]))?;
        // TCP only with TLS: a plain-text connection finds no pg_hba entry.
        let hba = "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n";
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
        if is_root() {
            run(Command::new("chown")
                .args(["postgres:postgres"])
                .arg(data.join("pg_hba.conf")))?;
        }
        self.start_server()
    }

    /// Starts the server again after [`TlsPostgres::stop`].
    pub fn start_server(&self) -> Result<(), String> {
        let data = self.dir.join("data");
        let options = format!(
            "-p {} -c listen_addresses=localhost -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -k {} -c fsync=off",
            self.port,
            self.dir.join("server.crt").display(),
            self.dir.join("server.key").display(),
            self.dir.display(),
        );
        run(self
            .as_server_user("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]))
        .map_err(|e| {
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            format!("{e}\n{log}")
        })
    }

    fn as_server_user(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

impl TlsPostgres {
    /// Stops the server at once, as a crash or an outage would (connections refused).
    pub fn stop(&self) {
        let _ = self
            .as_server_user("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin`, else `initdb` on the PATH.
fn server_programs() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

pub(super) fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
