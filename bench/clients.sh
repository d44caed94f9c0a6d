#!/usr/bin/env bash
# Client lists of a facilitator with 10,000 clients and an agent with 2,000 of them (issue 14),
# on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres), release build, local profile.
# Usage: cargo build --release && cargo build --release --example client_load && bench/clients.sh [concurrency]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/tilgang"
load="$root/target/release/examples/client_load"
concurrency="${1:-1}"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"; dropdb -h 127.0.0.1 -U postgres --if-exists tilgang_clientbench 2>/dev/null || true' EXIT
cd "$work"
run() {
  local name=$1; shift
  "$bin" --listen 127.0.0.1:18095 --log warn "$@" >/dev/null 2>&1 &
  pid=$!
  until curl -sf http://127.0.0.1:18095/health >/dev/null; do sleep 0.05; done
  echo "== $name (concurrency $concurrency)"
  "$load" http://127.0.0.1:18095 --clients 10000 --delegations 2000 --seconds 10 --concurrency "$concurrency" --pid "$pid"
  kill -TERM "$pid"; wait "$pid" || true
}
run SQLite --data-dir "$work/sqlite"
dropdb -h 127.0.0.1 -U postgres --if-exists tilgang_clientbench
createdb -h 127.0.0.1 -U postgres tilgang_clientbench
run PostgreSQL --data-dir "$work/pg" --database-url postgres://postgres@127.0.0.1:5432/tilgang_clientbench
