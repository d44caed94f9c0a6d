#!/usr/bin/env bash
# Memory and answers under a flood of password log-ins (security review, issue 11 item 4):
# CONCURRENCY clients at once send Basic-authenticated Gitea API calls with unknown users (no
# account needed, each would cost one argon2id check of ~19 MiB), TOTAL calls in all. Prints
# the status counts, the slowest answer and the server's peak resident memory (VmHWM).
# Usage: cargo build --release && bench/password_flood.sh [concurrency] [total] [port]
set -euo pipefail
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release/tilgang"
concurrency="${1:-100}"
total="${2:-2000}"
port="${3:-18081}"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
if curl -s "http://127.0.0.1:$port/health" >/dev/null; then echo "port $port is taken; give another as the third argument" >&2; exit 1; fi
cd "$work"
"$bin" --listen "127.0.0.1:$port" --log warn >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.01; done
idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
seq "$total" | xargs -P "$concurrency" -I{} \
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -u "ukjent{}:feil-passord" \
  "http://127.0.0.1:$port/studio/api/v1/user" > "$work/answers"
peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "calls: $total, $concurrency at a time"
echo "answers by status:"; awk '{print "  " $1}' "$work/answers" | sort | uniq -c
echo "slowest answer: $(sort -k2 -n "$work/answers" | tail -n 1 | awk '{print $2}') s"
echo "resident memory: idle $((idle / 1024)) MB, peak $((peak / 1024)) MB"
curl -s "http://127.0.0.1:$port/metrics" | grep '^tilgang_rejected_for_load_total'
