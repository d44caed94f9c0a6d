#!/usr/bin/env bash
# Time to serve and idle memory of the release binary, local profile (SQLite).
# Usage: cargo build --release && bench/startup.sh [port]
set -euo pipefail
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release/tilgang"
port="${1:-18080}"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
if curl -s "http://127.0.0.1:$port/health" >/dev/null; then echo "port $port is taken; give another as the first argument" >&2; exit 1; fi
cd "$work"

# Starts the server; sets $pid and $ms (time until /health answers 200).
start_server() {
  local start end
  start=$(date +%s%N)
  "$bin" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.005; done
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
}

start_server; first=$ms
sleep 2
rss_first=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill -TERM "$pid"; wait "$pid" || true
start_server; again=$ms
sleep 2
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
for _ in $(seq 200); do curl -s "http://127.0.0.1:$port/accessmanagement/api/v1/meta/info/accesspackages/export" >/dev/null; done
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill -TERM "$pid"; wait "$pid" || true

echo "first start (migrations, key generation, demo data) ready after: ${first} ms"
echo "restart ready after:                                  ${again} ms"
echo "idle RSS after first start:                           ${rss_first} kB"
echo "idle RSS after restart:                               ${rss_idle} kB"
echo "RSS after 200 catalogue exports:                      ${rss_after} kB"
