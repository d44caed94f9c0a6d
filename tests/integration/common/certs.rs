//! Certificates made for a test with the openssl command: a CA, a server certificate for
//! `localhost` signed by it, and an unrelated CA.

use std::path::Path;
use std::process::Command;

use super::tls_postgres::run;

/// Writes `ca.pem`, the server's `server.crt`/`server.key` (for `localhost` only, so that a
/// connection to `127.0.0.1` fails a host-name check) and an unrelated `other-ca.pem` into `dir`.
pub fn make(dir: &Path) -> Result<(), String> {
    let ca = |name: &str| -> Result<(), String> {
        run(Command::new("openssl")
            .current_dir(dir)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args([
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
            ])
            .args(["-subj", &format!("/CN=tilgang test {name}")])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]))
    };
    ca("ca")?;
    ca("other-ca")?;
    run(Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-keyout", "server.key", "-out", "server.csr"])
        .args(["-subj", "/CN=localhost"]))?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem"])
        .args(["-CAkey", "ca.key", "-CAcreateserial", "-days", "2"])
        .args(["-out", "server.crt", "-extfile", "server.ext"]))?;
    // PostgreSQL refuses a key that others can read.
    run(Command::new("chmod")
        .args(["600"])
        .arg(dir.join("server.key")))
}
