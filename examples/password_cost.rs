//! What one Studio password check costs (argon2id, the crate's defaults: 19 MiB, t=2, p=1):
//! the work behind every sign-up, password log-in and Basic-authenticated API call.
//! Usage: cargo run --release --example password_cost [rounds]

use std::time::Instant;

use tilgang::services::studio::{hash_password, password_matches};

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let started = Instant::now();
    let mut hash = String::new();
    for _ in 0..rounds {
        hash = hash_password("Sterkt-Passord1").unwrap_or_default();
    }
    let per_hash = started.elapsed() / rounds;
    let started = Instant::now();
    let mut ok = 0;
    for _ in 0..rounds {
        ok += u32::from(password_matches("Sterkt-Passord1", &hash));
    }
    let per_check = started.elapsed() / rounds;
    println!("rounds: {rounds} (all matched: {})", ok == rounds);
    println!(
        "hash:   {per_hash:?} each, {:.0}/s on one core",
        1.0 / per_hash.as_secs_f64()
    );
    println!(
        "check:  {per_check:?} each, {:.0}/s on one core",
        1.0 / per_check.as_secs_f64()
    );
}
